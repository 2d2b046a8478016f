"""The command line contract: exit codes, formats, config, stdin, output files."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from twinscan import __version__

from .conftest import ROOT, cli, cli_json, run_process

SCHEMA = json.loads((ROOT / "twinscan" / "report" / "schema-v1.json").read_text())
VITE8 = ROOT / "fixtures" / "builds" / "vite8-twin-local"


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A small app repository: a prod build, env files, a git marker."""
    (tmp_path / ".git").mkdir()
    dist = tmp_path / "dist" / "assets"
    dist.mkdir(parents=True)
    (dist / "index-BdtEMBbM.js").write_text('const d=`https://api.stripe.com`;fetch(`${d}/v1`)')
    (tmp_path / ".env.development").write_text("VITE_STRIPE_BASE_URL=http://localhost:4111\n")
    (tmp_path / ".env.production").write_text("VITE_STRIPE_BASE_URL=https://api.stripe.com\n")
    return tmp_path


def test_exit_0_when_clean(repo):
    r = cli([repo])
    assert r.exit_code == 0, r.output
    assert "0 blocking · 1 not blocking · 3 files" in r.output  # .env.development is reported only


def test_exit_1_on_a_blocking_finding(repo):
    (repo / ".env.production").write_text("VITE_STRIPE_BASE_URL=http://localhost:4111\n")
    r = cli([repo])
    assert r.exit_code == 1
    assert "BLOCKING" in r.output and ".env.production" in r.output


def test_exit_2_on_usage_errors(repo):
    assert cli(["--format", "yaml", repo]).exit_code == 2
    r = cli([repo / "missing"])
    assert r.exit_code == 2 and "no such file or directory" in r.output
    r = cli(["--twin-url", "ftp://x.com", repo])
    assert r.exit_code == 2 and "scheme must be one of" in r.output


def test_exit_2_on_config_errors_naming_key_and_file(repo):
    (repo / "twinscan.yaml").write_text("twin_urls: [twins.*.yourco.com]\nexclude_paths: [x]\n")
    r = cli([repo / "dist"])
    assert r.exit_code == 2
    assert "unknown key `exclude_paths`" in r.output and str(repo / "twinscan.yaml") in r.output
    (repo / "twinscan.yaml").write_text("respect_gitignore: sometimes\n")
    r = cli([repo])
    assert r.exit_code == 2 and "`respect_gitignore` must be true or false" in r.output
    (repo / "twinscan.yaml").write_text("twin_urls: [\n")
    r = cli([repo])
    assert r.exit_code == 2 and "invalid YAML" in r.output


def test_exit_3_when_a_production_file_cannot_be_read(repo):
    (repo / "dist" / "app.js.gz").write_bytes(b"\x1f\x8b\x08\x00" + b"\x00" * 20)  # truncated gzip
    code, doc = cli_json([repo])
    assert code == 3
    assert doc["summary"]["incomplete"] is True
    assert doc["errors"][0]["path"].endswith("app.js.gz") and doc["errors"][0]["production"]


def test_blocking_wins_over_incomplete(repo):
    (repo / "dist" / "app.js.gz").write_bytes(b"\x1f\x8b\x08\x00" + b"\x00" * 20)
    (repo / ".env").write_text("API=http://localhost:4111\n")
    assert cli([repo]).exit_code == 1


def test_unreadable_file_outside_production_is_a_warning(repo):
    (repo / ".env.staging.gz").write_bytes(b"\x1f\x8b\x08\x00")
    code, doc = cli_json([repo])
    assert code == 0 and doc["errors"][0]["production"] is False


def test_config_is_discovered_upward_and_in_pyproject(repo):
    (repo / "dist" / "assets" / "x.js").write_text('a="https://twins.staging.yourco.com/stripe"')
    assert cli([repo / "dist"]).exit_code == 0
    (repo / "pyproject.toml").write_text('[project]\nname="x"\n[tool.twinscan]\ntwin_urls = ["twins.*.yourco.com"]\n')
    code, doc = cli_json([repo / "dist"])
    assert code == 1 and doc["summary"]["config"] == str(repo / "pyproject.toml")
    (repo / ".twinscan.yaml").write_text("twin_urls: []\n")  # nearer file of higher precedence
    assert cli([repo / "dist"]).exit_code == 0


