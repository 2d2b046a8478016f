"""Source maps (twinscan.extract.sourcemap): finding a bundle's map, mapping hits back to
the original source, locating hits inside a .map, and refusing hostile maps cleanly.

The oracle is fixtures/builds/MANIFEST.json: real esbuild/Vite/webpack builds with
source maps, where every twin URL's bundle position and (for sourcesContent hits) its
original position are recorded."""
from __future__ import annotations

import base64
import json
import random
import re
import time
from pathlib import Path
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from twinscan.extract.sourcemap import (
    SourceMap,
    SourceMapError,
    find_map,
    library_of,
    locate_in_map,
    utf16_units,
)

from .helpers import vlq

ROOT = Path(__file__).resolve().parent.parent
BUILDS = ROOT / "fixtures" / "builds"
APP_SRC = ROOT / "fixtures" / "toolchains" / "app" / "src"
MANIFEST = json.loads((BUILDS / "MANIFEST.json").read_text())
LOCAL = [b for b in MANIFEST["builds"] if b["variant"] == "twin-local" and b.get("sourcemap")]
BY_ID = {b["id"]: b for b in LOCAL}


def bundle_and_map(build_id: str) -> tuple[Path, Path]:
    """A build's JavaScript bundle that has a twin URL, and its map (names come from the manifest)."""
    b = BY_ID[build_id]
    maps = {f["path"] for f in b["files"] if f["path"].endswith(".js.map")}
    js = next(u["file"] for u in b["twin_urls"] if u["file"] + ".map" in maps)
    return BUILDS / build_id / js, BUILDS / build_id / (js + ".map")


def first_hit(build_id: str, form_prefix: str = "") -> dict:
    bundle, _ = bundle_and_map(build_id)
    return next(u for u in BY_ID[build_id]["twin_urls"]
                if BUILDS / build_id / u["file"] == bundle and u["input"] == "stripe"
                and u["form"].startswith(form_prefix))


def content_hit(build_id: str) -> dict:
    return next(u for u in BY_ID[build_id]["twin_urls"] if u["form"] == "sourcemap-sourcesContent")


def read_fs(path: str) -> bytes:
    return Path(path).read_bytes()


def encode(lines: list[list[tuple]]) -> str:
    """Segments per generated line: (col,) or (col, src, oline, ocol[, name]), absolute, 0-based."""
    state = [0, 0, 0, 0]
    out = []
    for segs in lines:
        prev, parts = 0, []
        for seg in segs:
            s = vlq(seg[0] - prev)
            prev = seg[0]
            for k, v in enumerate(seg[1:]):
                s += vlq(v - state[k])
                state[k] = v
            parts.append(s)
        out.append(",".join(parts))
    return ";".join(out)


def small_map(mappings: str, sources=("a.js",), names=(), **extra) -> bytes:
    return json.dumps({"version": 3, "sources": list(sources), "names": list(names),
                       "mappings": mappings, **extra}).encode()


def bundle_hits():
    return [pytest.param(b, u, id=f"{b['id']}:{u['line']}:{u['column']}")
            for b in LOCAL for u in b["twin_urls"]
            if u["file"].endswith(".js") and any(f["path"] == u["file"] + ".map" for f in b["files"])]


def map_hits():
    return [pytest.param(b, u, id=f"{b['id']}:{u['offset']}")
            for b in LOCAL for u in b["twin_urls"] if u["form"] == "sourcemap-sourcesContent"]


def test_the_manifest_has_what_these_tests_need():
    assert {"vite8-twin-local", "esbuild-twin-local", "webpack5-twin-local"} <= set(BY_ID)
    assert len(bundle_hits()) >= 8 and len(map_hits()) >= 4


# Which expression in the app's sources each build input comes from.
EXPRESSIONS = {
    "stripe": ("import.meta.env.VITE_STRIPE_BASE_URL", "process.env.STRIPE_BASE_URL", '"apiBase"'),
    "posthog": ("import.meta.env.VITE_POSTHOG_HOST", "process.env.POSTHOG_HOST"),
}


# ---------------------------------------------------------------------------------------
# The real builds


