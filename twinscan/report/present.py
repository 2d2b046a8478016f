"""What every output format shows of a finding, decided once.

- **Secrets in query strings** (``?token=…``, ``api_key=…``, ``sig=…``) are redacted to ``***``
  in the URL, the match and the snippet, as userinfo is. Only what is *shown* changes: the
  fingerprint, `ignore:` matching and baselines use the URL as scanned, so entries written
  before redaction existed keep matching.
- **Names that are not UTF-8** (a file ``caf\\xe9.js`` on a Linux disk reaches Python as a
  lone surrogate) are written with each such byte as ``\\xNN``, so every format is valid UTF-8;
  SARIF URIs percent-encode the original bytes instead (lossless).
- **Keys**: a minified identifier (``n``, ``yf``) names nothing; see :func:`shown_key`.
- **Text for a terminal** has control characters escaped (:func:`printable`), so a file name
  holding a newline and ``::warning::`` cannot become a line of its own in a CI log.
"""
from __future__ import annotations

import dataclasses
import functools
import re

# -- secrets in query strings ---------------------------------------------------------------

#: A query parameter whose name says it holds a secret: the word alone or as a part of the
#: name (`api_key`, `x-api-key`, `access_token`, `X-Amz-Signature`, `client_secret`).
_SECRET_WORDS = ("token", "api[_-]?key", "apikey", "key", "secret", "password", "passwd", "pwd", "auth",
                 "authorization", "sig", "signature", "credential", "credentials", "session", "jwt")
REDACTED = "***"


# The expressions of this module are compiled when first used (functools.cache): a report with
# no query string, no undecodable name and no hosted twin never pays for them (~5 ms of a cold run,
# most of it the surrogate ranges).
@functools.cache
def _secret_param() -> re.Pattern:
    return re.compile(
        r"(?P<head>(?:[?&;]|\\u0026|%26)(?:[A-Za-z0-9]+[_.-])*(?:" + "|".join(_SECRET_WORDS) + r")(?:[_.-][A-Za-z0-9]+)*"
        r"(?:=|%3[Dd]|\\u003[Dd]))(?P<value>[^&#\s\"'`<>\\;]+)",
        re.IGNORECASE,
    )


#: A part of every secret word above (lower case): ASCII text holding none of them needs no expression.
_SECRET_STEMS = ("token", "key", "secret", "pass", "pwd", "auth", "sig", "credential", "session", "jwt")


def redact_secrets(text: str) -> str:
    """``http://h/x?token=abc&mode=a`` -> ``http://h/x?token=***&mode=a``."""
    if "=" not in text and "%3" not in text and "\\u003" not in text:
        return text
    plain = text.replace("…", "")  # where a snippet was cut: set aside, the rest is often ASCII
    if plain.isascii():  # (beyond ASCII, case-insensitive matching knows more than lower(): `ſ` is `s`)
        low = plain.lower()
        if not any(stem in low for stem in _SECRET_STEMS):
            return text
    return _secret_param().sub(lambda m: m.group("head") + REDACTED, text)


# -- names that are not UTF-8 ----------------------------------------------------------------

@functools.cache
def _surrogates() -> tuple[re.Pattern, re.Pattern]:
    """(the surrogates `surrogateescape` makes of bytes, any surrogate)."""
    return re.compile("[\udc80-\udcff]"), re.compile("[\ud800-\udfff]")


def unsurrogate(text: str) -> str:
    """A str as Python decodes an undecodable file name (``surrogateescape``) -> valid text:
    each byte that was not UTF-8 becomes ``\\xNN``; any other lone surrogate ``\\uNNNN``."""
    if text.isascii():  # no surrogate: the common case, one C call
        return text
    try:
        text.encode("utf-8")  # strict UTF-8 refuses exactly the surrogates
        return text
    except UnicodeEncodeError:
        pass
    escaped, any_surrogate = _surrogates()
    text = escaped.sub(lambda m: f"\\x{ord(m.group()) - 0xDC00:02x}", text)
    return any_surrogate.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def raw_bytes(text: str) -> bytes:
    """The bytes a (possibly surrogate-escaped) name stands for."""
    try:
        return text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:  # a surrogate that no undecodable byte made
        return text.encode("utf-8", "surrogatepass")


