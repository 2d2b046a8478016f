"""`twinscan guard --emit go`: the runtime guard for Go services, from the same rules.

The emitted file (package ``twinguard``, standard library only) holds the scanner's search
expressions (engine.build_expressions over the same rules and ``--twin-url`` patterns), the
vendor services (keys and hosts, config ``services`` included) and a port of the functions
that read and verify a URL: urls.parse_at with its escape, entity and percent decoding,
is_loopback_host / is_unspecified_host with Python's ``ipaddress`` rules and inet_aton
forms, and services.endpoint. A test compiles it with Debian's Go toolchain and asserts
that its verdicts on the shared URL table (tests/guard_table.py) equal the Python and
TypeScript guards', row by row.

Go's ``regexp`` is RE2. The rules are restricted to the syntax Hyperscan, RE2 and ``re``
agree on (rulepack.check_pattern), and every expression compiles in Go unchanged (a test
compiles the untranslated ones). One escape keeps its spelling but not its meaning:
``\\s`` is ``[ \\t\\n\\r\\f\\v]`` in Python's bytes patterns and has no ``\\v`` in RE2, so
:func:`go_regex` spells the class out.

Semantics (the same in the three guards): ``FindTwins``/``CheckServices`` check every
setting they are handed, as the scanner checks every line of a production ``.env`` file —
see twinscan/guard.py for why.
"""
from __future__ import annotations

from .portable import fix_line, translate

VERSION = 1
#: The Go source, with __PLACEHOLDERS__ for the data (package data beside this module).
TEMPLATE = "twinguard.go.tmpl"


def go_regex(py: str) -> str:
    """A rule expression (Python ``re`` syntax over lower-cased bytes) in RE2 syntax with the
    same meaning. Only ``\\s`` differs (RE2's lacks ``\\v``); ``\\Z`` is RE2's ``\\z``; groups
    other than ``(?:`` are refused, as for JavaScript (tsguard.js_regex)."""

    def escape(esc: str, in_class: bool) -> str:
        if esc == "\\s":
            return "\\t\\n\\v\\f\\r " if in_class else "[\\t\\n\\v\\f\\r ]"
        if esc == "\\Z":
            return "\\z"
        if esc == "\\S":
            raise ValueError(f"{py!r}: \\S has no identical RE2 spelling here")
        return esc

    return translate(py, escape)


_fix = fix_line


def guard_data(twin_urls=(), service_config=None) -> dict:
    """Everything the emitted guard needs, from twinscan.guard's compiled rules."""
    from ..engine import PR_OPENERS, PROTOCOL_RELATIVE, build_expressions
    from ..urls import PR_DELIMITERS
    from .guard import checker

    c = checker(twin_urls, service_config)
    rules = [{"id": r.id, "title": r.title, "verify": r.verify or "", "fix": _fix(r.fix)} for r in c.rules]
    exprs = []
    for e in build_expressions(c.rules):
        pr = e.kind == PROTOCOL_RELATIVE
        first = sorted({o[0] for o in PR_OPENERS} if pr else {s[0] for s in c.rules[e.rule_index].schemes})
        exprs.append({"rule": e.rule_index, "pr": pr, "lead": e.lead, "first": "".join(first),
                      "regex": go_regex(e.regex), "source": e.regex})
    sr = c.service_rule
    return {
        "version": VERSION,
        "twin_urls": list(c.twin_urls),
        "rules": rules,
        "expressions": exprs,
        "service_rule": {"id": sr.id, "title": sr.title, "verify": "", "fix": _fix(sr.fix)},
        "services": [{"name": s.name, "keys": sorted(s.keys), "hosts": list(s.hosts)} for s in c.services.values()],
        "pr_delimiters": "".join(sorted(chr(b) for b in PR_DELIMITERS)),
    }


def go_string(s: str) -> str:
    """A Go interpreted string literal for ``s`` (UTF-8 bytes escaped as \\xNN where needed)."""
    out = ['"']
    for ch in s:
        if ch in '"\\':
            out.append("\\" + ch)
        elif " " <= ch <= "~":
            out.append(ch)
        else:
            out.append("".join(f"\\x{b:02x}" for b in ch.encode("utf-8")))
    out.append('"')
    return "".join(out)


def _strings(items) -> str:
    return "[]string{" + ", ".join(go_string(x) for x in items) + "}"


def _rule(r: dict) -> str:
    return "{" + ", ".join(go_string(r[k]) for k in ("id", "title", "verify", "fix")) + "}"


def emit_go(data: dict) -> str:
    import os

    from .. import __version__

    with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), TEMPLATE), encoding="utf-8") as f:
        template = f.read()

    rules = "\n".join(f"\t{_rule(r)}," for r in data["rules"])
    exprs = "\n".join(
        f"\t{{{e['rule']}, {'true' if e['pr'] else 'false'}, {e['lead']}, {go_string(e['first'])}, {go_string(e['regex'])}}},"
        for e in data["expressions"])
    services = "\n".join(f"\t{{{go_string(s['name'])}, {_strings(s['keys'])}, {_strings(s['hosts'])}}},"
                         for s in data["services"])
    twin_urls = ", ".join(data["twin_urls"]) or "none"
    return (template.replace("__TWINSCAN_VERSION__", __version__)
            .replace("__TWIN_URLS__", twin_urls.replace("\n", " "))
            .replace("__RULES__", rules)
            .replace("__EXPRESSIONS__", exprs)
            .replace("__SERVICE_RULE__", _rule(data["service_rule"]))
            .replace("__SERVICES__", services)
            .replace("__PR_DELIMITERS__", go_string(data["pr_delimiters"])))

