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

``locate_all_in_map(map_bytes, offsets) -> {offset: MapLocation | SourceMapError | None}``
    The same for every hit of a map in one walk (a map with thousands of hits is read
    once); an offset the malformed JSON hid maps to that SourceMapError.
"""
from __future__ import annotations

from .common import DEFAULT_LIMIT, SourceMapError
from .find import MapRef, find_map

__all__ = [
    "DEFAULT_LIMIT", "MapLocation", "MapRef", "Mapped", "SourceMap", "SourceMapError", "find_map", "library_of",
    "locate_in_map", "locate_all_in_map", "utf16_units",
]

#: Loaded when first used (PEP 562): every bundle with a hit asks ``find_map`` for its map, and
#: most have none; the parser, the mappings decoder and the JSON walker were ~5 ms of a
#: pre-commit run for nothing.
_LAZY = {"MapLocation": "locate", "locate_all_in_map": "locate", "locate_in_map": "locate",
         "library_of": "packages", "Mapped": "parse", "SourceMap": "parse", "utf16_units": "parse"}


def __getattr__(name: str):
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


from ..kind import Kind  # noqa: E402

#: Source maps: hits in them are reported (origin-mapped), keys read from the line.
KIND = Kind("sourcemap", globs=("*.map",), hook=())
