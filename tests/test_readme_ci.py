"""README "GitLab CI and Jenkins": both snippets run as written on a real Vite build.

The only things replaced are what cannot exist yet: the clone URL (no public repository) points
at a git repository made from this working tree (`hook_repo`, shared with test_precommit), the
placeholder SHA is its commit, and GitLab's /tmp/ is a test folder. The install lines then run
for real (a virtualenv, pip with the hashed lock, this checkout without build isolation), and
the scan line runs once on a build with twin URLs and once on the same app built clean.
"""
from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml

from tests.test_precommit import hook_repo  # noqa: F401  (a session fixture)

pytestmark = pytest.mark.slow  # real git, venv and pip runs

ROOT = Path(__file__).resolve().parent.parent
BUILDS = ROOT / "fixtures" / "builds"
PLACEHOLDER_URL = "https://github.com/OWNER/twinscan"
SHA = re.compile(r"\b[0-9a-f]{40}\b")


def _section() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    return readme.split("\n## GitLab CI and Jenkins\n", 1)[1].split("\n## ", 1)[0]


def _gitlab_job() -> dict:
    [block] = re.findall(r"```yaml\n(# \.gitlab-ci\.yml\n.*?)```", _section(), re.S)
    return next(iter(yaml.safe_load(block).values()))


def _jenkins_script() -> tuple[str, str]:
    """(the `sh '''…'''` script, the whole Groovy block)."""
    [block] = re.findall(r"```groovy\n(// Jenkinsfile\n.*?)```", _section(), re.S)
    [script] = re.findall(r"sh '''\n(.*?)'''", block, re.S)
    return script, block


def _workspace(tmp_path: Path, build: str) -> Path:
    ws = tmp_path / f"ws-{build}"
    shutil.copytree(BUILDS / build, ws / "dist")
    return ws


def _env(extra: dict) -> dict:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("GITHUB_", "RUNNER_", "CI_", "GITLAB_", "VIRTUAL_ENV", "TWINSCAN_"))}
    env.update(NO_COLOR="1", **extra)
    return env


def _assert_locked_install(lines: list[str]) -> None:
    """The install is the Action's: the hashed lock, then the reviewed commit without resolving."""
    text = "\n".join(lines)
    assert "--require-hashes -r" in text and "requirements/lock.txt" in text
    assert "--no-deps --no-build-isolation" in text
    for line in lines:
        words = shlex.split(line)
        if "install" in words and any(w.endswith("pip") for w in words):
            args = words[words.index("install") + 1:]
            targets = [w for i, w in enumerate(args) if not w.startswith("-") and args[i - 1] != "-r"]
            assert all("/" in w for w in targets), f"a path, never a name from a registry: {line}"


def test_gitlab_job_shape():
    job = _gitlab_job()
    assert job["artifacts"]["when"] == "always"  # reports are kept when the scan fails the job
    reports = job["artifacts"]["reports"]
    [scan] = [c for c in job["script"] if re.search(r"/twinscan(?:-venv)?/bin/twinscan ", c)]
    assert f"--report gitlab={reports['codequality']}" in scan and f"--report junit={reports['junit']}" in scan
    assert SHA.fullmatch(str(job["variables"]["TWINSCAN_SHA"]))
    _assert_locked_install(job["script"][:-1])
    assert job["script"][-1] == scan


def test_jenkins_stage_shape():
    script, block = _jenkins_script()
    [results] = re.findall(r"junit testResults: '([^']+)'", block)
    assert re.search(r"post \{\s*always \{\s*junit", block)  # published whatever the exit code
    lines = [x.strip() for x in script.strip().splitlines()]
    assert shlex.split(lines[-1])[1:] == ["dist", "--report", f"junit={results}"]
    assert len(SHA.findall(script)) == 1
    _assert_locked_install(lines[:-1])


def _local(text: str, repo: Path, rev: str) -> str:
    return SHA.sub(rev, text.replace(PLACEHOLDER_URL, str(repo)))


