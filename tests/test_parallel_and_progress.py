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


def _recording_scan_in_worker(item):
    """Scan as the worker does, leaving `<pid>-<crc32 of the path>` in $TWINSCAN_TEST_MARKS (module
    level, so the pool pickles it by name; the environment reaches forked and spawned workers alike)."""
    (Path(os.environ["TWINSCAN_TEST_MARKS"]) / f"{os.getpid()}-{zlib.crc32(item.display.encode())}").touch()
    return _real_scan_in_worker(item)


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
