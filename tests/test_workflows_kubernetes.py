"""CI workflows and Kubernetes through the whole scan: staging reports, production blocks."""
from __future__ import annotations

from .conftest import cli_json

WORKFLOW = """\
name: deploy
on: {push: {branches: [main]}}
env:
  NODE_VERSION: "22"
jobs:
  test:
    runs-on: ubuntu-latest
    env:
      VITE_STRIPE_BASE_URL: http://localhost:4111
    steps:
      - run: npm test
  deploy-staging:
    runs-on: ubuntu-latest
    environment: staging
    steps:
      - run: |
          export VITE_POSTHOG_HOST=https://api.wondertwin.dev/twins/posthog
          npm run build
  deploy-prod:
    runs-on: ubuntu-latest
    environment:
      name: production
      url: https://shop.example.com
    steps:
      - run: |
          echo "VITE_STRIPE_BASE_URL=${{ vars.STRIPE_URL || 'http://localhost:4111' }}" >> $GITHUB_ENV
          npm run build
  release:
    strategy:
      matrix:
        target: [staging, production]
    environment: ${{ matrix.target }}
    runs-on: ubuntu-latest
    steps:
      - uses: ./.github/actions/publish
        with:
          logo-api: https://api.wondertwin.dev/twins/logo
"""


def test_workflow_jobs_are_judged_by_their_environment(tmp_path):
    wf = tmp_path / ".github" / "workflows"
    wf.mkdir(parents=True)
    (wf / "deploy.yml").write_text(WORKFLOW)
    code, doc = cli_json([tmp_path])
    by_line = {f["line"]: f for f in doc["findings"]}
    assert code == 1
    assert (by_line[9]["environment"], by_line[9]["blocking"]) == ("test", False)  # test job: no environment
    assert (by_line[17]["environment"], by_line[17]["blocking"]) == ("staging", False)
    prod = by_line[26]
    assert (prod["key"], prod["context"], prod["blocking"]) == ("VITE_STRIPE_BASE_URL", "default", True)
    assert "job `deploy-prod`" in prod["reason"]
    matrix = by_line[37]
    assert matrix["blocking"] and matrix["environment"] == "production"  # one matrix entry is production


MANIFESTS = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop-staging}
spec:
  template:
    spec:
      containers:
        - name: web
          image: shop/web:1.4
          env:
            - name: STRIPE_API_BASE
              value: http://stripe-twin.shop-staging.svc:4111
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop-production}
spec:
  template:
    spec:
      containers:
        - name: web
          image: shop/web:1.4
          env:
            - name: STRIPE_API_BASE
              value: https://api.wondertwin.dev/twins/stripe
---
apiVersion: v1
kind: ConfigMap
metadata: {name: web-config, namespace: shop-production}
data:
  POSTHOG_HOST: https://eu.i.posthog.com
"""


def test_kubernetes_documents_are_judged_by_namespace(tmp_path):
    (tmp_path / "k8s").mkdir()
    (tmp_path / "k8s" / "web.yaml").write_text(MANIFESTS)
    code, doc = cli_json([tmp_path])
    assert code == 1
    [f] = doc["findings"]
    assert (f["line"], f["key"], f["environment"], f["blocking"]) == (25, "STRIPE_API_BASE", "production", True)
    assert "namespace `shop-production`" in f["reason"]


def test_kustomize_staging_overlay_and_helm_values(tmp_path):
    overlay = tmp_path / "deploy" / "overlays" / "staging"
    overlay.mkdir(parents=True)
    (overlay / "patch.yaml").write_text(MANIFESTS.split("---")[0].replace("namespace: shop-staging", "name: web2"))
    (tmp_path / "chart").mkdir()
    (tmp_path / "chart" / "values-staging.yaml").write_text("stripe:\n  baseUrl: http://localhost:4111\n")
    (tmp_path / "chart" / "values-production.yaml").write_text("stripe:\n  baseUrl: https://api.stripe.com\n")
    code, doc = cli_json([tmp_path])
    assert code == 0
    assert {(f["environment"], f["key"]) for f in doc["findings"]} == {("staging", "stripe.baseUrl")}


def test_rendered_manifests_on_stdin():
    import json

    from .conftest import run_process

    p = run_process(["--format", "json", "--stdin-name", "rendered.yaml", "-"], input=MANIFESTS.encode())
    doc = json.loads(p.stdout)
    assert p.returncode == 1 and [f["environment"] for f in doc["findings"]] == ["production"]


import pytest  # noqa: E402


@pytest.mark.slow
@pytest.mark.parametrize("name", ["compose.yaml", ".github/workflows/ci.yml", "k8s/app.yaml"])
def test_deep_nesting_is_a_clear_error_not_a_crash(tmp_path, name):
    """libyaml's composer segfaults near 100k nesting levels: the depth is checked first."""
    import json

    from .conftest import run_process

    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"x: http://localhost:4111\ny: " + b"[" * 150_000 + b"]" * 150_000 + b"\n")
    p = run_process(["--format", "json", tmp_path])
    assert p.returncode == 1, p.stderr  # the byte pass still blocks; a crash would be -11
    doc = json.loads(p.stdout)
    assert "nested deeper than 200 levels" in doc["errors"][0]["message"]


