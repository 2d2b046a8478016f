"""Which matching engine runs is visible: `--version` names it, and a scan says on stderr (once,
not under -q, not when `--engine re` was asked for) when the fast engine is absent."""
from __future__ import annotations

import json
import os

import pytest

import twinscan.engine
import twinscan.rulepack
from twinscan import __version__

from .conftest import cli, run_process

LEAK = "STRIPE_API_BASE=http://localhost:4111\n"
NOTE = "twinscan: note: Hyperscan is not available here, so the `re` engine scans"

#: sitecustomize.py bodies that make `import hyperscan` fail in a real process, as on a platform
#: without a wheel (not installed) or with one that does not load.
HIDE = {
    "not installed": "import sys\nsys.modules['hyperscan'] = None\n",
    "does not load": None,  # a hyperscan.py that raises ImportError, as a wheel built for another CPU
}


@pytest.fixture(params=sorted(HIDE))
def without_hyperscan(request, tmp_path):
    """(environment for run_process, what --version should say) with Hyperscan unimportable."""
    d = tmp_path / "hide"
    d.mkdir()
    if HIDE[request.param]:
        (d / "sitecustomize.py").write_text(HIDE[request.param])
        said = "engine: re; Hyperscan not installed"
    else:
        (d / "hyperscan.py").write_text("raise ImportError('libhs.so.5: cannot open shared object file')\n")
        said = "engine: re; Hyperscan does not load on this platform"
    return dict(os.environ, PYTHONPATH=str(d)), said


@pytest.fixture
def repo(tmp_path):
    (tmp_path / ".env.production").write_text(LEAK)
    return tmp_path


def test_version_names_the_engine_when_hyperscan_is_missing(without_hyperscan, repo):
    env, said = without_hyperscan
    p = run_process(["--version"], env=env)
    assert p.returncode == 0 and p.stderr == b""
    assert p.stdout.decode() == f"twinscan {__version__} ({said})\n"


def test_a_scan_without_hyperscan_says_so_once_on_stderr(without_hyperscan, repo):
    env, _ = without_hyperscan
    p = run_process(["--format", "json", "."], cwd=repo, env=env)
    err = p.stderr.decode()
    assert p.returncode == 1 and err.count(NOTE) == 1 and len(err.splitlines()) == 1, err
    doc = json.loads(p.stdout)  # stdout is the report, untouched
    assert doc["tool"]["engine"] == "re" and doc["summary"]["blocking"] == 1
    for quiet in (["-q"], ["--engine", "re"], ["-q", "--engine", "re"]):
        p = run_process([*quiet, "."], cwd=repo, env=env)
        assert p.returncode == 1 and NOTE not in p.stderr.decode(), quiet
    p = run_process(["--engine", "hyperscan", "."], cwd=repo, env=env)
    assert p.returncode == 2 and b"--engine hyperscan: Hyperscan is not installed" in p.stderr


def test_baseline_notes_it_too(monkeypatch, repo):
    monkeypatch.setattr(twinscan.engine, "hyperscan_available", lambda: False)
    r = cli(["baseline", "."], cwd=repo)
    assert r.exit_code == 0 and r.stderr.count(NOTE) == 1
    assert NOTE not in cli(["baseline", "-q", "."], cwd=repo).stderr


@pytest.mark.skipif(not twinscan.engine.hyperscan_available(), reason="Hyperscan is not installed here")
def test_with_hyperscan_the_version_names_it_and_no_note_is_printed(repo):
    import hyperscan

    p = run_process(["--version"])
    assert p.stdout.decode() == f"twinscan {__version__} (engine: hyperscan {hyperscan.__version__})\n"
    r = cli(["."], cwd=repo)
    assert r.exit_code == 1 and NOTE not in r.stderr


def test_in_process_the_note_follows_the_engine_probe(monkeypatch, repo):
    monkeypatch.setattr(twinscan.engine, "hyperscan_available", lambda: False)
    r = cli(["--format", "json", "."], cwd=repo)
    assert r.exit_code == 1 and r.stderr.count(NOTE) == 1 and json.loads(r.stdout)["summary"]["blocking"] == 1
    assert cli(["--version"]).stdout.startswith(f"twinscan {__version__} (engine: re; ")


def test_version_compiles_no_rules(monkeypatch):
    def refuse(*a, **k):
        raise AssertionError("--version compiled rules")

    for name in ("load_builtin_rules", "build_ruleset"):
        monkeypatch.setattr(twinscan.rulepack, name, refuse)
    for name in ("make_engine", "build_expressions"):
        monkeypatch.setattr(twinscan.engine, name, refuse)
    r = cli(["--version"])
    assert r.exit_code == 0 and r.stdout.startswith(f"twinscan {__version__} (engine: ")
