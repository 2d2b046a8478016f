"""Which JSON string of a `.map` file holds a byte offset (a hit inside the map itself): the key,
the array index, the source it belongs to and the line and column inside `sourcesContent`.

One pass over the JSON with :class:`twinscan.formats.jsonspans.SpanParser`, stopping as soon
as the answer is known; nothing is json-decoded but the strings needed.
"""
from __future__ import annotations

from typing import NamedTuple

from ...formats.jsonspans import Span, SpanParser, string_token
from .common import SourceMapError, join_root

_MAX_DEPTH = 32  # JSON nesting locate_in_map accepts (a real map needs 5)


class MapLocation(NamedTuple):
    key: str
    index: int | None
    source: str | None
    line: int | None
    column: int | None



class _Found(Exception):
    pass


class _Locator(SpanParser):
    def __init__(self, b: bytes, offset: int) -> None:
        super().__init__(b, max_depth=_MAX_DEPTH)
        self.offset = offset
        self.hit: tuple[tuple, int, int] | None = None  # (path, start, end) of the string token
        self.sources: dict[tuple, list[tuple[int, int]]] = {}  # object path -> token spans of `sources`
        self.roots: dict[tuple, tuple[int, int]] = {}  # object path -> token span of `sourceRoot`
        self.closed: set[tuple] = set()  # objects read to their end

    def err(self, pos: int, msg: str) -> SourceMapError:
        return SourceMapError(f"invalid JSON in source map at byte {pos}: {msg}")

    def done(self) -> bool:
        """The hit is known and so is everything needed to describe it."""
        if self.hit is None:
            return False
        path = self.hit[0]
        if len(path) >= 2 and path[-2] in ("sourcesContent", "sources") and isinstance(path[-1], int):
            return path[:-2] in self.sources and (path[-2] == "sources" or path[:-2] in self.roots
                                                  or path[:-2] in self.closed)
        return True

    def on_string(self, path: tuple, span: Span) -> None:
        pos, end = span.start - 1, span.end + 1
        if pos < self.offset < end - 1 or pos == self.offset:
            self.hit = (path, pos, end)
            if self.done():
                raise _Found

    def on_member(self, path: tuple, key: str, value, start: int, end: int) -> None:
        if key == "sources" and isinstance(value, list):
            self.sources[path] = [(s.start - 1, s.end + 1) if isinstance(s, Span) else (start, start) for s in value]
            if self.done():
                raise _Found
        elif key == "sourceRoot" and isinstance(value, Span):
            self.roots[path] = (start, end)

    def on_close(self, path: tuple, empty: bool) -> None:
        self.closed.add(path)
        if not empty and self.done():
            raise _Found


def _decode_prefix(body: bytes) -> str:
    """JSON string content up to some point (possibly inside an escape) → its text."""
    import json

    text = body.decode("utf-8", "replace")
    for cut in range(0, 7):
        part = text[: len(text) - cut] if cut else text
        try:
            return json.loads('"' + part + '"', strict=False)
        except ValueError:
            continue
    raise SourceMapError("invalid JSON string escape in source map")


def locate_in_map(map_bytes: bytes, offset: int) -> MapLocation | None:
    """Which JSON string of a map holds byte ``offset``; see the module docstring."""
    b = bytes(map_bytes)
    if not isinstance(offset, int) or not 0 <= offset < len(b):
        return None
    loc = _Locator(b, offset)
    start = 3 if b.startswith(b"\xef\xbb\xbf") else 0
    if b.startswith(b")]}", start):
        nl = b.find(b"\n", start)
        start = nl + 1 if nl >= 0 else len(b)
    try:
        pos = loc.ws(start)
        if pos >= len(b) or b[pos] != 0x7B:
            raise loc.err(pos, "a source map is a JSON object")
        loc.value(pos, (), 0)
    except _Found:
        pass
    except RecursionError:
        raise SourceMapError("invalid JSON in source map: nested too deeply") from None
    if loc.hit is None:
        return None
    path, s, e = loc.hit
    if not path or not isinstance(path[0], str):
        return None
    index = path[-1] if isinstance(path[-1], int) else None
    keypath = path[:-1] if index is not None else path
    key = ""
    for part in keypath:
        key += f"[{part}]" if isinstance(part, int) else (("." if key else "") + part)
    leaf = keypath[-1] if keypath else ""
    source = line = column = None
    if leaf in ("sourcesContent", "sources") and index is not None:
        obj = keypath[:-1]
        spans = loc.sources.get(obj, [])
        if index < len(spans) and spans[index][1] > spans[index][0]:
            name = string_token(b[spans[index][0]:spans[index][1]])
            if name is not None:
                root_span = loc.roots.get(obj)
                root = string_token(b[root_span[0]:root_span[1]]) if root_span else None
                source = join_root(root or "", name)
    if leaf == "sourcesContent" and index is not None:
        text = _decode_prefix(b[s + 1:offset])
        line = text.count("\n") + 1
        column = len(text) - (text.rfind("\n") + 1) + 1
    return MapLocation(key, index, source, line, column)
