"""`twinscan https://…`: real build fixtures served over HTTP on 127.0.0.1, scanned through the CLI."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.conftest import ROOT, cli, cli_json, run_process
from tests.site_server import SiteServer, entrypoint, redirect, slow

BUILDS = ROOT / "fixtures" / "builds"
VITE_TWIN = BUILDS / "vite8-twin-local"
VITE_CLEAN = BUILDS / "vite8-unset"
NEXT_TWIN = BUILDS / "next-webpack-twin-local"
VITE_CHUNK = "/assets/index-BLjdwE-d.js"
CLEAN_CHUNK = "/assets/index-BTeKPf7F.js"


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch):
    """Every request of these tests goes to 127.0.0.1, never through a proxy."""
    for k in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(k, raising=False)


def _paths(doc) -> set[str]:
    return {f["path"] for f in doc["findings"]}


def _errors(doc) -> dict[str, str]:
    return {e["path"]: e["message"] for e in doc["errors"]}


def test_twin_build_served_is_blocking_with_url_paths_and_source_map_origin():
    with SiteServer(VITE_TWIN) as s:
        code, doc = cli_json([s.origin + "/"])
    assert code == 1
    assert _paths(doc) >= {s.origin + "/", s.origin + VITE_CHUNK}
    chunk = [f for f in doc["findings"] if f["path"] == s.origin + VITE_CHUNK and f["blocking"]]
    assert {f["url"] for f in chunk} == {"http://localhost:4111", "http://localhost:4112"}
    # the served source map gives the original source
    assert any(f["origin"] and f["origin"]["path"].endswith("src/main.js") for f in chunk)
    assert all("every resource a site serves is a production target" in f["reason"] for f in chunk)
    assert doc["summary"]["incomplete"] is False


def test_clean_build_served_exits_0():
    with SiteServer(VITE_CLEAN) as s:
        code, doc = cli_json([s.origin + "/"])
        fetched = [p for p, _ in s.requests]
    assert (code, doc["findings"], doc["errors"]) == (0, [], [])
    assert "/" in fetched and CLEAN_CHUNK in fetched
    assert doc["summary"]["files"] >= 2


def test_gzip_encoded_chunk_is_decoded_and_scanned():
    with SiteServer(VITE_TWIN, gzip={VITE_CHUNK}) as s:
        code, doc = cli_json([s.origin + "/"])
        assert "gzip" in dict(s.requests)[VITE_CHUNK]["accept-encoding"]
    assert code == 1
    assert any(f["path"] == s.origin + VITE_CHUNK and f["url"] == "http://localhost:4111" for f in doc["findings"])


def test_gzip_bomb_is_refused_with_the_existing_limits():
    import gzip as gz

    bomb = b"let x = 1;\n" + b" " * (3 << 20)
    page = b'<script src="/app.js"></script>'
    routes = {"/": (200, {"Content-Type": "text/html"}, page),
              "/app.js": (200, {"Content-Type": "text/javascript", "Content-Encoding": "gzip"}, gz.compress(bomb))}
    with SiteServer(routes=routes) as s:
        code, doc = cli_json([s.origin + "/", "--max-decoded-size", "1"])
    assert code == 3
    assert "--max-decoded-size" in _errors(doc)[s.origin + "/app.js"] or "1 MiB" in _errors(doc)[s.origin + "/app.js"]


def test_next_build_served_finds_the_twin_in_its_chunks():
    with SiteServer(routes={}, mounts={"/_next/static/": NEXT_TWIN / "static"}, root=NEXT_TWIN / "server" / "app") as s:
        code, doc = cli_json([s.origin + "/"])
    assert code == 1
    chunks = {f["path"] for f in doc["findings"] if f["blocking"]}
    assert any(p.startswith(s.origin + "/_next/static/chunks/") for p in chunks), chunks
    assert doc["summary"]["incomplete"] is False


def _env_build(tmp_path: Path) -> Path:
    """The clean Vite build with a runtime config the page loads: `env.js` is a template in the
    build, rendered by the container's entrypoint at start-up."""
    build = tmp_path / "build"
    shutil.copytree(VITE_CLEAN, build)
    html = (build / "index.html").read_text()
    (build / "index.html").write_text(html.replace("</head>", '<script src="/env.js"></script>\n  </head>'))
    (build / "env.js.template").write_text('window.__ENV__ = { STRIPE_BASE_URL: "${STRIPE_BASE_URL}" };\n')
    return build


