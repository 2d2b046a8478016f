"""Zip archives (and jar, war, AWS Lambda packages) and Electron `app.asar` read in memory, never extracted.

``zipfile`` reads the zip format; what it does not do is told here. A member is only ever
a *name* (``..`` and absolute names are reported, never resolved; links are not followed),
and each member is decoded through the shared bounded :class:`~.decompress.Decompressor`
as a counting pass-through whose ratio is taken against the member's stated compressed
size: a zip bomb is stopped about one step past ``--max-decoded-size`` or ``--max-ratio``,
never after it has filled memory. What cannot be read (an encrypted member, a compression
method the standard library lacks, a corrupt member) is an error for the archive, so a
scan that leaves a member unread is never reported as complete.

asar (Electron's archive) is a little-endian header of two "pickles" — a uint32 4, the
header pickle's size, the JSON string's length — then a JSON file table whose entries give
each file's ``offset`` (a decimal string) and ``size`` relative to the end of the header.
Entries marked ``unpacked`` are stored beside the archive (``app.asar.unpacked/``), not in it.
"""
from __future__ import annotations

import posixpath
import struct
from dataclasses import dataclass
from typing import Iterator

from .decompress import CHUNK, Decompressor, LimitExceeded
from .limits import Limits
from .tarstream import display_name

ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")  # a local file header; an empty archive's end record
ASAR_MAGIC = b"\x04\x00\x00\x00"
#: Compression methods the standard library decodes: stored, deflate, bzip2, lzma.
_METHODS = {0, 8, 12, 14}
_METHOD_NAMES = {9: "Deflate64", 93: "Zstandard", 95: "xz", 96: "JPEG", 97: "WavPack", 98: "PPMd",
                 99: "WinZip AES encryption"}
_S_IFMT, _S_IFLNK = 0o170000, 0o120000
MAX_ASAR_HEADER = 64 << 20  # a JSON file table larger than this is not a real app


class ArchiveError(Exception):
    """The archive as a whole cannot be read (not a zip, a corrupt directory, a bad asar header)."""


@dataclass(frozen=True)
class ArchiveMember:
    path: str  # display path: f"{name}!/{inner}"
    data: bytes
    config: bool = False  # never an image config (the tarball reader's Member has the same field)
    note: str | None = None  # why the name is suspicious: "`..` in the name", "absolute name", "duplicate name"


class _Members:
    """Iterator over an archive's files; ``skipped`` and ``errors`` fill in as it goes."""

    def __init__(self, fileobj, limits: Limits, name: str):
        self.fileobj, self.limits, self.name = fileobj, limits, name
        self.skipped: list[str] = []
        self.errors: list[str] = []
        self._seen: set[str] = set()
        self._gen = self._run()

    def __iter__(self):
        return self

    def __next__(self) -> ArchiveMember:
        return next(self._gen)

    def _run(self) -> Iterator[ArchiveMember]:
        raise NotImplementedError

    def _named(self, raw: str) -> tuple[str, str | None]:
        inner, note = display_name(raw)
        if inner in self._seen:
            note = "duplicate name" if note is None else note + ", duplicate name"
        self._seen.add(inner)
        return f"{self.name}!/{inner}", note

    def _too_large(self, path: str, size: int) -> bool:
        if size > self.limits.max_decoded:
            self.errors.append(f"{path}: {size >> 20} MiB is larger than the {self.limits.max_decoded >> 20} MiB limit "
                               "(--max-decoded-size); not scanned")
            return True
        return False


