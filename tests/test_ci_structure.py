"""CI structure (issue 12): each line of a job is judged by its job, and the jobs that build what
production deploys are production.

Through the CLI on realistic files: GitHub's starter workflows (`actions/starter-workflows@1035244`
`deployments/azure-webapps-node.yml` and `google-cloudrun-docker.yml`, verbatim but for the planted
twins and the `main` branch), a GitLab pipeline with build/test/deploy stages and a CircleCI config
with workspaces and contexts (tests/data/ci/), and the repository fixture's `ci-deploy.yml`.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from .conftest import ROOT, cli_json

DATA = Path(__file__).parent / "data" / "ci"


def _repo(tmp_path: Path, files: dict[str, str]) -> Path:
    (tmp_path / ".git").mkdir(parents=True)
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    return tmp_path


def _scan(root: Path) -> tuple[int, list[dict]]:
    code, doc = cli_json(["."], cwd=root)
    return code, doc["findings"]


def _at(findings: list[dict], path: str, line: int) -> dict:
    found = [f for f in findings if f["path"].endswith(path) and f["line"] == line]
    assert len(found) == 1, (path, line, [(f["path"], f["line"]) for f in findings])
    return found[0]


# -- a line of a job is judged by its job ---------------------------------------------------------
def test_run_line_of_a_test_job_is_judged_by_the_job_not_the_file(tmp_path):
    """The repository fixture's workflow (after starter-workflows' node.js.yml + azure-webapps-node.yml):
    the test job's `curl` against its twin service container is reported, the deploy job's leak blocks."""
    root = _repo(tmp_path, {})
    dest = root / ".github" / "workflows"
    dest.mkdir(parents=True)
    shutil.copy(ROOT / "fixtures/repos/overlay/.github/workflows/ci-deploy.yml", dest)
    code, findings = _scan(root)
    assert code == 1
    curl = _at(findings, "ci-deploy.yml", 39)
    assert curl["url"] == "http://localhost:4111/health"
    assert not curl["blocking"] and curl["environment"] == "test"
    assert "job `test` has no `environment:`" in curl["reason"]
    leak = _at(findings, "ci-deploy.yml", 55)
    assert leak["blocking"] and leak["key"] == "VITE_STRIPE_BASE_URL"
    assert [f["line"] for f in findings if f["blocking"]] == [55]


@pytest.mark.parametrize("name,text,line", [
    (".gitlab-ci.yml", """\
test:
  stage: test
  services: [{name: "ghcr.io/wondertwin/stripe:1.4.0", alias: stripe}]
  script:
    - curl --retry 5 --fail http://localhost:4111/health
    - npm test
""", 5),
    (".circleci/config.yml", """\
version: 2.1
jobs:
  test:
    docker:
      - image: cimg/node:22.11
      - image: ghcr.io/wondertwin/stripe:1.4.0
    steps:
      - checkout
      - run:
          name: Wait for the twin
          command: |
            curl --retry 5 --fail http://localhost:4111/health
            npm test
workflows:
  ci:
    jobs: [test]
""", 12),
])
def test_script_lines_of_gitlab_and_circleci_test_jobs(tmp_path, name, text, line):
    code, findings = _scan(_repo(tmp_path, {name: text}))
    assert code == 0
    f = _at(findings, name, line)
    assert not f["blocking"] and f["environment"] == "test"


def test_a_script_line_of_a_production_job_still_blocks_and_comments_are_comments(tmp_path):
    wf = """\
on: push
jobs:
  deploy:
    runs-on: ubuntu-latest
    environment: production
    steps:
      - run: |
          # the twin was http://localhost:4111 in development
          curl -X POST http://localhost:4111/v1/charges
"""
    code, findings = _scan(_repo(tmp_path, {".github/workflows/deploy.yml": wf}))
    assert code == 1
    comment, call = _at(findings, "deploy.yml", 8), _at(findings, "deploy.yml", 9)
    assert call["blocking"] and call["environment"] == "production"
    assert comment["context"] == "comment" and not comment["blocking"]


# -- matrix entries -------------------------------------------------------------------------------
def test_matrix_include_entry_for_staging_is_judged_by_its_entry(tmp_path):
    wf = """\
