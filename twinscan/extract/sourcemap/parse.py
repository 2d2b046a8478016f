"""Parsing a map (regular or index map) and looking up where a generated position came from."""
from __future__ import annotations

import re
from bisect import bisect_right
from typing import NamedTuple

from .common import DEFAULT_LIMIT, SCHEME, SourceMapError, dirname, join_root, mib, normjoin
from .common import INT_MAX as _INT_MAX
from .mappings import Mappings
from .packages import library_of

_BAD_MAPPING_CHAR = re.compile(r"[^A-Za-z0-9+/,;]")


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
        from ...model import Origin

        return Origin(path=self.source or "", line=self.line, column=self.column, map=map_label,
                      library=self.library)



def _is_int(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _load_json(data: bytes | str, where: str, limit: int):
    import json

    if isinstance(data, (bytes, bytearray, memoryview)):
        data = bytes(data)
        if len(data) > limit:
            raise SourceMapError(f"{where}: source map is {mib(len(data))}, over the {mib(limit)} limit")
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as e:
            raise SourceMapError(f"{where}: source map is not UTF-8 (bad byte at offset {e.start})") from None
    else:
        text = data
        if len(text) > limit:
            raise SourceMapError(f"{where}: source map is {mib(len(text))}, over the {mib(limit)} limit")
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



def _resolve(base: str | None, source: str) -> str:
    m = SCHEME.match(source)
    if m and len(m.group(1)) > 1:
        if m.group(1).lower() == "file":
            from urllib.parse import unquote

            rest = source[5:]
            return unquote(rest[2:] if rest.startswith("//") else rest) or source
        return source
    if source.startswith("/") or base is None:
        return source
    return normjoin(dirname(base), source)


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
        self._m: Mappings | None = None
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
        self.sources = [None if s is None else join_root(root or "", s) for s in sources]
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
        self._m = Mappings(mappings, len(self.sources), len(self.names), where)
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