# -- text for a terminal or a CI log ---------------------------------------------------------

_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def printable(text: object) -> str:
    """One line of inert text: C0/C1 controls (ESC too), line separators and bidi controls
    are escaped (``\\n``, ``\\x1b``, ``\\u202e``), so the text can neither start a new line
    nor colour, move or reorder what a terminal or a CI log shows."""
    s = unsurrogate(str(text))
    return _CONTROL.sub(lambda m: _NAMED.get(m.group()) or (f"\\x{ord(m.group()):02x}" if ord(m.group()) < 0x100
                                                             else f"\\u{ord(m.group()):04x}"), s)


# -- keys ---------------------------------------------------------------------------------------

#: Short names that do name something when a minifier has left them alone.
_SHORT_NAMES = frozenset({"url", "uri", "api", "src", "dsn", "host", "base", "href", "to", "ws", "wss", "cdn", "env"})
_SEPARATED = re.compile(r"[A-Za-z0-9][_.:-]|[_.:-][A-Za-z0-9]")


def shown_key(key: str | None) -> str | None:
    """The key as worth showing, or None for a minifier's name.

    A key names something when it has a separator (``VITE_STRIPE_BASE_URL``, ``data-api``,
    ``stripe.base``), is at least 4 characters (``apiBase``, ``href``), or is one of a few short
    words (``url``, ``api``, ``dsn``, …). Minifiers name variables with 1–3 characters (``n``,
    ``yf``, ``eAe``), which say nothing about what the URL is for. JSON keeps every key."""
    if not key:
        return None
    if _SEPARATED.search(key) or len(key) >= 4 or key.lower() in _SHORT_NAMES:
        return key
    return None


# -- source-map origins -----------------------------------------------------------------------

_PLACEHOLDER_SOURCE = re.compile(r"^(?:<[^<>]*>|\[[^\[\]]*\])$")


def placeholder_source(path: str) -> bool:
    """A source map's "source" that is a bundler placeholder, not a file: Parcel's ``<anon>``,
    ``<no source>``, ``[synthetic]``."""
    return bool(_PLACEHOLDER_SOURCE.match(path.strip()))


def origin_text(o) -> str:
    """``src/main.js:4:7 (npm package x) via index.js.map``, or what a placeholder means."""
    if placeholder_source(o.path):
        return f"no original file: the source map names the bundler placeholder {printable(o.path)} via {printable(o.map)}"
    lib = f" (npm package {o.library})" if o.library else ""
    return f"{printable(o.path)}:{o.line}:{o.column}{lib} via {printable(o.map)}"


# -- what matched ------------------------------------------------------------------------------

@functools.cache
def _wt_service() -> re.Pattern:
    return re.compile(r"^[a-z][a-z0-9+.-]*:(?://)?[^/]*wondertwin\.dev(?::\d+)?/twins/([A-Za-z0-9._-]+)", re.IGNORECASE)


def _twin_url_matchers(twin_urls) -> list[tuple[re.Pattern, str]]:
    from ..rulepack import SEP, RuleError, twin_url_pattern

    out = []
    for entry in twin_urls:
        spec, where = entry if isinstance(entry, tuple) else (entry, "--twin-url / twin_urls")
        try:
            pattern, _ = twin_url_pattern(spec)
        except RuleError:
            continue
        out.append((re.compile(pattern.replace(SEP, "/")), f"{where} `{spec}`"))
    return out


