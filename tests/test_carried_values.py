"""Values that ship only once they are expanded or decoded (`.env` interpolation, compose and
GitHub `env:` references, Kubernetes Secret data), and compose's `${X:?message}`, which is an
error message, not a value."""
from __future__ import annotations

from .conftest import scan_all_engines

_scan = scan_all_engines  # one definition, in conftest


def _found(doc):
    return {(f["url"], f["key"], f["context"], f["blocking"]) for f in doc["findings"]}


COMPOSE = """\
services:
  web:
    image: shop/web:2.3
    environment:
      STRIPE_API_BASE: ${STRIPE_API_BASE:?set STRIPE_API_BASE (the twin is http://localhost:4111 in dev)}
      POSTHOG_HOST: "${POSTHOG_HOST?POSTHOG_HOST must be set, e.g. http://localhost:4112}"
      LOGO_API: ${LOGO_API:-http://localhost:4113}
      SENTRY_URL: ${SENTRY_URL-http://localhost:4114}
"""


def test_compose_error_message_is_not_a_default(tmp_path):
    (tmp_path / "compose.yaml").write_text(COMPOSE)
    code, doc = _scan([tmp_path])
    assert code == 1
    assert _found(doc) == {
        ("http://localhost:4111", "STRIPE_API_BASE", "message", False),
        ("http://localhost:4112", "POSTHOG_HOST", "message", False),
        ("http://localhost:4113", "LOGO_API", "default", True),
        ("http://localhost:4114", "SENTRY_URL", "default", True),
    }
    (tmp_path / "compose.yaml").write_text(COMPOSE.replace("${LOGO_API:-http://localhost:4113}", "https://img.logo.dev")
                                           .replace("${SENTRY_URL-http://localhost:4114}", "https://o1.ingest.sentry.io"))
    code, doc = _scan([tmp_path])
    assert code == 0 and {f["context"] for f in doc["findings"]} == {"message"}


def test_compose_error_message_in_a_development_file(tmp_path):
    (tmp_path / "docker-compose.override.yml").write_text(COMPOSE)
    code, doc = _scan([tmp_path])
    assert code == 0 and len(doc["findings"]) == 4 and not any(f["blocking"] for f in doc["findings"])


ENV_PRODUCTION = """\
# shared origin of the hosted twins
TWIN_ORIGIN=https://api.wondertwin.dev
VITE_STRIPE_BASE_URL=${TWIN_ORIGIN}/twins/stripe
VITE_POSTHOG_HOST="$TWIN_ORIGIN/twins/posthog"
VITE_LOGO_API='${TWIN_ORIGIN}/twins/logo'
VITE_SENTRY_URL=${LATER}/sentry
LATER=http://localhost:4114
"""


def test_dotenv_interpolation_from_the_files_own_earlier_keys(tmp_path):
    (tmp_path / ".env.production").write_text(ENV_PRODUCTION)
    code, doc = _scan([tmp_path])
    assert code == 1
    got = {(f["line"], f["column"], f["url"], f["key"], f["encoding"], f["blocking"]) for f in doc["findings"]}
    assert got == {
        (3, 22, "https://api.wondertwin.dev/twins/stripe", "VITE_STRIPE_BASE_URL", "interpolated", True),
        (4, 20, "https://api.wondertwin.dev/twins/posthog", "VITE_POSTHOG_HOST", "interpolated", True),
        (7, 7, "http://localhost:4114", "LATER", None, True),  # the later key itself, not its earlier use
    }  # single quotes turn interpolation off (line 5); a key defined later is not expanded (line 6)
    f = next(f for f in doc["findings"] if f["line"] == 3)
    assert f["match"] == "${TWIN_ORIGIN}/twins/stripe"
    assert "`${TWIN_ORIGIN}/twins/stripe` expands to `https://api.wondertwin.dev/twins/stripe` with `TWIN_ORIGIN` " \
           "as set earlier in this file" in f["reason"]


def test_dotenv_interpolation_in_a_development_file_is_reported(tmp_path):
    (tmp_path / ".env.development").write_text(ENV_PRODUCTION)
    code, doc = _scan([tmp_path])
    assert code == 0
    assert {(f["line"], f["blocking"]) for f in doc["findings"]} == {(3, False), (4, False), (7, False)}


