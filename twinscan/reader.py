"""Open a file for the byte pass: sniff its content, decode what servers ship, window it.

Memory stays flat in file size: large files are scanned through a sliding
window read into one reusable buffer (decoded streams likewise) with an
overlap longer than any match, so a 100 MB single-line bundle costs one window.
Nothing here ever writes; files are opened read-only and never followed into
FIFOs or devices (the walker only hands over regular files).
"""
from __future__ import annotations

import io
import os
import stat
from dataclasses import dataclass
from typing import Callable, Iterator

from .formats.decompress import BZIP2, GZIP, XZ, ZSTD, compression_of
from .formats.limits import Limits  # the per-file bounds; importable from here as before

WINDOW = 16 << 20  # bytes of new data per window
OVERLAP = 4096  # > the longest match; starts are reported only in the new part
LOOKBEHIND = 64  # bytes kept before a window (protocol-relative delimiters, keys)
SNIFF = 8192
SMALL = 1 << 20  # files up to this size are read, not mapped

# Magic numbers of binary formats a build directory holds (checked before NUL bytes).
_MAGIC: tuple[tuple[int, bytes, str], ...] = (
    (0, b"\x89PNG\r\n\x1a\n", "PNG image"), (0, b"\xff\xd8\xff", "JPEG image"), (0, b"GIF8", "GIF image"),
    (0, b"wOFF", "WOFF font"), (0, b"wOF2", "WOFF2 font"), (0, b"\x00\x01\x00\x00", "TrueType font"),
    (0, b"OTTO", "OpenType font"), (0, b"PK\x03\x04", "ZIP archive"), (0, b"%PDF-", "PDF document"),
    (0, b"\x00asm", "WebAssembly module"), (0, b"\x7fELF", "ELF executable"), (0, b"MZ", "Windows executable"),
    (0, b"\xcf\xfa\xed\xfe", "Mach-O executable"), (0, b"\xca\xfe\xba\xbe", "Mach-O/Java class file"),
    (0, b"\x00\x00\x01\x00", "ICO image"), (0, b"OggS", "Ogg media"), (0, b"ID3", "MP3 audio"),
    (0, b"\x1aE\xdf\xa3", "WebM/Matroska media"), (4, b"ftyp", "MP4/AVIF/HEIF media"),
    (0, b"BZh", "bzip2 data"), (0, b"\xfd7zXZ\x00", "xz data"), (0, b"7z\xbc\xaf'\x1c", "7-Zip archive"),
    (0, b"SQLite format 3\x00", "SQLite database"),
)


_buffer = bytearray()
_lent = 0  # how many times _buffer was handed out: a file's bytes are still in it while unchanged


def lent() -> int:
    """How many times the window buffer was handed out: while unchanged, what it holds is unchanged."""
    return _lent


def _window_buffer(size: int) -> bytearray:
    """One read buffer per process, grown on demand: allocating (and zero-filling) 16 MiB
    per file cost more than the reads. Files are scanned one after another, and nothing
    keeps a window's bytes past its file."""
    global _buffer, _lent
    if len(_buffer) < size:
        _buffer = bytearray(size)
    _lent += 1
    return _buffer


_FLAGS = os.O_RDONLY | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NONBLOCK", 0)
_NOATIME = getattr(os, "O_NOATIME", 0)


def open_fd(path: str) -> tuple[int, os.stat_result]:
    """A descriptor for a scanned file, opened without side effects: read-only, access time
    untouched where the OS allows (O_NOATIME), never blocking on a file swapped for a FIFO
    after the walk; and its fstat. Raises OSError for anything but a regular file."""
    try:
        fd = os.open(path, _FLAGS | _NOATIME)
    except PermissionError:
        if not _NOATIME:
            raise
        fd = os.open(path, _FLAGS)  # O_NOATIME needs the file's owner (or CAP_FOWNER)
    try:
        st = os.fstat(fd)
    except BaseException:
        os.close(fd)
        raise
    if not stat.S_ISREG(st.st_mode):
        os.close(fd)
        raise OSError(0, "not a regular file")
    return fd, st


def open_readonly(path: str, buffering: int = -1):
    """A scanned file as a binary file object, opened as :func:`open_fd` says."""
    return os.fdopen(open_fd(path)[0], "rb", buffering=buffering)


