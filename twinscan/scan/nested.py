"""Nested payloads: files inside tarballs, image layers, zip and asar archives and doubly
compressed streams, and base64 `data:` URIs of a text type.

Both are scanned from memory through the same per-file path as any file on disk (never
extracted, never written), and their findings are reported where they sit in the outer file.
"""
from __future__ import annotations

import re
from dataclasses import replace

from ..decide import make_finding
from ..extract.values import ExtractError
from ..model import FileError, FileResult, Skipped, Target
from ..reader import Window, open_readonly
from ..walk import Item
from .locate import chars
from .match import Text
from .settings import Scanner

MAX_MAPPED = 64 << 20  # bundles and maps larger than this get no source-map origin, no data: URI decoding

#: Kinds whose text may hold base64 `data:` URIs worth decoding (scripts, pages, inline maps).
DATA_URI_KINDS = ("javascript", "html", "image", "text", "sourcemap")
_DATA_URI_HEAD = re.compile(rb"data:([a-z0-9.+/-]*)(?:;[a-z0-9=._-]+)*;base64,\Z", re.I)
_B64_RUN = re.compile(rb"[A-Za-z0-9+/_-]+=*")
_DATA_URI_KINDS = (
    (("javascript", "ecmascript", "jsx", "typescript"), "javascript"),
    (("html",), "html"),
    (("json",), "image"),
    (("xml", "css", "text/", "yaml"), "text"),
)


#: Containers inside containers are opened this deep (`dist.zip!/site.tar.gz!/index.js` is two).
MAX_NESTING = 3
_SUFFIXES = {"gzip": (".gz", ".gzip"), "zstd": (".zst", ".zstd"), "xz": (".xz",), "bzip2": (".bz2", ".bzip2")}


def _members(fmt: str, f, limits, name: str):
    if fmt == "zip":
        from ..formats.zipread import ZipMembers

        return ZipMembers(f, limits, name)
    if fmt == "asar":
        from ..formats.zipread import AsarMembers

        return AsarMembers(f, limits, name)
    from ..extract.image import members

    return members(f, limits, name)


def scan_archive(scanner: Scanner, item: Item, target: Target, fmt: str = "tar", compression: str = "") -> FileResult:
    """Scan every file inside the archive (a tarball and its image layers, a zip, an asar) from
    memory, never extracting; ``fmt`` ``"layered"``: one compression layer is peeled and what it
    holds is scanned as ``name!/stem``."""
    import io

    from ..formats.zipread import ArchiveError

    res = FileResult(item.display)
    depth = item.display.count("!/")
    if depth >= MAX_NESTING:
        res.errors.append(FileError(item.display, f"an archive nested {depth + 1} deep (the limit is {MAX_NESTING}): "
                                    "not opened, its files were not scanned", target.production))
        return res
    try:
        f = io.BytesIO(item.data) if item.data is not None else open_readonly(item.fs_path)
    except OSError as exc:
        res.errors.append(FileError(item.display, f"cannot read: {exc.strerror or exc}", target.production))
        return res
    with f:
        if fmt == "layered":
            return _scan_layer(scanner, item, target, f, compression, res)
        it = _members(fmt, f, scanner.s.limits, item.display)
        try:
            for m in it:
                if scanner.late(res, target, f"reading the archive (at {m.path})"):
                    break
                sub = Item(m.path, m.path, len(m.data), m.data)
                sub_target = scanner.s.classifier.classify(m.path)
                if m.config:  # OCI blobs have no extension: the image config is JSON
                    sub_target = replace(sub_target, kind="image")
                _merge(res, scanner.scan_item(sub, sub_target))
                if m.note:
                    res.skipped.append(Skipped(m.path, f"archive entry: {m.note} (read, never extracted)"))
        except (ExtractError, ArchiveError) as exc:
            res.errors.append(FileError(item.display, str(exc), target.production))
        res.errors += [FileError(item.display, e, target.production) for e in it.errors]
        res.skipped += [Skipped(item.display, s) for s in it.skipped]
    res.scanned = not res.errors
    return res