@pytest.mark.parametrize("build,hit", bundle_hits())
def test_bundle_hit_maps_to_the_env_expression_in_the_original_source(build, hit):
    bundle = BUILDS / build["id"] / hit["file"]
    data = bundle.read_bytes()
    notes: list[str] = []
    ref = find_map(str(bundle), data[-4096:], read_fs, notes=notes)
    assert ref is not None and ref.kind == "file" and ref.where == str(bundle) + ".map", notes
    sm = ref.load()
    line_text = data.split(b"\n")[hit["line"] - 1]
    got = sm.original(hit["line"], hit["column"], line_text)
    if hit["form"] == "json-parse":  # webpack does not map JSON modules: nothing, or config.json
        assert got is None or got.source.endswith("src/config.json")
        return
    if re.search(rb"VITE_\w+:[\"'`]$", data[max(0, hit["offset"] - 40):hit["offset"]]):
        # Vite inlined the whole import.meta.env object: no mapping of its own, so the
        # nearest segment is nothing, or unrelated code far before; max_distance says "unknown"
        assert got is None or got.distance > 8
        assert sm.original(hit["line"], hit["column"], line_text, max_distance=8) is None
        return
    assert got is not None
    assert got.distance <= 2  # the literal's own segment starts at its quote
    assert sm.original(hit["line"], hit["column"], line_text, max_distance=2) == got
    name = got.source.rsplit("/", 1)[-1]
    original = (APP_SRC / name).read_text().split("\n")[got.line - 1]
    assert any(e in original for e in EXPRESSIONS[hit["input"]]), (got, original)
    # the column points into that line, at or before the expression
    assert 1 <= got.column <= len(original)
    assert got.library is None
    origin = got.origin(ref.where)
    assert (origin.path, origin.line, origin.map) == (got.source, got.line, ref.where)


def test_sources_resolve_against_the_map_and_source_root():
    vite, vite_map = bundle_and_map("vite8-twin-local")
    hit = first_hit("vite8-twin-local")
    sm = find_map(str(vite), vite.read_bytes()[-200:], read_fs).load()
    got = sm.original(hit["line"], hit["column"])
    assert got.source == "../../src/main.js"
    assert got.path == str(BUILDS / "src" / "main.js")  # dist/assets/../../src: the map's view
    webpack, _ = bundle_and_map("webpack5-twin-local")
    hit = first_hit("webpack5-twin-local", "double")
    sm = find_map(str(webpack), webpack.read_bytes()[-200:], read_fs).load()
    got = sm.original(hit["line"], hit["column"])
    assert got.source == got.path == "webpack:///./src/main-define.js"
    rooted = json.loads(vite_map.read_text())
    rooted["sourceRoot"] = "/srv/app/build"
    sm = SourceMap.parse(json.dumps(rooted).encode(), "dist/x.js.map")
    hit = first_hit("vite8-twin-local")
    got = sm.original(hit["line"], hit["column"])
    assert got.source == got.path == "/srv/app/build/../../src/main.js"


@pytest.mark.parametrize("build,hit", map_hits())
def test_hit_inside_sources_content_is_located_in_the_original(build, hit):
    data = (BUILDS / build["id"] / hit["file"]).read_bytes()
    loc = locate_in_map(data, hit["offset"])
    assert loc is not None
    assert loc.key == "sourcesContent"
    assert (loc.source, loc.line, loc.column) == (hit["source"], hit["source_line"], hit["source_column"])
    assert json.loads(data)["sources"][loc.index] == hit["source"]


def test_locate_other_keys_and_outside_strings():
    _, path = bundle_and_map("vite8-twin-local")
    data = path.read_bytes()
    m = json.loads(data)
    at = data.index(b'"mappings"') + len(b'"mappings":"') + 10
    assert locate_in_map(data, at) == ("mappings", None, None, None, None)
    at = data.index(b"../../src/main.js")
    assert locate_in_map(data, at) == ("sources", 1, "../../src/main.js", None, None)
    at = data.index(b'"names"') + len(b'"names":["') + 1
    assert locate_in_map(data, at)[:2] == ("names", 0)
    assert locate_in_map(data, data.index(b'"version"') + 11) is None  # the number 3
    assert locate_in_map(data, data.index(b"version")) is None  # a key, not a value
    assert locate_in_map(data, len(data)) is None
    assert m["sources"][1] == "../../src/main.js"