def read_small(path: str, limit: int) -> bytes | None:
    """The whole content of a file of at most ``limit`` bytes, or None when it is larger (it
    is then read as a large file, in windows). Raises OSError.

    One open, one fstat and (when the file has the size fstat gave) one read: no file object
    and no buffer, which were a third of the per-file cost of a tree of 50,000 chunks."""
    fd, st = open_fd(path)
    try:
        size = st.st_size
        if size > limit:  # a walk that took no stat asks of every file: a large one is read in windows
            return None
        data = os.read(fd, size + 1)
        if len(data) == size:  # asked for one byte more than fstat said: at the end
            return data
        parts, total = [data], len(data)
        while total <= limit:  # a short read, or the file changed since fstat: read on to the end
            more = os.read(fd, limit + 1 - total)
            if not more:
                break
            parts.append(more)
            total += len(more)
    finally:
        os.close(fd)
    return b"".join(parts) if total <= limit else None


class ReadError(Exception):
    """The file could not be fully read or decoded."""


class NotText(Exception):
    """The file is binary and is skipped (the message says what it is)."""


class IsArchive(Exception):
    """The file is a container whose members are scanned instead: ``format`` is ``"tar"``
    (possibly compressed), ``"zip"`` (also jar, war), ``"asar"``, or ``"layered"`` (a
    compressed stream whose content is compressed again or an archive: `app.js.gz` that
    is gzip of gzip, `dist.zip.gz`); ``compression`` is the outer stream's."""

    def __init__(self, format: str = "tar", compression: str = ""):
        super().__init__(format)
        self.format, self.compression = format, compression


#: Containers twinscan cannot open: their files are unread, so the scan is incomplete.
_UNOPENABLE = ((b"7z\xbc\xaf'\x1c", "7-Zip archive"), (b"Rar!\x1a\x07", "RAR archive"))

#: Every magic number :meth:`Opened._choose` looks for at offset 0 (binary formats, containers,
#: compressed streams, byte-order marks): a head that starts with none of them, holds no NUL byte
#: (UTF-16 without a BOM has many), no `ustar` at 257 and no `ftyp` at 4 is plain text.
_MAGIC_0 = tuple({m for off, m, _ in _MAGIC if off == 0} | {m for m, _ in _UNOPENABLE} | {
    GZIP, ZSTD, XZ, BZIP2, b"PK\x03\x04", b"PK\x05\x06", b"\xff\xfe", b"\xfe\xff"})


@dataclass
class Window:
    """A stretch of a file's bytes for the byte pass, with the range whose matches it reports."""

    buf: bytes | memoryview  # covers [base, base + len(buf))
    base: int
    lo: int  # report match starts in [lo, hi), absolute offsets
    hi: int
    src: bytes | bytearray | None = None  # the same bytes as an object with find/rfind/count (no copy)
    src_base: int = 0  # absolute offset of src[0]
    last: bool = False  # no window follows
    cands: list | None = None  # the engine's candidates for [lo, hi), when computed while reading ahead
    marks: dict | None = None  # what the caller's ``mark`` computed for the window while reading ahead

    def __post_init__(self) -> None:
        if self.src is None:
            self.src, self.src_base = bytes(self.buf), self.base


def sniff_binary(head: bytes) -> str | None:
    if not head.startswith(_MAGIC_0) and head[4:8] != b"ftyp":
        return "binary data (NUL bytes)" if b"\x00" in head else None
    for off, magic, what in _MAGIC:
        if head[off:off + len(magic)] == magic:
            return what
    if b"\x00" in head:
        return "binary data (NUL bytes)"
    return None


def plain_text(head: bytes, fs_path: str) -> bool:
    """Whether a file whose first :data:`SNIFF` bytes are *head* is read as it is: no NUL byte,
    no archive, compression or container magic, no name that says otherwise (most files of a
    build; :class:`Opened` reads such a file without a note)."""
    return b"\x00" not in head and not head.startswith(_MAGIC_0) and head[4:8] != b"ftyp" \
        and head[257:262] != b"ustar" and not fs_path[-5:].lower().endswith((".br", ".asar"))


