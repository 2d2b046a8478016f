"""Hyperscan's two passes over a large buffer (ends first, then starts only near them) give
exactly what one scan tracking every start gives (issue 14: that tracking cost ~2.7x the scan)."""
from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from twinscan import engine as engine_module
from twinscan.engine import HyperscanEngine, ReEngine, build_expressions, hyperscan_available
from twinscan.reader import OVERLAP
from twinscan.rulepack import build_ruleset
from twinscan.urls import MAX_URL

from .conftest import ROOT, cli_json
from .test_engine_equivalence import TOKENS

pytestmark = pytest.mark.skipif(not hyperscan_available(), reason="Hyperscan does not load on this platform")

TWINS = ("twins.*.yourco.com", "*.yourco.com/twins/")
RULES = build_ruleset(TWINS)
EXPRS = build_expressions(RULES, split=True)
HS = HyperscanEngine(EXPRS) if hyperscan_available() else None
RE = ReEngine(EXPRS, RULES)


def _both(buf: bytes, lo: int, hi: int) -> tuple[list, list]:
    """(the two passes, the one scan), for any buffer length."""
    return HS._starts_near(buf, lo, hi, HS._ends(buf)), HS._starts(buf, lo, hi)


def test_a_url_is_read_in_fewer_bytes_than_a_stretch_looks_back():
    assert MAX_URL < OVERLAP  # the bound the second pass rests on, as the windows do


# Filler between pieces: none, a few bytes, and around a stretch's reach, where ends stop sharing one.
GAPS = (0, 1, 7, 300, OVERLAP - 3, OVERLAP - 1, OVERLAP, OVERLAP + 1, OVERLAP + 40, 3 * OVERLAP)
piece = st.lists(st.sampled_from(TOKENS), max_size=14).map(lambda t: "".join(t).encode("utf-8"))
filler = st.tuples(st.sampled_from(GAPS), st.sampled_from([b"x", b" ", b"a-", b"/", b"\n"])).map(lambda g: (g[1] * g[0])[:g[0]])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(filler, piece), min_size=1, max_size=8), st.floats(0, 1), st.floats(0, 1))
def test_two_passes_find_what_one_scan_finds_on_token_soup(parts, a, b):
    buf = b"".join(f + p for f, p in parts)
    lo, hi = sorted((int(a * len(buf)), int(b * len(buf))))
    hi = max(hi, lo + 1)
    two, one = _both(buf, lo, hi)
    assert two == one
    assert two == RE.candidates(buf, lo, hi)  # and the stdlib engine agrees with both