def _merge(res: FileResult, r: FileResult) -> None:
    res.findings += r.findings
    res.errors += r.errors
    res.skipped += r.skipped
    res.bytes_scanned += r.bytes_scanned


def _scan_layer(scanner: Scanner, item: Item, target: Target, f, compression: str, res: FileResult) -> FileResult:
    """A compressed stream that holds another (gzip of gzip) or an archive: decode it once,
    within the limits, and scan what it holds as a member named without the suffix."""
    from ..formats.decompress import DecodeError, Decompressor, LimitExceeded

    name = item.display.rsplit("/", 1)[-1]
    stem = next((name[:-len(x)] for x in _SUFFIXES.get(compression, ()) if name.lower().endswith(x)), "") or name
    inner = f"{item.display}!/{stem}"
    try:
        data = Decompressor(f, compression, scanner.s.limits, f"{compression} data").read()
    except (LimitExceeded, DecodeError) as exc:
        res.errors.append(FileError(item.display, str(exc), target.production))
        return res
    except OSError as exc:
        res.errors.append(FileError(item.display, f"cannot read: {exc.strerror or exc}", target.production))
        return res
    _merge(res, scanner.scan_item(Item(inner, inner, len(data), data), scanner.s.classifier.classify(inner)))
    res.scanned = not res.errors
    return res


def has_text_data_uri(w: Window, first: list[int] | None = None, marks: list[int] | None = None) -> bool:
    """Whether the window holds a base64 data: URI of a type worth decoding (not images, fonts).

    ``marks``: the absolute offsets, in order, where the byte pass found `;base64,` (any case)
    in the window's [lo, hi); without them the window is searched. ``first``, when given and
    empty, receives the absolute offset of the window's first `;base64,`: asked window after
    window, that is the file's first, where :func:`scan_data_uris` can start instead of
    searching the bytes before it again."""
    src = w.src
    found = _marks_in(w, src) if marks is None else _exact(src, [m - w.src_base for m in marks])
    for i in found:
        if first is not None and not first:
            first.append(w.src_base + i)
        m = _DATA_URI_HEAD.search(src, max(0, i - 96), i + 8)
        if m and _data_uri_kind(m.group(1).decode("ascii", "replace").lower(), b"") is not None:
            return True
    return False


def _marks_in(w: Window, src):
    """Offsets in ``src`` of `;base64,` starting in the window's [lo, hi] (searched)."""
    a, b = w.lo - w.src_base, w.hi - w.src_base + 8
    i = src.find(b";base64,", a, b)
    while i >= 0:
        yield i
        i = src.find(b";base64,", i + 8, b)


def _exact(src, offsets: list[int]):
    """The byte pass's `;base64,` offsets (any case) that are exactly that, as :func:`_marks_in` finds them."""
    end = -1
    for i in offsets:
        if i >= end and src[i:i + 8] == b";base64,":
            yield i
            end = i + 8


def _data_uri_kind(mime: str, before: bytes) -> str | None:
    """The artifact kind a data: URI's content is scanned as; None for images, fonts, binaries."""
    if not mime:
        return "text"
    if mime.startswith(("image/", "font/", "audio/", "video/")) or "woff" in mime or "octet" in mime:
        return None  # SVG images included: pictures, not configuration
    for needles, kind in _DATA_URI_KINDS:
        if any(n in mime for n in needles):
            if kind == "image" and b"sourceMappingURL=" in before:
                return "sourcemap"
            return kind
    return None


