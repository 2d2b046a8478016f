"""action.yml, run as a GitHub runner runs a composite action.

Each `run:` step is written to a file and run with `bash --noprofile --norc -eo pipefail FILE`
(the runner's command for `shell: bash`), with the step's `env:` evaluated from the inputs
(`with:` over the defaults) and earlier steps' outputs, and GITHUB_OUTPUT, GITHUB_STEP_SUMMARY,
RUNNER_TEMP and GITHUB_ACTION_PATH (this checkout) set. Composite actions get no INPUT_*
variables: only what `env:` maps reaches the shell.

`run_action` does not run the Install step (python -m venv, the hashed lock, this checkout):
it supplies its one output, `bin`, as the directory of the interpreter running the tests, whose
environment has this checkout installed. Everything after it is the action's own code. The
Install step runs on its own in `test_install_step_installs_the_locked_set` (it needs PyPI).
actionlint lints the README's workflow that uses the action, also as `uses: ./` so it checks
that workflow against action.yml's inputs and outputs, and zizmor audits action.yml and that
workflow (offline, default and auditor personas): both must report nothing. A SHA pin of the
action must pin what it runs: no step fetches anything but the hashed lock.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent
ACTION = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
BUILDS = ROOT / "fixtures" / "builds"
BIN = os.path.dirname(sys.executable)
EXPR = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
ANNOTATION = re.compile(r"^::(error|warning|notice)(?: ([^:]*))?::(.*)$")


def _evaluate(text: str, contexts: dict) -> str:
    """The runner's `${{ a.b.c }}` substitution for plain property paths (all action.yml uses);
    an unknown context, input or step, or any other expression form, fails the test, so a new
    expression cannot slip through untested. As on GitHub, a missing output is null: ''."""
    def one(m: re.Match) -> str:
        parts = m.group(1).split(".")
        if not all(re.fullmatch(r"[A-Za-z_][\w-]*", p) for p in parts) or parts[0] not in contexts:
            raise AssertionError(f"action.yml: unsupported expression {m.group(0)!r}")
        if parts[0] == "inputs" and parts[1] not in contexts["inputs"]:
            raise AssertionError(f"action.yml: unknown input in {m.group(0)!r}")
        if parts[0] == "steps" and parts[1] not in contexts["steps"]:
            raise AssertionError(f"action.yml: step {parts[1]!r} has not run before {m.group(0)!r}")
        value = contexts
        for part in parts:
            value = value.get(part) if isinstance(value, dict) else None
        return "" if value is None else str(value)

    return EXPR.sub(one, text)


def _parse_output_file(text: str) -> dict:
    """GITHUB_OUTPUT: `name=value` lines and `name<<DELIM` … `DELIM` blocks."""
    out, lines = {}, iter(text.splitlines())
    for line in lines:
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, delim = line.split("<<", 1)
            out[name] = "\n".join(iter(lambda: next(lines), delim))
        elif "=" in line:
            name, value = line.split("=", 1)
            out[name] = value
        elif line.strip():
            raise AssertionError(f"malformed GITHUB_OUTPUT line: {line!r}")
    return out


class Run:
    def __init__(self, steps: dict, outputs: dict, stdout: str, stderr: str, summary: str, failed: str | None,
                 code: int):
        self.steps, self.outputs, self.stdout, self.stderr = steps, outputs, stdout, stderr
        self.summary, self.failed, self.code = summary, failed, code

    @property
    def annotations(self) -> list[tuple[str, dict, str]]:
        found = []
        for line in self.stdout.splitlines():
            m = ANNOTATION.match(line)
            if m:
                props = dict(p.split("=", 1) for p in m.group(2).split(",")) if m.group(2) else {}
                found.append((m.group(1), props, m.group(3)))
        return found


def run_action(workspace: Path, tmp_path: Path, **inputs: str) -> Run:
    """Run the composite's steps in `workspace` with `with:` inputs (names as in action.yml)."""
    unknown = set(inputs) - set(ACTION["inputs"])
    assert not unknown, f"not an input of action.yml: {unknown}"
    values = {name: spec.get("default", "") for name, spec in ACTION["inputs"].items()}
    values.update(inputs)
    temp = tmp_path / "runner-temp"
    temp.mkdir(parents=True, exist_ok=True)
    summary = tmp_path / "step_summary.md"
    summary.write_text("")
    base = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "RUNNER_", "INPUT_", "TWINSCAN_"))}
    base.update(CI="true", GITHUB_ACTIONS="true", RUNNER_TEMP=str(temp), GITHUB_WORKSPACE=str(workspace),
                GITHUB_ACTION_PATH=str(ROOT), GITHUB_STEP_SUMMARY=str(summary), NO_COLOR="1")
    steps: dict = {"install": {"outputs": {"bin": BIN}, "outcome": "success"}}  # see the module docstring
    stdout = stderr = ""
    failed, code = None, 0
    for i, step in enumerate(ACTION["runs"]["steps"]):
        sid = step.get("id", f"step{i}")
        if sid == "install":
            continue
        if failed:  # a failed step skips the rest (no step uses `if:`)
            assert "if" not in step
            continue
        contexts = {"inputs": values, "steps": steps, "github": {"action_path": str(ROOT)}}
        env = dict(base)
        env.update({k: _evaluate(str(v), contexts) for k, v in (step.get("env") or {}).items()})
        out_file = tmp_path / f"output-{sid}"
        out_file.write_text("")
        env["GITHUB_OUTPUT"] = str(out_file)
        script = tmp_path / f"{sid}.sh"
        script.write_text(step["run"])
        assert step["shell"] == "bash"
        p = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)], cwd=workspace,
                           env=env, capture_output=True, text=True, timeout=120)
        stdout += p.stdout
        stderr += p.stderr
        steps[sid] = {"outputs": _parse_output_file(out_file.read_text()),
                      "outcome": "success" if p.returncode == 0 else "failure"}
        if p.returncode:
            failed, code = sid, p.returncode
    contexts = {"steps": steps}
    outputs = {name: _evaluate(spec["value"], contexts) for name, spec in ACTION["outputs"].items()}
    return Run(steps, outputs, stdout, stderr, summary.read_text(), failed, code)


