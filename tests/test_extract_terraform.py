"""Terraform: `*.tfvars` and Lambda `environment { variables = … }`, environment from the layout or file name."""
from __future__ import annotations

import pytest

from twinscan.classify import artifact_kind
from twinscan.extract.terraform import values
from twinscan.extract.values import ExtractError

from .conftest import cli_json

# The aws_lambda_function resource of the AWS provider docs (environment { variables = {…} }).
MAIN_TF = """\
terraform {
  required_providers {
    aws = { source = "hashicorp/aws", version = "~> 5.0" }
  }
}

resource "aws_lambda_function" "checkout" {
  function_name = "shop-checkout-${var.stage}"
  role          = aws_iam_role.lambda.arn
  handler       = "index.handler"
  runtime       = "nodejs20.x"
  filename      = "build/checkout.zip"

  environment {
    variables = {
      STRIPE_API_BASE = "http://localhost:4111"
      "POSTHOG_HOST"  = "https://eu.i.posthog.com"
      # TWILIO_API_BASE = "http://localhost:4116"
      GREETING        = "caf\\u00e9 \\"x\\""
      SENTRY_DSN      = "https://${var.sentry_key}@o1.ingest.sentry.io/1"
      BUILD_TAG       = var.build_tag
    }
  }
}
"""

TFVARS = """\
stage       = "%s"
stripe_base = "http://localhost:4111"
endpoints = {
  posthog = "https://api.wondertwin.dev/twins/posthog"
  regions = ["eu-west-1", "http://twins:4115"]
}
banner = <<-EOT
  welcome
  EOT
"""


def test_lambda_environment_variables_at_their_bytes():
    data = MAIN_TF.encode()
    got = {v.key: v for v in values(data, "infra/main.tf")}
    assert sorted(got) == ["GREETING", "POSTHOG_HOST", "SENTRY_DSN", "STRIPE_API_BASE"]
    assert got["GREETING"].value == 'café "x"'
    assert got["SENTRY_DSN"].value == "https://${var.sentry_key}@o1.ingest.sentry.io/1"
    v = got["STRIPE_API_BASE"]
    assert data[v.start:v.end] == b"http://localhost:4111" and v.environment == "production"
    assert v.reason.startswith("`aws_lambda_function.checkout` `environment.variables`: no environment directory")


def test_tfvars_keys_and_maps():
    data = (TFVARS % "prod").encode()
    got = {v.key: v for v in values(data, "terraform.tfvars")}
    assert sorted(got) == ["banner", "endpoints.posthog", "endpoints.regions[0]", "endpoints.regions[1]", "stage",
                           "stripe_base"]
    for v in got.values():
        assert data[v.start:v.end].decode() == v.value or v.key == "banner"
    assert got["banner"].value.strip() == "welcome"


@pytest.mark.parametrize("path,env,why", [
    ("environments/staging/terraform.tfvars", "staging", "directory `environments/staging/`"),
    ("envs/prod/main.tf", "production", "directory `envs/prod/`"),
    ("infra/prod.tfvars", "production", "file name `prod.tfvars`"),
    ("infra/staging.auto.tfvars", "staging", "file name `staging.auto.tfvars`"),
    ("live/dev/terraform.tfvars", "development", "directory `live/dev/`"),
])
def test_environment_from_layout_and_file_name(path, env, why):
    text = MAIN_TF if path.endswith(".tf") else TFVARS % "x"
    v = next(v for v in values(text.encode(), path) if v.value.startswith("http"))
    assert v.environment == env and why in v.reason


def test_invalid_hcl_is_an_extract_error():
    with pytest.raises(ExtractError, match=r"^line 2: invalid HCL$"):
        values(b'a = "x"\nb = "unterminated\n', "terraform.tfvars")


@pytest.mark.parametrize("path", ["main.tf", "environments/prod/terraform.tfvars", "staging.auto.tfvars"])
def test_claimed(path):
    assert artifact_kind(path) == "terraform"


def test_production_root_blocks_staging_root_reports(tmp_path):
    for d in ("environments/prod", "environments/staging"):
        (tmp_path / d).mkdir(parents=True)
        (tmp_path / d / "main.tf").write_text(MAIN_TF)
        (tmp_path / d / "terraform.tfvars").write_text(TFVARS % d.split("/")[1])
    code, doc = cli_json(["environments"], cwd=tmp_path)
    assert code == 1
    blocking = sorted((f["path"], f["key"]) for f in doc["findings"] if f["blocking"])
    assert blocking == [("environments/prod/main.tf", "STRIPE_API_BASE"),
                        ("environments/prod/terraform.tfvars", "endpoints.posthog"),
                        ("environments/prod/terraform.tfvars", "endpoints.regions[1]"),
                        ("environments/prod/terraform.tfvars", "stripe_base")]
    staging = [f for f in doc["findings"] if f["path"].startswith("environments/staging/") and f["context"] != "comment"]
    assert len(staging) == 4 and {f["environment"] for f in staging} == {"staging"}
    assert all("directory `environments/staging/`" in f["reason"] for f in staging)


def test_unparsable_production_tfvars_is_reported(tmp_path):
    (tmp_path / "prod.tfvars").write_text('stripe_base = "http://localhost:4111\n')
    code, doc = cli_json(["prod.tfvars"], cwd=tmp_path)
    assert code == 1 and doc["findings"][0]["blocking"]
    assert doc["errors"][0]["message"].startswith("cannot parse as Terraform (HCL): line 1: invalid HCL")