def test_env_js_rendered_at_start_up_is_found_only_in_what_is_served(tmp_path):
    build = _env_build(tmp_path)
    assert cli_json([build])[0] == 0  # the build holds only `${STRIPE_BASE_URL}`
    served = entrypoint(build, tmp_path / "twin", {"STRIPE_BASE_URL": "http://localhost:4111"})
    with SiteServer(served) as s:
        code, doc = cli_json([s.origin + "/"])
    assert code == 1
    [f] = doc["findings"]
    assert (f["path"], f["url"], f["blocking"]) == (s.origin + "/env.js", "http://localhost:4111", True)
    real = entrypoint(build, tmp_path / "real", {"STRIPE_BASE_URL": "https://api.stripe.com"})
    with SiteServer(real) as s:
        assert cli_json([s.origin + "/"])[0] == 0


def test_csp_connect_src_that_allows_a_twin_host_is_a_finding():
    csp = "default-src 'self'; connect-src 'self' localhost:4111 https://api.stripe.com twins.staging.yourco.com"
    with SiteServer(VITE_CLEAN, headers={"Content-Security-Policy": csp}) as s:
        code, doc = cli_json([s.origin + "/", "--twin-url", "twins.*.yourco.com"])
    assert code == 1
    hits = {(f["path"], f["url"]) for f in doc["findings"]}
    assert (s.origin + "/#headers", "http://localhost:4111") in hits
    assert (s.origin + "/#headers", "https://twins.staging.yourco.com") in hits
    assert not any("api.stripe.com" in u for _, u in hits)


def test_redirect_to_another_origin_is_listed_and_followed_only_when_allowed():
    with SiteServer(VITE_TWIN) as cdn, SiteServer(routes={"/": redirect(cdn.origin + "/")}) as s:
        code, doc = cli_json([s.origin + "/"])
        assert code == 3
        msg = _errors(doc)[s.origin + "/"]
        assert "redirect to another origin" in msg and cdn.origin in msg and "302" in msg
        assert cdn.requests == []  # not followed
        code, doc = cli_json([s.origin + "/", "--allow-host", cdn.host])
        assert code == 1
        assert cdn.origin + VITE_CHUNK in _paths(doc)


def test_slow_and_failing_resources_make_the_scan_incomplete():
    html = (VITE_CLEAN / "index.html").read_text().replace(
        "</head>", '<script src="/env.js"></script><link rel="stylesheet" href="/broken.css"></head>')
    routes = {"/": (200, {"Content-Type": "text/html"}, html.encode()),
              CLEAN_CHUNK: slow(3, b"export {};"),
              "/env.js": (500, {"Content-Type": "text/plain"}, b"boom")}
    with SiteServer(VITE_CLEAN, routes=routes) as s:
        r = cli([s.origin + "/", "--request-timeout", "0.5"])
        code, doc = cli_json([s.origin + "/", "--request-timeout", "0.5"])
    assert r.exit_code == code == 3
    errors = _errors(doc)
    assert "timed out" in errors[s.origin + CLEAN_CHUNK] and "--request-timeout" in errors[s.origin + CLEAN_CHUNK]
    assert errors[s.origin + "/env.js"].startswith("HTTP 500")
    assert errors[s.origin + "/broken.css"].startswith("HTTP 404")
    for path in errors:  # the text report lists each with its status
        assert path in r.output


