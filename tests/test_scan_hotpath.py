"""The per-byte steps after the byte pass give what they gave before they were made cheaper:
the comment walk (extract/javascript.CommentTracker) and the search for base64 data: URIs,
which now takes the `;base64,` offsets from the byte pass (engine DATA_URI) instead of
searching each window again."""
from __future__ import annotations

import base64
import random

import pytest

from twinscan import reader
from twinscan.extract import javascript
from twinscan.extract.javascript import CommentTracker, _in_literal

from .conftest import cli_json, scan_bytes


class _Before(CommentTracker):
    """The walk as it was: the last non-literal `/*` of the stretch, then a `*/` after it."""

    def _walk(self, src, base, a, b):
        lo, hi = max(a - 1 - base, 0), b - base
        opener = src.rfind(b"/*", lo, hi)
        while opener >= 0 and _in_literal(src, opener):
            opener = src.rfind(b"/*", lo, opener)
        if opener >= 0:
            self.block_from = base + opener + 2
        if self.block_from >= 0 and src.rfind(b"*/", max(self.block_from - base, lo), hi) >= 0:
            self.block_from = -1
        self._walk_line(src, base, lo, hi)  # the `//` walk did not change
        self.upto = b


def test_the_comment_walk_agrees_with_the_walk_it_replaced():
    rng = random.Random(14)
    alphabet = b"/*\"'`\n:\\x "
    checked = 0
    for _ in range(40_000):
        data = bytes(rng.choice(alphabet) for _ in range(rng.randint(1, 40)))
        stops = sorted(rng.sample(range(len(data) + 1), rng.randint(1, min(6, len(data) + 1))))
        old, new = _Before(), CommentTracker()
        for pos in stops:
            # a later window holds the bytes from `base` on (one that starts past what was walked: broken)
            base = rng.choice([0, rng.randint(0, min(old.upto, pos)), rng.randint(0, pos)])
            assert old.free_at(data[base:], base, pos) == new.free_at(data[base:], base, pos), (data, stops, base)
            assert (old.block_from, old.line_comment_at, old.broken) == (new.block_from, new.line_comment_at, new.broken)
            checked += 1
    assert checked > 40_000


@pytest.mark.parametrize("text, free", [
    (b'a=1;/*/ "', False),  # `/*/` opens a comment
    (b'a=1;/* x */ "', True),
    (b'a=1;/* x */ b=2;/* y "', False),
    (b'a=1;/* x */*/ "', True),
    (b'a="/*";b="*/*"; "', True),  # openers in literals
    (b'/* x */ a="/*"; "', True),
])
def test_block_comments_before_a_quote(text, free):
    assert javascript.provably_not_in_comment(text, len(text), True) is free


PAYLOAD = base64.b64encode(b'fetch("http://localhost:4111/x");').decode()


def _bundle(shift: int, mark: str = ";base64,") -> bytes:
    return (b"var a=1;\n" + b"x" * shift + f'\nvar s="data:text/javascript{mark}{PAYLOAD}";\n'.encode()
            + b"y" * 300 + b'\nvar u="http://localhost:4112";\n')


@pytest.mark.parametrize("window", [64, 97])
def test_data_uris_are_decoded_wherever_the_windows_cut_them(tmp_path, monkeypatch, engine, window):
    from twinscan.classify import Classifier
    from twinscan.rulepack import build_ruleset
    from twinscan.scan import FileScanner, Settings
    from twinscan.walk import Item

    whole = scan_bytes(_bundle(0), "dist/app.js", engine).findings
    decoded = [(f.url, f.encoding, f.line, f.column) for f in whole if f.encoding == "base64"]
    assert decoded == [("http://localhost:4111/x", "base64", 3, 44)]
    monkeypatch.setattr(reader, "WINDOW", window)
    monkeypatch.setattr(reader, "OVERLAP", 200)
    monkeypatch.setattr(reader, "SMALL", 0)  # force the windowed path
    s = Settings(rules=build_ruleset(), classifier=Classifier(), engine=engine)
    for shift in range(0, 2 * window, 7):
        p = tmp_path / f"app{shift}.js"
        p.write_bytes(_bundle(shift))
        fs = FileScanner(s).scan(Item(str(p), str(p), p.stat().st_size)).findings
        got = [(f.url, f.line, f.column) for f in fs if f.encoding == "base64"]
        assert got == [("http://localhost:4111/x", 3, 44)], shift
        assert any(f.url == "http://localhost:4112" for f in fs)
        # the byte pass matches without regard to case; data: URIs are decoded only as `;base64,`
        p.write_bytes(_bundle(shift, ";BASE64,"))
        fs = FileScanner(s).scan(Item(str(p), str(p), p.stat().st_size)).findings
        assert [f for f in fs if f.encoding == "base64"] == [], shift