def _workspace(tmp_path: Path, layout: dict[str, str]) -> Path:
    """A checked-out repository: {relative dir: fixture build to copy there}."""
    ws = tmp_path / "workspace"
    ws.mkdir()
    for dest, build in layout.items():
        shutil.copytree(BUILDS / build, ws / dest)
    return ws


def _table_rows(summary: str) -> list[str]:
    return [line for line in summary.splitlines() if line.startswith("| ") and not line.startswith("| status ")]


# --- static properties -----------------------------------------------------------------------

def test_action_is_composite_bash_without_other_actions():
    steps = ACTION["runs"]["steps"]
    assert ACTION["runs"]["using"] == "composite"
    assert all("uses" not in s for s in steps), "the action must not use other actions"
    assert all(s.get("shell") == "bash" and "run" in s for s in steps)


def test_inputs_reach_the_shell_only_through_env():
    for step in ACTION["runs"]["steps"]:
        assert "${{" not in step["run"], f"step {step.get('name')}: an expression inside run: is an injection"
    mapped = {m.group(1) for s in ACTION["runs"]["steps"] for v in (s.get("env") or {}).values()
              for m in re.finditer(r"\$\{\{\s*inputs\.([\w-]+)\s*\}\}", str(v))}
    assert mapped == set(ACTION["inputs"]), "every input is mapped through env:, and nothing else is"
    assert set(ACTION["inputs"]) == {"paths", "config", "environment", "twin-urls", "format", "fail-on", "sarif-file"}
    assert set(ACTION["outputs"]) == {"findings", "blocking", "sarif-file", "exit-code"}


