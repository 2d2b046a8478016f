"""Extract: give each candidate hit its context (string, comment, …) and the key it is assigned to.

One module per artifact kind. Only files with hits get here, so the heavier
parsers (tree-sitter) are imported and run only then.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable

#: Contexts in which a URL is reported but never blocks.
INERT_CONTEXTS = {"comment": "the URL is only in a comment", "regex": "the URL is only in a regular expression"}


@dataclass
class Hit:
    offset: int  # byte offset in the decoded text
    end: int
    line_prefix: bytes  # up to 256 bytes before the hit on the same line
    key: str | None = None
    context: str = "value"
    quote: str = ""  # the byte before the URL when it opens a string: " ' `
    comment_free: bool = False  # proven not inside a comment (JavaScript), no parse needed


_KEY = re.compile(rb"""([A-Za-z_$][\w$.-]*)["']?\s*(?:=|:)\s*["'`]?\s*$""")


def generic(hits: list[Hit]) -> None:
    """Any text: the key is whatever `KEY=`, `key:` or `"key":` precedes the URL on its line."""
    for hit in hits:
        m = _KEY.search(hit.line_prefix[-96:])  # the key sits right before the value
        if m:
            hit.key = m.group(1).decode("utf-8", "replace")


def annotate(kind: str, hits: list[Hit], text: Callable[[int | None], bytes | None]) -> str | None:
    """Fill in key and context per kind; returns a note when context could not be computed."""
    if kind == "javascript":
        from . import javascript

        return javascript.annotate(hits, text)
    if kind == "dotenv":
        from . import dotenv

        dotenv.annotate(hits, text)
        return None
    generic(hits)
    return None
