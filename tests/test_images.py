"""Container images through the whole scan: config env, layer files, inspect JSON, broken tars."""
from __future__ import annotations

import json
import os

import pytest

from .conftest import cli_json, run_process
from .helpers import CONFIG, docker_save, oci_layout


@pytest.mark.parametrize("build", [docker_save, oci_layout])
def test_image_tarball_config_env_and_layer_files_are_found(tmp_path, build):
    data, _ = build()
    (tmp_path / "web.tar").write_bytes(data)
    before = sorted(os.listdir(tmp_path))
    code, doc = cli_json([tmp_path / "web.tar"])
    assert sorted(os.listdir(tmp_path)) == before  # nothing extracted
    got = {(f["path"].split("!/", 1)[1] if "!/" in f["path"] else f["path"], f["key"]) for f in doc["findings"]}
    assert code == 1
    assert ("usr/share/nginx/html/assets/index-abc.js", "base") in got
    env = [f for f in doc["findings"] if f["key"] == "VITE_STRIPE_BASE_URL"]
    assert env and all(f["blocking"] and f["path"].startswith(str(tmp_path / "web.tar") + "!/") for f in env)
    assert any(f["key"] == "history" for f in doc["findings"])  # ENV baked in by a build step


def test_docker_inspect_json_on_stdin():
    inspect = json.dumps([{"Id": "sha256:abc", "Config": {"Env": ["A=1", "VITE_POSTHOG_HOST=http://localhost:4112"]}}], indent=2)
    p = run_process(["--format", "json", "--stdin-name", "inspect.json", "-"], input=inspect.encode())
    doc = json.loads(p.stdout)
    [f] = doc["findings"]
    assert p.returncode == 1 and (f["key"], f["line"], f["url"]) == ("VITE_POSTHOG_HOST", 7, "http://localhost:4112")


def test_clean_image_config_with_a_foreign_vendor_host(tmp_path):
    cfg = dict(CONFIG, config={"Env": ["STRIPE_API_BASE=https://stripe-sim.example.net"]}, history=[])
    (tmp_path / "config.json").write_text(json.dumps(cfg))
    code, doc = cli_json([tmp_path])
    assert code == 1 and doc["findings"][0]["rule"] == "service-host-url"


@pytest.mark.parametrize(("cut", "code"), [
    (600, 3),  # inside the first member: nothing read, the scan is incomplete
    (1 / 3, 1),  # after the layer: its twin was read and blocks, which wins over the incomplete scan
])
def test_truncated_tarball_is_a_clear_error_and_incomplete(tmp_path, cut, code):
    data, _ = docker_save()
    (tmp_path / "web.tar").write_bytes(data[: int(len(data) * cut) if cut < 1 else cut])
    got, doc = cli_json([tmp_path])
    assert got == code
    assert bool(doc["findings"]) is (code == 1)
    assert any("truncated tar archive" in e["message"] and e["production"] for e in doc["errors"])
    assert doc["summary"]["incomplete"]
