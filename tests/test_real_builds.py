"""Real toolchain output (fixtures/toolchains/build.sh: Vite 8, Vite 7, webpack 5, esbuild).

fixtures/builds/MANIFEST.json records, by searching the outputs, every twin URL
each build emitted with its line and column; the scanner must find each one
there, on both engines, and find nothing in the builds made with the
variables unset.
"""
from __future__ import annotations

import json

import pytest

from .conftest import ENGINES, ROOT, cli_json

pytestmark = pytest.mark.slow  # every real build, with every engine

BUILDS = ROOT / "fixtures" / "builds"
MANIFEST = json.loads((BUILDS / "MANIFEST.json").read_text())
TWIN_BUILDS = [b for b in MANIFEST["builds"] if b["variant"] != "unset"]
UNSET_BUILDS = [b for b in MANIFEST["builds"] if b["variant"] == "unset"]


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("build", TWIN_BUILDS, ids=lambda b: b["id"])
def test_every_emitted_twin_url_is_found_where_it_is(build, engine):
    code, doc = cli_json(["--engine", engine, BUILDS / build["id"]])
    assert code == 1
    got = {(f["path"].split(build["id"] + "/", 1)[1], f["line"], f["column"]): f for f in doc["findings"]}
    assert build["twin_urls"], "the manifest lists the URLs each twin build emitted"
    for want in build["twin_urls"]:
        f = got.get((want["file"], want["line"], want["column"]))
        assert f is not None, f"{build['id']}: {want['file']}:{want['line']}:{want['column']} {want['url']} not found"
        assert f["url"].startswith(want.get("decoded") or want["url"]), (f["url"], want)
        if want["form"] == "comment" or want.get("source_form") == "comment" and not want["file"].endswith(".map"):
            assert not f["blocking"]
        elif not want["file"].endswith(".map"):
            assert f["blocking"], f
    assert len(doc["findings"]) == len(build["twin_urls"])


@pytest.mark.parametrize("build", TWIN_BUILDS, ids=lambda b: b["id"])
def test_bundle_literals_carry_key_and_context(build):
    _, doc = cli_json([BUILDS / build["id"]])
    bundle = [f for f in doc["findings"] if f["path"].endswith(".js")]
    assert bundle
    for f in bundle:
        assert f["context"] in ("string", "template"), f
        assert f["environment"] == "production" and f["blocking"]
    if build["tool"] == "vite8":
        assert {f["context"] for f in bundle} == {"template"}  # Vite 8 writes backtick literals


@pytest.mark.parametrize("build", UNSET_BUILDS, ids=lambda b: b["id"])
def test_unset_builds_are_clean(build):
    code, doc = cli_json([BUILDS / build["id"]])
    assert (code, doc["findings"], doc["errors"]) == (0, [], [])
    assert doc["summary"]["files"] == len(build["files"])
