"""Source maps (ECMA-426, "version 3"): which original source a hit in a bundle came from.

Pure standard library; the scanner imports this module only when a bundle has a hit.
Every failure on bad input is a :class:`SourceMapError` with a one-line message that
names the map (``where``); nothing else escapes from the public functions.

API
---
``find_map(bundle_path, text_tail, read, *, notes=None, limit=DEFAULT_LIMIT) -> MapRef | None``
    The map of a bundle. The last ``//# sourceMappingURL=…`` (or ``//@``, or CSS
    ``/*# sourceMappingURL=… */``) that starts a line in ``text_tail`` (the end of the
    bundle, bytes) wins. ``data:`` URIs (``application/json``, optional ``charset``,
    base64 or percent-encoded) are inline maps; a relative URL is resolved against
    the bundle's directory (query and fragment dropped, percent-escapes decoded).
    Network URLs (``http:``, ``https:``, ``//host``…), ``file:`` URLs and
    absolute paths (their web root is unknown) are ignored with a note. With no
    usable comment, ``<bundle>.map`` is used when ``read`` finds it. If the tail
    looks like the inside of a long inline data URI cut off by the tail, the whole
    bundle is read once through ``read`` to find its start.
    ``read(path) -> bytes`` is the scanner's own (size-limited) reader; it may return
    ``None`` or raise ``OSError`` (or ``ValueError``) when the file is missing or
    unreadable. This module opens no file itself. Human-readable notes (URL
    ignored, referenced map missing, …) are appended to ``notes`` when a list is given.

``MapRef``: ``kind`` ("inline" | "file"), ``where`` (the map's path, or ``"<inline>"``),
    ``base`` (the path sources resolve against: the map file, or the bundle for an
    inline map), ``data`` (the map's bytes). ``MapRef.load()`` parses it.

``SourceMap.parse(data, where, *, base=None, limit=DEFAULT_LIMIT) -> SourceMap``
    Checks the JSON, ``version`` 3, ``sources``/``names``/``sourceRoot``/
    ``sourcesContent`` types, the characters of ``mappings``, and index maps
    (``sections`` with ``offset {line, column}`` and an embedded ``map``; ``url``
    sections and nested index maps are refused). Maps over ``limit`` bytes are
    refused. ``mappings`` are decoded lazily, one line at a time, when a position
    is looked up; decoding a line also checks its VLQs (bad character, unterminated
    continuation, value beyond 2^31) and its source/name indexes, so
    :meth:`SourceMap.original` can raise :class:`SourceMapError` too.
    :meth:`SourceMap.validate` decodes everything.

``SourceMap.original(line, column, line_text=None) -> Mapped | None``
    ``line`` is the 1-based generated line, ``column`` the 1-based generated column in
    **Unicode code points** (as the scanner reports it). Source maps count columns in
    UTF-16 code units; the two differ only after a character outside the BMP (an
    emoji) on the same line. Pass ``line_text`` (``str`` or UTF-8 ``bytes``: the
    generated line from its start; its first ``column - 1`` characters are enough)
    to convert exactly; without it the column is taken as is.
    ``SourceMap.original_utf16(line, column0)`` takes the raw 0-based UTF-16 column.
    The answer is the nearest segment at or before that column on that line (None
    when there is none or it maps to nothing). ``Mapped.source`` is the source as
    the map names it with ``sourceRoot`` applied, ``Mapped.path`` that source
    resolved against the map's location, ``line``/``column`` are 1-based (the column
    in code points when the map embeds the source text, else in UTF-16 units),
    ``name`` the original identifier or None, ``library`` the npm package.
    ``Mapped.distance`` is how far (UTF-16 units) the position lies after the start
    of the segment used: a string literal that came from the source has a segment of
    its own, so a hit in it is 1 or 2 units from one (the quote); text a bundler
    synthesised (Vite's inlined ``import.meta.env`` object, webpack's JSON modules) has
    none, and the nearest segment before it belongs to unrelated code. Pass
    ``max_distance`` to get None instead of such a guess.
    ``Mapped.origin(map_label)`` builds a :class:`twinscan.model.Origin`.

``library_of(source) -> str | None``
    The npm package a source path belongs to (``node_modules/@sentry/browser/…`` →
    ``@sentry/browser``; pnpm ``.pnpm/axios@1.7.0/node_modules/axios/…`` → ``axios``;
    ``webpack://app/./node_modules/axios/lib/…`` → ``axios``; Vite's pre-bundled
    ``node_modules/.vite/deps/react-dom_client.js`` → ``react-dom``, its shared
    ``chunk-XXXX.js`` → None).

``locate_in_map(map_bytes, offset) -> MapLocation | None``
    For a hit at byte ``offset`` of a ``.map`` file: which JSON string holds it.
    ``MapLocation(key, index, source, line, column)``: ``key`` is the top-level key
    (``"sourcesContent"``, ``"sources"``, ``"mappings"``, …; inside an index map
    ``"sections[2].map.sourcesContent"``), ``index`` the array index or None,
    ``source`` the matching ``sources[index]`` (with ``sourceRoot``) for
    ``sourcesContent``/``sources`` hits, and for ``sourcesContent`` the 1-based
    ``line`` (split on ``\\n``) and ``column`` (code points) of the offset in the
    original text after JSON unescaping. One pass over the JSON tokens, stopping as
    soon as the answer is known; nothing is json-decoded but the strings needed.
    None when the offset is not inside a string value; SourceMapError on malformed
    JSON met before the answer.
"""
from __future__ import annotations

