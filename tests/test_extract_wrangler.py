"""Cloudflare Wrangler: top-level `vars` deploy with `wrangler deploy`, `[env.<name>.vars]` only with `--env <name>`,
`.dev.vars` only with `wrangler dev`; TOML and JSONC (comments, trailing commas) alike."""
from __future__ import annotations

import pytest

from twinscan.classify import artifact_kind
from twinscan.extract.values import ExtractError
from twinscan.extract.wrangler import values

from .conftest import cli_json

# From Cloudflare's Wrangler configuration docs: non-inheritable `vars` and `define` per environment.
WRANGLER_TOML = """\
#:schema node_modules/wrangler/config-schema.json
name = "shop-api"
main = "src/index.ts"
compatibility_date = "2025-03-01"

[vars]
STRIPE_API_BASE = "http://localhost:4111"
POSTHOG_HOST = "https://eu.i.posthog.com"
# SENDGRID_API_BASE = "http://localhost:4113"

[define]
__TWILIO_BASE__ = "'http://localhost:4114'"

[env.staging]
name = "shop-api-staging"
vars = { STRIPE_API_BASE = "https://api.wondertwin.dev/twins/stripe" }

[env.staging.define]
__TWILIO_BASE__ = "'http://localhost:4114'"

[env.production]
name = "shop-api-production"
routes = [{ pattern = "api.shop.example/*", zone_name = "shop.example" }]

[env.production.vars]
STRIPE_API_BASE = "https://api.stripe.com"
POSTHOG_HOST = "http://localhost:4112"
"""

WRANGLER_JSONC = """\
{
  "$schema": "node_modules/wrangler/config-schema.json",
  "name": "shop-api",
  "main": "src/index.ts",
  "compatibility_date": "2025-03-01",
  // "vars": { "STRIPE_API_BASE": "http://localhost:4111" },
  "vars": {
    "STRIPE_API_BASE": "http://localhost:4111", /* the local twin: http://localhost:4111 */
    "POSTHOG_HOST": "https://eu.i.posthog.com",
  },
  "env": {
    "staging": {
      "vars": { "STRIPE_API_BASE": "https://api.wondertwin.dev/twins/stripe", },
    },
    "prod-eu": {
      "vars": { "POSTHOG_HOST": "http://localhost:4112" },
    },
  },
}
"""


def _scan(tmp_path, name, text):
    (tmp_path / name).write_text(text)
    code, doc = cli_json([name], cwd=tmp_path)
    return code, doc, {f["line"]: f for f in doc["findings"]}


def test_toml_top_level_and_production_env_block_staging_reports(tmp_path):
    code, doc, by_line = _scan(tmp_path, "wrangler.toml", WRANGLER_TOML)
    assert code == 1 and not doc["errors"]
    got = {line: (f["key"], f["environment"], f["context"], f["blocking"]) for line, f in by_line.items()}
    assert got == {
        7: ("STRIPE_API_BASE", "production", "value", True),
        9: (None, "production", "comment", False),
        12: ("__TWILIO_BASE__", "production", "value", True),
        16: ("STRIPE_API_BASE", "staging", "value", False),
        19: ("__TWILIO_BASE__", "staging", "value", False),
        27: ("POSTHOG_HOST", "production", "value", True),
    }
    assert "top-level `vars` deploy with `wrangler deploy` (no `--env`)" in by_line[7]["reason"]
    assert "`env.staging.vars` deploy with `wrangler deploy --env staging` only" in by_line[16]["reason"]
    assert "`env.production.vars` deploy with `wrangler deploy --env production` only" in by_line[27]["reason"]


def test_jsonc_comments_and_trailing_commas(tmp_path):
    code, doc, by_line = _scan(tmp_path, "wrangler.jsonc", WRANGLER_JSONC)
    assert code == 1 and not doc["errors"]
    assert (by_line[6]["context"], by_line[6]["blocking"]) == ("comment", False)
    line8 = sorted((f["column"], f["context"], f["blocking"]) for f in doc["findings"] if f["line"] == 8)
    assert [(c, b) for _, c, b in line8] == [("value", True), ("comment", False)]
    assert (by_line[13]["environment"], by_line[13]["blocking"]) == ("staging", False)
    assert (by_line[16]["environment"], by_line[16]["blocking"]) == ("production", True)  # prod-eu
    assert "`env.prod-eu.vars` deploy with `wrangler deploy --env prod-eu` only" in by_line[16]["reason"]
    data = WRANGLER_JSONC.encode()
    for v in values(data, "wrangler.jsonc"):
        if v.context == "value":
            assert data[v.start:v.end].decode() == v.value


def test_wrangler_json_is_read_as_json(tmp_path):
    text = '{"name": "api", "vars": {"STRIPE_API_BASE": "http://localhost:4111"}, "env": {"dev": {"vars": {"X": "http://localhost:4111"}}}}'
    code, doc, _ = _scan(tmp_path, "wrangler.json", text)
    assert code == 1 and sorted((f["environment"], f["blocking"]) for f in doc["findings"]) == [
        ("development", False), ("production", True)]


@pytest.mark.parametrize("name", [".dev.vars", ".dev.vars.staging"])
def test_dev_vars_are_development(tmp_path, name):
    code, doc, by_line = _scan(tmp_path, name, "# local twins\nSTRIPE_API_BASE=http://localhost:4111\n")
    assert code == 0 and (by_line[2]["key"], by_line[2]["environment"], by_line[2]["blocking"]) == (
        "STRIPE_API_BASE", "development", False)
    assert f"`{name}` is read only by `wrangler dev`" in by_line[2]["reason"]


def test_a_config_named_for_staging_is_staging(tmp_path):
    code, doc, by_line = _scan(tmp_path, "wrangler.staging.toml", '[vars]\nSTRIPE_API_BASE = "http://localhost:4111"\n')
    assert code == 0 and by_line[2]["environment"] == "staging"
    assert "file name `wrangler.staging.toml` names the staging environment" in by_line[2]["reason"]


def test_invalid_files_are_extract_errors(tmp_path):
    with pytest.raises(ExtractError, match="^invalid JSON: "):
        values(b'{"vars": {"A": "x"', "wrangler.jsonc")
    with pytest.raises(ExtractError, match="^invalid JSON: "):
        values(b'{"vars": /* unterminated', "wrangler.jsonc")
    with pytest.raises(ExtractError, match="^invalid TOML: "):
        values(b"[vars]\nA = \n", "wrangler.toml")
    code, doc, _ = _scan(tmp_path, "wrangler.jsonc", '{"vars": {"A": "http://localhost:4111"}')
    assert code == 1 and doc["errors"][0]["message"].startswith("cannot parse as Wrangler config: invalid JSON")


@pytest.mark.parametrize("name", ["wrangler.toml", "wrangler.json", "wrangler.jsonc", "workers/api/wrangler.toml",
                                  ".dev.vars", ".dev.vars.production"])
def test_claimed(name):
    assert artifact_kind(name) == "wrangler"
