"""Option values that cannot mean anything are usage errors (exit 2) before anything is scanned:
one line naming the option, never a traceback, never a silent default. Also `-o -`, `-o` into a
missing folder, an empty production folder (exit 3 unless --allow-empty) and Ctrl-C (exit 130)."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from .conftest import cli, cli_json, run_process

TWIN = 'const api = "http://localhost:4111/stripe";\n'


@pytest.fixture
def repo(tmp_path):
    (tmp_path / ".git").mkdir()
    (tmp_path / "dist").mkdir()
    (tmp_path / "dist" / "app.js").write_text(TWIN)
    return tmp_path


def usage_error(r, option: str) -> str:
    """The run was refused before scanning: exit 2, one `twinscan: error:` line naming the option."""
    assert r.exit_code == 2, r.output
    assert r.stdout == ""  # no report: nothing was scanned (dist/app.js would block)
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"twinscan: error: {option}"), r.stderr
    assert "Traceback" not in r.stderr
    return lines[0]


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "-1", "0"])
def test_file_timeout_must_be_a_positive_number(repo, value):
    line = usage_error(cli(["--file-timeout", value, "dist"], cwd=repo), "--file-timeout")
    assert "greater than 0" in line


def test_file_timeout_accepts_fractions(repo):
    assert cli(["--file-timeout", "0.5", "dist"], cwd=repo).exit_code == 1


@pytest.mark.parametrize("spec,why", [
    ("yourco.com:99999/twins", "port 99999 is out of range"),
    ("yourco.com:0/twins", "port 0 is out of range"),
    (":4111/twins", "expected a host glob"),
    ("https:///twins", "expected a host glob"),
    ("your co.com/twins", "expected a host glob"),
    ("yourco.com/my twins", "expected a host glob"),
    ("", "expected a host glob"),
])
def test_twin_url_must_be_a_host_with_a_valid_port(repo, spec, why):
    line = usage_error(cli(["--twin-url", spec, "dist"], cwd=repo), "--twin-url")
    assert why in line


def test_twin_url_port_range_in_config_too(repo):
    (repo / "twinscan.yaml").write_text("twin_urls: ['twins.yourco.com:70000']\n")
    r = cli(["dist"], cwd=repo)
    assert r.exit_code == 2 and "port 70000 is out of range" in r.stderr and "twinscan.yaml" in r.stderr


def test_twin_url_with_a_real_port_still_blocks(repo):
    (repo / "dist" / "app.js").write_text('fetch("https://twins.yourco.com:8443/stripe/v1")\n')
    code, doc = cli_json(["--twin-url", "twins.yourco.com:8443", "dist"], cwd=repo)
    assert code == 1 and [f["rule"] for f in doc["findings"]] == ["org-twin-url"]


@pytest.mark.parametrize("value", ["", "   ", "\t"])
def test_environment_must_name_something(repo, value):
    usage_error(cli(["--environment", value, "dist"], cwd=repo), "--environment")


def test_stdin_name_without_stdin(repo):
    line = usage_error(cli(["--stdin-name", "dist/app.js", "dist"], cwd=repo), "--stdin-name")
    assert "'-' is not among the PATHs" in line


def test_stdin_name_with_stdin_names_it(repo):
    code, doc = cli_json(["--stdin-name", ".env.development", "-"], cwd=repo, input="A=http://localhost:4111\n")
    assert code == 0 and doc["findings"][0]["path"] == ".env.development"


@pytest.mark.parametrize("glob,why", [
    ("dist/[abc", "never closed"),
    ("[", "never closed"),
    ("assets/[z-a].js", "`z-a`, which is backwards"),
    ("dist\\", "lone `\\`"),
    ("#generated", "comment"),
    ("!", "names no path"),
    ("/", "names no path"),
    ("  ", "is empty"),
])
def test_invalid_exclude_globs(repo, glob, why):
    line = usage_error(cli(["--exclude", glob, "dist"], cwd=repo), "--exclude")
    assert why in line and "gitignore syntax" in line


def test_double_star_inside_a_name_is_gits_single_star(repo):
    """`a/**b` is valid gitignore syntax (git reads the `**` as `*`): accepted, one level deep."""
    (repo / "dist" / "x.map").write_text(TWIN)
    (repo / "dist" / "deep").mkdir()
    (repo / "dist" / "deep" / "y.map").write_text(TWIN)
    code, doc = cli_json(["--exclude", "dist/**.map", "--exclude", "\\#not-a-comment", "."], cwd=repo)
    assert code == 1
    assert sorted(f["path"] for f in doc["findings"]) == ["dist/app.js", "dist/deep/y.map"]


@pytest.mark.parametrize("config,why", [
    ("exclude: ['dist/[abc']\n", "`exclude`: 'dist/[abc' has a `[` that is never closed"),
    ("exclude: ['**/[9-0]*.js']\n", "`exclude`: '**/[9-0]*.js' has the character range `9-0`"),
    ("ignore:\n  - path: 'dist/[z-a].js'\n    reason: vendored\n", "`ignore` entry #1: `path` 'dist/[z-a].js' has the character range"),
    ("ignore:\n  - rule: loopback-url\n    reason: ok\n  - path: 'dist\\'\n    reason: x\n", "`ignore` entry #2: `path` 'dist\\' ends with a lone"),
    ("ignore:\n  - path: 'assets/[chunk'\n    reason: x\n", "never closed"),
    ("environments:\n  'dist/[z-a]*': staging\n", "`environments`: 'dist/[z-a]*' has the character range `z-a`"),
])
def test_invalid_globs_in_config(repo, config, why):
    (repo / "twinscan.yaml").write_text(config)
    r = cli(["dist"], cwd=repo)
    assert r.exit_code == 2 and r.stdout == ""
    assert why in r.stderr and "twinscan.yaml" in r.stderr and "Traceback" not in r.stderr


def test_valid_globs_in_config_still_work(repo):
    (repo / "dist" / "vendor.js").write_text(TWIN)
    (repo / "twinscan.yaml").write_text("exclude: ['vendor*.js']\nignore:\n  - path: 'dist/[a]pp.js'\n    reason: demo\n")
    code, doc = cli_json(["dist"], cwd=repo)
    assert code == 0 and doc["findings"] == [] and doc["summary"]["suppressed"] == 1


# -- --docker-target -----------------------------------------------------------

DOCKERFILE = """FROM node:20 AS build
RUN npm ci && npm run build
FROM nginx:1.27 AS runtime
ENV API_URL=http://localhost:4111
FROM runtime AS debug
ENV DEBUG=1
"""


def test_docker_target_naming_no_stage_is_a_usage_error(repo):
    (repo / "Dockerfile").write_text(DOCKERFILE)
    (repo / "api").mkdir()
    (repo / "api" / "Dockerfile").write_text("FROM python:3.12 AS base\nFROM base\n")
    line = usage_error(cli(["--docker-target", "runtim", "Dockerfile", "api/Dockerfile"], cwd=repo),
                       "--docker-target runtim")
    assert "no Dockerfile scanned has a stage of that name" in line
    assert "Dockerfile: build, runtime, debug" in line and "api/Dockerfile: base" in line


def test_docker_target_found_in_one_of_several_dockerfiles(repo):
    (repo / "Dockerfile").write_text(DOCKERFILE)
    (repo / "api").mkdir()
    (repo / "api" / "Dockerfile").write_text("FROM python:3.12 AS base\nFROM base\n")
    code, doc = cli_json(["--docker-target", "RUNTIME", "."], cwd=repo)  # Docker stage names are not case-sensitive
    assert code == 1
    f = next(f for f in doc["findings"] if f["path"] == "Dockerfile")
    assert f["blocking"] and "--docker-target stage" in f["reason"]


def test_docker_target_without_a_dockerfile_is_no_error(repo):
    """A pre-commit run passes only the staged files: a commit of .env files alone must not fail."""
    (repo / ".env.production").write_text("API=https://api.stripe.com\n")
    assert cli(["--docker-target", "runtime", ".env.production"], cwd=repo).exit_code == 0


def test_docker_target_on_stdin(repo):
    r = cli(["--docker-target", "prod", "--stdin-name", "Dockerfile", "-"], cwd=repo, input=DOCKERFILE)
    assert "stages: Dockerfile: build, runtime, debug" in usage_error(r, "--docker-target")


# -- output -----------------------------------------------------------------------

def test_output_dash_is_standard_output(repo):
    p = run_process(["--format", "json", "-o", "-", "dist"], cwd=repo)
    assert p.returncode == 1
    assert json.loads(p.stdout)["summary"]["blocking"] == 1
    assert not (repo / "-").exists()


@pytest.mark.parametrize("args,option", [
    (["-o", "reports/twinscan.txt"], "--output reports/twinscan.txt"),
    (["--output", "dist"], "--output dist"),
    (["--report", "sarif=reports/twinscan.sarif"], "--report sarif=reports/twinscan.sarif"),
    (["--report", "sarif"], "--report sarif"),
])
def test_unwritable_output_is_refused_before_the_scan(repo, args, option):
    line = usage_error(cli([*args, "dist"], cwd=repo), option)
    assert "does not exist" in line or "is a folder" in line or "expected FORMAT=FILE" in line


def test_output_into_an_existing_folder(repo):
    (repo / "reports").mkdir()
    r = cli(["-o", "reports/twinscan.txt", "--report", "json=reports/t.json", "dist"], cwd=repo)
    assert r.exit_code == 1
    assert "BLOCKING" in (repo / "reports" / "twinscan.txt").read_text()
    assert json.loads((repo / "reports" / "t.json").read_text())["summary"]["blocking"] == 1


# -- nothing to read -----------------------------------------------------------

def test_an_empty_production_folder_is_incomplete(repo):
    (repo / "build").mkdir()
    code, doc = cli_json(["build"], cwd=repo)
    assert code == 3
    assert [e["path"] for e in doc["errors"]] == ["build"] and "no files scanned" in doc["errors"][0]["message"]
    r = cli(["build"], cwd=repo)
    assert r.exit_code == 3 and "build: no files scanned" in r.stdout


def test_everything_excluded_is_incomplete(repo):
    code, doc = cli_json(["--exclude", "*.js", "dist"], cwd=repo)
    assert code == 3 and "no files scanned" in doc["errors"][0]["message"]


def test_allow_empty_flag_and_config(repo):
    (repo / "build").mkdir()
    assert cli(["--allow-empty", "build"], cwd=repo).exit_code == 0
    (repo / "twinscan.yaml").write_text("allow_empty: true\n")
    assert cli(["build"], cwd=repo).exit_code == 0
    (repo / "twinscan.yaml").write_text("allow_empty: yes please\n")
    r = cli(["build"], cwd=repo)
    assert r.exit_code == 2 and "`allow_empty` must be true or false" in r.stderr


def test_an_empty_folder_outside_production_is_fine(repo):
    (repo / "build").mkdir()
    assert cli(["--environment", "staging", "build"], cwd=repo).exit_code == 0


def test_one_empty_folder_among_others_is_still_incomplete(repo):
    """`twinscan dist/ public/` where the build never wrote public/: not a clean pass."""
    (repo / "public").mkdir()
    (repo / "dist" / "app.js").write_text('const api = "https://api.stripe.com";\n')
    code, doc = cli_json(["dist", "public"], cwd=repo)
    assert code == 3 and [e["path"] for e in doc["errors"]] == ["public"]


def test_an_empty_artifacts_folder_is_incomplete(repo):
    """The twinscan-artifacts hook: an empty dist/ (build cleaned, not rebuilt) does not pass."""
    (repo / "dist" / "app.js").unlink()
    (repo / "twinscan.yaml").write_text("artifacts: [dist/]\n")
    r = cli(["--artifacts"], cwd=repo)
    assert r.exit_code == 3 and "no files scanned" in r.stdout


# -- Ctrl-C --------------------------------------------------------------------

def _interrupt(args, cwd, wait_for, stdin=subprocess.DEVNULL) -> tuple[subprocess.Popen, bytes]:
    """Run twinscan in its own process group and press Ctrl-C (SIGINT to the group, as a terminal does)."""
    p = subprocess.Popen([sys.executable, "-m", "twinscan", *args], cwd=cwd, stdin=stdin,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    wait_for(p)
    os.killpg(p.pid, signal.SIGINT)
    try:
        _, err = p.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        raise
    return p, err


def _gone(pgid: int) -> bool:
    for _ in range(100):
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.1)
    return False


def _in_group(pgid: int) -> int:
    """How many processes are in the process group (Linux /proc; no procps needed)."""
    n = 0
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                n += os.getpgid(int(entry)) == pgid
            except OSError:
                pass
    return n


def test_ctrl_c_while_reading_stdin_exits_130(repo):
    def started(p):
        """Wait until twinscan blocks reading the pipe (imports done), not a fixed time."""
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            assert p.poll() is None
            try:
                with open(f"/proc/{p.pid}/wchan") as f:
                    if "pipe" in f.read():
                        return
            except OSError:
                pass
            time.sleep(0.1)

    p, err = _interrupt(["-"], repo, started, stdin=subprocess.PIPE)
    assert p.returncode == 130
    assert err.decode().strip() == "twinscan: interrupted"


def test_ctrl_c_while_the_worker_pool_scans_exits_130(tmp_path):
    line = 'var a = "https://api.example.com/v1/items"; function f(x) { return x + 1 }\n'
    (tmp_path / "dist").mkdir()
    for i in range(16):  # 64 MB in 16 files: scanned by the worker pool, seconds of work
        (tmp_path / "dist" / f"chunk-{i}.js").write_text(line * (4_000_000 // len(line)))

    def pool_running(p):
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:  # wait until worker processes exist
            if _in_group(p.pid) >= 3:  # twinscan and two workers
                time.sleep(0.5)
                return
            assert p.poll() is None, "finished before the pool started"
            time.sleep(0.1)
        raise AssertionError("the worker pool never started")

    p, err = _interrupt(["-j", "2", "--engine", "re", "dist"], tmp_path, pool_running)
    assert p.returncode == 130
    assert err.decode().strip() == "twinscan: interrupted"  # no traceback from the parent or a worker
    assert _gone(p.pid), "worker processes outlived the interrupted run"


def test_readme_documents_every_scan_option():
    from twinscan.commands.scan import scan

    from .conftest import ROOT

    readme = "\n".join(p.read_text(encoding="utf-8") for p in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))])
    import re

    missing = [o for p in scan.params for o in p.opts if o.startswith("--") and not re.search(re.escape(o) + r"(?![\w-])", readme)]
    assert missing == []
    assert "| 130 | interrupted" in readme and "130  interrupted" in cli(["scan", "--help"]).stdout


def test_usage_errors_escape_control_characters(tmp_path):
    """A config path or value holding a newline and `::warning::` cannot become a workflow
    command on stderr: the message stays one line."""
    p = run_process(["--config", "x\n::warning::forged", "."], cwd=tmp_path)
    assert p.returncode == 2
    err = p.stderr.decode()
    assert err.startswith("twinscan: error: x\\n::warning::forged") and err.count("\n") == 1, err
