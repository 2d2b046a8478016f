"""The run: pre-pass, engine choice, one scanner per process, the pool for large inputs."""
from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass, replace
from typing import Callable, Iterable

from .. import prepass
from ..model import FileError, FileResult, Finding, Skipped
from ..walk import Item
from .filescan import FileScanner
from .settings import Settings

PARALLEL_MIN_BYTES = 24 << 20
PARALLEL_MIN_FILES = 8
#: Below this many bytes `auto` uses `re`: importing and compiling Hyperscan
#: (~60 ms) costs more than `re` needs to scan it, and results are identical.
SMALL_INPUT = 4 << 20


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


_worker: FileScanner | None = None


def _init_worker(settings: Settings) -> None:
    global _worker
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a terminal's Ctrl-C reaches every worker: the parent alone handles it
    if _worker is None:  # spawned; a forked worker inherits the parent's compiled scanner
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

        global _worker
        method = "fork" if sys.platform.startswith("linux") else "spawn"
        ctx = multiprocessing.get_context(method)
        # biggest first, so one large file does not finish last alone
        order = sorted(items, key=lambda i: -i.size)
        # small files go in batches: one task per file costs a round trip of pickles each
        chunksize = max(4, min(256, len(order) // (jobs * 8)))
        if method == "fork":
            _worker = FileScanner(settings)  # compiled (or loaded) once, inherited by every worker
        pool = ProcessPoolExecutor(jobs, mp_context=ctx, initializer=_init_worker, initargs=(settings,))
        try:
            done_bytes = 0
            for item, r in zip(order, pool.map(_scan_in_worker, order, chunksize=chunksize)):
                results.append(r)
                done_bytes += item.size
                if progress:
                    progress(len(results), done_bytes)
        except BaseException:  # Ctrl-C: stop the workers now, not after every file already queued
            pool.shutdown(wait=False, cancel_futures=True)
            for proc in list((getattr(pool, "_processes", None) or {}).values()):
                proc.terminate()
            raise
        finally:
            _worker = None
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


def choose_engine(total_bytes: int) -> str:
    from ..engine import hyperscan_available

    return "hyperscan" if total_bytes >= SMALL_INPUT and hyperscan_available() else "re"
