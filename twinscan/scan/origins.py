"""Origins: where a hit in a built file came from, read from the bundle's source map; and, for
a hit inside a `.map` file itself, which original source it sits in."""
from __future__ import annotations

import os
from typing import Callable

from ..model import FileError, FileResult, Origin
from ..reader import IsArchive, Limits, NotText, Opened, ReadError
from ..walk import Item
from .match import RawHit
from .nested import MAX_MAPPED


def bundle_origins(res: FileResult, item: Item, text: Callable[[int | None], bytes | None], raws: list[RawHit],
                   limits: Limits, tail: bytes | None = None) -> dict[int, Origin]:
    """Original source locations of hits in a bundle, from its source map (id(raw) -> Origin).

    *text* gives the bundle's content (None past the size limit); *tail*, when the caller has
    them, its last bytes, where the map is named: a bundle without a map then never has its whole
    content copied out of the window buffer it was scanned in (issue 14)."""
    from ..extract import sourcemap

    if tail is None:
        whole = text(MAX_MAPPED)
        if whole is None:
            return {}
        tail = whole[-8192:]
    in_archive = item.data is not None

    def read(path: str) -> bytes | None:
        if in_archive or not os.path.isfile(path):
            return None
        try:
            return Opened(path, limits).text(sourcemap.DEFAULT_LIMIT)
        except (ReadError, NotText, IsArchive) as exc:
            raise ValueError(str(exc)) from None

    notes: list[str] = []
    out: dict[int, Origin] = {}
    try:
        ref = sourcemap.find_map(item.fs_path, tail,
                                 lambda p: text(MAX_MAPPED) if p == item.fs_path else read(p), notes=notes)
        if ref is None:
            return {}
        data = text(MAX_MAPPED)
        if data is None:  # too large to map hits in
            return {}
        smap = ref.load()
        label = ref.where if ref.kind == "inline" else os.path.relpath(ref.where, os.path.dirname(item.fs_path))
        for r in raws:
            line_start = data.rfind(b"\n", 0, r.hit.offset) + 1
            m = smap.original(r.line, r.column, data[line_start:r.hit.offset], max_distance=2)
            if m is not None and m.source:
                out[id(r)] = m.origin(label)
    except sourcemap.SourceMapError as exc:
        res.errors.append(FileError(res.path, f"source map not used: {exc}", False))
    return out


def in_map_origins(res: FileResult, data: bytes | None, raws: list[RawHit]) -> dict[int, Origin]:
    """Hits inside a source map: the original source, line and column they sit at. Every such
    hit gets the `source-map` context (shipped, never run)."""
    from ..extract import sourcemap

    out: dict[int, Origin] = {}
    if data is None:
        return out
    located = sourcemap.locate_all_in_map(data, [r.hit.offset for r in raws])  # one walk for every hit
    for r in raws:
        r.hit.context = "source-map"
        loc = located.get(r.hit.offset)
        if isinstance(loc, sourcemap.SourceMapError):
            continue
        if loc is not None and loc.source and loc.line:
            out[id(r)] = Origin(loc.source, loc.line, loc.column or 1, os.path.basename(res.path),
                                sourcemap.library_of(loc.source))
    return out
