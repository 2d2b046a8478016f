"""Many files go to worker processes with the same results; long scans on a TTY show progress."""
from __future__ import annotations

import io
import os
import zlib
from pathlib import Path

import pytest

import twinscan.scan.driver as scan_mod
from twinscan.commands import _common as cli_mod

from .conftest import ROOT, cli_json

_real_scan_in_worker = scan_mod._scan_in_worker


def _recording_scan_in_worker(items):
    """Scan as the worker does, leaving `<pid>-<crc32 of the path>` in $TWINSCAN_TEST_MARKS for each
    item (module level, so the pool pickles it by name; the environment reaches forked and spawned
    workers alike)."""
    for item in items:
        (Path(os.environ["TWINSCAN_TEST_MARKS"]) / f"{os.getpid()}-{zlib.crc32(item.display.encode())}").touch()
    return _real_scan_in_worker(items)


@pytest.mark.slow
def test_parallel_scan_gives_the_serial_results(monkeypatch, tmp_path):
    builds = ROOT / "fixtures" / "builds"
    _, serial = cli_json(["--jobs", "1", builds])
    monkeypatch.setattr(scan_mod, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setattr(scan_mod, "PARALLEL_MIN_FILES", 2)
    monkeypatch.setenv("TWINSCAN_TEST_MARKS", str(tmp_path))
    monkeypatch.setattr(scan_mod, "_scan_in_worker", _recording_scan_in_worker)
    _, parallel = cli_json(["--jobs", "2", builds])
    for doc in (serial, parallel):
        doc["summary"].pop("seconds")
    assert parallel["findings"] and parallel == serial
    # the pool really ran: every file was scanned once, in a process other than this one
    marks = [p.name.split("-") for p in tmp_path.iterdir()]
    assert len(marks) == len({crc for _, crc in marks}) == serial["summary"]["files"] > 8
    assert {str(zlib.crc32(f["path"].encode())) for f in parallel["findings"]} <= {crc for _, crc in marks}
    assert str(os.getpid()) not in {pid for pid, _ in marks}


def test_progress_appears_after_a_second_and_is_cleared(monkeypatch):
    clock = iter([0.0, 0.5, 1.2, 1.25, 1.5])
    monkeypatch.setattr(cli_mod.time, "monotonic", lambda: next(clock))
    err = io.StringIO()
    monkeypatch.setattr(cli_mod.sys, "stderr", err)
    tick, clear = cli_mod.progress(True)
    tick(1, 1_000_000)  # 0.5 s: too early
    tick(2, 2_000_000)  # 1.2 s: shown
    tick(3, 3_000_000)  # 1.25 s: throttled
    tick(4, 4_000_000)  # 1.5 s: shown
    clear()
    out = err.getvalue()
    assert out.count("twinscan: ") == 2 and "2 files, 2.0 MB" in out and out.endswith("\r\x1b[K")


def test_no_progress_when_not_a_tty():
    tick, clear = cli_mod.progress(False)
    assert tick is None


def test_batches_cover_every_file_once_in_order():
    from twinscan.walk import Item

    sizes = [50 << 20, 9 << 20, 3 << 20, 3 << 20] + [2400] * 3000 + [0] * 7
    order = [Item(str(i), str(i), s) for i, s in enumerate(sizes)]
    tasks = scan_mod.batches(order, 2)
    assert [i for a, b in tasks for i in range(a, b)] == list(range(len(order)))
    assert tasks[:3] == [(0, 1), (1, 2), (2, 4)]  # big files alone, or together up to BATCH_BYTES
    assert max(b - a for a, b in tasks) <= scan_mod.BATCH_FILES and len(tasks) >= 16
    # a tree walked without stat: no size known, equal runs of files in walk order
    unsized = [Item(str(i), str(i), -1) for i in range(5000)]
    tasks = scan_mod.batches(unsized, 2)
    assert [i for a, b in tasks for i in range(a, b)] == list(range(5000))
    assert {b - a for a, b in tasks[:-1]} == {min(scan_mod.BATCH_FILES, 5000 // 16)} and len(tasks) >= 16


def test_many_small_files_in_the_pool_give_the_serial_report(monkeypatch, tmp_path):
    """Clean files come back from a worker as their byte count alone: the report must not tell."""
    for d in range(4):
        for i in range(60):
            body = f"var a{i}=1;" * (i + 1)
            if i % 17 == 0:
                body += f'fetch("http://localhost:4111/v1/{d}/{i}");'
            (tmp_path / f"d{d}").mkdir(exist_ok=True)
            (tmp_path / f"d{d}" / f"c{i}.js").write_text(body)
    (tmp_path / "d0" / "logo.js").write_bytes(b"\x89PNG\r\n\x1a\n" + b"http://localhost:4111")
    (tmp_path / "d1" / "empty.js").write_text("")
    _, serial = cli_json(["--jobs", "1", tmp_path])
    monkeypatch.setattr(scan_mod, "PARALLEL_MANY_FILES", 2)
    monkeypatch.setenv("TWINSCAN_TEST_MARKS", str(tmp_path / "marks"))
    (tmp_path / "marks").mkdir()
    monkeypatch.setattr(scan_mod, "_scan_in_worker", _recording_scan_in_worker)
    _, parallel = cli_json(["--jobs", "2", tmp_path / "d0", tmp_path / "d1", tmp_path / "d2", tmp_path / "d3"])
    for doc in (serial, parallel):
        doc["summary"].pop("seconds")
    assert parallel == serial and len(serial["findings"]) == 16 and serial["summary"]["files"] == 241
    marks = [p.name.split("-")[0] for p in (tmp_path / "marks").iterdir()]
    assert len(marks) == 242 and str(os.getpid()) not in marks  # every file went through a worker


def test_a_tree_walked_without_sizes_gives_the_sized_report(monkeypatch, tmp_path):
    """Past STAT_MAX_FILES the walk's files keep an unknown size (no stat per file): the workers
    learn each size from the open file, and a file too large to read whole is still read in
    windows to its end (a hit past the first MiB is found), an empty file still counts as read."""
    from twinscan import reader

    for i in range(40):
        (tmp_path / f"c{i}.js").write_text(f"var a{i}=1;" + ('fetch("http://localhost:4111/x");' if i % 9 == 0 else ""))
    big = b"var pad=1;\n" * (reader.SMALL // 11 + 5000)
    (tmp_path / "vendor.js").write_bytes(big + b'const api="https://api.wondertwin.dev/twins/stripe";\n')
    (tmp_path / "empty.js").write_bytes(b"")
    _, sized = cli_json(["--jobs", "2", tmp_path])
    monkeypatch.setattr(scan_mod, "STAT_MAX_FILES", 0)
    monkeypatch.setattr(scan_mod, "PARALLEL_MANY_FILES", 2)
    _, unsized = cli_json(["--jobs", "2", tmp_path])
    for doc in (sized, unsized):
        doc["summary"].pop("seconds")
        doc["tool"].pop("engine")  # chosen by the bytes: unknown sizes count as a large input
    assert unsized == sized
    assert sized["summary"]["files"] == 42 and sized["summary"]["bytes"] > reader.SMALL
    assert any(f["path"].endswith("vendor.js") and "wondertwin" in f["url"] for f in sized["findings"])


def test_the_serial_scan_batches_small_files_and_takes_a_large_one_alone():
    """Small files go to the screen together; a large file is its own step, so a progress line
    moves after it instead of after the whole batch around it."""
    from twinscan.scan.filescan import SMALL_FILE
    from twinscan.walk import UNKNOWN_SIZE, Item

    sizes = [10] * 300 + [SMALL_FILE + 1] + [UNKNOWN_SIZE] * 5 + [SMALL_FILE * 4, 0]
    items = [Item(f"f{i}", f"f{i}", s) for i, s in enumerate(sizes)]
    runs = list(scan_mod._runs(items))
    assert [i for run in runs for i in run] == items
    assert [len(r) for r in runs] == [scan_mod.BATCH_FILES, 300 - scan_mod.BATCH_FILES, 1, 5, 1, 1]