on: push
jobs:
  deploy:
    runs-on: ubuntu-latest
    environment: ${{ matrix.environment }}
    strategy:
      matrix:
        include:
          - environment: staging
            api_url: https://api.wondertwin.dev/twins/stripe
          - environment: production
            api_url: http://localhost:4111
    env:
      VITE_STRIPE_BASE_URL: ${{ matrix.api_url }}
    steps:
      - run: npm ci && npm run build
"""
    code, findings = _scan(_repo(tmp_path, {".github/workflows/deploy.yml": wf}))
    assert code == 1
    staging, prod = _at(findings, "deploy.yml", 10), _at(findings, "deploy.yml", 12)
    assert not staging["blocking"] and staging["environment"] == "staging"
    assert "`include` entry 1" in staging["reason"]
    assert staging["key"] == "VITE_STRIPE_BASE_URL"  # the variable the job sets from the entry
    assert prod["blocking"] and prod["environment"] == "production"


def test_staging_only_matrix_passes(tmp_path):
    wf = """\
on: push
jobs:
  deploy:
    runs-on: ubuntu-latest
    environment: ${{ matrix.target.env }}
    strategy:
      matrix:
        target:
          - {env: staging, url: "http://localhost:4111"}
          - {env: production, url: "https://api.stripe.com"}
    env:
      STRIPE_API_BASE: ${{ matrix.target.url }}
    steps:
      - run: ./deploy.sh
"""
    code, findings = _scan(_repo(tmp_path, {".github/workflows/deploy.yml": wf}))
    assert code == 0
    f = _at(findings, "deploy.yml", 9)
    assert f["environment"] == "staging" and f["key"] == "STRIPE_API_BASE"


# -- the jobs that build what production deploys --------------------------------------------------
def test_azure_webapps_starter_build_job_feeding_production_blocks(tmp_path):
    """starter-workflows azure-webapps-node.yml: `build` uploads `node-app`, `deploy` (Production)
    needs it and downloads it; the build job's twin ships."""
    root = _repo(tmp_path, {".github/workflows/azure-webapps-node.yml": (DATA / "azure-webapps-node.yml").read_text()})
    code, findings = _scan(root)
    assert code == 1
    f = _at(findings, "azure-webapps-node.yml", 47)
    assert f["blocking"] and f["environment"] == "production" and f["key"] == "VITE_STRIPE_BASE_URL"
    assert "job `build` declares no environment but builds the artifact `node-app` that job `deploy` deploys" \
        in f["reason"]


def test_azure_webapps_starter_with_a_development_deploy_is_development(tmp_path):
    text = (DATA / "azure-webapps-node.yml").read_text().replace("name: 'Production'", "name: 'Development'")
    code, findings = _scan(_repo(tmp_path, {".github/workflows/azure-webapps-node.yml": text}))
    assert code == 0
    assert _at(findings, "azure-webapps-node.yml", 47)["environment"] == "development"


def test_a_job_that_needs_the_build_but_downloads_another_artifact_does_not_make_it_production(tmp_path):
    text = (DATA / "azure-webapps-node.yml").read_text().replace("name: node-app", "name: coverage", 1)
    code, findings = _scan(_repo(tmp_path, {".github/workflows/azure-webapps-node.yml": text}))
    assert code == 0
    assert _at(findings, "azure-webapps-node.yml", 47)["environment"] == "test"


def test_cloudrun_starter_deploy_action_and_its_env_vars(tmp_path):
    """starter-workflows google-cloudrun-docker.yml: one job without `environment:` that deploys
    with google-github-actions/deploy-cloudrun is production; `env_vars` are values of the deploy."""
    root = _repo(tmp_path, {".github/workflows/cloudrun.yml": (DATA / "google-cloudrun-docker.yml").read_text()})
    code, findings = _scan(root)
    assert code == 1
    build_arg = _at(findings, "cloudrun.yml", 78)
    assert build_arg["blocking"] and build_arg["key"] == "VITE_POSTHOG_HOST"
    assert "uses `google-github-actions/deploy-cloudrun`" in build_arg["reason"]
    setting = _at(findings, "cloudrun.yml", 92)
    assert setting["blocking"] and setting["key"] == "STRIPE_API_BASE"