def _base64_marks(data: bytes | bytearray, start: int, marks: list[int] | None, size: int):
    """Offsets of `;base64,` in ``data[:size]``, in order: the byte pass's *marks* that are exactly
    that (its search is caseless), as a search from the first would find them; else searched, from
    *start* when the text read now has one there."""
    if marks and 0 < start and data[start:start + 8] == b";base64,":  # the text is what the windows saw
        yield from _exact(data, marks)
        return
    # the first `;base64,` as the windows saw it, unless the text read now differs there
    at = start if 0 < start and data[start:start + 8] == b";base64," else data.find(b";base64,", 0, size)
    while at >= 0:
        yield at
        at = data.find(b";base64,", at + 8, size)


def scan_data_uris(scanner: Scanner, res: FileResult, target: Target, text: Text, start: int = 0,
                   marks: list[int] | None = None) -> None:
    """Scan what base64 `data:` URIs of a text type hold (inline scripts, pages, JSON,
    inline source maps); report each hit at the base64 characters that encode it.
    ``start``: the offset of the file's first `;base64,` when the byte pass saw it; ``marks``:
    every offset where it found `;base64,` (any case), in order, when it kept them all: the
    file is then not searched again (a bundle full of `;` took a second pass, issue 14)."""
    import base64
    import binascii

    from .. import reader

    # the file as the byte pass read it, in place while it is still in the window buffer (a
    # bundle's copy was ~1.5 ms per 7 MB and a fresh mapping to fault in, per file: issue 14),
    # else its text; every search below stops at `size`, where the buffer's stale bytes begin
    held = text.opened.held() if text.data is None else None
    lent = reader.lent()
    data, size = held if held is not None else (text(MAX_MAPPED), -1)
    if data is None:
        if text.failed:
            return
        res.skipped.append(Skipped(res.path, f"base64 data: URIs not decoded (file larger than {MAX_MAPPED >> 20} MiB)"))
        return
    if size < 0:
        size = len(data)
    limits = scanner.s.limits
    found = _base64_marks(data, start, marks, size)
    while (here := next(found, None)) is not None:
        head = max(0, here - 96)
        m = _DATA_URI_HEAD.search(data, head, here + 8)
        if m is None:
            continue
        mime = m.group(1).decode("ascii", "replace").lower()
        kind = _data_uri_kind(mime, data[max(0, m.start() - 24):m.start()])
        run = _B64_RUN.match(data, m.end(), size)
        if kind is None or run is None or run.end() - run.start() < 24:
            continue
        b64 = bytes(run.group(0))
        if len(b64) // 4 * 3 > limits.max_decoded:
            res.errors.append(FileError(res.path, f"a base64 data: URI ({mime or 'no type'}) decodes to more than "
                                        f"{limits.max_decoded >> 20} MiB; not scanned", target.production))
            continue
        try:
            decoded = base64.b64decode(b64 + b"=" * (-len(b64) % 4), altchars=b"-_" if b"-" in b64 or b"_" in b64 else None)
        except (binascii.Error, ValueError):
            continue
        inner = f"{res.path}#data:{mime or 'text/plain'}"
        scanner.depth += 1
        try:
            r = scanner.scan_item(Item(inner, inner, len(decoded), decoded), replace(target, kind=kind))
        finally:
            scanner.depth -= 1
        if held is not None and reader.lent() != lent:  # the nested scan read a window (none does): the text from here on
            data, held = text(MAX_MAPPED), None
            if data is None or len(data) != size:
                return  # (the byte pass has reported a file that changed or vanished)
            after = data.find(b";base64,", here + 8, size)
            found = _base64_marks(data, after, None, size) if after > 0 else iter(())
        res.errors += [FileError(res.path, f"in a base64 data: URI: {e.message}", e.production) for e in r.errors]
        for f in r.findings:
            pos = run.start() + f.offset // 3 * 4
            line = data.count(b"\n", 0, pos) + 1
            col = chars(data[data.rfind(b"\n", 0, pos) + 1:pos]) + 1
            origin = f.origin
            if origin is not None and kind == "sourcemap":
                origin = replace(origin, map="<inline>")
            decision = f.decision.because("decoded", f"decoded from a base64 data: URI ({mime or 'no type'}) at {line}:{col}")
            res.findings.append(make_finding(
                decision, path=res.path, line=line, column=col, end_column=col + -(-len(f.match.encode()) * 4 // 3),
                offset=pos, match=f.match, url=f.url, host=f.host, port=f.port, key=f.key, snippet=f.snippet,
                encoding="base64", origin=origin,
            ))


#: Cheap tests, on a structured file's text, for values that ship only once expanded or decoded
#: (extract.Value.encoding): the values are extracted for them even when the byte pass found nothing.
_MAY_EXPAND = {
    "dotenv": lambda d: b"$" in d,
    "kubernetes": lambda d: b"Secret" in d,
    "workflows": lambda d: b"env." in d,
}
_EXPANDED_WHY = {
    "interpolated": "`{raw}` expands to `{value}` with {names} as set earlier in this file",
    "base64": "decoded from the base64 of `{key}` in a Secret's `data:`",
}
MAX_EXPANDED = 1 << 20  # Kubernetes caps a whole Secret at 1 MiB


def may_expand(kind: str, data: bytes) -> bool:
    """Whether a file of this kind may hold values that ship only expanded or decoded."""
    test = _MAY_EXPAND.get(kind)
    return test is not None and test(data)


def scan_expanded(scanner: Scanner, res: FileResult, target: Target, data: bytes, values) -> None:
    """Scan what values ship as once expanded or decoded (`${TWIN_ORIGIN}/twins/stripe`, a
    Secret's base64 `data:`), and report each URL found at the bytes of the value that
    carries it, with the key, the value's own environment and how it was expanded."""
    import re

    from ..model import Target as _Target
    from .locate import USERINFO, line_column, one_line

    expanded = [v for v in values if v.encoding]
    if not expanded:
        return
    found_at = {(f.offset, f.rule, f.url) for f in res.findings}
    for v in expanded:
        where = scanner.value_target(target, v.environment, v.reason)
        payload = v.value.encode("utf-8", "replace")[:MAX_EXPANDED]
        inner = f"{res.path}#{v.key}"
        scanner.depth += 1
        try:
            r = scanner.scan_item(Item(inner, inner, len(payload), payload),
                                  _Target("text", where.environment, where.production, where.reason))
        finally:
            scanner.depth -= 1
        if not r.findings:
            continue
        raw_bytes = data[v.start:v.end]
        raw = USERINFO.sub(r"\1***@", one_line(raw_bytes))
        line, column = line_column(data, v.start)
        line_start = data.rfind(b"\n", 0, v.start) + 1
        line_end = data.find(b"\n", v.end)
        shown = USERINFO.sub(r"\1***@", one_line(data[line_start:line_end if line_end >= 0 else len(data)]))[:200]
        names = sorted({a or b for a, b in re.findall(r"\$\{\{\s*env\.([\w-]+)|\$\{?([A-Za-z_]\w*)", raw)})
        why = _EXPANDED_WHY.get(v.encoding, "expanded ({encoding})").format(
            raw=raw if len(raw) <= 120 else raw[:119] + "…", value=USERINFO.sub(r"\1***@", v.value)[:200], key=v.key,
            encoding=v.encoding, names=", ".join(f"`{n}`" for n in names) or "keys")
        for f in r.findings:
            if (v.start, f.rule, f.url) in found_at:
                continue
            found_at.add((v.start, f.rule, f.url))
            # a twin rule reports this value: the key-aware check need not say it again
            res.findings = [g for g in res.findings if not (g.offset == v.start and g.rule == "service-host-url")]
            decision = f.decision.because(v.encoding, why)
            res.findings.append(make_finding(
                decision, path=res.path, line=line, column=column, end_column=column + chars(raw_bytes), offset=v.start,
                match=f.match if v.encoding == "base64" else raw, url=f.url, host=f.host, port=f.port, key=v.key,
                snippet=f.snippet if v.encoding == "base64" else shown, encoding=v.encoding,
            ))