def _install_step() -> dict:
    return next(s for s in ACTION["runs"]["steps"] if s.get("id") == "install")


def test_install_step_installs_the_lock_then_this_checkout_by_path():
    """The version installed is the action's own commit: pip installs $GITHUB_ACTION_PATH,
    never a name from a registry (where `twinscan` could be someone else's package), without
    resolving its dependencies: those come from the action's hashed lock, all of them hashed."""
    run = _install_step()["run"]
    pip_lines = [line.strip() for line in run.splitlines() if '"${pip[@]}"' in line]
    assert "pip install" in run and 'pip=("$bin/python" -m pip install' in run
    assert pip_lines == ['"${pip[@]}" --require-hashes -r "$GITHUB_ACTION_PATH/requirements/lock.txt"',
                         '"${pip[@]}" --no-deps --no-build-isolation "$GITHUB_ACTION_PATH"']


FETCHERS = re.compile(r"\b(?:curl|wget|git|npx|npm|pipx|uv|uvx|docker|podman|Invoke-WebRequest|iwr)\b"
                      r"|\bpip\s+(?:download|wheel)\b|https?://")


def test_pinning_the_action_by_sha_pins_everything_it_runs():
    """What a SHA pin of the action cannot pin is what its steps fetch: here only the hashed
    lock (pip refuses an unhashed or unpinned line with --require-hashes) and the action's own
    checkout, built with the lock's setuptools (no build isolation: no other fetch)."""
    scripts = "\n".join(s["run"] for s in ACTION["runs"]["steps"])
    assert not [m.group(0) for m in FETCHERS.finditer(scripts)], "a step fetches something the lock does not pin"
    assert scripts.count("-m pip install") == 1 and scripts.count('"${pip[@]}"') == 2  # the two lines above
    requirements = [line for line in (ROOT / "requirements" / "lock.txt").read_text().splitlines()
                    if line and not line[0].isspace() and not line.startswith("#")]
    assert requirements and all(re.match(r"[A-Za-z0-9][\w.-]*==[\w.]+ ", line) for line in requirements), \
        "every line of the lock is a name==version (no URL, VCS, -e or index option)"
    text = (ROOT / "requirements" / "lock.txt").read_text()
    entries = [e for e in re.split(r"\n(?=\S)", text) if not e.startswith("#")]  # a requirement, its hashes
    assert len(entries) == len(requirements) and all("--hash=sha256:" in e for e in entries)
    backend = tomllib.loads((ROOT / "pyproject.toml").read_text())["build-system"]["requires"]
    assert [re.match(r"[\w.-]+", b).group(0) for b in backend] == ["setuptools"]
    assert any(line.startswith("setuptools==") for line in requirements), "--no-build-isolation needs it locked"


@pytest.mark.slow
def test_zizmor_auditor_finds_nothing_unpinned(tmp_path):
    """zizmor's most thorough persona on action.yml and the README workflow; and it does check:
    a tag instead of a SHA is `unpinned-uses`."""
    wf = tmp_path / ".github" / "workflows" / "twinscan.yml"
    wf.parent.mkdir(parents=True)
    shutil.copy(ROOT / "action.yml", tmp_path / "action.yml")

    def audit(*files: Path) -> list:
        p = subprocess.run([_tool("zizmor"), "--offline", "--no-progress", "--persona", "auditor", "--format", "json",
                            *map(str, files)], capture_output=True, text=True, env={**os.environ, "NO_COLOR": "1"})
        return json.loads(p.stdout)

    wf.write_text(_readme_workflow())
    assert audit(tmp_path / "action.yml", wf) == []
    wf.write_text(re.sub(r"actions/checkout@[0-9a-f]{40}", "actions/checkout@v5", _readme_workflow()))
    assert [f["ident"] for f in audit(wf)] == ["unpinned-uses"]

