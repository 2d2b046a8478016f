"""The data path for one run: walk → classify → read → match → extract → decide."""
from __future__ import annotations

import os
import re
import sys
import time
from dataclasses import dataclass, field, replace
from typing import Callable, Iterable, Sequence

from . import extract
from . import prepass
from .classify import Classifier
from .decide import decide, fingerprint
from .engine import Engine, build_expressions, confirm, make_engine
from .model import FileError, FileResult, Finding, Skipped, Target
from .extract.values import ExtractError, Options
from .reader import IsArchive, Limits, NotText, Opened, ReadError, Window
from .rulepack import Rule
from .urls import TWIN_PORTS, URL
from .walk import Item

if False:  # typing only
    from .services import ServiceIndex

SNIPPET = 60  # characters of context on each side of a hit
MAX_MAPPED = 64 << 20  # bundles and maps larger than this get no source-map origin
PARALLEL_MIN_BYTES = 24 << 20
PARALLEL_MIN_FILES = 8
_CONT = bytes(range(0x80, 0xC0))  # UTF-8 continuation bytes (not characters)


@dataclass
class Settings:
    rules: Sequence[Rule]
    classifier: Classifier
    engine: str = "auto"
    limits: Limits = field(default_factory=Limits)
    jobs: int = 0  # 0: one per core when the input is large
    options: Options = field(default_factory=Options)
    services: "ServiceIndex | None" = None  # the key-aware check (None: off)
    service_rule: Rule | None = None


@dataclass
class ScanResult:
    files: list[FileResult]
    seconds: float
    engine: str

    @property
    def findings(self) -> list[Finding]:
        return [f for r in self.files for f in r.findings]

    @property
    def errors(self) -> list[FileError]:
        return [e for r in self.files for e in r.errors]

    @property
    def skipped(self) -> list[Skipped]:
        return [s for r in self.files for s in r.skipped]

    @property
    def bytes_scanned(self) -> int:
        return sum(r.bytes_scanned for r in self.files)

    @property
    def files_scanned(self) -> int:
        return sum(1 for r in self.files if r.scanned)


def _chars(b: bytes) -> int:
    """Characters in UTF-8 bytes (invalid bytes count one each, as U+FFFD)."""
    return len(b) if b.isascii() else len(b.translate(None, _CONT))


class _Lines:
    """Line and character column of increasing offsets, across windows."""

    def __init__(self) -> None:
        self.pos = 0
        self.line = 1
        self.col = 0  # characters between the line start and pos

    def advance(self, w: Window, to: int) -> None:
        src, a, b = w.src, self.pos - w.src_base, to - w.src_base
        nl = src.count(b"\n", a, b)
        last = src.rfind(b"\n", a, b) if nl else -1
        if nl:
            self.line += nl
            self.col = _chars(src[last + 1:b])
        else:
            self.col += _chars(src[a:b])
        self.pos = to


class _Text:
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


@dataclass
class _Raw:
    rule: Rule
    url: URL
    line: int
    column: int
    end_column: int
    match: str
    snippet: str
    hit: extract.Hit
    folded: bool = False  # found by folding a concatenation (context already settled)


def _redact(text: str, url: URL) -> str:
    if url.userinfo:
        return text.replace(url.userinfo + "@", "***@")
    return text


_USERINFO = re.compile(r"(//)[^/@\s]+@")


def _one_line(b: bytes) -> str:
    s = b.decode("utf-8", "replace")
    return s if s.isprintable() else "".join(ch if ch.isprintable() else " " for ch in s)


#: Kinds whose text may hold base64 `data:` URIs worth decoding (scripts, pages, inline maps).
DATA_URI_KINDS = ("javascript", "html", "json", "text", "sourcemap")
_DATA_URI_HEAD = re.compile(rb"data:([a-z0-9.+/-]*)(?:;[a-z0-9=._-]+)*;base64,\Z", re.I)
_B64_RUN = re.compile(rb"[A-Za-z0-9+/_-]+=*")
_DATA_URI_KINDS = (
    (("javascript", "ecmascript", "jsx", "typescript"), "javascript"),
    (("html",), "html"),
    (("json",), "json"),
    (("xml", "css", "text/", "yaml"), "text"),
)


