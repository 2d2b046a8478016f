"""Decide: is a finding blocking, and why. Plus its rebuild-stable fingerprint."""
from __future__ import annotations

import hashlib
import re
from typing import Iterable

from .extract import INERT_CONTEXTS
from .model import Finding, Target
from .rulepack import Rule

# `index-BdtEMBbM.js`, `page-3f9a1c2b4d5e6f70.js`, `main.3f9a1c2b.chunk.js`: content hashes.
# Vite/Rollup hashes are 8 base64url characters, so `-` may occur inside one (`index-BLjdwE-d.js`).
_HASH = re.compile(r"(?<=[-.])(?=[A-Za-z0-9_-]*[0-9A-Z])(?:[A-Za-z0-9_]{8,64}|[A-Za-z0-9_-]{8})(?=\.)")
_HEX_DIR = re.compile(r"(?<=/)[0-9a-f]{16,64}(?=/)")


def logical_path(path: str) -> str:
    """The path with content hashes replaced, so fingerprints survive rebuilds."""
    p = path.replace("\\", "/")
    head, _, name = p.rpartition("/")
    name = _HASH.sub("[hash]", name)
    return _HEX_DIR.sub("[hash]", f"{head}/{name}" if head else name)


def fingerprint(rule_id: str, url: str, path: str) -> str:
    data = "\0".join((rule_id, url, logical_path(path))).encode("utf-8", "surrogateescape")
    return hashlib.sha256(data).hexdigest()[:32]


#: `--fail-on` / `fail_on`: the lowest rule severity that blocks in production (`note` never does).
FAIL_ON = ("error", "warning")
_RANK = {"note": 0, "warning": 1, "error": 2}


def blocks_at(severity: str, fail_on: str = "error") -> bool:
    return fail_on in FAIL_ON and _RANK.get(severity, 0) >= _RANK[fail_on]


def _below(severity: str, fail_on: str) -> str:
    return f"rule severity {severity} is below --fail-on {fail_on}"


def decide(target: Target, rule: Rule, context: str, fail_on: str = "error", library: str | None = None) -> tuple[bool, str]:
    """``library``: why the hit is library internals (a known default, a source map into
    node_modules/); only ever given for rules with ``quiet_in_library_code``."""
    if not target.production:
        return False, f"not a production target ({target.environment}): {target.reason}"
    if context in INERT_CONTEXTS:
        return False, f"production target, but {INERT_CONTEXTS[context]}"
    if library:
        return False, f"production target, but library code: {library}"
    if not blocks_at(rule.severity, fail_on):
        return False, f"production target ({target.reason}); {_below(rule.severity, fail_on)}"
    return True, f"production target: {target.reason}"


def apply_fail_on(findings: Iterable[Finding], fail_on: str) -> int:
    """Re-decide findings for a `--fail-on` threshold other than the default `error`, after the
    scan (workers always decide at `error`). A finding blocks when it is in a production target,
    not inert (comment, regex) and its rule severity is at or above the threshold. Returns how
    many findings became blocking."""
    changed = 0
    for f in findings:
        # only findings that were non-blocking for their severity alone (not inert, not library code)
        if f.blocking or _below(f.severity, "error") not in f.reason or not blocks_at(f.severity, fail_on):
            continue
        f.blocking = True
        below = _below(f.severity, "error")
        now = f"rule severity {f.severity} blocks with --fail-on {fail_on}"
        f.reason = f.reason.replace(below, now) if below in f.reason else f"{f.reason}; {now}"
        changed += 1
    return changed
