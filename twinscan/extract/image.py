"""Container images: `docker inspect` / image config JSON, and `docker save` / OCI-layout tarballs.

Two entry points:

* :func:`config_values` lists the ``Env`` entries of ``docker inspect`` output and of
  an OCI/Docker image config (``config.Env``), plus every ``history[].created_by``
  string (an ``ENV X=…`` there is baked into the image), with exact byte offsets
  of the value text as written in the JSON (escapes included).
* :func:`members` reads an image tarball as a *stream* and yields the image config
  JSON and every regular file inside every layer, all in memory. Nothing is ever
  extracted or written: links, devices and unsafe names are only ever *names*.

No Docker engine is used.
"""
from __future__ import annotations

import json
import posixpath
import re
import tarfile
import zlib
from dataclasses import dataclass
from typing import Iterator

from ..reader import Limits
from .kind import Kind
from .values import ExtractError, Options, Value

_GZIP, _ZSTD = b"\x1f\x8b", b"\x28\xb5\x2f\xfd"
_SNIFF = 65536
_CHUNK = 1 << 16


# ---------------------------------------------------------------------------
# image config / docker inspect JSON
# ---------------------------------------------------------------------------

def is_image_config(data: bytes) -> bool:
    """Cheap sniff: a JSON object/list naming ``Config``/``config`` and ``Env``/``rootfs``."""
    head = bytes(data[:_SNIFF])
    if head.startswith(b"\xef\xbb\xbf"):
        head = head[3:]
    head = head.lstrip()
    if not head[:1] in (b"{", b"["):
        return False
    return (b'"Config"' in head or b'"config"' in head) and (b'"Env"' in head or b'"rootfs"' in head)


@dataclass(frozen=True)
class _Str:
    start: int  # byte offset of the first byte after the opening quote
    end: int  # byte offset of the closing quote

    def decode(self, data: bytes) -> str:
        return json.loads(data[self.start - 1:self.end + 1])


_WS = re.compile(rb"[ \t\n\r]*")
_STRING = re.compile(rb'"((?:[^"\\]|\\.)*)"', re.S)
_LITERAL = re.compile(rb"[^,\]}\s]+")


class _Parser:
    """Positions of strings in JSON already validated by :func:`json.loads`."""

    def __init__(self, data: bytes):
        self.data = data

    def ws(self, i: int) -> int:
        return _WS.match(self.data, i).end()

    def value(self, i: int):
        data = self.data
        i = self.ws(i)
        c = data[i:i + 1]
        if c == b"{":
            out: dict = {}
            i = self.ws(i + 1)
            if data[i:i + 1] == b"}":
                return out, i + 1
            while True:
                m = _STRING.match(data, self.ws(i))
                key = json.loads(m.group(0))
                i = self.ws(m.end()) + 1  # ':'
                out[key], i = self.value(i)
                i = self.ws(i)
                if data[i:i + 1] == b"}":
                    return out, i + 1
                i += 1  # ','
        if c == b"[":
            items: list = []
            i = self.ws(i + 1)
            if data[i:i + 1] == b"]":
                return items, i + 1
            while True:
                v, i = self.value(i)
                items.append(v)
                i = self.ws(i)
                if data[i:i + 1] == b"]":
                    return items, i + 1
                i += 1
        if c == b'"':
            m = _STRING.match(data, i)
            return _Str(m.start(1), m.end(1)), m.end()
        m = _LITERAL.match(data, i)
        return None, m.end()


def _char_offsets(raw: bytes) -> list[int]:
    """Byte offset in ``raw`` (JSON string body as written) of each decoded character, plus the end."""
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


def config_values(data: bytes, path: str, options: Options | None = None) -> list[Value]:
    """Env entries and history commands of ``docker inspect`` or image config JSON.

    ``start``/``end`` are byte offsets of the value text inside the JSON string as
    written (``data[v.start:v.end]`` is the escaped text). Environment is None: the
    image is what gets deployed, so the file's own environment applies.
    """
    data = bytes(data)
    try:
        json.loads(data)
    except json.JSONDecodeError as e:
        raise ExtractError(f"invalid JSON at line {e.lineno}, column {e.colno}: {e.msg}") from None
    except UnicodeDecodeError as e:
        raise ExtractError(f"invalid UTF-8 at byte {e.start}") from None
    except RecursionError:
        raise ExtractError("JSON is nested too deeply") from None
    start = 3 if data.startswith(b"\xef\xbb\xbf") else 0
    try:
        tree, _ = _Parser(data).value(start)
    except RecursionError:
        raise ExtractError("JSON is nested too deeply") from None
    docs = tree if isinstance(tree, list) else [tree]
    out: list[Value] = []
    for doc in docs:
        if not isinstance(doc, dict):
            continue
        for ck in ("Config", "config"):
            cfg = doc.get(ck)
            if isinstance(cfg, dict) and isinstance(cfg.get("Env"), list):
                for item in cfg["Env"]:
                    if isinstance(item, _Str):
                        v = _env_value(data, item)
                        if v:
                            out.append(v)
        hist = doc.get("history")
        if isinstance(hist, list):
            for h in hist:
                s = h.get("created_by") if isinstance(h, dict) else None
                if isinstance(s, _Str):
                    out.append(Value(key="history", value=s.decode(data), start=s.start, end=s.end))
    return out


