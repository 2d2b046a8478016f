"""Every form a build writes a twin URL in: encodings, HTML placement, base64 data: URIs,
constant concatenations, runtime env injection, per-environment config files, UTF-16 JSON
and very long lines. Real toolchain output is covered by test_real_builds.py and
test_next_builds.py; these pin each form down with its exact line and column."""
from __future__ import annotations

import base64
import codecs

import pytest

from .conftest import cli_json, scan_bytes


def one(data: bytes, name: str, engine: str):
    fs = scan_bytes(data, name, engine).findings
    assert len(fs) == 1, [(f.url, f.line, f.column) for f in fs]
    return fs[0]


@pytest.mark.parametrize(("text", "url", "encoding"), [
    (b'<img src="/_next/image?url=http%3A%2F%2Flocalhost%3A4111%2Flogo.png&amp;w=64">',
     "http://localhost:4111/logo.png", "percent"),
    (b'<a href="https%3A%2F%2Fapi.wondertwin.dev%2Ftwins%2Fstripe">', "https://api.wondertwin.dev/twins/stripe", "percent"),
    (b'<meta content="http&#58;&#x2F;&#x2F;localhost:4111/v1">', "http://localhost:4111/v1", "html-entities"),
    (b'<a href="http:&sol;&sol;localhost:4112/batch">', "http://localhost:4112/batch", "html-entities"),
    (b'<a href="http://localhost:4111/v1/checkout?mode=a&amp;b=c">', "http://localhost:4111/v1/checkout?mode=a&b=c", "html-entities"),
])
def test_encoded_urls_in_pages_are_decoded(text, url, encoding, engine):
    f = one(text, "dist/index.html", engine)
    assert (f.url, f.encoding, f.blocking) == (url, encoding, True)
    assert f.column == text.index(b"http") + 1


@pytest.mark.parametrize(("text", "url"), [
    (b'"{\\"base\\":\\"http:\\\\u002F\\\\u002Flocalhost:4111\\"}"', "http://localhost:4111"),  # JSON in JSON (RSC)
    (b'x="http:\\u002F\\u002Flocalhost:4111\\u002Fv1"', "http://localhost:4111/v1"),
    (b'x="http:\\x2f\\x2flocalhost:4111"', "http://localhost:4111"),
    (b"JSON.parse('{\"api\":\"https:\\\\/\\\\/api.wondertwin.dev\\\\/twins\\\\/posthog\"}')", "https://api.wondertwin.dev/twins/posthog"),
])
def test_escaped_urls_in_scripts(text, url, engine):
    f = one(text, "dist/app.js", engine)
    assert (f.url, f.encoding, f.blocking) == (url, "js-escapes", True)


def test_where_in_a_page_a_url_sits(engine):
    page = (b'<!doctype html><html><head>\n'
            b'<meta name="stripe-base" content="http://localhost:4111">\n'
            b'<!-- dev: VITE_POSTHOG_HOST=http://localhost:4112 -->\n'
            b'<script>/* http://localhost:4113 */window.__ENV__={"VITE_STRIPE_BASE_URL":"http://localhost:4114"}</script>\n'
            b'<script type="application/json" id="cfg">{"apiBase":"http://localhost:4115"}</script>\n'
            b'</head><body>Server API: <!-- -->http://localhost:4116<!-- --></body></html>\n')
    fs = {f.port: f for f in scan_bytes(page, "dist/index.html", engine).findings}
    assert (fs[4111].context, fs[4111].key, fs[4111].blocking) == ("attribute", "stripe-base", True)
    assert (fs[4112].context, fs[4112].blocking) == ("comment", False)
    assert (fs[4113].context, fs[4113].blocking) == ("comment", False)  # a comment inside an inline script
    assert (fs[4114].context, fs[4114].key, fs[4114].blocking) == ("string", "VITE_STRIPE_BASE_URL", True)
    assert (fs[4115].key, fs[4115].blocking) == ("apiBase", True)
    assert (fs[4116].context, fs[4116].blocking, fs[4116].line) == ("text", True, 6)


def test_runtime_env_injection_in_env_js(engine):
    code = b'window.__ENV__ = {\n  VITE_STRIPE_BASE_URL: "https://api.wondertwin.dev/twins/stripe",\n  MODE: "production"\n};\n'
    f = one(code, "dist/env.js", engine)
    assert (f.key, f.line, f.column, f.blocking) == ("VITE_STRIPE_BASE_URL", 2, 26, True)


