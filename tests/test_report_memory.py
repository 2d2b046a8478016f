"""Memory flat in the number of findings (issue 14): findings share what hits judged alike have
in common, and every report is written as it is made, byte for byte what building the whole
document gave. (The peak RSS itself is measured in bench/scaling.py, never as a timed test.)"""
from __future__ import annotations

import json
import random
from dataclasses import dataclass

import pytest

from twinscan.report import FORMATS, chunks, render
from twinscan.report.jsonstream import Items, batched, object_encoder
from twinscan.report.jsonstream import chunks as json_chunks

from .conftest import ROOT, cli, scan_bytes

BUILDS = ROOT / "fixtures" / "builds"


def _many_hits(n: int) -> bytes:
    return "".join(f'a{i}="http://localhost:4111/v";' + ("\n" if i % 8 == 7 else "") for i in range(n)).encode()


def test_hits_judged_alike_share_their_decision_reason_fingerprint_and_url():
    res = scan_bytes(_many_hits(300))
    fs = res.findings
    assert len(fs) == 300 and all(f.blocking for f in fs)
    first = fs[0]
    for f in fs[1:]:
        assert f.decision is first.decision
        assert f.reason is first.reason and f.fingerprint is first.fingerprint
        assert f.url is first.url and f.match is first.match
    assert len({f.key for f in fs}) == 300 and len({(f.line, f.column) for f in fs}) == 300  # places stay their own
    assert not hasattr(first, "__dict__")  # slotted: no per-finding dict


def test_different_verdicts_are_not_shared():
    data = b'a="http://localhost:4111/v";// b="http://localhost:4111/v"\nc="http://localhost:3000/x";'
    fs = scan_bytes(data).findings
    by_col = {(f.line, f.column): f for f in fs}
    assert len(by_col) == 3
    reasons = {f.context: f.reason for f in fs}
    assert "comment" in reasons and "string" in reasons and reasons["comment"] != reasons["string"]
    assert len({f.fingerprint for f in fs}) == 2  # same URL twice: one fingerprint; another URL: its own


def _random_value(rng: random.Random, depth: int):
    kind = rng.randrange(9 if depth < 3 else 6)
    if kind == 0:
        return rng.choice(["", "plain", "quote \" and \\ back", "tab\tnew\nline", "é…\u2028", "\udc80 lone", "\x00\x1f"])
    if kind == 1:
        return rng.randrange(-10**12, 10**12)
    if kind == 2:
        return rng.choice([True, False])
    if kind == 3:
        return None
    if kind == 4:
        return rng.random() * 1000
    if kind == 5:
        return rng.choice([[], {}])
    if kind == 6:
        return [_random_value(rng, depth + 1) for _ in range(rng.randrange(4))]
    if kind == 7:
        return {f"k{i}\u00e9": _random_value(rng, depth + 1) for i in range(rng.randrange(4))}
    return Items([_random_value(rng, depth + 1) for _ in range(rng.randrange(4))])