class Opened:
    """A file ready for the byte pass, with its decoded text available on demand."""

    def __init__(self, fs_path: str, limits: Limits, data: bytes | None = None, text_expected: bool = False):
        self.fs_path = fs_path  # for standard input: the --stdin-name
        self.limits = limits
        self.data = data  # standard input, already in memory
        self.decoding = ""  # "gzip", "brotli", "zstd", "xz", "bzip2", "utf-16[-le|-be]" or "" (raw bytes)
        self.text_expected = text_expected  # the name says text (.js, .env, …): NUL bytes do not make it binary
        self.note = ""  # something the scan should say about how the file was read
        self._held = (-1, 0)  # (_lent, size) when the whole file was read into the window buffer (text() copies it)
        if data is not None:
            self.size = len(data)
            self.decoding = self._choose(data[:SNIFF])
            return
        try:
            with self._open() as f:
                head = f.read(SNIFF)
                self.size = os.fstat(f.fileno()).st_size
        except FileNotFoundError:
            raise ReadError("file vanished before it could be read") from None
        except OSError as exc:
            raise ReadError(f"cannot read: {exc.strerror or exc}") from None
        self.decoding = self._choose(head)

    def _open(self):
        return io.BytesIO(self.data) if self.data is not None else open_readonly(self.fs_path)

    def _choose(self, head: bytes) -> str:
        if plain_text(head, self.fs_path):
            return ""  # plain text (most files): what the checks below conclude, in a few C calls
        name = self.fs_path.lower()
        if head[257:262] == b"ustar":
            raise IsArchive()
        if head.startswith(b"PK\x03\x04") or (head.startswith(b"PK\x05\x06") and len(head) == 22 + head[20] + 256 * head[21]):
            raise IsArchive("zip")  # (an empty zip is only its end record)
        for magic, what in _UNOPENABLE:
            if head.startswith(magic):
                raise ReadError(f"{what}: a container twinscan cannot open, so its files were not scanned")
        compression = compression_of(head)
        if compression:
            from .formats.decompress import peek
            from .formats.tarstream import is_image_tar

            if is_image_tar(head, name) or name.endswith((".tar.gz", ".tgz", ".tar.zst", ".tar.xz", ".txz",
                                                          ".tar.bz2", ".tbz2", ".tbz")):
                raise IsArchive()
            inner = peek(compression, head, 512)
            if inner[257:262] == b"ustar":
                raise IsArchive()
            if compression_of(inner) or inner.startswith(b"PK\x03\x04"):
                raise IsArchive("layered", compression)
            return compression
        if name.endswith(".br"):
            return "brotli"
        if name.endswith(".asar"):
            from .formats.zipread import is_asar

            if is_asar(head, name):
                raise IsArchive("asar")
        if head.startswith((b"\xff\xfe", b"\xfe\xff")):
            return "utf-16"
        bom_less = _utf16_without_bom(head)
        if bom_less:
            self.note = f"read as {bom_less.upper()} (no byte-order mark)"
            return bom_less
        what = sniff_binary(head)
        if what == "binary data (NUL bytes)" and self.text_expected:
            self.note = "NUL bytes in a text file: scanned anyway"
            return ""
        if what:
            raise NotText(what)
        return ""

    # -- windows for the byte pass -------------------------------------------
    def windows(self, ahead: Callable[[memoryview, int, int], list] | None = None, threads: int = 1,
                mark: Callable[[bytearray, int, int, int, list], dict] | None = None) -> Iterator[Window]:
        """The windows in order. ``ahead(buf, lo, hi)`` (the engine's candidates, safe to call
        from other threads), with ``threads`` > 1: a file of several windows is read and
        searched that many windows ahead in threads, and each window carries its ``cands``;
        and, when given, ``mark(buf, base, lo, hi, cands)`` computed in the same thread, as its
        ``marks`` (line positions: scan/locate.checkpoints)."""
        if self.decoding.startswith("utf-16"):
            yield from _memory_windows(self.text())
        elif self.decoding:
            yield from _stream_windows(self._decoded_stream())
        elif self.size <= SMALL or self.data is not None:
            yield from _memory_windows(self._read_all())
        else:
            yield from self._file_windows(ahead if threads > 1 and hasattr(os, "preadv") else None, threads, mark)

    def _read_all(self) -> bytes:
        if self.data is not None:
            return self.data
        try:
            with open_readonly(self.fs_path) as f:
                return f.read()
        except FileNotFoundError:
            raise ReadError("file vanished during the scan") from None
        except OSError as exc:
            raise ReadError(f"cannot read: {exc.strerror or exc}") from None

    def _file_windows(self, ahead=None, threads: int = 1, mark=None) -> Iterator[Window]:
        """Windows read into one reusable buffer (or, reading ahead, one per thread plus one).

        Not mmap: a file truncated while mapped raises SIGBUS inside the engine and
        kills the process, where a short read here is a clear per-file error. The
        copy costs about 4% of the byte pass.
        """
        try:
            f = open_readonly(self.fs_path, buffering=0)
        except FileNotFoundError:
            raise ReadError("file vanished during the scan") from None
        except OSError as exc:
            raise ReadError(f"cannot read: {exc.strerror or exc}") from None
        with f:
            st = os.fstat(f.fileno())
            size = st.st_size
            if ahead is not None and size > WINDOW:
                yield from _windows_ahead(f.fileno(), size, ahead, threads, mark)
                after = os.fstat(f.fileno())
                if (after.st_size, after.st_mtime_ns) != (st.st_size, st.st_mtime_ns):
                    raise ReadError("file changed during the scan")
                return
            buf = _window_buffer(min(size, WINDOW) + OVERLAP + LOOKBEHIND)
            lo = 0
            while lo < size:
                hi = min(lo + WINDOW, size)
                start, stop = max(0, lo - LOOKBEHIND), min(size, hi + OVERLAP)
                try:
                    f.seek(start)
                    got = f.readinto(memoryview(buf)[: stop - start])
                except OSError as exc:
                    raise ReadError(f"cannot read: {exc.strerror or exc}") from None
                if got != stop - start:
                    raise ReadError("file changed during the scan (it is shorter than when it was opened)")
                view = memoryview(buf)[:got]
                if start == 0 and got == size:  # the whole file in one window: text() need not read it again
                    self._held = (_lent, got)
                try:
                    yield Window(view, start, lo, hi, buf, start, hi >= size)
                finally:
                    view.release()
                lo = hi
            after = os.fstat(f.fileno())
            if (after.st_size, after.st_mtime_ns) != (st.st_size, st.st_mtime_ns):
                raise ReadError("file changed during the scan")

    # -- decoded content -----------------------------------------------------
    def _decoded_stream(self) -> Callable[[int], bytes]:
        """A read(n) over the decompressed bytes, enforcing size and ratio limits."""
        from .formats.decompress import Decompressor, LimitExceeded

        try:
            f = self._open()
        except OSError as exc:
            raise ReadError(f"cannot read: {exc.strerror or exc}") from None
        dec = Decompressor(f, self.decoding, self.limits, f"{self.decoding} data", error=ReadError)

        def read(n: int) -> bytes:
            try:
                out = dec.read(n)
            except LimitExceeded as exc:
                f.close()
                raise ReadError(str(exc)) from None
            except ReadError:
                f.close()
                raise
            if dec.finished:
                f.close()
            return out

        return read

    def held(self) -> tuple[bytearray, int] | None:
        """``(buffer, size)`` while the whole file is still in the window buffer as the byte pass
        read it (its bytes are ``buffer[:size]``; what follows them is stale), else None. For a
        caller that only searches the text: no copy of it. Valid until the next window is read."""
        return (_buffer, self._held[1]) if self._held[0] == _lent else None

    def text(self, limit: int | None = None) -> bytes | None:
        """The whole decoded content (UTF-8 for UTF-16 files); None past ``limit`` bytes."""
        if self.decoding.startswith("utf-16"):
            if limit is not None and self.size > 2 * limit + 2:
                return None
            data = self._read_all()
            if len(data) > self.limits.max_decoded:
                raise ReadError("UTF-16 file is larger than the decoding limit")
            try:
                return data.decode(self.decoding).encode("utf-8")
            except UnicodeDecodeError as exc:
                raise ReadError(f"invalid UTF-16: {exc.reason} at byte {exc.start}") from None
        if self.decoding:
            read = self._decoded_stream()
            parts, total = [], 0
            while True:
                chunk = read(WINDOW)
                if not chunk:
                    return b"".join(parts)
                total += len(chunk)
                if limit is not None and total > limit:
                    return None
                parts.append(chunk)
        if limit is not None and self.size > limit:
            return None
        if self._held[0] == _lent:  # still in the window buffer, as the byte pass read it
            with memoryview(_buffer) as view:
                return bytes(view[:self._held[1]])
        return self._read_all()


