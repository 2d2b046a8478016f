"""Tar archives read as a stream, never extracted: sniffing, truncation, and safe member names.

``tarfile`` reads the format; what it does not do is told here: a header cut short
ends an archive quietly in ``tarfile`` (here it is noted, so a truncated archive is an
error, not a short scan), a name is only ever a *name* (``..`` and absolute names are
reported, never resolved against a directory), and an image tarball is recognised from
its first bytes so the reader hands it to the archive path instead of scanning bytes.
"""
from __future__ import annotations

import functools
import zlib

from .decompress import GZIP

_SNIFF = 65536


def is_image_tar(head: bytes, name: str = "") -> bool:
    """Cheap sniff: a tar (maybe gzip-compressed) whose first entries look like an image."""
    head = bytes(head[:_SNIFF])
    if head.startswith(GZIP):
        try:
            head = zlib.decompressobj(wbits=47).decompress(head, _SNIFF)
        except zlib.error:
            return False
    if head[257:262] != b"ustar":
        return False
    return any(k in head for k in (b"manifest.json", b"oci-layout", b"index.json", b"blobs/sha256/",
                                   b"/layer.tar", b"repositories"))


class Source:
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


@functools.lru_cache(maxsize=1)
def _tarinfo_class():
    """tarfile.TarInfo that notes a header cut short: tarfile treats that as a quiet end of the
    archive. Made on first use: tarfile (and shutil) cost every run their import otherwise."""
    import tarfile

    class _TarInfo(tarfile.TarInfo):
        @classmethod
        def fromtarfile(cls, tf):
            try:
                return super().fromtarfile(tf)
            except (tarfile.EmptyHeaderError, tarfile.TruncatedHeaderError):
                tf._twin_truncated = True
                raise

    return _TarInfo


def open_stream(f, mode: str = "r|") -> "tarfile.TarFile":  # noqa: F821
    """A streaming TarFile whose ``_twin_truncated`` says whether it ended inside a header."""
    import tarfile

    tf = tarfile.open(fileobj=f, mode=mode, tarinfo=_tarinfo_class())
    tf._twin_truncated = False
    return tf


def display_name(raw: str) -> tuple[str, str | None]:
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
