"""JSON with comments (JSONC: `wrangler.jsonc`, `tsconfig.json`) read for byte offsets.

:func:`blank` turns JSONC into JSON of the same length: comments (`//…`, `/*…*/`) and
trailing commas become spaces (line breaks kept), so every offset into the result is an
offset into the file as written, and jsonspans.SpanParser reads it. The comments are
returned too: a URL inside one is reported, never taken for a value.
"""
from __future__ import annotations

from .jsonspans import JsonSyntaxError


def blank(data: bytes) -> tuple[bytes, list[tuple[int, int]]]:
    """(JSON bytes of the same length, [(start, end) of each comment])."""
    out = bytearray(data)
    comments: list[tuple[int, int]] = []
    last_comma = -1  # offset of a comma not yet followed by a value
    i, n = 0, len(data)
    while i < n:
        c = data[i]
        if c == 0x22:  # a string: skip to its closing quote
            j = i + 1
            while j < n and data[j] != 0x22:
                j += 2 if data[j] == 0x5C else 1
            if j >= n:
                raise JsonSyntaxError(i, "unterminated string")
            i = j + 1
            last_comma = -1
            continue
        if c == 0x2F and data[i + 1:i + 2] in (b"/", b"*"):  # a comment
            if data[i + 1] == 0x2F:
                end = data.find(b"\n", i)
                end = n if end < 0 else end
            else:
                end = data.find(b"*/", i + 2)
                if end < 0:
                    raise JsonSyntaxError(i, "unterminated comment")
                end += 2
            comments.append((i, end))
            for k in range(i, end):
                if out[k] not in (0x0A, 0x0D):
                    out[k] = 0x20
            i = end
            continue
        if c == 0x2C:
            last_comma = i
        elif c in (0x7D, 0x5D):  # } ]: a comma right before it is a trailing comma
            if last_comma >= 0:
                out[last_comma] = 0x20
            last_comma = -1
        elif c not in (0x20, 0x09, 0x0A, 0x0D):
            last_comma = -1
        i += 1
    return bytes(out), comments
