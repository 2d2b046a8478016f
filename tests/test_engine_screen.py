"""The screen (one engine call for many small files) never misses a file the per-file search
would find something in: the fast path of a 50,000-chunk tree rests on it (issue 14)."""
from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from twinscan.engine import HyperscanEngine, ReEngine, build_expressions, hyperscan_available, screenable
from twinscan.rulepack import build_ruleset

from .conftest import ROOT, cli_json
from .test_engine_equivalence import TOKENS

TWINS = ("twins.*.yourco.com", "*.yourco.com/twins/")
RULES = build_ruleset(TWINS)
EXPRS = build_expressions(RULES, split=True)  # as the scanner builds them
ENGINES = {"re": ReEngine(EXPRS, RULES)}
if hyperscan_available():
    ENGINES["hyperscan"] = HyperscanEngine(EXPRS)
needs_hyperscan = pytest.mark.skipif(not hyperscan_available(), reason="Hyperscan does not load on this platform")

EDGES = [
    b'const api = "http://localhost',  # a host at the very end: found by `$`, not by a following byte
    b"//localhost:4111/v1",  # a protocol-relative URL at the start: no delimiter before it in the file
    b"let x = 1;\n",
    b'"https://api.wondertwin.dev/twins/stripe"',
    b'x="http://" + ',  # a concatenation cut at the file's end
    b'"localhost:4111"',
    b"url(data:image/png;base64,iVBORw0KGgo=)",
    b"http://twins.staging.yourco.com",
    b"",
    b"\n\x00\n",  # the separator itself, inside a file
    b"ws://0.0.0.0",
]


def _found_alone(engine, bufs: list[bytes]) -> set[int]:
    return {i for i, b in enumerate(bufs) if engine.candidates(b, 0, len(b))}


@pytest.mark.parametrize("name", sorted(ENGINES))
def test_the_screen_finds_every_file_the_per_file_search_does(name):
    engine = ENGINES[name]
    for bufs in (EDGES, EDGES[::-1], [EDGES[1], EDGES[0], EDGES[1]], [b"a" * 100, EDGES[0]]):
        assert _found_alone(engine, bufs) <= engine.screen(bufs)


@pytest.mark.parametrize("name", sorted(ENGINES))
def test_the_screen_on_real_bundles(name):
    engine = ENGINES[name]
    files = sorted(p for p in (ROOT / "fixtures" / "builds").rglob("*") if p.is_file() and p.stat().st_size < 300_000)
    bufs = [p.read_bytes() for p in files]
    alone = _found_alone(engine, bufs)
    screened = engine.screen(bufs)
    assert alone and alone <= screened
    assert len(screened - alone) <= len(bufs) // 20  # the screen clears what is clean, not a few files


@needs_hyperscan
def test_clean_files_are_cleared_by_one_scan():
    bufs = [b"let a = 1;", b'fetch("/api/v1")', b"https://api.stripe.com/v1", b"x" * 5000]
    assert ENGINES["hyperscan"].screen(bufs) == set()
    assert ENGINES["hyperscan"].screen([*bufs, b"http://localhost:4111"]) == {4}


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(st.sampled_from(TOKENS), max_size=12).map(lambda ts: "".join(ts).encode("utf-8")),
                min_size=1, max_size=6))
def test_the_screen_never_misses_on_token_soup(bufs):
    for engine in ENGINES.values():
        assert _found_alone(engine, bufs) <= engine.screen(bufs)


def test_the_built_in_expressions_are_screenable():
    """Else every file would take the per-file search: the fast path would be silently gone."""
    assert all(screenable(e.regex) for e in EXPRS)


@pytest.mark.parametrize("regex", [r"localhost\b", r"^http://", r"http://(?=x)", r"localhost$", r"a(?<!b)c"])
def test_an_anchor_makes_an_expression_unscreenable(regex):
    assert not screenable(regex)


@needs_hyperscan
def test_a_build_scanned_through_the_screen_gives_the_per_file_report(monkeypatch):
    """Through the CLI on real builds: the screen's answers change nothing in the report, and it
    does clear files (every file sent down the full path is the reference)."""
    from twinscan.scan import filescan

    cleared = []
    real = filescan.FileScanner._nothing_more

    def counting(self, item, data):
        done = real(self, item, data)
        cleared.append(done)
        return done

    monkeypatch.setattr(filescan.FileScanner, "_nothing_more", counting)
    builds = ROOT / "fixtures" / "builds"
    _, screened = cli_json(["--engine", "hyperscan", "--jobs", "1", builds])
    cleared_by_screen = sum(cleared)
    monkeypatch.setattr(HyperscanEngine, "screen", lambda self, bufs, ends=None: set(range(len(bufs))))
    _, alone = cli_json(["--engine", "hyperscan", "--jobs", "1", builds])
    for doc in (screened, alone):
        doc["summary"].pop("seconds")
    assert screened == alone and screened["findings"] and cleared_by_screen >= 50