def test_install_step_installs_the_locked_set(tmp_path):
    """The Install step, run for real (it needs PyPI, as the action does): a private virtualenv
    with exactly the lock's pins for this platform and this checkout's twinscan."""
    from packaging.markers import Marker
    from packaging.utils import canonicalize_name

    action = tmp_path / "action"  # a copy: pip builds in the source tree
    shutil.copytree(ROOT, action, ignore=shutil.ignore_patterns(
        ".git", ".venv", "build", "*.egg-info", "__pycache__", ".pytest_cache", ".hypothesis"))
    temp, out = tmp_path / "runner-temp", tmp_path / "output"
    temp.mkdir()
    out.write_text("")
    script = tmp_path / "install.sh"
    script.write_text(_install_step()["run"])
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "RUNNER_", "VIRTUAL_ENV"))}
    env.update(RUNNER_TEMP=str(temp), GITHUB_ACTION_PATH=str(action), GITHUB_OUTPUT=str(out),
               PATH=os.pathsep.join(p for p in env["PATH"].split(os.pathsep) if p != BIN))
    p = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)], cwd=tmp_path, env=env,
                       capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stdout + p.stderr
    import twinscan
    assert twinscan.__version__ in p.stdout  # the step's `twinscan --version`
    bin_dir = Path(_parse_output_file(out.read_text())["bin"])
    assert bin_dir.parent.parent == temp
    listed = subprocess.run([str(bin_dir / "python"), "-m", "pip", "list", "--format", "json"], capture_output=True,
                            text=True, check=True).stdout
    installed = {canonicalize_name(d["name"]): d["version"] for d in json.loads(listed) if d["name"] != "pip"}
    assert installed.pop("twinscan") == twinscan.__version__
    locked = {}
    for line in (ROOT / "requirements" / "lock.txt").read_text().splitlines():
        if line and not line[0].isspace() and not line.startswith("#"):
            spec, _, marker = line.rstrip(" \\").partition(";")
            if not marker.strip() or Marker(marker).evaluate():
                name, version = spec.strip().split("==")
                locked[canonicalize_name(name)] = version
    assert installed == locked


# --- running the steps ------------------------------------------------------------------------

@pytest.mark.slow
def test_blocking_build_fails_with_annotations_summary_sarif_and_outputs(tmp_path):
    ws = _workspace(tmp_path, {"dist": "vite8-twin-local"})
    run = run_action(ws, tmp_path, paths="dist")
    truth = json.loads(subprocess.run([f"{BIN}/twinscan", "--format", "json", "dist"], cwd=ws,
                                      capture_output=True, text=True).stdout)
    assert run.failed == "scan" and run.code == 1
    assert run.outputs["exit-code"] == "1"
    assert int(run.outputs["blocking"]) == truth["summary"]["blocking"] >= 4
    assert int(run.outputs["findings"]) == truth["summary"]["reported"]
    # annotations: one ::error per blocking finding, on the file, line and column
    errors = [(props, msg) for kind, props, msg in run.annotations if kind == "error"]
    assert len(errors) == truth["summary"]["blocking"]
    for f in (f for f in truth["findings"] if f["blocking"]):
        assert any(p["file"] == f["path"] and p["line"] == str(f["line"]) and p["col"] == str(f["column"])
                   and f["url"] in msg for p, msg in errors), f
    # step summary: the Markdown table has every finding
    rows = _table_rows(run.summary)
    assert len(rows) == len(truth["findings"])
    for f in truth["findings"]:
        assert any(f"{f['path']}:{f['line']}:{f['column']}".replace("_", "\\_") in r for r in rows), f
    assert "**blocking**" in run.summary
    # SARIF: the file named by the output, inside RUNNER_TEMP, one result per finding
    sarif = Path(run.outputs["sarif-file"])
    assert sarif.is_file() and str(sarif).startswith(str(tmp_path / "runner-temp"))
    doc = json.loads(sarif.read_text())
    assert doc["version"] == "2.1.0"
    assert len(doc["runs"][0]["results"]) == len(truth["findings"])


