"""The run: pre-pass, engine choice, one scanner per process, the pool for large inputs."""
from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass, field, replace
from typing import Callable, Iterable, Iterator

from .. import heap, prepass
from ..model import FileError, FileResult, Finding, Skipped
from ..walk import Item, sized
from .filescan import SMALL_FILE, FileScanner
from .settings import Settings

PARALLEL_MIN_BYTES = 24 << 20
PARALLEL_MIN_FILES = 8
#: ... or this many files whatever their size: at ~60-100 µs of fixed cost per file, a tree of
#: thousands of small chunks is worth two processes (a fork after the engine is loaded costs ms).
PARALLEL_MANY_FILES = 4000
#: Below this many bytes `auto` uses `re`: importing and compiling Hyperscan
#: (~60 ms) costs more than `re` needs to scan it, and results are identical.
SMALL_INPUT = 4 << 20


@dataclass
class ScanResult:
    files: list[FileResult]  # every file with something to say: findings, errors, skips, not fully read
    seconds: float
    engine: str
    #: The display paths of the files read in full with nothing to report, and their bytes: most of
    #: a tree's 50,000 chunks, kept as names instead of a FileResult each (issue 14: building,
    #: sorting and summing those was ~0.15 s of the parent's serial time).
    clean: list[str] = field(default_factory=list)
    clean_bytes: int = 0

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
        return sum(r.bytes_scanned for r in self.files) + self.clean_bytes

    @property
    def files_scanned(self) -> int:
        return sum(1 for r in self.files if r.scanned) + len(self.clean)

    def read_in_full(self) -> set[str]:
        """The display paths of the files read to the end."""
        return {r.path for r in self.files if r.scanned} | set(self.clean)


_worker: FileScanner | None = None
_items: list[Item] = []  # set before the pool forks: a forked worker reads its batch by index
_large = False  # set before the pool forks: each worker keeps its freed memory (heap.py)

#: At most this many threads search one large file's windows (each holds a 16 MiB buffer).
WINDOW_THREADS = 2
#: A task's worth of files: up to this many bytes or BATCH_FILES files (one file when larger).
#: One task per small file cost a round trip of pickles each, and the whole pool's time went
#: into the parent's unpickling on a tree of 50,000 chunks.
BATCH_BYTES = 4 << 20
#: Up to this many files the parent takes the sizes the walk left unknown (~5 µs a stat): they
#: choose the pool and the engine and put the largest files first. Past it a tree is scanned in
#: the pool with Hyperscan anyway, in walk order, and each worker learns a size from its open file.
STAT_MAX_FILES = 4000
BATCH_FILES = 256
#: The fields of a FileResult that says only "read in full, nothing to report": such a result
#: travels back from a worker as its byte count alone (and never if the model grows a field).
_PLAIN_FIELDS = ("path", "findings", "errors", "skipped", "bytes_scanned", "scanned")


def _init_worker(settings: Settings) -> None:
    """A spawned worker's start (a forked one inherits the parent's scanner: forkpool.py)."""
    global _worker
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a terminal's Ctrl-C reaches every worker: the parent alone handles it
    _worker = FileScanner(settings)


def _scan_in_worker(items: list[Item]) -> list[FileResult | int]:
    assert _worker is not None
    return _worker.scan_many(items)


def _scan_batch(batch: tuple[int, int] | list[Item]) -> list[FileResult | int]:
    """Scan a batch: ``(start, stop)`` indexes into the list the worker inherited (fork), or the
    items themselves (spawn). A clean result comes back as its ``bytes_scanned`` alone."""
    if _large:
        heap.keep_freed_memory(owned=True)  # once per worker (inherited when the parent did it)
    items = _items[batch[0]:batch[1]] if isinstance(batch, tuple) else batch
    plain = _plain_ok()
    out: list[FileResult | int] = []
    for item, r in zip(items, _scan_in_worker(items)):
        if type(r) is int:  # read in full, nothing to report
            out.append(r if plain else FileResult(item.display, [], [], [], r, True))
        elif plain and r.scanned and not r.findings and not r.errors and not r.skipped and r.path == item.display:
            out.append(r.bytes_scanned)
        else:
            out.append(r)
    return out