def test_explicit_config_and_missing_config(repo, tmp_path):
    r = cli(["--config", tmp_path / "nope.yaml", repo])
    assert r.exit_code == 2 and "cannot read config" in r.output


def test_environment_flag_makes_the_run_non_production(repo):
    (repo / ".env.production").write_text("VITE_STRIPE_BASE_URL=http://localhost:4111\n")
    code, doc = cli_json(["--environment", "staging", repo])
    assert code == 0
    assert {f["environment"] for f in doc["findings"]} == {"staging"}
    assert all("--environment staging" in f["reason"] for f in doc["findings"])


def test_relative_paths_stay_relative(repo):
    (repo / ".env").write_text("A=http://localhost:4111\n")
    code, doc = cli_json(["dist", ".env"], cwd=repo)
    assert [f["path"] for f in doc["findings"]] == [".env"]
    code, doc = cli_json([repo.name], cwd=repo.parent)
    assert {f["path"] for f in doc["findings"]} == {f"{repo.name}/.env", f"{repo.name}/.env.development"}


def test_json_is_a_valid_versioned_document(repo):
    (repo / ".env").write_text("A=http://u:p@localhost:4111/x\n")
    code, doc = cli_json([repo, VITE8])
    jsonschema.validate(doc, SCHEMA)
    assert doc["version"] == 1 and doc["tool"]["version"] == __version__
    assert doc["summary"]["exit_code"] == code == 1
    assert doc["summary"]["blocking"] == sum(f["blocking"] for f in doc["findings"])
    f = next(f for f in doc["findings"] if f["path"].endswith("/.env"))
    assert (f["rule"], f["line"], f["column"], f["key"], f["url"]) == ("loopback-url", 1, 3, "A", "http://***@localhost:4111/x")


def test_fingerprints_survive_a_rebuild_with_new_hashes(tmp_path):
    a = tmp_path / "a" / "assets"
    b = tmp_path / "b" / "assets"
    a.mkdir(parents=True)
    b.mkdir(parents=True)
    (a / "index-BdtEMBbM.js").write_text('x;const d="http://localhost:4111"')
    (b / "index-Zq81kPpa.js").write_text('y;y;const d="http://localhost:4111"')
    _, da = cli_json(["assets"], cwd=tmp_path / "a")
    _, db = cli_json(["assets"], cwd=tmp_path / "b")
    assert da["findings"][0]["fingerprint"] == db["findings"][0]["fingerprint"]


def test_fingerprints_are_sha256_whichever_implementation_computes_them(tmp_path):
    """decide.fingerprint takes CPython's built-in SHA-256 (hashlib loads OpenSSL, ~3 ms of a cold
    run): the same digest as hashlib's, so baselines written before stay valid."""
    import hashlib

    from twinscan.decide import fingerprint, logical_path

    (tmp_path / ".env").write_text("A=http://localhost:4111\n")
    _, doc = cli_json([".env"], cwd=tmp_path)
    f = doc["findings"][0]
    data = "\0".join((f["rule"], f["url"], logical_path(f["path"]))).encode()
    assert f["fingerprint"] == fingerprint(f["rule"], f["url"], f["path"]) == hashlib.sha256(data).hexdigest()[:32]