@pytest.mark.slow
def test_clean_build_passes_with_zero_outputs(tmp_path):
    ws = _workspace(tmp_path, {"dist": "vite8-unset"})
    sarif = tmp_path / "reports" / "twinscan.sarif"
    sarif.parent.mkdir()
    run = run_action(ws, tmp_path, paths="dist", **{"sarif-file": str(sarif)})
    assert run.failed is None, run.stderr
    assert run.outputs == {"findings": "0", "blocking": "0", "sarif-file": str(sarif), "exit-code": "0"}
    assert not [a for a in run.annotations if a[0] == "error"]
    assert "**clean**" in run.summary and not _table_rows(run.summary)
    assert json.loads(sarif.read_text())["runs"][0]["results"] == []


@pytest.mark.slow
def test_annotations_are_capped_and_the_summary_lists_every_finding(tmp_path):
    """Three real twin builds in a monorepo: more findings than GitHub shows annotations."""
    ws = _workspace(tmp_path, {"apps/web/dist": "vite8-twin-local", "apps/admin/dist": "webpack5-twin-local",
                               "apps/site/dist": "esbuild-twin-local"})
    run = run_action(ws, tmp_path, paths="apps/web/dist\napps/admin/dist  apps/site/dist\n")
    n = int(run.outputs["findings"])
    assert run.code == 1 and n > 10
    kinds = [kind for kind, _, _ in run.annotations]
    assert len(kinds) == 11 and kinds.count("notice") == 1  # 10 findings + "N more … not annotated"
    assert f"{n - 10} more twinscan results not annotated" in run.stdout
    rows = _table_rows(run.summary)
    assert len(rows) == n
    for app in ("web", "admin", "site"):
        assert any(f"apps/{app}/dist/" in r for r in rows)


@pytest.mark.slow
def test_twin_urls_environment_and_config_inputs(tmp_path):
    ws = tmp_path / "workspace"
    ws.mkdir()
    (ws / ".env.production").write_text(
        "# written by the deploy job\nAPI_BASE_URL=https://twins.staging.yourco.com/billing\n"
        "VITE_POSTHOG_HOST=https://us.i.posthog.com\n")
    assert run_action(ws, tmp_path / "a", paths=".env.production").outputs["exit-code"] == "0"

    run = run_action(ws, tmp_path / "b", paths=".env.production", **{"twin-urls": "twins.*.yourco.com\n*.yourco.com/twins/"})
    assert run.outputs["exit-code"] == "1" and run.outputs["blocking"] == "1"
    assert any(k == "error" and p["file"] == ".env.production" and p["line"] == "2" for k, p, _ in run.annotations)

    run = run_action(ws, tmp_path / "c", paths=".env.production", environment="staging",
                     **{"twin-urls": "twins.*.yourco.com"})
    assert run.outputs["exit-code"] == "0" and run.outputs["findings"] == "1" and run.outputs["blocking"] == "0"

    (ws / "ci").mkdir()
    (ws / "ci" / "twinscan.yaml").write_text('twin_urls: ["twins.*.yourco.com"]\n')
    run = run_action(ws, tmp_path / "d", paths=".env.production", config="ci/twinscan.yaml")
    assert run.outputs["exit-code"] == "1" and run.outputs["blocking"] == "1"


@pytest.mark.slow
def test_format_and_fail_on_reach_the_cli(tmp_path):
    ws = _workspace(tmp_path, {"dist": "vite8-twin-local"})
    run = run_action(ws, tmp_path / "a", paths="dist", format="text", **{"fail-on": "warning"})
    assert run.code == 1 and not run.annotations and "BLOCKING" in run.stdout
    assert run.outputs["blocking"] != "0" and "**blocking**" in run.summary  # reports do not depend on format
    run = run_action(ws, tmp_path / "b", paths="dist", **{"fail-on": "never"})
    assert run.code == 2 and run.outputs["exit-code"] == "2" and "--fail-on" in run.stderr
    assert run.outputs["findings"] == run.outputs["blocking"] == run.outputs["sarif-file"] == ""