def _env_value(data: bytes, s: _Str) -> Value | None:
    text = s.decode(data)
    key, eq, value = text.partition("=")
    if not eq or not key:
        return None
    offs = _char_offsets(data[s.start:s.end])
    return Value(key=key, value=value, start=s.start + offs[len(key) + 1], end=s.end)


def values(data: bytes, path: str, options: Options | None = None) -> list[Value]:
    """The extractor entry point for JSON files: image configs only, other JSON has no values."""
    return config_values(data, path, options) if is_image_config(data) else []


# ---------------------------------------------------------------------------
# image tarballs
# ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Member:
    path: str  # display path: f"{name}!/{inner}"
    data: bytes  # the member's bytes (as stored; a .js.gz stays gzip)
    layer: str | None = None  # "sha256:<hex>" (OCI blob), "<id>/layer.tar" (legacy save), None outside layers
    config: bool = False  # True: image config JSON — run config_values() on it
    note: str | None = None  # why the name is suspicious: "`..` in the name", "absolute name", "duplicate name"


def is_image_tar(head: bytes, name: str = "") -> bool:
    """Cheap sniff: a tar (maybe gzip-compressed) whose first entries look like an image."""
    head = bytes(head[:_SNIFF])
    if head.startswith(_GZIP):
        try:
            head = zlib.decompressobj(wbits=47).decompress(head, _SNIFF)
        except zlib.error:
            return False
    if head[257:262] != b"ustar":
        return False
    return any(k in head for k in (b"manifest.json", b"oci-layout", b"index.json", b"blobs/sha256/",
                                   b"/layer.tar", b"repositories"))


class _LimitExceeded(Exception):
    def __init__(self, msg: str, source: object):
        super().__init__(msg)
        self.source = source


class _Source:
    """The raw input, with a prefix put back and EOF noted (truncation detection)."""

    def __init__(self, f, prefix: bytes = b""):
        self.f, self.prefix, self.eof, self.count = f, prefix, False, 0

    def read(self, n: int = -1) -> bytes:
        if self.prefix:
            if n is None or n < 0:
                out, self.prefix = self.prefix + self._read(-1), b""
                return out
            out, self.prefix = self.prefix[:n], self.prefix[n:]
            return out
        return self._read(n)

    def _read(self, n: int) -> bytes:
        data = self.f.read(n)
        self.count += len(data)
        if not data or (n is not None and 0 < len(data) < n):
            self.eof = self.eof or not data
        return data


class _Decoded:
    """read(n) over a possibly compressed stream, counting bytes in and out against the limits."""

    def __init__(self, f, limits: Limits, what: str, cap_total: bool = True):
        self.f, self.limits, self.what, self.cap = f, limits, what, cap_total
        self.inb = self.outb = 0
        head = self._raw(512)
        self.kind = "gzip" if head.startswith(_GZIP) else "zstd" if head.startswith(_ZSTD) else ""
        self.pending = bytearray()
        self.done = False
        if self.kind == "gzip":
            self.dec = zlib.decompressobj(wbits=47)
            self.feed = head
        elif self.kind == "zstd":
            import zstandard

            self.reader = zstandard.ZstdDecompressor().stream_reader(_Source(_Counter(self), head))
        else:
            self.pending.extend(head)
            self.outb = len(head)

    def _raw(self, n: int) -> bytes:
        data = self.f.read(n)
        self.inb += len(data)
        return data

    def _more(self) -> bytes:
        if self.kind == "gzip":
            d = self.dec
            if d.eof:
                data = d.unused_data + self._raw(_CHUNK)
                if not data.strip(b"\x00"):
                    self.done = True
                    return b""
                self.dec = d = zlib.decompressobj(wbits=47)
            else:
                data = d.unconsumed_tail or self.feed or self._raw(_CHUNK)
                self.feed = b""
                if not data:
                    raise tarfile.ReadError("gzip data is truncated")
            return d.decompress(data, _CHUNK)
        if self.kind == "zstd":
            out = self.reader.read(_CHUNK)
        else:
            out = self._raw(_CHUNK)
        if not out:
            self.done = True
        return out

    def read(self, n: int = -1) -> bytes:
        if n is None or n < 0:
            n = 1 << 62
        while len(self.pending) < n and not self.done:
            try:
                chunk = self._more()
            except tarfile.ReadError:
                raise
            except Exception as exc:  # zlib.error, zstd errors
                raise tarfile.ReadError(f"{self.kind} data is corrupt: {exc}") from None
            self.pending.extend(chunk)
            self.outb += len(chunk)
            lim = self.limits
            if self.cap and self.outb > lim.max_decoded:
                raise _LimitExceeded(f"{self.what} expands past the {lim.max_decoded >> 20} MiB limit "
                                     "(--max-decoded-size)", self)
            if self.kind and self.outb > (1 << 20) and self.outb > lim.max_ratio * max(self.inb, 1):
                raise _LimitExceeded(f"{self.what} expands more than {lim.max_ratio}:1 (a decompression bomb?)", self)
        out = bytes(self.pending[:n])
        del self.pending[:n]
        return out