def test_locate_decodes_escapes_and_finds_sources_after_the_content():
    url = "http://localhost:4111"
    content = ('// héllo "quoted" \\ back\\slash\n'
               "const face = '😀'; const tab = '\t';\n"
               f"  const base = '{url}';\n")
    # sourcesContent before sources, sourceRoot last, non-ASCII both raw and \\u-escaped
    for ensure_ascii in (True, False):
        text = json.dumps({"version": 3, "sourcesContent": [None, content], "mappings": "",
                           "sources": ["x.js", "lib/y.js"], "sourceRoot": "root/"},
                          ensure_ascii=ensure_ascii)
        data = text.encode()
        loc = locate_in_map(data, data.index(url.encode()))
        assert loc == ("sourcesContent", 1, "root/lib/y.js", 3, content.split("\n")[2].index(url) + 1)
    # an offset inside an escape sequence counts from the escape's start
    data = json.dumps({"version": 3, "sources": ["a"], "sourcesContent": ["ab\u00e9cd"],
                       "mappings": ""}).encode()
    inside = data.index(b"\\u00e9") + 3
    assert locate_in_map(data, inside)[2:] == ("a", 1, 3)


def test_locate_in_index_map_section():
    _, path = bundle_and_map("vite8-twin-local")
    inner = json.loads(path.read_text())
    hit = content_hit("vite8-twin-local")
    index = {"version": 3, "sections": [
        {"offset": {"line": 0, "column": 0}, "map": {"version": 3, "sources": ["z.js"], "mappings": "AAAA"}},
        {"offset": {"line": 3, "column": 0}, "map": inner}]}
    data = json.dumps(index).encode()
    at = data.index(b"http://localhost:4111")
    loc = locate_in_map(data, at)
    assert loc == ("sections[1].map.sourcesContent", 1, hit["source"], hit["source_line"], hit["source_column"])


def test_locate_is_one_pass_on_a_large_map():
    inner = json.loads(bundle_and_map("vite8-twin-local")[1].read_text())
    filler = ('const s = "a \\"quoted\\" string";\n' * 200_000)  # ~7 MB of escaped quotes
    inner["sources"] = inner["sources"] + ["big.js"]
    inner["sourcesContent"] = inner["sourcesContent"] + [filler + "x = 'http://localhost:4111';\n"]
    data = json.dumps(inner).encode()
    start = time.perf_counter()
    loc = locate_in_map(data, data.rindex(b"http://localhost:4111"))
    elapsed = time.perf_counter() - start
    assert loc == ("sourcesContent", 2, "big.js", 200_001, 6)
    assert elapsed < 5, elapsed


# ---------------------------------------------------------------------------------------
# find_map


def vite8():
    bundle, map_path = bundle_and_map("vite8-twin-local")
    return bundle, bundle.read_bytes(), map_path.read_bytes()


def only(files: dict[str, bytes]):
    def read(path: str) -> bytes:
        if path not in files:
            raise FileNotFoundError(path)
        return files[path]
    return read


@pytest.mark.parametrize("form", ["base64", "charset-base64", "percent"])
def test_inline_map_gives_the_same_answers(form):
    bundle, data, map_bytes = vite8()
    code = data[: data.rindex(b"//# sourceMappingURL=")]
    if form == "base64":
        uri = "data:application/json;base64," + base64.b64encode(map_bytes).decode()
    elif form == "charset-base64":
        uri = "data:application/json;charset=utf-8;base64," + base64.b64encode(map_bytes).decode()
    else:
        uri = "data:application/json," + quote(map_bytes.decode(), safe="")
    inline = code + b"//# sourceMappingURL=" + uri.encode() + b"\n"
    reads: list[str] = []

    def read(path):
        reads.append(path)
        return only({"dist/a.js": inline})(path)

    ref = find_map("dist/a.js", inline[-65536:], read)
    assert ref is not None and (ref.kind, ref.where, ref.base) == ("inline", "<inline>", "dist/a.js")
    assert ref.data == map_bytes and reads == []
    hit = first_hit("vite8-twin-local")
    got = ref.load().original(hit["line"], hit["column"])
    direct = SourceMap.parse(map_bytes, "m").original(hit["line"], hit["column"])
    assert got[:4] == direct[:4] and direct.source == "../../src/main.js"
    assert got.path == "../src/main.js"  # dist/ + ../../src/main.js: against the bundle's directory
    # a tail that starts inside the data: URI: the bundle is read once, through `read`
    ref = find_map("dist/a.js", inline[-100:], read)
    assert ref is not None and ref.data == map_bytes and reads == ["dist/a.js"]