@pytest.mark.slow
def test_hostile_inputs_are_data_not_shell(tmp_path):
    ws = tmp_path / "workspace"
    ws.mkdir()
    (ws / ".env.production").write_text("API_URL=https://api.yourco.com\n")
    marker = tmp_path / "pwned"
    hostile = f'.env.production $(touch {marker}) `touch {marker}` ";touch {marker};" *'
    run = run_action(ws, tmp_path / "a", paths=hostile, environment=f"$(touch {marker})")
    assert not marker.exists()
    assert run.outputs["exit-code"] == "2"  # `$(touch`: no such file; nothing was evaluated or globbed
    assert "$(touch: no such file or directory" in run.stderr
    run = run_action(ws, tmp_path / "b", paths=".env.production", **{"twin-urls": f"x.yourco.com;touch {marker}"})
    assert not marker.exists()
    assert run.outputs["exit-code"] == "2" and "twin URL 'x.yourco.com;touch'" in run.stderr


@pytest.mark.slow
def test_missing_path_is_a_usage_error(tmp_path):
    ws = tmp_path / "workspace"
    ws.mkdir()
    run = run_action(ws, tmp_path, paths="dist")
    assert run.code == 2 and run.outputs["exit-code"] == "2"
    assert "dist: no such file or directory" in run.stderr



@pytest.mark.slow
@pytest.mark.parametrize("format", ["github", "text"])
def test_config_error_is_annotated_and_summarised(tmp_path, format):
    """Exit 2 writes no report (the scan did not run): the action itself says what was wrong."""
    ws = _workspace(tmp_path, {"dist": "vite8-twin-local"})
    (ws / "twinscan.yaml").write_text("twin_url: [twins.yourco.com]\n")  # a typo of twin_urls
    run = run_action(ws, tmp_path / "a", paths="dist", config="twinscan.yaml", format=format)
    assert run.code == 2 and run.failed == "scan" and run.outputs["exit-code"] == "2"
    [(kind, props, message)] = run.annotations
    assert kind == "error" and props["title"] == "twinscan%3A usage or configuration error (exit 2)"
    assert "twinscan.yaml: unknown key `twin_url`" in message and "Nothing was scanned" in message
    assert run.summary.startswith("**twinscan: usage or configuration error (exit 2)**: ")
    shown = re.sub(r"\\(.)", r"\1", run.summary)  # as GitHub renders the Markdown
    assert "unknown key `twin_url`" in shown and "Nothing was scanned" in shown
    assert run.outputs["findings"] == run.outputs["blocking"] == run.outputs["sarif-file"] == ""


@pytest.mark.slow
def test_bad_option_is_annotated_and_summarised(tmp_path):
    ws = _workspace(tmp_path, {"dist": "vite8-twin-local"})
    run = run_action(ws, tmp_path / "a", paths="dist", **{"fail-on": "never"})
    assert run.code == 2
    [(kind, props, message)] = run.annotations
    assert kind == "error" and "usage or configuration error" in props["title"]
    assert "--fail-on" in message and "never" in message
    assert "--fail-on" in run.summary and run.summary.count("\n") == 1
    run = run_action(ws, tmp_path / "b", paths="dist", **{"twin-urls": "yourco.com:99999/twins"})
    assert run.code == 2
    [(kind, props, message)] = run.annotations
    assert "yourco.com:99999/twins" in message and "yourco.com:99999/twins" in run.summary


