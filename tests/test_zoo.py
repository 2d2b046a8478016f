"""The twin zoo: every known twin form must block, every harmless look-alike must not.

The tables are data (tests/zoo/must_block.yaml, tests/zoo/must_pass.yaml; their headers say
what a row holds). Each row is one realistic file in an empty repository, scanned through the
CLI as a user runs it (`twinscan --format json .`) with every available engine, and the
engines must agree on the whole report. Later changes add rows; none may drop or weaken one.

Every blocking form is also scanned in a run that says it is staging, where it must be found and
reported without blocking: the production verdict is a judgement, not a lucky match.
"""
from __future__ import annotations

import copy
import gzip
from pathlib import Path

import pytest
import yaml

from .conftest import ENGINES, cli_json
from .helpers import CONFIG, asar_bytes, docker_save, oci_layout, tar_bytes, zip_bytes

ZOO = Path(__file__).parent / "zoo"
ROW_KEYS = {"id", "why", "file", "content", "rule", "url", "key", "compress", "encoding", "image", "member",
            "compress_member", "env", "config", "args", "files", "at", "reported"}


def _rows(name: str) -> list[dict]:
    rows = yaml.safe_load((ZOO / name).read_text())
    for row in rows:
        assert set(row) <= ROW_KEYS, (row["id"], set(row) - ROW_KEYS)
        assert row.get("why") and row.get("file"), row["id"]
    return rows


MUST_BLOCK = _rows("must_block.yaml")
MUST_PASS = _rows("must_pass.yaml")


def _compress(data: bytes, how: str | None) -> bytes:
    if how is None:
        return data
    if how == "gzip":
        return gzip.compress(data)
    if how == "br":
        import brotli

        return brotli.compress(data)
    if how == "zst":
        import zstandard

        return zstandard.ZstdCompressor().compress(data)
    if how in ("xz", "bz2"):
        import bz2
        import lzma

        return (lzma if how == "xz" else bz2).compress(data)
    if how == "gzip-gzip":
        return gzip.compress(gzip.compress(data))
    raise AssertionError(f"unknown compression {how!r}")


def _image(row: dict, data: bytes) -> bytes:
    """A tarball holding the row's content as `member`, its `env` in the image config."""
    data = _compress(data, row.get("compress_member"))
    files = {row["member"]: data} if "member" in row else {"usr/share/nginx/html/index.html": b"<html></html>"}
    if row["image"] == "tar":
        return tar_bytes(list(files.items()))
    if row["image"] in ("zip", "asar"):
        return (zip_bytes if row["image"] == "zip" else asar_bytes)(files)
    config = copy.deepcopy(CONFIG)
    config["config"]["Env"] = ["PATH=/usr/local/sbin:/usr/local/bin:/usr/bin:/bin", *row.get("env", [])]
    config["history"] = []
    build = {"docker-save": docker_save, "oci": oci_layout}[row["image"]]
    return build(files, config)[0]


def _write(root: Path, row: dict) -> None:
    (root / ".git").mkdir()  # a repository root: config discovery stops here
    if "config" in row:
        (root / "twinscan.yaml").write_text(row["config"])
    for name, text in (row.get("files") or {}).items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    text = row.get("content", "")
    data = text.encode("utf-16") if row.get("encoding") == "utf-16" else text.encode()
    if "image" in row:
        data = _image(row, data)
    path = root / row["file"]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(_compress(data, row.get("compress")))


def _scan(root: Path, row: dict) -> tuple[int, dict]:
    """Scan with every engine; they must give the same exit code and the same report."""
    runs = {}
    for engine in ENGINES:
        code, doc = cli_json(["--engine", engine, *row.get("args", []), "."], cwd=root)
        doc["summary"].pop("seconds")
        doc["tool"].pop("engine")
        runs[engine] = (code, doc)
    first = runs[ENGINES[0]]
    for engine, got in runs.items():
        assert got == first, f"engine {engine} disagrees with {ENGINES[0]}"
    return first


def _brief(doc: dict) -> list[tuple]:
    return [(f["rule"], f["url"], f["key"], f["blocking"], f["path"]) for f in doc["findings"]]


@pytest.mark.usefixtures("reuse_hyperscan_databases")
@pytest.mark.parametrize("row", MUST_BLOCK, ids=[r["id"] for r in MUST_BLOCK])
def test_twin_forms_block(tmp_path, row):
    _write(tmp_path, row)
    code, doc = _scan(tmp_path, row)
    assert doc["errors"] == [], doc["errors"]
    blocking = [f for f in doc["findings"] if f["blocking"] and f["rule"] == row["rule"] and f["url"] == row["url"]
                and f["path"].startswith(row.get("at", row["file"]))]
    assert blocking, f"{row['id']}: expected {row['rule']} {row['url']} to block; got {_brief(doc)}"
    if "key" in row:
        assert row["key"] in {f["key"] for f in blocking}, _brief(doc)
    assert code == 1


@pytest.mark.usefixtures("reuse_hyperscan_databases")
@pytest.mark.parametrize("row", MUST_PASS, ids=[r["id"] for r in MUST_PASS])
def test_look_alikes_do_not_block(tmp_path, row):
    _write(tmp_path, row)
    code, doc = _scan(tmp_path, row)
    assert doc["errors"] == [], doc["errors"]
    assert [f for f in doc["findings"] if f["blocking"]] == [], _brief(doc)
    assert code == 0
    if row.get("reported"):  # seen and judged, not missed: reported with the reason it does not block
        assert (row["rule"], row["url"]) in {(f["rule"], f["url"]) for f in doc["findings"]}, _brief(doc)


def test_the_zoo_is_complete_and_unambiguous():
    """Ids are unique across both tables, and the block table covers every built-in rule."""
    from twinscan.rulepack import load_builtin_rules

    ids = [r["id"] for r in MUST_BLOCK + MUST_PASS]
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)
    assert {r.id for r in load_builtin_rules()} <= {r["rule"] for r in MUST_BLOCK}
    assert all("rule" in r and "url" in r for r in MUST_BLOCK)
    assert all(("rule" in r and "url" in r) == bool(r.get("reported")) for r in MUST_PASS)


@pytest.mark.usefixtures("reuse_hyperscan_databases")
@pytest.mark.parametrize("row", MUST_BLOCK, ids=[r["id"] for r in MUST_BLOCK])
def test_twin_forms_are_reported_in_a_staging_run(tmp_path, row):
    """The same file in a run that says it is staging: found and reported, not blocking."""
    _write(tmp_path, row)
    code, doc = _scan(tmp_path, dict(row, args=[*row.get("args", []), "--environment", "staging"]))
    assert doc["errors"] == [], doc["errors"]
    assert [f for f in doc["findings"] if f["blocking"]] == [], _brief(doc)
    assert code == 0
    if row["rule"] != "service-host-url":  # it judges vendor settings in production only (README)
        assert (row["rule"], row["url"]) in {(f["rule"], f["url"]) for f in doc["findings"]}, _brief(doc)
