"""The one decoder of compressed streams (gzip, zstd, brotli) with the decompression bounds.

Written by hand around the codecs' incremental objects rather than ``gzip.open`` or
``tarfile``'s own decompression because the bounds must hold *while* decoding: output is
produced a bounded step at a time and counted against ``--max-decoded-size`` and the
decompressed:compressed ratio (a bomb is stopped after about one step past the limit,
never after it has filled memory). Concatenated gzip members (`cat a.gz b.gz`) are read
as one stream, like gzip itself does; trailing NUL padding after the last member is ignored.

Used for served files (`app.js.gz`, `.br`, `.zst`) by :mod:`twinscan.reader` and for
image tarballs and their layers by :mod:`twinscan.extract.image`.
"""
from __future__ import annotations

import zlib
from typing import Callable

from .limits import Limits

GZIP, ZSTD = b"\x1f\x8b", b"\x28\xb5\x2f\xfd"
CHUNK = 1 << 16  # compressed bytes read at a time


def compression_of(head: bytes) -> str:
    """``"gzip"``, ``"zstd"`` or ``""`` from a stream's first bytes (brotli has no magic number)."""
    return "gzip" if head.startswith(GZIP) else "zstd" if head.startswith(ZSTD) else ""


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

    ``kind``: ``"gzip"``, ``"zstd"``, ``"brotli"``, or ``""`` (stored: passed through, only
    the total is capped). ``what`` names the data in limit messages ("gzip data", "layer
    sha256:…"). ``head``: bytes already read from ``f`` (a sniff), decoded first.
    ``cap_total``: apply --max-decoded-size to the whole output (an image tarball caps each
    member instead). ``step``: the most output one decoding step makes (None: as much as the
    caller asked for). ``error``: the exception class for truncated or corrupt data, so a
    caller such as ``tarfile`` sees the error type it handles.
    """

    def __init__(self, f, kind: str, limits: Limits, what: str, *, head: bytes = b"", cap_total: bool = True,
                 step: int | None = None, error: type[Exception] = DecodeError):
        self.f, self.kind, self.limits, self.what = f, kind, limits, what
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
            if self.kind and self.outb > (1 << 20) and self.outb > lim.max_ratio * max(self.inb, 1):
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
