"""Source maps in a scan: a bundle hit reports its original `src/file:line:column`, a hit in a
shipped map's sourcesContent is reported (never blocking) at its place in the original file, a
map into node_modules/ quiets a loopback default, and a broken map is a clear per-file warning.
The unit behaviour of the map reader is in test_sourcemap.py."""
from __future__ import annotations

import base64
import json
import shutil

from .conftest import ROOT, cli_json
from .helpers import vlq

BUILDS = ROOT / "fixtures" / "builds"
MANIFEST = json.loads((BUILDS / "MANIFEST.json").read_text())
SRC = ROOT / "fixtures" / "toolchains" / "app" / "src"


def _build(build_id):
    return next(b for b in MANIFEST["builds"] if b["id"] == build_id)


def _line_of(path, needle):
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if needle in line)


def test_vite8_bundle_hits_map_to_the_env_reads_in_src_main_js(engine):
    b = _build("vite8-twin-local")
    _, doc = cli_json(["--engine", engine, BUILDS / b["id"]])
    mapped = {f["url"]: f["origin"] for f in doc["findings"] if f["path"].endswith(".js") and f["origin"]}
    assert mapped["http://localhost:4111"]["path"] == "../../src/main.js"
    assert mapped["http://localhost:4111"]["line"] == _line_of(SRC / "main.js", "import.meta.env.VITE_STRIPE_BASE_URL")
    assert mapped["http://localhost:4112"]["line"] == _line_of(SRC / "main.js", "import.meta.env.VITE_POSTHOG_HOST")
    assert all(o["map"].endswith(".js.map") and o["library"] is None for o in mapped.values())
    # the inlined import.meta.env object has no mapping of its own: no origin rather than a wrong one
    unmapped = [f for f in doc["findings"] if f["path"].endswith(".js") and not f["origin"]]
    assert unmapped and all("VITE_" in (f["key"] or "") for f in unmapped)


def test_webpack_bundle_hits_map_through_webpack_urls(engine):
    _, doc = cli_json(["--engine", engine, BUILDS / "webpack5-twin-local"])
    origins = [f["origin"] for f in doc["findings"] if f["path"].endswith(".js") and f["origin"]]
    assert origins and all(o["path"] == "webpack:///./src/main-define.js" for o in origins)
    assert {o["line"] for o in origins} == {_line_of(SRC / "main-define.js", "process.env.STRIPE_BASE_URL"),
                                           _line_of(SRC / "main-define.js", "process.env.POSTHOG_HOST")}


def test_a_hit_in_sources_content_is_reported_at_its_original_place():
    b = _build("vite8-twin-local")
    want = next(u for u in b["twin_urls"] if u["form"] == "sourcemap-sourcesContent")
    _, doc = cli_json([BUILDS / b["id"]])
    f = next(f for f in doc["findings"] if f["path"].endswith(".map"))
    assert (f["line"], f["column"], f["context"], f["blocking"]) == (want["line"], want["column"], "source-map", False)
    assert (f["origin"]["path"], f["origin"]["line"], f["origin"]["column"]) == (
        want["source"], want["source_line"], want["source_column"])
    assert "publishes your source" in f["reason"]


def test_an_inline_base64_map_gives_the_same_origins(tmp_path, engine):
    b = _build("vite8-twin-local")
    js = next(f["path"] for f in b["files"] if f["path"].endswith(".js"))
    bundle = (BUILDS / b["id"] / js).read_text()
    smap = (BUILDS / b["id"] / (js + ".map")).read_bytes()
    head = bundle[:bundle.rindex("//# sourceMappingURL=")]
    out = tmp_path / "assets" / "index.js"
    out.parent.mkdir()
    out.write_text(head + "//# sourceMappingURL=data:application/json;charset=utf-8;base64,"
                   + base64.b64encode(smap).decode() + "\n")
    _, doc = cli_json(["--engine", engine, out])
    origins = {(f["url"], f["origin"]["line"]) for f in doc["findings"] if f["origin"] and f["path"] == str(out)}
    assert ("http://localhost:4111", _line_of(SRC / "main.js", "VITE_STRIPE_BASE_URL ??")) in origins
    assert all(f["origin"]["map"] == "<inline>" for f in doc["findings"] if f["origin"] and f["path"] == str(out))


def _bundle_with_map(tmp_path, code: str, sources: list[str], at: list[tuple[int, int]]):
    """A one-line bundle whose segments at the given columns map to sources[i] line 10."""
    segs, prev_col, prev_src, prev_line = [], 0, 0, 0
    for col, src in at:
        segs.append(vlq(col - prev_col) + vlq(src - prev_src) + vlq(9 - prev_line) + vlq(0))
        prev_col, prev_src, prev_line = col, src, 9
    (tmp_path / "vendor.js").write_text(code + "\n//# sourceMappingURL=vendor.js.map\n")
    (tmp_path / "vendor.js.map").write_text(json.dumps(
        {"version": 3, "sources": sources, "names": [], "mappings": ",".join(segs)}))
    return tmp_path / "vendor.js"


def test_a_map_into_node_modules_quiets_a_loopback_default_but_not_a_twin_port(tmp_path):
    code = 'var a={sidecar:"http://localhost:9000/events"},b={api:"http://localhost:4111/v1"},c={d:"http://localhost:3000"};'
    cols = [code.index('"http://localhost:9000'), code.index('"http://localhost:4111'), code.index('"http://localhost:3000')]
    path = _bundle_with_map(tmp_path, code, ["../node_modules/@acme/sdk/dist/index.js", "../src/app.js"],
                            [(cols[0], 0), (cols[1], 0), (cols[2], 1)])
    code_, doc = cli_json([path])
    by_port = {f["port"]: f for f in doc["findings"] if f["path"].endswith("vendor.js")}
    lib = by_port[9000]
    assert not lib["blocking"] and lib["origin"]["library"] == "@acme/sdk"
    assert "npm package @acme/sdk" in lib["reason"] and "node_modules/@acme/sdk/dist/index.js:10" in lib["reason"]
    assert by_port[4111]["blocking"] and by_port[4111]["origin"]["library"] == "@acme/sdk"  # a WonderTwin port
    assert by_port[3000]["blocking"] and by_port[3000]["origin"]["path"] == "../src/app.js"  # app code
    assert code_ == 1


def test_a_broken_map_is_a_warning_and_the_bundle_is_still_judged(tmp_path):
    b = _build("vite8-twin-local")
    shutil.copytree(BUILDS / b["id"], tmp_path / "dist")
    smap = next((tmp_path / "dist" / "assets").glob("*.js.map"))
    doc = json.loads(smap.read_text())
    doc["mappings"] = "AAAA,!!!!;" + doc["mappings"]
    smap.write_text(json.dumps(doc))
    code, out = cli_json([tmp_path / "dist"])
    assert code == 1  # the twin URLs still block; the map is auxiliary, so the scan is not incomplete
    errs = [e for e in out["errors"] if "source map not used" in e["message"]]
    assert errs and not errs[0]["production"] and smap.name in errs[0]["message"]
    assert all(f["origin"] is None for f in out["findings"] if f["path"].endswith(".js"))