def test_blocking_wins_over_a_failing_resource():
    with SiteServer(VITE_TWIN, routes={"/assets/missing.js": (404, {}, b"")}) as s:
        html = (VITE_TWIN / "index.html").read_text().replace("</head>", '<script src="/assets/missing.js"></script></head>')
        s.routes["/"] = (200, {"Content-Type": "text/html"}, html.encode())
        code, doc = cli_json([s.origin + "/"])
    assert code == 1
    assert _errors(doc)[s.origin + "/assets/missing.js"].startswith("HTTP 404")


def test_not_a_production_run_does_not_become_incomplete():
    with SiteServer(VITE_TWIN, routes={VITE_CHUNK: (503, {}, b"")}) as s:
        code, doc = cli_json([s.origin + "/", "--environment", "staging"])
    assert code == 0
    assert doc["findings"] and not any(f["blocking"] for f in doc["findings"])


def test_the_scanned_origin_is_not_a_loopback_twin_but_other_loopback_urls_are(tmp_path):
    build = tmp_path / "build"
    shutil.copytree(VITE_CLEAN, build)
    with SiteServer(build) as s:
        own = f'<script>window.API = "{s.origin}/api"; window.SELF = "http://127.0.0.1:{s.host.split(":")[1]}/x";</script>'
        html = (VITE_CLEAN / "index.html").read_text().replace("</head>", own + "</head>")
        s.routes["/"] = (200, {"Content-Type": "text/html"}, html.encode())
        assert cli_json([s.origin + "/"])[0] == 0
        other = html.replace("</head>", '<script>window.PAY = "http://127.0.0.1:4111/v1";</script></head>')
        s.routes["/"] = (200, {"Content-Type": "text/html"}, other.encode())
        code, doc = cli_json([s.origin + "/"])
    assert code == 1
    assert [f["url"] for f in doc["findings"]] == ["http://127.0.0.1:4111/v1"]


def test_cross_origin_first_party_script_is_listed_unless_allowed():
    with SiteServer(VITE_TWIN) as cdn:
        page = (VITE_TWIN / "index.html").read_text().replace(f'src="{VITE_CHUNK}"', f'src="{cdn.origin}{VITE_CHUNK}"')
        page = page.replace("</head>", '<script src="https://www.googletagmanager.invalid/gtag/js?id=G-1"></script></head>')
        with SiteServer(routes={"/": (200, {"Content-Type": "text/html"}, page.encode())}) as s:
            code, doc = cli_json([s.origin + "/"])
            assert code == 1  # the page's own <meta> twin
            assert "--allow-host" in _errors(doc)[cdn.origin + VITE_CHUNK]
            assert cdn.requests == []
            assert any("third-party" in x["reason"] for x in doc["skipped"])
            code, doc = cli_json([s.origin + "/", "--allow-host", cdn.host])
            assert doc["errors"] == []
            assert cdn.origin + VITE_CHUNK in _paths(doc)


def test_cross_origin_first_party_script_alone_makes_the_scan_incomplete():
    with SiteServer(VITE_CLEAN) as cdn:
        page = (VITE_CLEAN / "index.html").read_text().replace(f'src="{CLEAN_CHUNK}"', f'src="{cdn.origin}{CLEAN_CHUNK}"')
        with SiteServer(routes={"/": (200, {"Content-Type": "text/html"}, page.encode())}) as s:
            code, doc = cli_json([s.origin + "/"])
            # the CDN of this test is on loopback too, so its <script src> is also a loopback finding
            assert code == 1 and doc["summary"]["incomplete"] is True
            assert list(_errors(doc)) == [cdn.origin + CLEAN_CHUNK]
            code, doc = cli_json([s.origin + "/", "--allow-host", cdn.host])
            assert (code, doc["findings"], doc["errors"]) == (0, [], [])  # an allowed host is the site too


SECRET = "Bearer s3cret-staging-token"


