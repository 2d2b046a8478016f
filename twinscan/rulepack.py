"""Rules are data: load `rules/*.yaml`, validate them, and add `--twin-url` patterns.

A rule's ``pattern`` describes what follows the URL *opener* (``https://``,
``//`` and their escaped forms). The opener is shared by every rule and added
by :mod:`twinscan.engine`, which is what lets the stdlib fallback factor it
out. Patterns are written in lower case and matched case-insensitively, in the
regex subset that Hyperscan, RE2 and Python ``re`` agree on.
"""
from __future__ import annotations

import functools
import os
import re
from dataclasses import dataclass, field
from typing import Any, Iterable

from . import shipped
from .shipped import rules_dir as rules_dir  # where the rule files are (re-exported)

SEVERITIES = ("error", "warning", "note")
CONFIDENCES = ("high", "medium", "low")
SCHEMES = ("http", "https", "ws", "wss")
VERIFIERS = ("loopback", "unspecified")

#: A slash as bundlers write it: plain, JSON-escaped (also JSON in JSON: `\\u002F` in
#: Next.js RSC rows), as a JS escape, percent-encoded
#: (`http%3A%2F%2F…` in query strings) or as an HTML character reference.
SEP = r"(?:/|\\{1,8}/|\\{1,8}u002f|\\{1,8}x2f|%2f|&#0*47;|&#x0*2f;|&sol;)"
#: The colon after a scheme, in the same forms.
COLON = r"(?::|\\{1,8}u003a|\\{1,8}x3a|%3a|&#0*58;|&#x0*3a;|&colon;)"
#: End of a host name or path segment (the next byte is not part of it).
END = r"(?:[^a-z0-9_.-]|$)"

_FIELDS = {
    "id", "title", "severity", "confidence", "schemes", "protocol_relative", "verify",
    "keywords", "pattern", "template", "check", "what", "why", "example", "fix", "examples",
    "quiet_in_library_code",
}
CHECKS = ("services",)
# Constructs outside the common subset of Hyperscan, RE2 and `re`.
_FORBIDDEN = [
    (re.compile(r"\(\?[=!]"), "look-ahead"),
    (re.compile(r"\(\?<[=!]"), "look-behind"),
    (re.compile(r"\\[1-9]"), "back-reference"),
    (re.compile(r"\(\?P?<[A-Za-z_]"), "named group"),
    (re.compile(r"\(\?P[=>]"), "named back-reference"),
    (re.compile(r"\(\?[aiLmsux-]+[:)]"), "inline flag (rules are always case-insensitive)"),
    (re.compile(r"\\[AZbBzG]"), "anchor other than $"),
    (re.compile(r"(?<!\\)\^(?![^\[]*\])"), "^ anchor"),
    (re.compile(r"[*+}]\+|[*+}?]\?(?!:)"), "possessive or lazy quantifier"),
]
# `(a+)+`, `(a*)*`, `(x|y+)*`: a repeated group that ends in a repetition can match
# one string in exponentially many ways under a backtracking engine.
_UNBOUNDED_NESTED = re.compile(r"[*+}]\)(?:[*+]|\{[0-9]+,\})")


class RuleError(ValueError):
    """A rule file or a twin-URL pattern is invalid (exit code 2)."""


@dataclass(frozen=True)
class Rule:
    """One rule of `rules/`: its id, severity and texts, and the host pattern its URLs must match."""

    id: str
    title: str
    severity: str
    confidence: str
    schemes: tuple[str, ...]
    protocol_relative: bool
    pattern: str  # lower-case regex for the part after the opener; {SEP} expanded
    keywords: tuple[str, ...]
    what: str
    why: str
    fix: str
    example: str = ""
    verify: str | None = None
    source: str = ""  # where the rule came from (file name or config)
    examples: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)
    check: str | None = None  # a check that is not a byte pattern ("services")
    # The URL shape is also a legitimate library internal (loopback: URL-parsing bases,
    # comparisons, dev defaults), so in JavaScript the AST context, a source map into
    # node_modules/ and the curated library defaults may make a hit non-blocking.
    quiet_in_library_code: bool = False


