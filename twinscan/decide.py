"""Decide: is a hit blocking, and why; and the one constructor of findings.

Every finding is judged here, whatever found it (a rule's byte pattern, a folded
concatenation, a base64 data: URI, a file inside an image, the services check):
the target's environment, the hit's context, library evidence, the rule's severity
against ``--fail-on`` and the URL's port. The verdict is a :class:`Decision` whose
reason is a list of named parts, so later steps add a part (where the hit was
decoded from, which vendor a key configures) instead of editing prose, and a
reader can ask *why* without parsing text.
"""
from __future__ import annotations

import re
import sys
from dataclasses import dataclass, replace
from functools import cached_property, lru_cache
from typing import TYPE_CHECKING, NamedTuple

from .digest import sha256
from .extract import INERT_CONTEXTS
from .model import Finding, Origin, Target
from .rulepack import Rule
from .site import is_url, url_path
from .urls import TWIN_PORTS

if TYPE_CHECKING:
    from .extract import Hit
    from .roles import Role, RoleInfo
    from .urls import URL

# `index-BdtEMBbM.js`, `page-3f9a1c2b4d5e6f70.js`, `main.3f9a1c2b.chunk.js`: content hashes.
# Vite/Rollup hashes are 8 base64url characters, so `-` may occur inside one (`index-BLjdwE-d.js`).
_HASH = re.compile(r"(?<=[-.])(?=[A-Za-z0-9_-]*[0-9A-Z])(?:[A-Za-z0-9_]{8,64}|[A-Za-z0-9_-]{8})(?=\.)")
_HEX_DIR = re.compile(r"(?<=/)[0-9a-f]{16,64}(?=/)")


def logical_path(path: str) -> str:
    """The path with content hashes replaced, so fingerprints survive rebuilds. A fetched URL
    (site scan) is judged by its path alone, so staging and production runs agree."""
    p = url_path(path) if is_url(path) else path.replace("\\", "/")
    if p == "/":  # a site's page itself
        return p
    head, _, name = p.rpartition("/")
    name = _HASH.sub("[hash]", name)
    return _HEX_DIR.sub("[hash]", f"{head}/{name}" if head else name)


@lru_cache(maxsize=4096)
def fingerprint(rule_id: str, url: str, path: str) -> str:
    """Cached: the same URL many times in one file has one fingerprint (one string, hashed once)."""
    data = "\0".join((rule_id, url, logical_path(path))).encode("utf-8", "surrogateescape")
    return sha256()(data).hexdigest()[:32]


#: `--fail-on` / `fail_on`: the lowest rule severity that blocks in production (`note` never does).
FAIL_ON = ("error", "warning")
_RANK = {"note": 0, "warning": 1, "error": 2}


def blocks_at(severity: str, fail_on: str = "error") -> bool:
    return fail_on in FAIL_ON and _RANK.get(severity, 0) >= _RANK[fail_on]


class Reason(NamedTuple):
    """One part of a decision's explanation. ``code`` names the part for code that reads
    decisions (``not-production``, ``inert``, ``library``, ``production``,
    ``below-fail-on``, ``fail-on``, ``twin-port``, ``service``, ``decoded``); ``text``
    is what the reports show, parts joined by ``; ``."""

    code: str
    text: str


@dataclass(frozen=True)
class Decision:
    """The verdict on one hit. A later step that judges more (the *role* of a hit: service
    setting, healthcheck, documentation, test, …) adds a field and a :class:`Reason` here,
    in :func:`decide`, and every kind of finding gets it."""

    rule: Rule
    blocking: bool
    confidence: str
    reasons: tuple[Reason, ...]
    environment: str
    production: bool
    context: str
    library: str | None = None  # why the hit is library internals, when that made it non-blocking
    role: str | None = None  # what the hit is for (twinscan/roles.py); None under --strict

    @cached_property
    def reason(self) -> str:
        """Joined once per decision: a decision is shared by every hit judged alike (:func:`decide`)."""
        return "; ".join(r.text for r in self.reasons)

    def because(self, code: str, text: str) -> "Decision":
        """The same verdict with one more part to its explanation."""
        return replace(self, reasons=(*self.reasons, Reason(code, text)))


#: Decisions already made, by their inputs. A file with 100,000 hits judged alike holds one
#: Decision (and one reason text) instead of 100,000; cleared when full, so it stays bounded.
_DECIDED: dict[tuple, Decision] = {}
_DECIDED_MAX = 4096


def decide(target: Target, rule: Rule, context: str, fail_on: str = "error", library: str | None = None,
           port: int | None = None, role: "Role | None" = None, role_info: "RoleInfo | None" = None,
           evidence: str | None = None) -> Decision:
    """The verdict on one hit (see :func:`_decide`); the same inputs give the same (shared) Decision."""
    key = (target, rule, context, fail_on, library, port, role, role_info, evidence)
    try:
        return _DECIDED[key]
    except KeyError:
        pass
    except TypeError:  # an unhashable part (never in the scan's own types): judge it afresh
        return _decide(target, rule, context, fail_on, library, port, role, role_info, evidence)
    if len(_DECIDED) >= _DECIDED_MAX:
        _DECIDED.clear()
    d = _DECIDED[key] = _decide(target, rule, context, fail_on, library, port, role, role_info, evidence)
    return d


