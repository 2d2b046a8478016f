"""One file through the data path: read → match → extract → decide (see the package docstring)."""
from __future__ import annotations

import time
from typing import Sequence

from .. import extract, reader
from ..classify import HEAD_BYTES, Classifier
from ..decide import decide, library_evidence, make_finding
from ..engine import DATA_URI, Engine, build_expressions, make_engine
from ..extract.javascript import CommentTracker
from ..extract.registry import kind_of, may_be_structured
from ..extract.values import ExtractError
from ..model import FileError, FileResult, Skipped, Target
from ..reader import IsArchive, NotText, Opened, ReadError
from ..walk import Item
from .fold import folded
from .locate import Lines, checkpoints
from .match import RawHit, Text, confirm_window, raw_hit
from .nested import (
    DATA_URI_KINDS,
    MAX_MAPPED,
    has_text_data_uri,
    may_expand,
    scan_archive,
    scan_data_uris,
    scan_expanded,
)
from .origins import bundle_origins, in_map_origins
from .servicecheck import check_services
from .settings import Settings

#: Files up to this size are read in one go before the byte pass, and that one read serves
#: every later step (the per-file cost of a tree of 50,000 chunks was mostly opening and reading
#: twice; a bundle under 1 MiB with a hit was opened three times: sniff, scan, whole text).
SMALL_FILE = reader.SMALL


#: Bytes of small files searched in one engine call by :meth:`FileScanner.scan_many` (held in
#: memory together, with their joined copy).
SCREEN_BYTES = 1 << 20
#: The most `;base64,` offsets of one file kept from the byte pass for scan_data_uris (past it, they
#: are searched for again): a list of ints, bounded.
MAX_MARKS = 1 << 16
#: The last bytes of a bundle kept from its last window: where its `sourceMappingURL` comment is.
TAIL_BYTES = 8192


def _head(data: bytes) -> bytes:
    """What the reader sniffs of *data* (the whole of a small file: no copy)."""
    return data if len(data) <= reader.SNIFF else data[:reader.SNIFF]


def _read(item: Item) -> bytes | None:
    """The whole file when it is small (one open and one read, not a sniff then a read), else
    None: too large to hold (read in windows) or unreadable (reported by Opened, in its words)."""
    if item.size < 0 or 0 < item.size <= SMALL_FILE:
        try:
            return reader.read_small(item.fs_path, SMALL_FILE)
        except OSError:
            return None
    return None


