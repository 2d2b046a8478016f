"""Match: confirm the engine's candidates window by window, and record each hit with what
the later steps need (position, snippet, the bytes around it, a first idea of its context).
"""
from __future__ import annotations

from dataclasses import dataclass, replace

from .. import extract
from ..engine import Engine, confirm
from ..reader import Opened, ReadError, Window
from ..rulepack import Rule
from ..urls import URL
from .locate import SNIPPET, Lines, chars, redact, snippet

#: A hit this close after NODE_ENV / __DEV__ may sit in a dev-only branch: it is parsed.
DEV_REACH = 2048


@dataclass
class RawHit:
    """One confirmed URL before it is decided: where it is, how it looks, its extract.Hit."""

    rule: Rule
    url: URL
    line: int
    column: int
    end_column: int
    match: str
    snippet: str
    hit: extract.Hit
    folded: bool = False  # found by folding a concatenation (context already settled)


def confirm_window(engine: Engine, exprs, rules, w: Window, covered: int,
                   splits: list[int], cands: list[tuple[int, int]] | None = None,
                   data_uris: list[int] | None = None) -> tuple[list[tuple[Rule, URL]], int]:
    """URLs starting in the window's [lo, hi), with absolute offsets; the absolute offsets of
    SPLIT hits (`"http://…" + "…"`) are appended to ``splits``, those of `;base64,` (any case)
    to ``data_uris`` (when given). ``cands``: the engine's candidates for this window when
    already asked."""
    found_splits: list[int] = []
    found_uris: list[int] | None = [] if data_uris is not None else None
    found, covered = confirm(engine, exprs, rules, w.buf, w.lo - w.base, w.hi - w.base, covered - w.base, found_splits,
                             cands, found_uris)
    if found_splits:
        splits += [w.base + s for s in found_splits]
    if found_uris:
        data_uris += [w.base + s for s in found_uris]
    if not w.base:  # the first (for most files the only) window: offsets are already absolute
        return found, covered
    return [(rule, replace(url, start=w.base + url.start, end=w.base + url.end)) for rule, url in found], covered + w.base


def raw_hit(w: Window, lines: Lines, rule: Rule, url: URL, comments) -> RawHit:
    """The record of one hit in a window; ``comments`` (JavaScript) is the running comment walk."""
    lines.advance(w, url.start)
    s, e = url.start - w.base, url.end - w.base
    lo = max(0, s - 256)
    prefix = bytes(w.buf[lo:s])
    prefix = prefix[prefix.rfind(b"\n") + 1:]
    raw = bytes(w.buf[s:e])
    match = redact(raw.decode("utf-8", "replace"), url)
    shown = snippet(prefix, match, bytes(w.buf[e:e + SNIPPET * 4]))
    hit = extract.Hit(url.start, url.end, prefix, after=bytes(w.buf[e:e + 128]).split(b"\n", 1)[0],
                      quietable=rule.quiet_in_library_code,
                      port_computed=raw.endswith(b":") and bytes(w.buf[e:e + 2]) == b"${")
    if prefix[-1:] in (b'"', b"'", b"`"):
        hit.quote = prefix[-1:].decode()
    if comments is not None and hit.quote:  # other positions (regex, code) go to the parser
        hit.comment_free = comments.free_at(w.src, w.src_base, url.start)
        # the same bytes as w.buf[s - DEV_REACH:s], searched in place rather than copied for every hit
        src, a, b = w.src, max(w.base, url.start - DEV_REACH) - w.src_base, url.start - w.src_base
        hit.dev_marker = src.find(b"NODE_ENV", a, b) >= 0 or src.find(b"__DEV__", a, b) >= 0 or src.find(b"env.DEV", a, b) >= 0 \
            or src.find(b"location.hostname", a, b) >= 0
    return RawHit(rule, url, lines.line, lines.col + 1, lines.col + 1 + chars(raw), match, redact(shown, url), hit)


class Text:
    """The decoded text of one file, read at most once whatever limit each step asks for."""

    def __init__(self, opened: Opened):
        self.opened = opened
        self.data: bytes | None = None
        self.over = -1  # the largest limit the text was found to exceed
        self.failed = False  # reading it failed (the byte pass has reported why)

    def __call__(self, limit: int | None = None) -> bytes | None:
        if self.data is not None:
            return self.data if limit is None or len(self.data) <= limit else None
        if self.failed or (limit is not None and limit <= self.over):
            return None
        try:
            data = self.opened.text(limit)
        except ReadError:
            self.failed = True
            return None
        if data is None:
            self.over = max(self.over, limit if limit is not None else -1)
            return None
        self.data = data
        return data
