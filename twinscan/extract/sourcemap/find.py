"""Finding a bundle's map: its `sourceMappingURL` comment (a file next to it or an inline data: URI),
else `<bundle>.map`. Network and absolute URLs are never followed."""
from __future__ import annotations

import re
from typing import TYPE_CHECKING, Callable, NamedTuple

from .common import DEFAULT_LIMIT, SCHEME, dirname, mib, normjoin

if TYPE_CHECKING:
    from .parse import SourceMap


class MapRef(NamedTuple):
    kind: str  # "inline" or "file"
    where: str  # the map file's path, or "<inline>"
    base: str  # what sources resolve against: the map file, or the bundle for an inline map
    data: bytes
    limit: int = DEFAULT_LIMIT

    def load(self) -> SourceMap:
        from .parse import SourceMap  # the parser only for a bundle that has a map

        return SourceMap.parse(self.data, self.where, base=self.base, limit=self.limit)



_MARKER = re.compile(rb"(?m)(?://|/\*)[#@][ \t]*sourceMappingURL=([^\s'\"`]*)[ \t]*(?:\*/)?[ \t]*\r?$")
_B64_TAIL = re.compile(rb"\A[A-Za-z0-9+/=%._~!$&'()*,;:@-]+\s*\Z")  # inside a data: URI
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
        _note(notes, f"{where_bundle}: inline source map is over the {mib(limit)} limit; ignored")
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
        scheme = SCHEME.match(url)
        if scheme and len(scheme.group(1)) > 1 or url.startswith("//"):  # one letter: a C: drive
            _note(notes, f"{bundle_path}: sourceMappingURL {url[:200]} is a URL, not a path next to the bundle; not fetched")
        elif url.startswith(("/", "\\")) or scheme:
            _note(notes, f"{bundle_path}: sourceMappingURL {url[:200]} is absolute; its web root is unknown")
        elif url:
            from urllib.parse import unquote

            rel = unquote(url.split("#", 1)[0].split("?", 1)[0])
            path = normjoin(dirname(bundle_path), rel)
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

