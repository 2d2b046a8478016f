"""docker compose extractor: environment values, defaults, env_file, build args, file environments."""
from __future__ import annotations

import pytest

from twinscan.extract.compose import values
from twinscan.extract.values import ExtractError, Options, Value

COMPOSE = """\
name: shop

x-common-env: &common-env
  NODE_ENV: production
  LOG_LEVEL: info

services:
  app:
    build:
      context: .
      args:
        VITE_STRIPE_BASE_URL: ${VITE_STRIPE_BASE_URL:-https://api.stripe.com}
    ports: ["3000:3000"]
    environment:
      <<: *common-env
      STRIPE_API_BASE: "${STRIPE_API_BASE:-http://localhost:4111}"
      CAFÉ_URL: https://café.example/ünï
      LOG_LEVEL: debug
      UNSET_HERE:
    env_file:
      - .env
      - path: ./.env.production
        required: false

  worker:
    image: ghcr.io/acme/worker:1.4.2
    command: ["node", "worker.js"]
    environment:
      - POSTHOG_HOST=https://eu.i.posthog.com
      - "STRIPE_API_BASE=${STRIPE_API_BASE-http://twins:4111}"
      - FROM_SHELL
    env_file: worker.env

  db:
    image: postgres:16
""".encode()

OVERRIDE = b"""\
services:
  app:
    environment:
      STRIPE_API_BASE: http://localhost:4111
      VITE_POSTHOG_HOST: 'http://localhost:4112'
  twins:
    image: ghcr.io/wondertwin/twins:latest
    build:
      context: ./twins
      args:
        - TWIN_PORT=4111
"""


def rows(data: bytes, found: list[Value]) -> list[tuple[str, str, str, str]]:
    return [(v.key, v.value, v.context, data[v.start : v.end].decode()) for v in found]


def test_map_list_defaults_env_files_and_build_args_with_exact_bytes():
    found = values(COMPOSE, "compose.yaml", Options())
    assert rows(COMPOSE, found) == [
        ("NODE_ENV", "production", "value", "production"),  # merged from the anchor: points at the anchor
        ("VITE_STRIPE_BASE_URL", "${VITE_STRIPE_BASE_URL:-https://api.stripe.com}", "value",
         "${VITE_STRIPE_BASE_URL:-https://api.stripe.com}"),
        ("VITE_STRIPE_BASE_URL", "https://api.stripe.com", "default", "https://api.stripe.com"),
        ("STRIPE_API_BASE", "${STRIPE_API_BASE:-http://localhost:4111}", "value",
         "${STRIPE_API_BASE:-http://localhost:4111}"),
        ("STRIPE_API_BASE", "http://localhost:4111", "default", "http://localhost:4111"),
        ("CAFÉ_URL", "https://café.example/ünï", "value", "https://café.example/ünï"),
        ("LOG_LEVEL", "debug", "value", "debug"),  # the explicit key wins over the merged one
        ("env_file", ".env", "value", ".env"),
        ("env_file", "./.env.production", "value", "./.env.production"),
        ("POSTHOG_HOST", "https://eu.i.posthog.com", "value", "https://eu.i.posthog.com"),
        ("STRIPE_API_BASE", "${STRIPE_API_BASE-http://twins:4111}", "value", "${STRIPE_API_BASE-http://twins:4111}"),
        ("STRIPE_API_BASE", "http://twins:4111", "default", "http://twins:4111"),
        ("env_file", "worker.env", "value", "worker.env"),
    ]
    default = [v for v in found if v.context == "default" and v.value == "http://localhost:4111"][0]
    assert default.start == COMPOSE.index(b"http://localhost:4111")  # bytes, after the multi-byte É and ü
    assert COMPOSE[default.start - 1 : default.end + 2] == b'-http://localhost:4111}"'
    cafe = [v for v in found if v.key == "CAFÉ_URL"][0]
    assert (cafe.start, cafe.end) == (COMPOSE.index("https://café".encode()), COMPOSE.index("ünï".encode()) + 5)
    assert all(v.environment is None and v.reason is None for v in found)


def test_override_file_is_development():
    found = values(OVERRIDE, "deploy/docker-compose.override.yml", Options())
    assert rows(OVERRIDE, found) == [
        ("STRIPE_API_BASE", "http://localhost:4111", "value", "http://localhost:4111"),
        ("VITE_POSTHOG_HOST", "http://localhost:4112", "value", "http://localhost:4112"),  # inside the quotes
        ("TWIN_PORT", "4111", "value", "4111"),
    ]
    assert {(v.environment, v.reason) for v in found} == {
        ("development", "`docker-compose.override.yml` is merged only on developer machines")}


@pytest.mark.parametrize("name,env", [
    ("docker-compose.yml", None), ("compose.yaml", None), ("compose.prod.yaml", None),
    ("docker-compose.production.yml", None), ("compose.staging.yaml", "staging"),
    ("docker-compose.dev.yml", "development"), ("compose.ci.yml", "test"), ("compose.override.yaml", "development"),
    ("compose.gpu.yaml", None),
])
def test_file_names_decide_the_environment(name, env):
    found = values(OVERRIDE, f"infra/{name}", Options())
    assert {v.environment for v in found} == {env}
    if env and "override" not in name:
        assert found[0].reason == f"file name `{name}` names the {env} environment"


def test_aliased_environment_shared_by_two_services_is_reported_once():
    data = b"x-env: &env\n  API: http://localhost:4111\nservices:\n  a: {environment: *env}\n  b: {environment: *env}\n"
    assert rows(data, values(data, "compose.yaml", Options())) == [("API", "http://localhost:4111", "value", "http://localhost:4111")]


def test_no_services_and_empty_documents():
    assert values(b"", "compose.yaml", Options()) == []
    assert values(b"version: '3.9'\n", "compose.yaml", Options()) == []


def test_alias_bomb_is_refused():
    lines = [b"a: &a [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 9):
        prev, cur = chr(96 + i).encode(), chr(97 + i).encode()
        lines.append(cur + b": &" + cur + b" [" + b", ".join([b"*" + prev] * 10) + b"]")
    bomb = b"\n".join(lines) + b"\nservices: {}\n"
    with pytest.raises(ExtractError, match="more than 100000 nodes"):
        values(bomb, "compose.yaml", Options())


@pytest.mark.parametrize("data,message", [
    (b"services:\n  app:\n    environment: [\n", "line 4: invalid YAML"),
    (b"services:\n  app:\n    image: x\n   bad: indent\n", "line 4: invalid YAML"),
    (b"services:\n  app:\n    environment: 5\n", "line 3: `services.app.environment` must be a mapping or a list"),
    (b"services: [app]\n", "line 1: `services` must be a mapping"),
    (b"a: &a [*a]\nservices: {}\n", "recursive alias"),
    (b"services:\n  app: !!python/object:os.system {}\n", None),  # tags are never constructed
])
def test_bad_files(data, message):
    if message is None:
        assert values(data, "compose.yaml", Options()) == []
        return
    with pytest.raises(ExtractError) as e:
        values(data, "compose.yaml", Options())
    assert message in str(e.value)
