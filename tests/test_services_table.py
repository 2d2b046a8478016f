"""`twinscan services`: every service × every environment, and agreement with a scan of the same repository."""
from __future__ import annotations

import json
from html.parser import HTMLParser

import pytest

from .conftest import cli, cli_json

FILES = {
    ".git/HEAD": "ref: refs/heads/main\n",
    "twinscan.yaml": "services:\n  billing: {keys: [BILLING_API_URL], hosts: [billing.acme.com]}\n",
    ".env": "VITE_STRIPE_BASE_URL=\n",
    ".env.development": "VITE_STRIPE_BASE_URL=http://localhost:4111\nVITE_POSTHOG_HOST=http://localhost:4115\n",
    ".env.production": "VITE_POSTHOG_HOST=https://eu.i.posthog.com\n",
    ".env.example": "VITE_STRIPE_BASE_URL=http://localhost:4111\n",
    "docker-compose.yml": (
        "services:\n  web:\n    image: shop/web\n    environment:\n"
        "      STRIPE_API_BASE: https://api.stripe.com\n      SENTRY_DSN: ${SENTRY_DSN}\n"
        "      BILLING_API_URL: https://billing.acme.com/v2\n"
    ),
    "docker-compose.override.yml": (
        "services:\n  web:\n    environment:\n      STRIPE_API_BASE: http://twins:4111\n"
        "  twins:\n    image: wondertwin/twins\n"
    ),
    "deploy/overlays/staging/deployment.yaml": (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: staging}\nspec:\n  template:\n"
        "    spec:\n      containers:\n        - name: web\n          image: shop/web\n          env:\n"
        "            - name: STRIPE_API_BASE\n              value: https://api.wondertwin.dev/twins/stripe\n"
    ),
    "deploy/overlays/production/deployment.yaml": (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: production}\nspec:\n  template:\n"
        "    spec:\n      containers:\n        - name: web\n          image: shop/web\n          env:\n"
        "            - name: POSTHOG_HOST\n              value: http://twins:4115\n"
        "            - name: BILLING_API_URL\n              value: https://billing-sandbox.acme.dev\n"
    ),
    ".github/workflows/deploy.yml": (
        "on: push\njobs:\n  test:\n    runs-on: ubuntu-latest\n    env:\n      STRIPE_API_BASE: http://localhost:4111\n"
        "    steps: [{run: npm test}]\n  deploy:\n    runs-on: ubuntu-latest\n    environment: production\n"
        "    env:\n      STRIPE_API_BASE: https://api.stripe.com\n    steps: [{run: ./deploy.sh}]\n"
    ),
    "src/app.ts": "export const x = 1;\n",
}


@pytest.fixture
def repo(tmp_path):
    for name, text in FILES.items():
        p = tmp_path / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    return tmp_path


def _table(repo, *args):
    r = cli(["services", "--format", "json", *args], cwd=repo)
    return r.exit_code, json.loads(r.output)


def test_every_service_in_every_environment(repo):
    code, t = _table(repo)
    assert code == 1
    envs = {e["name"]: e["production"] for e in t["environments"]}
    assert envs == {"production": True, "development": False, "staging": False, "test": False}
    assert list(envs)[0] == "production"  # production first
    assert t["services"][:2] == ["stripe", "posthog"] and "billing" in t["services"] and "twilio" in t["services"]
    cell = {(c["service"], c["environment"]): c for c in t["cells"]}
    assert len(cell) == len(t["services"]) * len(envs)
    want = {
        ("stripe", "production"): ("vendor", "https://api.stripe.com"),
        ("stripe", "development"): ("twin", "http://localhost:4111"),  # .env.development and the compose override
        ("stripe", "staging"): ("twin", "https://api.wondertwin.dev/twins/stripe"),
        ("stripe", "test"): ("twin", "http://localhost:4111"),  # the workflow's test job
        ("posthog", "production"): ("twin", "http://twins:4115"),  # the overlay, although .env.production is fine
        ("posthog", "staging"): ("unset", None),
        ("sentry", "production"): ("deferred", None),
        ("billing", "production"): ("other-host", "https://billing-sandbox.acme.dev"),
        ("twilio", "production"): ("unset", None),
    }
    for k, (status, url) in want.items():
        assert (cell[k]["status"], cell[k]["url"]) == (status, url), (k, cell[k])
    assert {c["status"] for c in t["cells"]} <= {"twin", "other-host", "deferred", "vendor", "unset"}
    blocking = sorted((c["service"], c["environment"]) for c in t["cells"] if c["blocking"])
    assert blocking == [("billing", "production"), ("posthog", "production")]
    dev = cell[("stripe", "development")]["settings"]
    assert sorted((s["path"], s["key"], s["rule"]) for s in dev) == [
        (".env.development", "VITE_STRIPE_BASE_URL", "loopback-url"),
        ("docker-compose.override.yml", "STRIPE_API_BASE", "twin-service-url")]
    assert not any(s["path"] == ".env.example" for c in t["cells"] for s in c["settings"])
    assert t["summary"] == {"blocking": 2, "files": t["summary"]["files"], "exit_code": 1}


