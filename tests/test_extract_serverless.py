"""Serverless Framework: provider and function environments, stages, `params.<stage>` and `${param:…}`."""
from __future__ import annotations

import pytest

from twinscan.classify import artifact_kind
from twinscan.extract.serverless import values

from .conftest import cli_json

# From the Serverless Framework docs: "Parameters" (params per stage, default) and
# "Environment variables" (provider.environment, functions.<f>.environment).
SERVERLESS = """\
service: shop-checkout
frameworkVersion: '4'

provider:
  name: aws
  runtime: nodejs20.x
  region: eu-west-1
  stage: ${opt:stage, 'dev'}
  environment:
    STRIPE_API_BASE: ${param:stripeBase}
    POSTHOG_HOST: http://localhost:4115
    LOG_LEVEL: info

params:
  default:
    stripeBase: http://localhost:4111
    twilioBase: http://localhost:4116
  prod:
    stripeBase: https://api.stripe.com
  staging:
    stripeBase: https://api.wondertwin.dev/twins/stripe

functions:
  checkout:
    handler: src/checkout.handler
    environment:
      SENDGRID_API_BASE: https://api.sendgrid.com
      TWILIO_API_BASE: ${param:twilioBase}
    events:
      - httpApi: 'POST /checkout'
"""


def test_values_with_their_stage():
    data = SERVERLESS.encode()
    got = [(v.key, v.value, v.environment) for v in values(data, "serverless.yml")]
    assert ("POSTHOG_HOST", "http://localhost:4115", "production") in got
    assert ("STRIPE_API_BASE", "https://api.stripe.com", "production") in got
    assert ("STRIPE_API_BASE", "https://api.wondertwin.dev/twins/stripe", "staging") in got
    assert ("STRIPE_API_BASE", "http://localhost:4111", "nonprod") in got  # params.prod overrides the default
    assert ("TWILIO_API_BASE", "http://localhost:4116", "production") in got  # no stage overrides it
    for v in values(data, "serverless.yml"):
        assert data[v.start:v.end].decode() == v.value


@pytest.mark.parametrize("stage,path,env", [("dev", "serverless.yml", "development"),
                                            ("${opt:stage}", "serverless.staging.yml", "staging"),
                                            ("${opt:stage}", "serverless.yml", "production")])
def test_provider_stage_and_file_name(stage, path, env):
    data = SERVERLESS.replace("${opt:stage, 'dev'}", stage).encode()
    assert next(v for v in values(data, path) if v.key == "POSTHOG_HOST").environment == env


@pytest.mark.parametrize("path", ["serverless.yml", "api/serverless.yaml", "serverless.staging.yml"])
def test_claimed(path):
    assert artifact_kind(path) == "serverless"


def test_production_stage_blocks_other_stages_report(tmp_path):
    (tmp_path / "serverless.yml").write_text(SERVERLESS)
    code, doc = cli_json(["serverless.yml"], cwd=tmp_path)
    assert code == 1
    got = {f["url"]: f for f in doc["findings"]}
    assert sorted(u for u, f in got.items() if f["blocking"]) == ["http://localhost:4115", "http://localhost:4116"]
    assert "`provider.environment`" in got["http://localhost:4115"]["reason"]
    assert "`params.default.twilioBase`, used by every stage" in got["http://localhost:4116"]["reason"]
    assert got["http://localhost:4116"]["key"] == "TWILIO_API_BASE"
    staging = got["https://api.wondertwin.dev/twins/stripe"]
    assert (staging["environment"], staging["blocking"]) == ("staging", False)
    assert "stage parameter `params.staging.stripeBase`" in staging["reason"] and staging["key"] == "STRIPE_API_BASE"
    assert "which every production stage (prod) overrides" in got["http://localhost:4111"]["reason"]
