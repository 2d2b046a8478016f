"""twinscan.formats (the shared readers with bounds) and twinscan.decide's Decision."""
from __future__ import annotations

import dataclasses
import gzip
import io
import json
import tarfile

import brotli
import pytest
import zstandard

from twinscan.decide import Decision, decide, fingerprint, make_finding
from twinscan.formats.decompress import DecodeError, Decompressor, LimitExceeded, compression_of
from twinscan.formats.jsonspans import JsonSyntaxError, Span, SpanParser, char_offsets
from twinscan.formats.limits import Limits
from twinscan.formats.tarstream import Source, display_name, is_image_tar, open_stream
from twinscan.model import Origin, Target
from twinscan.rulepack import load_builtin_rules

from .conftest import ROOT, cli_json

TEXT = b"var api = 'https://api.stripe.com/v1';\n" * 2000  # ~78 KB, compresses well
PROD = Target("javascript", "production", True, "named on the command line")


def _read_all(dec: Decompressor, n: int = 4096) -> bytes:
    out = []
    while True:
        chunk = dec.read(n)
        if not chunk:
            return b"".join(out)
        out.append(chunk)


# -- decompress ----------------------------------------------------------------

@pytest.mark.parametrize("kind, pack", [
    ("gzip", gzip.compress), ("zstd", lambda b: zstandard.ZstdCompressor().compress(b)),
    ("brotli", brotli.compress), ("", lambda b: b),
])
def test_every_codec_gives_back_the_bytes(kind, pack):
    dec = Decompressor(io.BytesIO(pack(TEXT)), kind, Limits(), f"{kind} data")
    assert _read_all(dec) == TEXT and dec.finished


def test_concatenated_gzip_members_and_nul_padding_read_as_one_stream():
    data = gzip.compress(b"first ") + gzip.compress(b"second") + b"\0" * 512
    assert _read_all(Decompressor(io.BytesIO(data), "gzip", Limits(), "gzip data")) == b"first second"


def test_a_sniffed_head_is_decoded_first_and_counted():
    data = gzip.compress(TEXT)
    f = io.BytesIO(data)
    head = f.read(512)
    assert compression_of(head) == "gzip" and compression_of(b"\x28\xb5\x2f\xfd...") == "zstd"
    dec = Decompressor(f, compression_of(head), Limits(), "x", head=head)
    assert _read_all(dec) == TEXT and dec.inb == len(data)


def test_truncated_and_corrupt_data_raise_the_callers_error_class():
    cut = gzip.compress(TEXT)[:200]
    with pytest.raises(DecodeError, match="gzip data is truncated"):
        _read_all(Decompressor(io.BytesIO(cut), "gzip", Limits(), "gzip data"))
    with pytest.raises(tarfile.ReadError, match="gzip data is corrupt"):
        _read_all(Decompressor(io.BytesIO(b"\x1f\x8b" + b"garbage" * 50), "gzip", Limits(), "x",
                               error=tarfile.ReadError))
    with pytest.raises(DecodeError, match="brotli data is truncated"):
        _read_all(Decompressor(io.BytesIO(brotli.compress(TEXT)[:40]), "brotli", Limits(), "brotli data"))


def test_a_bomb_stops_one_step_past_the_ratio_not_at_the_end():
    bomb = gzip.compress(b"\0" * (64 << 20))  # 64 MiB of zeros in ~64 KB
    dec = Decompressor(io.BytesIO(bomb), "gzip", Limits(max_ratio=50), "gzip data", step=1 << 16)
    with pytest.raises(LimitExceeded, match=r"gzip data expands more than 50:1 \(a decompression bomb\?\)") as e:
        _read_all(dec, 1 << 20)
    assert e.value.source is dec and dec.outb < 4 << 20  # stopped early, not after 64 MiB


def test_the_size_cap_applies_to_stored_data_only_when_asked():
    lim = Limits(max_decoded=1 << 16)
    with pytest.raises(LimitExceeded, match=r"layer x expands past the 0 MiB limit \(--max-decoded-size\)"):
        _read_all(Decompressor(io.BytesIO(TEXT), "", lim, "layer x"))
    assert _read_all(Decompressor(io.BytesIO(TEXT), "", lim, "outer", cap_total=False)) == TEXT


def test_the_reader_uses_the_shared_decoder_with_its_own_messages(tmp_path):
    from twinscan.reader import Limits as ReaderLimits
    from twinscan.reader import Opened, ReadError

    assert ReaderLimits is Limits
    p = tmp_path / "app.js.gz"
    p.write_bytes(gzip.compress(b"\0" * (8 << 20)))
    with pytest.raises(ReadError, match=r"^gzip data expands more than 200:1 \(a decompression bomb\?\)$"):
        Opened(str(p), Limits()).text()


