"""Roles (issue 12): a hit is judged by what it is for, through the CLI on realistic files.

Only the service role blocks in a production target; every other role is reported with the
role as the reason, unless the role lets twin evidence through and there is some (a hosted twin,
a WonderTwin port, a vendor key or path). Unknown roles fail closed.
"""
from __future__ import annotations

import textwrap

import pytest

from twinscan import roles

from .conftest import cli, cli_json


def scan(tmp_path, files: dict[str, str], *args):
    for name, text in files.items():
        p = tmp_path / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(textwrap.dedent(text).lstrip("\n"))
    code, doc = cli_json([*args, "."], cwd=tmp_path)
    return code, doc


def one(doc, url_part: str) -> dict:
    found = [f for f in doc["findings"] if url_part in f["url"]]
    assert len(found) == 1, [(f["path"], f["url"]) for f in doc["findings"]]
    return found[0]


# -- files whose role is not deployment ------------------------------------------------------

FILE_ROLES = [
    ("README.md", "## Local twins\n\nPoint the app at `http://localhost:4111` while developing.\n", "documentation"),
    ("docs/adr/0003-twins.md", "We use https://api.wondertwin.dev/twins/stripe in CI.\n", "documentation"),
    ("docs/guide.mdx", "<Callout>Use http://localhost:4111 locally.</Callout>\n", "documentation"),
    ("docs/setup.rst", "Run the twin at http://localhost:4111 first.\n", "documentation"),
    ("src/checkout.spec.ts", "await page.goto('http://localhost:4111/stripe');\n", "test"),
    ("cypress/e2e/pay.cy.ts", "cy.request('http://localhost:4111/v1/charges');\n", "test"),
    ("src/__mocks__/stripe.ts", "export const url = 'http://localhost:4111';\n", "test"),
    ("src/mocks/handlers.ts", "http.post('http://localhost:4111/v1/charges', () => ok());\n", "test"),
    ("e2e/smoke.ts", "const BASE = 'http://localhost:4111';\n", "test"),
    ("playwright.config.ts", "export default { use: { baseURL: 'http://localhost:5173' } };\n", "test"),
    (".storybook/preview.ts", "const api = 'http://localhost:4111';\n", "test"),
    ("vitest.config.ts", "export default { test: { env: { API: 'http://localhost:4111' } } };\n", "test"),
    ("jest.config.js", "module.exports = { testEnvironmentOptions: { url: 'http://localhost:4111' } };\n", "test"),
    (".env.production.example", "VITE_STRIPE_BASE_URL=http://localhost:4111\n", "example"),
    (".env.local.example", "VITE_STRIPE_BASE_URL=http://localhost:4111\n", "example"),
    ("config/app.env.sample", "STRIPE_URL=http://localhost:4111\n", "example"),
    ("deploy/env.js.template", "window.__ENV__ = {STRIPE: 'http://localhost:4111'};\n", "example"),
    ("examples/basic/.env", "VITE_STRIPE_BASE_URL=http://localhost:4111\n", "example"),
]


@pytest.mark.parametrize("name,text,role", FILE_ROLES, ids=[r[0] for r in FILE_ROLES])
def test_files_that_are_not_deployed_are_reported_with_their_role(tmp_path, name, text, role):
    code, doc = scan(tmp_path, {name: text})
    assert code == 0, doc["findings"]
    f = doc["findings"][0]
    assert f["production"] and not f["blocking"] and f["role"] == role
    assert f["reason"].startswith("production target, but "), f["reason"]


def test_a_test_file_named_for_the_test_environment_is_not_production(tmp_path):
    """`api.test.ts` names the test environment (as `config.test.json` does): reported, with its role."""
    code, doc = scan(tmp_path, {"src/api.test.ts": "const base = 'http://localhost:4111';\n"})
    assert code == 0
    f = doc["findings"][0]
    assert not f["production"] and not f["blocking"] and f["role"] == "test"


