"""`twinscan guard --emit ts`: the emitted TypeScript guard, transpiled with the pinned esbuild
(fixtures/toolchains/pins/esbuild) and run with Node, rejects exactly what the Python guard and
the scanner reject, and throws at module load in a production build."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from twinscan import guard
from twinscan.runtime import tsguard

from .conftest import ROOT, cli
from .guard_table import ORG_TWIN_URLS, PLAIN_KEY, SERVICE_KEY, TABLE

PIN = ROOT / "fixtures" / "toolchains" / "pins" / "esbuild"
CACHE = ROOT / "tests" / ".cache" / "esbuild"  # git-ignored (tests/.gitignore)
SHARED = ROOT / "fixtures" / "toolchains" / ".work" / "tools" / "esbuild"  # fixtures/toolchains/build.sh's copy


def _esbuild_version(path: Path) -> str | None:
    try:
        return subprocess.run([str(path), "--version"], capture_output=True, text=True, timeout=30).stdout.strip()
    except OSError:
        return None


def esbuild_path() -> Path:
    """The pinned esbuild (installed into tests/.cache on first use); skips without Node."""
    if shutil.which("node") is None:
        pytest.skip("Node.js is not installed")
    want = json.loads((PIN / "package.json").read_text())["devDependencies"]["esbuild"]
    for d in (SHARED, CACHE):
        exe = d / "node_modules" / ".bin" / "esbuild"
        if exe.exists() and _esbuild_version(exe) == want:
            return exe
    if shutil.which("npm") is None:
        pytest.skip("npm is not installed and the pinned esbuild is not cached")
    CACHE.mkdir(parents=True, exist_ok=True)
    for name in ("package.json", "package-lock.json"):
        shutil.copy(PIN / name, CACHE / name)
    r = subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--ignore-scripts=false"], cwd=CACHE,
                       capture_output=True, text=True, timeout=300)
    if r.returncode != 0:
        pytest.fail(f"npm ci of the pinned esbuild failed:\n{r.stderr[-2000:]}")
    exe = CACHE / "node_modules" / ".bin" / "esbuild"
    assert _esbuild_version(exe) == want
    return exe


@pytest.fixture(scope="module")
def esbuild() -> Path:
    return esbuild_path()


def _build(esbuild: Path, ts: Path, out: Path, define: dict | None = None) -> None:
    args = [str(esbuild), str(ts), "--format=esm", f"--outfile={out}", "--log-level=warning"]
    if define is not None:  # what Vite does to `import.meta.env` in a build
        args.append("--define:import.meta.env=" + json.dumps(define))
    r = subprocess.run(args, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr


def _node(script: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(["node", "--input-type=module", "-e", script], cwd=cwd, capture_output=True, text=True, timeout=60)


@pytest.fixture(scope="module")
def emitted(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("tsguard")
    args = ["guard", "--emit", "ts", "--output", d / "twinscan-guard.ts"]
    for spec in ORG_TWIN_URLS:
        args += ["--twin-url", spec]
    r = cli(args)
    assert r.exit_code == 0, r.output
    return d


@pytest.mark.slow
def test_emitted_guard_rejects_exactly_what_the_python_guard_rejects(esbuild, emitted):
    _build(esbuild, emitted / "twinscan-guard.ts", emitted / "guard.mjs")
    rows = [[url, key] for key in (PLAIN_KEY, SERVICE_KEY) for url, _ in TABLE]
    (emitted / "rows.json").write_text(json.dumps(rows))
    r = _node("import {checkUrl} from './guard.mjs'; import fs from 'fs';"
              "const rows = JSON.parse(fs.readFileSync('rows.json', 'utf8'));"
              "console.log(JSON.stringify(rows.map(([u, k]) => checkUrl(u, k).map(v => [v.rule, v.url]))));", emitted)
    assert r.returncode == 0, r.stderr
    ts = json.loads(r.stdout)
    py = [[[v.rule, v.url] for v in guard.check_url(url, key=key, twin_urls=ORG_TWIN_URLS)] for url, key in rows]
    diff = [(row, t, p) for row, t, p in zip(rows, ts, py) if t != p]
    assert not diff, diff
    # and the table's own expectations (the scanner's, proven equal in test_guard.py)
    plain = [next((rule for rule, _ in v), None) for v in ts[:len(TABLE)]]
    assert plain == [rule for _, rule in TABLE]


@pytest.mark.slow
def test_emitted_guard_throws_at_load_in_a_production_build(esbuild, emitted):
    ts = emitted / "twinscan-guard.ts"
    load = "import('./b.mjs').then(m => console.log('loaded', typeof m.checkServices), e => console.log(e.name + ': ' + e.message))"
    cases = [
        ({"PROD": True, "VITE_STRIPE_BASE_URL": "http://localhost:4111"}, "TwinURLError: twinscan guard: a service points at a twin"),
        ({"PROD": True, "VITE_POSTHOG_HOST": "https://twins.eu.yourco.com/posthog", "VITE_STRIPE_BASE_URL": "https://api.stripe.com"},
         "VITE_POSTHOG_HOST (service posthog) resolves to https://twins.eu.yourco.com/posthog: a twin URL [rule org-twin-url"),
        ({"PROD": True, "VITE_STRIPE_BASE_URL": "https://api.stripe.com", "VITE_POSTHOG_HOST": "https://eu.i.posthog.com"}, "loaded function"),
        # not a vendor variable, still a twin: every setting is checked (the three guards agree)
        ({"PROD": True, "VITE_API_URL": "http://localhost:8080"}, "VITE_API_URL resolves to http://localhost:8080: a twin URL"),
        ({"PROD": True, "VITE_DB": "postgres://localhost/app", "VITE_SITE": "https://localhost.example.com"}, "loaded function"),
        ({"PROD": False, "DEV": True, "VITE_STRIPE_BASE_URL": "http://localhost:4111"}, "loaded function"),
        (None, "loaded function"),  # plain Node: no import.meta.env
    ]
    for define, expected in cases:
        _build(esbuild, ts, emitted / "b.mjs", define)
        r = _node(load, emitted)
        assert r.returncode == 0, r.stderr
        assert expected in r.stdout, (define, r.stdout)
        os.remove(emitted / "b.mjs")
    _build(esbuild, ts, emitted / "c.mjs")
    r = _node("import {checkServices, findTwins} from './c.mjs';"
              "console.log(JSON.stringify(findTwins({SENTRY_DSN: 'https://k@o1.ingest.sentry.io/2', STRIPE_API_BASE: 'http://0.0.0.0:4111'}).map(v => v.rule)));"  # noqa: E501
              "try { checkServices({VITE_STRIPE_BASE_URL: 'https://api.stripe.com'}); console.log('ok'); } catch (e) { console.log('threw'); }", emitted)  # noqa: E501
    assert r.stdout.split() == ['["unspecified-address-url"]', "ok"], r.stderr


def test_js_regex_keeps_the_meaning_and_refuses_what_it_cannot_keep():
    assert tsguard.js_regex(r"(?:[^/?#@\s]+@)?x\s") == r"(?:[^/?#@ \t\n\r\f\v]+@)?x[ \t\n\r\f\v]"
    with pytest.raises(ValueError):
        tsguard.js_regex(r"\bfoo")
    with pytest.raises(ValueError):
        tsguard.js_regex(r"(?i:foo)")


def test_guard_emit_json_and_bad_twin_url():
    r = cli(["guard", "--emit", "json", "--twin-url", "twins.*.acme.io"])
    assert r.exit_code == 0
    data = json.loads(r.output)
    assert data["twin_urls"] == ["twins.*.acme.io"]
    assert "org-twin-url" in [x["id"] for x in data["rules"]]
    assert data["services"]["stripe"]["hosts"][0] == "api.stripe.com"
    r = cli(["guard", "--emit", "ts", "--twin-url", "twins.*x.acme.io"])
    assert r.exit_code == 2 and "whole labels" in r.output
