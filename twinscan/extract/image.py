"""Container images: `docker inspect` / image config JSON, and `docker save` / OCI-layout tarballs.

Two entry points:

* :func:`config_values` lists the ``Env`` entries of ``docker inspect`` output and of
  an OCI/Docker image config (``config.Env``), plus every ``history[].created_by``
  string (an ``ENV X=…`` there is baked into the image), with exact byte offsets
  of the value text as written in the JSON (escapes included).
* :func:`members` reads an image tarball as a *stream* and yields the image config
  JSON and every regular file inside every layer, all in memory. Nothing is ever
  extracted or written: links, devices and unsafe names are only ever *names*.

No Docker engine is used. The readers underneath are shared ones with bounds:
:mod:`twinscan.formats.decompress` (layers, compressed tarballs), :mod:`twinscan.formats.tarstream`
and :mod:`twinscan.formats.jsonspans` (string offsets in the config JSON).
"""
from __future__ import annotations

import json
import posixpath
import re
import zlib
from dataclasses import dataclass
from typing import Iterator

from ..formats.decompress import CHUNK, GZIP, ZSTD, Decompressor, LimitExceeded, compression_of
from ..formats.jsonspans import JsonSyntaxError, Span, SpanParser, char_offsets
from ..formats.limits import Limits
from ..formats.tarstream import Source, display_name, open_stream
from ..formats.tarstream import is_image_tar as is_image_tar  # the sniff, importable from here as before
from .kind import Kind
from .values import ExtractError, Options, Value

_SNIFF = 65536


# ---------------------------------------------------------------------------
# image config / docker inspect JSON
# ---------------------------------------------------------------------------

def is_image_config(data: bytes) -> bool:
    """Cheap sniff: a JSON object/list naming ``Config``/``config`` and ``Env``/``rootfs``."""
    head = bytes(data[:_SNIFF])
    if head.startswith(b"\xef\xbb\xbf"):
        head = head[3:]
    head = head.lstrip()
    if head[:1] not in (b"{", b"["):
        return False
    return (b'"Config"' in head or b'"config"' in head) and (b'"Env"' in head or b'"rootfs"' in head)


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
        tree, _ = SpanParser(data, allow_nan=True).parse(start)
    except RecursionError:
        raise ExtractError("JSON is nested too deeply") from None
    except JsonSyntaxError as e:  # json.loads read it in another encoding (UTF-16/32 JSON)
        raise ExtractError(f"invalid JSON: {e}") from None
    docs = tree if isinstance(tree, list) else [tree]
    out: list[Value] = []
    for doc in docs:
        if not isinstance(doc, dict):
            continue
        for ck in ("Config", "config"):
            cfg = doc.get(ck)
            if isinstance(cfg, dict) and isinstance(cfg.get("Env"), list):
                for item in cfg["Env"]:
                    if isinstance(item, Span):
                        v = _env_value(data, item)
                        if v:
                            out.append(v)
        hist = doc.get("history")
        if isinstance(hist, list):
            for h in hist:
                s = h.get("created_by") if isinstance(h, dict) else None
                if isinstance(s, Span):
                    out.append(Value(key="history", value=s.decode(data), start=s.start, end=s.end))
    return out


def _env_value(data: bytes, s: Span) -> Value | None:
    text = s.decode(data)
    key, eq, value = text.partition("=")
    if not eq or not key:
        return None
    offs = char_offsets(data[s.start:s.end])
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
        import tarfile  # lazily: classifying a path imports every kind module

        src = Source(self.fileobj)
        head = src.read(512)
        kind = compression_of(head)
        if kind:
            stream = Decompressor(src, kind, self.limits, f"{self.name}", head=head, cap_total=False, step=CHUNK,
                                  error=tarfile.ReadError)
        else:
            src.prefix = head
            stream = src
        try:
            tf = open_stream(stream, "r|" if stream is not src else "r|*")
        except tarfile.ReadError as exc:
            raise ExtractError(f"not a readable tar archive: {exc}") from None
        except LimitExceeded as exc:
            raise ExtractError(str(exc)) from None
        seen: set[str] = set()
        try:
            while True:
                try:
                    m = tf.next()
                except LimitExceeded as exc:
                    raise ExtractError(str(exc)) from None
                except (tarfile.TarError, EOFError, zlib.error, OSError) as exc:
                    raise ExtractError(f"truncated tar archive {self.name}: {exc}") from None
                if m is None:
                    break
                try:
                    yield from self._outer_member(tf, m, src, seen)
                except LimitExceeded as exc:  # the outer compressed stream itself
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

    def _outer_member(self, tf, m, src: Source, seen: set[str]) -> Iterator[Member]:
        import tarfile  # lazily: classifying a path imports every kind module

        inner, note = display_name(m.name)
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
                yield from self._layer(f, probe, path, digest, src)
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

    def _layer(self, raw, head: bytes, path: str, digest: str, src: Source) -> Iterator[Member]:
        import tarfile  # lazily: classifying a path imports every kind module

        dec = Decompressor(raw, compression_of(head), self.limits, f"layer {digest}", head=head, step=CHUNK,
                           error=tarfile.ReadError)
        seen: set[str] = set()
        try:
            tf = open_stream(dec)
            while True:
                m = tf.next()
                if m is None:
                    break
                if not m.isreg():
                    continue
                inner, note = display_name(m.name)
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
        except LimitExceeded as exc:
            if exc.source is not dec:
                raise
            self.errors.append(f"{path}: {exc}; the rest of the layer was not scanned")
        except (tarfile.TarError, EOFError, zlib.error) as exc:
            if src.eof:
                raise ExtractError(f"truncated tar archive {self.name}: {exc} in {path}") from None
            self.errors.append(f"{path}: unreadable layer ({exc}); the rest of the layer was not scanned")


def _is_layer_head(head: bytes) -> bool:
    return head.startswith((GZIP, ZSTD)) or head[257:262] == b"ustar"


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
