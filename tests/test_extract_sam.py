"""AWS SAM templates: claimed by content, Globals and per-function variables, `!If` on a plain condition."""
from __future__ import annotations

import pytest

from twinscan.classify import Classifier, artifact_kind
from twinscan.extract.sam import values

from .conftest import cli_json

# From the SAM specification (Globals, AWS::Serverless::Function Environment) and the
# CloudFormation condition functions (Fn::Equals, Fn::If).
TEMPLATE = """\
AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Description: shop checkout API

Parameters:
  Stage:
    Type: String
    AllowedValues: [dev, staging, prod]
    Default: prod

Conditions:
  IsProd: !Equals [!Ref Stage, prod]
  IsDev:
    Fn::Equals: [dev, !Ref Stage]

Globals:
  Function:
    Runtime: nodejs20.x
    Timeout: 10
    Environment:
      Variables:
        STRIPE_API_BASE: http://localhost:4111
        LOG_LEVEL: info

Resources:
  CheckoutFunction:
    Type: AWS::Serverless::Function
    Properties:
      Handler: src/checkout.handler
      Environment:
        Variables:
          POSTHOG_HOST: !If [IsProd, "https://api.wondertwin.dev/twins/posthog", "http://twins:4115"]
          TWILIO_API_BASE: !If
            - IsDev
            - http://localhost:4116
            - https://api.twilio.com
          SENTRY_DSN: !Sub "https://key@o1.ingest.sentry.io/${Stage}"
  WebhookFunction:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python3.12
      Environment:
        Variables:
          # SENDGRID_API_BASE: http://localhost:4117
          SENDGRID_API_BASE: https://api.sendgrid.com
"""


def test_sections_and_branches():
    data = TEMPLATE.encode()
    got = {(v.key, v.value): v for v in values(data, "template.yaml")}
    v = got[("STRIPE_API_BASE", "http://localhost:4111")]
    assert data[v.start:v.end] == b"http://localhost:4111" and v.environment == "production"
    assert "`Globals.Function.Environment.Variables`" in v.reason
    prod = got[("POSTHOG_HOST", "https://api.wondertwin.dev/twins/posthog")]
    other = got[("POSTHOG_HOST", "http://twins:4115")]
    assert (prod.environment, other.environment) == ("production", "nonprod")
    assert prod.reason == "`!If [IsProd, …]` branch taken when Stage = prod"
    assert got[("TWILIO_API_BASE", "http://localhost:4116")].environment == "development"
    assert got[("TWILIO_API_BASE", "https://api.twilio.com")].environment == "production"
    assert "function `WebhookFunction`" in got[("SENDGRID_API_BASE", "https://api.sendgrid.com")].reason


@pytest.mark.parametrize("head,kind", [(TEMPLATE, "sam"), ("Transform: AWS::Serverless-2016-10-31\n", "sam"),
                                       ("name: my-template\nitems: []\n", "kubernetes")])
def test_template_yaml_is_sam_only_by_content(head, kind):
    assert artifact_kind("template.yaml", lambda: head.encode()) == kind


def test_production_twins_block_with_the_section(tmp_path):
    (tmp_path / "template.yaml").write_text(TEMPLATE)
    code, doc = cli_json(["template.yaml"], cwd=tmp_path)
    assert code == 1
    got = {(f["key"], f["url"]): f for f in doc["findings"]}
    stripe = got[("STRIPE_API_BASE", "http://localhost:4111")]
    assert stripe["blocking"] and stripe["environment"] == "production"
    assert "SAM template `Globals.Function.Environment.Variables`" in stripe["reason"]
    posthog = got[("POSTHOG_HOST", "https://api.wondertwin.dev/twins/posthog")]
    assert posthog["blocking"] and "`!If [IsProd, …]` branch taken when Stage = prod" in posthog["reason"]
    assert not got[("POSTHOG_HOST", "http://twins:4115")]["blocking"]
    assert not got[("TWILIO_API_BASE", "http://localhost:4116")]["blocking"]
    comment = [f for f in doc["findings"] if f["url"] == "http://localhost:4117"]
    assert comment and not comment[0]["blocking"]
    assert sorted(k for (k, _), f in got.items() if f["blocking"]) == ["POSTHOG_HOST", "STRIPE_API_BASE"]


def test_a_staging_directory_names_the_template_environment(tmp_path):
    (tmp_path / "staging").mkdir()
    (tmp_path / "staging" / "template.yaml").write_text(TEMPLATE)
    code, doc = cli_json(["staging/template.yaml"], cwd=tmp_path)
    stripe = next(f for f in doc["findings"] if f["key"] == "STRIPE_API_BASE")
    assert not stripe["blocking"] and stripe["environment"] == "staging" and "directory `staging/`" in stripe["reason"]
    # the IsProd branch is still production: the template deploys it when Stage = prod
    assert code == 1


def test_a_plain_template_yaml_is_not_taken_for_sam():
    c = Classifier()
    assert c.classify("template.yaml", lambda: b"kind: ConfigMap\n").kind == "kubernetes"


def test_an_alias_bomb_in_a_variable_is_an_extract_error():
    from twinscan.extract.values import ExtractError

    levels = "".join(f"  l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 10)}]\n" for i in range(1, 9))
    data = (f"Transform: AWS::Serverless-2016-10-31\nX:\n  l0: &l0 [http://localhost:4111]\n{levels}"
            "Globals:\n  Function:\n    Environment:\n      Variables:\n        BOMB: *l8\n").encode()
    with pytest.raises(ExtractError, match="alias bomb"):
        values(data, "template.yaml")