class FileScanner:
    """Scans one file at a time with a compiled engine (one per process)."""

    depth = 0  # data: URIs inside data: URIs are followed this deep
    #: Threads that read and search a large file's windows ahead (set by the driver when this
    #: process is the only one scanning; a pool worker keeps 1: the cores are taken).
    window_threads = 1
    _deadline = float("inf")  # time.monotonic() past which the current file stops (set by scan())

    def __init__(self, settings: Settings, engine: Engine | None = None):
        self.s = settings
        self.engine = engine or make_engine(settings.engine, settings.rules, split=True)
        self.exprs = build_expressions(settings.rules, split=True)

    def late(self, res: FileResult, target: Target, step: str) -> bool:
        """True (and the file reported as not fully scanned) once the per-file time is up."""
        if time.monotonic() <= self._deadline:
            return False
        if not any(e.message.startswith("stopped after") for e in res.errors):
            res.errors.append(FileError(res.path, f"stopped after {self.s.limits.file_timeout:g} s (--file-timeout) "
                                        f"while {step}; the rest was not scanned", target.production))
        return True

    def scan(self, item: Item) -> FileResult:
        r = self.scan_or_size(item)
        return r if type(r) is not int else FileResult(item.display, [], [], [], r, True)

    def scan_many(self, items: Sequence[Item]) -> list[FileResult | int]:
        """:meth:`scan_or_size` of each item, in order, with one engine call for up to
        :data:`SCREEN_BYTES` of small plain files (:meth:`Engine.screen`): a file the screen
        clears, whose kind is not a config kind, is answered by its size; every other file takes
        :meth:`scan_or_size` with the bytes already read."""
        out: list[FileResult | int | None] = []
        group: list[tuple[int, Item, bytes]] = []
        held = 0
        for item in items:
            if item.data is not None:
                out.append(self.scan_or_size(item))
                continue
            data = _read(item)
            if data is None or not reader.plain_text(_head(data), item.fs_path):
                out.append(self.scan_or_size(item, data, read=True))
                continue
            group.append((len(out), item, data))
            out.append(None)
            held += len(data)
            if held >= SCREEN_BYTES:
                self._screened(group, out)
                group, held = [], 0
        if group:
            self._screened(group, out)
        return out  # type: ignore[return-value]

    def _screened(self, group: list[tuple[int, Item, bytes]], out: list) -> None:
        if not getattr(self.engine, "screens_together", False):  # a screen one buffer at a time (the stdlib engine):
            for i, item, data in group:  # that file's own search, which scan_or_size makes once
                out[i] = self.scan_or_size(item, data, read=True)
            return
        ends: dict[int, list] = {}  # a flagged file's first pass, from the screen: not searched again
        try:
            flagged = self.engine.screen([data for _, _, data in group], ends)
        except Exception:  # noqa: BLE001 - each file then takes the full path, which reports a problem
            flagged, ends = set(range(len(group))), {}
        for k, (i, item, data) in enumerate(group):
            cands: list | None = []  # unflagged: no candidate (the screen finds every file that has one)
            if k in flagged:
                try:
                    cands = self.engine.candidates(data, 0, len(data), ends=ends.get(k))
                except Exception:  # noqa: BLE001 - the full path asks again, and reports
                    cands = None
            if cands is None:
                out[i] = self.scan_or_size(item, data, read=True)
            elif not cands and self._nothing_more(item, data):
                out[i] = len(data)
            else:
                out[i] = self.scan_or_size(item, data, True, cands)

    def _nothing_more(self, item: Item, data: bytes) -> bool:
        """Whether a plain file in which the engine found nothing is done: unless its kind is a
        config kind, whose vendor keys are checked without a URL (the full path decides that)."""
        if self.s.services is None:
            return True
        try:
            return not may_be_structured(item.display) or kind_of(item.display, lambda: data[:HEAD_BYTES]) not in extract.STRUCTURED
        except Exception:  # noqa: BLE001 - the full path reports it
            return False

    def scan_or_size(self, item: Item, data: bytes | None = None, read: bool = False,
                     cands: list[tuple[int, int]] | None = None) -> FileResult | int:
        """:meth:`scan`; for a file read in full with nothing to report, its size alone.

        Most files of a build are plain text in which the byte pass finds nothing: such a file
        is answered from its bytes and its kind (is it a config file, whose vendor keys are
        checked without a URL?), without classifying its environment or setting up a reader:
        every step :meth:`scan_item` would take for it acts only on a hit (issue 14: this was
        over half the cost of a file of a 50,000-chunk tree). Anything else takes the full path.
        *data*, *read*: the bytes the caller's :func:`_read` gave, with ``read`` (then None means
        the file is too large to hold or unreadable); *cands*: the engine's answer for those
        bytes (and the kind known not to finish the file), when the caller has it."""
        if data is None and not read:
            data, read = item.data if item.data is not None else _read(item), True
        try:
            if cands is None and data is not None and item.data is None and reader.plain_text(_head(data), item.fs_path):
                cands = self.engine.candidates(data, 0, len(data))
                if not cands and self._nothing_more(item, data):
                    return len(data)
        except Exception:  # noqa: BLE001 - the full path below reports it, in its words
            cands = None
        target = self.s.classifier.classify(item.display, Classifier.head_of(item.fs_path, data))
        self._deadline = time.monotonic() + self.s.limits.file_timeout
        try:
            return self.scan_item(item, target, data, cands, read)
        except Exception as exc:  # a bug must cost one file, reported, never the run
            res = FileResult(item.display)
            res.errors.append(FileError(item.display, f"internal error while scanning ({type(exc).__name__}: {exc}); "
                                        "please report it", target.production))
            return res

    def scan_item(self, item: Item, target: Target, data: bytes | None = None,
                  cands: list[tuple[int, int]] | None = None, read: bool = False) -> FileResult:
        """One file (or archive member, or decoded data: URI) as ``target``, within the current deadline.
        *data*, *read*: as :meth:`scan_or_size` takes them (else ``item.data``, or read here);
        *cands*: the engine's answer for *data*, when the caller asked it."""
        res = FileResult(item.display)
        if data is None and not read:
            data = item.data if item.data is not None else _read(item)
        try:
            opened = Opened(item.fs_path, self.s.limits, data=data, text_expected=target.kind != "text")
        except IsArchive as archive:  # its members are scanned (nested to a depth limit)
            return scan_archive(self, item, target, archive.format, archive.compression)
        except NotText as exc:
            res.skipped.append(Skipped(item.display, f"binary: {exc}"))
            return res
        except ReadError as exc:
            res.errors.append(FileError(item.display, str(exc), target.production))
            return res
        if opened.note:
            res.skipped.append(Skipped(item.display, opened.note))
        if opened.decoding or data is None or len(data) > reader.WINDOW:
            cands = None  # the engine's answer for a file held in memory whole, asked once
        elif cands is None:
            cands = self.engine.candidates(data, 0, len(data))
        if cands is not None:
            # most files of a build: no candidate (or only `;base64,`: CSS with inline images), nothing to allocate
            if not cands or all(self.exprs[i].kind == DATA_URI for _, i in cands):
                return self._no_candidate(res, item, target, opened, data)
        raws: list[RawHit] = []
        lines = Lines()
        covered = 0
        total = 0
        comments = CommentTracker() if target.kind == "javascript" else None
        data_uris = False
        first_b64: list[int] = []  # absolute offset of the file's first `;base64,` (has_text_data_uri)
        marks: list[int] | None = [] if target.kind in DATA_URI_KINDS else None  # the window's `;base64,`
        every_b64: list[int] | None = [] if marks is not None else None  # the file's, for scan_data_uris (bounded)
        tail = None  # the file's last bytes, from its last window (where a source map is named)
        splits: list[int] = []  # absolute offsets of `"http://…" + "…"` in this file
        ahead = getattr(self.engine, "candidates_in_thread", None) if self.window_threads > 1 else None
        try:
            for w in opened.windows(ahead, self.window_threads, checkpoints):
                found, covered = confirm_window(self.engine, self.exprs, self.s.rules, w, covered, splits,
                                                cands if cands is not None and w.last else w.cands, marks)
                for rule, url in found:
                    raws.append(raw_hit(w, lines, rule, url, comments))
                if marks is not None:
                    data_uris = data_uris or (bool(marks) and has_text_data_uri(w, first_b64, marks))
                    if every_b64 is not None:
                        every_b64.extend(marks)
                        if len(every_b64) > MAX_MARKS:
                            every_b64 = None  # (memory) searched for again instead
                    marks.clear()
                if w.last and target.kind == "javascript" and w.hi <= MAX_MAPPED:  # (larger: no origins)
                    tail = bytes(w.buf[-TAIL_BYTES:])
                if not w.last and self.late(res, target, f"reading (at byte {w.hi})"):
                    break
                if not w.last:  # keep line numbers and the comment walk continuous across windows
                    if comments is not None and raws and not comments.broken:
                        comments.free_at(w.src, w.src_base, w.hi)
                    lines.advance(w, w.hi)
                total = w.hi
        except ReadError as exc:
            res.errors.append(FileError(item.display, str(exc), target.production))
        found = []  # (memory, issue 14) the last window's URLs: the raw hits hold them, and release them once judged
        res.bytes_scanned = total
        res.scanned = not res.errors
        text = Text(opened)  # read again at most once, by whichever step needs the whole text
        if splits and target.kind == "javascript" and not self.late(res, target, "folding concatenations"):
            raws += folded(self, text, raws, splits)
        if raws or (target.kind in extract.STRUCTURED and self.s.services is not None and not res.errors):
            self._finish(res, target, text, raws, item, tail if not res.errors else None)
        if data_uris and self.depth < 2 and not self.late(res, target, "decoding data: URIs"):
            scan_data_uris(self, res, target, text, first_b64[0] if first_b64 and not opened.decoding else 0,
                           every_b64 if not opened.decoding and not res.errors else None)
        return res

    def _no_candidate(self, res: FileResult, item: Item, target: Target, opened: Opened, data: bytes) -> FileResult:
        """The rest of :meth:`scan_item` for a file in memory whole in which the engine found
        nothing: the same steps, minus those that only act on hits (line numbers, the comment
        walk, folding)."""
        res.bytes_scanned = len(data)
        res.scanned = True
        text = None
        if target.kind in extract.STRUCTURED and self.s.services is not None:
            text = Text(opened)
            self._finish(res, target, text, [], item)
        if target.kind in DATA_URI_KINDS and self.depth < 2 and b";base64," in data \
                and has_text_data_uri(reader.Window(data, 0, 0, len(data), data, 0, True)) \
                and not self.late(res, target, "decoding data: URIs"):
            scan_data_uris(self, res, target, text or Text(opened))
        return res

    def role_args(self, path: str, context: str, key: str | None, value_role: str | None,
                  value_role_reason: str | None, library: str | None, rule_id: str, host: str,
                  port: int | None, url_path: str | None) -> dict:
        """The role arguments of ``decide`` for one hit (none under ``--strict``)."""
        if self.s.strict:
            return {}
        from .. import roles

        role, info, evidence = roles.judge(
            self.s.roles or roles.builtin(), self.s.services, path=path, context=context, key=key,
            value_role=value_role, value_role_reason=value_role_reason, library=library, rule_id=rule_id,
            host=host, port=port, url_path=url_path)
        return {"role": role, "role_info": info, "evidence": evidence}

    def value_target(self, target: Target, environment: str | None, reason: str | None) -> Target:
        """The file's target, or the environment of the value in question."""
        c = self.s.classifier
        if environment is None or c.environment:  # --environment speaks for the whole run
            return target
        env = c.normalise(environment)
        return Target(target.kind, env, c.is_production(env), reason or f"environment {env}")

    def _finish(self, res: FileResult, target: Target, text: Text, raws: list[RawHit], item: Item,
                tail: bytes | None = None) -> None:
        """Extract (contexts, keys, per-value environments), find origins, decide every hit.
        *tail*: the file's last bytes, when its last window was read (bundle_origins)."""
        hits = [r.hit for r in raws if not r.folded]
        note = None
        values = None
        data = None
        if target.kind in extract.STRUCTURED:
            data = text(extract.MAX_STRUCTURED)
            if not raws and (data is None or not (self.s.services.mentioned_in(data) or may_expand(target.kind, data))):
                return  # no hit, no vendor key, nothing to expand or decode: nothing to parse
            try:
                values = extract.structured_values(target.kind, data, res.path, self.s.options) if data is not None else None
            except ExtractError as exc:
                res.errors.append(FileError(res.path, f"cannot parse as {extract.label(target.kind)}: {exc}", target.production))
        if values is not None:
            extract.apply_values(hits, values, lambda v: self.value_target(target, v.environment, v.reason).production)
        else:
            note = extract.annotate(target.kind, hits, text)
        if note:
            res.skipped.append(Skipped(res.path, note))
        if values and self.s.services is not None and data is not None:
            check_services(self, res, target, data, values, hits)
        if values and data is not None and self.depth < 2:
            scan_expanded(self, res, target, data, values)  # `${ORIGIN}/twins/stripe`, Secret `data:`
        origins: dict = {}
        if target.kind == "javascript" and raws and not self.late(res, target, "reading the source map"):
            origins = bundle_origins(res, item, text, raws, self.s.limits, tail)
        elif target.kind == "sourcemap" and raws:
            origins = in_map_origins(res, text(MAX_MAPPED), raws)
        hits.clear()  # (memory, issue 14) each hit is released once judged: a file's raw hits and its
        for i, r in enumerate(raws):  # findings are never all in memory at once (raws is not read after this)
            raws[i] = None  # type: ignore[call-overload]
            where = self.value_target(target, r.hit.environment, r.hit.env_reason)
            origin = origins.pop(id(r), None)
            library = library_evidence(target.kind, r.url, r.hit, origin) if r.hit.quietable and where.production else None
            judged = self.role_args(res.path, r.hit.context, r.hit.key, r.hit.role, r.hit.role_reason, library,
                                    r.rule.id, r.url.host, r.url.port, r.url.path)
            decision = decide(where, r.rule, r.hit.context, self.s.fail_on, library=library, port=r.url.port,
                              **judged)
            res.findings.append(make_finding(
                decision, path=res.path, line=r.line, column=r.column, end_column=r.end_column, offset=r.url.start,
                match=r.match, url=r.url.normalized(), host=r.url.host, port=r.url.port, key=r.hit.key,
                snippet=r.snippet, encoding=r.url.encoding, origin=origin,
            ))