@pytest.mark.parametrize("fmt", ["text", "json", "sarif", "github", "gitlab", "junit", "markdown"])
def test_header_reaches_only_its_origin_and_never_a_report(fmt, tmp_path):
    with SiteServer(VITE_TWIN) as cdn:
        page = (VITE_TWIN / "index.html").read_text().replace(f'src="{VITE_CHUNK}"', f'src="{cdn.origin}{VITE_CHUNK}"')
        routes = {"/": (200, {"Content-Type": "text/html"}, page.encode()), "/env.js": (500, {}, b"")}
        page_with_error = page.replace("</head>", '<script src="/env.js"></script></head>')
        routes["/"] = (200, {"Content-Type": "text/html"}, page_with_error.encode())
        with SiteServer(routes=routes, require=("Authorization", SECRET)) as s:
            assert cli_json([s.origin + "/"])[0] == 3  # gated: 401 without the header
            report = tmp_path / "r.out"
            r = run_process([s.origin + "/", "--format", fmt, "--header", f"Authorization: {SECRET}",
                             "--allow-host", cdn.host, "--report", f"{fmt}={report}", "-v"])
            assert r.returncode == 1, r.stderr
            assert VITE_CHUNK.encode() in r.stdout  # the CDN chunk was fetched and scanned
            for out in (r.stdout, r.stderr, report.read_bytes()):
                assert b"s3cret" not in out
            assert s.requests[-1][1]["authorization"] == SECRET
        assert cdn.requests and all("authorization" not in h for _, h in cdn.requests)


def test_bad_header_is_a_usage_error_that_does_not_echo_the_value():
    r = run_process(["http://127.0.0.1:9/", "--header", "Authorization Bearer s3cret"])
    assert r.returncode == 2
    assert b"s3cret" not in r.stdout + r.stderr and b"Name: value" in r.stderr


def test_resource_and_byte_caps_make_the_scan_incomplete():
    with SiteServer(VITE_TWIN) as s:
        code, doc = cli_json([s.origin + "/", "--max-resources", "1"])
        assert code == 1  # the page's own twin still blocks
        assert "--max-resources 1" in _errors(doc)[s.origin + VITE_CHUNK]
    big = b"export const pad = `" + b"x" * (1 << 20) + b"`;\n"
    with SiteServer(VITE_CLEAN, routes={CLEAN_CHUNK: (200, {"Content-Type": "text/javascript"}, big)}) as s:
        code, doc = cli_json([s.origin + "/", "--max-bytes", "1"])
    assert code == 3
    assert "--max-bytes" in _errors(doc)[s.origin + CLEAN_CHUNK]


def test_sarif_uses_the_url_as_artifact_location():
    with SiteServer(VITE_TWIN) as s:
        r = cli([s.origin + "/", "--format", "sarif"])
    sarif = json.loads(r.output)
    uris = {loc["physicalLocation"]["artifactLocation"]["uri"]
            for res in sarif["runs"][0]["results"] for loc in res["locations"]}
    assert s.origin + VITE_CHUNK in uris and s.origin + "/" in uris


def test_baseline_and_ignore_globs_survive_another_host_and_port(tmp_path):
    baseline = tmp_path / "baseline.json"
    with SiteServer(VITE_TWIN) as s:
        r = cli(["baseline", s.origin + "/", "-o", baseline])
        assert r.exit_code == 0, r.output
    entries = json.loads(baseline.read_text())["entries"]
    assert "assets/index-[hash].js" in {e["path"] for e in entries}
    with SiteServer(VITE_TWIN) as other:  # another port: another origin, same deploy
        code, doc = cli_json([other.origin + "/", "--baseline", baseline])
        assert code == 0 and doc["findings"] == []
        (tmp_path / "twinscan.yaml").write_text(
            "ignore:\n  - path: 'assets/index-*'\n    reason: vendor chunk, tracked in TICKET-1\n")
        code, doc = cli_json([other.origin + "/"], cwd=tmp_path)
    assert code == 1  # the page's own <meta> is not ignored
    assert _paths(doc) == {other.origin + "/"}


