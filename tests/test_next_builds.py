"""Real Next.js 16 output (fixtures/toolchains/build.sh next): Turbopack and webpack builds.

fixtures/builds/next-{turbopack,webpack}-{twin-local,twin-hosted,unset}/ hold a trimmed `.next`
of fixtures/toolchains/app-next (all of static/, the prerendered HTML, RSC payloads, route
handler bodies, and the server chunks with app code). MANIFEST.json records, by searching the
files, every twin URL in every form: HTML attributes with &amp;, HTML text, the RSC payload in
.rsc files and inline in self.__next_f.push scripts (\\u0026), \\u002F-escaped JSON at one and two
string levels, route-handler JSON, and minified JS.

The first tests check the fixtures against the manifest; the rest run the scanner on them.
"""
from __future__ import annotations

import functools
import hashlib
import json

import pytest

from .conftest import ROOT, cli_json

BUILDS = ROOT / "fixtures" / "builds"
MANIFEST = json.loads((BUILDS / "MANIFEST.json").read_text())
NEXT = [b for b in MANIFEST["builds"] if b["tool"] == "next"]
TWIN = [b for b in NEXT if b["variant"] != "unset"]
UNSET = [b for b in NEXT if b["variant"] == "unset"]
by_id = functools.partial(pytest.mark.parametrize, ids=lambda b: b["id"])


@functools.lru_cache(maxsize=None)
def _bytes(build_id: str, rel: str) -> bytes:
    return (BUILDS / build_id / rel).read_bytes()


@functools.lru_cache(maxsize=None)
def _scan(build_id: str) -> tuple[int, dict]:
    return cli_json([BUILDS / build_id])


def _relpath(build_id: str, path: str) -> str:
    return path.split(build_id + "/", 1)[1]


def test_six_next_builds_with_pinned_next_16():
    assert sorted(b["id"] for b in NEXT) == sorted(
        f"next-{bundler}-{variant}" for bundler in ("turbopack", "webpack")
        for variant in ("twin-local", "twin-hosted", "unset"))
    for b in NEXT:
        assert b["version"].startswith("16.") and b["versions"]["next"] == b["version"]
        assert b["bundler"] in b["id"]
        assert ("--webpack" in b["command"]) == (b["bundler"] == "webpack")


# ---- the fixtures agree with the manifest -------------------------------------------------

@by_id("build", NEXT)
def test_manifest_lists_exactly_the_files_with_their_hashes(build):
    root = BUILDS / build["id"]
    on_disk = sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())
    assert on_disk == sorted(f["path"] for f in build["files"])
    total = 0
    for f in build["files"]:
        data = _bytes(build["id"], f["path"])
        assert (len(data), hashlib.sha256(data).hexdigest()) == (f["bytes"], f["sha256"]), f["path"]
        total += len(data)
    assert total < 2.5 * 1024 * 1024
    paths = [f["path"] for f in build["files"]]
    # What the trimming keeps: every client chunk, the prerendered page and its RSC payload,
    # the route handler body, and the server chunks with app code; no server source maps.
    assert any(p.startswith("static/chunks/") for p in paths)
    assert {"server/app/index.html", "server/app/index.rsc", "server/app/api/stripe-config.body"} <= set(paths)
    assert any(p.startswith("server/") and p.endswith(".js") for p in paths)
    assert not any(p.endswith(".map") or p.startswith(("cache/", "trace")) for p in paths)


@by_id("build", TWIN)
def test_every_manifest_url_is_in_the_file_at_its_offset_line_and_column(build):
    assert build["twin_urls"]
    for u in build["twin_urls"]:
        data = _bytes(build["id"], u["file"])
        raw = u["url"].encode()
        assert data[u["offset"]:u["offset"] + len(raw)] == raw, u
        line = data.decode("utf-8").split("\n")[u["line"] - 1]
        assert line[u["column"] - 1:].startswith(u["url"]), u  # str indexes are code points
        want = build["inputs"][u["input"]]
        assert u["decoded"].startswith(want)
        assert u["folded_prefix"] == (u["decoded"] != want)


FORMS = [  # (form, container, escape that must occur in at least one such URL, or None)
    ("html-attribute:href", "html", "&amp;"),
    ("html-attribute:data-checkout", "html", "&amp;"),
    ("html-attribute:data-api", "html", None),
    ("html-text", "html", None),
    ("rsc-payload", "html-script:rsc-payload", "\\u0026"),
    ("rsc-payload", "rsc", None),
    ("json-escaped", "html-script:application/json", "\\u002F"),
    ("json-escaped", "rsc", "\\\\u002F"),
    ("json-escaped", "html-script:rsc-payload", "\\\\\\\\u002F"),
    ("json-string", "json", None),
    ("double-quoted", None, None),
]


