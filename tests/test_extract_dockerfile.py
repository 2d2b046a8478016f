"""Dockerfile extractor: values, byte offsets, and the environment of each stage."""
from __future__ import annotations

import pytest

from twinscan.extract.dockerfile import values
from twinscan.extract.values import ExtractError, Options, Value

# A Vite app: node build stage, a dev stage with the twin, nginx final stage.
VITE = b"""\
# syntax=docker/dockerfile:1.7
ARG NODE_VERSION=20.11

FROM node:${NODE_VERSION}-alpine AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci \\
    --no-audit \\
    --no-fund

FROM deps AS dev
ENV VITE_STRIPE_BASE_URL=http://localhost:4111 \\
    VITE_POSTHOG_HOST="http://localhost:4112"
CMD ["npm", "run", "dev", "--", "--host"]

FROM deps AS builder
ARG STRIPE_BASE=https://api.stripe.com
ARG POSTHOG_HOST
ENV VITE_STRIPE_BASE_URL=$STRIPE_BASE \\
    # PostHog falls back to the twin when the build arg is missing
    VITE_POSTHOG_HOST=${POSTHOG_HOST:-http://localhost:4112}
env NODE_ENV production
COPY . .
RUN <<EOF
echo "FORM this is heredoc text, not an instruction"
npm run build
EOF

FROM nginx:1.27-alpine AS runtime
COPY --from=builder /app/dist /usr/share/nginx/html
EXPOSE 80
"""


def by_key(found: list[Value], key: str, context: str = "value") -> list[Value]:
    return [v for v in found if v.key == key and v.context == context]


def offset(data: bytes, text: bytes, after: bytes = b"") -> int:
    """Byte offset of `text`, searched after the first `after`."""
    return data.index(text, data.index(after) if after else 0)


def test_every_value_and_its_exact_bytes():
    found = values(VITE, "Dockerfile", Options())
    for v in found:
        written = VITE[v.start : v.end].decode()
        assert written == v.value or written.startswith("$"), v
    assert [(v.key, v.value, v.context) for v in found] == [
        ("NODE_VERSION", "20.11", "value"),
        ("VITE_STRIPE_BASE_URL", "http://localhost:4111", "value"),
        ("VITE_POSTHOG_HOST", "http://localhost:4112", "value"),
        ("STRIPE_BASE", "https://api.stripe.com", "value"),
        ("VITE_STRIPE_BASE_URL", "https://api.stripe.com", "value"),  # flows from the ARG default
        ("VITE_POSTHOG_HOST", "http://localhost:4112", "value"),  # the build arg is unset: its default
        ("VITE_POSTHOG_HOST", "http://localhost:4112", "default"),
        ("NODE_ENV", "production", "value"),  # legacy `ENV KEY value`, lower-case instruction
    ]
    dev = by_key(found, "VITE_STRIPE_BASE_URL")[0]
    assert (dev.start, dev.end) == (offset(VITE, b"http://localhost:4111"), offset(VITE, b"http://localhost:4111") + 21)
    quoted = by_key(found, "VITE_POSTHOG_HOST")[0]  # inside the quotes
    assert quoted.start == offset(VITE, b'"http://localhost:4112"') + 1
    assert VITE[quoted.start - 1 : quoted.end + 1] == b'"http://localhost:4112"'
    flowed = by_key(found, "VITE_STRIPE_BASE_URL")[1]
    assert VITE[flowed.start : flowed.end] == b"$STRIPE_BASE"
    default = by_key(found, "VITE_POSTHOG_HOST", "default")[0]
    assert default.start == offset(VITE, b"http://localhost:4112}")
    assert VITE[default.start : default.end] == b"http://localhost:4112"
    assert VITE[by_key(found, "NODE_ENV")[0].start :].startswith(b"production\nCOPY")


def test_final_stage_and_what_it_copies_are_production_dev_stage_is_not():
    found = values(VITE, "Dockerfile", Options())
    envs = {(v.key, v.start): (v.environment, v.reason) for v in found}
    dev = by_key(found, "VITE_STRIPE_BASE_URL")[0]
    assert envs[("VITE_STRIPE_BASE_URL", dev.start)][0] == "development"
    assert "stage `dev`" in dev.reason and "not part of the final stage `runtime`" in dev.reason
    builder = by_key(found, "VITE_POSTHOG_HOST", "default")[0]
    assert builder.environment == "production"
    assert builder.reason == "stage `builder` is copied into the final stage `runtime`"
    arg = by_key(found, "NODE_VERSION")[0]
    assert arg.environment == "production"
    assert "stage `deps` is the base of stage `builder`, part of the final stage `runtime`" in arg.reason


def test_docker_target_builds_the_dev_stage():
    found = values(VITE, "Dockerfile", Options(docker_target="dev"))
    dev = by_key(found, "VITE_STRIPE_BASE_URL")[0]
    assert (dev.environment, dev.reason) == ("production", "stage `dev` is the --docker-target stage")
    builder = by_key(found, "STRIPE_BASE")[0]
    assert (builder.environment, builder.reason) == ("build", "stage `builder` is not part of the --docker-target stage `dev`")