def what_matched(f, matchers) -> str | None:
    """What made this URL a twin URL, when the reason does not say it yet: the ``--twin-url``
    pattern or config entry for ``org-twin-url``, the hosted twin's service for
    ``wondertwin-hosted-url``. (``service-host-url`` reasons name the key and the service, and
    WonderTwin ports are named where the rule is decided.)"""
    if f.rule == "org-twin-url" and matchers:
        rest = f.url.split("//", 1)[-1].lower()
        hits = [where for rx, where in matchers if rx.match(rest)]
        if hits:
            return "matched " + " and ".join(hits)
    if f.rule == "wondertwin-hosted-url":
        m = _wt_service().match(f.url)
        if m:
            return f"matched *.wondertwin.dev/twins/: WonderTwin's hosted twin of {m.group(1)}"
        return "matched *.wondertwin.dev/twins: a WonderTwin-hosted twin"
    return None


# -- the report as every format shows it ------------------------------------------------------

def _clean(value):
    return unsurrogate(value) if isinstance(value, str) else value


def _shown_finding(f, matchers=(), joined: dict | None = None):
    """``f`` as shown; ``f`` itself when nothing about it changes (the common case: no copy per
    finding). ``joined`` shares the reason texts made here among the findings that have the same."""
    changes = {}
    for k in ("path", "reason", "key", "title", "environment"):
        v = getattr(f, k)
        c = _clean(v)
        if c is not v:
            changes[k] = c
    matched = what_matched(f, matchers)
    reason = changes.get("reason", f.reason)
    if matched and matched not in reason:
        pair = (reason, matched)
        text = joined.get(pair) if joined is not None else None
        if text is None:
            text = f"{reason}; {matched}"
            if joined is not None:
                joined[pair] = text
        changes["reason"] = text
    for k in ("url", "match", "snippet"):
        v = getattr(f, k)
        c = redact_secrets(_clean(v))
        if c is not v:
            changes[k] = c
    if f.origin is not None:
        o = f.origin
        path, map_ = _clean(o.path), _clean(o.map)
        if path is not o.path or map_ is not o.map:
            changes["origin"] = dataclasses.replace(o, path=path, map=map_)
    if f.suppression is not None:
        s = f.suppression
        reason_, source = _clean(s.reason), _clean(s.source)
        if reason_ is not s.reason or source is not s.source:
            changes["suppression"] = dataclasses.replace(s, reason=reason_, source=source)
    return dataclasses.replace(f, **changes) if changes else f


def shown(report):
    """A copy of ``report`` as every format shows it: secrets redacted, names valid UTF-8.
    ``report.extra["raw_paths"]`` maps each shown path back to the name on disk (for SARIF's
    lossless URIs)."""
    raw: dict[str, str] = {}

    def path(p: str) -> str:
        q = unsurrogate(p)
        if q != p:
            raw[q] = p
        return q

    matchers = _twin_url_matchers(report.twin_urls) if any(f.rule == "org-twin-url" for f in report.findings) else []
    joined: dict = {}
    findings = [_shown_finding(f, matchers, joined) for f in report.findings]
    suppressed = [_shown_finding(f, matchers, joined) for f in report.suppressed]
    for f in (*report.findings, *report.suppressed):
        path(f.path)
    errors = [dataclasses.replace(e, path=path(e.path), message=unsurrogate(e.message)) for e in report.errors]
    skipped = [dataclasses.replace(s, path=path(s.path), reason=unsurrogate(s.reason)) for s in report.skipped]
    extra = {**report.extra, "raw_paths": raw}
    return dataclasses.replace(report, findings=findings, suppressed=suppressed, errors=errors, skipped=skipped,
                               notes=[unsurrogate(n) for n in report.notes], extra=extra,
                               config_path=_clean(report.config_path))


# -- fix hints ---------------------------------------------------------------------------------

def fix_hints(findings) -> list[tuple[str, str]]:
    """(rule id, fix text) once per rule among the blocking ``findings`` (what blocks is what
    needs a next step), in order of first appearance."""
    from ..rulepack import load_builtin_rules

    fixes = {r.id: " ".join(r.fix.split()) for r in load_builtin_rules() if r.fix.strip()}
    out, seen = [], set()
    for f in findings:
        if f.blocking and f.rule not in seen:
            seen.add(f.rule)
            if f.rule in fixes:
                out.append((f.rule, fixes[f.rule]))
    return out