def _decide(target: Target, rule: Rule, context: str, fail_on: str = "error", library: str | None = None,
            port: int | None = None, role: "Role | None" = None, role_info: "RoleInfo | None" = None,
            evidence: str | None = None) -> Decision:
    """``library``: why the hit is library internals (see :func:`library_evidence`); only ever
    given for rules with ``quiet_in_library_code``. ``port``: the URL's port (a WonderTwin
    default port raises the confidence); None where the port is not evidence.

    ``role`` (twinscan/roles.py, with ``role_info`` and the twin ``evidence``): what the hit is
    for. In a production target only the ``service`` role blocks; another role is reported with
    the role as the reason, unless the role lets twin evidence through (every role but comment,
    documentation, test and example) and there is some: a hosted twin, a WonderTwin port, a
    vendor key or path. ``role=None`` (``--strict``) judges every hit as a service setting.
    A `new URL(path, "http://localhost:4111")` base on a WonderTwin port is not a parsing base."""
    blocking = False
    inert = context in INERT_CONTEXTS and not (context == "url-base" and port in TWIN_PORTS)
    other_role = role is not None and role.name != "service"
    if not target.production:
        why = (Reason("not-production", f"not a production target ({target.environment}): {target.reason}"),)
    elif inert:
        why = (Reason("inert", f"production target, but {INERT_CONTEXTS[context]}"),)
    elif other_role and not (role_info is not None and role_info.evidence_blocks and evidence):
        what = role_info.describe if role_info is not None else role.name
        why = (Reason("role", f"production target, but {what}: {role.reason}" if role.reason
                      else f"production target, but {what}"),)
    elif library and role is None:
        why = (Reason("library", f"production target, but library code: {library}"),)
    elif not blocks_at(rule.severity, fail_on):
        why = (Reason("production", f"production target ({target.reason})"),
               Reason("below-fail-on", f"rule severity {rule.severity} is below --fail-on {fail_on}"))
    elif not blocks_at(rule.severity, "error"):  # blocks only because --fail-on is lower than the default
        blocking = True
        why = (Reason("production", f"production target ({target.reason})"),
               Reason("fail-on", f"rule severity {rule.severity} blocks with --fail-on {fail_on}"))
    else:
        blocking = True
        why = (Reason("production", f"production target: {target.reason}"),)
    if blocking and other_role and role_info is not None:
        why += (Reason("twin-evidence", f"{role_info.describe} ({role.reason}), but {evidence}"),)
    confidence = rule.confidence
    if port is not None and port in TWIN_PORTS:
        confidence = "high"
        why += (Reason("twin-port", f"port {port} is a WonderTwin default"),)
    return Decision(rule, blocking, confidence, why, target.environment, target.production, context,
                    library if target.production and not inert else None,
                    role.name if role is not None else None)


def library_evidence(kind: str, url: "URL", hit: "Hit", origin: Origin | None = None) -> str | None:
    """Why a loopback hit in JavaScript is library internals, or None: its source map
    says it comes from node_modules/, or it is a curated known default. Never on a
    WonderTwin port, never outside JavaScript/HTML."""
    if kind not in ("javascript", "html") or url.port in TWIN_PORTS:
        return None
    if hit.context in INERT_CONTEXTS:
        return None  # already explained by its context
    if origin is not None and origin.library:
        return (f"the source map ({origin.map}) maps it to {origin.path}:{origin.line}, "
                f"part of the npm package {origin.library}")
    from .libraries import library_default

    d = library_default(url.normalized(), hit.line_prefix[:-1 if hit.quote else None].decode("utf-8", "replace"))
    if d is not None:
        return d.evidence()
    return None


def make_finding(decision: Decision, *, path: str, line: int, column: int, end_column: int, offset: int,
                 match: str, url: str, host: str, port: int | None, key: str | None, snippet: str,
                 encoding: str | None = None, origin: Origin | None = None) -> Finding:
    """The one constructor of findings: verdict, reason and fingerprint all come from here.

    A finding costs a bounded number of bytes: the decision, its reason and the fingerprint are
    shared by the hits judged alike, and the URL, the match and the host are interned, so the
    same URL 100,000 times in one file is one string (issue 14)."""
    rule = decision.rule
    url, match, host = _intern(url), _intern(match), _intern(host)
    return Finding(
        rule=rule.id, severity=rule.severity, confidence=decision.confidence, path=path, line=line,
        column=column, end_column=end_column, match=match, url=url, host=host, port=port, key=key,
        context=decision.context, environment=decision.environment, production=decision.production,
        blocking=decision.blocking, reason=decision.reason, snippet=snippet,
        fingerprint=fingerprint(rule.id, url, path), title=rule.title, offset=offset, origin=origin,
        encoding=encoding, decision=decision, role=decision.role,
    )


def _intern(s: str | None) -> str | None:
    return sys.intern(s) if type(s) is str else s
