"""README "Scanning a deployed site": the post-deploy examples run as written against a real
build served on 127.0.0.1 (the site URL is the only thing replaced)."""
from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import ROOT
from tests.helpers import doc_page
from tests.site_server import SiteServer
from tests.test_action import _actionlint, run_action

BUILDS = ROOT / "fixtures" / "builds"
BIN = Path(os.path.dirname(sys.executable))


def _section() -> str:
    return doc_page("site.md")


def _yaml_blocks() -> list[str]:
    return re.findall(r"```yaml\n(.*?)```", _section(), re.S)


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch):
    for k in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(k, raising=False)


def _post_deploy_workflow() -> dict:
    [wf] = [b for b in _yaml_blocks() if "uses: OWNER/twinscan@" in b]
    return yaml.safe_load(wf)


@pytest.mark.parametrize("build, code", [("vite8-twin-local", "1"), ("vite8-unset", "0")])
def test_readme_post_deploy_workflow_runs_the_action_on_the_site(tmp_path, build, code):
    doc = _post_deploy_workflow()
    job = next(iter(doc["jobs"].values()))
    assert doc["permissions"] == {} and job["permissions"] == {"contents": "read"}
    [step] = [s for s in job["steps"] if s.get("uses", "").startswith("OWNER/twinscan@")]
    assert re.fullmatch(r"OWNER/twinscan@[0-9a-f]{40}", step["uses"])
    ws = tmp_path / "ws"
    ws.mkdir()
    with SiteServer(BUILDS / build) as s:
        inputs = {k: v.replace("https://app.example.com/", s.origin + "/") for k, v in step["with"].items()}
        run = run_action(ws, tmp_path, **inputs)
    assert run.outputs["exit-code"] == code, run.stderr
    if code == "1":
        assert f"{s.origin}/assets/index-BLjdwE-d.js" in run.summary


def test_readme_post_deploy_workflow_passes_actionlint(tmp_path):
    """Also with `uses: ./`, so actionlint checks the `with:` against the inputs action.yml declares."""
    [wf] = [b for b in _yaml_blocks() if "uses: OWNER/twinscan@" in b]
    (tmp_path / ".github" / "workflows").mkdir(parents=True)
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    shutil.copy(ROOT / "action.yml", tmp_path / "action.yml")
    for text in (wf, re.sub(r"uses: OWNER/twinscan@[0-9a-f]{40}", "uses: ./", wf)):
        r = _actionlint(tmp_path, text)
        assert r.returncode == 0, r.stdout + r.stderr


def _twinscan_command(script: str) -> list[str]:
    """The `twinscan …` command of a README script (line continuations joined)."""
    text = script.replace("\\\n", " ")
    [line] = [x for x in text.splitlines() if x.strip().startswith(("twinscan ", "- twinscan "))]
    return shlex.split(line.strip().removeprefix("- "))


def test_readme_gated_staging_step_sends_the_token_and_never_prints_it(tmp_path):
    [block] = [b for b in _yaml_blocks() if "STAGING_TOKEN" in b]
    step = yaml.safe_load(block)[0]
    assert step["env"]["STAGING_TOKEN"] == "${{ secrets.STAGING_TOKEN }}"
    token = "gh-staging-t0ken-123"
    with SiteServer(BUILDS / "vite8-twin-local", require=("Authorization", f"Bearer {token}")) as s:
        argv = _twinscan_command(step["run"])
        script = shlex.join(argv).replace("https://staging.example.com/", s.origin + "/")
        script = script.replace("'Authorization: Bearer ${STAGING_TOKEN}'", '"Authorization: Bearer ${STAGING_TOKEN}"')
        env = {**os.environ, "STAGING_TOKEN": token, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}
        p = subprocess.run(["bash", "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert p.returncode == 1, p.stderr
    assert "::error" in p.stdout and token not in p.stdout + p.stderr
    assert token not in (tmp_path / "twinscan-site.sarif").read_text()


def test_readme_gitlab_job_writes_code_quality_and_junit(tmp_path):
    [block] = [b for b in _yaml_blocks() if "codequality" in b]
    job = next(iter(yaml.safe_load(block).values()))
    assert job["artifacts"]["when"] == "always"
    [cmd] = [c for c in job["script"] if c.startswith("twinscan ")]
    with SiteServer(BUILDS / "vite8-twin-local") as s:
        argv = [a.replace("https://app.example.com/", s.origin + "/") for a in shlex.split(cmd)]
        p = subprocess.run([str(BIN / "twinscan"), *argv[1:]], cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False)
    assert p.returncode == 1, p.stderr
    quality = json.loads((tmp_path / job["artifacts"]["reports"]["codequality"]).read_text())
    assert any(i["location"]["path"] == f"{s.origin}/assets/index-BLjdwE-d.js" for i in quality)
    assert f"{s.origin}/assets/index-BLjdwE-d.js" in (tmp_path / job["artifacts"]["reports"]["junit"]).read_text()