def test_gitlab_job_runs(tmp_path, hook_repo):  # noqa: F811
    repo, rev, git_env = hook_repo
    job = _gitlab_job()
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    assert sum(PLACEHOLDER_URL in line for line in job["script"]) == 1
    script = [_local(line.replace("/tmp/", f"{tmp}/"), repo, rev) for line in job["script"]]
    env = _env({**{k: v for k, v in git_env.items() if k.startswith("GIT_")}, "TWINSCAN_SHA": rev,
                "GITLAB_CI": "true", "CI": "true"})
    for line in script[:-1]:  # the install, once
        p = subprocess.run(["bash", "-ec", line], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=900)
        assert p.returncode == 0, f"{line}\n{p.stdout}{p.stderr}"
    reports = job["artifacts"]["reports"]
    for build, code in (("vite8-twin-local", 1), ("vite8-unset", 0)):
        ws = _workspace(tmp_path, build)
        p = subprocess.run(["bash", "-ec", script[-1]], cwd=ws, env={**env, "CI_PROJECT_DIR": str(ws)},
                           capture_output=True, text=True, timeout=300)
        assert p.returncode == code, p.stdout + p.stderr
        quality = json.loads((ws / reports["codequality"]).read_text())
        junit = ET.parse(ws / reports["junit"]).getroot()
        failures = junit.findall(".//failure")
        if code:
            assert "BLOCKING" in p.stdout  # the job log reads as text
            assert {i["location"]["path"] for i in quality} >= {"dist/assets/index-BLjdwE-d.js", "dist/index.html"}
            assert all(i["severity"] == "blocker" for i in quality if i["location"]["path"] == "dist/index.html")
            assert failures and any(c.get("name") == "dist/assets/index-[hash].js" for c in junit.iter("testcase"))
        else:
            assert quality == [] and not failures and junit.find(".//testcase") is not None


def test_jenkins_stage_runs(tmp_path, hook_repo):  # noqa: F811
    repo, rev, git_env = hook_repo
    script, block = _jenkins_script()
    [results] = re.findall(r"junit testResults: '([^']+)'", block)
    assert PLACEHOLDER_URL in script and SHA.search(script)
    lines = [x.strip() for x in _local(script, repo, rev).strip().splitlines()]
    env = _env({**{k: v for k, v in git_env.items() if k.startswith("GIT_")}, "TMPDIR": str(tmp_path)})
    # Jenkins runs an `sh` step as `sh -xe SCRIPT` in the workspace; the install once, then the scan per build
    install = tmp_path / "install.sh"
    install.write_text("\n".join(lines[:-1]) + '\necho "$t" > "$TWINSCAN_TEST_T"\n')
    t_file = tmp_path / "t"
    p = subprocess.run(["sh", "-xe", str(install)], cwd=tmp_path, env={**env, "TWINSCAN_TEST_T": str(t_file)},
                       capture_output=True, text=True, timeout=900)
    assert p.returncode == 0, p.stdout + p.stderr
    scan = tmp_path / "scan.sh"
    scan.write_text(f"t={shlex.quote(t_file.read_text().strip())}\n{lines[-1]}\n")
    for build, code in (("vite8-twin-local", 1), ("vite8-unset", 0)):
        ws = _workspace(tmp_path, build)
        p = subprocess.run(["sh", "-xe", str(scan)], cwd=ws, env={**env, "WORKSPACE": str(ws)}, capture_output=True,
                           text=True, timeout=300)
        assert p.returncode == code, p.stdout + p.stderr
        junit = ET.parse(ws / results).getroot()
        cases = {c.get("name"): c for c in junit.iter("testcase")}
        if code:
            assert "BLOCKING" in p.stdout
            assert cases["dist/assets/index-[hash].js"].find("failure") is not None
            assert cases["dist/index.html"].find("failure") is not None
        else:
            assert list(cases) == ["twinscan"] and not junit.findall(".//failure")
