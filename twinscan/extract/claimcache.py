"""The kinds' claim table (registry.claims) kept in the user cache directory between runs.

The key is twinscan's version and the size and modification time of every source file of
this package (the kind modules declare the globs; kind.py turns them into expressions;
registry.py orders them), so editing any of them means computing the table again, as Python
keys its bytecode cache. Reading costs a directory listing, a stat per file and one small
JSON file: well under a millisecond, against ~25 ms for importing the kind modules.

Any problem (no cache yet, unreadable, damaged, written for other sources, read-only directory)
means computing the table from the kind modules, as without a cache.
"""
from __future__ import annotations

import json
import os

from .kind import Claim

_FORMAT = "2"  # bump when the cached shape changes
_HERE = os.path.dirname(os.path.abspath(__file__))


def source_key(root: str = _HERE) -> str:
    """Name, size and modification time of every `.py` file under *root*, in a stable order."""
    parts = []
    stack = [(root, "")]
    while stack:
        folder, prefix = stack.pop()
        with os.scandir(folder) as entries:
            for entry in entries:
                if entry.name.endswith(".py"):
                    st = entry.stat()
                    parts.append(f"{prefix}{entry.name}:{st.st_size}:{st.st_mtime_ns}")
                elif entry.name != "__pycache__" and entry.is_dir():
                    stack.append((entry.path, f"{prefix}{entry.name}/"))
    return ";".join(sorted(parts))


def locate() -> tuple[str, str | None]:
    """(the key of the current sources, the cache file or None when there is no cache directory)."""
    import zlib

    from .. import __version__
    from ..usercache import cache_dir

    try:
        key = f"{_FORMAT}-{__version__}-{source_key()}"
        # one file per installed copy (a checkout and an installed wheel do not take turns rewriting it)
        return key, os.path.join(cache_dir(), f"kinds-{_FORMAT}-{zlib.crc32(_HERE.encode()):08x}.json")
    except Exception:  # noqa: BLE001 - no home directory, unreadable package directory: no cache
        return "", None


def read(path: str, key: str, names: tuple[str, ...]) -> tuple[Claim, ...] | None:
    """The table stored at *path* when it was written for *key* and lists *names* in order, else None."""
    try:
        with open(path, "rb") as f:
            doc = json.loads(f.read())
        if doc["key"] != key:
            return None
        table = tuple(Claim(name, name_rx, path_rx, bool(sniff), tuple(tails) if tails is not None else None,
                            bool(structured), tuple(folders) if folders is not None else None)
                      for name, name_rx, path_rx, sniff, tails, structured, folders in doc["kinds"])
    except (OSError, ValueError, KeyError, TypeError):  # none yet, or damaged: compute it
        return None
    return table if tuple(c.name for c in table) == names else None


def write(path: str, key: str, table: tuple[Claim, ...]) -> None:
    """Store *table* for *key* (atomic, best effort: see usercache.py)."""
    from ..usercache import write_atomic

    write_atomic(path, json.dumps({"key": key, "kinds": table}, separators=(",", ":")).encode("utf-8"))
