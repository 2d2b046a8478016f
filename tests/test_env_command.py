"""`twinscan env`: the process environment, an env file, docker inspect / image config JSON."""
from __future__ import annotations

import json
import os

from twinscan.extract.image import config_values
from twinscan.runtime.envcheck import environ_document

from .conftest import cli, run_process

DEPLOY_ENV = {
    "PATH": "/usr/local/bin:/usr/bin",
    "HOME": "/home/runner",
    "GITHUB_SERVER_URL": "https://github.com",
    "VITE_STRIPE_BASE_URL": "http://127.0.0.1:4111",
    "VITE_POSTHOG_HOST": "https://eu.i.posthog.com",
    "NEXT_PUBLIC_SENTRY_DSN": "https://abc@o1.ingest.sentry.io/42",
    "POSTHOG_HOST": "localhost:4115",  # no scheme: only the services check sees it
    "PAYMENTS_API": "https://api.wondertwin.dev/twins/stripe",
    "DATABASE_URL": "postgres://app:secret@localhost:5432/app",  # not an http/ws URL
    "NO_PROXY": "localhost,127.0.0.1",
}

DOCKER_INSPECT = json.dumps([{
    "Id": "sha256:9b1e",
    "RepoTags": ["shop/web:1.4.0"],
    "Config": {"Env": ["PATH=/usr/local/sbin:/usr/local/bin", "NODE_ENV=production",
                       "STRIPE_API_BASE=http://host.docker.internal:4111", "OPENAI_BASE_URL=https://api.openai.com/v1"],
               "Cmd": ["node", "server.js"]},
}], indent=2)


def _env(**extra):
    """A process environment for the CLI: only what we set (plus what Python itself needs)."""
    env = {k: v for k, v in os.environ.items() if k in ("PYTHONPATH", "SYSTEMROOT", "LANG", "LC_ALL")}
    env.update(extra)
    return env


def test_process_environment_blocks_on_twins_and_non_vendor_hosts(tmp_path):
    r = run_process(["env", "--format", "json", "--config", _empty_config(tmp_path)], cwd=tmp_path,
                    env=_env(PATH=os.environ["PATH"], **{k: v for k, v in DEPLOY_ENV.items() if k != "PATH"}))
    assert r.returncode == 1, r.stderr
    stdout, stderr = r.stdout.decode(), r.stderr.decode()
    report = json.loads(stdout)
    got = sorted((f["key"], f["rule"], f["blocking"]) for f in report["findings"])
    assert got == [("PAYMENTS_API", "wondertwin-hosted-url", True), ("POSTHOG_HOST", "service-host-url", True),
                   ("VITE_STRIPE_BASE_URL", "loopback-url", True)]
    assert {f["path"] for f in report["findings"]} == {"<process environment>"}
    assert "secret" not in stdout and "abc@" not in stdout
    assert "traceback" not in stderr.lower()


def test_prefix_and_clean_environment(tmp_path):
    cfg = _empty_config(tmp_path)
    env = _env(PATH=os.environ["PATH"], VITE_STRIPE_BASE_URL="https://api.stripe.com", PAYMENTS_API="http://localhost:4111")
    r = run_process(["env", "--prefix", "VITE_", "--config", cfg], cwd=tmp_path, env=env)
    assert r.returncode == 0, r.stdout + r.stderr
    assert b"0 blocking" in r.stdout
    r = run_process(["env", "--config", cfg, "-q"], cwd=tmp_path, env=env)
    assert r.returncode == 1 and b"PAYMENTS_API" in r.stdout


def test_environ_document_lines_are_variables_and_values_round_trip():
    env = {"B": 'say "hi"\\n', "A": "http://localhost:4111", "C": "naïve\u00a0x"}
    doc = environ_document(env)
    lines = doc.decode().splitlines()
    assert len(lines) == 3 and '"A=http://localhost:4111"' in lines[0]
    values = config_values(doc, "<process environment>")
    assert [(v.key, v.value) for v in values] == sorted(env.items())