import re
from array import array
from bisect import bisect_right
from typing import Callable, NamedTuple

from .kind import Kind

DEFAULT_LIMIT = 64 << 20  # bytes of map JSON
_MAX_DEPTH = 32  # JSON nesting locate_in_map accepts (a real map needs 5)
_CACHE_LINES = 8  # fully decoded lines kept per map
_CHECKPOINT = 32  # decoding state is remembered every this many lines
_SEG_CACHE_MAX = 1 << 16


class SourceMapError(Exception):
    """A source map that cannot be used; the message is one line and names the map."""


# ---------------------------------------------------------------------------------------
# Results


class Mapped(NamedTuple):
    source: str | None  # as the map names it (sourceRoot applied); None for a null source
    line: int  # 1-based original line
    column: int  # 1-based original column
    name: str | None
    path: str | None  # source resolved against the map's location
    distance: int = 0  # UTF-16 units from the segment's start to the position looked up

    @property
    def library(self) -> str | None:
        return library_of(self.source) if self.source else None

    def origin(self, map_label: str):
        from ..model import Origin

        return Origin(path=self.source or "", line=self.line, column=self.column, map=map_label,
                      library=self.library)


class MapLocation(NamedTuple):
    key: str
    index: int | None
    source: str | None
    line: int | None
    column: int | None


class MapRef(NamedTuple):
    kind: str  # "inline" or "file"
    where: str  # the map file's path, or "<inline>"
    base: str  # what sources resolve against: the map file, or the bundle for an inline map
    data: bytes
    limit: int = DEFAULT_LIMIT

    def load(self) -> "SourceMap":
        return SourceMap.parse(self.data, self.where, base=self.base, limit=self.limit)


# ---------------------------------------------------------------------------------------
# Finding a bundle's map

_MARKER = re.compile(rb"(?m)(?://|/\*)[#@][ \t]*sourceMappingURL=([^\s'\"`]*)[ \t]*(?:\*/)?[ \t]*\r?$")
_B64_TAIL = re.compile(rb"\A[A-Za-z0-9+/=%._~!$&'()*,;:@-]+\s*\Z")  # inside a data: URI
_SCHEME = re.compile(r"\A([A-Za-z][A-Za-z0-9+.-]*):")
_DATA = re.compile(r"\Adata:([^,]*),", re.S)


def _note(notes: list[str] | None, text: str) -> None:
    if notes is not None:
        notes.append(text)


def _read(read: Callable[[str], bytes], path: str) -> bytes | None:
    try:
        data = read(path)
    except (OSError, ValueError):
        return None
    return None if data is None else bytes(data)


def _dirname(path: str) -> str:
    i = path.rfind("/")
    return path[: i + 1] if i >= 0 else ""


def _normjoin(base_dir: str, rel: str) -> str:
    import posixpath

    joined = posixpath.normpath(base_dir + rel) if base_dir or rel else rel
    return joined


def _last_url(text: bytes) -> str | None:
    url = None
    for m in _MARKER.finditer(text):
        url = m.group(1)
    if url is None:
        return None
    s = url.decode("utf-8", "replace")
    if s.endswith("*/"):
        s = s[:-2]
    return s


