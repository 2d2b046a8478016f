"""The user cache directory twinscan keeps derived files in, and how they are written.

Compiled Hyperscan databases (engine.py), parsed shipped data (shipped.py) and the kinds' claim
table (extract/claimcache.py) live here, never inside the scanned tree, which is read-only. Every write is atomic and best effort: a
concurrent run sees the old file or the new one, and a read-only or full cache directory only
means the work is done again next time.
"""
from __future__ import annotations

import os


def cache_dir() -> str:
    """``$TWINSCAN_CACHE_DIR``, else ``$XDG_CACHE_HOME/twinscan``, else ``~/.cache/twinscan``."""
    explicit = os.environ.get("TWINSCAN_CACHE_DIR")
    if explicit:
        return explicit
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "twinscan")


def write_atomic(path: str, data: bytes) -> None:
    """Write *data* to *path* through a temporary file and a rename; any error is swallowed."""
    import tempfile

    tmp = None
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=os.path.dirname(path))
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
        tmp = None
    except Exception:  # noqa: BLE001 - read-only or full cache directory: done again next time
        pass
    finally:
        if tmp is not None:
            try:
                os.unlink(tmp)
            except OSError:
                pass