def test_base64_data_uri_scripts_are_decoded_and_located(engine):
    js = b'const api="http://localhost:4111/v1";fetch(api)'
    b64 = base64.b64encode(js)
    png = base64.b64encode(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 2)
    page = b'<img src="data:image/png;base64,' + png + b'">\n<script src="data:text/javascript;base64,' + b64 + b'"></script>\n'
    f = one(page, "dist/index.html", engine)
    start = page.index(b64)
    line_start = page.rindex(b"\n", 0, start) + 1
    assert (f.url, f.encoding, f.key, f.blocking, f.line) == ("http://localhost:4111/v1", "base64", "api", True, 2)
    assert f.column == start - line_start + js.index(b"http") // 3 * 4 + 1
    assert "decoded from a base64 data: URI (text/javascript)" in f.reason


def test_a_data_uri_larger_than_the_limit_is_an_error_not_a_silent_skip(tmp_path):
    js = b'x="http://localhost:4111";' + b"/*" + b"a" * (3 << 20) + b"*/"
    (tmp_path / "index.html").write_bytes(b'<script src="data:text/javascript;base64,' + base64.b64encode(js) + b'"></script>')
    code, doc = cli_json(["--max-decoded-size", "2", tmp_path])
    assert code == 3 and "decodes to more than 2 MiB" in doc["errors"][0]["message"]


@pytest.mark.parametrize(("code", "url", "blocking"), [
    (b'const base="http://"+"localhost:4111";fetch(base+"/v1")', "http://localhost:4111", True),
    (b'var u="https://api.wonder"+"twin.dev/twins/"+"stripe"+x;', "https://api.wondertwin.dev/twins/stripe", True),
    (b"x=`http://`+`localhost:4112/batch`", "http://localhost:4112/batch", True),
    (b'c={api:"http://" + ("127.0.0.1" + ":4113")}', "http://127.0.0.1:4113", True),
    (b'if(o==="http://local"+"host:3000")y()', "http://localhost:3000", False),  # a comparison operand
])
def test_constant_concatenations_are_folded(code, url, blocking, engine):
    fs = [f for f in scan_bytes(code, "dist/app.js", engine).findings if f.encoding == "concatenation"]
    assert [(f.url, f.blocking) for f in fs] == [(url, blocking)]
    assert fs[0].column == code.index(b'"http') + 1 if b'"http' in code else code.index(b"`http") + 1


def test_folding_stops_at_variables_and_skips_comments_and_vendors(engine):
    assert scan_bytes(b'a="http://"+host+":4111"', "dist/app.js", engine).findings == []
    assert scan_bytes(b'// "http://" + "localhost:4111"\n', "dist/app.js", engine).findings == []
    assert scan_bytes(b'a="https://api.stripe.com"+"/v1/charges"', "dist/app.js", engine).findings == []
    # the whole URL in the first literal is reported once, not again for the folded path
    fs = scan_bytes(b'a="http://localhost:4111"+"/v1/charges"', "dist/app.js", engine).findings
    assert [(f.url, f.encoding) for f in fs] == [("http://localhost:4111", None)]


def test_per_environment_config_files(tmp_path):
    body = '{\n  "stripe": {"baseUrl": "http://localhost:4111"}\n}\n'
    for name in ("config.production.json", "config.staging.json", "env.staging.js", "appsettings.Development.json"):
        (tmp_path / name).write_text(body if name.endswith(".json") else f"window.__ENV__={body}")
    code, doc = cli_json([tmp_path])
    by = {f["path"].rsplit("/", 1)[1]: f for f in doc["findings"]}
    assert code == 1 and by["config.production.json"]["blocking"]
    assert (by["config.staging.json"]["environment"], by["config.staging.json"]["blocking"]) == ("staging", False)
    assert not by["env.staging.js"]["blocking"] and not by["appsettings.Development.json"]["blocking"]
    assert "file name `config.staging.json` names the staging environment" in by["config.staging.json"]["reason"]


def test_utf16_json_with_a_bom(tmp_path, engine):
    text = '{\n  "naïve": true,\n  "apiBase": "http://localhost:4111"\n}\n'
    (tmp_path / "config.production.json").write_bytes(codecs.BOM_UTF16_LE + text.encode("utf-16-le"))
    code, doc = cli_json(["--engine", engine, tmp_path / "config.production.json"])
    f = doc["findings"][0]
    assert (code, f["line"], f["column"], f["key"]) == (1, 3, 15, "apiBase")


def test_a_hit_past_column_five_million_on_one_line(tmp_path, engine):
    filler = b"var a=1;" * 625_000  # 5,000,000 bytes, no newline
    (tmp_path / "app.js").write_bytes(filler + b'const s="http://localhost:4111";' + b"b();" * 250_000)
    code, doc = cli_json(["--engine", engine, tmp_path / "app.js"])
    f = doc["findings"][0]
    assert (code, f["line"], f["column"], f["blocking"]) == (1, 1, 5_000_010, True)
    assert len(f["snippet"]) < 400