def test_find_map_comment_forms_and_fallbacks():
    m = b'{"version":3,"sources":["a.js"],"mappings":"AAAA"}'
    files = {"dist/app.js.map": m, "dist/maps/app.map": m, "dist/app.css.map": m}
    read = only(files)
    cases = [
        (b"x()\n//# sourceMappingURL=maps/app.map?v=3#frag\n", "dist/maps/app.map"),
        (b"x()\n//@ sourceMappingURL=maps/app.map", "dist/maps/app.map"),
        (b"a{}\n/*# sourceMappingURL=app.css.map */\n", "dist/app.css.map"),
        (b"x()\n//# sourceMappingURL=maps%2Fapp.map\n", "dist/maps/app.map"),
        (b"x()\n", "dist/app.js.map"),  # no comment: <bundle>.map
        # a marker inside a string literal is not the comment
        (b"x('//# sourceMappingURL=maps/app.map')\n", "dist/app.js.map"),
        # the last comment wins
        (b"//# sourceMappingURL=nope.map\nx()\n//# sourceMappingURL=maps/app.map\n", "dist/maps/app.map"),
    ]
    for tail, where in cases:
        ref = find_map("dist/app.js", tail, read)
        assert ref is not None and ref.where == where, (tail, ref)
        assert ref.load().original(1, 1).source == "a.js" or where.startswith("dist/maps/")

    notes: list[str] = []
    ref = find_map("dist/app.js", b"x()\n//# sourceMappingURL=https://cdn.example.com/app.js.map\n",
                   read, notes=notes)
    assert ref.where == "dist/app.js.map"
    assert any("https://cdn.example.com/app.js.map" in n and "not fetched" in n for n in notes)
    notes.clear()
    assert find_map("dist/other.js", b"x()\n//# sourceMappingURL=missing.map\n", read, notes=notes) is None
    assert notes == ["dist/other.js: sourceMappingURL names missing.map, which cannot be read"]
    notes.clear()
    assert find_map("dist/other.js", b"//# sourceMappingURL=/assets/x.map\n", read, notes=notes) is None
    assert "absolute" in notes[0]
    assert find_map("dist/other.js", b"x()", read) is None
    # read may also say "absent" with None
    assert find_map("dist/other.js", b"x()", lambda p: None) is None
    notes.clear()
    assert find_map("a.js", b"//# sourceMappingURL=data:text/html;base64,PGI+", read, notes=notes) is None
    assert "not JSON" in notes[0]


# ---------------------------------------------------------------------------------------
# Parsing and lookups


def test_index_map_sections_give_the_same_answers_as_their_maps():
    vite = bundle_and_map("vite8-twin-local")[1].read_bytes()
    esb = bundle_and_map("esbuild-twin-local")[1].read_bytes()
    v, e = first_hit("vite8-twin-local")["column"], first_hit("esbuild-twin-local")["column"]
    index = {"version": 3, "file": "all.js", "sections": [
        {"offset": {"line": 0, "column": 0}, "map": json.loads(vite)},
        {"offset": {"line": 2, "column": 0}, "map": json.loads(esb)},
        {"offset": {"line": 5, "column": 100}, "map": json.loads(vite)},
    ]}
    sm = SourceMap.parse(json.dumps(index).encode(), "dist/all.js.map")
    direct_vite, direct_esb = SourceMap.parse(vite, "v"), SourceMap.parse(esb, "e")
    assert sm.original(1, v)[:4] == direct_vite.original(1, v)[:4]
    assert direct_vite.original(1, v).source == "../../src/main.js"
    assert sm.original(3, e)[:4] == direct_esb.original(1, e)[:4]
    assert sm.original(3, e).source == "../../src/config.json"
    assert sm.original(6, 100 + v)[:4] == direct_vite.original(1, v)[:4]  # the column offset: first line only
    for col in range(1, 400, 7):
        via, direct = sm.original(7, col), direct_vite.original(2, col)
        assert (via and via[:4]) == (direct and direct[:4])
        via, direct = sm.original(6, 100 + col), direct_vite.original(1, col)
        assert (via and via[:4]) == (direct and direct[:4])