def test_table_agrees_with_a_scan_of_the_same_repository(repo):
    """Every production cell that blocks is a blocking scan finding at the same place, and back."""
    _, t = _table(repo)
    code, scan = cli_json([repo / name for name in FILES if not name.startswith((".git/", "src/"))], cwd=repo)
    assert code == 1
    root = str(repo) + "/"
    found = {(f["path"].replace(root, ""), f["line"], f["rule"]) for f in scan["findings"]
             if f["blocking"] and f["key"] in {"VITE_STRIPE_BASE_URL", "VITE_POSTHOG_HOST", "STRIPE_API_BASE",
                                                "POSTHOG_HOST", "SENTRY_DSN", "BILLING_API_URL"}}
    table = {(s["path"], s["line"], s["rule"]) for c in t["cells"] if c["production"] for s in c["settings"]
             if s["status"] in ("twin", "other-host")}
    assert table == found and table


def test_used_markdown_html_and_text(repo):
    r = cli(["services", "--used", "--format", "markdown"], cwd=repo)
    assert r.exit_code == 1
    md = r.output
    assert md.startswith("## twinscan: services per environment")
    assert "| service | **production** | development | staging | test |" in md
    assert "| **twilio** |" not in md and "| **billing** |" in md
    assert "❌ TWIN `http://twins:4115` (twin-service-url)" in md and "**2 blocking**" in md
    out = repo / "services.html"
    r = cli(["services", "--format", "html", "--output", out], cwd=repo)
    assert r.exit_code == 1 and r.output == ""
    page = out.read_text()

    class Cells(HTMLParser):
        def __init__(self):
            super().__init__()
            self.classes = []

        def handle_starttag(self, tag, attrs):
            if tag == "td":
                self.classes.append(dict(attrs).get("class"))

    p = Cells()
    p.feed(page)
    assert page.startswith("<!doctype html>") and len(p.classes) == 8 * 4
    assert p.classes.count("twin") == 5 and "<code>http://twins:4115</code>" in page
    text = cli(["services"], cwd=repo).output
    assert "  production   TWIN http://twins:4115 [twin-service-url]" in text and "BLOCKING" in text
    assert text.rstrip().endswith("2 blocking")


def test_clean_repository_and_usage_errors(tmp_path):
    (tmp_path / ".git").mkdir()
    (tmp_path / ".env.production").write_text("VITE_STRIPE_BASE_URL=https://api.stripe.com\n")
    (tmp_path / ".env.development").write_text("VITE_STRIPE_BASE_URL=http://localhost:4111\n")
    code, t = _table(tmp_path, "--used")
    assert code == 0 and t["services"] == ["stripe"]
    assert [c["status"] for c in t["cells"]] == ["vendor", "twin"]
    assert cli(["services", "missing-dir"], cwd=tmp_path).exit_code == 2
    (tmp_path / "twinscan.yaml").write_text("services: {stripe: {hosts: ['not a host']}}\n")
    r = cli(["services"], cwd=tmp_path)
    assert r.exit_code == 2 and "services.stripe.hosts" in r.output


