"""Library code stays quiet; configuration blocks.

Real dist files of axios, posthog-js, socket.io-client, Sentry and sockjs-client
(fixtures/libraries/, fetched by fetch.sh from the npm registry) mention loopback
URLs for good reasons. A loopback URL blocks when it is configuration (an inlined
env value, a fetch/WebSocket/SDK endpoint, a setting) and not when it is a
comparison operand, a URL-parsing base, a dev-only branch, a log message or a
curated known default; every such decision says why.
"""
from __future__ import annotations

import json

import pytest

from .conftest import ROOT, cli_json, scan_bytes

LIBRARIES = ROOT / "fixtures" / "libraries"
MANIFEST = json.loads((LIBRARIES / "MANIFEST.json").read_text())
COMMITTED = [f for f in MANIFEST["files"] if f.get("committed")] if "files" in MANIFEST else []


# Real library defaults twinscan still blocks on (issue 12): enabled by removing `pending` in fetch.sh.
PENDING = {f["local_path"] for f in MANIFEST.get("files", []) if f.get("pending")}


def _committed_files():
    out = []
    for d in sorted(LIBRARIES.iterdir()):
        if d.is_dir() and not d.name.startswith("."):
            out += [p for p in d.rglob("*.js") if p.relative_to(LIBRARIES).as_posix() not in PENDING]
    return out


@pytest.mark.parametrize("path", _committed_files(), ids=lambda p: str(p.relative_to(LIBRARIES)))
def test_real_library_dist_files_never_block(path, engine):
    code, doc = cli_json(["--engine", engine, path])
    assert code == 0, [(f["line"], f["column"], f["url"], f["reason"]) for f in doc["findings"] if f["blocking"]]
    for f in doc["findings"]:
        assert f["production"] and not f["blocking"]
        assert "library code" in f["reason"] or "but the URL is" in f["reason"], f["reason"]


def test_every_library_with_a_loopback_url_is_explained():
    """axios, Sentry Spotlight and sockjs each ship loopback URLs: each finding names its evidence."""
    _, doc = cli_json([p for p in _committed_files()])
    reasons = {f["path"].split("fixtures/libraries/")[1].split("/")[0]: f["reason"] for f in doc["findings"]}
    assert set(reasons) >= {"axios-1.21.1", "sentry-browser-11.12.0", "sockjs-client-1.6.1"}
    assert "placeholder for the page location" in reasons["axios-1.21.1"]
    assert "Sentry Spotlight" in reasons["sentry-browser-11.12.0"]
    assert "sockjs-client" in reasons["sockjs-client-1.6.1"]


QUIET = [
    (b'if(e.origin==="http://localhost:3000")x()', "comparison"),
    (b'if("http://127.0.0.1:8080"!==t)x()', "comparison"),
    (b'r=n.startsWith("http://localhost:5173")', "comparison"),
    (b'ok=["http://localhost:3000","http://localhost:5173"].includes(location.origin)', "comparison"),
    (b'u=new URL(e.url||"", "http://localhost:3000")', "url-base"),
    (b'b=window.location.href||"http://localhost:3000/"', "url-base"),
    (b'o=URL.canParse(p,"http://localhost:8080")', "url-base"),
    (b'if(process.env.NODE_ENV!=="production"){api="http://localhost:3000"}', "dev-branch"),
    (b'h="production"===process.env.NODE_ENV?"https://api.example.com":"http://localhost:3000"', "dev-branch"),
    (b'console.warn("Spotlight not reachable at " + "http://localhost:9000")', "message"),
    (b'throw new Error("expected a URL like http://localhost:8080/path")', "message"),
    (b"u=`http://localhost:${port}/json/list`", "computed"),
]


@pytest.mark.parametrize(("code", "context"), QUIET, ids=[c for _, c in QUIET])
def test_library_contexts_are_reported_not_blocking(code, context, engine):
    f = scan_bytes(code, "dist/assets/vendor.js", engine).findings[0]
    assert (f.context, f.blocking) == (context, False), f.reason
    assert f.reason.startswith("production target, but the URL")


CONFIG = [
    b'n="http://localhost:4111",r=`http://localhost:4112`',
    b'fetch("http://localhost:4111/v1/charges",{method:"POST"})',
    b'const c={apiHost:"http://localhost:4112",flushAt:20}',
    b'ws=new WebSocket("ws://localhost:4113/socket")',
    b'io("http://localhost:3000",{transports:["websocket"]})',
    b'var e=JSON.parse(\'{"apiBase":"http://localhost:4111"}\')',
    b'posthog.init("phc_x",{api_host:"http://localhost:4112"})',
    b'base=process.env.STRIPE_URL||"http://localhost:4111"',
    b'fetch(`http://localhost:4111${path}`)',  # a folded `${base}${path}`: only the path is computed
]


@pytest.mark.parametrize("code", CONFIG, ids=range(len(CONFIG)))
def test_configuration_still_blocks(code, engine):
    fs = scan_bytes(code, "dist/assets/index.js", engine).findings
    assert fs and all(f.blocking for f in fs), [(f.context, f.reason) for f in fs]


def test_hosted_twins_block_even_where_loopback_would_not(engine):
    code = b'if(u==="https://api.wondertwin.dev/twins/stripe")x();y=new URL(p,"https://api.wondertwin.dev/twins/stripe")'
    fs = scan_bytes(code, "dist/app.js", engine).findings
    assert len(fs) == 2 and all(f.blocking and f.context == "string" for f in fs)


def test_known_defaults_apply_only_to_javascript_and_never_on_a_twin_port(tmp_path):
    (tmp_path / ".env.production").write_text("SENTRY_SPOTLIGHT=http://localhost:8969/stream\n")
    code, doc = cli_json([tmp_path / ".env.production"])
    assert code == 1 and doc["findings"][0]["blocking"]
    f = scan_bytes(b'e=new Request("http://localhost:4111",{method:"POST"})', "dist/a.js").findings[0]
    assert f.blocking  # a twin port is never a library default
    f = scan_bytes(b'e=new Request("http://localhost",{method:"POST"})', "dist/a.js").findings[0]
    assert not f.blocking and "bare-localhost-base" in f.reason


def test_inlined_env_object_does_not_need_the_parser():
    """Vite's `import.meta.env` object inlines values as object members: those are config
    and are decided without parsing (the parser runs only for library-shaped contexts)."""
    f = scan_bytes(b'const e={BASE_URL:"/",VITE_STRIPE_BASE_URL:`http://localhost:4111`};', "dist/a.js").findings[0]
    assert f.blocking and f.key == "VITE_STRIPE_BASE_URL"
