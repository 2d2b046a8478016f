"""Reading: binary skipped by content, compressed siblings decoded within limits, huge lines flat."""
from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
import textwrap

import brotli
import pytest
import zstandard

from .conftest import cli_json

JS = b'var a=1;const d=`http://localhost:4111`;\nfetch("https://api.wondertwin.dev/twins/stripe")'


def test_binary_files_are_skipped_by_content_not_extension(tmp_path):
    (tmp_path / "logo.js").write_bytes(b"\x89PNG\r\n\x1a\n" + b"http://localhost:4111")
    (tmp_path / "font.woff2").write_bytes(b"wOF2" + b"http://localhost:4111")
    (tmp_path / "data.bin").write_bytes(b"http://localhost:4111\x00\x00\x01")
    (tmp_path / "image.svg").write_text('<svg><a href="http://localhost:4111"/></svg>')  # text: scanned
    code, doc = cli_json([tmp_path])
    assert code == 1
    assert [f["path"].rsplit("/", 1)[1] for f in doc["findings"]] == ["image.svg"]
    reasons = {s["path"].rsplit("/", 1)[1]: s["reason"] for s in doc["skipped"]}
    assert reasons == {"logo.js": "binary: PNG image", "font.woff2": "binary: WOFF2 font",
                       "data.bin": "binary: binary data (NUL bytes)"}


def test_every_binary_magic_number_is_recognised_in_small_files(tmp_path):
    """Small files are read whole and pass a quick plain-text check first: none of the
    binary formats may slip through it, whatever follows the magic number."""
    from twinscan.reader import _MAGIC

    containers = (b"PK", b"7z", b"\xfd7zXZ", b"BZh")  # opened or refused, not skipped as binary
    expected = {}
    for i, (off, magic, what) in enumerate(_MAGIC):
        if magic.startswith(containers):
            continue
        name = f"f{i:02d}.js"
        (tmp_path / name).write_bytes(b"x" * off + magic + b';var u="http://localhost:4111";\n' * 3)
        expected[name] = f"binary: {what}"
    (tmp_path / "plain.js").write_bytes(b'var u="http://localhost:4111";\n')  # text: scanned
    code, doc = cli_json([tmp_path])
    assert code == 1
    assert [f["path"].rsplit("/", 1)[1] for f in doc["findings"]] == ["plain.js"]
    assert {s["path"].rsplit("/", 1)[1]: s["reason"] for s in doc["skipped"]} == expected


@pytest.mark.parametrize("name,pack", [
    ("app.js.gz", gzip.compress),
    ("app.js.br", brotli.compress),
    ("app.js.zst", lambda b: zstandard.ZstdCompressor().compress(b)),
    ("app-chunk", gzip.compress),  # gzip without an extension: found by magic bytes
])
def test_compressed_siblings_report_positions_in_the_decoded_text(tmp_path, name, pack):
    (tmp_path / name).write_bytes(pack(JS))
    code, doc = cli_json([tmp_path])
    assert code == 1
    got = [(f["path"].rsplit("/", 1)[1], f["line"], f["column"], f["url"]) for f in doc["findings"]]
    assert got == [(name, 1, 18, "http://localhost:4111"), (name, 2, 8, "https://api.wondertwin.dev/twins/stripe")]
    if name.startswith("app.js"):
        assert doc["findings"][0]["context"] == "template"  # parsed as JavaScript


def test_concatenated_gzip_members_are_read(tmp_path):
    (tmp_path / "a.js.gz").write_bytes(gzip.compress(b"x=1;\n") + gzip.compress(b'y="http://localhost:4111"'))
    _, doc = cli_json([tmp_path])
    assert [(f["line"], f["column"]) for f in doc["findings"]] == [(2, 4)]


@pytest.mark.slow
@pytest.mark.parametrize("name,pack", [
    ("bomb.js.gz", lambda b: gzip.compress(b, 9)),
    ("bomb.js.br", brotli.compress),
    ("bomb.js.zst", lambda b: zstandard.ZstdCompressor().compress(b)),
])
def test_decompression_bombs_stop_at_the_ratio_limit(tmp_path, name, pack):
    (tmp_path / name).write_bytes(pack(b"\n" * (64 << 20)))
    code, doc = cli_json([tmp_path])
    assert code == 3
    assert "a decompression bomb?" in doc["errors"][0]["message"]


