"""The pass over bytes: every rule in one multi-pattern search.

Both engines report the same thing, the set of ``(start, expression)`` pairs
where an expression matches, with ``start`` in a given range of the window.
Hyperscan finds them in one pass (``HS_FLAG_SOM_LEFTMOST``, caseless). The
stdlib fallback lower-cases the window once (ASCII only, so offsets do not
move) and searches a few *families* of expressions that share a literal
prefix (``http``, ``ws``, ``//``, ``\\/\\/``), which keeps ``re``'s fast
literal-prefix search; at each family hit it names the expressions that match
there. Tests prove that the two engines agree.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Protocol, Sequence

from .rulepack import COLON, SEP, Rule
from .urls import PR_DELIMITERS

#: Optional userinfo before the host (kept in the URL, redacted in output).
USERINFO = "(?:[^/?#@\\s\"'`<>\\\\]+@)?"
#: Protocol-relative opener (`//host`), only after a byte that starts a string or
#: attribute value; the match starts at that byte, the URL one byte later.
PR_OPENERS = ("//", r"\/\/")
_NAMED = {9: r"\t", 10: r"\n", 13: r"\r", 32: " "}
PR_DELIMITER = "[" + "".join(_NAMED.get(c) or re.escape(chr(c)) for c in sorted(PR_DELIMITERS)) + "]"

SCHEME, PROTOCOL_RELATIVE, SPLIT = "scheme", "protocol-relative", "split"
#: Not a URL: where a base64 `data:` URI's payload starts (`;base64,`, matched caseless like every
#: expression; the scanner keeps the exact ones). Found in the same pass as the URLs, so a file's
#: bytes are not searched again for data: URIs worth decoding (scan/nested.has_text_data_uri).
DATA_URI = "data-uri"
DATA_URI_MARK = ";base64,"
#: A scheme opener, maybe part of a host, then the string closes and another is
#: concatenated: `"http://" + "localhost:4111"`, `"https://api.wonder"+"twin.dev"`,
#: `"http://localhost:" + 4111`.
#: Also an opener followed by a constant template substitution: `http://${"localhost"}:4111`.
#: Not a finding by itself: JavaScript hits of it are folded with tree-sitter.
SPLIT_BODY = "[a-z0-9.:-]*(?:[\"'`][ \t]*\\+[ \t\r\n]*[\"'`0-9(]|\\$\\{[ \t]*[\"'`])"
_Q = "[\"'`]"
_ESC = {c: f"(?:{c}|\\\\u00{ord(c):x}|\\\\x{ord(c):x}|\\\\u\\{{0*{ord(c):x}\\}})" for c in "tps"}
#: More SPLIT triggers: constants a minifier or a person left unfolded, each starting with a
#: literal (the stdlib engine searches for it) at the one byte where the match can start.
#: They only mark a file for folding (extract/jsfold.folded_strings), which parses it.
SPLIT_TRIGGERS = (
    # `${"https"}://…`, `${"https://api.wonder"}…`: a scheme in a constant substitution
    ("${", f"[ \t]*{_Q}(?:https?|wss?)(?:{COLON}(?:{SEP}){{0,2}}[a-z0-9.:-]*)?{_Q}[ \t]*\\}}"),
    # `["http://", "localhost", ":4111"].join("")` (an empty separator: `.join("|")` and
    # `.join("\\n")` build regexes and shader sources in common bundles, and would parse them)
    ("]", "[ \t]*\\.[ \t]*join\\([ \t]*(?:\"\"|''|``)[ \t]*\\)"),
    # `atob("aHR0cDovL…")`, `Buffer.from("aHR0c…", "base64")`: base64 of http(s)://, ws(s)://
    ("atob(", f"[ \t]*{_Q}(?:ahr0c|d3m6|d3nz)"),
    ("buffer.from(", f"[ \t]*{_Q}(?:ahr0c|d3m6|d3nz)"),
    # `String.fromCharCode(104,116,…)` (h, t) or (119,115) (w, s)
    ("fromcharcode(", "[ \t]*(?:104|0x68)[ \t]*,[ \t]*(?:116|0x74)|[ \t]*(?:119|0x77)[ \t]*,[ \t]*(?:115|0x73)"),
    # `decodeURIComponent("%68ttp%3A…")`
    ("decodeuri", f"(?:component)?\\([ \t]*{_Q}"),
    # `\u0068ttps://`: an escape in the scheme's first letter
    ("\\", f"(?:u0068|x68|u\\{{0*68\\}}){_ESC['t']}{_ESC['t']}{_ESC['p']}{_ESC['s']}?{COLON}{SEP}{SEP}"
             f"|(?:u0077|x77|u\\{{0*77\\}}){_ESC['s']}{_ESC['s']}?{COLON}{SEP}{SEP}"),
)


@dataclass(frozen=True)
class Expression:
    """One searchable regex: a rule behind one kind of opener."""

    rule_index: int  # -1 for SPLIT and DATA_URI
    kind: str  # SCHEME, PROTOCOL_RELATIVE, SPLIT or DATA_URI
    regex: str  # lower-case; matched caseless
    lead: int = 0  # bytes matched before the URL starts (the protocol-relative delimiter)
    body: str = ""  # the part after the opener (and userinfo), or after ``prefix``
    prefix: str = ""  # SPLIT triggers and DATA_URI: the literal the expression starts with


def _scheme_opener(schemes: Sequence[str]) -> str:
    alts = "|".join(sorted(schemes, key=lambda s: (-len(s), s)))
    return f"(?:{alts}){COLON}{SEP}{SEP}"


def build_expressions(rules: Sequence[Rule], split: bool = False) -> list[Expression]:
    """One expression per rule and opener; ``split`` adds the SPLIT and DATA_URI expressions (scanner only)."""
    exprs = []
    for i, rule in enumerate(rules):
        exprs.append(Expression(i, SCHEME, _scheme_opener(rule.schemes) + USERINFO + f"(?:{rule.pattern})",
                                body=rule.pattern))
        if rule.protocol_relative:
            pr = "(?:" + "|".join(re.escape(o) for o in PR_OPENERS) + ")"
            exprs.append(Expression(i, PROTOCOL_RELATIVE, PR_DELIMITER + pr + USERINFO + f"(?:{rule.pattern})",
                                    lead=1, body=rule.pattern))
    if split and rules:
        exprs.append(Expression(-1, SPLIT, _scheme_opener(("http", "https", "ws", "wss")) + SPLIT_BODY, body=SPLIT_BODY))
        for prefix, body in SPLIT_TRIGGERS:
            exprs.append(Expression(-1, SPLIT, re.escape(prefix) + f"(?:{body})", body=body, prefix=prefix))
        exprs.append(Expression(-1, DATA_URI, re.escape(DATA_URI_MARK), prefix=DATA_URI_MARK))
    return exprs


class Engine(Protocol):
    name: str

    def candidates(self, buf: bytes | memoryview, lo: int, hi: int, *, ends: list | None = None) -> list[tuple[int, int]]:
        """Sorted unique (start, expression index) with lo <= start < hi. *ends*: what
        :meth:`screen` handed back for this buffer, when it did (an engine may ignore it)."""

    def screen(self, bufs: Sequence[bytes], ends: dict[int, list] | None = None) -> set[int]:
        """The indexes of *bufs* that may hold a candidate: every buffer for which
        ``candidates(buf, 0, len(buf))`` is not empty is among them (others may be too).
        Worth asking only when ``screens_together`` (one search for them all): otherwise it is
        each buffer's own search, which the caller would make again for a flagged buffer.
        *ends*, when given, may receive a flagged buffer's (end, expression) pairs, by index: the
        first pass of a two-pass search, for :meth:`candidates`."""


#: Between the buffers :meth:`HyperscanEngine.screen` searches as one: a NUL, which no
#: expression's URL part takes, between newlines.
SCREEN_SEPARATOR = b"\n\x00\n"
#: `(?:[^a-z0-9_.-]|$)`, the end of a host (rulepack.END): the only `$` an expression may hold
#: for the screen to be exact (the separator's first byte, a newline, takes its place).
_END_ALTERNATIVE = "(?:[^a-z0-9_.-]|$)"


def screenable(regex: str) -> bool:
    """Whether a match of *regex* in a buffer is still a match when the buffer is followed by
    :data:`SCREEN_SEPARATOR`: no anchor, boundary or look-around other than a host's end."""
    rest = regex.replace("\\\\", "").replace("\\$", "").replace("\\^", "").replace(_END_ALTERNATIVE, "")
    rest = rest.replace("[^", "[")  # a negated class, not an anchor
    return not any(t in rest for t in ("$", "^", "\\b", "\\B", "\\A", "\\Z", "\\z", "(?=", "(?!", "(?<"))