def _inline(url: str, where_bundle: str, notes: list[str] | None, limit: int) -> bytes | None:
    m = _DATA.match(url)
    if not m:
        _note(notes, f"{where_bundle}: malformed data: URI in sourceMappingURL")
        return None
    params = [p.strip().lower() for p in m.group(1).split(";")]
    mediatype, b64 = params[0], "base64" in params[1:]
    if mediatype not in ("application/json", "text/json", "text/plain", "application/octet-stream", ""):
        _note(notes, f"{where_bundle}: inline source map has media type {mediatype!r}, not JSON; ignored")
        return None
    payload = url[m.end():]
    if len(payload) > limit * 4 // 3 + 8:
        _note(notes, f"{where_bundle}: inline source map is over the {_mib(limit)} limit; ignored")
        return None
    if b64:
        import binascii

        clean = re.sub(r"[^A-Za-z0-9+/]", "", payload.replace("-", "+").replace("_", "/"))
        clean += "=" * (-len(clean) % 4)
        try:
            return binascii.a2b_base64(clean.encode("ascii"))
        except (binascii.Error, ValueError):
            _note(notes, f"{where_bundle}: inline source map is not valid base64; ignored")
            return None
    from urllib.parse import unquote_to_bytes

    return unquote_to_bytes(payload)