def test_a_bare_stem_is_not_a_role(tmp_path):
    """`template.yaml` is AWS SAM's default production template; a page route may be `template.json`."""
    code, doc = scan(tmp_path, {
        "template.yaml": "Environment:\n  Variables:\n    STRIPE_URL: http://localhost:4111\n",
        ".next/server/pages/template.json": '{"pageProps":{"api":"http://localhost:4112"}}\n',
        ".next/server/pages/local.json": '{"pageProps":{"api":"http://localhost:4113"}}\n',
    })
    assert code == 1
    assert all(f["blocking"] and f["role"] == "service" and f["environment"] == "production" for f in doc["findings"])
    assert len(doc["findings"]) == 3


def test_npm_docs_inside_an_image_layer_are_documentation(tmp_path):
    from .helpers import docker_save

    config = {"architecture": "amd64", "os": "linux", "config": {"Env": ["PATH=/usr/local/bin:/usr/bin:/bin"]}}
    tar, _ = docker_save({"usr/local/lib/node_modules/npm/docs/content/using-npm/registry.md":
                          b"Set `registry=http://localhost:4873` for a local Verdaccio.\n",
                          "app/dist/index.js": b'const api="https://api.stripe.com";\n'}, config)
    (tmp_path / "app.tar").write_bytes(tar)
    code, doc = cli_json([tmp_path / "app.tar"])
    assert code == 0, [f for f in doc["findings"] if f["blocking"]]
    f = one(doc, "localhost:4873")
    assert f["role"] == "documentation" and not f["blocking"]


# -- keys: sidecars, agents, proxies; vendor keys win ----------------------------------------

def test_sidecar_agent_and_proxy_keys_are_reported_not_blocking(tmp_path):
    code, doc = scan(tmp_path, {".env.production": """
        OTEL_EXPORTER_OTLP_ENDPOINT=http://localhost:4317
        DD_TRACE_AGENT_URL=http://localhost:8126
        STATSD_HOST=http://127.0.0.1:8125
        HTTP_PROXY=http://127.0.0.1:3128
        VITE_STRIPE_BASE_URL=https://api.stripe.com
    """})
    assert code == 0, [f for f in doc["findings"] if f["blocking"]]
    roles_seen = {f["key"]: f["role"] for f in doc["findings"]}
    assert roles_seen == {"OTEL_EXPORTER_OTLP_ENDPOINT": "sidecar", "DD_TRACE_AGENT_URL": "sidecar",
                          "STATSD_HOST": "sidecar", "HTTP_PROXY": "proxy"}
    assert "telemetry collector" in one(doc, "4317")["reason"]


def test_a_sidecar_key_on_a_wondertwin_port_is_a_twin(tmp_path):
    code, doc = scan(tmp_path, {".env.production": "OTEL_EXPORTER_OTLP_ENDPOINT=http://localhost:4111\n"})
    assert code == 1
    f = one(doc, "4111")
    assert f["blocking"] and f["role"] == "sidecar" and "port 4111 is a WonderTwin default" in f["reason"]


def test_a_hosted_twin_blocks_in_a_proxy_role(tmp_path):
    code, doc = scan(tmp_path, {".env.production": "HTTPS_PROXY=https://api.wondertwin.dev/twins/stripe\n"})
    assert code == 1 and one(doc, "wondertwin")["blocking"]


def test_a_vendor_key_wins_over_a_sidecar_pattern(tmp_path):
    """`POSTHOG_AGENT_URL` looks like an agent endpoint, but it configures a vendor: service."""
    code, doc = scan(tmp_path, {
        ".env.production": "NEXT_PUBLIC_POSTHOG_HOST=http://localhost:8000\n",
        "twinscan.yaml": "services:\n  posthog: {keys: [POSTHOG_AGENT_URL]}\n",
        "deploy/.env": "POSTHOG_AGENT_URL=http://localhost:8000\n",
    })
    assert code == 1
    assert {f["role"] for f in doc["findings"] if f["blocking"]} == {"service"}
    assert any(f["key"] == "POSTHOG_AGENT_URL" and f["blocking"] for f in doc["findings"])