@by_id("build", TWIN)
def test_twin_builds_hold_every_nextjs_form(build):
    urls = build["twin_urls"]
    for form, container, escape in FORMS:
        hits = [u for u in urls if u["form"] == form and u.get("container") == container]
        assert hits, (form, container)
        if escape:
            assert any(escape in u["escapes"] for u in hits), (form, container, escape)
    stripe, posthog = build["inputs"]["stripe"], build["inputs"]["posthog"]
    client = {u["decoded"] for u in urls if u["file"].startswith("static/chunks/")}
    assert client == {f"{stripe}/v1/charges", f"{posthog}/batch/"}  # base folded into the fetch URL
    server = {u["decoded"] for u in urls if u["file"].startswith("server/") and u["file"].endswith(".js")}
    assert stripe in server or f"{stripe}/v1/checkout?mode=a&b=c" in server
    body = [u["decoded"] for u in urls if u["file"].endswith(".body")]
    assert body == [stripe, f"{stripe}/v1/charges", f"{stripe}/v1/webhook_endpoints?limit=3&expand[]=data"]


@by_id("build", UNSET)
def test_unset_builds_keep_the_same_server_files_and_only_vendor_urls(build):
    assert build["twin_urls"] == []
    # With the variables unset Next.js does not inline them: the client chunk keeps
    # process.env.NEXT_PUBLIC_STRIPE_BASE_URL??"https://api.stripe.com", nothing is folded.
    client = {u["decoded"] for u in build["vendor_urls"] if u["file"].startswith("static/chunks/")}
    assert client == {"https://api.stripe.com", "https://us.i.posthog.com"}
    # The prerendered page still folds the default into longer URLs.
    assert {u["decoded"] for u in build["vendor_urls"]} >= {
        "https://api.stripe.com/v1/checkout?mode=a&b=c", "https://api.stripe.com/v1/charges"}
    server = {f["path"] for f in build["files"] if f["path"].startswith("server/")}
    for twin in TWIN:
        if twin["bundler"] == build["bundler"]:
            assert server == {f["path"] for f in twin["files"] if f["path"].startswith("server/")}


# ---- the scanner on the builds ----------------------------------------------------------

def _group(u: dict) -> str:
    depth = max((e.count("\\") for e in u["escapes"] if e.endswith("u002F")), default=0)
    return f"{u['form']}@{u.get('container')}" + (f"+u002F-depth{depth}" if depth else "")


# Every form, including JSON inside JSON in RSC rows (`\\u002F`) and once more escaped
# in `self.__next_f.push` (`\\\\u002F`): one case per form and container, per build.
GROUP_CASES = [pytest.param(_b, _g, id=f"{_b['id']}-{_g}")
               for _b in TWIN for _g in sorted({_group(u) for u in _b["twin_urls"]})]


@pytest.mark.parametrize(("build", "group"), GROUP_CASES)
def test_scanner_finds_each_form_where_the_manifest_says(build, group):
    code, doc = _scan(build["id"])
    assert code == 1
    got = {(_relpath(build["id"], f["path"]), f["line"], f["column"]): f for f in doc["findings"]}
    want = [u for u in build["twin_urls"] if _group(u) == group]
    missing = [(u["file"], u["line"], u["column"], u["url"]) for u in want
               if (u["file"], u["line"], u["column"]) not in got]
    assert missing == []
    for u in want:
        f = got[(u["file"], u["line"], u["column"])]
        assert f["blocking"], f
        assert f["url"].startswith(build["inputs"][u["input"]]), (f["url"], u["decoded"])


@by_id("build", TWIN)
def test_scanner_reports_nothing_outside_the_manifest(build):
    """No finding in Next.js framework code or anywhere the manifest has no twin URL."""
    _, doc = _scan(build["id"])
    where = {(u["file"], u["line"], u["column"]) for u in build["twin_urls"]}
    extra = [f for f in doc["findings"] if (_relpath(build["id"], f["path"]), f["line"], f["column"]) not in where]
    assert extra == []
    assert doc["errors"] == []


@by_id("build", UNSET)
def test_unset_builds_are_clean(build):
    """Next.js internals (bare "localhost" in its URL helpers, see twin_host_mentions_not_in_a_url)
    must stay quiet."""
    assert build["twin_host_mentions_not_in_a_url"], "the framework mentions localhost outside URLs"
    code, doc = _scan(build["id"])
    assert (code, doc["findings"], doc["errors"]) == (0, [], [])
    assert doc["summary"]["files"] == len(build["files"])