#: A hit this close after NODE_ENV / __DEV__ may sit in a dev-only branch: it is parsed.
DEV_REACH = 2048


def _has_text_data_uri(w: Window) -> bool:
    """Whether the window holds a base64 data: URI of a type worth decoding (not images, fonts)."""
    src, a, b = w.src, w.lo - w.src_base, w.hi - w.src_base + 8
    i = src.find(b";base64,", a, b)
    while i >= 0:
        m = _DATA_URI_HEAD.search(src, max(0, i - 96), i + 8)
        if m and _data_uri_kind(m.group(1).decode("ascii", "replace").lower(), b"") is not None:
            return True
        i = src.find(b";base64,", i + 8, b)
    return False


def _data_uri_kind(mime: str, before: bytes) -> str | None:
    """The artifact kind a data: URI's content is scanned as; None for images, fonts, binaries."""
    if not mime:
        return "text"
    if mime.startswith(("image/", "font/", "audio/", "video/")) or "woff" in mime or "octet" in mime:
        return None  # SVG images included: pictures, not configuration
    for needles, kind in _DATA_URI_KINDS:
        if any(n in mime for n in needles):
            if kind == "json" and b"sourceMappingURL=" in before:
                return "sourcemap"
            return kind
    return None


class FileScanner:
    """Scans one file at a time with a compiled engine (one per process)."""

    _depth = 0  # data: URIs inside data: URIs are followed this deep
    _deadline = float("inf")  # time.monotonic() past which the current file stops (set by scan())

    def __init__(self, settings: Settings, engine: Engine | None = None):
        self.s = settings
        self.engine = engine or make_engine(settings.engine, settings.rules, split=True)
        self.exprs = build_expressions(settings.rules, split=True)
        self._splits: list[int] = []  # absolute offsets of `"http://…" + "…"` in the current file

    def _confirm(self, w: Window, covered: int) -> tuple[list[tuple[Rule, URL]], int]:
        """URLs starting in the window's [lo, hi), with absolute offsets; SPLIT hits go to _splits."""
        splits: list[int] = []
        found, covered = confirm(self.engine, self.exprs, self.s.rules, w.buf, w.lo - w.base, w.hi - w.base,
                                 covered - w.base, splits)
        self._splits += [w.base + s for s in splits]
        return [(rule, replace(url, start=w.base + url.start, end=w.base + url.end)) for rule, url in found], covered + w.base

    def _late(self, res: FileResult, target: Target, step: str) -> bool:
        """True (and the file reported as not fully scanned) once the per-file time is up."""
        if time.monotonic() <= self._deadline:
            return False
        if not any(e.message.startswith("stopped after") for e in res.errors):
            res.errors.append(FileError(res.path, f"stopped after {self.s.limits.file_timeout:g} s (--file-timeout) "
                                        f"while {step}; the rest was not scanned", target.production))
        return True

    def scan(self, item: Item) -> FileResult:
        target = self.s.classifier.classify(item.display)
        self._deadline = time.monotonic() + self.s.limits.file_timeout
        try:
            return self._scan(item, target)
        except Exception as exc:  # a bug must cost one file, reported, never the run
            res = FileResult(item.display)
            res.errors.append(FileError(item.display, f"internal error while scanning ({type(exc).__name__}: {exc}); please report it", target.production))
            return res

    def _scan_archive(self, item: Item, target: Target) -> FileResult:
        """Scan every file inside the tarball (and its image layers) from memory, never extracting."""
        import io

        from .extract.image import members

        res = FileResult(item.display)
        try:
            f = io.BytesIO(item.data) if item.data is not None else open(item.fs_path, "rb")
        except OSError as exc:
            res.errors.append(FileError(item.display, f"cannot read: {exc.strerror or exc}", target.production))
            return res
        with f:
            it = members(f, self.s.limits, item.display)
            try:
                for m in it:
                    if self._late(res, target, f"reading the archive (at {m.path})"):
                        break
                    sub = Item(m.path, m.path, len(m.data), m.data)
                    sub_target = self.s.classifier.classify(m.path)
                    if m.config:  # OCI blobs have no extension: the image config is JSON
                        sub_target = replace(sub_target, kind="json")
                    r = self._scan(sub, sub_target)
                    res.findings += r.findings
                    res.errors += r.errors
                    res.skipped += r.skipped
                    res.bytes_scanned += r.bytes_scanned
                    if m.note:
                        res.skipped.append(Skipped(m.path, f"archive entry: {m.note} (read, never extracted)"))
            except ExtractError as exc:
                res.errors.append(FileError(item.display, str(exc), target.production))
            res.errors += [FileError(item.display, e, target.production) for e in it.errors]
            res.skipped += [Skipped(item.display, s) for s in it.skipped]
        res.scanned = not res.errors
        return res

    def _scan(self, item: Item, target: Target) -> FileResult:
        res = FileResult(item.display)
        try:
            opened = Opened(item.fs_path, self.s.limits, data=item.data, text_expected=target.kind != "text")
        except IsArchive:
            if "!/" in item.display:  # a tarball inside an image layer: one level deep only
                res.skipped.append(Skipped(item.display, "nested archive: not opened"))
                return res
            return self._scan_archive(item, target)
        except NotText as exc:
            res.skipped.append(Skipped(item.display, f"binary: {exc}"))
            return res
        except ReadError as exc:
            res.errors.append(FileError(item.display, str(exc), target.production))
            return res
        if opened.note:
            res.skipped.append(Skipped(item.display, opened.note))
        raws: list[_Raw] = []
        lines = _Lines()
        covered = 0
        total = 0
        comments = None
        if target.kind == "javascript":
            from .extract.javascript import CommentTracker

            comments = CommentTracker()
        data_uris = False
        self._splits = []
        try:
            for w in opened.windows():
                found, covered = self._confirm(w, covered)
                for rule, url in found:
                    raws.append(self._raw(w, lines, rule, url, comments))
                if not data_uris and target.kind in DATA_URI_KINDS:
                    data_uris = _has_text_data_uri(w)
                if not w.last and self._late(res, target, f"reading (at byte {w.hi})"):
                    break
                if not w.last:  # keep line numbers and the comment walk continuous across windows
                    if comments is not None and raws and not comments.broken:
                        comments.free_at(w.src, w.src_base, w.hi)
                    lines.advance(w, w.hi)
                total = w.hi
        except ReadError as exc:
            res.errors.append(FileError(item.display, str(exc), target.production))
        res.bytes_scanned = total
        res.scanned = not res.errors
        text = _Text(opened)  # read again at most once, by whichever step needs the whole text
        if self._splits and target.kind == "javascript" and not self._late(res, target, "folding concatenations"):
            raws += self._folded(text, raws)
        if raws or (target.kind in extract.STRUCTURED and self.s.services is not None and not res.errors):
            self._finish(res, target, text, raws, item)
        if data_uris and self._depth < 2 and not self._late(res, target, "decoding data: URIs"):
            self._data_uris(res, item, target, text)
        return res

    def _folded(self, text: "_Text", raws: list[_Raw]) -> list[_Raw]:
        """Twin URLs split across constant string concatenations, folded with tree-sitter:
        `"http://" + "localhost:4111"`, `"https://api.wonder" + "twin.dev/twins/" + "stripe"`.
        Each is reported at the start of the expression, with the folded URL."""
        from .extract import javascript

        splits, self._splits = sorted(set(self._splits)), []
        data = text(javascript.MAX_PARSE)
        if data is None:
            return []
        out: list[_Raw] = []
        done: set[int] = set()
        for expr in javascript.folded_strings(data, splits):
            if expr.start in done:
                continue
            done.add(expr.start)
            buf = expr.value.encode("utf-8", "surrogatepass")
            found, _ = self._confirm(Window(buf, 0, 0, len(buf), last=True), 0)
            self._splits = []
            for rule, url in found:
                if any(expr.start <= r.hit.offset < expr.end and r.rule.id == rule.id and r.url.host == url.host
                       and r.url.port == url.port for r in raws):
                    continue  # the byte pass saw this twin in one literal (the fold only adds a path)
                line_start = data.rfind(b"\n", 0, expr.start) + 1
                line = data.count(b"\n", 0, expr.start) + 1
                col = _chars(data[line_start:expr.start]) + 1
                src = _one_line(data[expr.start:expr.end])
                shown = src if len(src) <= 200 else src[:199] + "…"
                hit = extract.Hit(expr.start, expr.end, data[max(line_start, expr.start - 256):expr.start],
                                  quietable=rule.quiet_in_library_code)
                hit.context, hit.key, hit.comment_free = expr.context, expr.key, True
                if rule.quiet_in_library_code and expr.library_context:
                    hit.context = expr.library_context
                u = URL(**{**url.__dict__, "start": expr.start, "end": expr.end, "encoding": "concatenation"})
                out.append(_Raw(rule, u, line, col, col + _chars(data[expr.start:expr.end].split(b"\n")[0]),
                                _redact(shown, url), _redact(shown, url), hit, folded=True))
        return out

    def _data_uris(self, res: FileResult, item: Item, target: Target, text: "_Text") -> None:
        """Scan what base64 `data:` URIs of a text type hold (inline scripts, pages, JSON,
        inline source maps); report each hit at the base64 characters that encode it."""
        import base64
        import binascii

        data = text(MAX_MAPPED)
        if data is None:
            if text.failed:
                return
            res.skipped.append(Skipped(res.path, f"base64 data: URIs not decoded (file larger than {MAX_MAPPED >> 20} MiB)"))
            return
        at = data.find(b";base64,")
        while at >= 0:
            here, at = at, data.find(b";base64,", at + 8)
            head = max(0, here - 96)
            m = _DATA_URI_HEAD.search(data, head, here + 8)
            if m is None:
                continue
            mime = m.group(1).decode("ascii", "replace").lower()
            kind = _data_uri_kind(mime, data[max(0, m.start() - 24):m.start()])
            run = _B64_RUN.match(data, m.end())
            if kind is None or run is None or run.end() - run.start() < 24:
                continue
            b64 = run.group(0)
            if len(b64) // 4 * 3 > self.s.limits.max_decoded:
                res.errors.append(FileError(res.path, f"a base64 data: URI ({mime or 'no type'}) decodes to more than "
                                            f"{self.s.limits.max_decoded >> 20} MiB; not scanned", target.production))
                continue
            try:
                decoded = base64.b64decode(b64 + b"=" * (-len(b64) % 4), altchars=b"-_" if b"-" in b64 or b"_" in b64 else None)
            except (binascii.Error, ValueError):
                continue
            inner = f"{res.path}#data:{mime or 'text/plain'}"
            self._depth += 1
            try:
                r = self._scan(Item(inner, inner, len(decoded), decoded), replace(target, kind=kind))
            finally:
                self._depth -= 1
            res.errors += [FileError(res.path, f"in a base64 data: URI: {e.message}", e.production) for e in r.errors]
            for f in r.findings:
                at = run.start() + f.offset // 3 * 4
                line = data.count(b"\n", 0, at) + 1
                col = _chars(data[data.rfind(b"\n", 0, at) + 1:at]) + 1
                origin = f.origin
                if origin is not None and kind == "sourcemap":
                    origin = replace(origin, map="<inline>")
                res.findings.append(replace(
                    f, path=res.path, line=line, column=col, end_column=col + -(-len(f.match.encode()) * 4 // 3),
                    offset=at, encoding="base64", origin=origin,
                    reason=f"{f.reason}; decoded from a base64 data: URI ({mime or 'no type'}) at {line}:{col}",
                    fingerprint=fingerprint(f.rule, f.url, res.path),
                ))

    def _raw(self, w: Window, lines: _Lines, rule: Rule, url: URL, comments) -> _Raw:
        lines.advance(w, url.start)
        s, e = url.start - w.base, url.end - w.base
        lo = max(0, s - 256)
        prefix = bytes(w.buf[lo:s])
        prefix = prefix[prefix.rfind(b"\n") + 1:]
        raw = bytes(w.buf[s:e])
        match = _redact(raw.decode("utf-8", "replace"), url)
        before = _one_line(prefix[-SNIPPET * 2:])[-SNIPPET:]
        rest = _one_line(bytes(w.buf[e:e + SNIPPET * 4]).split(b"\n", 1)[0].rstrip(b"\r"))
        after = rest[:SNIPPET]
        cut_before = len(_one_line(prefix)) > len(before)
        shown = match if len(match) <= 200 else match[:199] + "…"
        snippet = ("…" if cut_before else "") + before + shown + after + ("…" if len(rest) > len(after) else "")
        hit = extract.Hit(url.start, url.end, prefix, after=bytes(w.buf[e:e + 128]).split(b"\n", 1)[0],
                          quietable=rule.quiet_in_library_code,
                          port_computed=raw.endswith(b":") and bytes(w.buf[e:e + 2]) == b"${")
        if prefix[-1:] in (b'"', b"'", b"`"):
            hit.quote = prefix[-1:].decode()
        if comments is not None and hit.quote:  # other positions (regex, code) go to the parser
            hit.comment_free = comments.free_at(w.src, w.src_base, url.start)
            near = bytes(w.buf[max(0, s - DEV_REACH):s])
            hit.dev_marker = b"NODE_ENV" in near or b"__DEV__" in near or b"env.DEV" in near
        return _Raw(rule, url, lines.line, lines.col + 1, lines.col + 1 + _chars(raw), match, _redact(snippet, url), hit)

    def _value_target(self, target: Target, environment: str | None, reason: str | None) -> Target:
        """The file's target, or the environment of the value in question."""
        c = self.s.classifier
        if environment is None or c.environment:  # --environment speaks for the whole run
            return target
        env = c.normalise(environment)
        return Target(target.kind, env, c.is_production(env), reason or f"environment {env}")

    def _check_services(self, res: FileResult, target: Target, data: bytes, values, hits) -> None:
        """Vendor keys in production whose value names a host the vendor does not use."""
        from .services import endpoint

        rule = self.s.service_rule
        seen: set[tuple[int, int]] = set()  # one text may be a value of several jobs
        for v in values:
            svc = self.s.services.service_for(v.key)
            if svc is None or rule is None:
                continue
            where = self._value_target(target, v.environment, v.reason)
            ep = endpoint(v.value)
            if not where.production or ep is None or svc.allows(ep.host):
                continue
            if (v.start, v.end) in seen or any(v.start <= h.offset < v.end for h in hits):
                continue  # reported for another job, or a twin rule already reports this value
            seen.add((v.start, v.end))
            line = data.count(b"\n", 0, v.start) + 1
            line_start = data.rfind(b"\n", 0, v.start) + 1
            column = _chars(data[line_start:v.start]) + 1
            raw = _USERINFO.sub(r"\1***@", _one_line(data[v.start:v.end]))
            line_end = data.find(b"\n", v.end)
            snippet = _USERINFO.sub(r"\1***@", _one_line(data[line_start:line_end if line_end >= 0 else len(data)]))[:200]
            blocking, reason = decide(where, rule, v.context)
            reason += f"; `{v.key}` configures {svc.name}, whose production hosts are {', '.join(svc.hosts)}"
            url = _USERINFO.sub(r"\1***@", ep.url)
            res.findings.append(Finding(
                rule=rule.id, severity=rule.severity, confidence=rule.confidence, path=res.path, line=line,
                column=column, end_column=column + len(raw), match=raw, url=url, host=ep.host, port=ep.port,
                key=v.key, context=v.context, environment=where.environment, production=where.production,
                blocking=blocking, reason=reason, snippet=snippet, fingerprint=fingerprint(rule.id, url, res.path),
                title=rule.title, offset=v.start,
            ))

    def _in_map(self, res: FileResult, data: bytes | None, raws: list[_Raw]) -> dict:
        """Hits inside a source map: the original source, line and column they sit at."""
        from .extract import sourcemap
        from .model import Origin

        out = {}
        if data is None:
            return out
        for r in raws:
            r.hit.context = "source-map"
            try:
                loc = sourcemap.locate_in_map(data, r.hit.offset)
            except sourcemap.SourceMapError:
                continue
            if loc is not None and loc.source and loc.line:
                out[id(r)] = Origin(loc.source, loc.line, loc.column or 1, os.path.basename(res.path),
                                    sourcemap.library_of(loc.source))
        return out

    def _library_evidence(self, target: Target, r: _Raw, origin=None) -> str | None:
        """Why a loopback hit in JavaScript is library internals, or None: its source map
        says it comes from node_modules/, or it is a curated known default. Never on a
        WonderTwin port, never outside JavaScript/HTML."""
        if target.kind not in ("javascript", "html") or r.url.port in TWIN_PORTS:
            return None
        if r.hit.context in extract.INERT_CONTEXTS:
            return None  # already explained by its context
        if origin is not None and origin.library:
            return (f"the source map ({origin.map}) maps it to {origin.path}:{origin.line}, "
                    f"part of the npm package {origin.library}")
        from .libraries import library_default

        d = library_default(r.url.normalized(), r.hit.line_prefix[:-1 if r.hit.quote else None].decode("utf-8", "replace"))
        if d is not None:
            return f"known default of {d.library} ({d.reason}; rules/libraries/defaults.yaml `{d.id}`)"
        return None

    def _origins(self, res: FileResult, item: Item, data: bytes | None, raws: list[_Raw]) -> dict[int, "Origin"]:
        """Original source locations of hits in a bundle, from its source map (id(raw) -> Origin)."""
        from .extract import sourcemap

        if data is None:
            return {}
        in_archive = item.data is not None

        def read(path: str) -> bytes | None:
            if in_archive or not os.path.isfile(path):
                return None
            try:
                return Opened(path, self.s.limits).text(sourcemap.DEFAULT_LIMIT)
            except (ReadError, NotText, IsArchive) as exc:
                raise ValueError(str(exc)) from None

        notes: list[str] = []
        out = {}
        try:
            ref = sourcemap.find_map(item.fs_path, data[-8192:], lambda p: data if p == item.fs_path else read(p), notes=notes)
            if ref is None:
                return {}
            smap = ref.load()
            label = ref.where if ref.kind == "inline" else os.path.relpath(ref.where, os.path.dirname(item.fs_path))
            for r in raws:
                line_start = data.rfind(b"\n", 0, r.hit.offset) + 1
                m = smap.original(r.line, r.column, data[line_start:r.hit.offset], max_distance=2)
                if m is not None and m.source:
                    out[id(r)] = m.origin(label)
        except sourcemap.SourceMapError as exc:
            res.errors.append(FileError(res.path, f"source map not used: {exc}", False))
        return out

    def _finish(self, res: FileResult, target: Target, text: "_Text", raws: list[_Raw], item: Item) -> None:
        hits = [r.hit for r in raws if not r.folded]
        note = None
        values = None
        data = None
        if target.kind in extract.STRUCTURED:
            data = text(extract.MAX_STRUCTURED)
            if not raws and (data is None or not self.s.services.mentioned_in(data)):
                return  # no hit and no vendor key: nothing to parse
            try:
                values = extract.structured_values(target.kind, data, res.path, self.s.options) if data is not None else None
            except ExtractError as exc:
                res.errors.append(FileError(res.path, f"cannot parse as {target.kind}: {exc}", target.production))
        if values is not None:
            extract.apply_values(hits, values, lambda v: self._value_target(target, v.environment, v.reason).production)
        else:
            note = extract.annotate(target.kind, hits, text)
        if note:
            res.skipped.append(Skipped(res.path, note))
        if values and self.s.services is not None and data is not None:
            self._check_services(res, target, data, values, hits)
        origins: dict = {}
        if target.kind == "javascript" and raws and not self._late(res, target, "reading the source map"):
            origins = self._origins(res, item, text(MAX_MAPPED), raws)
        elif target.kind == "sourcemap" and raws:
            origins = self._in_map(res, text(MAX_MAPPED), raws)
        for r in raws:
            where = self._value_target(target, r.hit.environment, r.hit.env_reason)
            origin = origins.get(id(r))
            library = self._library_evidence(target, r, origin) if r.hit.quietable and where.production else None
            blocking, reason = decide(where, r.rule, r.hit.context, library=library)
            confidence = r.rule.confidence
            if r.url.port in TWIN_PORTS:
                confidence = "high"
                reason += f"; port {r.url.port} is a WonderTwin default"
            url = r.url.normalized()
            res.findings.append(Finding(
                rule=r.rule.id, severity=r.rule.severity, confidence=confidence, path=res.path,
                line=r.line, column=r.column, end_column=r.end_column, match=r.match, url=url,
                host=r.url.host, port=r.url.port, key=r.hit.key, context=r.hit.context,
                environment=where.environment, production=where.production, blocking=blocking,
                reason=reason, snippet=r.snippet, fingerprint=fingerprint(r.rule.id, url, res.path),
                title=r.rule.title, offset=r.url.start, encoding=r.url.encoding, origin=origin,
            ))


# -- parallel driver ----------------------------------------------------------
_worker: FileScanner | None = None


def _init_worker(settings: Settings) -> None:
    global _worker
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a terminal's Ctrl-C reaches every worker: the parent alone handles it
    _worker = FileScanner(settings)


def _scan_in_worker(item: Item) -> FileResult:
    assert _worker is not None
    return _worker.scan(item)


def run(items: Iterable[Item], settings: Settings, progress: Callable[[int, int], None] | None = None) -> ScanResult:
    """Scan every item; in parallel across cores when the input is large."""
    t0 = time.perf_counter()
    items, classifier = prepass.apply(list(items), settings.classifier, settings.limits, settings.options)
    settings = replace(settings, classifier=classifier)
    total = sum(i.size for i in items)
    jobs = settings.jobs or (os.cpu_count() or 1)
    parallel = jobs > 1 and len(items) >= PARALLEL_MIN_FILES and total >= PARALLEL_MIN_BYTES
    if settings.engine == "auto":
        settings = replace(settings, engine=choose_engine(total))
    results: list[FileResult] = []
    if parallel:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        method = "fork" if sys.platform.startswith("linux") else "spawn"
        ctx = multiprocessing.get_context(method)
        # biggest first, so one large file does not finish last alone
        order = sorted(items, key=lambda i: -i.size)
        pool = ProcessPoolExecutor(jobs, mp_context=ctx, initializer=_init_worker, initargs=(settings,))
        try:
            done_bytes = 0
            for item, r in zip(order, pool.map(_scan_in_worker, order, chunksize=4)):
                results.append(r)
                done_bytes += item.size
                if progress:
                    progress(len(results), done_bytes)
        except BaseException:  # Ctrl-C: stop the workers now, not after every file already queued
            pool.shutdown(wait=False, cancel_futures=True)
            for proc in list((getattr(pool, "_processes", None) or {}).values()):
                proc.terminate()
            raise
        pool.shutdown()
    else:
        scanner = FileScanner(settings)
        done_bytes = 0
        for item in items:
            results.append(scanner.scan(item))
            done_bytes += item.size
            if progress:
                progress(len(results), done_bytes)
    results.sort(key=lambda r: r.path)
    for r in results:
        r.findings.sort(key=lambda f: (f.line, f.column, f.rule))
    return ScanResult(results, time.perf_counter() - t0, settings.engine)


#: Below this many bytes `auto` uses `re`: importing and compiling Hyperscan
#: (~60 ms) costs more than `re` needs to scan it, and results are identical.
SMALL_INPUT = 4 << 20


def choose_engine(total_bytes: int) -> str:
    from .engine import hyperscan_available

    return "hyperscan" if total_bytes >= SMALL_INPUT and hyperscan_available() else "re"