def test_the_program_leaves_start_up_to_the_collector_and_freezes_at_exit(tmp_path):
    """`twinscan` as a program (twinscan/program.py) raises the collector's first threshold until
    the scan starts, then restores it, and freezes what is left as it exits; its exit code and
    output stay. In-process callers (click's runner) leave the collector alone."""
    import gc

    (tmp_path / ".env").write_text("A=http://localhost:4111\n")
    before = gc.get_threshold(), gc.get_freeze_count()
    assert cli([".env", "-q"], cwd=tmp_path).exit_code == 1 and (gc.get_threshold(), gc.get_freeze_count()) == before
    probe = ("import atexit, gc, sys\nfrom twinscan import collector, program\n"
             "sys.argv = ['twinscan', '-q', '--format', 'json', '.env']\nseen = []\n"
             "def scanning(real=collector.scanning):\n    seen.append(gc.get_threshold()[0])\n    real()\n"
             "    seen.append(gc.get_threshold()[0])\n"
             "collector.scanning = scanning\n"
             "atexit.register(lambda: print(seen, gc.get_threshold()[0], gc.get_freeze_count() > 0, file=sys.stderr))\n"
             "program.main()\n")
    r = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    default = gc.get_threshold()[0]
    assert r.returncode == 1 and r.stderr.strip().endswith(f"[200000, {default}] {default} True"), r.stderr
    assert json.loads(r.stdout)["summary"]["blocking"] == 1


#: Runs `program.main()` for argv[1:], with an atexit handler that says it ran (on stderr) and,
#: when the first argument is `--thread`, a thread still running as the command ends, which
#: writes its file only if the process waits for it.
_PROGRAM = """\
import atexit, sys, threading, time
from pathlib import Path
from twinscan import program
atexit.register(lambda: print("atexit handler ran", file=sys.stderr))
if sys.argv[1] == "--thread":
    def late(path=Path(sys.argv[2])):
        time.sleep(0.5)
        path.write_text("waited")
    threading.Thread(target=late).start()
    del sys.argv[1:3]
program.main()
"""