def test_mixed_site_and_path_arguments(tmp_path):
    (tmp_path / ".env.production").write_text("STRIPE_BASE_URL=http://localhost:4111\n")
    with SiteServer(VITE_CLEAN) as s:
        code, doc = cli_json([s.origin + "/", tmp_path / ".env.production"])
    assert code == 1
    assert {Path(p).name for p in _paths(doc)} == {".env.production"}


NEXT_CLEAN = BUILDS / "next-webpack-unset"
LAZY = '(self.webpackChunk_N_E=self.webpackChunk_N_E||[]).push([[412],{412:(e,t,s)=>{s.d(t,{B:()=>n});let n="http://localhost:4111"}}]);\n'


def _next_with_lazy_chunk(tmp_path: Path, with_chunk: bool) -> Path:
    """The clean Next build, its webpack runtime given a chunk map (as webpack writes it when a
    page has a lazy chunk) that names chunk 412."""
    build = tmp_path / "next"
    shutil.copytree(NEXT_CLEAN, build)
    [runtime] = (build / "static" / "chunks").glob("webpack-*.js")
    text = runtime.read_text()
    assert "s.u=e=>{}" in text
    runtime.write_text(text.replace("s.u=e=>{}", 's.u=e=>"static/chunks/"+(({412:"stripe"})[e]||e)+"."+{412:"9c1b2d4e5f60aa11"}[e]+".js"'))
    if with_chunk:
        (build / "static" / "chunks" / "stripe.9c1b2d4e5f60aa11.js").write_text(LAZY)
    return build


def test_webpack_chunk_map_lazy_chunks_are_fetched_and_required(tmp_path):
    build = _next_with_lazy_chunk(tmp_path, with_chunk=True)
    with SiteServer(mounts={"/_next/static/": build / "static"}, root=build / "server" / "app") as s:
        code, doc = cli_json([s.origin + "/"])
    assert code == 1
    assert _paths(doc) == {s.origin + "/_next/static/chunks/stripe.9c1b2d4e5f60aa11.js"}
    build = _next_with_lazy_chunk(tmp_path / "missing", with_chunk=False)
    with SiteServer(mounts={"/_next/static/": build / "static"}, root=build / "server" / "app") as s:
        code, doc = cli_json([s.origin + "/"])
    assert code == 3
    assert _errors(doc)[s.origin + "/_next/static/chunks/stripe.9c1b2d4e5f60aa11.js"].startswith("HTTP 404")


def test_vite_map_deps_lazy_chunk_under_a_base_path(tmp_path):
    """Vite's `__vite__mapDeps` lists lazy chunks relative to the base (`/app/` here)."""
    build = tmp_path / "app"
    shutil.copytree(VITE_CLEAN, build)
    chunk = build / CLEAN_CHUNK.lstrip("/")
    deps = ('const __vite__mapDeps=(i,m=__vite__mapDeps,d=(m.f||(m.f=["assets/Checkout-Dq3x9Kf2.js"])))'
            '=>i.map(i=>d[i]);\n')
    chunk.write_text(deps + chunk.read_text())
    (build / "assets" / "Checkout-Dq3x9Kf2.js").write_text('const e=`http://localhost:4112`;export{e as P};\n')
    html = (build / "index.html").read_text().replace('src="/assets/', 'src="/app/assets/')
    (build / "index.html").write_text(html)
    with SiteServer(mounts={"/app/": build}) as s:
        code, doc = cli_json([s.origin + "/app/"])
    assert code == 1
    assert _paths(doc) == {s.origin + "/app/assets/Checkout-Dq3x9Kf2.js"}


def test_max_time_stops_fetching_and_says_so():
    html = b'<script src="/a.js"></script><script src="/b.js"></script>'
    routes = {"/": (200, {"Content-Type": "text/html"}, html), "/a.js": slow(1.5, b"1"), "/b.js": slow(1.5, b"2")}
    with SiteServer(routes=routes) as s:
        code, doc = cli_json([s.origin + "/", "--max-time", "1", "--request-timeout", "10"])
    assert code == 3
    assert all("--max-time" in m for p, m in _errors(doc).items()), _errors(doc)
    assert set(_errors(doc)) == {s.origin + "/a.js", s.origin + "/b.js"}