def test_env_file_is_checked_as_production_whatever_its_name(tmp_path):
    cfg = _empty_config(tmp_path)
    f = tmp_path / "deploy.vars"
    f.write_text("export VITE_STRIPE_BASE_URL=http://twins:4111\n# VITE_POSTHOG_HOST=http://localhost:4115\nAPP_NAME=shop\n")
    r = cli(["env", "--format", "json", "--config", cfg, str(f)], cwd=tmp_path)
    assert r.exit_code == 1
    report = json.loads(r.output)
    assert [(f_["key"], f_["rule"], f_["blocking"]) for f_ in report["findings"]] == [
        ("VITE_STRIPE_BASE_URL", "twin-service-url", True), ("VITE_POSTHOG_HOST", "loopback-url", False)]  # a comment
    dev = tmp_path / ".env.development"
    dev.write_text("VITE_STRIPE_BASE_URL=http://localhost:4111\n")
    r = cli(["env", "--format", "json", "--config", cfg, str(dev)], cwd=tmp_path)
    assert r.exit_code == 1 and json.loads(r.output)["findings"][0]["environment"] == "production"
    r = cli(["env", "--format", "json", "--config", cfg, "--environment", "staging", str(dev)], cwd=tmp_path)
    assert r.exit_code == 0
    (finding,) = json.loads(r.output)["findings"]
    assert (finding["environment"], finding["blocking"]) == ("staging", False)


def test_docker_inspect_on_stdin_and_as_a_file(tmp_path):
    cfg = _empty_config(tmp_path)
    r = cli(["env", "--format", "json", "--config", cfg, "-"], cwd=tmp_path, input=DOCKER_INSPECT)
    assert r.exit_code == 1
    (f,) = json.loads(r.output)["findings"]
    assert (f["path"], f["key"], f["rule"], f["url"]) == ("<stdin>", "STRIPE_API_BASE", "docker-host-url", "http://host.docker.internal:4111")
    path = tmp_path / "inspect-output"  # no extension: the content says JSON
    path.write_text(DOCKER_INSPECT.replace("host.docker.internal:4111", "api.stripe.com"))
    r = cli(["env", "--config", cfg, str(path)], cwd=tmp_path)
    assert r.exit_code == 0, r.output


def test_formats_config_and_usage_errors(tmp_path):
    cfg = tmp_path / "twinscan.yaml"
    cfg.write_text("twin_urls: ['sim.*.acme.io']\nservices:\n  billing: {keys: [BILLING_API_URL], hosts: [billing.acme.com]}\n")
    f = tmp_path / "prod.env"
    f.write_text("PAY=https://sim.eu.acme.io/stripe\nBILLING_API_URL=https://billing-sim.acme.dev\n")
    r = cli(["env", "--format", "json", str(f)], cwd=tmp_path)  # config discovered next to the file
    assert r.exit_code == 1
    assert sorted(x["rule"] for x in json.loads(r.output)["findings"]) == ["org-twin-url", "service-host-url"]
    out = tmp_path / "report.txt"
    r = cli(["env", "--output", out, str(f)], cwd=tmp_path)
    assert r.exit_code == 1 and "org-twin-url" in out.read_text()
    for args, msg in [(["--format", "yaml"], "--format yaml"), ([str(tmp_path)], "is a directory"),
                      ([str(tmp_path / "missing.env")], "no such file"), (["--prefix", "VITE_", str(f)], "--prefix"),
                      (["--twin-url", "a*.b.com"], "whole labels")]:
        r = cli(["env", *args], cwd=tmp_path)
        assert r.exit_code == 2 and msg in r.output, (args, r.output)
    bad = tmp_path / "bad.yaml"
    bad.write_text("twin_urls: 3\n")
    r = cli(["env", "--config", bad], cwd=tmp_path)
    assert r.exit_code == 2 and "twin_urls" in r.output


def test_unparsable_image_config_is_an_incomplete_check(tmp_path):
    f = tmp_path / "config.json"
    f.write_text('{"Config": {"Env": ["A=b",')
    r = cli(["env", "--config", _empty_config(tmp_path), str(f)], cwd=tmp_path)
    assert r.exit_code == 3, r.output
    assert "invalid JSON" in r.output
    f.write_text('{"name": "web", "version": "1.0.0"}')  # JSON, but no environment in it
    r = cli(["env", "--config", _empty_config(tmp_path), str(f)], cwd=tmp_path)
    assert r.exit_code == 3 and "not a docker inspect" in r.output, r.output


def _empty_config(tmp_path) -> str:
    p = tmp_path / "empty-twinscan.yaml"
    p.write_text("{}\n")
    return str(p)
