"""Which JSON string of a `.map` file holds a byte offset (a hit inside the map itself): the key,
the array index, the source it belongs to and the line and column inside `sourcesContent`.

One pass over the JSON with :class:`twinscan.formats.jsonspans.SpanParser`, stopping as soon
as the answer is known; nothing is json-decoded but the strings needed.
"""
from __future__ import annotations

import bisect
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
    """Finds the string tokens holding any of ``offsets`` (sorted) in one walk; stops once
    every offset's answer is known."""

    def __init__(self, b: bytes, offsets: list[int]) -> None:
        super().__init__(b, max_depth=_MAX_DEPTH)
        self.offsets = offsets
        self.hits: dict[int, tuple[tuple, int, int]] = {}  # offset -> (path, start, end) of its string token
        self.sources: dict[tuple, list[tuple[int, int]]] = {}  # object path -> token spans of `sources`
        self.roots: dict[tuple, tuple[int, int]] = {}  # object path -> token span of `sourceRoot`
        self.closed: set[tuple] = set()  # objects read to their end
        self.pending = 0  # offsets found whose description still waits for `sources`/`sourceRoot`

    def err(self, pos: int, msg: str) -> SourceMapError:
        return SourceMapError(f"invalid JSON in source map at byte {pos}: {msg}")

    def known(self, path: tuple) -> bool:
        """Everything needed to describe a hit in the string at ``path`` has been read."""
        if len(path) >= 2 and path[-2] in ("sourcesContent", "sources") and isinstance(path[-1], int):
            return path[:-2] in self.sources and (path[-2] == "sources" or path[:-2] in self.roots
                                                  or path[:-2] in self.closed)
        return True

    def done(self) -> bool:
        if len(self.hits) < len(self.offsets):
            return False
        if self.pending:
            self.pending = sum(1 for h in self.hits.values() if not self.known(h[0]))
        return not self.pending

    def on_string(self, path: tuple, span: Span) -> None:
        pos, end = span.start - 1, span.end + 1
        offs = self.offsets
        i = bisect.bisect_left(offs, pos)  # offsets in [pos, end - 1): the quote itself counts
        found = False
        while i < len(offs) and offs[i] < end - 1:
            self.hits[offs[i]] = (path, pos, end)
            found = True
            i += 1
        if found:
            if not self.known(path):
                self.pending += 1
            if self.done():
                raise _Found

    def on_member(self, path: tuple, key: str, value, start: int, end: int) -> None:
        if key == "sources" and isinstance(value, list):
            self.sources[path] = [(s.start - 1, s.end + 1) if isinstance(s, Span) else (start, start) for s in value]
            if self.pending and self.done():
                raise _Found
        elif key == "sourceRoot" and isinstance(value, Span):
            self.roots[path] = (start, end)

    def on_close(self, path: tuple, empty: bool) -> None:
        self.closed.add(path)
        if not empty and self.pending and self.done():
            raise _Found


def _decode_prefix(body: bytes) -> str:
    """JSON string content up to some point (possibly inside an escape) → its text."""
    return _decode(body)[0]


def _decode(body: bytes) -> tuple[str, bool]:
    """Like :func:`_decode_prefix`, and whether all of ``body`` was decoded (it ends between escapes)."""
    import json

    text = body.decode("utf-8", "replace")
    for cut in range(0, 7):
        part = text[: len(text) - cut] if cut else text
        try:
            return json.loads('"' + part + '"', strict=False), cut == 0
        except ValueError:
            continue
    raise SourceMapError("invalid JSON string escape in source map")


def locate_in_map(map_bytes: bytes, offset: int) -> MapLocation | None:
    """Which JSON string of a map holds byte ``offset``; see the module docstring."""
    if not isinstance(offset, int):
        return None
    found = locate_all_in_map(map_bytes, [offset]).get(offset)
    if isinstance(found, SourceMapError):
        raise found
    return found


def locate_all_in_map(map_bytes: bytes, offsets: list[int]) -> dict[int, MapLocation | SourceMapError | None]:
    """:func:`locate_in_map` for many offsets in one walk over the JSON (offset -> location).

    A map with thousands of hits in ``sourcesContent`` is read once, and the line and column
    inside one source are counted on from the previous hit in it, never from its start.
    An offset whose answer the JSON broke off before maps to that SourceMapError (the others
    keep their answers, as :func:`locate_in_map` gives them one at a time)."""
    b = bytes(map_bytes)
    wanted = sorted({o for o in offsets if isinstance(o, int) and 0 <= o < len(b)})
    out: dict[int, MapLocation | SourceMapError | None] = {o: None for o in offsets if isinstance(o, int)}
    if not wanted:
        return out
    loc = _Locator(b, wanted)
    start = 3 if b.startswith(b"\xef\xbb\xbf") else 0
    if b.startswith(b")]}", start):
        nl = b.find(b"\n", start)
        start = nl + 1 if nl >= 0 else len(b)
    error: SourceMapError | None = None
    try:
        pos = loc.ws(start)
        if pos >= len(b) or b[pos] != 0x7B:
            raise loc.err(pos, "a source map is a JSON object")
        loc.value(pos, (), 0)
    except _Found:
        pass
    except RecursionError:
        error = SourceMapError("invalid JSON in source map: nested too deeply")
    except SourceMapError as exc:
        error = exc
    counted: dict[int, tuple[int, int, int]] = {}  # string start -> (byte reached, lines, column) there
    for offset in wanted:
        if offset in loc.hits and (error is None or loc.known(loc.hits[offset][0])):
            out[offset] = _describe(loc, b, offset, counted)
        elif error is not None:  # the JSON broke before this answer was known
            out[offset] = error
    return out


def _describe(loc: _Locator, b: bytes, offset: int, counted: dict[int, tuple[int, int, int]]) -> MapLocation | None:
    path, s, e = loc.hits[offset]
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
        # offsets arrive in order: count on from the last point of this string that ended between escapes
        at, line, column = counted.get(s, (s + 1, 1, 1))
        text, whole = _decode(b[at:offset]) if offset >= at else _decode(b[s + 1:offset])
        if offset < at:
            line, column = 1, 1
        nl = text.count("\n")
        line += nl
        column = len(text) - (text.rfind("\n") + 1) + 1 if nl else column + len(text)
        if whole:
            counted[s] = (offset, line, column)
    return MapLocation(key, index, source, line, column)
