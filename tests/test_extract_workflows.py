"""GitHub Actions and GitLab CI extraction: each value carries its job's environment."""
from __future__ import annotations

import pytest

from twinscan.extract import workflows
from twinscan.extract.values import ExtractError, Options, Value

GITHUB = """\
name: deploy
on:
  push:
    branches: [main]
env:
  NODE_VERSION: "20"
  VITE_POSTHOG_HOST: ${{ vars.POSTHOG_HOST || 'http://localhost:4112' }}
jobs:
  test:
    runs-on: ubuntu-latest
    env:
      VITE_STRIPE_BASE_URL: http://localhost:4111
    steps:
      - uses: actions/checkout@v4
      - run: npm ci && npm test
  deploy-staging:
    runs-on: ubuntu-latest
    environment: staging
    steps:
      - uses: actions/setup-node@v4
        with:
          node-version: ${{ env.NODE_VERSION }}
      - name: Build
        env:
          VITE_STRIPE_BASE_URL: "https://api.wondertwin.dev/twins/stripe"
        run: |
          export VITE_STRIPE_BASE_URL=https://api.wondertwin.dev/twins/stripe
          echo "VITE_ANALYTICS_URL=http://localhost:4113" >> $GITHUB_ENV
          npm run build
  deploy-prod:
    runs-on: ubuntu-latest
    needs: deploy-staging
    environment:
      name: production
      url: https://shop.example.com
    steps:
      - name: Build — café ☕
        run: |
          export VITE_STRIPE_BASE_URL="http://localhost:4111"
          echo "VITE_ANALYTICS_URL=http://127.0.0.1:4113" >> "$GITHUB_ENV"
          echo VITE_SHOP_API=https://api.example.com >> .env.production
          VITE_SEARCH_URL=http://localhost:4114 npm run build
  smoke:
    runs-on: ubuntu-latest
    environment: ${{ matrix.env }}
    strategy:
      matrix:
        env: [staging, production]
    steps:
      - run: curl "$URL"
        env:
          URL: ${{ vars.SMOKE_URL || 'http://localhost:4115' }}
  release:
    uses: ./.github/workflows/release.yml
    with:
      environment: prod
      api-base: https://api.wondertwin.dev/twins/stripe
""".encode()

GITLAB = """\
variables:
  VITE_POSTHOG_HOST: "http://localhost:4112"

.build: &build
  image: node:20
  variables: &build_vars
    VITE_STRIPE_BASE_URL: http://localhost:4111
  script:
    - npm ci
    - npm run build

.deploy:
  extends: .build
  script:
    - echo "VITE_API=$API" >> build.env

test:
  <<: *build
  stage: test

deploy-staging:
  extends: .deploy
  environment: staging

deploy-prod:
  extends: .deploy
  environment:
    name: production
    url: https://shop.example.com
  variables:
    <<: *build_vars
    VITE_STRIPE_BASE_URL: 'https://api.stripe.com'
  script:
    - export VITE_SEARCH_URL=http://localhost:4114
    - npm run build

loop-a:
  extends: loop-b
loop-b:
  extends: loop-a
  script: [echo ok]
"""


def _values(data: bytes, path: str = ".github/workflows/deploy.yml") -> list[Value]:
    # `${{ env.X }}` expansions (encoding "interpolated") are tested in test_carried_values.py
    found = [v for v in workflows.values(data, path, Options()) if v.encoding is None]
    for v in found:  # every span is exact: the text as written is the value
        assert data[v.start:v.end].decode() == v.value, v
    return found


def _by(found: list[Value], key: str, env: str | None = None, context: str = "value") -> list[Value]:
    return [v for v in found if v.key == key and v.context == context and (env is None or v.environment == env)]