def test_cloudrun_starter_for_a_staging_service_is_staging(tmp_path):
    text = (DATA / "google-cloudrun-docker.yml").read_text().replace("SERVICE: 'my-service'",
                                                                   "SERVICE: 'my-service-staging'")
    code, findings = _scan(_repo(tmp_path, {".github/workflows/cloudrun.yml": text}))
    assert code == 0
    f = _at(findings, "cloudrun.yml", 92)
    assert f["environment"] == "staging" and "service: my-service-staging" in f["reason"]


def test_gitlab_pipeline_build_stage_feeds_the_production_deploy(tmp_path):
    root = _repo(tmp_path, {".gitlab-ci.yml": (DATA / "gitlab-ci.yml").read_text()})
    code, findings = _scan(root)
    assert code == 1
    build = _at(findings, ".gitlab-ci.yml", 19)
    assert build["blocking"] and build["key"] == "VITE_STRIPE_BASE_URL"
    assert "job `build-job` declares no environment but builds its artifacts (dist/) that job `deploy-prod`" \
        in build["reason"] and "runs `netlify deploy` (`--prod`)" in build["reason"]
    for line in (31, 33):  # the test job's twin service and its health check
        f = _at(findings, ".gitlab-ci.yml", line)
        assert not f["blocking"] and f["environment"] == "test"
    assert [f["line"] for f in findings if f["blocking"]] == [19]


def test_gitlab_dependencies_and_needs_choose_what_is_passed_on(tmp_path):
    text = (DATA / "gitlab-ci.yml").read_text().replace(
        "    - npx netlify deploy --prod --dir=dist\n", "    - npx netlify deploy --prod --dir=dist\n  dependencies: []\n")
    code, findings = _scan(_repo(tmp_path, {".gitlab-ci.yml": text}))
    build = _at(findings, ".gitlab-ci.yml", 19)  # still handed to the review deploy, by stage order
    assert code == 0 and not build["blocking"] and "job `deploy-review`" in build["reason"]
    text = text.replace("  dependencies: []\n", "  needs: [build-job]\n")
    code, findings = _scan(_repo(tmp_path / "needs", {".gitlab-ci.yml": text}))
    assert code == 1 and _at(findings, ".gitlab-ci.yml", 19)["blocking"]


def test_circleci_workspace_contexts_and_deploy_commands(tmp_path):
    root = _repo(tmp_path, {".circleci/config.yml": (DATA / "circleci-config.yml").read_text()})
    code, findings = _scan(root)
    assert code == 1
    build = _at(findings, "config.yml", 20)
    assert build["blocking"] and "builds the workspace that job `deploy` deploys" in build["reason"]
    assert "runs `vercel` (`--prod`)" in build["reason"]  # `org-global` names no environment
    secret = _at(findings, "config.yml", 41)
    assert not secret["blocking"] and secret["environment"] == "staging" and secret["key"] == "STRIPE_API_BASE"
    assert "`--config fly.staging.toml` names staging" in secret["reason"]
    for line in (29, 33):
        assert _at(findings, "config.yml", line)["environment"] == "test"
    assert [f["line"] for f in findings if f["blocking"]] == [20]


@pytest.mark.parametrize("command,blocks", [
    ("fly deploy --remote-only", True),
    ("fly deploy --config fly.staging.toml", False),
    ("vercel deploy --prebuilt --prod", True),
    ("vercel deploy --prebuilt", False),
    ("kubectl apply -n production -f k8s/", True),
    ("kubectl apply -f k8s/", False),
    ("helm upgrade --install web ./chart -f values-production.yaml", True),
    ("helm upgrade --install web ./chart -f values-staging.yaml", False),
    ("npm run deploy", True),
    ("make deploy-staging", False),
])
def test_a_job_without_environment_is_what_its_deploy_command_deploys_to(tmp_path, command, blocks):
    wf = f"""\
on: push
jobs:
  ship:
    runs-on: ubuntu-latest
    env:
      VITE_STRIPE_BASE_URL: http://localhost:4111
    steps:
      - run: npm ci && npm run build
      - run: {command}
"""
    code, findings = _scan(_repo(tmp_path, {".github/workflows/ship.yml": wf}))
    f = _at(findings, "ship.yml", 6)
    assert f["blocking"] is blocks and code == (1 if blocks else 0)
    if blocks:
        assert "job `ship` declares no environment but runs" in f["reason"]