def test_the_process_environment_never_reaches_a_finding(tmp_path):
    """python-dotenv's interpolation reads os.environ; twinscan's must not: a runner's
    variable holding a twin, or a secret, never becomes (part of) a finding."""
    import os

    from .conftest import run_process

    (tmp_path / ".env.production").write_text(
        "VITE_STRIPE_BASE_URL=${RUNNER_TWIN}/v1\nVITE_API_TOKEN=${CI_SECRET_TOKEN}\nVITE_POSTHOG_HOST=$RUNNER_TWIN\n")
    env = dict(os.environ, RUNNER_TWIN="https://api.wondertwin.dev/twins/stripe",
               CI_SECRET_TOKEN="http://ghp_s3cr3tT0k3n@localhost:4111/")
    r = run_process(["--format", "json", tmp_path], env=env)
    assert r.returncode == 0, r.stdout
    out = r.stdout.decode() + r.stderr.decode()
    assert "wondertwin" not in out and "s3cr3t" not in out and "localhost" not in out


SECRET = """\
apiVersion: v1
kind: Secret
metadata:
  name: shop-env
  namespace: shop-production
type: Opaque
data:
  STRIPE_API_BASE: aHR0cDovL2xvY2FsaG9zdDo0MTEx
  STRIPE_SECRET_KEY: c2tfbGl2ZV81MUhhYmNkZWY=
  app.env: UE9TVEhPR19IT1NUPWh0dHBzOi8vYXBpLndvbmRlcnR3aW4uZGV2L3R3aW5zL3Bvc3Rob2cK
stringData:
  LOGO_API: http://localhost:4113
---
apiVersion: v1
kind: Secret
metadata:
  name: shop-env
  namespace: shop-staging
data:
  STRIPE_API_BASE: aHR0cDovL2xvY2FsaG9zdDo0MTEx
"""


def test_kubernetes_secret_data_is_decoded_and_judged_by_its_namespace(tmp_path):
    (tmp_path / "k8s").mkdir()
    (tmp_path / "k8s" / "secret.yaml").write_text(SECRET)
    code, doc = _scan([tmp_path])
    assert code == 1
    got = {(f["line"], f["column"], f["url"], f["key"], f["encoding"], f["blocking"]) for f in doc["findings"]}
    assert got == {
        (8, 20, "http://localhost:4111", "STRIPE_API_BASE", "base64", True),
        (10, 12, "https://api.wondertwin.dev/twins/posthog", "app.env", "base64", True),
        (12, 13, "http://localhost:4113", "LOGO_API", None, True),
        (20, 20, "http://localhost:4111", "STRIPE_API_BASE", "base64", False),  # namespace shop-staging
    }
    assert "sk_live" not in str(doc)  # the decoded secret itself is never shown
    code, doc = _scan(["--environment", "staging", tmp_path])
    assert code == 0 and len(doc["findings"]) == 4


def test_a_secret_value_that_is_not_base64_is_not_decoded(tmp_path):
    (tmp_path / "secret.yaml").write_text(SECRET.replace("aHR0cDovL2xvY2FsaG9zdDo0MTEx", "not base64!"))
    code, doc = _scan([tmp_path])
    assert {f["line"] for f in doc["findings"]} == {10, 12}


WORKFLOW = """\
name: deploy
on: push
env:
  TWIN_ORIGIN: https://api.wondertwin.dev
jobs:
  build-prod:
    runs-on: ubuntu-latest
    environment: production
    env:
      STRIPE_API_BASE: ${{ env.TWIN_ORIGIN }}/twins/stripe
      TWINS: http://localhost
    steps:
      - uses: actions/checkout@v4
      - run: npm ci && npm run build
        env:
          VITE_POSTHOG_HOST: ${{ env.TWINS }}:4112
          VITE_LOGO_API: ${{ env.UNSET }}/logo
  build-staging:
    runs-on: ubuntu-latest
    environment: staging
    env:
      STRIPE_API_BASE: ${{ env.TWIN_ORIGIN }}/twins/stripe
"""


def test_github_env_references_expand_from_the_enclosing_env(tmp_path):
    (tmp_path / ".github" / "workflows").mkdir(parents=True)
    (tmp_path / ".github" / "workflows" / "deploy.yml").write_text(WORKFLOW)
    code, doc = _scan([tmp_path])
    assert code == 1
    got = {(f["line"], f["url"], f["key"], f["encoding"], f["blocking"]) for f in doc["findings"]}
    assert got == {
        (10, "https://api.wondertwin.dev/twins/stripe", "STRIPE_API_BASE", "interpolated", True),
        (11, "http://localhost", "TWINS", None, True),
        (16, "http://localhost:4112", "VITE_POSTHOG_HOST", "interpolated", True),
        (22, "https://api.wondertwin.dev/twins/stripe", "STRIPE_API_BASE", "interpolated", False),  # staging job
    }
    f = next(f for f in doc["findings"] if f["line"] == 10)
    assert f["match"] == "${{ env.TWIN_ORIGIN }}/twins/stripe" and f["column"] == 24
