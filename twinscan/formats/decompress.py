"""The one decoder of compressed streams (gzip, zstd, brotli, xz, bzip2) with the decompression bounds.

Written by hand around the codecs' incremental objects rather than ``gzip.open`` or
``tarfile``'s own decompression because the bounds must hold *while* decoding: output is
produced a bounded step at a time and counted against ``--max-decoded-size`` and the
decompressed:compressed ratio (a bomb is stopped after about one step past the limit,
never after it has filled memory). Concatenated gzip members (`cat a.gz b.gz`) are read
as one stream, like gzip itself does; trailing NUL padding after the last member is ignored.

Used for served files (`app.js.gz`, `.br`, `.zst`, `.xz`, `.bz2`) by :mod:`twinscan.reader`, for
image tarballs and their layers by :mod:`twinscan.extract.image`, and (as a counting pass-through
with the member's compressed size) for zip members by :mod:`twinscan.formats.zipread`.
"""
from __future__ import annotations

import zlib
from typing import Callable

from .limits import Limits

GZIP, ZSTD, XZ, BZIP2 = b"\x1f\x8b", b"\x28\xb5\x2f\xfd", b"\xfd7zXZ\x00", b"BZh"
CHUNK = 1 << 16  # compressed bytes read at a time


def compression_of(head: bytes) -> str:
    """``"gzip"``, ``"zstd"``, ``"xz"``, ``"bzip2"`` or ``""`` from a stream's first bytes
    (brotli has no magic number). bzip2's ``BZh`` is followed by the block size digit."""
    if head.startswith(GZIP):
        return "gzip"
    if head.startswith(ZSTD):
        return "zstd"
    if head.startswith(XZ):
        return "xz"
    if head.startswith(BZIP2) and head[3:4] in b"123456789" and len(head) > 3:
        return "bzip2"
    return ""


def peek(kind: str, head: bytes, n: int = 1024) -> bytes:
    """The first decoded bytes of ``head`` (a compressed stream's first bytes), or b"" when
    they cannot be decoded: enough to see what the compressed stream holds (another
    compressed stream, a tar or zip archive, text)."""
    try:
        if kind == "gzip":
            return zlib.decompressobj(wbits=47).decompress(head, n)
        if kind == "xz":
            import lzma

            return lzma.LZMADecompressor().decompress(head, n)
        if kind == "bzip2":
            import bz2

            return bz2.BZ2Decompressor().decompress(head, n)
        if kind == "zstd":  # a stream reader: a one-shot decompressobj would expand an RLE bomb in full
            import io

            import zstandard

            return zstandard.ZstdDecompressor().stream_reader(io.BytesIO(head)).read(n)
    except Exception:  # a truncated or corrupt head: the full decode reports it
        return b""
    return b""


class DecodeError(Exception):
    """The compressed data is truncated or corrupt (callers may name their own class)."""


class LimitExceeded(Exception):
    """The output passed --max-decoded-size or the ratio limit; ``source`` is the decoder that
    says so (a tarball's layer and the tarball itself are decoded by two)."""

    def __init__(self, msg: str, source: object):
        super().__init__(msg)
        self.source = source


