"""Fly.io `fly.toml`: `[env]` and `[build.args]` values at their exact bytes; the file name names the environment."""
from __future__ import annotations

import pytest

from twinscan.classify import artifact_kind
from twinscan.extract.fly import values
from twinscan.extract.values import ExtractError, Options

FLY = """\
# fly.toml app configuration file generated for shop-web on 2025-03-02T10:11:12Z
app = "shop-web"
primary_region = "ams"

[build]
  dockerfile = "Dockerfile"

[build.args]
  VITE_POSTHOG_HOST = "https://us.i.posthog.com"

[env]
  PORT = "8080"
  STRIPE_API_BASE = "http://localhost:4111"
  # POSTHOG_HOST = "http://localhost:4112"
  "QUOTED_KEY" = 'https://api.wondertwin.dev/twins/stripe'
  GREETING = "caf\\u00e9 \\"ünï\\""
  NOTES = \"\"\"
multi http://localhost:4111\"\"\"
  WORKERS = 4

[http_service]
  internal_port = 8080
  force_https = true

[[vm]]
  memory = "1gb"
"""


def test_env_and_build_args_at_their_bytes():
    data = FLY.encode()
    got = {v.key: v for v in values(data, "fly.toml", Options())}
    assert sorted(got) == ["GREETING", "NOTES", "PORT", "QUOTED_KEY", "STRIPE_API_BASE", "VITE_POSTHOG_HOST"]
    assert got["STRIPE_API_BASE"].value == "http://localhost:4111"
    assert got["GREETING"].value == 'café "ünï"'
    assert got["NOTES"].value == "multi http://localhost:4111"
    for key in ("STRIPE_API_BASE", "QUOTED_KEY", "VITE_POSTHOG_HOST", "NOTES", "PORT"):
        v = got[key]
        assert data[v.start:v.end].decode() == v.value and v.environment is None
    assert data[got["GREETING"].start:got["GREETING"].end] == 'caf\\u00e9 \\"ünï\\"'.encode()


def test_values_outside_env_and_comments_are_not_values():
    data = b'app = "x"\n[env]\n  # A = "http://localhost:4111"\n[services.env]\n  B = "http://localhost:4111"\n'
    assert values(data, "fly.toml", Options()) == []


def test_invalid_toml_is_an_extract_error():
    with pytest.raises(ExtractError, match="^invalid TOML: "):
        values(b"[env]\nA = \n", "fly.toml", Options())


@pytest.mark.parametrize("name", ["fly.toml", "fly.staging.toml", "deploy/fly.production.toml"])
def test_claimed(name):
    assert artifact_kind(name) == "fly"


def test_production_env_blocks_staging_config_reports(tmp_path):
    from .conftest import cli_json

    (tmp_path / "fly.toml").write_text(FLY)
    code, doc = cli_json(["fly.toml"], cwd=tmp_path)
    by_line = {f["line"]: f for f in doc["findings"]}
    assert code == 1
    assert (by_line[13]["key"], by_line[13]["blocking"]) == ("STRIPE_API_BASE", True)
    assert (by_line[14]["context"], by_line[14]["blocking"]) == ("comment", False)
    assert (by_line[15]["key"], by_line[15]["blocking"]) == ("QUOTED_KEY", True)
    assert (by_line[18]["key"], by_line[18]["blocking"]) == ("NOTES", True)
    (tmp_path / "fly.toml").rename(tmp_path / "fly.staging.toml")
    code, doc = cli_json(["fly.staging.toml"], cwd=tmp_path)
    assert code == 0 and doc["findings"]
    assert {(f["environment"], f["blocking"]) for f in doc["findings"]} == {("staging", False)}
    assert "file name `fly.staging.toml` names the staging environment" in doc["findings"][0]["reason"]


def test_unparsable_production_fly_toml_is_reported(tmp_path):
    from .conftest import cli_json

    (tmp_path / "fly.toml").write_text('[env]\n  STRIPE_API_BASE = "http://localhost:4111\n')
    code, doc = cli_json(["fly.toml"], cwd=tmp_path)
    assert code == 1 and doc["findings"][0]["blocking"]
    assert doc["errors"][0]["message"].startswith("cannot parse as fly: invalid TOML") and doc["errors"][0]["production"]


def test_classifying_a_fly_file_imports_no_toml_parser():
    import subprocess
    import sys

    code = ("import sys\nfrom twinscan.classify import Classifier\nClassifier().classify('fly.staging.toml')\n"
            "print([m for m in sys.modules if m in ('tomllib', 'tomli')])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_inline_and_dotted_tables_are_values():
    """`env = {…}` and dotted keys are the same tables as `[env]` (tomlspans finds their bytes)."""
    data = (b'app = "x"\nenv = { STRIPE_API_BASE = "http://localhost:4111", PORT = "8080" }\n'
            b'build.args.VITE_POSTHOG_HOST = "http://localhost:4112"\n[http_service]\n  internal_port = 8080\n')
    got = {v.key: v for v in values(data, "fly.toml", Options())}
    assert sorted(got) == ["PORT", "STRIPE_API_BASE", "VITE_POSTHOG_HOST"]
    for v in got.values():
        assert data[v.start:v.end].decode() == v.value and v.environment is None