@pytest.mark.parametrize("sections,message", [
    ([{"offset": {"line": 0, "column": 0}, "url": "a.map"}], "section 0 refers to a map by `url`"),
    ([{"offset": {"line": -1, "column": 0}, "map": {}}], "section 0 has a bad offset"),
    ([{"offset": {"line": 0, "column": "3"}, "map": {}}], "section 0 has a bad offset"),
    ([{"offset": {"line": 2, "column": 0}, "map": {"version": 3, "mappings": ""}},
      {"offset": {"line": 1, "column": 0}, "map": {"version": 3, "mappings": ""}}],
     "section 1 offset 1:0 is not after the previous section's 2:0"),
    ([{"map": {"version": 3, "mappings": ""}}], "section 0 has no `offset`"),
    ([{"offset": {"line": 0, "column": 0}, "map": {"version": 3, "sections": []}}],
     "an index map inside an index map section is not allowed"),
    ({"not": "a list"}, "`sections` must be an array"),
])
def test_bad_index_maps(sections, message):
    with pytest.raises(SourceMapError, match=re.escape(message)):
        SourceMap.parse(json.dumps({"version": 3, "sections": sections}).encode(), "x.map")


def test_columns_are_converted_from_code_points_to_utf16():
    # generated line: a 😀 (two UTF-16 units) before the hit at code point column 12
    line = "var e='😀';u='http://localhost:4111'"
    hit = line.index("http") + 1
    utf16 = len(line[: hit - 1].encode("utf-16-le")) // 2
    assert utf16 == hit  # one more unit than code points
    content = "// 😀 leading emoji\nconst u = '😀' + 'http://localhost:4111';\n"
    ocol16 = len(content.split("\n")[1][: content.split("\n")[1].index("http")].encode("utf-16-le")) // 2
    m = small_map(encode([[(0, 0, 0, 0), (utf16, 0, 1, ocol16)]]), sourcesContent=[content])
    sm = SourceMap.parse(m, "x.map")
    got = sm.original(1, hit, line)
    assert (got.line, got.column) == (2, content.split("\n")[1].index("http") + 1)  # code points again
    assert sm.original(1, hit, line.encode()) == got
    assert sm.original(1, hit)[1:3] == (1, 1)  # without the text, the earlier segment
    assert utf16_units(line, hit - 1) == utf16 and utf16_units("abc", 2) == 2


def test_unmapped_segments_names_and_unsorted_lines():
    m = small_map(encode([[(0, 0, 0, 0), (5,), (10, 0, 3, 4, 1)], [], [(30, 1, 7, 0, 0), (3, 0, 1, 1)]]),
                  sources=["a.js", "b.js"], names=["alpha", "beta"])
    sm = SourceMap.parse(m, "x.map")
    assert sm.original(1, 1)[:4] == ("a.js", 1, 1, None)
    assert sm.original(1, 7) is None  # the 1-field segment at column 5 maps to nothing
    assert sm.original(1, 11)[:4] == ("a.js", 4, 5, "beta")
    assert sm.original(2, 1) is None  # empty line
    assert sm.original(3, 4)[:4] == ("a.js", 2, 2, None)  # unsorted: the segment at column 3
    assert sm.original(3, 31)[:4] == ("b.js", 8, 1, "alpha")
    assert sm.original(3, 2) is None  # before the first segment
    assert sm.original(9, 1) is None  # past the last line
    assert sm.original(0, 1) is None and sm.original(1, 0) is None


@pytest.mark.slow
def test_large_single_line_map_is_decoded_lazily_and_fast():
    rnd = random.Random(7)
    nseg, nsrc = 150_000, 40
    segs, col, ol = [], 0, 0
    for _ in range(nseg):
        col += rnd.randint(1, 9)
        ol = max(0, ol + rnd.choice((0, 0, 0, 1, 1, 2, -1)))
        segs.append((col, rnd.randrange(nsrc), ol, rnd.choice((0, 2, 4, 8, 12, 20, 40))))
    data = small_map(encode([segs]) + ";" + encode([segs[:10]]), sources=[f"src/m{i}.js" for i in range(nsrc)])
    start = time.perf_counter()
    sm = SourceMap.parse(data, "big.map")
    parsed = time.perf_counter()
    for k in [nseg - 1] + rnd.sample(range(nseg), 200):
        c, src, oline, ocol = segs[k]
        got = sm.original_utf16(1, c + (k < nseg - 1 and segs[k + 1][0] - c > 1))
        assert got[:3] == (f"src/m{src}.js", oline + 1, ocol + 1)
    done = time.perf_counter()
    assert parsed - start < 1.0 and done - parsed < 5.0, (parsed - start, done - parsed)