def test_two_passes_on_every_real_bundle():
    files = sorted(p for p in (ROOT / "fixtures").rglob("*") if p.is_file() and p.stat().st_size > 2000)
    assert len(files) > 50
    hits = 0
    for path in files:
        buf = path.read_bytes()
        two, one = _both(buf, 0, len(buf))
        assert two == one, path
        hits += bool(one)
        # a window's middle, as a large file's windows ask
        two, one = _both(buf, len(buf) // 3, 2 * len(buf) // 3)
        assert two == one, path
    assert hits > 20


def test_hits_near_both_ends_and_a_host_at_the_very_end():
    far = b"x" * (3 * OVERLAP)
    buf = b"'//localhost:4111/" + far + b'"http://127.0.0.1:1"' + far + b"http://twins.a.yourco.com"
    two, one = _both(buf, 0, len(buf))
    assert two == one and len(one) == 3
    # an expression that starts with a repetition could match from a stretch's first byte
    # without having started there: the whole buffer is scanned instead
    at = buf.index(b"http://127")
    assert HS._starts(memoryview(buf)[at:at + 40], 0, len(buf), None, at, at + 40, at) is None


def test_a_large_file_through_the_cli_reports_what_a_small_one_does(tmp_path, monkeypatch):
    """A real bundle padded past the two-pass size, scanned through the CLI: the same findings
    at the same places as with the one scan (the two-pass threshold raised out of reach)."""
    bundle = next(p for p in sorted((ROOT / "fixtures" / "builds").rglob("*.js"))
                  if b"localhost" in p.read_bytes() and p.stat().st_size < 200_000)
    dist = tmp_path / "dist" / "assets"
    dist.mkdir(parents=True)
    (dist / "index.js").write_bytes(b"/*" + b" " * (engine_module.TWO_PASS_BYTES + 10) + b"*/\n" + bundle.read_bytes())
    code, two = cli_json(["--engine", "hyperscan", str(tmp_path / "dist")])
    monkeypatch.setattr(engine_module, "TWO_PASS_BYTES", 1 << 40)
    code_one, one = cli_json(["--engine", "hyperscan", str(tmp_path / "dist")])
    assert two["findings"] and two["findings"] == one["findings"] and code == code_one


@pytest.mark.parametrize("long", [
    b'"http://' + b"u" * 5000 + b'@localhost:4111/v1"',  # a userinfo past the stretch's reach
    b'"http://" +' + b" " * 3000 + b"\n" * 3000 + b'"localhost:4111"',  # a concatenation spread over lines
    b"'" + b"//" + b"a-" * 3000 + b"b.localhost:4111/'",  # a host label longer than any DNS allows
])
def test_a_match_longer_than_a_stretch_is_not_lost(long):
    """A match that starts more than OVERLAP bytes before its end is not in its stretch: the end
    the first pass found is then not found again, and the whole buffer is scanned."""
    assert len(long) > OVERLAP
    buf = b"x" * (engine_module.TWO_PASS_BYTES + 10) + long + b";" + b"y" * 9000 + b'"http://127.0.0.1:1"'
    one = HS._starts(buf, 0, len(buf))
    assert HS.candidates(buf, 0, len(buf)) == one
    assert any(s >= engine_module.TWO_PASS_BYTES for s, _ in one[:-1])  # the long one is among them


def _screened_candidates(bufs: list[bytes]) -> list:
    """What the scanner asks for each buffer the screen flags: its candidates from the screen's ends."""
    ends: dict = {}
    flagged = HS.screen(bufs, ends)
    return [(k, HS.candidates(bufs[k], 0, len(bufs[k]), ends=ends.get(k, []))) for k in sorted(flagged)]


def test_the_screens_ends_give_each_flagged_buffer_its_own_candidates(monkeypatch):
    """A flagged file is not searched a second time without start tracking: the screen's ends,
    given back in the file's offsets, serve as the first pass. Every real bundle, and the edge
    cases of a file's ends (a host at the very end, `//` at the start, the separator inside)."""
    from .test_engine_screen import EDGES

    monkeypatch.setattr(engine_module, "TWO_PASS_BYTES", 0)  # every buffer takes the two passes
    files = sorted(p for p in (ROOT / "fixtures" / "builds").rglob("*") if p.is_file() and p.stat().st_size < 300_000)
    groups = [[p.read_bytes() for p in files[i:i + 40]] for i in range(0, len(files), 40)]
    groups += [EDGES, EDGES[::-1], [b"x" + e + b"\n" for e in EDGES]]
    checked = 0
    for bufs in groups:
        for k, cands in _screened_candidates(bufs):
            assert cands == HS._starts(bufs[k], 0, len(bufs[k])), k
            checked += bool(cands)
    assert checked > 20


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(st.tuples(filler, piece), max_size=4).map(lambda ps: b"".join(f + p for f, p in ps)),
                min_size=1, max_size=5))
def test_the_screens_ends_on_token_soup(bufs):
    engine_module.TWO_PASS_BYTES, saved = 0, engine_module.TWO_PASS_BYTES
    try:
        for k, cands in _screened_candidates(bufs):
            assert cands == HS._starts(bufs[k], 0, len(bufs[k]))
        # and the screen still flags every buffer that has a candidate
        ends: dict = {}
        flagged = HS.screen(bufs, ends)
        assert {k for k, b in enumerate(bufs) if HS._starts(b, 0, len(b))} <= flagged
    finally:
        engine_module.TWO_PASS_BYTES = saved
