"""A large scan keeps its freed memory for the next file (twinscan/heap.py): in the program's own
process and in the pool's workers, never in a library caller's process, and not for a small scan.

Observed as what the module is for: a freed 8 MiB block allocated again costs (next to) no new
page faults, where glibc's defaults fault most of its 2,048 pages in again."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from twinscan import heap
from twinscan.scan import driver

pytestmark = pytest.mark.skipif(not (sys.platform.startswith("linux") and hasattr(os, "confstr")
                                     and "CS_GNU_LIBC_VERSION" in os.confstr_names and os.confstr("CS_GNU_LIBC_VERSION")),
                                reason="malloc's thresholds are set on glibc only")

#: Fewer page faults than this for five blocks: the freed memory was reused.
KEPT = 64
#: Page faults of allocating (and zeroing) a freed 8 MiB block again, five times over.
_REFAULTS = """\
import resource
def _refaults():
    def faults():
        return resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    block = bytearray(8 << 20)
    del block
    before = faults()
    for _ in range(5):
        block = bytearray(8 << 20)
        del block
    return faults() - before
"""


def _refaults() -> int:
    scope: dict = {}
    exec(_REFAULTS, scope)
    return scope["_refaults"]()


def _program(args, cwd) -> int:
    """Run the program on *args*; what its atexit handler measured after the scan."""
    probe = (_REFAULTS + "import atexit, sys\nfrom twinscan import program\n"
             "atexit.register(lambda: print('refaults', _refaults(), file=sys.stderr))\n"
             "program.main()\n")
    r = subprocess.run([sys.executable, "-c", probe, *args], cwd=cwd, capture_output=True, text=True, timeout=120)
    assert r.returncode == 1, r.stderr
    return int(r.stderr.rsplit("refaults ", 1)[1])


def test_the_program_keeps_freed_memory_after_a_large_scan_only(tmp_path):
    (tmp_path / "big").mkdir()
    (tmp_path / "big" / "app.js").write_bytes(b"var a=1;" * (1 << 20) + b'\nfetch("http://localhost:4111/v1");\n')
    (tmp_path / "small.js").write_text('fetch("http://localhost:4111/v1");\n')
    assert _program(["-q", "big"], tmp_path) < KEPT  # 8 MiB: a large scan
    untouched = subprocess.run([sys.executable, "-c", _REFAULTS + "print(_refaults())"], capture_output=True,
                               text=True, timeout=60, check=True)
    # a pre-commit run: the process is left as it was, like one that never ran twinscan
    assert _program(["-q", "small.js"], tmp_path) >= int(untouched.stdout) // 2


def test_a_library_callers_process_is_left_alone():
    assert heap.keep_freed_memory() is False  # this test process never claimed itself


def _worker_refaults(items):
    """A worker's scan, replaced: it answers how many faults a freed block costs it (a byte count)."""
    return [_refaults()] + [0] * (len(items) - 1)


@pytest.mark.skipif(not driver._FORK, reason="workers are forked on Linux only")
def test_the_pool_workers_of_a_large_scan_keep_freed_memory(monkeypatch, tmp_path):
    for i in range(8):  # 24 MiB in 8 files: pooled (sparse files: the replaced scan reads none)
        with open(tmp_path / f"chunk{i}.js", "wb") as f:
            f.truncate(3 << 20)
    monkeypatch.setattr(driver, "_scan_in_worker", _worker_refaults)
    from .conftest import cli_json

    code, doc = cli_json(["--jobs", "2", "--format", "json", str(tmp_path)])
    assert doc["summary"]["files"] == 8 and doc["summary"]["bytes"] < 2 * KEPT  # both workers' faults
    assert heap.keep_freed_memory() is False  # and the parent, a library caller here, untouched
