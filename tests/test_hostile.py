"""Hostile and broken input: never a network connection, odd encodings, NUL bytes."""
from __future__ import annotations

import socket

import pytest

from .conftest import ROOT, cli_json
from .helpers import docker_save


def test_a_scan_makes_no_network_connection(tmp_path, monkeypatch):
    """Every kind, archives included, with sockets that fail loudly if anything tries."""
    def refuse(*a, **k):
        raise AssertionError("twinscan tried to open a network connection")

    monkeypatch.setattr(socket, "socket", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    (tmp_path / "web.tar").write_bytes(docker_save()[0])
    (tmp_path / ".env").write_text("POSTHOG_HOST=localhost:4111\nSTRIPE_API_BASE=https://stripe.example.net\n")
    code, doc = cli_json([tmp_path, ROOT / "fixtures" / "builds", ROOT / "fixtures" / "libraries"])
    assert code == 1 and doc["findings"] and not [e for e in doc["errors"] if "network" in e["message"]]


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_utf16_without_a_bom_is_read_as_utf16(tmp_path, encoding):
    (tmp_path / ".env.production").write_bytes("A=1\nVITE_STRIPE_BASE_URL=http://localhost:4111\n".encode(encoding))
    code, doc = cli_json([tmp_path])
    f = doc["findings"][0]
    assert code == 1 and (f["line"], f["column"], f["key"]) == (2, 22, "VITE_STRIPE_BASE_URL")
    assert any("no byte-order mark" in s["reason"] for s in doc["skipped"])


def test_nul_bytes_in_a_text_file_do_not_hide_it(tmp_path):
    (tmp_path / "app.js").write_bytes(b'var a="\x00";const d=`http://localhost:4111`;')
    (tmp_path / "blob").write_bytes(b'\x00\x00\x01 http://localhost:4111')  # no text name: binary
    code, doc = cli_json([tmp_path])
    assert code == 1 and [f["path"].rsplit("/", 1)[1] for f in doc["findings"]] == ["app.js"]
    reasons = {s["path"].rsplit("/", 1)[1]: s["reason"] for s in doc["skipped"]}
    assert reasons["app.js"] == "NUL bytes in a text file: scanned anyway"
    assert reasons["blob"] == "binary: binary data (NUL bytes)"


def test_a_file_truncated_mid_scan_is_a_clear_error_not_a_crash(tmp_path, monkeypatch):
    """With mmap this was SIGBUS; windows are read, so a short read is reported."""
    from twinscan import reader
    from twinscan.reader import Limits, Opened, ReadError

    monkeypatch.setattr(reader, "WINDOW", 1 << 16)
    monkeypatch.setattr(reader, "SMALL", 0)  # small files are read whole: a consistent snapshot
    p = tmp_path / "app.js"
    p.write_bytes((b"x" * 1000 + b"\n") * 500)
    windows = Opened(str(p), Limits()).windows()
    next(windows)
    import os

    os.truncate(p, 1000)
    with pytest.raises(ReadError, match="changed during the scan"):
        for _ in windows:
            pass


def test_a_file_rewritten_mid_scan_is_reported(tmp_path, monkeypatch):
    from twinscan import reader
    from twinscan.reader import Limits, Opened, ReadError

    monkeypatch.setattr(reader, "WINDOW", 1 << 16)
    monkeypatch.setattr(reader, "SMALL", 0)  # small files are read whole: a consistent snapshot
    p = tmp_path / "app.js"
    p.write_bytes((b"y" * 1000 + b"\n") * 200)
    windows = Opened(str(p), Limits()).windows()
    next(windows)
    with open(p, "ab") as f:
        f.write(b"appended")
    with pytest.raises(ReadError, match="changed during the scan"):
        for _ in windows:
            pass


@pytest.mark.slow
def test_a_tarball_of_decompression_bombs_is_bounded(tmp_path):
    import gzip
    import io
    import tarfile

    bomb = gzip.compress(b"\n" * (64 << 20), 9)
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tf:
        for i in range(3):
            ti = tarfile.TarInfo(f"site/assets/app{i}.js.gz")
            ti.size = len(bomb)
            tf.addfile(ti, io.BytesIO(bomb))
    (tmp_path / "site.tar").write_bytes(buf.getvalue())
    code, doc = cli_json([tmp_path])
    assert code == 3
    assert len([e for e in doc["errors"] if "decompression bomb" in e["message"]]) == 3


def test_json_nested_ten_thousand_levels_is_a_clear_error(tmp_path):
    deep = "[" * 10_000 + "]" * 10_000
    (tmp_path / "inspect.json").write_text(
        '[{"Config": {"Env": ["A=http://localhost:4111"]}, "Deep": ' + deep + "}]")
    code, doc = cli_json([tmp_path])
    assert code == 1  # the byte pass still blocks
    assert "nested too deeply" in doc["errors"][0]["message"] or "JSON" in doc["errors"][0]["message"]


def test_device_files_are_never_opened(tmp_path):
    import os
    import stat

    os.mknod(tmp_path / "null.js", stat.S_IFCHR | 0o600, os.makedev(1, 3))  # /dev/null
    os.mknod(tmp_path / "zero.js", stat.S_IFCHR | 0o600, os.makedev(1, 5))  # /dev/zero: endless if read
    (tmp_path / "app.js").write_text("ok")  # a folder of device files alone has nothing to read (exit 3)
    code, doc = cli_json([tmp_path])
    assert code == 0
    assert sorted(s["reason"] for s in doc["skipped"]) == ["not a regular file (FIFO, socket or device): not opened"] * 2


@pytest.mark.slow
def test_a_file_that_takes_too_long_is_reported_not_scanned_forever(tmp_path, monkeypatch):
    """--file-timeout bounds the wall-clock time of one file; what was found stays reported,
    and the file counts as not fully scanned (exit 3 without a blocking finding)."""
    import twinscan.reader as reader

    monkeypatch.setattr(reader, "WINDOW", 1 << 16)
    (tmp_path / "app.js").write_bytes(b"var a=1;\n" * 200_000 + b'u="http://localhost:3000";')
    code, doc = cli_json(["--file-timeout", "0.000001", tmp_path / "app.js"])
    assert code == 3 and doc["findings"] == []
    assert "stopped after 1e-06 s (--file-timeout) while reading (at byte 65536)" in doc["errors"][0]["message"]
    assert doc["errors"][0]["production"]
    code, doc = cli_json(["--file-timeout", "30", tmp_path / "app.js"])
    assert code == 1 and doc["errors"] == []
    from .conftest import cli

    assert cli(["--file-timeout", "0", tmp_path]).exit_code == 2
