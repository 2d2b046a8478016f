"""Values that ship only once they are expanded or decoded (`.env` interpolation, compose and
GitHub `env:` references, Kubernetes Secret data), and compose's `${X:?message}`, which is an
error message, not a value."""
from __future__ import annotations

from .conftest import ENGINES, cli_json


def _scan(args, cwd=None):
    """Every engine gives the same report; returns (code, doc) of the first."""
    runs = []
    for engine in ENGINES:
        code, doc = cli_json(["--engine", engine, *args], cwd=cwd)
        doc["summary"].pop("seconds")
        doc["tool"].pop("engine")
        runs.append((code, doc))
    assert all(r == runs[0] for r in runs)
    return runs[0]


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