@pytest.mark.parametrize("name,env", [("Dockerfile.dev", "development"), ("web/Dockerfile.test", "test"),
                                      ("Dockerfile.development", "development"), ("staging.Dockerfile", "staging")])
def test_dev_file_names_put_every_stage_in_that_environment(name, env):
    found = values(VITE, name, Options())
    base = name.rsplit("/", 1)[-1]
    assert {(v.environment, v.reason) for v in found} == {(env, f"file name `{base}` names the {env} environment")}


@pytest.mark.parametrize("name", ["Dockerfile.production", "Dockerfile.prod"])
def test_production_file_names_keep_the_final_stage_production(name):
    found = values(VITE, name, Options())
    assert by_key(found, "VITE_STRIPE_BASE_URL")[0].environment == "development"
    runtime = values(VITE + b'ENV API_URL="https://api.example.com"\n', name, Options())
    assert by_key(runtime, "API_URL")[0].reason == f"stage `runtime` is the final stage of `{name}`"


def test_unnamed_stages_copy_by_index_and_build_stages():
    data = (b"FROM golang:1.22\nENV TWIN=http://localhost:4111\n"
            b"FROM alpine AS tools\nENV X=http://localhost:4113\n"
            b"FROM scratch\nCOPY --from=0 /out/app /app\n")
    found = values(data, "Dockerfile", Options())
    assert [(v.key, v.environment, v.reason) for v in found] == [
        ("TWIN", "production", "stage `0` is copied into the final stage `2`"),
        ("X", "build", "stage `tools` is not part of the final stage `2`"),
    ]


def test_arg_defaults_flow_and_global_args():
    data = b"""\
ARG TWIN_URL=http://localhost:4111
FROM node:20 AS build
ARG TWIN_URL
ARG API='https://api.stripe.com'
ENV STRIPE=${TWIN_URL} POSTHOG=${UNSET-http://localhost:4112} LITERAL='$TWIN_URL'
ENV BOTH="${API:-http://localhost:4111}"
"""
    found = values(data, "Dockerfile", Options())
    got = [(v.key, v.value, v.context, data[v.start : v.end].decode()) for v in found]
    assert got == [
        ("TWIN_URL", "http://localhost:4111", "value", "http://localhost:4111"),
        ("API", "https://api.stripe.com", "value", "https://api.stripe.com"),
        ("STRIPE", "http://localhost:4111", "value", "${TWIN_URL}"),
        ("POSTHOG", "http://localhost:4112", "value", "${UNSET-http://localhost:4112}"),
        ("POSTHOG", "http://localhost:4112", "default", "http://localhost:4112"),
        ("LITERAL", "$TWIN_URL", "value", "$TWIN_URL"),
        ("BOTH", "https://api.stripe.com", "value", "${API:-http://localhost:4111}"),
        ("BOTH", "http://localhost:4111", "default", "http://localhost:4111"),
    ]
    assert found[0].environment == "production"
    assert found[0].reason == "global `ARG TWIN_URL` is used by stage `build`: stage `build` is the final stage"


def test_continuations_comments_escape_directive_and_utf8_offsets():
    data = """\
# escape=`
FROM mcr.microsoft.com/windows/nanoserver AS final
# a comment
ENV CAFÉ_URL=https://café.example/ünï `
    TWIN="http://localhost:4111"
ENV A=1 `

    B=2
""".encode()
    found = values(data, "Dockerfile", Options())
    assert [(v.key, v.value) for v in found] == [
        ("CAFÉ_URL", "https://café.example/ünï"), ("TWIN", "http://localhost:4111"), ("A", "1"), ("B", "2")]
    for v in found:
        assert data[v.start : v.end].decode() == v.value
    assert found[0].start == data.index("https://café".encode())


def test_copy_from_an_image_is_not_a_stage_and_mount_from_is():
    data = (b"FROM node AS dev\nENV U=http://localhost:4111\n"
            b"FROM node AS cache\nENV C=http://localhost:4112\n"
            b"FROM nginx\nCOPY --from=nginx:latest /etc/nginx /etc/nginx\n"
            b"RUN --mount=type=bind,from=cache,target=/c true\n")
    found = values(data, "Dockerfile", Options())
    assert [(v.key, v.environment) for v in found] == [("U", "development"), ("C", "production")]


@pytest.mark.parametrize("data,message", [
    (b"FROM node:20\nRUN true\nFORM nginx\n", "line 3: unknown instruction `FORM`"),
    (b"FROM node:20\nRUN echo \\\n  one \\\n  two\nCOPY . .\nENVV X=1\n", "line 6: unknown instruction `ENVV`"),
    (b"RUN true\nFROM node\n", "line 1: RUN before the first FROM"),
    (b"# only a comment\n", "no FROM instruction"),
    (b"FROM node\nENV LONELY\n", "line 2: ENV LONELY has no value"),
])
def test_errors_name_the_line(data, message):
    with pytest.raises(ExtractError, match=message.replace("`", ".")) as e:
        values(data, "Dockerfile", Options())
    assert str(e.value) == message
