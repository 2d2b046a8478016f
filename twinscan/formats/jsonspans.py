"""JSON read for the byte offsets of its strings.

``json.loads`` gives values but not where they are, and a finding must point at the
bytes as written (escapes included): the ``Env`` entry of an image config, the string of
a source map a hit sits in. So this parser is written by hand: it walks the bytes once,
returns a tree whose strings are :class:`Span` (byte offsets, decoded on demand), and
lets a subclass watch the walk (:meth:`SpanParser.on_string`, ``on_member``,
``on_close``) and stop it early by raising. Bounds: ``max_depth`` limits nesting before
Python's recursion limit would (a source map needs 5 levels); every error is a
:class:`JsonSyntaxError` with the byte offset.

Strings are not validated inside (escapes, control characters): callers either ran
``json.loads`` first (image configs) or decode only the strings they need.
"""
from __future__ import annotations

import json
import re
from typing import Any, NamedTuple

_WS = re.compile(rb"[ \t\r\n]*")
_SCALAR = re.compile(rb"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?|true|false|null")
# what Python's json module accepts besides (allow_nan: the input was checked with json.loads)
_SCALAR_NAN = re.compile(rb"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?|true|false|null|NaN|-?Infinity")


class JsonSyntaxError(ValueError):
    def __init__(self, pos: int, msg: str):
        super().__init__(f"{msg} at byte {pos}")
        self.pos, self.msg = pos, msg


class Span(NamedTuple):
    """A JSON string: ``start`` is the byte after the opening quote, ``end`` the closing quote,
    so ``data[start:end]`` is the text as written (escapes included)."""

    start: int
    end: int

    def decode(self, data: bytes) -> str:
        return json.loads(data[self.start - 1:self.end + 1])

    def token(self, data: bytes) -> bytes:
        """The string with its quotes."""
        return data[self.start - 1:self.end + 1]


class SpanParser:
    """The tree of a JSON document with :class:`Span` for strings: dicts keyed by the decoded
    key, lists, and None for every scalar (numbers, true, false, null).

    The hooks run during the walk, in document order; a subclass raises to stop early.
    """

    def __init__(self, data: bytes, max_depth: int | None = None, allow_nan: bool = False):
        self.b = data
        self.max_depth = max_depth
        self._scalar = _SCALAR_NAN if allow_nan else _SCALAR

    # -- hooks ---------------------------------------------------------------
    def on_string(self, path: tuple, span: Span) -> None:
        """A string value (not a key) at ``path`` (keys and array indexes from the root)."""

    def on_member(self, path: tuple, key: str, value: Any, start: int, end: int) -> None:
        """An object member at ``path`` read, its value from byte ``start`` to ``end``."""

    def on_close(self, path: tuple, empty: bool) -> None:
        """The object at ``path`` read to its closing brace."""

    # -- the walk ------------------------------------------------------------
    def err(self, pos: int, msg: str) -> JsonSyntaxError:
        return JsonSyntaxError(pos, msg)

    def ws(self, pos: int) -> int:
        return _WS.match(self.b, pos).end()

    def string_end(self, pos: int) -> int:
        """``pos`` is at the opening quote; returns the offset just past the closing one."""
        b = self.b
        i = pos + 1
        while True:
            q = b.find(b'"', i)
            if q < 0:
                raise self.err(pos, "unterminated string")
            j = q - 1
            while b[j] == 0x5C:  # backslash
                j -= 1
            if (q - 1 - j) % 2 == 0:
                return q + 1
            i = q + 1

    def key(self, start: int, end: int) -> str:
        """The decoded key whose token spans [start, end)."""
        raw = self.b[start:end]
        if b"\\" not in raw:
            return raw[1:-1].decode("utf-8", "replace")
        return string_token(raw) or ""

    def parse(self, pos: int = 0) -> tuple[Any, int]:
        """The value starting at or after ``pos`` (whitespace skipped) and the offset past it."""
        return self.value(self.ws(pos), (), 0)

    def value(self, pos: int, path: tuple, depth: int) -> tuple[Any, int]:
        b = self.b
        if pos >= len(b):
            raise self.err(pos, "unexpected end")
        c = b[pos]
        if c == 0x22:  # "
            end = self.string_end(pos)
            span = Span(pos + 1, end - 1)
            self.on_string(path, span)
            return span, end
        if self.max_depth is not None and depth >= self.max_depth:
            raise self.err(pos, f"nested more than {self.max_depth} deep")
        if c == 0x7B:  # {
            obj: dict = {}
            pos = self.ws(pos + 1)
            if pos < len(b) and b[pos] == 0x7D:
                self.on_close(path, True)
                return obj, pos + 1
            while True:
                if pos >= len(b) or b[pos] != 0x22:
                    raise self.err(pos, "expected a key")
                kend = self.string_end(pos)
                key = self.key(pos, kend)
                pos = self.ws(kend)
                if pos >= len(b) or b[pos] != 0x3A:
                    raise self.err(pos, "expected ':'")
                vstart = self.ws(pos + 1)
                obj[key], pos = self.value(vstart, path + (key,), depth + 1)
                self.on_member(path, key, obj[key], vstart, pos)
                pos = self.ws(pos)
                if pos < len(b) and b[pos] == 0x2C:
                    pos = self.ws(pos + 1)
                    continue
                if pos < len(b) and b[pos] == 0x7D:
                    self.on_close(path, False)
                    return obj, pos + 1
                raise self.err(pos, "expected ',' or '}'")
        if c == 0x5B:  # [
            items: list = []
            pos = self.ws(pos + 1)
            if pos < len(b) and b[pos] == 0x5D:
                return items, pos + 1
            i = 0
            while True:
                v, pos = self.value(pos, path + (i,), depth + 1)
                items.append(v)
                pos = self.ws(pos)
                i += 1
                if pos < len(b) and b[pos] == 0x2C:
                    pos = self.ws(pos + 1)
                    continue
                if pos < len(b) and b[pos] == 0x5D:
                    return items, pos + 1
                raise self.err(pos, "expected ',' or ']'")
        m = self._scalar.match(b, pos)
        if not m:
            raise self.err(pos, f"unexpected {chr(c)!r}")
        return None, m.end()


def string_token(raw: bytes) -> str | None:
    """Decode one JSON string token (with its quotes); None when it is not one."""
    try:
        v = json.loads(raw.decode("utf-8", "replace"), strict=False)
    except ValueError:
        return None
    return v if isinstance(v, str) else None


def char_offsets(raw: bytes) -> list[int]:
    """Byte offset in ``raw`` (a JSON string body as written) of each decoded character, plus the end."""
    offs, i, n = [], 0, len(raw)
    while i < n:
        offs.append(i)
        b = raw[i]
        if b == 0x5C:  # backslash
            if raw[i + 1:i + 2] == b"u":
                cp = int(raw[i + 2:i + 6], 16)
                if 0xD800 <= cp < 0xDC00 and raw[i + 6:i + 8] == b"\\u":
                    try:
                        low = int(raw[i + 8:i + 12], 16)
                    except ValueError:
                        low = 0
                    if 0xDC00 <= low < 0xE000:
                        i += 12
                        continue
                i += 6
            else:
                i += 2
        else:
            i += 1 if b < 0x80 else 2 if b < 0xE0 else 3 if b < 0xF0 else 4
    offs.append(n)
    return offs