class Decompressor:
    """``read(n)`` over the decoded bytes of ``f`` (anything with ``read(n)``).

    ``kind``: ``"gzip"``, ``"zstd"``, ``"brotli"``, ``"xz"``, ``"bzip2"``, or ``""`` (stored:
    passed through, only the total is capped, and the ratio against ``packed`` when given:
    a zip member that zipfile decodes, whose compressed size the archive states). ``what`` names the data in limit messages ("gzip data", "layer
    sha256:…"). ``head``: bytes already read from ``f`` (a sniff), decoded first.
    ``cap_total``: apply --max-decoded-size to the whole output (an image tarball caps each
    member instead). ``step``: the most output one decoding step makes (None: as much as the
    caller asked for). ``error``: the exception class for truncated or corrupt data, so a
    caller such as ``tarfile`` sees the error type it handles.
    """

    def __init__(self, f, kind: str, limits: Limits, what: str, *, head: bytes = b"", cap_total: bool = True,
                 step: int | None = None, error: type[Exception] = DecodeError, packed: int = 0):
        self.f, self.kind, self.limits, self.what = f, kind, limits, what
        self.packed = packed
        self.cap, self.step, self.error = cap_total, step, error
        self.inb = len(head)  # compressed bytes consumed (the ratio's denominator)
        self.outb = 0
        self._head = head
        self.pending = bytearray()
        self.done = False
        self._more: Callable[[int], bytes]
        if kind == "gzip":
            self._gz = zlib.decompressobj(wbits=47)
            self._more = self._gzip
        elif kind == "zstd":
            import zstandard

            self._zst = zstandard.ZstdDecompressor().stream_reader(_RawReader(self))
            self._more = self._zstd
        elif kind == "brotli":
            import brotli

            self._br = brotli.Decompressor()
            self._more = self._brotli
        elif kind in ("xz", "bzip2"):
            self._new_stream()
            self._more = self._multi
        elif kind == "":
            self._more = self._stored
        else:
            raise ValueError(f"unknown compression {kind!r}")

    def raw(self, n: int) -> bytes:
        """Compressed bytes: the put-back head first, then ``f``; counted."""
        if self._head:
            if n is None or n < 0:
                out, self._head = self._head, b""
            else:
                out, self._head = self._head[:n], self._head[n:]
            return out
        data = self.f.read(n)
        self.inb += len(data)
        return data

    def _gzip(self, n: int) -> bytes:
        d = self._gz
        if d.eof:  # another member may follow (`cat a.gz b.gz` is valid gzip)
            data = d.unused_data + self.raw(CHUNK)
            if not data.strip(b"\x00"):
                self.done = True
                return b""
            self._gz = d = zlib.decompressobj(wbits=47)
        else:
            data = d.unconsumed_tail or self.raw(CHUNK)
            if not data:
                raise self.error("gzip data is truncated")
        return d.decompress(data, n)

    def _zstd(self, n: int) -> bytes:
        out = self._zst.read(n)
        if not out:
            self.done = True
        return out

    def _brotli(self, n: int) -> bytes:
        b = self._br
        if b.is_finished():
            self.done = True
            return b""
        data = self.raw(CHUNK) if b.can_accept_more_data() else b""
        out = b.process(data, output_buffer_limit=n)
        # no input left and nothing more out of the decoder: the stream ends before its end
        # (the decoder may say it accepts input while output it held back is still pending)
        if not out and not data and not b.is_finished():
            raise self.error("brotli data is truncated")
        return out

    def _new_stream(self) -> None:
        if self.kind == "xz":
            import lzma

            self._dec = lzma.LZMADecompressor()
        else:
            import bz2

            self._dec = bz2.BZ2Decompressor()
        self._unused = b""

    def _multi(self, n: int) -> bytes:
        """xz and bzip2: one decoder per stream; concatenated streams (`cat a.xz b.xz`,
        pbzip2's output) are read as one, like xz and bzip2 themselves do."""
        d = self._dec
        if d.eof:
            data = d.unused_data + self.raw(CHUNK)
            if not data.strip(b"\x00"):
                self.done = True
                return b""
            self._new_stream()
            d = self._dec
        elif d.needs_input:
            data = self.raw(CHUNK)
            if not data:
                raise self.error(f"{self.kind} data is truncated")
        else:
            data = b""
        return d.decompress(data, n)

    def _stored(self, n: int) -> bytes:
        out = self.raw(CHUNK)
        if not out:
            self.done = True
        return out

    def read(self, n: int = -1) -> bytes:
        if n is None or n < 0:
            n = 1 << 62
        lim = self.limits
        while len(self.pending) < n and not self.done:
            try:
                chunk = self._more(self.step or n)
            except self.error:
                raise
            except Exception as exc:  # zlib.error, brotli.error, zstd errors, the source's own errors
                raise self.error(f"{self.kind} data is corrupt: {exc}") from None
            self.pending.extend(chunk)
            self.outb += len(chunk)
            if self.cap and self.outb > lim.max_decoded:
                raise LimitExceeded(f"{self.what} expands past the {lim.max_decoded >> 20} MiB limit "
                                    "(--max-decoded-size)", self)
            packed = self.packed or (max(self.inb, 1) if self.kind else 0)
            if packed and self.outb > (1 << 20) and self.outb > lim.max_ratio * packed:
                raise LimitExceeded(f"{self.what} expands more than {lim.max_ratio}:1 (a decompression bomb?)", self)
        out = bytes(self.pending[:n])
        del self.pending[:n]
        return out

    @property
    def finished(self) -> bool:
        """Everything decoded and handed out."""
        return self.done and not self.pending


class _RawReader:
    """The compressed side of a Decompressor as a file, for zstandard's stream reader."""

    def __init__(self, owner: Decompressor):
        self.owner = owner

    def read(self, n: int = -1) -> bytes:
        return self.owner.raw(n)