class ReEngine:
    """Pure-stdlib engine: identical results to Hyperscan, at a few hundred MB/s."""

    name = "re"

    def __init__(self, exprs: Sequence[Expression], rules: Sequence[Rule]):
        self.exprs = list(exprs)
        # compiled on first use: at a family hit only (a pre-commit run on a few small
        # files would otherwise spend most of its time compiling expressions it never tries)
        self.compiled: list[re.Pattern[bytes] | None] = [None] * len(self.exprs)
        fams: dict[str, list[int]] = {}
        literal: dict[str, list[int]] = {}  # SPLIT triggers and DATA_URI, by the literal they start with
        for idx, e in enumerate(self.exprs):
            if e.prefix:
                literal.setdefault(e.prefix, []).append(idx)
            elif e.kind in (SCHEME, SPLIT):
                schemes = rules[e.rule_index].schemes if e.kind == SCHEME else ("http", "ws")
                for scheme in schemes:
                    fams.setdefault("http" if scheme.startswith("http") else "ws", []).append(idx)
            else:
                for opener in PR_OPENERS:
                    fams.setdefault(opener, []).append(idx)
        # [literal every match starts with, regex source, expression indexes, compiled regex or None]:
        # a family is compiled the first time its literal occurs in a window (a pre-commit run on
        # an .env file never pays for the `ws`, `\/\/` or `atob(` families)
        self.families: list[list] = []
        for prefix, idxs in fams.items():
            idxs = sorted(set(idxs))
            if prefix in ("http", "ws"):
                head = {"http": "https?", "ws": "wss?"}[prefix] + f"{COLON}{SEP}{SEP}"
            else:
                head = re.escape(prefix)
            bodies = "|".join(dict.fromkeys(f"(?:{self.exprs[i].body})" for i in idxs))
            # SPLIT takes no userinfo; an empty USERINFO match keeps the family one regex
            self.families.append([prefix.encode(), f"{head}{USERINFO}(?:{bodies})", idxs, None])
        for prefix, idxs in literal.items():
            bodies = "|".join(f"(?:{self.exprs[i].body})" for i in idxs)
            self.families.append([prefix.encode(), f"{re.escape(prefix)}(?:{bodies})", idxs, None])

    def candidates(self, buf, lo, hi, *, ends=None):
        data = bytes(buf).lower()
        out: set[tuple[int, int]] = set()
        for fam in self.families:
            literal, source, idxs, family = fam
            if data.find(literal, lo) < 0:  # every match starts with the literal: none here
                continue
            if family is None:
                family = fam[3] = re.compile(source.encode())
            search = family.search
            m = search(data, lo)
            while m is not None and m.start() < hi:
                s = m.start()
                for i in idxs:
                    lead = self.exprs[i].lead
                    rx = self.compiled[i]
                    if rx is None:
                        rx = self.compiled[i] = re.compile(self.exprs[i].regex.encode())
                    if s >= lead and rx.match(data, s - lead):
                        out.add((s, i))
                m = search(data, s + 1)
        return sorted(out)

    def screen(self, bufs: Sequence[bytes], ends: dict[int, list] | None = None) -> set[int]:
        return {i for i, buf in enumerate(bufs) if self.candidates(buf, 0, len(buf))}


