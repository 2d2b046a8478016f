"""Heroku `app.json`: `env` is the app's (production), `environments.review`/`.test` are Review Apps and CI;
claimed by content, since Expo uses the same file name."""
from __future__ import annotations

import json

from twinscan.classify import Classifier
from twinscan.extract.heroku import is_heroku, values

from .conftest import cli_json

# From Heroku's app.json schema reference: env in both forms, formation, addons, buildpacks,
# scripts.postdeploy and per-environment overrides for Review Apps and Heroku CI.
APP_JSON = """\
{
  "name": "Shop API",
  "description": "The shop's API server",
  "repository": "https://github.com/yourco/shop-api",
  "success_url": "/welcome",
  "scripts": { "postdeploy": "npm run db:migrate" },
  "env": {
    "STRIPE_API_BASE": { "description": "Stripe API base, e.g. http://localhost:4111 locally", "value": "http://localhost:4111" },
    "POSTHOG_HOST": "https://eu.i.posthog.com",
    "SESSION_SECRET": { "description": "A secret key for signing sessions", "generator": "secret" }
  },
  "formation": { "web": { "quantity": 1, "size": "basic" } },
  "addons": ["heroku-postgresql"],
  "buildpacks": [{ "url": "heroku/nodejs" }],
  "environments": {
    "review": {
      "env": { "STRIPE_API_BASE": { "value": "https://api.wondertwin.dev/twins/stripe" } }
    },
    "test": {
      "env": { "POSTHOG_HOST": "http://localhost:4112" },
      "scripts": { "test": "npm test" }
    }
  }
}
"""

EXPO = json.dumps({"expo": {"name": "shop", "slug": "shop", "extra": {"apiUrl": "http://localhost:4111"}}}, indent=2)


def test_production_env_blocks_review_and_test_report(tmp_path):
    (tmp_path / "app.json").write_text(APP_JSON)
    code, doc = cli_json(["app.json"], cwd=tmp_path)
    assert code == 1 and not doc["errors"]
    got = sorted((f["line"], f["key"], f["environment"], f["blocking"]) for f in doc["findings"])
    assert got == [
        (8, "STRIPE_API_BASE", "example", False),  # the description: documentation, not a value
        (8, "STRIPE_API_BASE", "production", True),
        (17, "STRIPE_API_BASE", "review", False),
        (20, "POSTHOG_HOST", "test", False),
    ]
    by_env = {f["environment"]: f for f in doc["findings"]}
    assert "the `description` of `env.STRIPE_API_BASE` documents the variable" in by_env["example"]["reason"]
    assert "`env` sets the config vars of the apps this manifest creates" in by_env["production"]["reason"]
    assert "`environments.review.env` is for Review Apps of pull requests" in by_env["review"]["reason"]
    assert "`environments.test.env` is for Heroku CI test runs" in by_env["test"]["reason"]


def test_values_at_their_bytes():
    data = APP_JSON.encode()
    got = {(v.key, v.environment): v for v in values(data, "app.json")}
    assert sorted(got) == [("POSTHOG_HOST", "production"), ("POSTHOG_HOST", "test"), ("SESSION_SECRET", "example"),
                           ("STRIPE_API_BASE", "example"), ("STRIPE_API_BASE", "production"), ("STRIPE_API_BASE", "review")]
    for v in got.values():
        assert data[v.start:v.end].decode() == v.value


def test_claimed_by_heroku_keys_not_by_name(tmp_path):
    assert is_heroku(APP_JSON.encode()) and not is_heroku(EXPO.encode())
    assert is_heroku(b'{"env": {"STRIPE_API_BASE": {"value": "https://api.stripe.com"}}}')
    assert not is_heroku(b'{"name": "x", "env": "production"}')
    assert Classifier().classify("app.json", lambda: APP_JSON.encode()).kind == "heroku"
    assert Classifier().classify("app.json", lambda: EXPO.encode()).kind != "heroku"
    (tmp_path / "app.json").write_text(EXPO)
    _, doc = cli_json(["app.json"], cwd=tmp_path)
    assert doc["findings"] and "Heroku" not in doc["findings"][0]["reason"]