@pytest.mark.slow
def test_decoded_size_limit_is_a_flag(tmp_path):
    (tmp_path / "big.js.gz").write_bytes(gzip.compress(os.urandom(3 << 20).hex().encode()))
    code, doc = cli_json(["--max-decoded-size", "2", tmp_path])
    assert code == 3 and "2 MiB limit (--max-decoded-size)" in doc["errors"][0]["message"]
    assert cli_json([tmp_path])[0] == 0


@pytest.mark.parametrize("data,what", [
    (b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03" + b"\xff" * 30, "corrupt"),
    (gzip.compress(JS)[:-12], "truncated"),
])
def test_corrupt_compressed_files_are_per_file_errors(tmp_path, data, what):
    (tmp_path / "x.js.gz").write_bytes(data)
    (tmp_path / "ok.js").write_bytes(JS)
    code, doc = cli_json([tmp_path])
    assert code == 1  # the rest of the scan goes on and finds the blocking URL
    assert what in doc["errors"][0]["message"] and doc["errors"][0]["path"].endswith("x.js.gz")


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_utf16_with_bom(tmp_path, encoding):
    text = "\ufeff# ünïcode\nVITE_STRIPE_BASE_URL=http://localhost:4111\n"
    (tmp_path / ".env.production").write_bytes(text.encode(encoding))
    code, doc = cli_json([tmp_path])
    f = doc["findings"][0]
    assert code == 1 and (f["line"], f["column"], f["key"]) == (2, 22, "VITE_STRIPE_BASE_URL")


def test_columns_count_characters_not_bytes(tmp_path):
    (tmp_path / "a.js").write_text('const s="żółć — 日本";const u="http://localhost:4111"', encoding="utf-8")
    _, doc = cli_json([tmp_path])
    assert doc["findings"][0]["column"] == 30  # 29 characters before it, 40 bytes


def test_invalid_utf8_does_not_stop_the_scan(tmp_path):
    (tmp_path / "a.js").write_bytes(b'x="\xff\xfe\xc3";y="http://localhost:4111"')
    code, doc = cli_json([tmp_path])
    assert code == 1 and doc["findings"][0]["column"] == 12  # each invalid byte counts as one U+FFFD


def test_snippet_is_cut_around_the_hit_on_minified_lines(tmp_path):
    (tmp_path / "a.js").write_bytes(b"a" * 5000 + b'"http://localhost:4111"' + b"b" * 5000)
    f = cli_json([tmp_path])[1]["findings"][0]
    assert f["snippet"] == "…" + "a" * 59 + '"http://localhost:4111"' + "b" * 59 + "…"  # 60 characters each side


HUGE = textwrap.dedent("""
    import json, os, sys
    path, engine = sys.argv[1], sys.argv[2]
    from twinscan.cli import main
    sys.argv = ["twinscan", "--format", "json", "--engine", engine, "--output", path + ".json", path]
    try:
        main()
    except SystemExit as e:
        code = e.code
    # VmHWM: this address space's peak RSS. ru_maxrss would start at the parent's peak.
    hwm = next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM:"))
    print(json.dumps({"code": code, "maxrss_kb": hwm}))
""")


@pytest.mark.slow
@pytest.mark.parametrize("engine", ["hyperscan", "re"])
def test_100mb_single_line_costs_flat_memory(tmp_path, engine):
    from twinscan.engine import hyperscan_available

    if engine == "hyperscan" and not hyperscan_available():
        pytest.skip("Hyperscan does not load on this platform")
    path = tmp_path / "huge.js"
    filler = b"function(a,b){return a+b};var x=[1,2,3].map(e=>e*2);" * 20000  # ~1 MB of minified-looking code
    with open(path, "wb") as f:
        f.write(b"!function(){")
        for i in range(100):
            f.write(filler)
            if i == 5:
                f.write(b'const d=`http://localhost:4111`;')  # past column 5,000,000
            if i == 98:
                f.write(b'fetch("https://api.wondertwin.dev/twins/stripe");')
        f.write(b"}();")
    size = path.stat().st_size
    assert size > 100_000_000
    p = subprocess.run([sys.executable, "-c", HUGE, str(path), engine], capture_output=True, text=True, timeout=300)
    out = json.loads(p.stdout)
    doc = json.loads((tmp_path / "huge.js.json").read_text())
    assert out["code"] == 1
    cols = [(f["line"], f["column"], f["context"]) for f in doc["findings"]]
    first = len(b"!function(){") + 6 * len(filler) + len(b"const d=`") + 1
    second = first - 1 - len(b"const d=`") + len(b"const d=`http://localhost:4111`;") + 93 * len(filler) + len(b'fetch("') + 1
    assert first > 5_000_000
    assert cols == [(1, first, "template"), (1, second, "string")]  # settled without a parse
    assert doc["summary"]["bytes"] == size
    assert out["maxrss_kb"] < 150 * 1024, f"peak RSS {out['maxrss_kb'] // 1024} MB on a {size >> 20} MB file"


@pytest.mark.slow
def test_a_1gb_file_costs_flat_memory(tmp_path):
    """Sixty-four 16 MiB windows: the peak stays that of one window."""
    from twinscan.engine import hyperscan_available

    path = tmp_path / "huge.txt"
    chunk = (b"lorem ipsum dolor sit amet, " * 37 + b"\n") * 1024  # ~1 MB of text
    with open(path, "wb") as f:
        for i in range(1024):
            f.write(chunk)
            if i in (0, 1023):
                f.write(b'BASE="http://localhost:4111"\n')
    engine = "hyperscan" if hyperscan_available() else "re"
    p = subprocess.run([sys.executable, "-c", HUGE, str(path), engine], capture_output=True, text=True, timeout=600)
    out = json.loads(p.stdout)
    doc = json.loads((tmp_path / "huge.txt.json").read_text())
    assert out["code"] == 1 and doc["summary"]["bytes"] == path.stat().st_size > 1_000_000_000
    assert [f["line"] for f in doc["findings"]] == [1025, 1025 + 1023 * 1024 + 1]
    assert out["maxrss_kb"] < 150 * 1024, f"peak RSS {out['maxrss_kb'] // 1024} MB on a 1 GB file"


def test_read_small_reads_whole_files_up_to_its_limit(tmp_path):
    from twinscan.reader import read_small

    for size in (1, 99, 100, 101, 5000):
        p = tmp_path / f"f{size}"
        p.write_bytes(bytes(range(256)) * (size // 256) + b"x" * (size % 256))
        assert read_small(str(p), 100) == (p.read_bytes() if size <= 100 else None)
    (tmp_path / "d").mkdir()
    with pytest.raises(OSError):
        read_small(str(tmp_path / "d"), 100)


def test_a_large_file_searched_ahead_in_threads_gives_the_one_thread_report(tmp_path, monkeypatch):
    """Windows of a file over 16 MiB are read and searched in threads (--jobs 2, one file): the
    findings, lines and columns are those of --jobs 1, hits across window edges included."""
    import twinscan.reader as reader

    from .conftest import ENGINES

    if "hyperscan" not in ENGINES:
        pytest.skip("Hyperscan is not installed here: a file is searched in threads only with Hyperscan, which releases the GIL")
    line = "function(a,b){return a+b};var x=[1,2,3].map(e=>e*2);var é='ü';\n".encode()  # columns count characters
    # two hits on one line: the second one's column is counted from the first (read-ahead checkpoints)
    hit = 'fetch("http://localhost:4111/v1");const s="ß";fetch("http://localhost:4112/v2");\n'.encode()
    path = tmp_path / "big.js"
    with open(path, "wb") as f:
        written = 0
        for edge in (reader.WINDOW, 2 * reader.WINDOW):
            for target in (edge - 40_000, edge - len(hit) // 2, edge + 200):  # before, across, after an edge
                n = max(0, target - written) // len(line)
                f.write(line * n)
                f.write(hit)
                written += n * len(line) + len(hit)
        f.write(line * 20_000)
    assert path.stat().st_size > 2 * reader.WINDOW
    calls = []
    real = reader._windows_ahead
    monkeypatch.setattr(reader, "_windows_ahead", lambda *a: calls.append(a[3]) or real(*a))
    _, one = cli_json(["--jobs", "1", "--engine", "hyperscan", path])
    assert calls == []
    _, two = cli_json(["--jobs", "2", "--engine", "hyperscan", path])
    assert calls == [2]
    for doc in (one, two):
        doc["summary"].pop("seconds")
    assert one == two and len(one["findings"]) == 12 and one["summary"]["bytes"] == path.stat().st_size
    assert {f["column"] for f in one["findings"]} == {8, 54}  # ß is one character, two bytes