def check_pattern(pattern: str, where: str) -> None:
    """Reject syntax outside the Hyperscan/RE2/`re` common subset."""
    for rx, what in _FORBIDDEN:
        if rx.search(pattern):
            raise RuleError(f"{where}: pattern uses {what}, which Hyperscan, RE2 and Python re do not all support")
    if _UNBOUNDED_NESTED.search(pattern):
        raise RuleError(f"{where}: pattern nests unbounded repetition (catastrophic backtracking risk)")
    stripped = re.sub(r"\\.", "", pattern)
    if stripped != stripped.lower():
        raise RuleError(f"{where}: write the pattern in lower case (matching is case-insensitive)")
    try:
        re.compile(pattern.encode())
    except re.error as exc:
        raise RuleError(f"{where}: invalid regular expression: {exc}") from None


def _rule_from_mapping(data: Any, source: str) -> Rule | None:
    if not isinstance(data, dict):
        raise RuleError(f"{source}: a rule file must hold a mapping")
    unknown = sorted(set(data) - _FIELDS)
    if unknown:
        raise RuleError(f"{source}: unknown rule field {unknown[0]!r}")
    for key in ("id", "title", "severity", "what", "why", "fix"):
        if not isinstance(data.get(key), str) or not data[key].strip():
            raise RuleError(f"{source}: rule field {key!r} is required and must be text")
    rid = data["id"]
    if not re.fullmatch(r"[a-z][a-z0-9-]*", rid):
        raise RuleError(f"{source}: rule id {rid!r} must be lower-case kebab-case")
    if data["severity"] not in SEVERITIES:
        raise RuleError(f"{source}: severity must be one of {', '.join(SEVERITIES)}")
    confidence = data.get("confidence", "medium")
    if confidence not in CONFIDENCES:
        raise RuleError(f"{source}: confidence must be one of {', '.join(CONFIDENCES)}")
    schemes = tuple(data.get("schemes", SCHEMES))
    if not schemes or any(s not in SCHEMES for s in schemes):
        raise RuleError(f"{source}: schemes must be a non-empty subset of {', '.join(SCHEMES)}")
    verify = data.get("verify")
    if verify is not None and verify not in VERIFIERS:
        raise RuleError(f"{source}: verify must be one of {', '.join(VERIFIERS)}")
    keywords = data.get("keywords", [])
    if not isinstance(keywords, list) or not all(isinstance(k, str) and k for k in keywords):
        raise RuleError(f"{source}: keywords must be a list of literal strings")
    check = data.get("check")
    if check is not None and check not in CHECKS:
        raise RuleError(f"{source}: check must be one of {', '.join(CHECKS)}")
    quiet = data.get("quiet_in_library_code", False)
    if not isinstance(quiet, bool):
        raise RuleError(f"{source}: quiet_in_library_code must be true or false")
    if data.get("template") or check:
        pattern = ""
    else:
        if not isinstance(data.get("pattern"), str):
            raise RuleError(f"{source}: rule {rid} needs a pattern")
        if not keywords:
            raise RuleError(f"{source}: rule {rid} needs at least one literal keyword")
        pattern = data["pattern"].replace("{SEP}", SEP)
        check_pattern(pattern, f"{source}: rule {rid}")
    return Rule(
        id=rid, title=data["title"].strip(), severity=data["severity"], confidence=confidence,
        schemes=schemes, protocol_relative=bool(data.get("protocol_relative", False)),
        pattern=pattern, keywords=tuple(k.lower() for k in keywords), what=data["what"].strip(),
        why=data["why"].strip(), fix=data["fix"].strip(), example=str(data.get("example", "")).strip(),
        verify=verify, source=source, examples=dict(data.get("examples") or {}), check=check,
        quiet_in_library_code=quiet,
    )


#: Files beside the rules that are data, not rules (environment names: twinscan/environments.py).
DATA_FILES = ("environments.yaml", "roles.yaml", "deploy_commands.yaml")


def builtin_rule_names() -> list[str]:
    """The file name of every rule shipped in the package, sorted."""
    return sorted(name for name in os.listdir(shipped.rules_dir()) if name.endswith(".yaml") and name not in DATA_FILES)


