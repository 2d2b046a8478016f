"""Decide: is a finding blocking, and why. Plus its rebuild-stable fingerprint."""
from __future__ import annotations

import hashlib
import re

from .extract import INERT_CONTEXTS
from .model import Target
from .rulepack import Rule

# `index-BdtEMBbM.js`, `page-3f9a1c2b4d5e6f70.js`, `main.3f9a1c2b.chunk.js`: content hashes.
_HASH = re.compile(r"(?<=[-.])(?=[A-Za-z0-9_]*[0-9A-Z])[A-Za-z0-9_]{8,64}(?=\.)")
_HEX_DIR = re.compile(r"(?<=/)[0-9a-f]{16,64}(?=/)")


def logical_path(path: str) -> str:
    """The path with content hashes replaced, so fingerprints survive rebuilds."""
    p = path.replace("\\", "/")
    head, _, name = p.rpartition("/")
    name = _HASH.sub("[hash]", name)
    return _HEX_DIR.sub("[hash]", f"{head}/{name}" if head else name)


def fingerprint(rule_id: str, url: str, path: str) -> str:
    data = "\0".join((rule_id, url, logical_path(path))).encode("utf-8")
    return hashlib.sha256(data).hexdigest()[:32]


def decide(target: Target, rule: Rule, context: str) -> tuple[bool, str]:
    if not target.production:
        return False, f"not a production target ({target.environment}): {target.reason}"
    if context in INERT_CONTEXTS:
        return False, f"production target, but {INERT_CONTEXTS[context]}"
    if rule.severity != "error":
        return False, f"production target ({target.reason}); rule severity is {rule.severity}"
    return True, f"production target: {target.reason}"
