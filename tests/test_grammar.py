"""The command grammar: `twinscan PATH…` scans, `twinscan COMMAND …` runs a command, and a word
that is both never silently picks one (a CI gate must not pass without scanning)."""
from __future__ import annotations

import json

import pytest

from twinscan.cli import main
from twinscan.report import FORMATS

from .conftest import cli, run_process

LEAK = 'export const api = "http://localhost:4111/v1/charges";\n'
NAMES = ["baseline", "rules", "env", "services", "guard"]  # every command but `scan`

#: How to run each command unambiguously in a folder that has a directory of its name, and
#: what its output shows when it (and not a scan) ran.
COMMAND_RUNS = {
    "baseline": (["baseline", "-q", "--"], lambda r, d: (d / ".twinscan-baseline.json").is_file()),
    "rules": (["rules", "--"], lambda r, d: "How to fix" in r.stdout and "loopback-url" in r.stdout),
    "env": (["env", "--prefix", "TWINSCAN_GRAMMAR_TEST_", "--"], lambda r, d: "0 blocking" in r.stdout),
    "services": (["services", "--format", "json", "--"], lambda r, d: "stripe" in json.loads(r.stdout)["services"]),
    "guard": (["guard", "--emit", "json", "--"], lambda r, d: json.loads(r.stdout)["expressions"]),
}


def test_every_command_is_listed():
    assert sorted(main.commands) == sorted(["scan", *NAMES])


@pytest.fixture
def leak_in(tmp_path):
    """A repository whose folder NAME holds a twin URL in built JavaScript."""
    def make(name: str):
        (tmp_path / name).mkdir()
        (tmp_path / name / "app.js").write_text(LEAK)
        return tmp_path
    return make


@pytest.mark.parametrize("name", NAMES)
def test_a_command_name_that_is_also_a_folder_is_a_usage_error(leak_in, name):
    d = leak_in(name)
    runs = {(name,): (f"twinscan scan {name}", f"twinscan {name} --"),
            ("-q", name): (f"twinscan scan -q {name}", f"twinscan {name} -q --"),
            ("--format", "json", name): (f"twinscan scan --format json {name}", f"twinscan {name} --format json --"),
            (name, "-o", "my report.txt"): (f"twinscan scan {name} -o 'my report.txt'",
                                            f"twinscan {name} -o 'my report.txt' --")}
    for args, (as_path, as_command) in runs.items():
        r = cli(args, cwd=d)
        assert r.exit_code == 2, (args, r.output)
        assert f"`{name}` is both the command `twinscan {name}` and the folder ./{name}; say which one you mean" in r.stderr
        assert f"scan the folder: {as_path}   (or: " in r.stderr
        assert f"run the command: {as_command}   (a `--` after the command's arguments)" in r.stderr
        assert r.stdout == ""  # nothing ran: no table, no report


@pytest.mark.parametrize("name", NAMES)
def test_each_reading_can_be_picked(leak_in, name):
    d = leak_in(name)
    for args in ([f"./{name}"], ["scan", name], ["-q", "scan", name], ["--", name], [f"{name}/"]):
        r = cli(args, cwd=d)
        assert r.exit_code == 1 and "localhost:4111" in r.stdout, (args, r.output)
    r = cli(["--exclude", name, "--allow-empty", "."], cwd=d)  # an option's value is not the first word
    assert r.exit_code == 0, r.output
    args, ran = COMMAND_RUNS[name]
    r = cli(args, cwd=d)
    assert r.exit_code == 0 and ran(r, d), (args, r.output)


def test_a_file_named_like_a_command_is_ambiguous_too(tmp_path):
    (tmp_path / "env").write_text("STRIPE_API_BASE=http://localhost:4111\n")
    r = cli(["env"], cwd=tmp_path)
    assert r.exit_code == 2 and "the file ./env" in r.stderr
    assert cli(["./env"], cwd=tmp_path).exit_code == 1  # scan the file
    r = cli(["env", "--", "env"], cwd=tmp_path)  # the env command, checking the file
    assert r.exit_code == 1 and "STRIPE_API_BASE" in r.stdout