def test_an_unknown_role_fails_closed(tmp_path):
    code, doc = scan(tmp_path, {".env.production": "PAYMENTS_BASE=http://localhost:8080\n"})
    assert code == 1 and one(doc, "8080")["role"] == "service"


# -- library internals: the url-base exemption never applies on a WonderTwin port ------------

def test_new_url_with_a_twin_base_is_a_twin_endpoint(tmp_path):
    """What esbuild and Vite emit for `new URL(path, import.meta.env.VITE_STRIPE_BASE_URL)`."""
    code, doc = scan(tmp_path, {"dist/assets/index-a1b2c3d4.js":
                                'async function c(){return fetch(new URL("/v1/charges","http://localhost:4111"))}\n'})
    assert code == 1 and one(doc, "4111")["blocking"]


def test_new_url_with_a_bare_localhost_base_stays_library_code(tmp_path):
    code, doc = scan(tmp_path, {"dist/assets/index-a1b2c3d4.js":
                                'function r(e){return new URL(e,"http://localhost")}\n'})
    assert code == 0


# -- config `roles:` and --strict ------------------------------------------------------------

def test_config_roles_need_a_reason_and_apply_first(tmp_path):
    files = {"ops/.env": "GRAFANA_URL=http://localhost:3000\n",
             "twinscan.yaml": "roles:\n  - path: ops/\n    role: sidecar\n    reason: Grafana runs beside the app in the pod\n"}
    code, doc = scan(tmp_path, files)
    assert code == 0
    f = one(doc, "3000")
    assert f["role"] == "sidecar" and "Grafana runs beside the app" in f["reason"]

    (tmp_path / "twinscan.yaml").write_text("roles:\n  - path: ops/\n    role: sidecar\n")
    r = cli(["."], cwd=tmp_path)
    assert r.exit_code == 2 and "`reason` is required" in r.stderr
    (tmp_path / "twinscan.yaml").write_text("roles:\n  - key: GRAFANA_URL\n    role: nonsense\n    reason: x\n")
    r = cli(["."], cwd=tmp_path)
    assert r.exit_code == 2 and "unknown role 'nonsense'" in r.stderr


def test_config_role_for_a_key(tmp_path):
    code, doc = scan(tmp_path, {".env.production": "LOKI_PUSH=http://localhost:3100\n",
                                "twinscan.yaml": "roles:\n  - key: LOKI_PUSH\n    role: sidecar\n    reason: promtail sidecar\n"})
    assert code == 0 and one(doc, "3100")["role"] == "sidecar"


def test_strict_restores_every_hit_in_production_blocks(tmp_path):
    files = {"README.md": "Use http://localhost:4111 locally.\n",
             ".env.production": "OTEL_EXPORTER_OTLP_ENDPOINT=http://localhost:4317\n"}
    code, doc = scan(tmp_path, files)
    assert code == 0
    code, doc = cli_json(["--strict", "."], cwd=tmp_path)
    assert code == 1 and all(f["blocking"] and f["role"] is None for f in doc["findings"])
    (tmp_path / "twinscan.yaml").write_text("strict: true\n")
    code, _ = cli_json(["."], cwd=tmp_path)
    assert code == 1


def test_roles_never_hide_a_twin_outside_what_never_deploys():
    """Only roles for text that never runs in production (comment, docs, tests, examples, the dev
    server's config) hide twin evidence."""
    book = roles.builtin()
    never = {name for name, info in book.roles.items() if not info.evidence_blocks}
    assert never == {"comment", "documentation", "test", "example", "dev-server"}
    assert book.info("service").evidence_blocks


