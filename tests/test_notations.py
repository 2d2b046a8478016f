"""Every notation of a twin URL that issue 13 found getting through, blocked through the CLI.

Each row of ROWS is a realistic file holding one notation. In a production target it blocks,
with the rule and URL the row names; the same file in a non-production target is reported,
not blocking; Hyperscan and the stdlib engine report identical findings.
"""
from __future__ import annotations

import ipaddress
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from twinscan.engine import SPLIT, HyperscanEngine, ReEngine, build_expressions, hyperscan_available
from twinscan.rulepack import build_ruleset
from twinscan.urls import INVALID, is_loopback_host, parse_ipv4

from .conftest import ENGINES, ROOT, cli_json

TWIN_URL = "twins.*.yourco.com"

# (id, file name, content, rule, url); the production file is written under dist/ (or as named),
# the non-production one under the non-production name in NONPROD.
ROWS = [
    ("ipv4-octal", "dist/assets/index-a1.js", 'const STRIPE_BASE="http://0177.0.0.1:4111/v1";\n',
     "loopback-url", "http://0177.0.0.1:4111/v1"),
    ("ipv4-hex-dotted", "dist/assets/index-a2.js", 'const STRIPE_BASE="http://0x7f.0.0.1:4111";\n',
     "loopback-url", "http://0x7f.0.0.1:4111"),
    ("ipv4-hex-short", "dist/assets/index-a3.js", 'n={VITE_POSTHOG_HOST:"http://0x7f.1:4112"};\n',
     "loopback-url", "http://0x7f.1:4112"),
    ("ipv4-octal-single", ".env.production", "VITE_STRIPE_BASE_URL=http://017700000001:4111\n",
     "loopback-url", "http://017700000001:4111"),
    ("trailing-dot-hosted", ".env.production", "VITE_STRIPE_BASE_URL=https://api.wondertwin.dev./twins/stripe\n",
     "wondertwin-hosted-url", "https://api.wondertwin.dev./twins/stripe"),
    ("trailing-dot-org", ".env.production", "VITE_STRIPE_BASE_URL=https://twins.staging.yourco.com./stripe\n",
     "org-twin-url", "https://twins.staging.yourco.com./stripe"),
    ("nip-io-dotted", ".env.production", "VITE_POSTHOG_HOST=http://127.0.0.1.nip.io:4112\n",
     "loopback-url", "http://127.0.0.1.nip.io:4112"),
    ("nip-io-dashed", "dist/assets/index-b1.js", 'const e=`https://stripe.127-0-0-1.nip.io:4111/v1`;\n',
     "loopback-url", "https://stripe.127-0-0-1.nip.io:4111/v1"),
    ("sslip-io", ".env.production", "VITE_STRIPE_BASE_URL=http://app-127-0-0-1.sslip.io:4111\n",
     "loopback-url", "http://app-127-0-0-1.sslip.io:4111"),
    ("localtest-me", ".env.production", "NEXT_PUBLIC_POSTHOG_HOST=http://localtest.me:4112\n",
     "loopback-url", "http://localtest.me:4112"),
    ("lvh-me-subdomain", "dist/assets/index-b2.js", 'fetch("http://stripe.lvh.me:4111/v1/charges");\n',
     "loopback-url", "http://stripe.lvh.me:4111/v1/charges"),
    ("sentence-punctuation", "dist/assets/index-c1.js",
     'const hint="Twins are running, see http://localhost:4111.";export{hint};\n',
     "loopback-url", "http://localhost:4111"),
    ("template-computed-scheme", "dist/assets/index-c2.js",
     "const base=`${location.protocol}//localhost:4111/stripe`;\n", "loopback-url", "//localhost:4111/stripe"),
    ("template-constant-substitutions", "dist/assets/index-d1.js",
     'const host=`${"https"}://${"api.wondertwin"}.dev/twins/posthog`;\n',
     "wondertwin-hosted-url", "https://api.wondertwin.dev/twins/posthog"),
    ("array-join", "dist/assets/index-d2.js", 'const base=["http://","localhost",":4111"].join("");\n',
     "loopback-url", "http://localhost:4111"),
    ("atob", "dist/assets/index-d3.js", 'const base=atob("aHR0cDovL2xvY2FsaG9zdDo0MTEx");\n',
     "loopback-url", "http://localhost:4111"),
    ("from-char-code", "dist/assets/index-d4.js",
     "const base=String.fromCharCode(104,116,116,112,58,47,47,108,111,99,97,108,104,111,115,116,58,52,49,49,50);\n",
     "loopback-url", "http://localhost:4112"),
    ("decode-uri-component", "dist/assets/index-d5.js",
     'const base=decodeURIComponent("%68ttp%3A%2F%2Flocalhost%3A4113%2Fv1");\n', "loopback-url",
     "http://localhost:4113/v1"),
    ("escaped-scheme-letter", "dist/assets/index-d6.js",
     'const base="\\u0068ttps://twins.staging.yourco.com/stripe";\n', "org-twin-url",
     "https://twins.staging.yourco.com/stripe"),
    ("vendor-key-pattern", ".env.production", "VITE_STRIPE_API_HOST=localhost:4111\nVITE_STRIPE_API_PROTOCOL=http\n",
     "service-host-url", "http://localhost:4111"),
]
NONPROD = {".env.production": ".env.development"}  # JavaScript files: the run is `--environment staging`


