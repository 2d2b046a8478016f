"""The key-aware check: a vendor key in production whose value names a host the vendor does not use.

`STRIPE_API_BASE=https://stripe.internal.example` is no twin URL any rule matches, but the
key says which vendor the value configures, and the services table says which hosts are real.
"""
from __future__ import annotations

from ..decide import decide, make_finding
from ..model import FileResult, Target
from .locate import USERINFO, line_column, one_line
from .settings import Scanner


def check_services(scanner: Scanner, res: FileResult, target: Target, data: bytes, values, hits) -> None:
    """Findings of the `service-host-url` rule for the structured ``values`` of one file."""
    from ..services import complete, endpoint

    s = scanner.s
    rule = s.service_rule
    seen: set[tuple[int, int]] = set()  # one text may be a value of several jobs
    scoped = {(v.environment, v.key.upper()): v.value for v in values}  # `…_PROTOCOL`/`…_PORT` siblings
    for v in values:
        svc = s.services.service_for(v.key)
        if svc is None or rule is None:
            continue
        where = scanner.value_target(target, v.environment, v.reason)
        ep = complete(endpoint(v.value), v.key, lambda k, e=v.environment: scoped.get((e, k)))
        if not where.production or ep is None or svc.allows(ep.host):
            continue
        if (v.start, v.end) in seen or any(v.start <= h.offset < v.end for h in hits):
            continue  # reported for another job, or a twin rule already reports this value
        seen.add((v.start, v.end))
        line, column = line_column(data, v.start)
        line_start = data.rfind(b"\n", 0, v.start) + 1
        raw = USERINFO.sub(r"\1***@", one_line(data[v.start:v.end]))
        line_end = data.find(b"\n", v.end)
        snippet = USERINFO.sub(r"\1***@", one_line(data[line_start:line_end if line_end >= 0 else len(data)]))[:200]
        # the host is the evidence here, not the port: no port argument
        judged = scanner.role_args(res.path, v.context, v.key, v.role, v.role_reason, None, rule.id, ep.host,
                                   ep.port, None)
        decision = decide(where, rule, v.context, s.fail_on, **judged).because(
            "service", f"`{v.key}` configures {svc.name}, whose production hosts are {', '.join(svc.hosts)}")
        url = USERINFO.sub(r"\1***@", ep.url)
        res.findings.append(make_finding(
            decision, path=res.path, line=line, column=column, end_column=column + len(raw), offset=v.start,
            match=raw, url=url, host=ep.host, port=ep.port, key=v.key, snippet=snippet,
        ))
