"""Many files go to worker processes with the same results; long scans on a TTY show progress."""
from __future__ import annotations

import io

import twinscan.scan.driver as scan_mod
from twinscan import cli as cli_mod

from .conftest import ROOT, cli_json


def test_parallel_scan_gives_the_serial_results(monkeypatch):
    builds = ROOT / "fixtures" / "builds"
    _, serial = cli_json(["--jobs", "1", builds])
    monkeypatch.setattr(scan_mod, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setattr(scan_mod, "PARALLEL_MIN_FILES", 2)
    calls = []
    real = scan_mod._init_worker
    monkeypatch.setattr(scan_mod, "_init_worker", lambda s: (calls.append(1), real(s)))
    _, parallel = cli_json(["--jobs", "2", builds])
    for doc in (serial, parallel):
        doc["summary"].pop("seconds")
    assert parallel["findings"] and parallel == serial


def test_progress_appears_after_a_second_and_is_cleared(monkeypatch):
    clock = iter([0.0, 0.5, 1.2, 1.25, 1.5])
    monkeypatch.setattr(cli_mod.time, "monotonic", lambda: next(clock))
    err = io.StringIO()
    monkeypatch.setattr(cli_mod.sys, "stderr", err)
    tick, clear = cli_mod._progress(True)
    tick(1, 1_000_000)  # 0.5 s: too early
    tick(2, 2_000_000)  # 1.2 s: shown
    tick(3, 3_000_000)  # 1.25 s: throttled
    tick(4, 4_000_000)  # 1.5 s: shown
    clear()
    out = err.getvalue()
    assert out.count("twinscan: ") == 2 and "2 files, 2.0 MB" in out and out.endswith("\r\x1b[K")


def test_no_progress_when_not_a_tty():
    tick, clear = cli_mod._progress(False)
    assert tick is None