#: Buffers this long or longer are searched in two passes by :meth:`HyperscanEngine.candidates`.
TWO_PASS_BYTES = 64 << 10


class HyperscanEngine:
    """One Hyperscan block-mode database holding every expression.

    Compiling it takes 0.1–0.2 s, more than scanning a small tree: the database is serialized
    into the user cache directory (:func:`cache_dir`) and loaded from there by later runs. The
    file is keyed by the expressions, the Hyperscan version and the CPU's features, and checked
    by its CRC-32; any problem with it (missing, corrupt, unreadable, read-only directory)
    means compiling, as without a cache. ``loaded`` says which happened."""

    name = "hyperscan"

    def __init__(self, exprs: Sequence[Expression]):
        import threading

        import hyperscan

        self.exprs = list(exprs)
        self._leads = [e.lead for e in self.exprs]
        self._screenable = all(screenable(e.regex) for e in self.exprs)
        self._local = threading.local()  # per-thread scratch for candidates_in_thread
        self._lock = threading.Lock()
        self._db, self.loaded = _database(hyperscan, self.exprs, hyperscan.HS_FLAG_CASELESS | hyperscan.HS_FLAG_SOM_LEFTMOST)
        self._screen_db = None  # the same expressions without start-of-match tracking (screen(), _ends())

    @property
    def screens_together(self) -> bool:
        """Whether :meth:`screen` searches many buffers in one call (every expression screenable)."""
        return self._screenable

    def warm(self) -> None:
        """Load (or compile) the database without start-of-match tracking, which :meth:`screen`
        and the first pass of :meth:`candidates` use, now: before a pool forks, not in each worker."""
        if self._screen_db is None:
            import hyperscan

            with self._lock:  # read-ahead threads may ask at once
                if self._screen_db is None:
                    self._screen_db = _database(hyperscan, self.exprs, hyperscan.HS_FLAG_CASELESS)[0]

    def candidates(self, buf, lo, hi, scratch=None, ends_scratch=None, *, ends: list | None = None):
        """Two passes over a buffer of :data:`TWO_PASS_BYTES` or more (issue 14): tracking where
        every match starts makes Hyperscan's scan ~2.7x slower (300 MB of bundles: 0.66 against
        0.24 s), and only the few stretches where a match ends need it. The first pass, without
        start-of-match tracking, finds every offset a match ends at (:meth:`_ends`); the second
        scans with it only from :data:`~twinscan.reader.OVERLAP` bytes before the first of a
        cluster of ends to just past the last (:meth:`_starts_near`). Every (end, expression) of
        the first pass must be found again by the second, else the whole buffer is scanned: no
        candidate is lost whatever a match's length. Its start is exact for any match shorter than
        OVERLAP, the bound the windows already rest on (reader.py). *ends*: the first pass's
        answer when the caller has it (:meth:`screen`'s), every (end, expression) of the buffer."""
        if len(buf) < TWO_PASS_BYTES:
            return self._starts(buf, lo, hi, scratch)
        ends = sorted(ends) if ends is not None else self._ends(buf, ends_scratch)
        return self._starts_near(buf, lo, hi, ends, scratch) if ends else []

    def _starts(self, buf, lo, hi, scratch=None, base: int = 0, last_end: int | None = None, first_end: int = 0,
                found: set | None = None):
        """(start, expression) of the matches in *buf* that start in ``[lo, hi)``. With
        *last_end*, *buf* is a part of the caller's buffer from offset *base*: only matches ending
        in ``[first_end, last_end]`` (offsets in the caller's buffer) count, each (end, expression)
        of them is added to *found*, and None says one started at the part's first byte after 0: it
        may have started before (see :meth:`_starts_near`)."""
        out: set[tuple[int, int]] = set()
        leads = self._leads
        cut = [False]

        def on_match(expr_id: int, start: int, end: int, flags: int, context: object) -> None:
            if last_end is not None:
                end += base
                if end < first_end or end > last_end:
                    return
                if found is not None:
                    found.add((end, expr_id))
                if start == 0 and base:
                    cut[0] = True
                start += base
            start += leads[expr_id]
            if lo <= start < hi:
                out.add((start, expr_id))

        self._db.scan(buf, match_event_handler=on_match, scratch=scratch)
        return None if cut[0] else sorted(out)

    def _ends(self, buf, scratch=None) -> list[tuple[int, int]]:
        """Every (offset a match ends at, expression) in *buf*, in order."""
        self.warm()
        ends: list[tuple[int, int]] = []
        add = ends.append

        def on_match(expr_id: int, start: int, end: int, flags: int, context: object) -> None:
            add((end, expr_id))

        self._screen_db.scan(buf, match_event_handler=on_match, scratch=scratch)
        ends.sort()
        return ends

    def _starts_near(self, buf, lo, hi, ends: list[tuple[int, int]], scratch=None):
        """:meth:`_starts` of *buf*, scanning only around *ends* (every (end, expression) of a match).

        A match shorter than OVERLAP and ending at ``e`` starts after ``e - OVERLAP``; ends closer
        than that share one stretch. A stretch scanned on its own begins as if it were the buffer's
        start: a match found starting at its very first byte may have started earlier (an
        expression can begin with a repetition), and an (end, expression) of the first pass not
        found again started before the stretch (a longer match); either way the whole buffer is
        scanned instead. A stretch ends two bytes past its last end, so that `$` (end of data, or
        before a final newline) cannot match at the cut, and only matches ending at a found end count."""
        from .reader import OVERLAP

        view = memoryview(buf)
        size = len(buf)
        out: list[tuple[int, int]] = []
        i, n = 0, len(ends)
        while i < n:
            k = i
            first = last = ends[i][0]
            i += 1
            while i < n and ends[i][0] - last < OVERLAP:
                last = ends[i][0]
                i += 1
            begin = max(0, first - OVERLAP)
            if begin >= hi or last <= lo:  # only starts in [lo, hi) count
                continue
            found: set[tuple[int, int]] = set()
            part = self._starts(view[begin:min(size, last + 2)], lo, hi, scratch, begin, last, first, found)
            if part is None or not found.issuperset(ends[k:i]):
                return self._starts(buf, lo, hi, scratch)
            out += part
        return sorted(set(out))

    def screen(self, bufs: Sequence[bytes], ends: dict[int, list] | None = None) -> set[int]:
        """One scan of the buffers joined by :data:`SCREEN_SEPARATOR` instead of one per buffer: a
        Python call into Hyperscan costs more than searching a few KB (issue 14: most files of a
        50,000-chunk tree have no candidate). A match is charged to the buffer its last byte is in,
        the separator counting with the buffer before it. A buffer's own match is a match here too (the
        separator's newline ends a host as the end of the buffer did, see :func:`screenable`), and
        Hyperscan reports every offset a match ends at: so every buffer with a candidate is found,
        by the end of a match alone. The screen's database therefore tracks no start of match,
        which searches ~3x faster. A match that only the joining makes (a `//host` at a buffer's
        start, after the newline) costs that buffer the full per-file search, no more.

        *ends*, when given, receives each flagged buffer's (end, expression) pairs, offsets in the
        buffer: the first pass :meth:`candidates` would make again (its *ends* argument). A match
        whose host the separator's newline ended ends one byte past the buffer, where alone it
        ends at the buffer's end (`$`): it is given that end. One the joining made is not found
        again by the second pass, which then scans the buffer whole."""
        if not self._screenable:
            return {i for i, buf in enumerate(bufs) if self.candidates(buf, 0, len(buf))}
        from bisect import bisect_right

        self.warm()
        starts, at = [], 0
        for buf in bufs:
            starts.append(at)
            at += len(buf) + len(SCREEN_SEPARATOR)
        flagged: set[int] = set()

        def on_match(expr_id: int, start: int, end: int, flags: int, context: object) -> None:
            k = bisect_right(starts, end - 1) - 1
            flagged.add(k)
            if ends is not None:
                ends.setdefault(k, []).append((min(end - starts[k], len(bufs[k])), expr_id))

        self._screen_db.scan(SCREEN_SEPARATOR.join(bufs), match_event_handler=on_match)
        return flagged

    def candidates_in_thread(self, buf, lo, hi):
        """:meth:`candidates`, callable from several threads at once: Hyperscan releases the GIL
        while it scans, and each thread gets its own scratch space (one may not be shared)."""
        local = self._local
        scratch = getattr(local, "scratch", None)
        if scratch is None:
            import hyperscan

            self.warm()
            scratch = local.scratch = hyperscan.Scratch(self._db)
            local.ends_scratch = hyperscan.Scratch(self._screen_db)
        return self.candidates(buf, lo, hi, scratch, local.ends_scratch)