def test_jobs_get_their_own_environment_and_reason():
    found = _values(GITHUB)
    test_url = _by(found, "VITE_STRIPE_BASE_URL", "ci")
    assert [(v.value, v.reason) for v in test_url] == [("http://localhost:4111", "job `test` has no `environment:`")]
    staging = _by(found, "VITE_STRIPE_BASE_URL", "staging")
    assert {v.value for v in staging} == {"https://api.wondertwin.dev/twins/stripe"}
    assert len(staging) == 2  # step env: and the run: export
    assert {v.reason for v in staging} == {"job `deploy-staging` has `environment: staging`"}
    prod = _by(found, "VITE_STRIPE_BASE_URL", "production")
    assert [(v.value, v.reason) for v in prod] == [
        ("http://localhost:4111", "job `deploy-prod` has `environment.name: production`")]


def test_run_block_assignments_point_inside_the_block_scalar():
    found = _values(GITHUB)
    prod = {v.key: v for v in found if v.reason and "deploy-prod" in v.reason}
    export = prod["VITE_STRIPE_BASE_URL"]
    assert GITHUB[export.start - 1:export.end + 1] == b'"http://localhost:4111"'  # inside the shell quotes
    assert GITHUB[:export.start].endswith(b'export VITE_STRIPE_BASE_URL="')
    assert prod["VITE_ANALYTICS_URL"].value == "http://127.0.0.1:4113"  # echo … >> "$GITHUB_ENV"
    assert prod["VITE_SHOP_API"].value == "https://api.example.com"  # echo … >> .env.production
    assert prod["VITE_SEARCH_URL"].value == "http://localhost:4114"  # VAR=… npm run build
    # offsets are bytes: the non-ASCII step name before the block does not shift them
    assert GITHUB.index("☕".encode()) < export.start
    staging_echo = _by(found, "VITE_ANALYTICS_URL", "staging")
    assert [v.value for v in staging_echo] == ["http://localhost:4113"]


def test_workflow_env_is_emitted_once_per_job_with_that_jobs_environment():
    found = _values(GITHUB)
    host = _by(found, "VITE_POSTHOG_HOST")
    assert len({(v.start, v.end) for v in host}) == 1
    assert sorted(v.environment for v in host) == ["ci", "production", "production", "production", "staging", "staging"]


def test_fallback_literals_are_defaults():
    found = workflows.values(GITHUB, ".github/workflows/deploy.yml", Options())
    defaults = [v for v in found if v.context == "default"]
    assert {v.value for v in defaults} == {"http://localhost:4112", "http://localhost:4115"}
    for v in defaults:
        assert GITHUB[v.start:v.end].decode() == v.value
        assert GITHUB[v.start - 1:v.start] == b"'"
    smoke = [v for v in defaults if v.key == "URL"]
    assert {(v.environment, v.reason) for v in smoke} == {
        ("staging", "job `smoke` has `environment: ${{ matrix.env }}`, matrix value `staging`"),
        ("production", "job `smoke` has `environment: ${{ matrix.env }}`, matrix value `production`"),
    }


def test_reusable_workflow_call_counts_by_its_environment_input():
    found = _values(GITHUB)
    (api,) = _by(found, "api-base")
    assert api.environment == "production"  # `prod` normalised
    assert api.reason == "job `release` calls `./.github/workflows/release.yml` with `environment: prod`"


def test_matrix_include_and_runtime_expressions():
    data = b"""\
on: workflow_call
jobs:
  deploy:
    environment: ${{ matrix.target.env }}
    strategy:
      matrix:
        target: [{env: stg}]
        include:
          - target: {env: live}
    env: {API: 'http://localhost:4111'}
  called:
    environment: ${{ inputs.environment }}
    env: {API: 'http://localhost:4111'}
"""
    found = _values(data)
    assert [(v.environment, v.reason) for v in found if v.key == "API"] == [
        ("staging", "job `deploy` has `environment: ${{ matrix.target.env }}`, matrix value `stg`"),
        ("production", "job `deploy` has `environment: ${{ matrix.target.env }}`, matrix value `live`"),
        (None, "job `called` has `environment: ${{ inputs.environment }}`, only known at run time"),
    ]