class _Counter:
    def __init__(self, owner: _Decoded):
        self.owner = owner

    def read(self, n: int = -1) -> bytes:
        return self.owner._raw(n)


class _TarInfo(tarfile.TarInfo):
    """Notes a header cut short: tarfile treats that as a quiet end of the archive."""

    @classmethod
    def fromtarfile(cls, tf):
        try:
            return super().fromtarfile(tf)
        except (tarfile.EmptyHeaderError, tarfile.TruncatedHeaderError):
            tf._twin_truncated = True
            raise


def _open_stream(f, mode: str = "r|") -> tarfile.TarFile:
    tf = tarfile.open(fileobj=f, mode=mode, tarinfo=_TarInfo)
    tf._twin_truncated = False
    return tf


def _display(raw: str) -> tuple[str, str | None]:
    """Normalised display name and a note when the name is unsafe."""
    name, note = raw, None
    if name.startswith("/"):
        note = "absolute name"
    while name.startswith(("/", "./")):
        name = name[1:] if name.startswith("/") else name[2:]
    parts = [p for p in name.split("/") if p not in ("", ".")]
    if ".." in parts:
        note = "`..` in the name" if note is None else note + ", `..` in the name"
    return "/".join(parts), note


_BLOB = re.compile(r"(?:.*/)?blobs/([a-z0-9]+)/([a-f0-9]{32,128})\Z")
_META = frozenset({"manifest.json", "index.json", "oci-layout", "repositories"})