_ahead_buffers: list[bytearray] = []


def _windows_ahead(fd: int, size: int, ahead: Callable[[memoryview, int, int], list], threads: int,
                   mark: Callable[[bytearray, int, int, int, list], dict] | None = None) -> Iterator[Window]:
    """The windows of a large file, each read (``os.preadv``) and searched (``ahead``) in one of
    ``threads`` threads while earlier windows are handled here: Hyperscan and the reads release
    the GIL, so a single 300 MB bundle uses more than one core. Window ``i`` lives in buffer
    ``i % (threads + 1)``: ``threads`` windows in flight and the one being handled. The windows
    are those of the one-buffer loop, so the results are too."""
    from concurrent.futures import ThreadPoolExecutor

    spans = []
    lo = 0
    while lo < size:
        hi = min(lo + WINDOW, size)
        spans.append((max(0, lo - LOOKBEHIND), min(size, hi + OVERLAP), lo, hi))
        lo = hi
    nbuf = threads + 1
    while len(_ahead_buffers) < nbuf:
        _ahead_buffers.append(bytearray())
    for i in range(nbuf):
        if len(_ahead_buffers[i]) < WINDOW + OVERLAP + LOOKBEHIND:
            _ahead_buffers[i] = bytearray(WINDOW + OVERLAP + LOOKBEHIND)
    bufs = _ahead_buffers[:nbuf]

    def task(i: int) -> tuple[list, dict | None]:
        start, stop, lo, hi = spans[i]
        with memoryview(bufs[i % nbuf])[:stop - start] as view:
            got = 0
            while got < len(view):
                try:
                    n = os.preadv(fd, [view[got:]], start + got)
                except OSError as exc:
                    raise ReadError(f"cannot read: {exc.strerror or exc}") from None
                if not n:
                    raise ReadError("file changed during the scan (it is shorter than when it was opened)")
                got += n
            cands = ahead(view, lo - start, hi - start)
            # the buffer itself (find, count), not the view: its bytes from `start` are this window's
            return cands, (mark(bufs[i % nbuf], start, lo, hi, cands) if mark is not None else None)

    pool = ThreadPoolExecutor(threads, thread_name_prefix="twinscan-window")
    try:
        futures = {i: pool.submit(task, i) for i in range(min(threads, len(spans)))}
        for i, (start, stop, lo, hi) in enumerate(spans):
            cands, marks = futures.pop(i).result()
            if i + threads < len(spans):  # into the buffer of window i - 1, which is done with
                futures[i + threads] = pool.submit(task, i + threads)
            buf = bufs[i % nbuf]
            view = memoryview(buf)[:stop - start]
            try:
                yield Window(view, start, lo, hi, buf, start, hi >= size, cands, marks)
            finally:
                view.release()
    finally:  # also when the caller stops early: no thread may still write a buffer or read the file
        pool.shutdown(wait=True, cancel_futures=True)


