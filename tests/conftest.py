"""Shared fixtures and helpers for the suite (builders used by several modules: tests/helpers.py).

Quick loop: `python -m pytest -m "not slow"` skips the tests marked `slow`: real pre-commit,
actionlint, zizmor and Action runs, Node/esbuild builds, Hypothesis fuzz suites, every real
build with every engine, gigabyte-scale and decompression-bomb inputs, deep-nesting parsers in
a subprocess. The full suite (`python -m pytest`, what `.ci/run` runs) includes them. Mark a
test `@pytest.mark.slow` when it takes over about a second on an idle machine or runs an
external tool; the twin zoo, the rule examples and the unit tests stay in the quick loop.
"""
from __future__ import annotations

import functools
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from twinscan.classify import Classifier
from twinscan.engine import hyperscan_available
from twinscan.rulepack import build_ruleset
from twinscan.scan import FileScanner, Settings
from twinscan.walk import Item

ROOT = Path(__file__).resolve().parent.parent
ENGINES = ["re"] + (["hyperscan"] if hyperscan_available() else [])


@functools.lru_cache(maxsize=16)
def _scanner(engine: str, twin_urls: tuple, environment) -> FileScanner:
    """One compiled scanner per configuration (a Hyperscan database takes ~0.1 s to build)."""
    settings = Settings(rules=build_ruleset(twin_urls), classifier=Classifier(environment=environment), engine=engine)
    return FileScanner(settings)


def scan_bytes(data: bytes, name: str = "dist/app.js", engine: str = "re", twin_urls=(), environment=None):
    """Scan one in-memory file; returns its FileResult."""
    return _scanner(engine, tuple(twin_urls), environment).scan(Item(name, name, len(data), data))


def urls(data: bytes, engine: str = "re", twin_urls=(), name: str = "dist/app.js") -> list[tuple[str, str]]:
    return [(f.rule, f.url) for f in scan_bytes(data, name, engine, twin_urls).findings]


def cli(args, cwd=None, input=None):
    """Run the CLI in-process (fast); returns click's Result."""
    from twinscan.cli import main

    old = os.getcwd()
    try:
        if cwd:
            os.chdir(cwd)
        return CliRunner().invoke(main, [str(a) for a in args], input=input, catch_exceptions=False)
    finally:
        os.chdir(old)


def cli_json(args, cwd=None, input=None) -> tuple[int, dict]:
    r = cli(["--format", "json", *args], cwd=cwd, input=input)
    return r.exit_code, json.loads(r.stdout)  # stdout only: notes on stderr are not part of the report


def scan_all_engines(args, cwd=None) -> tuple[int, dict]:
    """`twinscan --format json` once per engine; every engine must give the same report (timing and
    engine name aside). Returns (code, doc) of the first."""
    runs = []
    for engine in ENGINES:
        code, doc = cli_json(["--engine", engine, *args], cwd=cwd)
        doc["summary"].pop("seconds")
        doc["tool"].pop("engine")
        runs.append((code, doc))
    assert all(r == runs[0] for r in runs)
    return runs[0]


def run_process(args, cwd=None, input=None, env=None) -> subprocess.CompletedProcess:
    """Run `python -m twinscan` in a real process (exit codes, stdin, no traceback)."""
    return subprocess.run([sys.executable, "-m", "twinscan", *map(str, args)], cwd=cwd, input=input,
                          capture_output=True, env=env, timeout=120)


@pytest.fixture(autouse=True, scope="session")
def _twinscan_cache_in_tmp(tmp_path_factory):
    """Compiled Hyperscan databases go to a directory of this session, never the user's cache."""
    old = os.environ.get("TWINSCAN_CACHE_DIR")
    os.environ["TWINSCAN_CACHE_DIR"] = str(tmp_path_factory.mktemp("twinscan-cache"))
    yield
    if old is None:
        os.environ.pop("TWINSCAN_CACHE_DIR", None)
    else:
        os.environ["TWINSCAN_CACHE_DIR"] = old


@pytest.fixture(params=ENGINES)
def engine(request) -> str:
    return request.param


def pytest_configure(config) -> None:
    config.addinivalue_line("markers", "slow: over a second or an external tool; `-m \"not slow\"` is the quick loop")


@pytest.fixture
def reuse_hyperscan_databases(monkeypatch):
    """Compile each distinct Hyperscan database once per test session instead of once per CLI run.

    A one-file scan with `--engine hyperscan` spends ~0.1 s compiling the same expressions
    (nearly all its time); table-driven tests run the CLI hundreds of times. Hyperscan still
    compiles exactly what twinscan asks for (the key is every argument of `compile`), and the
    database matches as usual: only the repeated compilation of identical input is skipped.
    """
    if "hyperscan" not in ENGINES:
        return
    import hyperscan

    _CachedDatabase.real = hyperscan.Database
    monkeypatch.setattr(hyperscan, "Database", _CachedDatabase)


class _CachedDatabase:
    """`hyperscan.Database` whose `compile` reuses the database built from identical arguments."""

    real = None  # the real class, set by the fixture before it patches
    _cache: dict = {}

    def __init__(self, **kwargs):
        self._kwargs = kwargs
        self._db = None

    def compile(self, **kwargs):
        key = repr((sorted(self._kwargs.items()), sorted(kwargs.items())))
        if key not in self._cache:
            db = self.real(**self._kwargs)
            db.compile(**kwargs)
            self._cache[key] = db
        self._db = self._cache[key]

    def __getattr__(self, name):
        return getattr(self._db, name)