def confirm(engine: "Engine", exprs: Sequence[Expression], rules: Sequence[Rule], buf, lo: int, hi: int,
            covered: int = 0, splits: list[int] | None = None,
            cands: list[tuple[int, int]] | None = None, data_uris: list[int] | None = None) -> tuple[list, int]:
    """The URLs behind the engine's candidates in ``buf[lo:hi]``: ``[(rule, urls.URL)]`` with
    offsets in ``buf``, and how far they reach. At one offset each rule counts once; a match
    starting inside an earlier URL (before ``covered``) is part of it. SPLIT candidates are
    appended to ``splits`` (when given) instead, and DATA_URI candidates (`;base64,`, any case) to
    ``data_uris``. ``cands``: ``engine.candidates(buf, lo, hi)`` when the caller already has it."""
    if cands is None:
        cands = engine.candidates(buf, lo, hi)
    out: list = []
    if not cands:
        return out, covered
    from .urls import VERIFY, parse_at

    i = 0
    while i < len(cands):
        start, group = cands[i][0], []
        while i < len(cands) and cands[i][0] == start:
            if exprs[cands[i][1]].kind == DATA_URI:
                if data_uris is not None:
                    data_uris.append(start)
            else:
                group.append(cands[i][1])
            i += 1
        if start < covered:
            continue
        found, seen = [], set()
        for ei in group:
            e = exprs[ei]
            if e.kind == SPLIT:
                if splits is not None:
                    splits.append(start)
                continue
            if e.rule_index in seen:
                continue
            rule = rules[e.rule_index]
            url = parse_at(buf, start, e.kind == PROTOCOL_RELATIVE)
            if url is None or (rule.verify and not VERIFY[rule.verify](url.host)):
                continue
            seen.add(e.rule_index)
            found.append((rule, url))
        if found:
            covered = max(covered, max(u.end for _, u in found))
            out += found
    return out, covered