class ImageMembers:
    """Iterator over the members of an image (or plain) tarball; see :func:`members`.

    After (or during) iteration: ``skipped`` lists members not scanned and why,
    ``errors`` lists layers stopped early (bomb, corrupt layer). A truncated or
    unreadable outer tarball raises :class:`ExtractError` from ``next()`` after the
    members read so far were yielded.
    """

    def __init__(self, fileobj, limits: Limits, name: str):
        self.fileobj, self.limits, self.name = fileobj, limits, name
        self.skipped: list[str] = []
        self.errors: list[str] = []
        self._gen = self._run()

    def __iter__(self) -> "ImageMembers":
        return self

    def __next__(self) -> Member:
        return next(self._gen)

    # -----------------------------------------------------------------------
    def _run(self) -> Iterator[Member]:
        src = _Source(self.fileobj)
        head = src.read(512)
        src.prefix = head
        if head.startswith((_GZIP, _ZSTD)):
            stream = _Decoded(src, self.limits, f"{self.name}", cap_total=False)
        else:
            stream = src
        try:
            tf = _open_stream(stream, "r|" if stream is not src else "r|*")
        except tarfile.ReadError as exc:
            raise ExtractError(f"not a readable tar archive: {exc}") from None
        except _LimitExceeded as exc:
            raise ExtractError(str(exc)) from None
        seen: set[str] = set()
        try:
            while True:
                try:
                    m = tf.next()
                except _LimitExceeded as exc:
                    raise ExtractError(str(exc)) from None
                except (tarfile.TarError, EOFError, zlib.error, OSError) as exc:
                    raise ExtractError(f"truncated tar archive {self.name}: {exc}") from None
                if m is None:
                    break
                try:
                    yield from self._outer_member(tf, m, src, seen)
                except _LimitExceeded as exc:  # the outer compressed stream itself
                    raise ExtractError(str(exc)) from None
        finally:
            tf.close()
        if tf._twin_truncated:
            raise ExtractError(f"truncated tar archive {self.name}: it ends inside an entry header "
                               f"after {len(seen)} entries")

    def _skip(self, path: str, size: int) -> None:
        self.skipped.append(f"{path}: {size >> 20} MiB is larger than the {self.limits.max_decoded >> 20} MiB limit")

    def _read_member(self, tf, m) -> bytes:
        f = tf.extractfile(m)
        try:
            return f.read()
        finally:
            f.close()

    def _outer_member(self, tf, m, src: _Source, seen: set[str]) -> Iterator[Member]:
        inner, note = _display(m.name)
        if not m.isreg():
            return  # directories, links, devices: nothing to read, nothing is created
        base = posixpath.basename(inner)
        if base in _META and "/" not in inner:
            return  # manifest.json, index.json, oci-layout, repositories
        if inner in seen:
            note = "duplicate name" if note is None else note + ", duplicate name"
        seen.add(inner)
        path = f"{self.name}!/{inner}"
        blob = _BLOB.match(inner)
        # OCI blobs, legacy `<id>/layer.tar`, podman's top-level `<digest>.tar`
        layer_like = blob is not None or base == "layer.tar" or ("/" not in inner and inner.endswith(".tar"))
        if layer_like:
            f = tf.extractfile(m)
            try:
                probe = f.read(512)
            except tarfile.ReadError as exc:
                raise ExtractError(f"truncated tar archive {self.name}: {exc} in {inner}") from None
            if _is_layer_head(probe):
                digest = f"{blob.group(1)}:{blob.group(2)}" if blob else inner
                yield from self._layer(_Source(f, probe), path, digest, src)
                return
            # not a layer: read the rest as a plain member
            if m.size > self.limits.max_decoded:
                self._skip(path, m.size)
                return
            try:
                data = probe + f.read()
            except tarfile.ReadError as exc:
                raise ExtractError(f"truncated tar archive {self.name}: {exc} in {inner}") from None
        else:
            if m.size > self.limits.max_decoded:
                self._skip(path, m.size)
                return
            if base.startswith(".wh."):
                return
            try:
                data = self._read_member(tf, m)
            except tarfile.ReadError as exc:
                raise ExtractError(f"truncated tar archive {self.name}: {exc} in {inner}") from None
        if (inner.endswith(".json") or blob) and is_image_config(data):
            yield Member(path, data, None, config=True, note=note)
        elif blob and data.lstrip()[:1] in (b"{", b"["):
            return  # manifests and indexes of an OCI layout
        else:
            yield Member(path, data, None, note=note)

    def _layer(self, raw: _Source, path: str, digest: str, src: _Source) -> Iterator[Member]:
        dec = _Decoded(raw, self.limits, f"layer {digest}")
        seen: set[str] = set()
        try:
            tf = _open_stream(dec)
            while True:
                m = tf.next()
                if m is None:
                    break
                if not m.isreg():
                    continue
                inner, note = _display(m.name)
                if posixpath.basename(inner).startswith(".wh."):
                    continue
                if inner in seen:
                    note = "duplicate name" if note is None else note + ", duplicate name"
                seen.add(inner)
                mpath = f"{self.name}!/{inner}"
                if m.size > self.limits.max_decoded:
                    self.skipped.append(f"{mpath} (layer {digest}): {m.size >> 20} MiB is larger than the "
                                        f"{self.limits.max_decoded >> 20} MiB limit")
                    continue
                data = self._read_member(tf, m)
                yield Member(mpath, data, digest, config=False, note=note)
            if tf._twin_truncated:
                raise tarfile.ReadError("layer tar ends inside an entry header")
        except _LimitExceeded as exc:
            if exc.source is not dec:
                raise
            self.errors.append(f"{path}: {exc}; the rest of the layer was not scanned")
        except (tarfile.TarError, EOFError, zlib.error) as exc:
            if src.eof:
                raise ExtractError(f"truncated tar archive {self.name}: {exc} in {path}") from None
            self.errors.append(f"{path}: unreadable layer ({exc}); the rest of the layer was not scanned")


def _is_layer_head(head: bytes) -> bool:
    return head.startswith((_GZIP, _ZSTD)) or head[257:262] == b"ustar"


def members(fileobj, limits: Limits, name: str) -> ImageMembers:
    """Config JSON and layer files of a `docker save` / OCI-layout tarball, read as a stream.

    Returns an iterator of :class:`Member` that also carries ``skipped`` and
    ``errors`` lists (see :class:`ImageMembers`). A plain tar that is not an image
    yields its own regular files (one implicit layer, ``layer=None``).
    """
    return ImageMembers(fileobj, limits, name)


#: Every JSON file; its values are an image config's `Env` (other JSON has none).
KIND = Kind("image", globs=("*.json", "*.webmanifest"), values=values, hook=(), label="json",
            name_env="stem")