def test_unparsable_file_makes_the_table_incomplete(tmp_path):
    (tmp_path / ".git").mkdir()
    (tmp_path / ".env.production").write_text("STRIPE_API_BASE=https://api.stripe.com\n")
    (tmp_path / "docker-compose.yml").write_text("services: [unclosed\n")
    code, t = _table(tmp_path)
    assert code == 3 and t["errors"][0]["path"] == "docker-compose.yml"


# -- deploy platforms: one repository per platform, the table and the scan read the same sections --------------
PLATFORMS = {
    "netlify": ({
        "netlify.toml": (
            '[build.environment]\n  VITE_POSTHOG_HOST = "http://localhost:4112"\n'
            '[context.production.environment]\n  VITE_STRIPE_BASE_URL = "https://api.stripe.com"\n'
            '[context.deploy-preview.environment]\n  VITE_STRIPE_BASE_URL = "http://localhost:4111"\n'),
    }, {("stripe", "production"): "vendor", ("stripe", "preview"): "twin", ("posthog", "production"): "twin",
        ("posthog", "preview"): "unset"}),
    "wrangler": ({
        "wrangler.toml": ('name = "api"\n[vars]\nSTRIPE_API_BASE = "https://api.stripe.com"\n'
                          '[env.staging.vars]\nSTRIPE_API_BASE = "http://localhost:4111"\n'),
        ".dev.vars": "POSTHOG_HOST=http://localhost:4112\n",
    }, {("stripe", "production"): "vendor", ("stripe", "staging"): "twin", ("posthog", "development"): "twin",
        ("posthog", "production"): "unset"}),
    "vercel": ({
        "vercel.json": '{"env": {"STRIPE_API_BASE": "http://localhost:4111"}}',
        ".vercel/output/builds.json": '{"target": "preview"}',
        ".vercel/output/functions/api.func/.vc-config.json": '{"environment": {"POSTHOG_HOST": "http://localhost:4112"}}',
    }, {("stripe", "production"): "twin", ("posthog", "preview"): "twin", ("posthog", "production"): "unset"}),
    "render": ({
        "render.yaml": (
            "envVarGroups:\n  - name: shared\n    envVars:\n      - key: POSTHOG_HOST\n        value: http://localhost:4112\n"
            "services:\n  - type: web\n    name: api\n    envVars:\n      - key: STRIPE_API_BASE\n"
            "        value: https://api.stripe.com\n        previewValue: http://localhost:4111\n"
            "projects:\n  - name: shop\n    environments:\n      - name: staging\n        services:\n"
            "          - type: web\n            name: api-staging\n            envVars:\n              - fromGroup: shared\n"),
    }, {("stripe", "production"): "vendor", ("stripe", "preview"): "twin", ("posthog", "staging"): "twin",
        ("posthog", "production"): "unset"}),
    "heroku": ({
        "app.json": ('{"name": "api", "env": {"STRIPE_API_BASE": {"value": "https://api.stripe.com"}},\n'
                     ' "environments": {"review": {"env": {"STRIPE_API_BASE": "http://localhost:4111"}},\n'
                     '                  "test": {"env": {"POSTHOG_HOST": "http://localhost:4112"}}}}\n'),
    }, {("stripe", "production"): "vendor", ("stripe", "review"): "twin", ("posthog", "test"): "twin"}),
}


@pytest.mark.parametrize("platform", sorted(PLATFORMS))
def test_deploy_platform_sections_in_the_table_and_the_scan(tmp_path, platform):
    files, want = PLATFORMS[platform]
    (tmp_path / ".git").mkdir()
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    _, t = _table(tmp_path, "--used")
    cell = {(c["service"], c["environment"]): c for c in t["cells"]}
    assert {k: cell[k]["status"] for k in want} == want, platform
    code, scan = cli_json(["."], cwd=tmp_path)
    found = {(f["path"], f["line"]) for f in scan["findings"] if f["blocking"]}
    table = {(s["path"], s["line"]) for c in t["cells"] if c["production"] for s in c["settings"] if s["status"] == "twin"}
    assert table == found and (code == 1) == bool(found)
