"""The compiled Hyperscan database is cached in the user cache directory and loaded by later runs;
any problem with the cache means compiling, with the same results."""
from __future__ import annotations

import os

import pytest

from twinscan import engine as engine_mod
from twinscan.engine import HyperscanEngine, build_expressions, cache_dir
from twinscan.rulepack import build_ruleset

from .conftest import ENGINES, ROOT, cli_json

pytestmark = pytest.mark.skipif("hyperscan" not in ENGINES, reason="Hyperscan is not installed")

SAMPLE = b'const a = "http://localhost:4111/v1"; const b = "https://api.stripe.com"; //127.0.0.1:4112'


def _exprs():
    return build_expressions(build_ruleset(()), split=True)


def test_cache_dir_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.delenv("TWINSCAN_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_dir() == str(tmp_path / "xdg" / "twinscan")
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert cache_dir() == str(tmp_path / "home" / ".cache" / "twinscan")
    monkeypatch.setenv("TWINSCAN_CACHE_DIR", str(tmp_path / "mine"))
    assert cache_dir() == str(tmp_path / "mine")


def test_second_engine_loads_the_database_the_first_compiled(monkeypatch, tmp_path):
    monkeypatch.setenv("TWINSCAN_CACHE_DIR", str(tmp_path))
    first = HyperscanEngine(_exprs())
    assert not first.loaded
    files = list(tmp_path.glob("hs-*"))
    assert len(files) == 1 and files[0].name.startswith("hs-")
    second = HyperscanEngine(_exprs())
    assert second.loaded
    assert second.candidates(SAMPLE, 0, len(SAMPLE)) == first.candidates(SAMPLE, 0, len(SAMPLE)) != []
    # other expressions (another --twin-url) are another file, never the first one's database
    other = HyperscanEngine(build_expressions(build_ruleset(("twins.*.example.org",)), split=True))
    assert not other.loaded and len(list(tmp_path.glob("hs-*"))) == 2


@pytest.mark.parametrize("damage", ["flip", "truncate", "empty", "garbage"])
def test_a_damaged_cache_file_is_compiled_over(monkeypatch, tmp_path, damage):
    monkeypatch.setenv("TWINSCAN_CACHE_DIR", str(tmp_path))
    good = HyperscanEngine(_exprs())
    (path,) = tmp_path.glob("hs-*")
    blob = path.read_bytes()
    broken = {"flip": blob[:-100] + bytes(b ^ 0xFF for b in blob[-100:]), "truncate": blob[: len(blob) // 2],
              "empty": b"", "garbage": b"not a database"}[damage]
    path.write_bytes(broken)
    again = HyperscanEngine(_exprs())
    assert not again.loaded
    assert again.candidates(SAMPLE, 0, len(SAMPLE)) == good.candidates(SAMPLE, 0, len(SAMPLE))
    assert path.read_bytes() == blob  # rewritten, so the next run loads again
    assert HyperscanEngine(_exprs()).loaded


def test_an_unwritable_cache_directory_still_scans(monkeypatch, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("a file where the cache directory should be")
    monkeypatch.setenv("TWINSCAN_CACHE_DIR", str(blocker / "twinscan"))
    e = HyperscanEngine(_exprs())
    assert not e.loaded and e.candidates(SAMPLE, 0, len(SAMPLE))


def test_cli_runs_create_then_reuse_the_cache_with_identical_results(monkeypatch, tmp_path):
    cache = tmp_path / "cache"
    monkeypatch.setenv("TWINSCAN_CACHE_DIR", str(cache))
    compiled = []
    real = engine_mod.HyperscanEngine.__init__

    def spy(self, exprs):
        real(self, exprs)
        compiled.append(self.loaded)

    monkeypatch.setattr(engine_mod.HyperscanEngine, "__init__", spy)
    builds = ROOT / "fixtures" / "builds"
    runs = []
    for _ in range(2):
        code, doc = cli_json(["--engine", "hyperscan", builds])
        doc["summary"].pop("seconds")
        runs.append((code, doc))
    assert compiled == [False, True]
    assert runs[0] == runs[1] and runs[0][1]["findings"]
    assert [p.name for p in cache.iterdir() if p.name.startswith("hs-")]
    # the scanned tree is never written to
    assert not any(p.name.startswith("hs-") for p in builds.rglob("*"))
    for p in cache.iterdir():
        p.write_bytes(b"corrupt")
    code, doc = cli_json(["--engine", "hyperscan", builds])
    doc["summary"].pop("seconds")
    assert compiled[-1] is False and (code, doc) == runs[0]
    assert os.listdir(cache)
