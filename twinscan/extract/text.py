"""Plain text (`.txt`, `.css`, `.svg`, `.xml`, Next.js `.rsc` payloads), and every file no
other kind claims: the key is whatever `KEY=`, `key:` or `"key":` precedes the URL."""
from __future__ import annotations

from .hits import generic
from .kind import Kind


def annotate(hits, text) -> None:
    generic(hits)


KIND = Kind("text", globs=("*.rsc", "*.txt", "*.css", "*.svg", "*.xml"), annotate=annotate, hook=(),
            name_env="part")