# -- JSON spans ------------------------------------------------------------------

def test_strings_come_back_as_byte_spans_of_the_text_as_written():
    data = '{"Env": ["A=\\u00e9x", "B=\\ud83d\\ude00y"], "n": [1, -2.5e3, true, null], "k\\"q": {}}'.encode()
    tree, end = SpanParser(data).parse()
    assert end == len(data) and set(tree) == {"Env", "n", 'k"q'}
    a, b = tree["Env"]
    assert isinstance(a, Span) and data[a.start:a.end] == b"A=\\u00e9x" and a.decode(data) == "A=éx"
    assert b.token(data) == b'"B=\\ud83d\\ude00y"' and b.decode(data) == "B=😀y"
    assert tree["n"] == [None, None, None, None]
    offs = char_offsets(data[b.start:b.end])
    assert len(offs) == len("B=😀y") + 1 and offs[3] == 2 + 12  # the surrogate pair is one character


def test_hooks_see_the_walk_in_document_order_and_may_stop_it():
    class Watch(SpanParser):
        seen: list = []

        def on_string(self, path, span):
            self.seen.append(path)
            if path == ("b", 1):
                raise StopIteration

    with pytest.raises(StopIteration):
        Watch(b'{"a": "x", "b": ["y", "z", "never"]}').parse()
    assert Watch.seen == [("a",), ("b", 0), ("b", 1)]


@pytest.mark.parametrize("doc, pos, msg", [
    (b'{"a" 1}', 5, "expected ':'"), (b'{"a": 1,}', 8, "expected a key"), (b'[1 2]', 3, "expected ',' or ']'"),
    (b'{"a": "x', 6, "unterminated string"), (b'[1,', 3, "unexpected end"), (b'[NaN]', 1, "unexpected 'N'"),
])
def test_syntax_errors_name_the_byte(doc, pos, msg):
    with pytest.raises(JsonSyntaxError) as e:
        SpanParser(doc).parse()
    assert (e.value.pos, e.value.msg) == (pos, msg)


def test_depth_is_bounded_and_nan_is_allowed_only_when_asked():
    with pytest.raises(JsonSyntaxError, match="nested more than 3 deep at byte 3"):
        SpanParser(b"[[[[1]]]]", max_depth=3).parse()
    assert SpanParser(b'[["s", 1]]', max_depth=3).parse()[0] == [[Span(3, 4), None]]
    assert SpanParser(b"[NaN, -Infinity]", allow_nan=True).parse()[0] == [None, None]


# -- tar streams -----------------------------------------------------------------