class ZipMembers(_Members):
    """The regular files of a zip archive, decoded one at a time within the limits."""

    def _run(self) -> Iterator[ArchiveMember]:
        import zipfile

        try:
            zf = zipfile.ZipFile(self.fileobj)
        except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, ValueError, struct.error) as exc:
            raise ArchiveError(f"not a readable zip archive: {exc}") from None
        with zf:
            for info in zf.infolist():
                if info.is_dir():
                    continue
                path, note = self._named(info.filename)
                if (info.external_attr >> 16) & _S_IFMT == _S_IFLNK:
                    self.skipped.append(f"{path}: symbolic link in the archive (a name only, never followed)")
                    continue
                if info.flag_bits & 0x1:
                    self.errors.append(f"{path}: encrypted; twinscan cannot read it, so it was not scanned")
                    continue
                if info.compress_type not in _METHODS:
                    how = _METHOD_NAMES.get(info.compress_type, "unknown")
                    self.errors.append(f"{path}: compression method {info.compress_type} ({how}) is not supported; "
                                       "not scanned")
                    continue
                if self._too_large(path, info.file_size):
                    continue
                data = self._read(zf, info, path)
                if data is not None:
                    yield ArchiveMember(path, data, note=note)

    def _read(self, zf, info, path: str) -> bytes | None:
        import zipfile
        import zlib

        try:
            with zf.open(info) as raw:
                dec = Decompressor(raw, "", self.limits, path, step=CHUNK, packed=max(info.compress_size, 1))
                return dec.read()
        except LimitExceeded as exc:
            self.errors.append(f"{exc}; not scanned")
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, NotImplementedError,
                RuntimeError) as exc:  # RuntimeError: zipfile's "password required"
            self.errors.append(f"{path}: corrupt archive member ({exc}); not scanned")
        except Exception as exc:  # lzma.LZMAError, OSError from bz2: imported lazily by zipfile
            self.errors.append(f"{path}: corrupt archive member ({type(exc).__name__}: {exc}); not scanned")
        return None


class AsarMembers(_Members):
    """The files packed in an Electron asar archive, read by offset from the file object."""

    def _run(self) -> Iterator[ArchiveMember]:
        import json

        f = self.fileobj
        head = f.read(16)
        if len(head) < 16 or head[:4] != ASAR_MAGIC:
            raise ArchiveError("not a readable asar archive: the header is missing")
        pickle_size, _payload, json_len = struct.unpack("<III", head[4:16])
        if json_len > min(pickle_size, MAX_ASAR_HEADER):
            raise ArchiveError(f"not a readable asar archive: a {json_len} byte file table in a "
                               f"{pickle_size} byte header")
        raw = f.read(json_len)
        if len(raw) < json_len:
            raise ArchiveError("truncated asar archive: it ends inside its file table")
        try:
            table = json.loads(raw)
        except (ValueError, RecursionError) as exc:
            raise ArchiveError(f"not a readable asar archive: the file table is not JSON ({exc})") from None
        if not isinstance(table, dict) or not isinstance(table.get("files"), dict):
            raise ArchiveError("not a readable asar archive: the file table has no `files`")
        base = 8 + pickle_size
        stack: list[tuple[str, dict]] = [("", table["files"])]
        while stack:
            prefix, files = stack.pop()
            for name, entry in files.items():
                inner = f"{prefix}{name}"
                if not isinstance(entry, dict):
                    self.errors.append(f"{self.name}!/{inner}: a file table entry that is not an object; not scanned")
                    continue
                if isinstance(entry.get("files"), dict):
                    stack.append((inner + "/", entry["files"]))
                    continue
                path, note = self._named(inner)
                if "link" in entry:
                    self.skipped.append(f"{path}: symbolic link in the archive (a name only, never followed)")
                    continue
                if entry.get("unpacked"):
                    self.skipped.append(f"{path}: unpacked, stored beside the archive in "
                                        f"{posixpath.basename(self.name)}.unpacked/ (scanned there, not here)")
                    continue
                data = self._read(f, base, entry, path)
                if data is not None:
                    yield ArchiveMember(path, data, note=note)

    def _read(self, f, base: int, entry: dict, path: str) -> bytes | None:
        try:
            size, offset = int(entry.get("size", -1)), int(entry.get("offset", -1))
        except (TypeError, ValueError):
            size = offset = -1
        if size < 0 or offset < 0:
            self.errors.append(f"{path}: no valid offset and size in the file table; not scanned")
            return None
        if self._too_large(path, size):
            return None
        try:
            f.seek(base + offset)
            data = f.read(size)
        except (OSError, ValueError, OverflowError) as exc:
            self.errors.append(f"{path}: cannot read ({exc}); not scanned")
            return None
        if len(data) < size:
            self.errors.append(f"{path}: the archive ends before this file does (truncated); not scanned")
            return None
        return data


def is_asar(head: bytes, name: str) -> bool:
    """An asar archive: the name says so and the header starts as asar's does."""
    if not name.lower().endswith(".asar") or len(head) < 16 or head[:4] != ASAR_MAGIC:
        return False
    pickle_size, payload, json_len = struct.unpack("<III", head[4:16])
    return payload <= pickle_size and json_len <= payload and head[16:17] == b"{"