def test_gitlab_anchors_merge_keys_and_extends():
    data = GITLAB.encode()
    found = _values(data, ".gitlab-ci.yml")
    stripe = {(v.environment, v.value) for v in _by(found, "VITE_STRIPE_BASE_URL")}
    assert stripe == {("ci", "http://localhost:4111"), ("staging", "http://localhost:4111"),
                      ("production", "https://api.stripe.com")}
    # the anchored value is reported at its definition, for each job that uses it
    for v in _by(found, "VITE_STRIPE_BASE_URL", "staging"):
        assert v.start == data.index(b"http://localhost:4111")
        assert v.reason == "job `deploy-staging` has `environment: staging`"
    (prod_search,) = _by(found, "VITE_SEARCH_URL")
    assert (prod_search.environment, prod_search.reason) == ("production", "job `deploy-prod` has `environment: production`")
    api = {v.environment for v in _by(found, "VITE_API")}  # `.deploy` script, inherited through extends
    assert api == {"staging"}  # deploy-prod overrides `script:`
    host = {v.environment for v in _by(found, "VITE_POSTHOG_HOST")}
    assert host == {"ci", "staging", "production"}  # top-level variables reach every job
    assert not [v for v in found if v.reason and ".build" in v.reason]  # hidden jobs are templates


def test_gitlab_extends_cycle_terminates():
    found = _values(GITLAB.encode(), "ci/.gitlab-ci.yml")
    assert {v.reason for v in found if v.reason and "loop" in v.reason} == {
        "job `loop-a` has no `environment:`", "job `loop-b` has no `environment:`"}


def test_invalid_yaml_names_the_line():
    with pytest.raises(ExtractError, match="line 4"):
        workflows.values(b"on: push\njobs:\n  test:\n    env: a: b\n    steps: []\n", ".github/workflows/ci.yml", Options())


def test_control_character_names_the_line():
    with pytest.raises(ExtractError, match="line 2: unacceptable character"):
        workflows.values(b"on: push\njobs: \x00\n", ".github/workflows/ci.yml", Options())


def test_alias_bomb_is_refused():
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    lines += [f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 9)]
    bomb = ("\n".join(lines) + "\njobs:\n  x:\n    env:\n      BOMB: *a8\n").encode()
    with pytest.raises(ExtractError, match="alias"):
        workflows.values(bomb, ".github/workflows/ci.yml", Options())


@pytest.mark.slow
def test_deep_nesting_is_refused_without_crashing():
    deep = b"jobs: " + b"[" * 100_000 + b"]" * 100_000
    with pytest.raises(ExtractError, match="nested deeper"):
        workflows.values(deep, ".github/workflows/ci.yml", Options())


def test_recursive_alias_is_refused():
    with pytest.raises(ExtractError):
        workflows.values(b"jobs: &j\n  x: *j\n", ".github/workflows/ci.yml", Options())


def test_a_gitlab_matrix_past_gitlabs_job_limit_is_not_multiplied_out(tmp_path):
    """GitLab runs at most 200 jobs from one `parallel: matrix`; a file asking 10^12 must not hang
    the scan, and its twin still blocks (judged by the file, a production target)."""
    from .conftest import cli_json

    axes = "\n".join(f"          V{i}: [{', '.join(f'v{j}' for j in range(16))}]" for i in range(10))
    (tmp_path / ".gitlab-ci.yml").write_text(
        "deploy:\n  stage: deploy\n  script:\n    - ./deploy.sh\n  parallel:\n    matrix:\n"
        f"      - TARGET: staging\n{axes}\n          STRIPE_BASE_URL: http://localhost:4111\n"
        "  environment:\n    name: $TARGET\n")
    code, doc = cli_json([".gitlab-ci.yml"], cwd=tmp_path)
    assert code == 1 and [f["url"] for f in doc["findings"] if f["blocking"]] == ["http://localhost:4111"]