#: A cached database file: this line, the payload's CRC-32 (little-endian), the payload. The check
#: catches a truncated or damaged file (a cache, not a trust boundary: whoever can write the file
#: can write its checksum), in ~0.1 ms where SHA-256 took ~3 ms a database (issue 14).
_CACHE_MAGIC = b"twinscan-hyperscan-db 2\n"


from .usercache import cache_dir as cache_dir  # noqa: E402 - where the database is kept (re-exported)


def _database(hyperscan, exprs: Sequence[Expression], flags: int):
    """(block-mode database of *exprs* with *flags* on each, whether it came from the cache)."""
    patterns = [e.regex.encode() for e in exprs]
    path = _cache_path(hyperscan, patterns, flags)
    db = _load_cached(hyperscan, path) if path is not None else None
    if db is not None:
        return db, True
    db = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
    db.compile(expressions=patterns, ids=list(range(len(exprs))), elements=len(exprs), flags=[flags] * len(exprs))
    if path is not None:
        _store_cached(hyperscan, path, db)
    return db, False


def _cpu_features() -> str:
    """What a serialized database depends on besides Hyperscan: the machine and its CPU flags."""
    import platform

    try:
        with open("/proc/cpuinfo", "rb") as f:
            for line in f:
                if line.startswith((b"flags", b"Features")):
                    return platform.machine() + ":" + line.split(b":", 1)[1].strip().decode("ascii", "replace")
    except OSError:
        pass
    return platform.machine() + ":" + platform.processor()