@pytest.mark.parametrize("encoding", ["br", "zstd"])
def test_brotli_and_zstd_encoded_chunks_are_decoded(encoding):
    import brotli
    import zstandard

    data = (VITE_TWIN / VITE_CHUNK.lstrip("/")).read_bytes()
    body = brotli.compress(data) if encoding == "br" else zstandard.ZstdCompressor().compress(data)
    route = (200, {"Content-Type": "text/javascript", "Content-Encoding": encoding}, body)
    with SiteServer(VITE_TWIN, routes={VITE_CHUNK: route}) as s:
        code, doc = cli_json([s.origin + "/"])
    assert code == 1
    assert any(f["path"] == s.origin + VITE_CHUNK and f["url"] == "http://localhost:4112" for f in doc["findings"])


def test_header_for_a_named_origin_goes_there_only():
    with SiteServer(VITE_CLEAN) as cdn:
        page = (VITE_CLEAN / "index.html").read_text().replace(f'src="{CLEAN_CHUNK}"', f'src="{cdn.origin}{CLEAN_CHUNK}"')
        with SiteServer(routes={"/": (200, {"Content-Type": "text/html"}, page.encode())}) as s:
            code, doc = cli_json([s.origin + "/", "--allow-host", cdn.host, "--header", f"{cdn.origin}=X-Cdn-Token: t0k"])
            assert code == 0, doc
            assert all("x-cdn-token" not in h for _, h in s.requests)
        assert [h.get("x-cdn-token") for _, h in cdn.requests] == ["t0k"] * len(cdn.requests) and cdn.requests


def test_same_origin_redirects_are_followed_and_loops_are_not():
    with SiteServer(VITE_TWIN, routes={"/": redirect("/index.html", 301)}) as s:
        code, doc = cli_json([s.origin + "/"])
        assert code == 1 and s.origin + "/index.html" in _paths(doc)
        s.routes["/"] = redirect("/again")
        s.routes["/again"] = redirect("/")
        code, doc = cli_json([s.origin + "/"])
    assert code == 3
    assert "redirects" in _errors(doc)[s.origin + "/"]


def test_stylesheet_imports_are_followed_and_images_are_not():
    html = (VITE_CLEAN / "index.html").read_text().replace("</head>", '<link rel="stylesheet" href="/assets/app.css"></head>')
    css = b'@import url("theme.css");\nbody{background:url(/bg.png)}\n'
    theme = b'.pay::after{content:"http://localhost:4111"}\n'
    routes = {"/": (200, {"Content-Type": "text/html"}, html.encode()),
              "/assets/app.css": (200, {"Content-Type": "text/css"}, css),
              "/assets/theme.css": (200, {"Content-Type": "text/css"}, theme)}
    with SiteServer(VITE_CLEAN, routes=routes) as s:
        code, doc = cli_json([s.origin + "/"])
        fetched = [p for p, _ in s.requests]
    assert code == 1
    assert _paths(doc) == {s.origin + "/assets/theme.css"}
    assert "/bg.png" not in fetched


def test_a_server_that_echoes_the_header_does_not_leak_it_into_the_report():
    def echo(h):
        token = h.headers.get("Authorization", "")
        return 200, {"Content-Type": "text/html", "X-Debug": f"auth={token} upstream=http://localhost:4111/"}, b"<p>hi</p>"

    with SiteServer(routes={"/": echo}) as s:
        r = run_process([s.origin + "/", "--header", f"Authorization: {SECRET}", "--format", "json"])
    assert r.returncode == 1  # the debug header names a twin, on the same line as the echoed token
    doc = json.loads(r.stdout)
    assert [f["path"] for f in doc["findings"]] == [s.origin + "/#headers"]
    assert b"s3cret" not in r.stdout + r.stderr
