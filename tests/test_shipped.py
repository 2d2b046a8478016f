"""The parsed-data cache of the files shipped in `rules/` (twinscan/shipped.py)."""
from __future__ import annotations

import os

import pytest

from twinscan import shipped

from .conftest import run_process


@pytest.fixture
def cache(tmp_path, monkeypatch):
    d = tmp_path / "cache"
    monkeypatch.setenv("TWINSCAN_CACHE_DIR", str(d))
    return d


@pytest.fixture
def rules_copy(tmp_path, monkeypatch):
    """A private rules directory, so a test can change a shipped file."""
    d = tmp_path / "rules"
    d.mkdir()
    monkeypatch.setattr("twinscan.shipped.rules_dir", lambda: str(d))
    return d


def test_every_shipped_file_reads_the_same_from_the_cache(cache):
    names = [n for n in os.listdir(shipped.path_of("")) if n.endswith(".yaml") and n != "environments.yaml"]
    names += ["services/defaults.yaml", "libraries/defaults.yaml"]
    for name in names:
        with open(shipped.path_of(name), encoding="utf-8") as f:
            parsed = shipped.parse(f.read())
        assert shipped.load(name) == parsed, name  # parsed, stored
        assert shipped.load(name) == parsed, name  # from the cache
    assert len(list(cache.glob("data-*.json"))) == len(names)


def test_a_changed_file_is_parsed_again(cache, rules_copy):
    f = rules_copy / "x.yaml"
    f.write_text("a: 1\n")
    assert shipped.load("x.yaml") == {"a": 1}
    f.write_text("a: 22\n")
    os.utime(f, ns=(1, 1))  # another size and mtime
    assert shipped.load("x.yaml") == {"a": 22}


def test_a_damaged_cache_entry_is_parsed_again(cache, rules_copy):
    (rules_copy / "x.yaml").write_text("a: [1, 2]\n")
    assert shipped.load("x.yaml") == {"a": [1, 2]}
    [entry] = cache.glob("data-*.json")
    entry.write_text('{"a": [1,')
    assert shipped.load("x.yaml") == {"a": [1, 2]}


def test_data_json_cannot_keep_is_never_cached(cache, rules_copy):
    """YAML says things JSON cannot (integer keys, dates): such a file is parsed every time."""
    (rules_copy / "x.yaml").write_text("1: one\nwhen: 2026-12-02\n")
    first = shipped.load("x.yaml")
    assert 1 in first and not list(cache.glob("data-*.json"))
    assert shipped.load("x.yaml") == first


def test_a_cache_that_cannot_be_written_costs_nothing(tmp_path, monkeypatch, rules_copy):
    blocker = tmp_path / "file"
    blocker.write_text("")
    monkeypatch.setenv("TWINSCAN_CACHE_DIR", str(blocker / "cache"))  # a directory under a file
    (rules_copy / "x.yaml").write_text("a: 1\n")
    assert shipped.load("x.yaml") == shipped.load("x.yaml") == {"a": 1}


def test_scans_agree_with_and_without_the_cache(tmp_path):
    """Separate processes: the first parses the YAML and fills the cache, the second reads it."""
    import json

    (tmp_path / ".env.production").write_text("VITE_STRIPE_BASE_URL=http://localhost:4111\n")
    env = {**os.environ, "TWINSCAN_CACHE_DIR": str(tmp_path / "cache")}
    runs = []
    for _ in range(2):
        r = run_process(["--format", "json", ".env.production"], cwd=tmp_path, env=env)
        doc = json.loads(r.stdout)
        doc["summary"].pop("seconds")
        runs.append((r.returncode, doc))
        assert list((tmp_path / "cache").glob("data-*.json"))
    assert runs[0] == runs[1] and runs[0][0] == 1 and runs[0][1]["findings"]