@pytest.mark.slow
def test_hostile_error_text_cannot_become_a_workflow_command(tmp_path):
    ws = tmp_path / "workspace"
    ws.mkdir()
    (ws / ".env.production").write_text("API_URL=https://api.yourco.com\n")
    run = run_action(ws, tmp_path, paths=".env.production", config="::warning::forged%0A::error::x.yaml")
    assert run.code == 2
    assert [a[0] for a in run.annotations] == ["error"], run.stdout  # the name is data, never a command
    assert not [x for x in (run.stdout + run.stderr).splitlines() if x.lstrip().startswith("::warning")]
    assert "::warning::forged%250A::error::x.yaml: cannot read config" in run.annotations[0][2]
    assert run.summary.count("\n") == 1


@pytest.mark.slow
@pytest.mark.parametrize("format", ["github", "text"])
def test_incomplete_scan_is_annotated(tmp_path, format):
    ws = tmp_path / "workspace"
    (ws / "dist").mkdir(parents=True)  # a build folder with nothing in it: exit 3, not a pass
    run = run_action(ws, tmp_path / "a", paths="dist", format=format)
    assert run.code == 3 and run.outputs["exit-code"] == "3"
    run_level = [a for a in run.annotations if "file" not in a[1]]
    [(kind, props, message)] = run_level
    assert kind == "error" and props["title"] == "twinscan%3A scan incomplete (exit 3)"
    assert message.startswith("1 file in a production target could not be read: dist: no files scanned")
    assert "the build was not fully checked" in message
    # the Markdown report reached the summary, so the action adds nothing to it
    assert "**scan incomplete**" in run.summary and "exit 3)**" not in run.summary

# --- README example, actionlint, zizmor ---------------------------------------------------------

def _readme_workflow() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## GitHub Action\n", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```yaml\n(.*?)```", section, re.S)
    workflows = [b for b in blocks if "uses: OWNER/twinscan@" in b]
    assert len(workflows) == 1, "README ## GitHub Action has one workflow that uses the action"
    return workflows[0]


# Releases the README's workflow may pin, each on Node 24 (GitHub's runners retire Node 20 actions):
# the commit each release tag points at, as published by its repository.
NODE24_RELEASES = {
    "actions/checkout@08c6903cd8c0fde910a37f88322edcfb5dd907a8": "v5.0.0",
    "github/codeql-action/upload-sarif@45cbd0c69e560cd9e7cd7f8c32362050c9b7ded2": "v4.32.2",
}


def test_readme_workflow_pins_by_sha_and_uploads_sarif():
    text = _readme_workflow()
    doc = yaml.safe_load(text)
    job = next(iter(doc["jobs"].values()))
    steps = job["steps"]
    for s in steps:
        if "uses" in s:
            assert re.fullmatch(r"[\w.-]+/[\w./-]+@[0-9a-f]{40}", s["uses"]), f"not pinned by commit SHA: {s['uses']}"
            if not s["uses"].startswith("OWNER/twinscan@"):
                assert s["uses"] in NODE24_RELEASES, f"not a known Node 24 release: {s['uses']}"
                assert re.search(re.escape(s["uses"]) + r"\s+# " + re.escape(NODE24_RELEASES[s["uses"]]) + r"\b", text)
    scan = next(s for s in steps if s.get("uses", "").startswith("OWNER/twinscan@"))
    upload = next(s for s in steps if s.get("uses", "").startswith("github/codeql-action/upload-sarif@"))
    assert upload["with"]["sarif_file"] == "${{ steps.%s.outputs.sarif-file }}" % scan["id"]
    assert "always()" in upload["if"] or "!cancelled()" in upload["if"]  # upload also when the scan blocks
    assert set(scan["with"]) <= set(ACTION["inputs"])
    assert doc["permissions"] == {} and job["permissions"] == {"contents": "read", "security-events": "write"}


