"""Locate: line and character column of a byte offset, and the one-line snippet shown with a hit.

Columns count characters (UTF-8 code points; an invalid byte counts one, as U+FFFD),
never bytes, so they match what an editor shows.
"""
from __future__ import annotations

import re

from ..reader import Window
from ..urls import URL

SNIPPET = 60  # characters of context on each side of a hit
_CONT = bytes(range(0x80, 0xC0))  # UTF-8 continuation bytes (not characters)
USERINFO = re.compile(r"(//)[^/@\s]+@")


def chars(b: bytes) -> int:
    """Characters in UTF-8 bytes (invalid bytes count one each, as U+FFFD)."""
    return len(b) if b.isascii() else len(b.translate(None, _CONT))


def line_column(data: bytes, offset: int) -> tuple[int, int]:
    """1-based line and character column of ``offset`` in ``data``."""
    line_start = data.rfind(b"\n", 0, offset) + 1
    return data.count(b"\n", 0, offset) + 1, chars(data[line_start:offset]) + 1


def checkpoints(buf, base: int, lo: int, hi: int, cands: list[tuple[int, int]]) -> dict[int, tuple[int, int]]:
    """For ``lo``, each candidate start in [lo, hi) and ``hi`` (absolute offsets; ``buf[0]`` is at
    ``base``): (newlines in [lo, offset), characters from the last of them, else from ``lo``, to
    offset). Computed in the thread that read and searched a window of a large file, so that
    :meth:`Lines.advance` between two of these offsets is two look-ups: counting newlines up
    to each hit of a 300 MB bundle on the main thread was on the critical path (issue 14)."""
    out = {lo: (0, 0)}
    count = col = 0
    prev = lo
    for off in sorted({s + base for s, _ in cands if lo <= s + base < hi} | {hi}):
        if off == prev:
            continue
        a, b = prev - base, off - base
        nl = buf.count(b"\n", a, b)
        if nl:
            count += nl
            col = chars(buf[buf.rfind(b"\n", a, b) + 1:b])
        else:
            col += chars(buf[a:b])
        out[off] = (count, col)
        prev = off
    return out


class Lines:
    """Line and character column of increasing offsets, across windows."""

    def __init__(self) -> None:
        self.pos = 0
        self.line = 1
        self.col = 0  # characters between the line start and pos

    def advance(self, w: Window, to: int) -> None:
        marks = w.marks
        if marks is not None:  # both ends looked up in the window's checkpoints (computed ahead)
            here, there = marks.get(self.pos), marks.get(to)
            if here is not None and there is not None:
                if there[0] > here[0]:
                    self.line += there[0] - here[0]
                    self.col = there[1]
                else:
                    self.col += there[1] - here[1]
                self.pos = to
                return
        src, a, b = w.src, self.pos - w.src_base, to - w.src_base
        nl = src.count(b"\n", a, b)
        last = src.rfind(b"\n", a, b) if nl else -1
        if nl:
            self.line += nl
            self.col = chars(src[last + 1:b])
        else:
            self.col += chars(src[a:b])
        self.pos = to


def redact(text: str, url: URL) -> str:
    """``text`` with the URL's userinfo (user:password@) masked."""
    if url.userinfo:
        return text.replace(url.userinfo + "@", "***@")
    return text


def one_line(b: bytes) -> str:
    """Bytes as printable text: control characters become spaces."""
    s = b.decode("utf-8", "replace")
    return s if s.isprintable() else "".join(ch if ch.isprintable() else " " for ch in s)


def snippet(prefix: bytes, match: str, following: bytes) -> str:
    """Up to SNIPPET characters either side of the match, on its line; `…` where cut."""
    before = one_line(prefix[-SNIPPET * 2:])[-SNIPPET:]
    rest = one_line(following.split(b"\n", 1)[0].rstrip(b"\r"))
    after = rest[:SNIPPET]
    cut_before = len(one_line(prefix)) > len(before)
    shown = match if len(match) <= 200 else match[:199] + "…"
    return ("…" if cut_before else "") + before + shown + after + ("…" if len(rest) > len(after) else "")