# ---------------------------------------------------------------------------------------
# Hostile maps


def timed(fn):
    start = time.perf_counter()
    with pytest.raises(SourceMapError) as e:
        fn()
    assert time.perf_counter() - start < 2
    msg = str(e.value)
    assert "\n" not in msg and "x.map" in msg
    return msg


def lookup(data: bytes, line: int = 1, column: int = 1, **kw):
    return lambda: SourceMap.parse(data, "x.map", **kw).original(line, column)


@pytest.mark.parametrize("data,kw,message", [
    (b"{", {}, "invalid JSON"),
    (b";" * (1 << 20), {}, "invalid JSON"),
    (b"[" * 200_000 + b"]" * 200_000, {}, "invalid JSON"),
    (b'{"a":' * 100_000 + b"1" + b"}" * 100_000, {}, "invalid JSON"),
    (b"[1, 2]", {}, "the JSON is list, not an object"),
    (b'{"version": 2, "mappings": ""}', {}, "unsupported source map version 2"),
    (b'{"version": "3", "mappings": ""}', {}, "unsupported source map version '3'"),
    (b'{"version": 3}', {}, "no `mappings`"),
    (b'{"version": 3, "mappings": 7}', {}, "`mappings` must be a string, not int"),
    (b'{"version": 3, "sources": "a.js", "mappings": ""}', {}, "`sources` must be an array of strings"),
    (b'{"version": 3, "names": [1], "mappings": ""}', {}, "`names` must be an array of strings"),
    (b'{"version": 3, "sourcesContent": {}, "mappings": ""}', {}, "`sourcesContent` must be an array"),
    (small_map("AAAA,CA!A"), {}, "bad VLQ: invalid character '!' in `mappings` at offset 7"),
    (b'{"version":3,"mappings":"AAAA","sources":["\xff\xfe"]}', {}, "not UTF-8 (bad byte at offset 43)"),
    (small_map("A" * 10, sourcesContent=["x" * (2 << 20)]), {"limit": 1 << 20}, "over the 1.0 MiB limit"),
])
def test_hostile_maps_are_refused_at_parse(data, kw, message):
    assert message in timed(lambda: SourceMap.parse(data, "x.map", **kw))


@pytest.mark.parametrize("mappings,message", [
    ("AAAg", "bad VLQ: unterminated continuation in segment 'AAAg'"),
    ("AAA" + "g" * 7 + "B", "bad VLQ: value overflow (more than 2^31)"),
    ("AAA+/////H", "bad VLQ: value overflow (more than 2^31)"),
    ("ACAA", "source index 1 out of range (the map has 1 sources)"),
    ("ADAA", "source index -1 out of range"),
    ("AAAAC", "name index 1 out of range (the map has 0 names)"),
    ("AADA", "a generated column, original line or original column goes negative"),
    ("AA", "segment 'AA' has 2 fields (1, 4 or 5 expected)"),
    ("AAAA;" * 1000 + "AAAAAA", "on generated line 1001: segment 'AAAAAA' has 6 fields"),
])
def test_bad_mappings_are_refused_when_decoded(mappings, message):
    assert message in timed(lookup(small_map(mappings), line=mappings.count(";") + 1))
    assert message in timed(lambda: SourceMap.parse(small_map(mappings), "x.map").validate())


def test_a_megabyte_of_empty_lines_is_not_an_error_and_is_fast():
    sm = SourceMap.parse(small_map(";" * (1 << 20) + "AAAA"), "x.map")
    start = time.perf_counter()
    assert sm.original(500_000, 1) is None
    assert sm.original((1 << 20) + 1, 1)[:3] == ("a.js", 1, 1)
    assert sm.original(10, 1) is None  # back before the frontier: from a checkpoint
    assert time.perf_counter() - start < 2


