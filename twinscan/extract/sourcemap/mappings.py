"""The ``mappings`` string of a source map: Base64 VLQ segments, decoded lazily, line by line, with
every value checked (bad character, unterminated continuation, beyond 2^31, index out of range).

Written by hand because a map of a large bundle holds millions of segments and a hit
needs one line of them: decoding everything up front (as general source-map libraries
do) would cost more than the rest of the scan.
"""
from __future__ import annotations

import re
from array import array
from bisect import bisect_right

from .common import INT_MAX as _INT_MAX
from .common import SourceMapError

_CACHE_LINES = 8  # fully decoded lines kept per map
_CHECKPOINT = 32  # decoding state is remembered every this many lines
_SEG_CACHE_MAX = 1 << 16
_B64 = {c: i for i, c in enumerate("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")}
# one-character VLQs (no continuation bit): their values
_VLQ1 = {c: (-(i >> 1) if i & 1 else i >> 1) for c, i in _B64.items() if i < 32}
_SEMIS = re.compile(";+")


class Mappings:
    """``mappings`` decoded on demand, line by line.

    Source index, original line/column and name index are deltas that run across
    lines, so reaching line N means summing every segment before it: that is done
    once, forward, remembering the running state every ``_CHECKPOINT`` lines. Only
    the lines asked for are kept decoded (a few, in compact arrays).

    Each distinct segment string is decoded once (a cache), so the per-segment
    work is one dict lookup and four additions."""

    def __init__(self, s: str, nsources: int, nnames: int, where: str) -> None:
        self.s, self.ns, self.nn, self.where = s, nsources, nnames, where
        # checkpoints: every _CHECKPOINT-th line's start offset in s and running state
        self.cp_pos = array("q", [0])
        self.cp_state: list[tuple[int, int, int, int]] = [(0, 0, 0, 0)]
        self.cp_done = 0  # lines decoded (forward) so far
        self.pos, self.state = 0, (0, 0, 0, 0)  # at line cp_done
        self._start = 0  # offset in s of the line _advance_to stopped at
        self.lines: dict[int, tuple] = {}
        self.segs: dict[str, tuple[int, ...]] = {}  # segment string -> its decoded deltas

    def _err(self, line0: int, msg: str) -> SourceMapError:
        return SourceMapError(f"{self.where}: bad `mappings` on generated line {line0 + 1}: {msg}")

    def _add(self, seg: str, line0: int) -> tuple[int, ...]:
        t = tuple(map(_VLQ1.get, seg))  # every character a whole value: the common case
        if None in t:
            vals = []
            v = shift = 0
            for ch in seg:
                b = _B64[ch]
                v += (b & 31) << shift
                if b & 32:
                    shift += 5
                    if shift > 30:
                        raise self._err(line0, f"bad VLQ: value overflow (more than 2^31) in segment {seg[:40]!r}")
                    continue
                neg = v & 1
                v >>= 1
                if v > _INT_MAX:
                    raise self._err(line0, f"bad VLQ: value overflow (more than 2^31) in segment {seg[:40]!r}")
                vals.append(-v if neg else v)
                v = shift = 0
            if shift:
                raise self._err(line0, f"bad VLQ: unterminated continuation in segment {seg[:40]!r}")
            t = tuple(vals)
        if len(t) not in (1, 4, 5):
            raise self._err(line0, f"segment {seg[:40]!r} has {len(t)} fields (1, 4 or 5 expected)")
        if len(self.segs) >= _SEG_CACHE_MAX:
            self.segs.clear()
        self.segs[seg] = t
        return t

    def _line(self, line0: int, text: str, state, keep: bool):
        """Run one line from ``state``; returns the state after it (and arrays when keep)."""
        src, ol, oc, nm = state
        ns, nn, segs, add = self.ns, self.nn, self.segs, self._add
        col = 0
        lo = 0  # the smallest running value seen (checked once, at the end)
        if keep:
            cols, srcs, ols, ocs, nms = array("l"), array("l"), array("l"), array("l"), array("l")
            ac, as_, al, ao, an = cols.append, srcs.append, ols.append, ocs.append, nms.append
            unsorted = False
        for seg in text.split(","):
            d = segs.get(seg)
            if d is None:
                if not seg:
                    continue
                d = add(seg, line0)
            if len(d) == 1:
                col += d[0]
                if keep:
                    unsorted |= d[0] < 0
                    ac(col)
                    as_(-1)
                    al(0)
                    ao(0)
                    an(-1)
                if col < lo:
                    lo = col
                continue
            dc, ds, dl, do = d[0], d[1], d[2], d[3]
            col += dc
            src += ds
            ol += dl
            oc += do
            if src >= ns or src < 0:
                raise self._err(line0, f"source index {src} out of range (the map has {ns} sources)")
            if len(d) == 5:
                nm += d[4]
                if nm >= nn or nm < 0:
                    raise self._err(line0, f"name index {nm} out of range (the map has {nn} names)")
            if col < lo or ol < lo or oc < lo:
                lo = min(col, ol, oc)
            if keep:
                unsorted |= dc < 0
                ac(col)
                as_(src)
                al(ol)
                ao(oc)
                an(nm if len(d) == 5 else -1)
        if lo < 0:
            raise self._err(line0, "a generated column, original line or original column goes negative")
        if max(col, ol, oc) > _INT_MAX if keep else (ol > _INT_MAX or oc > _INT_MAX):
            raise self._err(line0, "a position is beyond 2^31")
        after = (src, ol, oc, nm)
        if not keep:
            return after, None
        arrays = (cols, srcs, ols, ocs, nms)
        if unsorted:  # segments out of column order: sort them
            order = sorted(range(len(cols)), key=cols.__getitem__)
            arrays = tuple(array("l", (a[i] for i in order)) for a in arrays)
        return after, arrays

    def _advance_to(self, line0: int) -> tuple[int, int, int, int] | None:
        """Forward-decode to line0; returns the state at its start, or None past the end."""
        s = self.s
        k = line0 // _CHECKPOINT
        if line0 >= self.cp_done:
            pos, state, cur = self.pos, self.state, self.cp_done
        else:
            pos, state, cur = self.cp_pos[k], self.cp_state[k], k * _CHECKPOINT
        if pos < 0:
            return None
        while cur < line0:
            if s.startswith(";", pos):  # a run of empty lines: jump over it
                run = min(_SEMIS.match(s, pos).end() - pos, line0 - cur)
                if cur + run > self.cp_done:
                    for k in range(max(cur, self.cp_done) // _CHECKPOINT + 1, (cur + run) // _CHECKPOINT + 1):
                        self.cp_pos.append(pos + k * _CHECKPOINT - cur)
                        self.cp_state.append(state)
                    self.cp_done, self.pos, self.state = cur + run, pos + run, state
                cur, pos = cur + run, pos + run
                continue
            end = s.find(";", pos)
            state, _ = self._line(cur, s[pos:end] if end >= 0 else s[pos:], state, False)
            cur += 1
            pos = end + 1 if end >= 0 else -1
            if cur > self.cp_done:
                self.cp_done, self.pos, self.state = cur, pos, state
                if cur % _CHECKPOINT == 0:
                    self.cp_pos.append(pos)
                    self.cp_state.append(state)
            if pos < 0 and cur < line0:
                return None
        if pos < 0:
            return None
        self._start = pos
        return state

    def _arrays(self, line0: int):
        got = self.lines.get(line0)
        if got is not None:
            return got
        state = self._advance_to(line0)
        if state is None:
            return None
        pos = self._start
        end = self.s.find(";", pos)
        after, arrays = self._line(line0, self.s[pos:end] if end >= 0 else self.s[pos:], state, True)
        if line0 == self.cp_done:  # the kept line also moves the forward frontier
            self.cp_done, self.pos, self.state = line0 + 1, (end + 1 if end >= 0 else -1), after
            if self.cp_done % _CHECKPOINT == 0:
                self.cp_pos.append(self.pos)
                self.cp_state.append(after)
        if len(self.lines) >= _CACHE_LINES:
            self.lines.pop(next(iter(self.lines)))
        self.lines[line0] = arrays
        return arrays

    def find(self, line0: int, col0: int):
        arrays = self._arrays(line0)
        if arrays is None:
            return None
        cols, srcs, ols, ocs, nms = arrays
        i = bisect_right(cols, col0) - 1
        if i < 0 or srcs[i] < 0:
            return None
        return srcs[i], ols[i], ocs[i], nms[i], cols[i]

    def validate(self) -> None:
        last = self.s.count(";")
        state = self._advance_to(last)
        if state is not None:
            self._line(last, self.s[self._start:], state, False)