def _plain_ok() -> bool:
    import dataclasses

    return tuple(f.name for f in dataclasses.fields(FileResult)) == _PLAIN_FIELDS


#: Scanned once in the parent before it forks (the result is dropped): the imports, regex
#: compiles and role tables that the first hit of a run loads lazily are then inherited by
#: every worker instead of loaded in each (~0.1-0.2 s per worker, more than a small tree's scan).
#: Not the JavaScript parser: most runs never load it (a hit whose context the comment walk
#: settles needs none), and loading it here cost every pooled run ~40 ms before any worker started.
_WARM_UP = Item("twinscan-warm-up/app.js", "twinscan-warm-up/app.js", 0,
                b'const api = "http://localhost:4111/v1/charges";\n')


def _warm_up(scanner: FileScanner) -> None:
    try:
        scanner.scan(_WARM_UP)
        warm = getattr(scanner.engine, "warm", None)  # Hyperscan's screen database
        if warm is not None:
            warm()
    except Exception:  # noqa: BLE001 - an optimisation only: the workers load what they need anyway
        pass


def batches(order: list[Item], jobs: int) -> list[tuple[int, int]]:
    """``(start, stop)`` ranges of ``order`` (largest files first), each about one task's worth:
    big files alone, small ones together, and at least ~8 tasks per worker so the last ones
    (the smallest) even out the load."""
    per_task = max(1, min(BATCH_FILES, len(order) // (jobs * 8)))
    if order and order[0].size < 0:  # sorted largest first: no size is known (a tree of many files)
        return [(i, min(i + per_task, len(order))) for i in range(0, len(order), per_task)]
    out, start, size = [], 0, 0
    for i, item in enumerate(order):
        size += max(item.size, 0)  # files of unknown size are counted, not weighed
        if i + 1 - start >= per_task or size >= BATCH_BYTES:
            out.append((start, i + 1))
            start, size = i + 1, 0
    if start < len(order):
        out.append((start, len(order)))
    return out


#: Workers are forked (they inherit the compiled scanner and the items) where that is safe and
#: cheap; elsewhere they are spawned and build their own scanner.
_FORK = sys.platform.startswith("linux")


def _forked(order: list[Item], tasks: list[tuple[int, int]], settings: Settings, jobs: int,
            large: bool = False) -> Iterator[tuple[int, object]]:
    """``(task index, batch result or forkpool.Lost)`` from forked workers, as they finish;
    ``large``: the workers keep their freed memory for the next file (heap.py)."""
    import gc

    from .forkpool import imap

    global _worker, _items, _large
    _worker = FileScanner(settings)  # compiled (or loaded) once, inherited by every worker
    _warm_up(_worker)
    _items = order  # inherited too: a task is two indexes, not a pickled list of items
    _large = large
    gc.freeze()  # the workers' collections would touch (and so copy) every inherited page
    try:
        yield from imap(_scan_batch, tasks, jobs)
    finally:
        _worker, _items, _large = None, [], False
        gc.unfreeze()


def _spawned(order: list[Item], tasks: list[tuple[int, int]], settings: Settings, jobs: int) -> Iterator[tuple[int, object]]:
    """As :func:`_forked`, from spawned workers that build their own scanner, in task order."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    pool = ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("spawn"), initializer=_init_worker,
                               initargs=(settings,))
    try:
        yield from enumerate(pool.map(_scan_batch, [order[a:b] for a, b in tasks]))
    except BaseException:  # Ctrl-C: stop the workers now, not after every file already queued
        pool.shutdown(wait=False, cancel_futures=True)
        for proc in list((getattr(pool, "_processes", None) or {}).values()):
            proc.terminate()
        raise
    pool.shutdown()


def _lost(item: Item, lost, settings: Settings) -> FileResult:
    """The result for a file of a batch whose worker died: not read, and why."""
    res = FileResult(item.display)
    res.errors.append(FileError(item.display, f"not scanned: {lost.reason}", settings.classifier.classify(item.display).production))
    return res


def run(items: Iterable[Item], settings: Settings, progress: Callable[[int, int], None] | None = None) -> ScanResult:
    """Scan every item; in parallel across cores when the input is large."""
    t0 = time.perf_counter()
    items, classifier = prepass.apply(list(items), settings.classifier, settings.limits, settings.options)
    settings = replace(settings, classifier=classifier)
    if len(items) <= STAT_MAX_FILES:  # sizes decide the pool and the engine, and order the work
        items = [_sized(i) for i in items]
    unknown = any(i.size < 0 for i in items)  # a tree of many files: the workers learn the sizes
    total = sum(i.size for i in items if i.size > 0)
    jobs = settings.jobs or (os.cpu_count() or 1)
    parallel = jobs > 1 and len(items) >= PARALLEL_MIN_FILES and (total >= PARALLEL_MIN_BYTES
                                                                 or len(items) >= PARALLEL_MANY_FILES)
    if settings.engine == "auto":
        settings = replace(settings, engine=choose_engine(SMALL_INPUT if unknown else total))
    large = total >= SMALL_INPUT
    if large:
        heap.keep_freed_memory()  # when this process is the program's own
    results: list[FileResult] = []
    clean: list[str] = []  # files read in full with nothing to report (scan_many's sizes)
    clean_bytes = 0
    if parallel:
        from .forkpool import Lost

        # biggest first, so one large file does not finish last alone
        order = items if unknown and all(i.size < 0 for i in items) else sorted(items, key=lambda i: -i.size)
        tasks = batches(order, jobs)
        done_bytes = 0
        append, keep = results.append, clean.append
        answers = _forked(order, tasks, settings, jobs, large) if _FORK else _spawned(order, tasks, settings, jobs)
        try:
            for index, batch in answers:
                a, b = tasks[index]
                if type(batch) is Lost:  # its worker died: these files were not read
                    batch = [_lost(item, batch, settings) for item in order[a:b]]
                for item, r in zip(order[a:b], batch):  # the parent shares the cores with the workers: a lean loop
                    if type(r) is int:
                        keep(item.display)
                        clean_bytes += r
                    else:
                        append(r)
                        done_bytes += r.bytes_scanned
                if progress:
                    progress(len(results) + len(clean), done_bytes + clean_bytes)
        finally:
            answers.close()  # Ctrl-C or an error here: the workers stop now, not after every queued file
    else:
        scanner = FileScanner(settings)
        if jobs > 1:  # the one process scanning: a large file's windows are searched in threads
            scanner.window_threads = min(jobs, WINDOW_THREADS)
        done_bytes = 0
        for group in _runs(items):
            for item, r in zip(group, scanner.scan_many(group)):
                if type(r) is int:
                    clean.append(item.display)
                    clean_bytes += r
                    done_bytes += r
                else:
                    results.append(r)
                    done_bytes += r.bytes_scanned
                if progress:
                    progress(len(results) + len(clean), done_bytes)
    results.sort(key=_path)
    for r in results:
        if len(r.findings) > 1:
            r.findings.sort(key=_place)
    return ScanResult(results, time.perf_counter() - t0, settings.engine, clean, clean_bytes)


def _runs(items: list[Item]) -> Iterator[list[Item]]:
    """*items* in order, as runs of up to BATCH_FILES small files (or of unknown size) for
    :meth:`FileScanner.scan_many`, and each larger file alone (progress moves after each)."""
    run: list[Item] = []
    for item in items:
        if item.size > SMALL_FILE:
            if run:
                yield run
                run = []
            yield [item]
            continue
        run.append(item)
        if len(run) >= BATCH_FILES:
            yield run
            run = []
    if run:
        yield run


def _sized(item: Item) -> Item:
    try:
        return sized(item)
    except OSError:  # vanished or unreadable: the scan reports it in its words
        return item


def _path(r: FileResult) -> str:
    return r.path


def _place(f: Finding) -> tuple:
    return (f.line, f.column, f.rule)


def choose_engine(total_bytes: int) -> str:
    from ..engine import hyperscan_available

    return "hyperscan" if total_bytes >= SMALL_INPUT and hyperscan_available() else "re"