def test_gcloud_set_env_vars_are_values_of_the_deploy(tmp_path):
    wf = """\
on: push
jobs:
  deploy:
    runs-on: ubuntu-latest
    steps:
      - run: |
          gcloud run deploy checkout-staging --image "$IMAGE" --region us-central1 \\
            --set-env-vars=STRIPE_API_BASE=http://localhost:4111,LOG_LEVEL=debug
          gcloud run deploy checkout --image "$IMAGE" --region us-central1 \\
            --update-env-vars POSTHOG_HOST=https://api.wondertwin.dev/twins/posthog
"""
    code, findings = _scan(_repo(tmp_path, {".github/workflows/deploy.yml": wf}))
    assert code == 1
    staging, prod = _at(findings, "deploy.yml", 8), _at(findings, "deploy.yml", 10)
    assert (staging["key"], staging["environment"], staging["blocking"]) == ("STRIPE_API_BASE", "staging", False)
    assert (prod["key"], prod["environment"], prod["blocking"]) == ("POSTHOG_HOST", "production", True)


# -- kustomize overlays ---------------------------------------------------------------------------
_OVERLAY = """\
resources:
- ../../base
configMapGenerator:
- name: the-map
  behavior: merge
  literals:
    - stripeUrl=http://localhost:4111
  envs:
    - app.env
"""


@pytest.mark.parametrize("overlay,blocks", [
    ("staging", False), ("production", True), ("prod-eu", True), ("production-us-east-1", True),
    ("us-east-1", True),  # a region overlay names no environment: production, as every path named
])
def test_kustomize_generator_literals_take_the_overlay_environment(tmp_path, overlay, blocks):
    root = _repo(tmp_path, {
        "k8s/base/kustomization.yaml": "resources: [configmap.yaml]\n",
        "k8s/base/configmap.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: the-map}\ndata: {LOG: info}\n",
        f"k8s/overlays/{overlay}/kustomization.yaml": _OVERLAY,
        f"k8s/overlays/{overlay}/app.env": "POSTHOG_HOST=http://localhost:4112\n",
    })
    code, findings = _scan(root)
    assert code == (1 if blocks else 0)
    literal = _at(findings, "kustomization.yaml", 7)
    assert literal["key"] == "stripeUrl" and literal["blocking"] is blocks
    env_file = _at(findings, "app.env", 1)
    assert env_file["blocking"] is blocks
    if overlay != "us-east-1":
        assert f"kustomize overlay `overlays/{overlay}`" in literal["reason"]
        assert "read by a generator" in env_file["reason"]


def test_repository_fixture_staging_overlay_is_reported(tmp_path):
    root = _repo(tmp_path, {})
    shutil.copytree(ROOT / "fixtures/repos/overlay/k8s", root / "k8s")
    code, findings = _scan(root)
    f = _at(findings, "overlays/staging/kustomization.yaml", 8)
    assert f["url"] == "https://api.wondertwin.dev/twins/stripe"
    assert not f["blocking"] and f["environment"] == "staging" and f["key"] == "stripeUrl"


def test_bitbucket_steps_script_lines_and_deploy_commands(tmp_path):
    """After Bitbucket's Node.js template: a test step with a twin service, a deploy step without
    `deployment:` that deploys to Netlify production."""
    text = """\
image: node:22
pipelines:
  branches:
    main:
      - step:
          name: Test
          services: [stripe]
          script:
            - curl --retry 5 --fail http://localhost:4111/health
            - npm test
      - step:
          name: Deploy
          script:
            - export VITE_STRIPE_BASE_URL=http://localhost:4112
            - npm run build
            - npx netlify deploy --prod --dir=dist
definitions:
  services:
    stripe:
      image: ghcr.io/wondertwin/stripe:1.4.0
"""
    code, findings = _scan(_repo(tmp_path, {"bitbucket-pipelines.yml": text}))
    assert code == 1
    test = _at(findings, "bitbucket-pipelines.yml", 9)
    assert not test["blocking"] and test["environment"] == "test"
    deploy = _at(findings, "bitbucket-pipelines.yml", 14)
    assert deploy["blocking"] and "step `Deploy` declares no environment but runs `netlify deploy`" in deploy["reason"]
