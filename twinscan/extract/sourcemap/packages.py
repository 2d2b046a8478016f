"""Which npm package a source path belongs to (``node_modules/…``, pnpm, Vite's pre-bundled deps)."""
from __future__ import annotations

import re

_PKG = re.compile(r"\A(?:@[a-z0-9][a-z0-9._~-]*/)?[a-z0-9][a-z0-9._~-]*\Z")


def _pkg(name: str) -> str | None:
    name = name.strip()
    return name if len(name) <= 214 and _PKG.match(name.lower()) else None


def _vite_dep(file: str) -> str | None:
    stem = file[:-3] if file.endswith(".js") else file[:-4] if file.endswith(".mjs") else None
    if not stem or stem.startswith(("chunk-", "_")):
        return None
    stem = stem.split("___")[-1]  # nested deps: parent > child
    name = stem.replace("__", "\0").replace("_", "/").replace("\0", ".")
    parts = name.split("/")
    if parts[0].startswith("@"):
        return _pkg("/".join(parts[:2])) if len(parts) >= 2 else None
    return _pkg(parts[0])


def library_of(source: str) -> str | None:
    """The npm package name when ``source`` lies under ``node_modules/``; else None."""
    if not source or "node_modules" not in source:
        return None
    path = source.replace("\\", "/").split("?", 1)[0].split("#", 1)[0]
    i = path.rfind("node_modules/")
    if i < 0 or (i > 0 and path[i - 1] != "/" and ":" not in path[i - 1:i]):
        return None
    parts = [p for p in path[i + len("node_modules/"):].split("/") if p and p != "."]
    if not parts:
        return None
    head = parts[0]
    if head == ".vite":
        if len(parts) >= 3 and parts[1].startswith("deps"):
            return _vite_dep(parts[2])
        return None
    if head == ".pnpm":  # node_modules/.pnpm/<name>@<version>[_peers]/ without an inner node_modules
        if len(parts) < 2:
            return None
        spec = parts[1]
        at = spec.find("@", 1)
        name = spec[:at] if at > 0 else spec
        return _pkg(name.replace("+", "/", 1) if name.startswith("@") else name)
    if head.startswith("@"):
        return _pkg(head + "/" + parts[1]) if len(parts) >= 2 else None
    return _pkg(head)