def test_a_file_read_in_one_window_is_not_read_again_for_its_text(tmp_path, monkeypatch, engine):
    from twinscan.classify import Classifier
    from twinscan.rulepack import build_ruleset
    from twinscan.scan import FileScanner, Settings, filescan
    from twinscan.walk import Item

    monkeypatch.setattr(reader, "SMALL", 1024)  # read through the window buffer, not in one go
    monkeypatch.setattr(filescan, "SMALL_FILE", 1024)
    p = tmp_path / "app.js"
    p.write_bytes(b"var a=1;\n" * 400 + b'/* see "http://localhost:4111" */\nvar b="http://localhost:4112";\n')
    opens = []
    real = reader.open_readonly
    monkeypatch.setattr(reader, "open_readonly", lambda *a, **k: opens.append(a) or real(*a, **k))
    s = Settings(rules=build_ruleset(), classifier=Classifier(), engine=engine)
    fs = FileScanner(s).scan(Item(str(p), str(p), p.stat().st_size)).findings
    assert [(f.url, f.context, f.line) for f in fs] == [
        ("http://localhost:4111", "comment", 401), ("http://localhost:4112", "string", 402)]
    assert len(opens) == 2  # the sniff and the window; the parser's text came from the window buffer


def test_a_text_asked_for_after_another_file_used_the_buffer_is_read_again(tmp_path, monkeypatch):
    monkeypatch.setattr(reader, "SMALL", 16)
    a, b = tmp_path / "a.js", tmp_path / "b.js"
    a.write_bytes(b"a" * 100)
    b.write_bytes(b"b" * 100)
    first = reader.Opened(str(a), reader.Limits())
    assert [w.hi for w in first.windows()] == [100]
    assert first.text() == b"a" * 100  # from the buffer
    second = reader.Opened(str(b), reader.Limits())
    assert [w.hi for w in second.windows()] == [100]
    assert first.text() == b"a" * 100  # the buffer now holds b.js: read from the file
    assert second.text() == b"b" * 100


def test_a_small_file_whose_only_candidate_is_a_data_uri_is_decoded(engine):
    page = f'<script src="data:text/javascript;base64,{PAYLOAD}"></script>\n'.encode()
    fs = scan_bytes(page, "dist/index.html", engine).findings
    assert [(f.url, f.encoding, f.line) for f in fs] == [("http://localhost:4111/x", "base64", 1)]
    css = b'a{background:url(data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAAB)}\n'
    assert scan_bytes(css, "dist/app.css", engine).findings == []


def _many_data_uris() -> bytes:
    css = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAAB"
    parts = ["var a=1;\n"]
    for i in range(12):
        mark = ";BASE64," if i % 4 == 1 else ";base64,"  # the byte pass is caseless; decoding is not
        kind = "image/png" if i % 3 == 0 else "text/javascript"
        body = css if kind == "image/png" else base64.b64encode(f'fetch("http://localhost:41{i:02d}/x");'.encode()).decode()
        parts.append(f'var s{i}="data:{kind}{mark}{body}";' + "z;" * (i * 50) + "\n")
    parts.append('var u="http://localhost:4199";\n')
    return "".join(parts).encode()


def test_data_uris_are_found_from_the_byte_pass_as_a_search_finds_them(tmp_path, monkeypatch, engine):
    """scan_data_uris takes the `;base64,` offsets the byte pass kept instead of searching the
    file again: the same findings at the same places as the search, in one window or many."""
    from twinscan.scan import filescan, nested

    (tmp_path / "dist").mkdir()
    (tmp_path / "dist" / "app.js").write_bytes(_many_data_uris())
    used = []
    real = nested._exact
    monkeypatch.setattr(nested, "_exact", lambda src, offsets: used.append(len(offsets)) or real(src, offsets))
    code, kept = cli_json(["--engine", engine, "--jobs", "1", str(tmp_path / "dist")])
    assert used and used[-1] == 12  # every mark of the file, kept from the byte pass
    monkeypatch.setattr(filescan, "MAX_MARKS", 0)  # past the bound: searched for again
    code2, searched = cli_json(["--engine", engine, "--jobs", "1", str(tmp_path / "dist")])
    for doc in (kept, searched):
        doc["summary"].pop("seconds")
    assert (code, kept) == (code2, searched)
    decoded = sorted(f["url"] for f in kept["findings"] if f["encoding"] == "base64")
    assert decoded == sorted(f"http://localhost:41{i:02d}/x" for i in range(12) if i % 3 and i % 4 != 1)


