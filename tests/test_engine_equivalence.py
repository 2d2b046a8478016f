"""Hyperscan and the stdlib fallback must report identical findings on the same input."""
from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from twinscan import reader
from twinscan.engine import HyperscanEngine, ReEngine, build_expressions, hyperscan_available
from twinscan.rulepack import build_ruleset

from .conftest import ROOT, scan_bytes

pytestmark = pytest.mark.skipif(not hyperscan_available(), reason="Hyperscan does not load on this platform; only the fallback can run")

TWINS = ("twins.*.yourco.com", "*.yourco.com/twins/")
RULES = build_ruleset(TWINS)
EXPRS = build_expressions(RULES, split=True)  # as the scanner builds them
HS = HyperscanEngine(EXPRS) if hyperscan_available() else None
RE = ReEngine(EXPRS, RULES)

TOKENS = [
    "http", "https", "ws", "wss", "HTTP", ":", "//", "/", "\\/", "\\u002F", "\\x2f", "localhost", "LOCALHOST",
    "127", ".", "0", "1", "0.0.0.0", "[::1]", "[", "]", "::", "ffff", "@", "user:pw", "wondertwin.dev", "twins",
    "api.", "yourco.com", "twins.", "staging.", "host.docker.internal", "4111", "2130706433", "0x7f000001",
    "`", '"', "'", " ", "\n", "=", "(", "${", "a", "-", "_", "?", "#", "é", "\x00",
    # percent-encoded and HTML character-reference forms (query strings, attributes)
    "%3A", "%2F", "%2f%2f", "&#58;", "&#x2F;", "&#47;", "&sol;", "&colon;", "&amp;", "&", ";", "\u003a",
    "+", " + ", "\\\\u002F",  # concatenations (the SPLIT expression) and JSON in JSON
]
soup = st.lists(st.sampled_from(TOKENS), max_size=60).map(lambda t: "".join(t).encode("utf-8"))


@pytest.mark.slow
@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(soup)
def test_candidate_sets_are_identical(data):
    assert HS.candidates(data, 0, len(data)) == RE.candidates(data, 0, len(data))


@pytest.mark.slow
@settings(max_examples=400, deadline=None)
@given(soup)
def test_findings_are_identical(data):
    a = scan_bytes(data, engine="re", twin_urls=TWINS).findings
    b = scan_bytes(data, engine="hyperscan", twin_urls=TWINS).findings
    assert [f.to_dict() for f in a] == [f.to_dict() for f in b]


def _real_inputs():
    """Committed fixture files (not the git-ignored toolchain installs and caches)."""
    for path in sorted((ROOT / "fixtures").rglob("*")):
        rel = path.relative_to(ROOT / "fixtures").parts
        if path.is_file() and not any(p.startswith(".") for p in rel) and path.stat().st_size < 8 << 20:
            yield path


@pytest.mark.slow
def test_identical_on_every_fixture_file():
    checked = 0
    for path in _real_inputs():
        data = path.read_bytes()
        name = str(path.relative_to(ROOT))
        a = scan_bytes(data, name, "re", TWINS)
        b = scan_bytes(data, name, "hyperscan", TWINS)
        assert [f.to_dict() for f in a.findings] == [f.to_dict() for f in b.findings], name
        checked += 1
    assert checked > 0


@pytest.mark.parametrize("window", [64, 97, 4096])
def test_window_boundaries_lose_nothing(monkeypatch, window, engine):
    """A URL straddling a window edge is found once, with the right line and column."""
    monkeypatch.setattr(reader, "WINDOW", window)
    monkeypatch.setattr(reader, "OVERLAP", 200)
    monkeypatch.setattr(reader, "SMALL", 0)  # force the windowed path
    body = b"".join(b'x%03d="http://localhost:%d/p";\n' % (i, 4000 + i) + b"y" * (i % 50) for i in range(60))
    whole = scan_bytes(body, "big.js", engine).findings
    assert len(whole) == 60
    assert [(f.line, f.column) for f in whole[:3]] == [(1, 7), (2, 7), (3, 8)]


def test_window_boundaries_on_a_mapped_file(tmp_path, monkeypatch, engine):
    from twinscan.classify import Classifier
    from twinscan.scan import FileScanner, Settings
    from twinscan.walk import Item

    monkeypatch.setattr(reader, "WINDOW", 1 << 16)  # a multiple of the mmap granularity
    monkeypatch.setattr(reader, "SMALL", 0)
    line = b"a" * 65500 + b'`http://localhost:4111`' + b"b" * 70000 + b'"ws://127.0.0.1:4113"\n'
    p = tmp_path / "one-line.js"
    p.write_bytes(line * 3)
    s = Settings(rules=build_ruleset(), classifier=Classifier(), engine=engine)
    fs = FileScanner(s).scan(Item(str(p), str(p), p.stat().st_size)).findings
    assert [(f.line, f.column, f.url) for f in fs] == [
        (n, c, u) for n in (1, 2, 3) for c, u in ((65502, "http://localhost:4111"), (135525, "ws://127.0.0.1:4113"))
    ]