def _tar(entries: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tf:
        for name, data in entries.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def test_unsafe_names_are_only_names():
    assert display_name("/etc/passwd") == ("etc/passwd", "absolute name")
    assert display_name("./a/../../b") == ("a/../../b", "`..` in the name")
    assert display_name("/../x") == ("../x", "absolute name, `..` in the name")
    assert display_name("app/dist/a.js") == ("app/dist/a.js", None)


def test_image_tarballs_are_recognised_gzip_or_not():
    image = _tar({"manifest.json": b"[]", "blobs/sha256/" + "a" * 64: b"{}"})
    assert is_image_tar(image) and is_image_tar(gzip.compress(image))
    assert not is_image_tar(_tar({"dist/app.js": b"x"})) and not is_image_tar(b"\x1f\x8bnot gzip")


def test_a_header_cut_short_is_noted_not_a_quiet_end():
    whole = _tar({"a.txt": b"a" * 600, "b.txt": b"b"})  # b.txt's header starts at 512 + 1024
    tf = open_stream(Source(io.BytesIO(whole[:1536 + 100])))
    assert [m.name for m in tf] == ["a.txt"] and tf._twin_truncated  # tarfile alone would just stop
    tf = open_stream(Source(io.BytesIO(whole)))
    assert [m.name for m in tf] == ["a.txt", "b.txt"] and not tf._twin_truncated


# -- decisions -------------------------------------------------------------------

def _rule(rule_id: str = "loopback-url", **change):
    rule = next(r for r in load_builtin_rules() if r.id == rule_id)
    return dataclasses.replace(rule, **change)


def test_a_decision_is_named_parts_joined_into_the_reason():
    d = decide(PROD, _rule(), "string", port=4111)
    assert isinstance(d, Decision) and d.blocking and d.confidence == "high"
    assert [r.code for r in d.reasons] == ["production", "twin-port"]
    assert d.reason == "production target: named on the command line; port 4111 is a WonderTwin default"
    d2 = d.because("service", "`X` configures Stripe")
    assert d2.reason.endswith("; `X` configures Stripe") and d.reasons != d2.reasons  # decisions are values


@pytest.mark.parametrize("target, context, library, severity, fail_on, codes, blocking", [
    (Target("javascript", "staging", False, "--environment staging"), "string", None, "error", "error",
     ["not-production"], False),
    (PROD, "comment", None, "error", "error", ["inert"], False),
    (PROD, "string", "known default of x", "error", "error", ["library"], False),
    (PROD, "string", None, "warning", "error", ["production", "below-fail-on"], False),
    (PROD, "string", None, "warning", "warning", ["production", "fail-on"], True),
    (PROD, "string", None, "note", "warning", ["production", "below-fail-on"], False),
    (PROD, "string", None, "error", "warning", ["production"], True),
])
def test_each_verdict_names_its_reason(target, context, library, severity, fail_on, codes, blocking):
    d = decide(target, _rule(severity=severity), context, fail_on, library=library, port=8080)
    assert [r.code for r in d.reasons] == codes and d.blocking is blocking and d.confidence == _rule().confidence
    assert d.library == library


def test_make_finding_takes_verdict_reason_and_fingerprint_from_the_decision():
    d = decide(PROD, _rule(), "string", port=4111)
    origin = Origin("src/config.ts", 3, 14, "app.js.map")
    f = make_finding(d, path="dist/app.js", line=2, column=5, end_column=26, offset=40, match="http://localhost:4111",
                     url="http://localhost:4111", host="localhost", port=4111, key="API", snippet="…", origin=origin)
    assert (f.rule, f.severity, f.title) == (d.rule.id, d.rule.severity, d.rule.title)
    assert (f.blocking, f.reason, f.confidence, f.context, f.environment) == (True, d.reason, "high", "string",
                                                                             "production")
    assert f.fingerprint == fingerprint("loopback-url", "http://localhost:4111", "dist/app.js")
    assert f.decision is d and "decision" not in f.to_dict()


def test_fail_on_travels_to_the_worker_processes(monkeypatch, tmp_path):
    """--fail-on is decided where the finding is made, in the pool too (no re-decision after the scan)."""
    import twinscan.scan.driver as driver
    import twinscan.scan.forkpool as forkpool
    from twinscan import rulepack

    real_build = rulepack.build_ruleset
    monkeypatch.setattr(rulepack, "build_ruleset", lambda twin_urls=(): [
        dataclasses.replace(r, severity="warning") if r.id == "loopback-url" else r for r in real_build(twin_urls)])
    monkeypatch.setattr(driver, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setattr(driver, "PARALLEL_MIN_FILES", 2)
    pools = []
    real_imap = forkpool.imap
    monkeypatch.setattr(forkpool, "imap", lambda *a, **k: pools.append(1) or real_imap(*a, **k))
    for i in range(3):
        (tmp_path / f"app{i}.js").write_text(f'const api = "http://localhost:411{i + 1}/v1";\n')
    code, doc = cli_json(["--jobs", "2", "--fail-on", "warning", str(tmp_path)])
    assert pools and code == 1 and len(doc["findings"]) == 3
    assert all(f["blocking"] and "rule severity warning blocks with --fail-on warning" in f["reason"]
               for f in doc["findings"])
    code, doc = cli_json(["--jobs", "2", str(tmp_path)])
    assert code == 0 and not any(f["blocking"] for f in doc["findings"])
    assert all("rule severity warning is below --fail-on error" in f["reason"] for f in doc["findings"])


def test_real_build_reasons_are_made_of_the_decisions_parts():
    """Every finding on the real builds carries the Decision it was made from, whatever found it."""
    from twinscan.classify import Classifier
    from twinscan.rulepack import build_ruleset
    from twinscan.scan import Settings, run
    from twinscan.walk import Walker

    items = list(Walker().walk([str(ROOT / "fixtures" / "builds")]))
    result = run(items, Settings(rules=build_ruleset(), classifier=Classifier(), jobs=1))
    assert result.findings
    for f in result.findings:
        assert isinstance(f.decision, Decision) and f.reason == f.decision.reason and f.blocking == f.decision.blocking
    assert json.dumps([f.reason for f in result.findings])  # plain text, as the reports show it
