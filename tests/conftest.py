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


def run_process(args, cwd=None, input=None, env=None) -> subprocess.CompletedProcess:
    """Run `python -m twinscan` in a real process (exit codes, stdin, no traceback)."""
    return subprocess.run([sys.executable, "-m", "twinscan", *map(str, args)], cwd=cwd, input=input,
                          capture_output=True, env=env, timeout=120)


@pytest.fixture(params=ENGINES)
def engine(request) -> str:
    return request.param