def find_map(bundle_path: str, text_tail: bytes | str, read: Callable[[str], bytes], *,
             notes: list[str] | None = None, limit: int = DEFAULT_LIMIT) -> MapRef | None:
    """The source map of ``bundle_path``; see the module docstring."""
    tail = text_tail.encode("utf-8", "surrogateescape") if isinstance(text_tail, str) else bytes(text_tail)
    url = _last_url(tail)
    if url is None and tail and b"\n" not in tail.rstrip() and _B64_TAIL.match(tail):
        whole = _read(read, bundle_path)  # a long inline data: URI that starts before the tail
        if whole is not None:
            url = _last_url(whole[-(limit * 4 // 3 + 4096):])
    fallback = bundle_path + ".map"
    if url is not None:
        url = url.strip()
        if url.lower().startswith("data:"):
            data = _inline(url, bundle_path, notes, limit)
            return MapRef("inline", "<inline>", bundle_path, data, limit) if data is not None else None
        scheme = _SCHEME.match(url)
        if scheme and len(scheme.group(1)) > 1 or url.startswith("//"):  # one letter: a C: drive
            _note(notes, f"{bundle_path}: sourceMappingURL {url[:200]} is a URL, not a path next to the bundle; not fetched")
        elif url.startswith(("/", "\\")) or scheme:
            _note(notes, f"{bundle_path}: sourceMappingURL {url[:200]} is absolute; its web root is unknown")
        elif url:
            from urllib.parse import unquote

            rel = unquote(url.split("#", 1)[0].split("?", 1)[0])
            path = _normjoin(_dirname(bundle_path), rel)
            data = _read(read, path)
            if data is not None:
                return MapRef("file", path, path, data, limit)
            _note(notes, f"{bundle_path}: sourceMappingURL names {rel}, which cannot be read")
            if path == fallback:
                return None
    data = _read(read, fallback)
    if data is not None:
        return MapRef("file", fallback, fallback, data, limit)
    return None


# ---------------------------------------------------------------------------------------
# Parsing

_B64 = {c: i for i, c in enumerate("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")}
# one-character VLQs (no continuation bit): their values
_VLQ1 = {c: (-(i >> 1) if i & 1 else i >> 1) for c, i in _B64.items() if i < 32}
_SEMIS = re.compile(";+")
_BAD_MAPPING_CHAR = re.compile(r"[^A-Za-z0-9+/,;]")
_INT_MAX = (1 << 31) - 1


def _mib(n: int) -> str:
    return f"{n / (1 << 20):.1f} MiB" if n >= 1 << 20 else f"{n} bytes"


def _is_int(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _load_json(data: bytes | str, where: str, limit: int):
    import json

    if isinstance(data, (bytes, bytearray, memoryview)):
        data = bytes(data)
        if len(data) > limit:
            raise SourceMapError(f"{where}: source map is {_mib(len(data))}, over the {_mib(limit)} limit")
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as e:
            raise SourceMapError(f"{where}: source map is not UTF-8 (bad byte at offset {e.start})") from None
    else:
        text = data
        if len(text) > limit:
            raise SourceMapError(f"{where}: source map is {_mib(len(text))}, over the {_mib(limit)} limit")
    if text.startswith(")]}"):  # the XSSI guard line the spec allows
        nl = text.find("\n")
        text = text[nl + 1:] if nl >= 0 else ""
    try:
        return json.loads(text)
    except RecursionError:
        raise SourceMapError(f"{where}: invalid JSON: nested too deeply") from None
    except json.JSONDecodeError as e:
        raise SourceMapError(f"{where}: invalid JSON: {e.msg} at line {e.lineno} column {e.colno}") from None
    except ValueError as e:  # e.g. an integer too long to convert
        raise SourceMapError(f"{where}: invalid JSON: {str(e).splitlines()[0][:200]}") from None


def _join_root(root: str, source: str) -> str:
    if not root:
        return source
    return root + source if root.endswith("/") else root + "/" + source


def _resolve(base: str | None, source: str) -> str:
    m = _SCHEME.match(source)
    if m and len(m.group(1)) > 1:
        if m.group(1).lower() == "file":
            from urllib.parse import unquote

            rest = source[5:]
            return unquote(rest[2:] if rest.startswith("//") else rest) or source
        return source
    if source.startswith("/") or base is None:
        return source
    return _normjoin(_dirname(base), source)


class SourceMap:
    """A parsed map: a regular map, or an index map of sections (see the module docstring)."""

    def __init__(self) -> None:
        self.where = ""
        self.base: str | None = None
        self.file: str | None = None
        self.sources: list[str | None] = []
        self.names: list[str] = []
        self.contents: list[str | None] = []
        self.sections: list[tuple[int, int, SourceMap]] = []  # (line0, column0, map)
        self._offsets: list[tuple[int, int]] = []
        self._m: _Mappings | None = None
        self._content_lines: dict[int, list[str]] = {}

    # -- construction

    @classmethod
    def parse(cls, data: bytes | str, where: str, *, base: str | None = None,
              limit: int = DEFAULT_LIMIT) -> "SourceMap":
        obj = _load_json(data, where, limit)
        return cls._from_obj(obj, where, base if base is not None else where, nested=False)

    @classmethod
    def _from_obj(cls, obj, where: str, base: str | None, nested: bool) -> "SourceMap":
        if not isinstance(obj, dict):
            raise SourceMapError(f"{where}: not a source map: the JSON is {type(obj).__name__}, not an object")
        version = obj.get("version")
        if not _is_int(version) or version != 3:
            raise SourceMapError(f"{where}: unsupported source map version {version!r} (only 3)")
        self = cls()
        self.where, self.base = where, base
        file = obj.get("file")
        self.file = file if isinstance(file, str) else None
        if "sections" in obj:
            if nested:
                raise SourceMapError(f"{where}: an index map inside an index map section is not allowed")
            self._sections(obj["sections"], where, base)
            return self
        sources = obj.get("sources")
        if sources is None:
            sources = []
        if not isinstance(sources, list) or not all(s is None or isinstance(s, str) for s in sources):
            raise SourceMapError(f"{where}: `sources` must be an array of strings")
        root = obj.get("sourceRoot")
        if root is not None and not isinstance(root, str):
            raise SourceMapError(f"{where}: `sourceRoot` must be a string")
        self.sources = [None if s is None else _join_root(root or "", s) for s in sources]
        names = obj.get("names")
        if names is None:
            names = []
        if not isinstance(names, list) or not all(isinstance(s, str) for s in names):
            raise SourceMapError(f"{where}: `names` must be an array of strings")
        self.names = names
        contents = obj.get("sourcesContent")
        if contents is None:
            contents = []
        if not isinstance(contents, list) or not all(s is None or isinstance(s, str) for s in contents):
            raise SourceMapError(f"{where}: `sourcesContent` must be an array of strings or nulls")
        self.contents = contents
        mappings = obj.get("mappings")
        if mappings is None:
            raise SourceMapError(f"{where}: no `mappings`")
        if not isinstance(mappings, str):
            raise SourceMapError(f"{where}: `mappings` must be a string, not {type(mappings).__name__}")
        bad = _BAD_MAPPING_CHAR.search(mappings)
        if bad:
            raise SourceMapError(f"{where}: bad VLQ: invalid character {bad.group()!r} in `mappings` "
                                 f"at offset {bad.start()}")
        self._m = _Mappings(mappings, len(self.sources), len(self.names), where)
        return self

    def _sections(self, sections, where: str, base: str | None) -> None:
        if not isinstance(sections, list):
            raise SourceMapError(f"{where}: `sections` must be an array")
        prev = (-1, -1)
        for i, sec in enumerate(sections):
            if not isinstance(sec, dict):
                raise SourceMapError(f"{where}: section {i} is not an object")
            if "url" in sec:
                raise SourceMapError(f"{where}: section {i} refers to a map by `url`, which is not supported")
            off = sec.get("offset")
            if not isinstance(off, dict):
                raise SourceMapError(f"{where}: section {i} has no `offset` object")
            line, col = off.get("line"), off.get("column")
            if not _is_int(line) or not _is_int(col) or line < 0 or col < 0 or line > _INT_MAX or col > _INT_MAX:
                raise SourceMapError(f"{where}: section {i} has a bad offset {{line: {line!r}, column: {col!r}}}")
            if (line, col) <= prev:
                raise SourceMapError(f"{where}: section {i} offset {line}:{col} is not after the previous "
                                     f"section's {prev[0]}:{prev[1]}")
            prev = (line, col)
            if "map" not in sec:
                raise SourceMapError(f"{where}: section {i} has no `map`")
            sub = SourceMap._from_obj(sec["map"], f"{where} section {i}", base, nested=True)
            sub.where = where
            self.sections.append((line, col, sub))
            self._offsets.append((line, col))

    # -- lookups

    def original(self, line: int, column: int, line_text: str | bytes | None = None,
                 max_distance: int | None = None) -> Mapped | None:
        """Generated 1-based line and 1-based code-point column → the original position."""
        if line < 1 or column < 1:
            return None
        col0 = column - 1
        if line_text is not None:
            col0 = utf16_units(line_text, column - 1)
        return self.original_utf16(line, col0, max_distance)

    def original_utf16(self, line: int, column0: int, max_distance: int | None = None) -> Mapped | None:
        """Generated 1-based line and 0-based UTF-16 column → the original position."""
        line0 = line - 1
        if line0 < 0 or column0 < 0:
            return None
        if self._m is None:  # index map
            i = bisect_right(self._offsets, (line0, column0)) - 1
            if i < 0:
                return None
            sl, sc, sub = self.sections[i]
            return sub.original_utf16(line0 - sl + 1, column0 - sc if line0 == sl else column0, max_distance)
        seg = self._m.find(line0, column0)
        if seg is None:
            return None
        src, oline, ocol, name, gcol = seg
        if max_distance is not None and column0 - gcol > max_distance:
            return None
        source = self.sources[src]
        return Mapped(source, oline + 1, self._code_point_column(src, oline, ocol) + 1,
                      self.names[name] if name >= 0 else None,
                      None if source is None else _resolve(self.base, source), column0 - gcol)

    def validate(self) -> None:
        """Decode every line of ``mappings`` (raises SourceMapError on the first problem)."""
        if self._m is None:
            for _, _, sub in self.sections:
                sub.validate()
        else:
            self._m.validate()

    def _code_point_column(self, src: int, line0: int, col16: int) -> int:
        content = self.contents[src] if src < len(self.contents) else None
        if not content or content.isascii():
            return col16
        lines = self._content_lines.get(src)
        if lines is None:
            lines = self._content_lines[src] = content.split("\n")
        if line0 >= len(lines):
            return col16
        text = lines[line0]
        if text.isascii():
            return col16
        units = 0
        for i, ch in enumerate(text):
            if units >= col16:
                return i
            units += 2 if ord(ch) > 0xFFFF else 1
        return len(text) + (col16 - units)


def utf16_units(text: str | bytes, chars: int) -> int:
    """UTF-16 code units in the first ``chars`` code points of ``text``."""
    if isinstance(text, (bytes, bytearray, memoryview)):
        b = bytes(text)
        if b[: chars].isascii() and len(b) >= chars:
            return chars
        text = b.decode("utf-8", "replace")
    prefix = text[:chars]
    if prefix.isascii():
        return chars
    return len(prefix.encode("utf-16-le", "surrogatepass")) // 2 + max(0, chars - len(prefix))


class _Mappings:
    """``mappings`` decoded on demand, line by line.

    Source index, original line/column and name index are deltas that run across
    lines, so reaching line N means summing every segment before it: that is done
    once, forward, remembering the running state every ``_CHECKPOINT`` lines. Only
    the lines asked for are kept decoded (a few, in compact arrays).

    Each distinct segment string is decoded once (a cache), so the per-segment
    work is one dict lookup and four additions."""

    def __init__(self, s: str, nsources: int, nnames: int, where: str) -> None:
        self.s, self.ns, self.nn, self.where = s, nsources, nnames, where
        # checkpoints: every _CHECKPOINT-th line's start offset in s and running state
        self.cp_pos = array("q", [0])
        self.cp_state: list[tuple[int, int, int, int]] = [(0, 0, 0, 0)]
        self.cp_done = 0  # lines decoded (forward) so far
        self.pos, self.state = 0, (0, 0, 0, 0)  # at line cp_done
        self._start = 0  # offset in s of the line _advance_to stopped at
        self.lines: dict[int, tuple] = {}
        self.segs: dict[str, tuple[int, ...]] = {}  # segment string -> its decoded deltas

    def _err(self, line0: int, msg: str) -> SourceMapError:
        return SourceMapError(f"{self.where}: bad `mappings` on generated line {line0 + 1}: {msg}")

    def _add(self, seg: str, line0: int) -> tuple[int, ...]:
        t = tuple(map(_VLQ1.get, seg))  # every character a whole value: the common case
        if None in t:
            vals = []
            v = shift = 0
            for ch in seg:
                b = _B64[ch]
                v += (b & 31) << shift
                if b & 32:
                    shift += 5
                    if shift > 30:
                        raise self._err(line0, f"bad VLQ: value overflow (more than 2^31) in segment {seg[:40]!r}")
                    continue
                neg = v & 1
                v >>= 1
                if v > _INT_MAX:
                    raise self._err(line0, f"bad VLQ: value overflow (more than 2^31) in segment {seg[:40]!r}")
                vals.append(-v if neg else v)
                v = shift = 0
            if shift:
                raise self._err(line0, f"bad VLQ: unterminated continuation in segment {seg[:40]!r}")
            t = tuple(vals)
        if len(t) not in (1, 4, 5):
            raise self._err(line0, f"segment {seg[:40]!r} has {len(t)} fields (1, 4 or 5 expected)")
        if len(self.segs) >= _SEG_CACHE_MAX:
            self.segs.clear()
        self.segs[seg] = t
        return t

    def _line(self, line0: int, text: str, state, keep: bool):
        """Run one line from ``state``; returns the state after it (and arrays when keep)."""
        src, ol, oc, nm = state
        ns, nn, segs, add = self.ns, self.nn, self.segs, self._add
        col = 0
        lo = hi = 0  # the smallest and largest running values seen (checked once, at the end)
        if keep:
            cols, srcs, ols, ocs, nms = array("l"), array("l"), array("l"), array("l"), array("l")
            ac, as_, al, ao, an = cols.append, srcs.append, ols.append, ocs.append, nms.append
            unsorted = False
        for seg in text.split(","):
            d = segs.get(seg)
            if d is None:
                if not seg:
                    continue
                d = add(seg, line0)
            if len(d) == 1:
                col += d[0]
                if keep:
                    unsorted |= d[0] < 0
                    ac(col)
                    as_(-1)
                    al(0)
                    ao(0)
                    an(-1)
                if col < lo:
                    lo = col
                continue
            dc, ds, dl, do = d[0], d[1], d[2], d[3]
            col += dc
            src += ds
            ol += dl
            oc += do
            if src >= ns or src < 0:
                raise self._err(line0, f"source index {src} out of range (the map has {ns} sources)")
            if len(d) == 5:
                nm += d[4]
                if nm >= nn or nm < 0:
                    raise self._err(line0, f"name index {nm} out of range (the map has {nn} names)")
            if col < lo or ol < lo or oc < lo:
                lo = min(col, ol, oc)
            if keep:
                unsorted |= dc < 0
                ac(col)
                as_(src)
                al(ol)
                ao(oc)
                an(nm if len(d) == 5 else -1)
        if lo < 0:
            raise self._err(line0, "a generated column, original line or original column goes negative")
        if max(col, ol, oc) > _INT_MAX if keep else (ol > _INT_MAX or oc > _INT_MAX):
            raise self._err(line0, "a position is beyond 2^31")
        after = (src, ol, oc, nm)
        if not keep:
            return after, None
        arrays = (cols, srcs, ols, ocs, nms)
        if unsorted:  # segments out of column order: sort them
            order = sorted(range(len(cols)), key=cols.__getitem__)
            arrays = tuple(array("l", (a[i] for i in order)) for a in arrays)
        return after, arrays

    def _advance_to(self, line0: int) -> tuple[int, int, int, int] | None:
        """Forward-decode to line0; returns the state at its start, or None past the end."""
        s = self.s
        k = line0 // _CHECKPOINT
        if line0 >= self.cp_done:
            pos, state, cur = self.pos, self.state, self.cp_done
        else:
            pos, state, cur = self.cp_pos[k], self.cp_state[k], k * _CHECKPOINT
        if pos < 0:
            return None
        while cur < line0:
            if s.startswith(";", pos):  # a run of empty lines: jump over it
                run = min(_SEMIS.match(s, pos).end() - pos, line0 - cur)
                if cur + run > self.cp_done:
                    for k in range(max(cur, self.cp_done) // _CHECKPOINT + 1, (cur + run) // _CHECKPOINT + 1):
                        self.cp_pos.append(pos + k * _CHECKPOINT - cur)
                        self.cp_state.append(state)
                    self.cp_done, self.pos, self.state = cur + run, pos + run, state
                cur, pos = cur + run, pos + run
                continue
            end = s.find(";", pos)
            state, _ = self._line(cur, s[pos:end] if end >= 0 else s[pos:], state, False)
            cur += 1
            pos = end + 1 if end >= 0 else -1
            if cur > self.cp_done:
                self.cp_done, self.pos, self.state = cur, pos, state
                if cur % _CHECKPOINT == 0:
                    self.cp_pos.append(pos)
                    self.cp_state.append(state)
            if pos < 0 and cur < line0:
                return None
        if pos < 0:
            return None
        self._start = pos
        return state

    def _arrays(self, line0: int):
        got = self.lines.get(line0)
        if got is not None:
            return got
        state = self._advance_to(line0)
        if state is None:
            return None
        pos = self._start
        end = self.s.find(";", pos)
        after, arrays = self._line(line0, self.s[pos:end] if end >= 0 else self.s[pos:], state, True)
        if line0 == self.cp_done:  # the kept line also moves the forward frontier
            self.cp_done, self.pos, self.state = line0 + 1, (end + 1 if end >= 0 else -1), after
            if self.cp_done % _CHECKPOINT == 0:
                self.cp_pos.append(self.pos)
                self.cp_state.append(after)
        if len(self.lines) >= _CACHE_LINES:
            self.lines.pop(next(iter(self.lines)))
        self.lines[line0] = arrays
        return arrays

    def find(self, line0: int, col0: int):
        arrays = self._arrays(line0)
        if arrays is None:
            return None
        cols, srcs, ols, ocs, nms = arrays
        i = bisect_right(cols, col0) - 1
        if i < 0 or srcs[i] < 0:
            return None
        return srcs[i], ols[i], ocs[i], nms[i], cols[i]

    def validate(self) -> None:
        last = self.s.count(";")
        state = self._advance_to(last)
        if state is not None:
            self._line(last, self.s[self._start:], state, False)


# ---------------------------------------------------------------------------------------
# Which npm package a source belongs to

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


# ---------------------------------------------------------------------------------------
# Locating a byte offset inside a map's JSON

_WS = re.compile(rb"[ \t\r\n]*")
_SCALAR = re.compile(rb"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?|true|false|null")


class _Found(Exception):
    pass


class _Locator:
    def __init__(self, b: bytes, offset: int) -> None:
        self.b, self.offset = b, offset
        self.hit: tuple[tuple, int, int] | None = None  # (path, start, end) of the string
        self.sources: dict[tuple, list[tuple[int, int]]] = {}  # object path -> spans of `sources`
        self.roots: dict[tuple, tuple[int, int]] = {}  # object path -> span of `sourceRoot`
        self.closed: set[tuple] = set()  # objects read to their end

    def err(self, pos: int, msg: str) -> SourceMapError:
        return SourceMapError(f"invalid JSON in source map at byte {pos}: {msg}")

    def ws(self, pos: int) -> int:
        return _WS.match(self.b, pos).end()

    def string_end(self, pos: int) -> int:
        """pos is at the opening quote; returns the offset just past the closing one."""
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

    def done(self) -> bool:
        """The hit is known and so is everything needed to describe it."""
        if self.hit is None:
            return False
        path = self.hit[0]
        if len(path) >= 2 and path[-2] in ("sourcesContent", "sources") and isinstance(path[-1], int):
            return path[:-2] in self.sources and (path[-2] == "sources" or path[:-2] in self.roots
                                                  or self.finished_obj(path[:-2]))
        return True

    def finished_obj(self, path: tuple) -> bool:
        return path in self.closed

    def value(self, pos: int, path: tuple, depth: int) -> int:
        b = self.b
        if pos >= len(b):
            raise self.err(pos, "unexpected end")
        c = b[pos]
        if c == 0x22:  # "
            end = self.string_end(pos)
            if pos < self.offset < end - 1 or pos == self.offset:
                self.hit = (path, pos, end)
                if self.done():
                    raise _Found
            return end
        if depth >= _MAX_DEPTH:
            raise self.err(pos, f"nested more than {_MAX_DEPTH} deep")
        if c == 0x7B:  # {
            pos = self.ws(pos + 1)
            if pos < len(b) and b[pos] == 0x7D:
                self.closed.add(path)
                return pos + 1
            while True:
                if pos >= len(b) or b[pos] != 0x22:
                    raise self.err(pos, "expected a key")
                kend = self.string_end(pos)
                key = self.key(pos, kend)
                pos = self.ws(kend)
                if pos >= len(b) or b[pos] != 0x3A:
                    raise self.err(pos, "expected ':'")
                vstart = self.ws(pos + 1)
                if key == "sources" and vstart < len(b) and b[vstart] == 0x5B:
                    pos = self.array_of_strings(vstart, path + (key,), depth + 1, path)
                else:
                    pos = self.value(vstart, path + (key,), depth + 1)
                    if key == "sourceRoot" and b[vstart] == 0x22:
                        self.roots[path] = (vstart, pos)
                pos = self.ws(pos)
                if pos < len(b) and b[pos] == 0x2C:
                    pos = self.ws(pos + 1)
                    continue
                if pos < len(b) and b[pos] == 0x7D:
                    self.closed.add(path)
                    if self.done():
                        raise _Found
                    return pos + 1
                raise self.err(pos, "expected ',' or '}'")
        if c == 0x5B:  # [
            pos = self.ws(pos + 1)
            if pos < len(b) and b[pos] == 0x5D:
                return pos + 1
            i = 0
            while True:
                pos = self.ws(self.value(pos, path + (i,), depth + 1))
                i += 1
                if pos < len(b) and b[pos] == 0x2C:
                    pos = self.ws(pos + 1)
                    continue
                if pos < len(b) and b[pos] == 0x5D:
                    return pos + 1
                raise self.err(pos, "expected ',' or ']'")
        m = _SCALAR.match(b, pos)
        if not m:
            raise self.err(pos, f"unexpected {chr(c)!r}")
        return m.end()

    def array_of_strings(self, pos: int, path: tuple, depth: int, obj: tuple) -> int:
        spans: list[tuple[int, int]] = []
        end = self.value_collect(pos, path, depth, spans)
        self.sources[obj] = spans
        if self.done():
            raise _Found
        return end

    def value_collect(self, pos: int, path: tuple, depth: int, spans: list) -> int:
        b = self.b
        pos = self.ws(pos + 1)
        if pos < len(b) and b[pos] == 0x5D:
            return pos + 1
        i = 0
        while True:
            start = pos
            pos = self.value(pos, path + (i,), depth + 1)
            spans.append((start, pos) if b[start] == 0x22 else (start, start))
            pos = self.ws(pos)
            i += 1
            if pos < len(b) and b[pos] == 0x2C:
                pos = self.ws(pos + 1)
                continue
            if pos < len(b) and b[pos] == 0x5D:
                return pos + 1
            raise self.err(pos, "expected ',' or ']'")

    def key(self, start: int, end: int) -> str:
        raw = self.b[start:end]
        if b"\\" not in raw:
            return raw[1:-1].decode("utf-8", "replace")
        return _json_str(raw) or ""


def _json_str(raw: bytes) -> str | None:
    """Decode one JSON string token (with its quotes); None when it is not one."""
    import json

    try:
        v = json.loads(raw.decode("utf-8", "replace"), strict=False)
    except ValueError:
        return None
    return v if isinstance(v, str) else None


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
            name = _json_str(b[spans[index][0]:spans[index][1]])
            if name is not None:
                root_span = loc.roots.get(obj)
                root = _json_str(b[root_span[0]:root_span[1]]) if root_span else None
                source = _join_root(root or "", name)
    if leaf == "sourcesContent" and index is not None:
        text = _decode_prefix(b[s + 1:offset])
        line = text.count("\n") + 1
        column = len(text) - (text.rfind("\n") + 1) + 1
    return MapLocation(key, index, source, line, column)


#: Source maps: hits in them are reported (origin-mapped), keys read from the line.
KIND = Kind("sourcemap", globs=("*.map",), hook=())
