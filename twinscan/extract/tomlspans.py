"""TOML strings with their full key path and byte span.

tomllib (tomli before Python 3.11) validates and decodes a document but gives no positions,
and a finding must point at the bytes as written. :func:`strings` walks the text once more
with a small scanner that knows TOML's shapes (table and array-of-tables headers, dotted and
quoted keys, inline tables, arrays, the four string forms, comments) and yields every string
value with its key path from the root, so deploy configs whose environment lives in the table
(`[context.deploy-preview.environment]`, `[env.staging.vars]`) can be read whatever way the
file spells the table: a header, a dotted key or an inline table.

The scanner trusts tomllib for validity: :func:`parse` runs tomllib first, and the decoded
value of each string comes from the tomllib document, looked up by the path.
"""
from __future__ import annotations

import re
from typing import Any, Iterator, NamedTuple

from .values import ExtractError

_WS = re.compile(rb"[ \t]*")
_WS_NL = re.compile(rb"(?:[ \t\r\n]|#[^\n]*)*")
_BARE = re.compile(rb"[A-Za-z0-9_-]+")
_SCALAR = re.compile(rb"[^\s,\]\}#]+(?:[ T][0-9][^\s,\]\}#]*)?")


class TomlString(NamedTuple):
    path: tuple  # keys (str) and array indexes (int) from the root
    value: str  # decoded, from tomllib
    start: int  # the string's text as written (escapes included), without its quotes
    end: int


def parse(data: bytes) -> dict:
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib  # type: ignore[no-redef]
    try:
        return tomllib.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as e:
        raise ExtractError(f"invalid TOML: {e}") from None


def lookup(doc: Any, path: tuple) -> Any:
    for part in path:
        if isinstance(part, int):
            doc = doc[part] if isinstance(doc, list) and part < len(doc) else None
        else:
            doc = doc.get(part) if isinstance(doc, dict) else None
    return doc


def strings(data: bytes, doc: dict | None = None) -> list[TomlString]:
    """Every string value of the document (raises ExtractError for invalid TOML)."""
    if doc is None:
        doc = parse(data)
    out = []
    for path, start, end in _Scanner(data).walk():
        value = lookup(doc, path)
        if isinstance(value, str):
            out.append(TomlString(path, value, start, end))
    return out


class _Scanner:
    def __init__(self, data: bytes) -> None:
        self.b = data
        self.pos = 3 if data.startswith(b"\xef\xbb\xbf") else 0
        self.tables: dict[tuple, int] = {}  # array-of-tables path -> last index

    def walk(self) -> Iterator[tuple[tuple, int, int]]:
        b = self.b
        table: tuple = ()
        while True:
            self.pos = _WS_NL.match(b, self.pos).end()
            if self.pos >= len(b):
                return
            if b[self.pos:self.pos + 2] == b"[[":
                key, self.pos = self.key(self.pos + 2)
                self.pos = b.index(b"]]", self.pos) + 2
                index = self.tables[key] = self.tables.get(key, -1) + 1
                table = self._through_arrays(key) + (index,)  # [[a.b]] under [[a]]: a's last element
            elif b[self.pos:self.pos + 1] == b"[":
                key, self.pos = self.key(self.pos + 1)
                self.pos = b.index(b"]", self.pos) + 1
                table = self._through_arrays(key)
            else:
                key, self.pos = self.key(self.pos)
                self.pos = _WS.match(b, self.pos).end()
                if b[self.pos:self.pos + 1] != b"=":
                    return  # tomllib accepted the file: only an unexpected form gets here
                self.pos = _WS.match(b, self.pos + 1).end()
                yield from self.value((*table, *key))

    def _through_arrays(self, key: tuple) -> tuple:
        """A header path with the index of each array of tables it passes through."""
        out: list = []
        for i, part in enumerate(key):
            out.append(part)
            prefix = tuple(key[:i + 1])
            if prefix in self.tables and prefix != key:
                out.append(self.tables[prefix])
        return tuple(out)

    def key(self, pos: int) -> tuple[tuple, int]:
        """A (dotted) key starting at *pos*: its parts and the offset past it."""
        b = self.b
        parts = []
        while True:
            pos = _WS.match(b, pos).end()
            q = b[pos:pos + 1]
            if q in (b'"', b"'"):
                end = self.string_end(pos + 1, q)
                parts.append(_decode_key(b[pos:end + 1]))
                pos = end + 1
            else:
                m = _BARE.match(b, pos)
                if not m:
                    raise ExtractError(f"unexpected TOML at byte {pos}")
                parts.append(m.group().decode())
                pos = m.end()
            pos = _WS.match(b, pos).end()
            if b[pos:pos + 1] != b".":
                return tuple(parts), pos
            pos += 1

    def string_end(self, start: int, quote: bytes) -> int:
        """Offset of the closing quote(s) of a string whose text starts at *start*."""
        b = self.b
        if quote in (b'"', b'"""'):
            i = start
            while i < len(b):
                if b[i] == 0x5C:  # backslash
                    i += 2
                    continue
                if b.startswith(quote, i):
                    return i + _extra_quotes(b, i, quote)
                i += 1
            raise ExtractError("unterminated TOML string")
        end = b.find(quote, start)
        if end < 0:
            raise ExtractError("unterminated TOML string")
        return end + _extra_quotes(b, end, quote)

    def value(self, path: tuple) -> Iterator[tuple[tuple, int, int]]:
        b = self.b
        c = b[self.pos:self.pos + 1]
        if c in (b'"', b"'"):
            quote = c * 3 if b.startswith(c * 3, self.pos) else c
            start = self.pos + len(quote)
            if len(quote) == 3:
                if b.startswith(b"\r\n", start):
                    start += 2
                elif b.startswith(b"\n", start):
                    start += 1  # a newline right after the opening quotes is not part of the string
            end = self.string_end(start, quote)
            self.pos = end + len(quote)
            yield path, start, end
        elif c == b"{":
            self.pos += 1
            while True:
                self.pos = _WS.match(b, self.pos).end()
                if b[self.pos:self.pos + 1] == b"}":
                    self.pos += 1
                    return
                key, self.pos = self.key(self.pos)
                self.pos = _WS.match(b, self.pos).end() + 1  # =
                self.pos = _WS.match(b, self.pos).end()
                yield from self.value((*path, *key))
                self.pos = _WS.match(b, self.pos).end()
                if b[self.pos:self.pos + 1] == b",":
                    self.pos += 1
        elif c == b"[":
            self.pos += 1
            i = 0
            while True:
                self.pos = _WS_NL.match(b, self.pos).end()
                if b[self.pos:self.pos + 1] == b"]":
                    self.pos += 1
                    return
                yield from self.value((*path, i))
                i += 1
                self.pos = _WS_NL.match(b, self.pos).end()
                if b[self.pos:self.pos + 1] == b",":
                    self.pos += 1
        else:
            m = _SCALAR.match(b, self.pos)
            self.pos = m.end() if m else self.pos + 1


def _extra_quotes(b: bytes, i: int, quote: bytes) -> int:
    """Quotes before a multi-line string's closing three that belong to the text (at most two)."""
    if len(quote) < 3:
        return 0
    run = 3
    while run < 5 and b[i + run:i + run + 1] == quote[:1]:
        run += 1
    return run - 3


def _decode_key(token: bytes) -> str:
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib  # type: ignore[no-redef]
    return tomllib.loads("k = " + token.decode("utf-8", "replace"))["k"]
