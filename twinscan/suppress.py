"""Suppressions: `ignore:` entries in config and the baseline file.

Both are applied after the scan (``apply``), so parallel workers never see them. Matching uses
what survives a rebuild — the rule, the normalised URL and the path (as reported, relative to
the config or baseline file, and with content hashes stripped) — never line numbers, which
shift on every rebuild of a minified bundle.
"""
from __future__ import annotations

import datetime
import json
import os
import re
from dataclasses import dataclass, field, replace
from typing import Any, Iterable, Sequence

from .decide import fingerprint, logical_path
from .errors import ConfigError
from .model import Finding, Suppression
from .site import is_url, url_path

ENTRY_KEYS = ("rule", "url", "path", "reason", "expires")
BASELINE_NAME = ".twinscan-baseline.json"
BASELINE_VERSION = 1
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


class BaselineError(ValueError):
    """A baseline file is missing or invalid (exit code 2)."""


def _today() -> datetime.date:
    return datetime.date.today()


def _short(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _url_regex(pattern: str) -> re.Pattern:
    """`*` matches any run of characters (`/` included); a trailing `/*` also matches the bare
    origin. Everything else is literal (URLs contain `?` and `[`), compared without case."""
    if "*" not in pattern:
        from .urls import parse_at

        raw = pattern.encode("utf-8", "replace")
        url = parse_at(b" " + raw, 1, True) if pattern.startswith("//") else parse_at(raw, 0, False)
        if url is not None and url.end == len(raw) + (1 if pattern.startswith("//") else 0):
            pattern = url.normalized()
        return re.compile(re.escape(pattern), re.IGNORECASE)
    tail = ""
    if pattern.endswith("/*"):
        pattern, tail = pattern[:-2], "(?:/.*)?"
    body = ".*".join(re.escape(part) for part in pattern.split("*"))
    return re.compile(body + tail, re.IGNORECASE | re.DOTALL)


def relative_path(path: str, base: str, outside: bool = False) -> str | None:
    """``path`` (as reported) relative to the directory ``base``; None when it is outside
    (unless ``outside``: then `../…`)."""
    try:
        rel = os.path.relpath(os.path.abspath(path), base)
    except ValueError:  # another drive (Windows)
        return None
    rel = rel.replace(os.sep, "/")
    return None if not outside and (rel == ".." or rel.startswith("../")) else rel


def _clean(path: str) -> str:
    if is_url(path):  # a site scan's resource: its URL path (`assets/index-….js`), whatever the host
        return url_path(path)
    p = path.replace("\\", "/")
    while p.startswith("./"):
        p = p[2:]
    return p


@dataclass(frozen=True)
class IgnoreEntry:
    """One `ignore:` entry: what it matches, why, and until when."""

    number: int  # 1-based position in the `ignore` list
    source: str  # the config file
    reason: str
    rule: str | None = None
    url: str | None = None
    path: str | None = None
    expires: datetime.date | None = None
    base: str = "."  # the directory `path` globs are relative to (the config file's)
    _url_re: Any = field(default=None, compare=False, repr=False)
    _path_spec: Any = field(default=None, compare=False, repr=False)

    def label(self) -> str:
        return f"suppression #{self.number} (reason \"{_short(self.reason)}\", {self.source})"

    def expired(self, today: datetime.date) -> bool:
        return self.expires is not None and today >= self.expires

    def matches(self, f: Finding, paths: Sequence[str]) -> bool:
        if self.rule is not None and f.rule != self.rule:
            return False
        if self._url_re is not None and not self._url_re.fullmatch(f.url):
            return False
        if self._path_spec is not None and not any(self._path_spec.match_file(p) for p in paths):
            return False
        return True


def parse_ignore(value: Any, where: str) -> list[IgnoreEntry]:
    """Validate the `ignore` key of a config file; errors name the file and the entry."""
    if not isinstance(value, list):
        raise ConfigError(f"{where}: `ignore` must be a list of entries, each with `reason` and at least one of `rule`, `url`, `path`")
    base = os.path.dirname(os.path.abspath(where)) if where and os.path.basename(where) else os.getcwd()
    known_rules: list[str] | None = None
    entries = []
    for n, item in enumerate(value, 1):
        at = f"{where}: `ignore` entry #{n}"
        if not isinstance(item, dict):
            raise ConfigError(f"{at}: must be a mapping with `reason` and at least one of `rule`, `url`, `path`")
        unknown = [str(k) for k in item if k not in ENTRY_KEYS]
        if unknown:
            raise ConfigError(f"{at}: unknown key `{unknown[0]}` (known keys: {', '.join(ENTRY_KEYS)})")
        reason = item.get("reason")
        if not isinstance(reason, str) or not reason.strip():
            raise ConfigError(f"{at}: `reason` is required: say why this finding is acceptable (it is shown with every finding it hides)")
        for key in ("rule", "url", "path"):
            v = item.get(key)
            if v is not None and (not isinstance(v, str) or not v.strip()):
                raise ConfigError(f"{at}: `{key}` must be a non-empty string")
        if not any(item.get(k) for k in ("rule", "url", "path")):
            raise ConfigError(f"{at}: give at least one of `rule`, `url`, `path` (an entry with only a reason would hide everything)")
        rule = item.get("rule")
        if rule is not None:
            if known_rules is None:
                from .rulepack import load_builtin_rules

                known_rules = sorted(r.id for r in load_builtin_rules())
            if rule not in known_rules:
                raise ConfigError(f"{at}: unknown rule `{rule}` (known rules: {', '.join(known_rules)})")
        expires = item.get("expires")
        if expires is not None:
            if isinstance(expires, datetime.datetime):
                expires = expires.date()
            elif isinstance(expires, str) and _DATE.fullmatch(expires.strip()):
                try:
                    expires = datetime.date.fromisoformat(expires.strip())
                except ValueError:
                    raise ConfigError(f"{at}: `expires` is not a valid date: {expires!r}") from None
            elif not isinstance(expires, datetime.date):
                raise ConfigError(f"{at}: `expires` must be a date written YYYY-MM-DD, e.g. 2027-06-30")
        url = item.get("url")
        path = item.get("path")
        spec = None
        if path is not None:
            path = path.strip()
            if path.startswith("!"):
                raise ConfigError(f"{at}: `path` cannot be a negated pattern (`!…`); name what to suppress")
            from .globs import gitignore_spec

            lines = [path]
            if not any(c in path for c in "*?[") and logical_path(path) != path:
                # a path copied from a report (`dist/assets/index-DeyCErs_.js`) keeps matching
                # after a rebuild renames the file: compare with content hashes stripped too
                lines.append(logical_path(path).replace("[", "\\[").replace("]", "\\]"))
            try:
                spec = gitignore_spec(lines)
            except (ValueError, TypeError) as exc:
                raise ConfigError(f"{at}: `path` is not a valid glob: {exc}") from None
        entries.append(IgnoreEntry(
            number=n, source=where, reason=reason.strip(), rule=rule, url=url.strip() if url else None, path=path,
            expires=expires, base=base, _url_re=_url_regex(url.strip()) if url else None, _path_spec=spec,
        ))
    return entries


# -- baseline -----------------------------------------------------------------
@dataclass
class Baseline:
    path: str  # the file, as named
    base: str  # its directory (absolute): entry paths are relative to it
    entries: dict[str, dict]  # fingerprint -> entry


def baseline_fingerprint(f: Finding, base: str) -> tuple[str, str]:
    """(fingerprint, logical path) of a finding as a baseline in ``base`` records it: the path
    is taken relative to the baseline's directory (`../dist/…` when the baseline lives in a
    subdirectory), so the scan's working directory does not matter."""
    rel = relative_path(f.path, base, outside=True) if "<" not in f.path and not is_url(f.path) else None
    path = logical_path(rel if rel is not None else _clean(f.path))
    return fingerprint(f.rule, f.url, path), path


def load_baseline(path: str) -> Baseline:
    def bad(why: str) -> BaselineError:
        return BaselineError(f"{path}: not a valid twinscan baseline: {why} (regenerate it with `twinscan baseline`)")

    try:
        with open(path, "rb") as f:
            raw = f.read()
    except FileNotFoundError:
        raise BaselineError(f"{path}: baseline file not found (create it with `twinscan baseline -o {path}`)") from None
    except OSError as exc:
        raise BaselineError(f"{path}: cannot read baseline: {exc.strerror or exc}") from None
    try:
        doc = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise bad(f"invalid JSON: {exc}") from None
    if not isinstance(doc, dict) or doc.get("version") != BASELINE_VERSION or not isinstance(doc.get("entries"), list):
        raise bad(f"expected an object with \"version\": {BASELINE_VERSION} and an \"entries\" list")
    entries: dict[str, dict] = {}
    for i, e in enumerate(doc["entries"], 1):
        if not isinstance(e, dict) or not isinstance(e.get("fingerprint"), str) or not e["fingerprint"]:
            raise bad(f"entry #{i} has no \"fingerprint\"")
        entries[e["fingerprint"]] = e
    return Baseline(path=path, base=os.path.dirname(os.path.abspath(path)), entries=entries)


def baseline_document(findings: Iterable[Finding], path: str, previous: Baseline | None = None,
                      today: datetime.date | None = None) -> dict:
    """The baseline for ``findings``, written to ``path``: sorted, no line numbers, and
    `first_seen` kept from ``previous`` so regenerating does not churn."""
    from . import __version__

    base = os.path.dirname(os.path.abspath(path))
    day = (today or _today()).isoformat()
    from .report.present import redact_secrets, unsurrogate

    entries: dict[str, dict] = {}
    for f in findings:
        fp, logical = baseline_fingerprint(f, base)
        if fp in entries:
            continue
        old = previous.entries.get(fp) if previous else None
        first = old.get("first_seen") if old and isinstance(old.get("first_seen"), str) else day
        # shown as every report shows them (secrets redacted, names valid UTF-8); matching is by fingerprint
        entries[fp] = {"fingerprint": fp, "rule": f.rule, "url": redact_secrets(f.url), "path": unsurrogate(logical),
                       "first_seen": first}
    ordered = sorted(entries.values(), key=lambda e: (e["path"], e["rule"], e["url"], e["fingerprint"]))
    return {"version": BASELINE_VERSION, "tool": {"name": "twinscan", "version": __version__}, "entries": ordered}


def write_baseline(findings: Sequence[Finding], path: str, today: datetime.date | None = None) -> int:
    """Write the baseline file; returns the number of entries. Refuses to overwrite a file that
    is not a baseline (a typo in `-o` must not destroy `package.json`)."""
    previous = None
    if os.path.exists(path):
        try:
            previous = load_baseline(path)
        except BaselineError:
            raise BaselineError(f"{path}: exists and is not a twinscan baseline; refusing to overwrite it") from None
    doc = baseline_document(findings, path, previous, today)
    text = json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
    tmp = f"{path}.tmp{os.getpid()}"
    try:
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    except OSError as exc:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise BaselineError(f"{path}: cannot write baseline: {exc.strerror or exc}") from None
    return len(doc["entries"])


# -- applying -----------------------------------------------------------------
@dataclass
class Outcome:
    active: list[Finding]
    suppressed: list[Finding]
    notes: list[str]


def apply(findings: Sequence[Finding], entries: Sequence[IgnoreEntry] = (), baseline: Baseline | None = None,
          today: datetime.date | None = None) -> Outcome:
    """Split findings into active and suppressed (config entries first, then the baseline), and
    say which suppressions expired or matched nothing."""
    today = today or _today()
    used = {e.number: 0 for e in entries}
    expired_hits = {e.number: 0 for e in entries}
    baseline_used: set[str] = set()
    path_cache: dict[tuple[str, str], list[str]] = {}
    active: list[Finding] = []
    suppressed: list[Finding] = []

    def candidates(path: str, base: str) -> list[str]:
        key = (path, base)
        if key not in path_cache:
            shown = _clean(path)
            out = [shown]
            rel = relative_path(path, base) if "<" not in path and not is_url(path) else None
            if rel is not None and rel != shown:
                out.append(rel)
            out += [lp for lp in map(logical_path, list(out)) if lp not in out]
            path_cache[key] = out
        return path_cache[key]

    for f in findings:
        hit: Suppression | None = None
        for e in entries:
            if not e.matches(f, candidates(f.path, e.base)):
                continue
            if e.expired(today):
                expired_hits[e.number] += 1
                continue
            used[e.number] += 1
            hit = Suppression("config", e.reason, e.source, e.expires.isoformat() if e.expires else None)
            break
        if hit is None and baseline is not None:
            fp, _ = baseline_fingerprint(f, baseline.base)
            entry = baseline.entries.get(fp)
            if entry is not None:
                baseline_used.add(fp)
                first = entry.get("first_seen")
                why = f"in the baseline since {first}" if isinstance(first, str) else "in the baseline"
                hit = Suppression("baseline", why, baseline.path)
        if hit is None:
            active.append(f)
        else:
            suppressed.append(replace(f, suppression=hit, blocking=False))

    notes: list[str] = []
    for e in entries:
        if e.expired(today):
            n = expired_hits[e.number]
            if n:
                again = "the finding it matches is" if n == 1 else f"the {n} findings it matches are"
                notes.append(f"{e.label()} expired on {e.expires.isoformat()}: {again} active again")
            else:
                notes.append(f"{e.label()} expired on {e.expires.isoformat()} and matched nothing in this run: remove it")
        elif not used[e.number]:
            notes.append(f"{e.label()} matched nothing in this run: remove it if what it hid is fixed "
                         "(or this run did not scan the files it names)")
    if baseline is not None:
        stale = len(baseline.entries) - len(baseline_used)
        if stale:
            what = "1 baseline entry" if stale == 1 else f"{stale} baseline entries"
            notes.append(f"{what} in {baseline.path} matched nothing in "
                         "this run (fixed, or not scanned this time); regenerate it with `twinscan baseline`")
    return Outcome(active, suppressed, notes)
