"""Dockerfiles and compose files through the whole scan: only the production side blocks."""
from __future__ import annotations

from .conftest import cli, cli_json

DOCKERFILE = """\
# syntax=docker/dockerfile:1
FROM node:22-alpine AS deps
WORKDIR /app
COPY package*.json ./
RUN npm ci

FROM deps AS dev
ENV VITE_STRIPE_BASE_URL=http://localhost:4111 \\
    VITE_POSTHOG_HOST=http://localhost:4112
CMD ["npm", "run", "dev"]

FROM deps AS builder
ARG STRIPE_URL=https://api.stripe.com
ENV VITE_STRIPE_BASE_URL=${STRIPE_URL}
COPY . .
RUN npm run build

FROM nginx:1.27-alpine AS runtime
COPY --from=builder /app/dist /usr/share/nginx/html
ENV LOGO_API https://api.wondertwin.dev/twins/logo
"""


def _by_line(doc):
    return {f["line"]: f for f in doc["findings"]}


def test_dev_stage_reports_final_stage_blocks(tmp_path):
    (tmp_path / "Dockerfile").write_text(DOCKERFILE)
    code, doc = cli_json([tmp_path])
    f = _by_line(doc)
    assert code == 1
    assert (f[8]["environment"], f[8]["blocking"], f[8]["key"]) == ("development", False, "VITE_STRIPE_BASE_URL")
    assert f[9]["blocking"] is False
    assert (f[20]["environment"], f[20]["blocking"], f[20]["key"]) == ("production", True, "LOGO_API")
    assert "final stage" in f[20]["reason"]


def test_docker_target_makes_the_dev_stage_the_production_image(tmp_path):
    (tmp_path / "Dockerfile").write_text(DOCKERFILE.replace("https://api.wondertwin.dev/twins/logo", "https://img.logo.dev"))
    assert cli([tmp_path]).exit_code == 0
    code, doc = cli_json(["--docker-target", "dev", tmp_path])
    assert code == 1 and {f["line"] for f in doc["findings"] if f["blocking"]} == {8, 9}


def test_a_builder_arg_default_that_reaches_the_final_image_blocks(tmp_path):
    (tmp_path / "Dockerfile").write_text(DOCKERFILE.replace("ARG STRIPE_URL=https://api.stripe.com", "ARG STRIPE_URL=http://host.docker.internal:4111"))
    code, doc = cli_json([tmp_path])
    f = _by_line(doc)[13]
    assert (f["rule"], f["key"], f["blocking"]) == ("docker-host-url", "STRIPE_URL", True)
    assert "copied into the final stage" in f["reason"]


def test_unknown_instruction_is_a_clear_per_file_error(tmp_path):
    (tmp_path / "Dockerfile").write_text("FORM node:22\nENV A=http://localhost:4111\n")
    (tmp_path / "ok.js").write_text("x=1")
    code, doc = cli_json([tmp_path])
    assert code == 1  # the byte pass still judged the file as production
    assert "line 1: unknown instruction `FORM`" in doc["errors"][0]["message"]


COMPOSE = """\
services:
  web:
    build: .
    environment:
      VITE_STRIPE_BASE_URL: ${STRIPE_URL:-https://api.stripe.com}
      NODE_ENV: production
      VITE_POSTHOG_HOST: http://twins:4112
  worker:
    image: shop/worker:1.4
    environment:
      - STRIPE_API_BASE=${STRIPE_API_BASE:-http://localhost:4111}
"""
OVERRIDE = """\
services:
  web:
    environment:
      VITE_STRIPE_BASE_URL: http://twins:4111
  twins:
    image: wondertwin/twins:latest
    environment:
      - POSTHOG_HOST=http://localhost:4112
"""


def test_compose_production_blocks_and_override_reports(tmp_path):
    (tmp_path / "compose.yaml").write_text(COMPOSE)
    (tmp_path / "docker-compose.override.yml").write_text(OVERRIDE)
    code, doc = cli_json([tmp_path])
    got = {(f["path"].rsplit("/", 1)[1], f["line"]): f for f in doc["findings"]}
    assert code == 1
    prod = got[("compose.yaml", 11)]
    assert (prod["key"], prod["context"], prod["blocking"]) == ("STRIPE_API_BASE", "default", True)
    dev = got[("docker-compose.override.yml", 8)]
    assert (dev["environment"], dev["blocking"]) == ("development", False)
    assert "merged only on developer machines" in dev["reason"]
    twin_service = got[("compose.yaml", 7)]  # a compose service named like a twin
    assert (twin_service["rule"], twin_service["host"], twin_service["blocking"]) == ("twin-service-url", "twins", True)


def test_invalid_compose_yaml_is_a_clear_error_and_the_byte_pass_still_judges(tmp_path):
    (tmp_path / "compose.yaml").write_text("services:\n  web: [\n    STRIPE_API_BASE: http://localhost:4111\n")
    code, doc = cli_json([tmp_path])
    assert code == 1 and doc["findings"][0]["blocking"]  # blocking wins over incomplete
    assert "cannot parse as compose" in doc["errors"][0]["message"] and doc["errors"][0]["production"]
    (tmp_path / "compose.yaml").write_text("services:\n  web: [\n    STRIPE_API_BASE: https://api.stripe.com\n")
    code, doc = cli_json([tmp_path])
    assert code == 3 and doc["summary"]["incomplete"]


def test_env_files_loaded_by_a_production_compose_file_are_production(tmp_path):
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "app.env").write_text("STRIPE_API_BASE=http://localhost:4111\n")
    (tmp_path / "config" / "dev.env").write_text("STRIPE_API_BASE=http://localhost:4111\n")
    (tmp_path / "compose.yaml").write_text("services:\n  api:\n    image: shop/api\n    env_file: [config/app.env]\n")
    (tmp_path / "docker-compose.override.yml").write_text("services:\n  api:\n    env_file: config/dev.env\n")
    code, doc = cli_json(["."], cwd=tmp_path)
    got = {f["path"]: f for f in doc["findings"]}
    assert code == 1
    assert got["config/app.env"]["blocking"] and "loaded by `env_file:` in compose.yaml" in got["config/app.env"]["reason"]
    assert got["config/dev.env"]["environment"] == "development" and not got["config/dev.env"]["blocking"]
    # named alone, the compose file still brings its env file into the scan
    code, doc = cli_json(["compose.yaml"], cwd=tmp_path)
    assert code == 1 and [f["path"] for f in doc["findings"]] == ["config/app.env"]