# One case per deploy platform (issue 16): production and non-production in one repository; the table
# shows each environment's setting and agrees with a scan (blocking production cells = blocking findings).
_KNATIVE = ("apiVersion: serving.knative.dev/v1\nkind: Service\nmetadata:\n  name: {name}\nspec:\n  template:\n"
            "    spec:\n      containers:\n        - image: gcr.io/shop/api\n          env:\n"
            "            - name: STRIPE_API_BASE\n              value: {url}\n")
_UNIT = "[Unit]\nDescription=api\n\n[Service]\nEnvironment=\"STRIPE_API_BASE={url}\"\nExecStart=/usr/bin/node server.js\n"
_ECS = ('{{"family": "{name}", "containerDefinitions": [{{"name": "api", "image": "shop/api",\n'
        '  "environment": [{{"name": "STRIPE_API_BASE", "value": "{url}"}}]}}]}}\n')
_TWIN, _VENDOR = "http://localhost:4111", "https://api.stripe.com"
PLATFORMS_B = {
    "cloudrun": {
        "deploy/service.yaml": _KNATIVE.format(name="api", url=_TWIN),
        "deploy/service-staging.yaml": _KNATIVE.format(name="api", url=_TWIN),
    },
    "systemd": {
        "deploy/api.service": _UNIT.format(url=_TWIN),
        "deploy/api-staging.service": _UNIT.format(url=_TWIN),
    },
    "ecs": {
        "ecs/api.json": _ECS.format(name="api-prod", url=_TWIN),
        "ecs/api-next.json": _ECS.format(name="api-staging", url=_TWIN),
    },
    "sam": {
        "template.yaml": (
            "AWSTemplateFormatVersion: '2010-09-09'\nTransform: AWS::Serverless-2016-10-31\n"
            "Conditions:\n  IsProd: !Equals [!Ref Stage, prod]\nResources:\n  Api:\n    Type: AWS::Serverless::Function\n"
            f"    Properties:\n      Environment:\n        Variables:\n          STRIPE_API_BASE: !If [IsProd, {_TWIN}, {_TWIN}]\n"
        ),
    },
    "serverless": {
        "serverless.yml": (
            "service: shop\nprovider:\n  name: aws\n  environment:\n    STRIPE_API_BASE: ${param:stripe}\n"
            f"params:\n  prod:\n    stripe: {_TWIN}\n  staging:\n    stripe: {_TWIN}\n"
        ),
    },
    "terraform": {
        "environments/prod/terraform.tfvars": f'STRIPE_API_BASE = "{_TWIN}"\n',
        "environments/staging/terraform.tfvars": f'STRIPE_API_BASE = "{_TWIN}"\n',
    },
}
_OTHER_ENV = {"sam": "nonprod"}


@pytest.mark.parametrize("platform", sorted(PLATFORMS_B))
def test_deploy_platforms_in_the_table(tmp_path, platform):
    (tmp_path / ".git").mkdir()
    for name, text in PLATFORMS_B[platform].items():
        p = tmp_path / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    code, t = _table(tmp_path, "--used")
    assert code == 1 and t["errors"] == []
    cell = {(c["service"], c["environment"]): c for c in t["cells"]}
    other = _OTHER_ENV.get(platform, "staging")
    assert (cell[("stripe", "production")]["status"], cell[("stripe", "production")]["blocking"]) == ("twin", True)
    assert (cell[("stripe", other)]["status"], cell[("stripe", other)]["blocking"]) == ("twin", False)
    code, scan = cli_json(["."], cwd=tmp_path)
    found = {(f["path"], f["line"]) for f in scan["findings"] if f["blocking"]}
    table = {(s["path"], s["line"]) for c in t["cells"] if c["blocking"] for s in c["settings"]}
    assert code == 1 and table == found


def test_the_format_choices_are_the_renderers():
    """`--format` lists the table's renderers without importing them (a pre-commit run pays every import)."""
    from twinscan.commands.services import FORMATS
    from twinscan.runtime.servicetable import RENDERERS

    assert FORMATS == tuple(RENDERERS)