def _cache_path(hyperscan, patterns: list[bytes], flags: int) -> str | None:
    import os

    from .digest import sha256

    try:
        version = getattr(hyperscan, "__version__", "?")
        h = sha256()()
        for part in (version.encode(), _cpu_features().encode(), str(flags).encode(), *patterns):
            h.update(len(part).to_bytes(8, "little") + part)
        return os.path.join(cache_dir(), f"hs-{h.hexdigest()[:32]}.db")
    except Exception:  # no home directory, odd platform: no cache
        return None


def _load_cached(hyperscan, path: str):
    """The database stored at ``path``, or None when there is none or it cannot be used."""
    import zlib

    try:
        with open(path, "rb") as f:
            blob = f.read()
        head = len(_CACHE_MAGIC)
        check, payload = blob[head:head + 4], blob[head + 4:]
        if not blob.startswith(_CACHE_MAGIC) or zlib.crc32(payload).to_bytes(4, "little") != check:
            return None
        db = hyperscan.loadb(payload, hyperscan.HS_MODE_BLOCK)
        db.scratch = hyperscan.Scratch(db)  # a deserialized database comes without scratch space
        return db
    except Exception:  # missing, unreadable, truncated, another Hyperscan's format: compile instead
        return None


def _store_cached(hyperscan, path: str, db) -> None:
    """Write ``db`` to ``path`` with its CRC-32 (atomic, best effort: see usercache.py)."""
    import zlib

    from .usercache import write_atomic

    try:
        payload = hyperscan.dumpb(db)
    except Exception:  # a database Hyperscan cannot serialize: the next run compiles again
        return
    write_atomic(path, _CACHE_MAGIC + zlib.crc32(payload).to_bytes(4, "little") + payload)


def hyperscan_available() -> bool:
    try:
        import hyperscan  # noqa: F401
    except Exception:  # ImportError, or a wheel that does not load on this CPU
        return False
    return True


def make_engine(name: str, rules: Sequence[Rule], split: bool = False) -> Engine:
    """``auto`` picks Hyperscan when it imports, else ``re``."""
    exprs = build_expressions(rules, split)
    if name == "auto":
        name = "hyperscan" if hyperscan_available() else "re"
    if name == "hyperscan":
        return HyperscanEngine(exprs)
    if name == "re":
        return ReEngine(exprs, rules)
    raise ValueError(f"unknown engine {name!r}")
