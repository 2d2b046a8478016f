"""HTML: where in the page a hit sits — a comment, an attribute (of which tag), text, or an
inline script (then the JavaScript rules for context apply, offset by the script's start).

Prerendered pages (Next.js, Vite's `index.html` with `%VITE_X%` replaced) carry twin URLs in
`<meta content>`, `href`/`data-*` attributes, text nodes and inline scripts
(`self.__next_f.push(…)`, `window.__ENV__ = {…}`, `<script type="application/json">`).
A hand-rolled tokenizer is enough: it only has to find comment, tag and script
boundaries around the hits, and anything it cannot place stays "text" (which blocks).
"""
from __future__ import annotations

import re
from typing import Callable

from .hits import Hit
from .kind import Kind

MAX_PARSE = 16 << 20
_TOKEN = re.compile(rb"<!--|<(?:script|style)\b|<[a-zA-Z][^>]*>", re.I)
_ATTR = re.compile(rb"""([^\s"'<>/=]+)(?:\s*=\s*("[^"]*"|'[^']*'|[^\s"'=<>`]+))?""")
_TYPE = re.compile(rb"""\btype\s*=\s*["']?([^"'\s>]+)""", re.I)
_NAME = re.compile(rb"""\b(?:name|property|http-equiv|itemprop)\s*=\s*["']?([^"'\s>]+)""", re.I)
_JSON_TYPES = (b"application/json", b"application/ld+json", b"importmap", b"speculationrules")


def _regions(data: bytes) -> list[tuple[int, int, str, bytes]]:
    """(start, end, kind, detail): comment, script (detail: type), style, tag (detail: tag text)."""
    out = []
    i = 0
    low = None
    while True:
        m = _TOKEN.search(data, i)
        if m is None:
            return out
        tok = m.group(0)
        if tok == b"<!--":
            end = data.find(b"-->", m.end())
            end = len(data) if end < 0 else end + 3
            out.append((m.start(), end, "comment", b""))
            i = end
            continue
        if tok[:7].lower() in (b"<script", b"<style"[:7]) and tok[1:].lower().startswith((b"script", b"style")):
            name = b"script" if tok[1:].lower().startswith(b"script") else b"style"
            open_end = data.find(b">", m.end())
            if open_end < 0:
                return out
            if low is None:
                low = data.lower()
            close = low.find(b"</" + name, open_end + 1)
            close = len(data) if close < 0 else close
            opener = data[m.start():open_end + 1]
            out.append((m.start(), open_end + 1, "tag", opener))
            t = _TYPE.search(opener)
            out.append((open_end + 1, close, name.decode(), t.group(1).lower() if t else b""))
            i = close
            continue
        out.append((m.start(), m.end(), "tag", tok))
        i = m.end()


def _attribute(tag: bytes, rel: int) -> str | None:
    """The attribute whose value holds offset ``rel`` of the tag text (for `<meta>`: its name)."""
    for m in _ATTR.finditer(tag, 1):
        if m.group(2) is not None and m.start(2) <= rel < m.end(2):
            attr = m.group(1).decode("utf-8", "replace").lower()
            if attr == "content":
                n = _NAME.search(tag)
                if n:
                    return n.group(1).decode("utf-8", "replace")
            return attr
    return None


def annotate(hits: list[Hit], text: Callable[[int | None], bytes | None]) -> str | None:
    data = text(MAX_PARSE)
    if data is None:
        for hit in hits:
            hit.context = "unknown"
        return f"not parsed for context (larger than {MAX_PARSE >> 20} MiB): hits count as page text"
    regions = _regions(data)
    scripts: dict[int, tuple[tuple[int, int], list[tuple[Hit, Hit]]]] = {}
    for hit in hits:
        where = next((r for r in regions if r[0] <= hit.offset < r[1]), None)
        if where is None:
            hit.context, hit.key = "text", None
        elif where[2] == "comment":
            hit.context, hit.key = "comment", None
        elif where[2] == "tag":
            hit.context = "attribute"
            hit.key = _attribute(where[3], hit.offset - where[0])
        elif where[2] == "script" and where[3] not in _JSON_TYPES:
            sub = Hit(hit.offset - where[0], hit.end - where[0], hit.line_prefix, quote=hit.quote,
                      after=hit.after, quietable=hit.quietable, port_computed=hit.port_computed)
            scripts.setdefault(where[0], ((where[0], where[1]), []))[1].append((hit, sub))
        else:  # JSON data blocks and styles: values, keyed from the line
            from .hits import generic

            hit.context = "string" if hit.quote else "value"
            generic([hit])
    for (a, b), pairs in scripts.values():
        from . import javascript

        body = data[a:b]
        javascript.annotate([s for _, s in pairs], lambda limit=None, body=body: body)
        for hit, sub in pairs:
            hit.context, hit.key = sub.context, sub.key
    return None


KIND = Kind("html", globs=("*.html", "*.htm"), annotate=annotate, hook=(), name_env="part")