@pytest.mark.slow
def test_readme_workflow_runs_against_the_steps(tmp_path):
    """The README's `with:` on the README's build layout (a Vite app: dist/) blocks a twin build."""
    scan = next(s for s in next(iter(yaml.safe_load(_readme_workflow())["jobs"].values()))["steps"]
                if s.get("uses", "").startswith("OWNER/twinscan@"))
    ws = _workspace(tmp_path, {"dist": "vite8-twin-local"})
    run = run_action(ws, tmp_path, **scan["with"])
    assert run.outputs["exit-code"] == "1" and Path(run.outputs["sarif-file"]).is_file()


def _tool(name: str) -> str:
    path = shutil.which(name, path=BIN) or shutil.which(name)
    assert path, f"{name} is not installed: pip install -e '.[test]'"
    return path


def _actionlint(repo: Path, workflow: str) -> subprocess.CompletedProcess:
    wf = repo / ".github" / "workflows" / "twinscan.yml"
    wf.write_text(workflow)
    return subprocess.run([_tool("actionlint"), "-no-color", str(wf)], cwd=repo, capture_output=True, text=True)


@pytest.mark.slow
def test_actionlint_passes_the_readme_workflow_and_the_action_metadata(tmp_path):
    """actionlint lints workflows; with `uses: ./` it also reads action.yml and checks the
    workflow's `with:` and `steps.<id>.outputs` against the inputs and outputs it declares."""
    (tmp_path / ".github" / "workflows").mkdir(parents=True)
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)  # actionlint finds ./ from the repo root
    shutil.copy(ROOT / "action.yml", tmp_path / "action.yml")
    readme = _readme_workflow()
    p = _actionlint(tmp_path, readme)
    assert p.returncode == 0, p.stdout + p.stderr
    local = re.sub(r"uses: OWNER/twinscan@[0-9a-f]{40}", "uses: ./", readme)
    assert local != readme
    p = _actionlint(tmp_path, local)
    assert p.returncode == 0, p.stdout + p.stderr
    # it does check: an input and an output action.yml does not declare are refused
    p = _actionlint(tmp_path, local.replace("paths: dist", "path: dist").replace("outputs.sarif-file }}", "outputs.sarif }}"))
    assert p.returncode == 1
    assert 'input "path" is not defined in action "twinscan"' in p.stdout and 'property "sarif" is not defined' in p.stdout
    # and an expression interpolated into run: is refused
    p = _actionlint(tmp_path, readme.replace("run: npm ci && npm run build",
                                             "run: echo ${{ github.event.pull_request.title }}"))
    assert p.returncode == 1 and "github.event.pull_request.title" in p.stdout


@pytest.mark.slow
def test_zizmor_reports_nothing_on_the_action_and_the_readme_workflow(tmp_path):
    wf = tmp_path / ".github" / "workflows" / "twinscan.yml"
    wf.parent.mkdir(parents=True)
    wf.write_text(_readme_workflow())
    shutil.copy(ROOT / "action.yml", tmp_path / "action.yml")
    p = subprocess.run([_tool("zizmor"), "--offline", "--no-progress", "--format", "json",
                        str(tmp_path / "action.yml"), str(wf)], capture_output=True, text=True,
                       env={**os.environ, "NO_COLOR": "1"})
    assert p.returncode == 0, p.stdout + p.stderr
    assert json.loads(p.stdout) == []
    # it does audit: a step that interpolates an input into run: is a finding
    action = (ROOT / "action.yml").read_text(encoding="utf-8")
    (tmp_path / "action.yml").write_text(action.replace('"$TWINSCAN_BIN/twinscan" "${args[@]}"',
                                                        '"$TWINSCAN_BIN/twinscan" "${args[@]}" ${{ inputs.paths }}'))
    p = subprocess.run([_tool("zizmor"), "--offline", "--no-progress", "--format", "json", str(tmp_path / "action.yml")],
                       capture_output=True, text=True, env={**os.environ, "NO_COLOR": "1"})
    assert any(f["ident"] == "template-injection" for f in json.loads(p.stdout)), p.stdout