def test_a_bundle_without_a_source_map_is_not_copied_out_for_one(tmp_path, monkeypatch, engine):
    """The `sourceMappingURL` comment is in a bundle's last bytes, which its last window holds: a
    bundle read through the window buffer and named by no map has its text asked for by no one.
    With a map next to it, the hit's origin is read from the map as before."""
    from twinscan.scan import filescan

    monkeypatch.setattr(reader, "SMALL", 1024)  # read through the window buffer
    monkeypatch.setattr(filescan, "SMALL_FILE", 1024)
    (tmp_path / "dist").mkdir()
    p = tmp_path / "dist" / "app.js"
    body = b"var a=1;\n" * 400 + b'var b="http://localhost:4112";\n'
    p.write_bytes(body)
    asked = []
    real = reader.Opened.text
    monkeypatch.setattr(reader.Opened, "text", lambda self, limit=None: asked.append(limit) or real(self, limit))
    code, doc = cli_json(["--engine", engine, "--jobs", "1", str(tmp_path / "dist")])
    assert code == 1 and [f["url"] for f in doc["findings"]] == ["http://localhost:4112"] and asked == []
    smap = {"version": 3, "sources": ["../src/api.ts"], "names": [], "mappings": ";" * 400 + "OAAA"}  # line 401, column 8: the URL
    (tmp_path / "dist" / "app.js.map").write_text(__import__("json").dumps(smap))
    p.write_bytes(body + b"//# sourceMappingURL=app.js.map\n")
    code, doc = cli_json(["--engine", engine, "--jobs", "1", str(tmp_path / "dist")])
    assert doc["findings"][0]["origin"]["path"].endswith("src/api.ts") and asked


def test_data_uris_are_decoded_in_the_window_buffer_and_never_past_the_files_end(tmp_path, monkeypatch, engine):
    """A bundle held whole in the window buffer has its data: URIs decoded there, not from a copy
    of its text; the buffer still holds the bytes of a larger file scanned before it past its
    end, and a data: URI there (the second one of big.js) is not this file's."""
    from twinscan.scan import filescan

    monkeypatch.setattr(reader, "SMALL", 1024)  # read through the window buffer
    monkeypatch.setattr(filescan, "SMALL_FILE", 1024)
    (tmp_path / "dist").mkdir()
    uri = f'var s="data:text/javascript;base64,{PAYLOAD}";\n'.encode()
    other = base64.b64encode(b'fetch("http://localhost:4188/stale");').decode()
    small = b"var a=1;\n" * 300 + uri + b"var b=2;\n"
    big = b"var a=1;\n" * 300 + uri + b"var b=2;\n" + f'var t="data:text/javascript;base64,{other}";\n'.encode() * 3
    assert big.startswith(small) and len(big) > len(small) > 1024
    (tmp_path / "dist" / "a-big.js").write_bytes(big)
    (tmp_path / "dist" / "b-small.js").write_bytes(small)
    copies = []
    real = reader.Opened.text
    monkeypatch.setattr(reader.Opened, "text", lambda self, limit=None: copies.append(self.fs_path) or real(self, limit))
    code, doc = cli_json(["--engine", engine, "--jobs", "1", str(tmp_path / "dist")])
    got = sorted((f["path"].rsplit("/", 1)[1], f["url"], f["line"], f["column"]) for f in doc["findings"])
    assert got == [("a-big.js", "http://localhost:4111/x", 301, 44)] + [
        ("a-big.js", "http://localhost:4188/stale", 303 + i, 44) for i in range(3)] + [
        ("b-small.js", "http://localhost:4111/x", 301, 44)]
    assert [p for p in copies if "#data:" not in p] == []  # neither file's text was copied out of the buffer
    monkeypatch.setattr(filescan, "MAX_MARKS", 0)  # the marks searched for in the buffer again: as far as b-small.js's end
    code2, doc2 = cli_json(["--engine", engine, "--jobs", "1", str(tmp_path / "dist")])
    assert code2 == code and sorted((f["path"].rsplit("/", 1)[1], f["url"], f["line"], f["column"]) for f in doc2["findings"]) == got


def test_data_uris_still_decode_when_a_nested_scan_reuses_the_window_buffer(tmp_path, monkeypatch, engine):
    """No nested scan reads a file in windows today; should one, the buffer no longer holds the
    bundle, and the rest of its data: URIs (and the positions of what they hold) come from its text."""
    from twinscan.scan import filescan

    monkeypatch.setattr(reader, "SMALL", 1024)  # read through the window buffer
    monkeypatch.setattr(filescan, "SMALL_FILE", 1024)
    (tmp_path / "dist").mkdir()
    (tmp_path / "dist" / "app.js").write_bytes(_many_data_uris())
    _, before = cli_json(["--engine", engine, "--jobs", "1", str(tmp_path / "dist")])
    real = filescan.FileScanner.scan_item

    def scribbling(self, item, *a, **k):
        r = real(self, item, *a, **k)
        if "#data:" in item.display:  # lend the buffer again and overwrite what it held
            buf = reader._window_buffer(1)
            buf[:] = b"\0" * len(buf)
        return r

    monkeypatch.setattr(filescan.FileScanner, "scan_item", scribbling)
    _, after = cli_json(["--engine", engine, "--jobs", "1", str(tmp_path / "dist")])
    for doc in (before, after):
        doc["summary"].pop("seconds")
    assert after == before and sum(f["encoding"] == "base64" for f in after["findings"]) == 6