def _scan(tmp_path, name: str, content: str, engine: str, extra=()):
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(content, encoding="utf-8")
    (tmp_path / "twinscan.yaml").write_text("twin_urls: []\n")
    code, report = cli_json(["--config", tmp_path / "twinscan.yaml", "--twin-url", TWIN_URL, "--engine", engine,
                             *extra, path])
    assert not report["errors"], report["errors"]
    return code, report["findings"]


@pytest.mark.parametrize("row", ROWS, ids=[r[0] for r in ROWS])
def test_blocks_in_production_with_both_engines(tmp_path, row):
    _, name, content, rule, url = row
    results = [_scan(tmp_path, name, content, engine) for engine in ENGINES]
    code, findings = results[0]
    assert code == 1, findings
    blocking = [(f["rule"], f["url"]) for f in findings if f["blocking"]]
    assert (rule, url) in blocking, findings
    assert all(r == results[0] for r in results), "engines disagree"


@pytest.mark.parametrize("row", ROWS, ids=[r[0] for r in ROWS])
def test_reported_not_blocking_outside_production(tmp_path, row):
    _, name, content, rule, url = row
    if name in NONPROD:
        name, extra = NONPROD[name], ()
    else:
        extra = ("--environment", "staging")
    results = [_scan(tmp_path, name, content, engine, extra) for engine in ENGINES]
    code, findings = results[0]
    assert code == 0, findings
    assert not any(f["blocking"] for f in findings)
    if rule == "service-host-url":  # the vendor-host check judges production settings only
        assert findings == []
    else:
        assert (rule, url) in [(f["rule"], f["url"]) for f in findings], findings
    assert all(r == results[0] for r in results), "engines disagree"


def test_sentence_punctuation_keeps_the_port_for_suppressions(tmp_path, engine):
    """`see http://localhost:4111.` is http://localhost:4111, so an `ignore:` for it still matches."""
    js = tmp_path / "dist" / "app.js"
    js.parent.mkdir()
    js.write_text('const a="see http://localhost:4111.",b="(http://localhost:4112)",c="http://localhost:4113/v1.2/x.";\n'
                  'const d="http://localhost:4114/a.b?";\n')
    cfg = tmp_path / "twinscan.yaml"
    cfg.write_text('ignore:\n  - url: "http://localhost:4111/*"\n    reason: "documented twin address in a help text"\n')
    code, report = cli_json(["--config", cfg, "--engine", engine, js])
    urls = [(f["url"], f["port"]) for f in report["findings"]]
    assert urls == [("http://localhost:4112", 4112), ("http://localhost:4113/v1.2/x", 4113),
                    ("http://localhost:4114/a.b", 4114)]
    assert code == 1
    assert not any("matched nothing" in n for n in report.get("notes", []))


def test_vendor_key_pattern_needs_the_suffix_right_after_the_name(tmp_path, engine):
    """`STRIPE_SUCCESS_URL` is a page of the app, not a Stripe endpoint; framework prefixes all count."""
    env = tmp_path / ".env.production"
    env.write_text("STRIPE_SUCCESS_URL=https://shop.example.com/thanks\n"
                   "EXPO_PUBLIC_OPENAI_BASE_URL=https://llm-proxy.example.net/v1\n"
                   "NUXT_PUBLIC_POSTHOG_API_HOST=https://eu.i.posthog.com\n"
                   "REACT_APP_SENTRY_HOST=localhost\nREACT_APP_SENTRY_PORT=4115\n")
    code, report = cli_json(["--engine", engine, env])
    got = [(f["key"], f["url"], f["port"]) for f in report["findings"]]
    assert got == [("EXPO_PUBLIC_OPENAI_BASE_URL", "https://llm-proxy.example.net/v1", None),
                   ("REACT_APP_SENTRY_HOST", "//localhost:4115", 4115)]
    assert code == 1


# -- the IPv4 parser against the WHATWG URL parser -----------------------------

def _whatwg_rows():
    with open(ROOT / "tests" / "data" / "whatwg_ipv4.json", encoding="utf-8") as f:
        return json.load(f)["rows"]


