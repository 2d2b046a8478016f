"""The user cache directory twinscan keeps derived files in, and how they are written.

Compiled Hyperscan databases (engine.py), parsed shipped data (shipped.py) and the kinds' claim
table (extract/claimcache.py) live here, never inside the scanned tree, which is read-only. Every write is atomic and best effort: a
concurrent run sees the old file or the new one, and a read-only or full cache directory only
means the work is done again next time.

Entries are keyed by what they were made from (a version, a file's size and mtime, a pattern set),
so every upgrade and every new set of ``--twin-url`` patterns adds files, and the old ones are
never asked for again. Each write therefore prunes: past :data:`MAX_FILES` entries or :data:`MAX_BYTES`, the
least recently written go (a live entry so pruned is made again on its next use), and so do
temporary files a killed run left behind.
"""
from __future__ import annotations

import os
import time

#: The most entries kept (a run uses ~20: the shipped data files, a database or two, the claim table).
MAX_FILES = 256
#: The most bytes kept (a Hyperscan database is ~0.5 MB).
MAX_BYTES = 64 << 20
#: A temporary file older than this is a killed run's: removed.
STALE_TMP_SECONDS = 3600
#: The names written here: Hyperscan databases (engine.py), parsed shipped data (shipped.py, and
#: its earlier hashed form), the kinds' claim table (extract/claimcache.py), temporary files.
_OURS = (r"hs-[0-9a-f]{32}\.db|data-[0-9a-f]{32}\.json|data-[0-9]+-[A-Za-z0-9._+-]+\.json"
         r"|kinds-[0-9]+-[0-9a-f]{8}\.json|\.tmp-[A-Za-z0-9_]+")


def cache_dir() -> str:
    """``$TWINSCAN_CACHE_DIR``, else ``$XDG_CACHE_HOME/twinscan``, else ``~/.cache/twinscan``."""
    explicit = os.environ.get("TWINSCAN_CACHE_DIR")
    if explicit:
        return explicit
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "twinscan")


def write_atomic(path: str, data: bytes) -> None:
    """Write *data* to *path* through a temporary file and a rename, then :func:`prune` the
    directory; any error is swallowed."""
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
        return
    finally:
        if tmp is not None:
            try:
                os.unlink(tmp)
            except OSError:
                pass
    prune(os.path.dirname(path), keep=path)


def prune(directory: str, keep: str | None = None, max_files: int | None = None, max_bytes: int | None = None) -> None:
    """Remove the oldest entries of the cache *directory* (by modification time) until at most
    *max_files* of them (default :data:`MAX_FILES`), of at most *max_bytes* together (default
    :data:`MAX_BYTES`), are left; and temporary files older
    than :data:`STALE_TMP_SECONDS`. *keep* (the entry just written) stays. Only names of the
    forms this package writes (:data:`_OURS`) are considered: a directory named by
    ``$TWINSCAN_CACHE_DIR`` may hold other files. Best effort: a file another run removes first,
    or one that cannot be removed, is passed over."""
    import re

    max_files = MAX_FILES if max_files is None else max_files
    max_bytes = MAX_BYTES if max_bytes is None else max_bytes
    ours = re.compile(_OURS)
    entries = []
    now = time.time()
    try:
        with os.scandir(directory) as it:
            for e in it:
                name = e.name
                if e.path == keep or not ours.fullmatch(name):
                    continue
                try:
                    st = e.stat(follow_symlinks=False)
                except OSError:
                    continue
                if name.startswith(".tmp-"):
                    if now - st.st_mtime > STALE_TMP_SECONDS:
                        _remove(e.path)
                    continue
                entries.append((st.st_mtime_ns, name, e.path, st.st_size))
    except OSError:
        return
    if keep is not None:
        try:
            max_bytes -= os.stat(keep).st_size
            max_files -= 1
        except OSError:
            pass
    entries.sort(reverse=True)  # newest first
    total = 0
    for i, (_, _, entry, size) in enumerate(entries):
        total += size
        if i >= max_files or total > max_bytes:
            _remove(entry)


def _remove(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass
