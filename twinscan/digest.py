"""SHA-256 without importing hashlib where CPython has its own built in.

hashlib loads OpenSSL first (~3 ms of a pre-commit run, issue 14); CPython's built-in module
imports in ~0.4 ms and gives the same digest. Used for finding fingerprints (decide.py) and the
keys and checksums of cached Hyperscan databases (engine.py).
"""
from __future__ import annotations

import functools


@functools.lru_cache(maxsize=None)
def sha256():
    """The ``sha256`` constructor: ``sha256(data).hexdigest()``."""
    for name in ("_sha2", "_sha256"):  # 3.12+, then 3.10–3.11
        try:
            return __import__(name).sha256
        except (ImportError, AttributeError):
            continue
    import hashlib  # a build without the built-in hashes (FIPS)

    return hashlib.sha256