def load_builtin_rules() -> list[Rule]:
    return list(_load_builtin_rules())


@functools.lru_cache(maxsize=1)
def _load_builtin_rules() -> tuple[Rule, ...]:
    rules: list[Rule] = []
    seen: set[str] = set()
    for name in builtin_rule_names():
        rule = _rule_from_mapping(shipped.load(name), f"rules/{name}")
        if rule.id in seen:
            raise RuleError(f"rules/{name}: duplicate rule id {rule.id}")
        seen.add(rule.id)
        rules.append(rule)
    return tuple(rules)


_TWIN_URL = re.compile(
    r"^(?:(?P<scheme>[a-z]+)://)?(?P<host>[a-z0-9*._-]+)(?::(?P<port>[0-9]{1,5}))?(?P<path>/[^\s?#]*)?$"
)
_LABEL = r"[a-z0-9-]+"


def twin_url_pattern(spec: str) -> tuple[str, tuple[str, ...]]:
    """Compile a ``--twin-url`` spec to (pattern after the opener, schemes).

    ``*`` in the host matches one or more DNS labels; a path is a prefix (a
    trailing ``/`` demands a deeper path, otherwise the segment must end).
    """
    m = _TWIN_URL.match(spec.strip().lower())
    if not m or not m.group("host").strip("*."):
        raise RuleError(f"twin URL {spec!r}: expected a host glob with an optional path, e.g. twins.*.yourco.com or yourco.com/twins/")
    scheme = m.group("scheme")
    if scheme and scheme not in SCHEMES:
        raise RuleError(f"twin URL {spec!r}: scheme must be one of {', '.join(SCHEMES)}")
    if m.group("port") and not 0 < int(m.group("port")) <= 65535:
        raise RuleError(f"twin URL {spec!r}: port {m.group('port')} is out of range (1-65535)")
    labels = m.group("host").split(".")
    if any(not lab or (lab != "*" and "*" in lab) for lab in labels):
        raise RuleError(f"twin URL {spec!r}: '*' must stand for whole labels, as in twins.*.yourco.com")
    host = r"\.".join(f"(?:{_LABEL}\\.)*{_LABEL}" if lab == "*" else re.escape(lab) for lab in labels)
    port = f":{m.group('port')}" if m.group("port") else "(?::[0-9]{1,5})?"
    path = m.group("path") or ""
    parts = [p for p in path.split("/")]
    if path and path != "/":
        segs = [re.escape(p) for p in parts[1:]]
        trailing = segs and segs[-1] == ""
        body = SEP.join(s for s in segs if s != "" or False)
        pat = host + r"\.?" + port + SEP + body + (SEP if trailing else END)  # `host.`: a trailing-dot FQDN
    else:
        pat = host + r"\.?" + port + END
    check_pattern(pat.replace(SEP, "/"), f"twin URL {spec!r}")
    return pat, ((scheme,) if scheme else SCHEMES)


def org_rules(template: Rule, specs: Iterable[str]) -> list[Rule]:
    """One concrete rule per twin-URL spec, sharing the template's id and text."""
    out = []
    for spec in specs:
        pattern, schemes = twin_url_pattern(spec)
        out.append(Rule(
            id=template.id, title=template.title, severity=template.severity, confidence=template.confidence,
            schemes=schemes, protocol_relative=template.protocol_relative, pattern=pattern,
            keywords=tuple(k for k in re.split(r"[*/:]", spec.lower()) if len(k) > 2),
            what=template.what, why=template.why, fix=template.fix, example=template.example,
            source=f"twin URL {spec}",
        ))
    return out


def build_ruleset(twin_urls: Iterable[str] = (), builtin: Iterable[Rule] | None = None) -> list[Rule]:
    """The rules to run: built-in rules (``builtin``, default: the YAML files), with the
    template expanded per twin URL."""
    rules: list[Rule] = []
    for rule in load_builtin_rules() if builtin is None else builtin:
        if rule.pattern:
            rules.append(rule)
        elif not rule.check:
            rules.extend(org_rules(rule, twin_urls))
    return rules
