"""What every part of the source-map reader shares: its error, its size limit, path helpers."""
from __future__ import annotations

import re

DEFAULT_LIMIT = 64 << 20  # bytes of map JSON
INT_MAX = (1 << 31) - 1
SCHEME = re.compile(r"\A([A-Za-z][A-Za-z0-9+.-]*):")


class SourceMapError(Exception):
    """A source map that cannot be used; the message is one line and names the map."""


def dirname(path: str) -> str:
    i = path.rfind("/")
    return path[: i + 1] if i >= 0 else ""


def normjoin(base_dir: str, rel: str) -> str:
    import posixpath

    joined = posixpath.normpath(base_dir + rel) if base_dir or rel else rel
    return joined



def mib(n: int) -> str:
    return f"{n / (1 << 20):.1f} MiB" if n >= 1 << 20 else f"{n} bytes"



def join_root(root: str, source: str) -> str:
    if not root:
        return source
    return root + source if root.endswith("/") else root + "/" + source