def test_scan_as_first_word_is_always_the_command(tmp_path):
    (tmp_path / ".env.production").write_text("STRIPE_API_BASE=http://localhost:4111\n")
    # no folder named scan: `-q` before the word does not turn it into a path
    for args in (["scan"], ["-q", "scan"], ["scan", "-q"], ["--format", "json", "scan"]):
        r = cli(args, cwd=tmp_path)
        assert r.exit_code == 1 and ".env.production" in r.stdout, (args, r.output)
    # a folder named scan: `twinscan scan` scans ., which holds it; `twinscan scan scan` only the folder
    (tmp_path / "scan").mkdir()
    (tmp_path / "scan" / "app.js").write_text(LEAK)
    r = cli(["--format", "json", "scan"], cwd=tmp_path)
    assert r.exit_code == 1
    assert sorted(f["path"] for f in json.loads(r.stdout)["findings"]) == [".env.production", "scan/app.js"]
    r = cli(["--format", "json", "scan", "scan"], cwd=tmp_path)
    assert [f["path"] for f in json.loads(r.stdout)["findings"]] == ["scan/app.js"]


def test_options_before_a_command_go_to_the_command(tmp_path):
    (tmp_path / "conf").mkdir()
    (tmp_path / "conf" / "twinscan.yaml").write_text("twin_urls: [twins.*.acme.io]\n")
    r = cli(["--format", "json", "rules"], cwd=tmp_path)  # `json` is --format's value, `rules` the word
    assert r.exit_code == 0 and next(x for x in json.loads(r.stdout) if x["id"] == "org-twin-url")["patterns"] == []
    r = cli(["--config", "conf/twinscan.yaml", "--format=json", "rules"], cwd=tmp_path)
    assert next(x for x in json.loads(r.stdout) if x["id"] == "org-twin-url")["patterns"]
    r = cli(["-j", "2", "--engine", "re", "-qv", "-o", "out.txt", "scan", "conf"], cwd=tmp_path)
    assert r.exit_code == 0 and (tmp_path / "out.txt").is_file()
    r = cli(["-q", "services"], cwd=tmp_path)  # an option `services` does not take is the command's usage error
    assert r.exit_code == 2 and "-q" in r.output


def test_help_lists_the_commands_and_exit_codes(tmp_path):
    (tmp_path / "services").mkdir()
    for args in (["--help"], ["-h"], ["-q", "--help"]):
        r = cli(args, cwd=tmp_path)
        assert r.exit_code == 0
        for name in ["scan", *NAMES]:
            assert f"\n  {name} " in r.stdout, (name, r.stdout)
        for code in ("0  clean", "1  at least one blocking", "2  usage", "3  the scan was incomplete"):
            assert code in r.stdout
        assert "twinscan [OPTIONS] [PATH]..." in r.stdout and "twinscan COMMAND [ARGS]..." in r.stdout
    r = cli(["services", "--help"], cwd=tmp_path)  # help is never a gate: no ambiguity error
    assert r.exit_code == 0 and "Every configured service" in r.stdout
    assert "--engine" in cli(["scan", "--help"], cwd=tmp_path).stdout


def test_a_real_process_refuses_the_ambiguous_word(leak_in):
    d = leak_in("services")
    p = run_process(["services"], cwd=d)
    err = p.stderr.decode()
    assert p.returncode == 2 and p.stdout == b"" and "Traceback" not in err
    assert "`services` is both the command `twinscan services` and the folder ./services" in err
    assert "twinscan scan services" in err and "twinscan ./services" in err and "twinscan services --" in err
    p = run_process(["./services"], cwd=d)
    assert p.returncode == 1 and b"localhost:4111" in p.stdout


def test_format_lists_come_from_the_report_registry(tmp_path):
    (tmp_path / "a.js").write_text(LEAK)
    help_text = cli(["scan", "--help"], cwd=tmp_path).stdout
    r = cli(["--report", "yaml=out.yaml", "a.js"], cwd=tmp_path)
    env = cli(["env", "--format", "yaml"], cwd=tmp_path)
    assert r.exit_code == 2 and env.exit_code == 2
    for name in FORMATS:
        assert name in help_text and name in r.stderr and name in env.stderr
        assert cli(["--format", name, "-o", tmp_path / f"out.{name}", "a.js"], cwd=tmp_path).exit_code == 1