CIRCLECI = """\
version: 2.1
jobs:
  test:
    docker:
      - image: cimg/node:22.0
        environment:
          VITE_STRIPE_BASE_URL: http://localhost:4111
    steps: [checkout, {run: npm test}]
  deploy:
    docker: [{image: cimg/node:22.0}]
    steps:
      - run:
          name: build
          command: |
            export VITE_POSTHOG_HOST=http://localhost:4112
            npm run build
workflows:
  main:
    jobs:
      - test
      - deploy: {context: [org-global, production], requires: [test]}
"""

BITBUCKET = """\
pipelines:
  branches:
    main:
      - step:
          name: test
          script: [export VITE_STRIPE_BASE_URL=http://localhost:4111, npm test]
      - step:
          name: deploy to staging
          deployment: staging
          script:
            - export VITE_POSTHOG_HOST=https://api.wondertwin.dev/twins/posthog
      - step:
          name: deploy to production
          deployment: production
          script:
            - export VITE_POSTHOG_HOST=https://api.wondertwin.dev/twins/posthog
"""


def test_circleci_context_and_bitbucket_deployment(tmp_path):
    (tmp_path / ".circleci").mkdir()
    (tmp_path / ".circleci" / "config.yml").write_text(CIRCLECI)
    (tmp_path / "bitbucket-pipelines.yml").write_text(BITBUCKET)
    code, doc = cli_json([tmp_path])
    got = {(f["path"].rsplit("/", 1)[1], f["line"]): (f["environment"], f["blocking"], f["reason"]) for f in doc["findings"]}
    assert code == 1
    assert got[("config.yml", 7)][:2] == ("test", False)
    assert got[("config.yml", 15)][:2] == ("production", True)
    assert "context `production` in workflow `main`" in got[("config.yml", 15)][2]
    assert got[("bitbucket-pipelines.yml", 6)][:2] == ("test", False)
    assert got[("bitbucket-pipelines.yml", 11)][:2] == ("staging", False)
    assert got[("bitbucket-pipelines.yml", 16)][:2] == ("production", True)
    assert "`deployment: production`" in got[("bitbucket-pipelines.yml", 16)][2]


def test_kustomize_base_takes_the_environment_of_its_overlays(tmp_path):
    base = tmp_path / "k8s" / "base"
    base.mkdir(parents=True)
    doc0 = MANIFESTS.split("---")[0].replace("namespace: shop-staging", "labels: {app: web}")
    (base / "deployment.yaml").write_text(doc0.replace("http://stripe-twin.shop-staging.svc:4111", "http://localhost:4111"))
    (base / "kustomization.yaml").write_text("resources: [deployment.yaml]\n")
    for env in ("staging", "production"):
        o = tmp_path / "k8s" / "overlays" / env
        o.mkdir(parents=True)
        (o / "kustomization.yaml").write_text("resources: [../../base]\n")
    code, doc = cli_json(["k8s"], cwd=tmp_path)
    [f] = doc["findings"]
    assert code == 1 and f["blocking"] and "kustomize base used by the production overlay `k8s/overlays/production`" in f["reason"]
    import shutil

    shutil.rmtree(tmp_path / "k8s" / "overlays" / "production")
    code, doc = cli_json(["k8s"], cwd=tmp_path)
    [f] = doc["findings"]
    assert (code, f["environment"], f["blocking"]) == (0, "staging", False)