def test_locate_in_map_refuses_malformed_json_cleanly():
    with pytest.raises(SourceMapError, match="nested more than 32 deep"):
        locate_in_map(b'{"a":' + b"[" * 100_000 + b'"x"', 100_006)
    with pytest.raises(SourceMapError, match="unterminated string"):
        locate_in_map(b'{"sourcesContent":["abc', 20)
    with pytest.raises(SourceMapError, match="a source map is a JSON object"):
        locate_in_map(b'["sourcesContent"]', 3)
    assert locate_in_map(b"", 0) is None


# ---------------------------------------------------------------------------------------
# library_of


@pytest.mark.parametrize("source,package", [
    ("../node_modules/axios/lib/core/Axios.js", "axios"),
    ("node_modules/@sentry/browser/build/npm/esm/index.js", "@sentry/browser"),
    ("../../node_modules/.pnpm/axios@1.7.0/node_modules/axios/lib/axios.js", "axios"),
    ("node_modules/.pnpm/@sentry+browser@8.1.0_react@18.2.0/node_modules/@sentry/browser/x.js", "@sentry/browser"),
    ("node_modules/.pnpm/@sentry+core@8.1.0/dist/index.js", "@sentry/core"),
    ("webpack://app/./node_modules/axios/lib/helpers/bind.js", "axios"),
    ("webpack:///node_modules/posthog-js/dist/module.js", "posthog-js"),
    ("C:\\work\\app\\node_modules\\stripe\\esm\\stripe.js", "stripe"),
    ("../../node_modules/.vite/deps/axios.js?v=1a2b3c4d", "axios"),
    ("../../node_modules/.vite/deps/react-dom_client.js", "react-dom"),
    ("../../node_modules/.vite/deps/@sentry_browser.js", "@sentry/browser"),
    ("../../node_modules/.vite/deps/lodash__debounce.js", "lodash.debounce"),
    ("../../node_modules/.vite/deps/chunk-ABCD1234.js", None),
    ("../../node_modules/.vite/deps/_metadata.json", None),
    ("../../src/main.js", None),
    ("webpack:///./src/main-define.js", None),
    ("node_modules/.bin/vite", None),
    ("my_node_modules/axios/index.js", None),
    ("", None),
])
def test_library_of(source, package):
    assert library_of(source) == package


# ---------------------------------------------------------------------------------------
# Property tests: nothing but SourceMapError, whatever the bytes

REAL_MAPS = [p.read_bytes() for p in sorted(BUILDS.glob("*-twin-local/**/*.map"))]
FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def exercise(data: bytes, offset: int) -> None:
    try:
        sm = SourceMap.parse(data, "x.map", limit=1 << 20)
        for line, col in ((1, 1), (1, 50), (1, 2000), (2, 1), (3, 17)):
            got = sm.original(line, col, "é😀 abc" * 3)
            if got is not None:
                assert got.line >= 1 and got.column >= 1
                got.library  # noqa: B018
    except SourceMapError as e:
        assert str(e) and "\n" not in str(e)
    try:
        loc = locate_in_map(data, offset)
        if loc is not None:
            assert isinstance(loc.key, str)
    except SourceMapError:
        pass
    try:
        find_map("dist/a.js", data[-300:], lambda p: data)
    except SourceMapError:
        pass


@pytest.mark.slow
@FUZZ
@given(st.binary(max_size=400), st.integers(0, 400))
def test_fuzz_random_bytes(data, offset):
    exercise(data, offset)


@pytest.mark.slow
@FUZZ
@given(st.sampled_from(REAL_MAPS), st.lists(st.tuples(st.floats(0, 1), st.integers(0, 3),
                                                       st.binary(min_size=0, max_size=8)), max_size=6),
       st.floats(0, 1))
def test_fuzz_mutated_real_maps(data, edits, where):
    buf = bytearray(data)
    for pos, op, chunk in edits:
        i = int(pos * len(buf))
        if op == 0:
            buf[i:i + len(chunk)] = chunk
        elif op == 1:
            buf[i:i] = chunk
        elif op == 2:
            del buf[i:i + 1 + len(chunk)]
        else:  # swap in a likely-to-matter character
            if i < len(buf):
                buf[i] = b'",:[]{}\\;gA/+9'[len(chunk) % 15]
    exercise(bytes(buf), int(where * len(buf)))