def _plain(obj):
    """The document with every Items as the list it stands for."""
    if isinstance(obj, Items):
        return [_plain(v) for v in obj.items]
    if isinstance(obj, dict):
        return {k: _plain(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_plain(v) for v in obj]
    return obj


def test_streamed_json_is_what_json_dumps_writes():
    rng = random.Random(14)
    for _ in range(400):
        doc = {"a": _random_value(rng, 0), "list": Items([_random_value(rng, 1) for _ in range(rng.randrange(5))]),
               "nested": [{"deep": Items([{"x": _random_value(rng, 2)}])}, _random_value(rng, 1)]}
        want = json.dumps(_plain(doc), indent=2, ensure_ascii=False)
        assert "".join(json_chunks(doc)) == want
    assert "".join(json_chunks(Items([]))) == "[]" and "".join(json_chunks({"e": Items(())})) == '{\n  "e": []\n}'


@dataclass
class _Where:
    path: str
    line: int


@dataclass
class _Thing:
    name: str
    count: int
    ok: bool
    gone: None
    where: _Where | None
    tags: list


def test_the_object_encoder_writes_what_json_dumps_writes_of_the_same_fields():
    from dataclasses import asdict

    encode = object_encoder(("name", "count", "ok", "gone", "where", "tags"))
    things = [_Thing("a\"é…\n", 4111, True, None, _Where("src/x.js", 3), ["t", 1]),
              _Thing("", -1, False, None, None, [])]
    for level in range(4):
        for t in things:
            want = json.dumps(asdict(t), indent=2, ensure_ascii=False).replace("\n", "\n" + "  " * level)
            assert encode(t, level) == want


def test_batched_joins_pieces_into_about_size_characters():
    pieces = ["x" * 10] * 100
    out = list(batched(pieces, size=95))
    assert "".join(out) == "".join(pieces) and len(out) == 10 and all(len(b) == 100 for b in out)
    assert list(batched([])) == []


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_every_format_writes_in_pieces_what_it_renders(fmt, tmp_path):
    """The CLI writes the pieces (stdout and -o FILE); render() joins them: the same text, also
    from the document built whole (JSON, SARIF, GitLab)."""
    r = cli(["--format", fmt, "-v", "--twin-url", "twins.*.yourco.com", BUILDS / "vite8-twin-local"])
    out = tmp_path / f"report.{fmt}"
    r2 = cli(["--format", fmt, "-v", "--twin-url", "twins.*.yourco.com", "-o", out, BUILDS / "vite8-twin-local"])
    assert r.exit_code == r2.exit_code == 1

    def norm(text: str) -> str:
        import re

        return re.sub(r'("seconds": |time=")[0-9.]+|[0-9]+\.[0-9]{2} s\b', "T", text)

    assert norm(out.read_text(encoding="utf-8")) == norm(r.stdout)
    assert r.stdout.count("localhost:4111") >= 1


def _report():
    from twinscan.model import Finding
    from twinscan.report import Report

    r = cli(["--format", "json", "--twin-url", "twins.*.yourco.com", BUILDS])
    doc = json.loads(r.stdout)
    from dataclasses import fields

    keys = {f.name for f in fields(Finding)}
    findings = [Finding(**{k: v for k, v in f.items() if k in keys and k not in ("origin", "suppression")})
                for f in doc["findings"]]
    assert len(findings) > 20
    return Report(findings=findings, errors=[], skipped=[], files_scanned=5, bytes_scanned=100, seconds=0.5,
                  engine="re", suppressed=findings[:3], show_suppressed=True, notes=["a note"])


@pytest.mark.parametrize("fmt", ["json", "sarif", "gitlab"])
def test_json_formats_stream_the_document_they_build(fmt):
    import importlib

    from twinscan.report.present import shown

    report = _report()
    module = importlib.import_module(FORMATS[fmt], "twinscan.report")
    whole = json.dumps(module.document(shown(report)), indent=2, ensure_ascii=False) + "\n"
    assert render(fmt, report) == whole
    assert "".join(chunks(fmt, report)) == whole


def _junit_by_elementtree(report) -> str:
    import xml.etree.ElementTree as ET

    from twinscan.report import junit
    from twinscan.report.present import shown

    root = junit.document(shown(report))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def test_junit_streams_what_elementtree_writes_of_its_document():
    from dataclasses import replace

    from twinscan.model import FileError

    report = _report()
    odd = replace(report.findings[0], url='http://localhost:4111/?a=1&b=<2>"\t\n', reason="why & <not> \x01 \"quoted\"")
    report.findings[0] = odd
    report.errors = [FileError("dist/broken.js.gz", "truncated & <gzip>\nstream", True),
                     FileError("docs/x.gz", "not gzip", False), FileError(report.findings[3].path, "odd\tread", False)]
    assert render("junit", report) == _junit_by_elementtree(report)
    report.show_suppressed = False
    assert render("junit", report) == _junit_by_elementtree(report)
    empty = replace(report, findings=[], errors=[], suppressed=[], notes=[])
    assert render("junit", empty) == _junit_by_elementtree(empty)
    assert "no twin URL in 5 files" in render("junit", empty)