@pytest.mark.parametrize("content, status", [("A=https://api.stripe.com\n", 0), ("A=http://localhost:4111\n", 1)])
def test_the_program_ends_with_the_commands_status_its_output_whole_and_atexit_run(tmp_path, content, status):
    """The program skips the interpreter's teardown (os._exit) once the command is done: the
    status is the command's, a report larger than a pipe's buffer arrives whole, and the
    `atexit` handlers (temporary folders' cleanups among them) still run."""
    for i in range(400):
        (tmp_path / f".env.{i}").write_text(content)
    r = subprocess.run([sys.executable, "-c", _PROGRAM, "--format", "json", "--environment", "production", "."],
                       cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert r.returncode == status, r.stderr
    doc = json.loads(r.stdout)
    assert doc["summary"]["files"] == 400 and doc["summary"]["blocking"] == (400 if status else 0)
    assert len(r.stdout) > 1 << 16 or not status  # more than a pipe holds at once
    assert r.stderr.count("atexit handler ran") == 1


def test_the_program_exits_normally_while_a_thread_runs(tmp_path):
    """A thread still running when the command ends: the normal exit, which waits for it."""
    (tmp_path / ".env").write_text("A=http://localhost:4111\n")
    mark = tmp_path / "thread-finished"
    r = subprocess.run([sys.executable, "-c", _PROGRAM, "--thread", str(mark), "-q", ".env"],
                       cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert r.returncode == 1 and mark.read_text() == "waited"
    assert r.stderr.count("atexit handler ran") == 1


def test_the_program_exit_for_other_statuses(tmp_path):
    """Usage errors keep exit 2 and their message; `--version` exits 0 with its line."""
    r = subprocess.run([sys.executable, "-c", _PROGRAM, "--no-such-option"], cwd=tmp_path,
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and "--no-such-option" in r.stderr
    r = subprocess.run([sys.executable, "-c", _PROGRAM, "--version"], cwd=tmp_path,
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and r.stdout.startswith("twinscan ")


def test_output_file_gets_the_report_and_stderr_the_summary(repo, tmp_path):
    (repo / ".env").write_text("A=http://localhost:4111\n")
    out = tmp_path / "report.json"
    p = run_process(["--format", "json", "--output", out, repo])
    assert p.returncode == 1 and p.stdout == b""
    assert json.loads(out.read_text())["summary"]["blocking"] == 1
    assert b"1 blocking" in p.stderr


@pytest.mark.slow
def test_stdin_with_a_name_that_decides_its_environment():
    p = run_process(["--format", "json", "--stdin-name", ".env.test", "-"], input=b"A=http://localhost:4111\n")
    doc = json.loads(p.stdout)
    assert p.returncode == 0 and doc["findings"][0]["environment"] == "test"
    assert doc["findings"][0]["path"] == ".env.test"
    p = run_process(["-"], input=b"A=http://localhost:4111\n")
    assert p.returncode == 1 and b"<stdin>" in p.stdout


def test_quiet_prints_nothing_when_clean_and_only_blocking_otherwise(repo):
    assert cli(["-q", repo]).output == ""
    (repo / ".env").write_text("A=http://localhost:4111\n")
    out = cli(["-q", repo]).output
    assert "/.env:1:" in out and ".env.development" not in out


def test_verbose_says_what_was_skipped_and_why(repo):
    (repo / "dist" / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)
    out = cli(["-v", repo]).output
    assert "logo.png: binary: PNG image" in out
    assert "engine:" in out


def test_no_color_and_non_tty_output_has_no_escapes(repo):
    (repo / ".env").write_text("A=http://localhost:4111\n")
    assert "\x1b[" not in cli([repo]).output
    assert "\x1b[" not in cli(["--no-color", repo]).output


def test_version_and_help_document_exit_codes():
    p = run_process(["--version"])
    assert p.stdout.decode().startswith(f"twinscan {__version__} (engine: ")
    out = run_process(["--help"]).stdout.decode()
    for code in ("0  clean", "1  at least one blocking", "2  usage", "3  the scan was incomplete"):
        assert code in out


def test_rules_command_documents_every_rule(tmp_path):
    out = cli(["rules"], cwd=tmp_path).output
    ids = ("wondertwin-hosted-url", "loopback-url", "unspecified-address-url", "docker-host-url", "org-twin-url",
           "service-host-url", "twin-service-url")
    for rid in ids:
        assert rid in out
    assert out.count("Why is this bad?") == len(ids) and out.count("How to fix") == len(ids)
    doc = json.loads(cli(["rules", "--format", "json", "--twin-url", "twins.*.yourco.com"], cwd=tmp_path).output)
    assert next(r for r in doc if r["id"] == "org-twin-url")["patterns"]


def test_rules_export_is_usable_by_ripgrep(tmp_path):
    import shutil
    import subprocess

    rg = shutil.which("rg")
    if not rg:
        pytest.skip("ripgrep is not installed (the benchmark's comparison needs it; .ci/run installs it)")
    pats = tmp_path / "pats.txt"
    pats.write_text(cli(["rules", "--export", "rg"], cwd=tmp_path).output)
    target = VITE8 / "index.html"
    p = subprocess.run([rg, "-i", "-o", "-f", pats, target], capture_output=True, text=True)
    assert p.returncode == 0 and p.stdout.startswith("http://localhost:")  # the candidate, up to the host boundary


def test_no_traceback_on_internal_error(repo, monkeypatch):

    def boom(*a, **k):
        raise RuntimeError("simulated bug")

    (repo / ".env").write_text("A=http://localhost:4111\n")
    monkeypatch.setattr("twinscan.urls.parse_at", boom)
    code, doc = cli_json([repo])
    assert code == 3
    assert "internal error while scanning (RuntimeError: simulated bug)" in doc["errors"][0]["message"]


def test_access_times_are_left_untouched(repo):
    """O_NOATIME: reading for a scan does not count as an access where the OS allows it."""
    import gzip

    (repo / "dist" / "app.js.gz").write_bytes(gzip.compress(b'x="http://localhost:4111"'))
    files = [p for p in repo.rglob("*") if p.is_file()]
    for p in files:
        os.utime(p, ns=(1_000_000_000, p.stat().st_mtime_ns))  # an old atime
    cli([repo])
    assert {p: p.stat().st_atime_ns for p in files} == {p: 1_000_000_000 for p in files}


def test_scanned_tree_is_left_untouched(repo):
    (repo / ".env").write_text("A=http://localhost:4111\n")
    before = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in repo.rglob("*") if p.is_file()}
    names = sorted(os.listdir(repo))
    cli([repo])
    after = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in repo.rglob("*") if p.is_file()}
    assert before == after and sorted(os.listdir(repo)) == names
