"""Render Blueprints: root services are production, `previewValue` is preview, project environments take their name,
env groups take the environments of the services that attach them with `fromGroup`."""
from __future__ import annotations

import pytest

from twinscan.classify import artifact_kind
from twinscan.extract.render import values

from .conftest import cli_json

# From Render's Blueprint YAML reference: root services and env groups, preview environments,
# and a project with a staging environment that has its own service and env group.
RENDER = """\
previews:
  generation: automatic
  expireAfterDays: 3

envVarGroups:
  - name: shop-shared
    envVars:
      - key: POSTHOG_HOST
        value: http://localhost:4112
  - name: qa-only
    envVars:
      - key: TWILIO_API_BASE
        value: http://localhost:4113
  - name: unused
    envVars:
      - key: RESEND_BASE_URL
        value: http://localhost:4116

services:
  - type: web
    name: shop-api
    runtime: node
    plan: starter
    buildCommand: npm ci && npm run build
    startCommand: npm start
    envVars:
      - key: STRIPE_API_BASE
        value: http://localhost:4111
        previewValue: https://api.wondertwin.dev/twins/stripe
      - key: SENDGRID_API_BASE
        value: https://api.sendgrid.com
        previewValue: "http://localhost:4114"
      - key: DATABASE_URL
        fromDatabase:
          name: shop-db
          property: connectionString
      - fromGroup: shop-shared
      # - key: STRIPE_API_BASE
      #   value: http://localhost:4111

databases:
  - name: shop-db
    plan: basic-256mb

projects:
  - name: shop
    environments:
      - name: staging
        envVarGroups:
          - name: staging-only
            envVars:
              - key: SENTRY_DSN
                value: http://key@localhost:4117/1
        services:
          - type: web
            name: shop-api-staging
            runtime: node
            buildCommand: npm ci && npm run build
            startCommand: npm start
            envVars:
              - key: STRIPE_API_BASE
                value: https://api.wondertwin.dev/twins/stripe
              - fromGroup: qa-only
              - fromGroup: staging-only
      - name: prod-eu
        services:
          - type: worker
            name: shop-worker-eu
            runtime: node
            buildCommand: npm ci
            startCommand: node worker.js
            envVars:
              - key: POSTHOG_HOST
                value: http://localhost:4112
"""


def test_production_values_block_preview_staging_report(tmp_path):
    (tmp_path / "render.yaml").write_text(RENDER)
    code, doc = cli_json(["render.yaml"], cwd=tmp_path)
    assert code == 1 and not doc["errors"]
    got = {(f["line"], f["key"]): (f["environment"], f["context"], f["blocking"]) for f in doc["findings"]}
    assert got == {
        (9, "POSTHOG_HOST"): ("production", "value", True),  # group attached by the production service
        (13, "TWILIO_API_BASE"): ("staging", "value", False),  # group attached by the staging service only
        (17, "RESEND_BASE_URL"): ("production", "value", True),  # attached by no service in the file
        (28, "STRIPE_API_BASE"): ("production", "value", True),
        (29, "STRIPE_API_BASE"): ("preview", "value", False),
        (32, "SENDGRID_API_BASE"): ("preview", "value", False),
        (39, None): ("production", "comment", False),  # key from the commented line
        (53, "SENTRY_DSN"): ("staging", "value", False),
        (62, "STRIPE_API_BASE"): ("staging", "value", False),
        (74, "POSTHOG_HOST"): ("production", "value", True),  # projects[].environments[] prod-eu
    }
    reasons = {(f["line"], f["key"]): f["reason"] for f in doc["findings"]}
    assert "env group `shop-shared` is attached with `fromGroup` by service `shop-api` (production)" in reasons[9, "POSTHOG_HOST"]
    assert "env group `qa-only` is attached with `fromGroup` by service `shop-api-staging` (staging)" in reasons[13, "TWILIO_API_BASE"]
    assert "env group `unused` is attached by no service in this file" in reasons[17, "RESEND_BASE_URL"]
    assert "`envVars` of service `shop-api`, a Blueprint's root services deploy to production" in reasons[28, "STRIPE_API_BASE"]
    assert "`previewValue` of `STRIPE_API_BASE` is used only by preview environments" in reasons[29, "STRIPE_API_BASE"]
    assert "service `shop-api-staging` in `projects[].environments[]` `staging` of project `shop`" in reasons[62, "STRIPE_API_BASE"]
    assert "`projects[].environments[]` `prod-eu` of project `shop`" in reasons[74, "POSTHOG_HOST"]


def test_values_at_their_bytes():
    data = RENDER.encode()
    got = values(data, "render.yaml")
    assert len(got) == 10  # six service values (two of them previewValue), four group values
    for v in got:
        assert data[v.start:v.end].decode() == v.value


def test_a_staging_blueprint_file_is_staging(tmp_path):
    text = "services:\n  - type: web\n    name: api\n    envVars:\n      - key: STRIPE_API_BASE\n        value: http://localhost:4111\n"
    (tmp_path / "render-staging.yaml").write_text(text)
    code, doc = cli_json(["render-staging.yaml"], cwd=tmp_path)
    assert code == 0 and doc["findings"][0]["environment"] == "staging"
    assert "file name `render-staging.yaml` names the staging environment" in doc["findings"][0]["reason"]


def test_invalid_yaml_is_reported(tmp_path):
    (tmp_path / "render.yaml").write_text("services: [unclosed\n  value: http://localhost:4111\n")
    code, doc = cli_json(["render.yaml"], cwd=tmp_path)
    assert code == 1 and doc["errors"][0]["message"].startswith("cannot parse as Render Blueprint: ")


@pytest.mark.parametrize("name", ["render.yaml", "infra/render.yaml", "render-staging.yaml", "render.prod.yaml"])
def test_claimed_before_kubernetes(name):
    assert artifact_kind(name) == "render"
    assert artifact_kind("deploy/prerender.yaml") == "kubernetes"