def _utf16_without_bom(head: bytes) -> str:
    """"utf-16-le"/"utf-16-be" when text looks like ASCII-range UTF-16 with no BOM, else ""."""
    n = len(head) // 2 * 2
    if n < 16 or b"\x00" not in head:
        return ""
    even, odd = head[0:n:2], head[1:n:2]
    half = n // 2
    if odd.count(0) > 0.9 * half and even.count(0) < 0.05 * half:
        return "utf-16-le"
    if even.count(0) > 0.9 * half and odd.count(0) < 0.05 * half:
        return "utf-16-be"
    return ""


def _memory_windows(data: bytes) -> Iterator[Window]:
    size = len(data)
    view = memoryview(data)
    lo = 0
    while True:
        hi = min(lo + WINDOW, size)
        start = max(0, lo - LOOKBEHIND)
        yield Window(view[start:min(size, hi + OVERLAP)], start, lo, hi, data, 0, hi >= size)
        if hi >= size:
            return
        lo = hi


def _stream_windows(read: Callable[[int], bytes]) -> Iterator[Window]:
    """Windows over a stream: keep LOOKBEHIND + OVERLAP bytes of the previous one."""
    buf = read(WINDOW + OVERLAP)
    base = lo = 0
    while True:
        more = read(WINDOW) if len(buf) - (lo - base) >= WINDOW + OVERLAP else b""
        end = base + len(buf)
        hi = min(lo + WINDOW, end) if more else end
        yield Window(buf, base, lo, hi, buf, base, not more)
        if not more:
            return
        keep_from = max(base, hi - LOOKBEHIND)
        buf = buf[keep_from - base:] + more
        base, lo = keep_from, hi