def test_builtin_key_patterns_compile_and_answer_as_compiled_ones():
    """The built-in book keeps its key patterns as text until a key is judged: each must still
    compile, and the book must answer as one parsed with them compiled."""
    from twinscan import shipped

    lazy = roles.builtin()
    eager = roles._parse(shipped.load("roles.yaml"), "rules/roles.yaml")
    assert all(isinstance(e.pattern, str) for e in lazy.keys) and len(lazy.keys) == len(eager.keys) >= 10
    for key in ("OTEL_EXPORTER_OTLP_ENDPOINT", "DD_AGENT_HOST", "HTTP_PROXY", "VITE_STRIPE_BASE_URL", "homepage", "target"):
        for path in ("vite.config.ts", ".env.production"):
            assert lazy.key_role(key, path) == eager.key_role(key, path), (key, path)
    assert lazy.key_role("OTEL_EXPORTER_OTLP_ENDPOINT").name == "sidecar"


def _first_key_entry(book, key: str, path: str):
    """What key_role must answer: the first entry whose own pattern fully matches *key* and
    whose globs (if any) take *path*, each pattern compiled and tried on its own."""
    import re

    for e in book.keys:
        rx = re.compile(e.pattern, re.I) if isinstance(e.pattern, str) else e.pattern
        if rx.fullmatch(key) and (not e.globs or roles._spec(e.globs).match_file(path)):
            return e.role
    return None


KEYS = ("OTEL_EXPORTER_OTLP_ENDPOINT", "otel_exporter_otlp_traces_endpoint", "DD_AGENT_HOST", "HTTP_PROXY", "https_proxy",
        "VITE_STRIPE_BASE_URL", "homepage", "target", "STATSD_HOST", "JAEGER_AGENT_HOST", "aa", "bb", "ab", "x1x1", "x1x2",
        "MY_SIDECAR_URL", "", "proxy", "baseURL")


@pytest.mark.parametrize("doc", [
    None,  # the built-in book
    {"keys": [{"role": "sidecar", "reason": "r", "pattern": r"(a)\1"}, {"role": "test", "reason": "r", "pattern": r"(b)\1"}]},
    {"keys": [{"role": "sidecar", "reason": "r", "pattern": r"(?P<n>x\d)(?P=n)"}, {"role": "test", "reason": "r", "pattern": "a(?P<n>b)"}]},
    {"keys": [{"role": "sidecar", "reason": "r", "pattern": "(?x) a b  # verbose"}, {"role": "test", "reason": "r", "pattern": "target",
                                                                                     "files": ["vite.config.*"]}]},
])
def test_key_roles_answer_as_each_pattern_tried_in_order(doc):
    """A key is judged against every entry's pattern at once (one expression) before the entries
    are tried in order; the answer is the first entry's whose own pattern matches, whatever the
    patterns hold (groups referred back to, a name used twice, verbose mode, file globs)."""
    book = roles.builtin() if doc is None else roles._parse(doc, "test", roles.builtin())
    for key in KEYS:
        for path in ("vite.config.ts", ".env.production", "src/app.js"):
            got = book.key_role(key, path)
            assert (got.name if got else None) == _first_key_entry(book, key, path), (key, path)


def test_dev_server_proxy_and_package_metadata_are_not_deployment(tmp_path):
    code, doc = scan(tmp_path, {
        "vite.config.ts": "export default defineConfig({ server: { proxy: { '/api': { target: 'http://localhost:4111' } } } })\n",
        "package.json": '{"name": "shop", "homepage": "http://localhost:5173/", "proxy": "http://localhost:4111"}\n',
        "schemas/app.schema.json": '{"properties": {"api": {"examples": ["https://api.stripe.com", "http://localhost:4111"]}}}\n',
    })
    assert code == 0, [(f["path"], f["url"], f["role"]) for f in doc["findings"] if f["blocking"]]
    got = {(f["path"], f["role"]) for f in doc["findings"]}
    assert got == {("vite.config.ts", "dev-server"), ("package.json", "documentation"), ("package.json", "dev-server"),
                   ("schemas/app.schema.json", "example")}


def test_a_minified_localhost_only_branch_is_development(tmp_path):
    code, doc = scan(tmp_path, {"dist/assets/index-a1b2c3d4.js":
                                'location.hostname===`localhost`&&(ci(rv,`http://127.0.0.1:9099`));\n'})
    assert code == 0 and doc["findings"][0]["context"] == "dev-branch"
