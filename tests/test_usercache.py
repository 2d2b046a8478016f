"""The user cache stays bounded: every upgrade and every new `--twin-url` set writes new entries,
and each write prunes the oldest (twinscan/usercache.py). Foreign files are never touched."""
from __future__ import annotations

import os
import time

from twinscan import usercache
from twinscan.engine import hyperscan_available

from .conftest import cli_json

# Names as the package writes them (shipped.py, engine.py, extract/claimcache.py, tempfile).
OLD = ([f"data-1-0.0.{i}-loopback-url-yaml-1087-179616370745960{i:04d}-53{i:05d}.json" for i in range(120)]
       + [f"hs-{i:032x}.db" for i in range(100)] + [f"kinds-2-{i:08x}.json" for i in range(80)]
       + [f"data-{i:032x}.json" for i in range(30)])
FOREIGN = ["notes.txt", "data-export.csv", "hs-backup.tar", "kinds.json"]


def _fill(directory, names, age: float, size: int = 10) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    then = time.time() - age
    for i, name in enumerate(names):
        p = directory / name
        p.write_bytes(b"x" * size)
        os.utime(p, (then + i, then + i))  # later names are newer


def test_prune_keeps_the_newest_entries_and_the_one_just_written(tmp_path):
    _fill(tmp_path, OLD, age=86400)
    _fill(tmp_path, FOREIGN, age=10 * 86400)
    keep = tmp_path / OLD[0]  # the oldest of all, as if it had just been rewritten
    usercache.prune(str(tmp_path), keep=str(keep), max_files=50)
    left = set(os.listdir(tmp_path))
    assert set(FOREIGN) <= left and keep.name in left
    ours = left - set(FOREIGN)
    assert len(ours) == 50
    assert ours - {keep.name} == set(OLD[-49:])  # the 49 newest besides it


def test_prune_bounds_the_bytes_too(tmp_path):
    _fill(tmp_path, [f"hs-{i:032x}.db" for i in range(10)], age=3600, size=1000)
    usercache.prune(str(tmp_path), max_bytes=3500)
    assert sorted(os.listdir(tmp_path)) == [f"hs-{i:032x}.db" for i in (7, 8, 9)]


def test_prune_removes_stale_temporary_files_only(tmp_path):
    _fill(tmp_path, [".tmp-abc123xy"], age=2 * usercache.STALE_TMP_SECONDS)
    _fill(tmp_path, [".tmp-fresh123"], age=5)  # another run may be writing it now
    usercache.prune(str(tmp_path))
    assert os.listdir(tmp_path) == [".tmp-fresh123"]


def test_prune_of_a_missing_or_unreadable_directory_is_quiet(tmp_path):
    usercache.prune(str(tmp_path / "nowhere"))
    (tmp_path / "file").write_text("not a directory")
    usercache.prune(str(tmp_path / "file"))


def test_a_run_that_writes_the_cache_prunes_it_and_the_next_run_reuses_it(tmp_path, monkeypatch):
    """Through the CLI: a cache full of entries from earlier versions and pattern sets; a run
    with a pattern set of its own writes its entries and prunes to the bound; foreign files
    stay; the run after it loads what was written and reports the same."""
    cache = tmp_path / "cache"
    _fill(cache, OLD, age=86400)
    _fill(cache, FOREIGN, age=86400)
    monkeypatch.setenv("TWINSCAN_CACHE_DIR", str(cache))
    monkeypatch.setattr(usercache, "MAX_FILES", 64)
    (tmp_path / "dist").mkdir()
    (tmp_path / "dist" / "app.js").write_text('const u="https://twins.ci.example.org/stripe";\n')
    engine = ["--engine", "hyperscan"] if hyperscan_available() else []
    args = [*engine, "--twin-url", "twins.*.example.org", str(tmp_path / "dist")]
    code, first = cli_json(args)
    left = set(os.listdir(cache))
    assert set(FOREIGN) <= left
    assert len(left - set(FOREIGN)) <= 64
    new = [n for n in left if n not in OLD and n not in FOREIGN]
    assert new  # what this run wrote is kept
    if hyperscan_available():
        assert any(n.startswith("hs-") for n in new)
    code2, second = cli_json(args)
    first["summary"].pop("seconds"), second["summary"].pop("seconds")
    assert (code, first) == (code2, second) and code == 1
    assert set(os.listdir(cache)) == left  # nothing rewritten: every entry was loaded
