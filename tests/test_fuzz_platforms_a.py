"""Property test: the deploy-platform extractors hold the extractor contract on damaged input.

Realistic files (the fixtures of the platform tests) with a few structural bytes inserted,
deleted or replaced: `values` returns Values inside the buffer or raises ExtractError, never
anything else (the JSONC blanker, the TOML span scanner and the YAML walk all take odd branches here).
"""
from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from twinscan.extract import heroku, netlify, render, vercel, wrangler
from twinscan.extract.values import ExtractError

from .test_extract_heroku import APP_JSON
from .test_extract_netlify import NETLIFY
from .test_extract_render import RENDER
from .test_extract_wrangler import WRANGLER_JSONC, WRANGLER_TOML
from .test_fuzz_extractors import no_hang

pytestmark = pytest.mark.slow

CASES = [(netlify, NETLIFY, "netlify.toml"), (wrangler, WRANGLER_TOML, "wrangler.toml"),
         (wrangler, WRANGLER_JSONC, "wrangler.jsonc"), (render, RENDER, "render.yaml"), (heroku, APP_JSON, "app.json"),
         (vercel, '{"env": {"A": "http://localhost:4111"}, "build": {"env": {"B": "x"}}}', "vercel.json"),
         (wrangler, "# dev\nA=http://localhost:4111\n", ".dev.vars")]
EDIT = st.tuples(st.integers(0, 2), st.floats(0, 1), st.binary(min_size=1, max_size=3)
                 | st.sampled_from([b"[", b"]", b"{", b"}", b'"', b"'", b'"""', b"=", b",", b".", b"\n", b"#", b"//",
                                    b"/*", b"\\", b":", b"- ", b"\xc3", b"\xef\xbb\xbf"]))


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(CASES), st.lists(EDIT, min_size=1, max_size=4))
def test_damaged_platform_files_raise_only_extract_error(case, edits):
    module, text, name = case
    data = bytearray(text.encode())
    for op, where, chunk in edits:
        pos = int(where * len(data))
        if op == 0:
            data[pos:pos] = chunk
        elif op == 1:
            del data[pos:pos + len(chunk)]
        else:
            data[pos:pos + len(chunk)] = chunk
    data = bytes(data)
    with no_hang(f"{module.__name__}.values({name!r})"):
        try:
            got = module.values(data, name)
        except ExtractError:
            return
    for v in got:
        assert 0 <= v.start <= v.end <= len(data), v
