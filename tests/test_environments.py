"""One environment-name normaliser (twinscan/environments.py, rules/environments.yaml) for every kind."""
from __future__ import annotations

import pytest
import yaml

from twinscan import environments
from twinscan.classify import Classifier
from twinscan.extract.kubernetes import namespace_env

from .conftest import cli_json

PRODUCTION = ["prod", "prd", "production", "prod-eu", "eu-prod-1", "production-us-east-1", "live", "github-pages",
              "Prod", "PRODUCTION"]
NOT_PRODUCTION = ["staging", "stg", "api-staging", "preprod", "pre-prod", "nonprod", "non-prod", "preview", "review",
                  "dev", "test", "ci"]


@pytest.mark.parametrize("name", PRODUCTION)
def test_production_spellings(name):
    assert environments.normalise(name) == "production"
    assert environments.is_production(name) and Classifier().is_production(Classifier.normalise(name))


@pytest.mark.parametrize("name", NOT_PRODUCTION)
def test_non_production_spellings(name):
    assert environments.normalise(name) != "production"
    assert not environments.is_production(name) and not Classifier().is_production(Classifier.normalise(name))


@pytest.mark.parametrize("name,env", [
    ("stg", "staging"), ("api-staging", "staging"), ("pre-prod", "preprod"), ("non-prod", "nonprod"),
    ("dev", "development"), ("ci", "test"), ("preview", "preview"), ("customer-a", "customer-a"),
    ("products", "products"),  # only whole parts count
])
def test_normalised_names(name, env):
    assert environments.normalise(name) == env


def test_configured_production_names_block():
    """`production_environments` in config: user names block, spelled any way the table knows."""
    c = Classifier(production_environments=["production", "customer-a"])
    assert c.is_production("customer-a") and c.is_production(c.normalise("Customer-A"))
    assert c.is_production(c.normalise("prod-eu")) and not c.is_production(c.normalise("staging"))
    only_staging = Classifier(production_environments=["staging"])
    assert only_staging.is_production("staging") and not only_staging.is_production("production")


def test_every_kind_uses_the_same_table():
    """The namespace check, file names and config globs agree with the workflow normaliser."""
    assert namespace_env("shop-eu-prod-1") == "production" and namespace_env("api-staging") == "staging"
    assert namespace_env("kube-system") is None
    assert Classifier().classify("app/.env.prod-eu").environment == "production"
    assert Classifier().classify("app/.env.pre-prod").production is False
    c = Classifier.from_globs({"deploy/eu/**": "eu-prod-1"})
    assert c.classify("deploy/eu/app.js").production


def test_the_table_is_yaml_and_reads_the_same_without_pyyaml():
    with open(environments._rules_file(), encoding="utf-8") as f:
        text = f.read()
    assert environments.load(text) == yaml.safe_load(text)


WORKFLOW = """\
name: deploy
on: push
jobs:
  deploy:
    runs-on: ubuntu-latest
    environment: {env}
    steps:
      - run: npm run build
        env:
          VITE_STRIPE_BASE_URL: http://localhost:4111
"""


@pytest.mark.parametrize("env,blocks", [("prod-eu", True), ("github-pages", True), ("pre-prod", False),
                                        ("eu-prod-1", True), ("api-staging", False)])
def test_workflow_job_environment(tmp_path, env, blocks):
    wf = tmp_path / ".github" / "workflows"
    wf.mkdir(parents=True)
    (wf / "deploy.yml").write_text(WORKFLOW.format(env=env))
    code, doc = cli_json([".github/workflows/deploy.yml"], cwd=tmp_path)
    [f] = doc["findings"]
    assert (code, f["blocking"]) == ((1, True) if blocks else (0, False))
    assert f"`environment: {env}`" in f["reason"]


@pytest.mark.parametrize("overlay,blocks", [("prod-eu", True), ("eu-prod-1", True), ("pre-prod", False)])
def test_kustomize_overlay_names_its_base(tmp_path, overlay, blocks):
    base = tmp_path / "k8s" / "base"
    base.mkdir(parents=True)
    (base / "configmap.yaml").write_text("kind: ConfigMap\nmetadata: {name: web}\ndata:\n"
                                         "  STRIPE_API_BASE: http://localhost:4111\n")
    (base / "kustomization.yaml").write_text("resources: [configmap.yaml]\n")
    o = tmp_path / "k8s" / "overlays" / overlay
    o.mkdir(parents=True)
    (o / "kustomization.yaml").write_text("resources: [../../base]\n")
    code, doc = cli_json(["k8s"], cwd=tmp_path)
    [f] = doc["findings"]
    assert (code, f["blocking"]) == ((1, True) if blocks else (0, False))
    assert f"kustomize base used by the {environments.normalise(overlay)} overlay `k8s/overlays/{overlay}`" in f["reason"]


def test_preview_and_review_spellings_are_not_production_but_a_page_route_named_so_is(tmp_path):
    from twinscan.classify import Classifier

    for name in ("preview", "deploy-preview", "pr-preview", "review", "review-app", "review/feature-x"):
        env = environments.normalise(name)
        assert env in ("preview", "review") and not environments.is_production(env), name
    c = Classifier()
    assert not c.classify("config.preview.json").production
    assert c.classify(".next/server/pages/review.json").production  # a page route, not an environment