def test_ipv4_parser_matches_node_new_url_table():
    """tests/data/whatwg_ipv4.json is what Node's `new URL()` made of ~400 hosts
    (regenerate: `node tests/data/whatwg_ipv4.js > tests/data/whatwg_ipv4.json`)."""
    rows = _whatwg_rows()
    assert len(rows) > 300
    for host, hostname in rows:
        got = parse_ipv4(host.lower())
        if hostname is None:
            assert got == INVALID, host
            continue
        try:
            expected = int(ipaddress.IPv4Address(hostname))
        except ValueError:  # a domain name
            assert got is None, host
            continue
        assert got == expected, host
        assert is_loopback_host(host.lower()) == (expected >> 24 == 127), host


@settings(max_examples=500, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(1, 4), st.lists(st.sampled_from(["dec", "hex", "HEX", "oct"]),
                                                               min_size=4, max_size=4),
       st.lists(st.integers(0, 3), min_size=4, max_size=4), st.booleans())
def test_ipv4_every_radix_and_part_count(value, parts, radices, zeros, dot):
    """Any address written with 1-4 parts, each in decimal, hex or octal with leading zeros,
    reads back as itself (the WHATWG rules: the last part fills the remaining bytes)."""
    head = [(value >> (24 - 8 * i)) & 0xFF for i in range(parts - 1)]
    last = value & (256 ** (5 - parts) - 1)
    out = []
    for n, radix, z in zip([*head, last], radices, zeros):
        if radix == "dec":
            out.append(str(n))
        elif radix == "oct":
            out.append("0" * (z + 1) + format(n, "o"))
        else:
            out.append(("0x" if radix == "hex" else "0X") + "0" * z + format(n, "x"))
    host = ".".join(out) + ("." if dot else "")
    assert parse_ipv4(host.lower()) == value
    assert is_loopback_host(host.lower()) == (value >> 24 == 127)


@pytest.mark.parametrize("host,loopback", [
    ("127.0.0.1.nip.io", True), ("app.127.0.0.1.nip.io", True), ("app-127-0-0-1.nip.io", True),
    ("7f000001.nip.io", True), ("app-7f000001.sslip.io", True), ("--1.sslip.io", True), ("127-1-2-3.sslip.io", True),
    ("localtest.me", True), ("a.b.lvh.me", True), ("lvh.me.", True),
    ("10.0.0.1.nip.io", False), ("127.0.0.1.nip.io.evil.com", False), ("nip.io", False), ("127.0.0.300.nip.io", False),
    ("c0a80101.nip.io", False), ("--2.sslip.io", False), ("notlvh.me", False), ("localtest.me.example", False),
])
def test_wildcard_dns_loopback_names(host, loopback):
    assert is_loopback_host(host) is loopback


# -- triggers: both engines agree, and bundles without a trigger are never parsed ---------

@pytest.mark.skipif(not hyperscan_available(), reason="Hyperscan does not load here")
@settings(max_examples=800, deadline=None)
@given(st.lists(st.sampled_from([
    "${", "}", '"', "'", "`", "https", "http", "ws", ":", "//", "\\/", "atob(", "Buffer.from(", "aHR0c", "d3Nz",
    "].join(", '""', ")", "String.fromCharCode(", "104", "116", ",", " ", "decodeURIComponent(", "\\u0068", "\\x68",
    "\\u{68}", "\\", "ttp", "t", "s", "\\u0074", "localhost", ":4111", "+", "[", "]", ".", "0177", "0x7f", ".1",
    "nip.io", "127-0-0-1", "lvh.me", "\n"]), max_size=40).map(lambda t: "".join(t).encode()))
def test_trigger_candidates_identical_in_both_engines(data):
    rules = build_ruleset((TWIN_URL,))
    exprs = build_expressions(rules, split=True)
    hs, rx = HyperscanEngine(exprs), ReEngine(exprs, rules)
    assert hs.candidates(data, 0, len(data)) == rx.candidates(data, 0, len(data))


_HS_CACHE: dict = {}


def test_no_trigger_in_real_bundles_means_no_parse(monkeypatch):
    """Folding parses a file only when a trigger matched: the committed real builds and library
    bundles hold none outside the twin builds, so their scan costs what it did."""
    from twinscan.extract import jsfold

    from .conftest import scan_bytes

    parsed: list[str] = []
    real = jsfold.folded_strings

    def spy(data, offsets):
        parsed.append(len(data))
        return real(data, offsets)

    monkeypatch.setattr(jsfold, "folded_strings", spy)
    files = [p for d in ("fixtures/builds", "fixtures/libraries") for p in sorted((ROOT / d).rglob("*.js"))
             if "twin" not in str(p.relative_to(ROOT))]
    assert len(files) > 10
    rules = build_ruleset()
    exprs = build_expressions(rules, split=True)
    engine = ReEngine(exprs, rules)
    triggered = []
    for p in files:
        data = p.read_bytes()
        if any(exprs[i].kind == SPLIT for _, i in engine.candidates(data, 0, len(data))):
            triggered.append(p)
        scan_bytes(data, str(p.relative_to(ROOT)))
    assert len(parsed) == len(triggered)
