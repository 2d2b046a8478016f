"""Symbolic links: a link that stays inside the tree named is part of the artifact and is scanned;
one that leaves it (`dist/x -> /proc/self/environ`) is never read and is reported as not scanned,
which makes a production scan incomplete; loops are detected. `--follow-symlinks` also reads
links that leave the tree."""
from __future__ import annotations

import os

from .conftest import cli, cli_json

TWIN = 'const api = "http://localhost:4111/stripe";\n'
CLEAN = 'const api = "https://api.stripe.com";\n'


def paths(doc, key="findings"):
    return sorted(f["path"] for f in doc[key])


def build(tmp_path, app=CLEAN):
    dist = tmp_path / "dist"
    (dist / "assets" / "v2").mkdir(parents=True)
    (dist / "assets" / "v2" / "app.js").write_text(app)
    (dist / "index.html").write_text("<script src=assets/latest/app.js></script>")
    return dist


def test_a_link_to_a_file_inside_the_tree_is_scanned(tmp_path):
    dist = build(tmp_path, app=CLEAN)
    (dist / "assets" / "chunk.js").write_text(TWIN)
    os.symlink("chunk.js", dist / "assets" / "chunk-latest.js")
    code, doc = cli_json(["dist"], cwd=tmp_path)
    assert code == 1
    assert paths(doc) == ["dist/assets/chunk-latest.js", "dist/assets/chunk.js"]
    assert doc["errors"] == []


def test_a_link_to_a_directory_inside_the_tree_is_walked(tmp_path):
    dist = build(tmp_path, app=TWIN)
    os.symlink("v2", dist / "assets" / "latest")
    code, doc = cli_json(["--exclude", "v2/", "dist"], cwd=tmp_path)  # only reachable through the link
    assert code == 1 and paths(doc) == ["dist/assets/latest/app.js"]


def test_an_absolute_link_that_resolves_inside_the_tree_is_inside(tmp_path):
    dist = build(tmp_path, app=TWIN)
    os.symlink(dist / "assets" / "v2" / "app.js", dist / "app.js")
    code, doc = cli_json(["dist"], cwd=tmp_path)
    assert code == 1 and "dist/app.js" in paths(doc) and doc["errors"] == []


def test_a_link_leaving_the_tree_is_never_read_and_makes_the_scan_incomplete(tmp_path):
    dist = build(tmp_path)
    (tmp_path / "secrets").mkdir()
    (tmp_path / "secrets" / "prod.env").write_text("API=http://localhost:4111\n")
    os.symlink("/proc/self/environ", dist / "env.js")
    os.symlink("../secrets", dist / "config")
    os.symlink("../secrets/prod.env", dist / "prod.env")
    code, doc = cli_json(["dist"], cwd=tmp_path)
    assert code == 3  # never read: not a finding from the file outside, and not a clean pass
    assert doc["findings"] == []
    errors = {e["path"]: e for e in doc["errors"]}
    assert sorted(errors) == ["dist/config", "dist/env.js", "dist/prod.env"]
    assert all(e["production"] for e in errors.values())
    assert errors["dist/env.js"]["message"].startswith("symbolic link to /proc/self/environ, outside the scanned tree: not read")
    r = cli(["dist"], cwd=tmp_path)
    assert "dist/env.js: symbolic link to /proc/self/environ, outside the scanned tree" in r.stdout


def test_a_link_leaving_the_tree_outside_production_is_a_warning(tmp_path):
    dist = build(tmp_path)
    os.symlink("/etc/hostname", dist / "host.txt")
    code, doc = cli_json(["--environment", "staging", "dist"], cwd=tmp_path)
    assert code == 0
    assert [(e["path"], e["production"]) for e in doc["errors"]] == [("dist/host.txt", False)]


def test_the_tree_is_the_path_named(tmp_path):
    """Scanning `dist/assets` makes `dist/index.html` outside: a link there is not part of what was named."""
    dist = build(tmp_path)
    (dist / "twin.js").write_text(TWIN)
    os.symlink("../twin.js", dist / "assets" / "twin.js")
    code, doc = cli_json(["dist/assets"], cwd=tmp_path)
    assert code == 3 and [e["path"] for e in doc["errors"]] == ["dist/assets/twin.js"]
    code, doc = cli_json(["dist"], cwd=tmp_path)
    assert code == 1 and paths(doc) == ["dist/assets/twin.js", "dist/twin.js"]


def test_follow_symlinks_also_reads_links_that_leave_the_tree(tmp_path):
    dist = build(tmp_path)
    (tmp_path / "shared").mkdir()
    (tmp_path / "shared" / "client.js").write_text(TWIN)
    os.symlink("../shared", dist / "shared")
    code, doc = cli_json(["--follow-symlinks", "dist"], cwd=tmp_path)
    assert code == 1 and paths(doc) == ["dist/shared/client.js"] and doc["errors"] == []
    (tmp_path / "twinscan.yaml").write_text("follow_symlinks: true\n")
    code, doc = cli_json(["dist"], cwd=tmp_path)
    assert code == 1 and paths(doc) == ["dist/shared/client.js"]


def test_loops_are_detected(tmp_path):
    dist = build(tmp_path, app=TWIN)
    os.symlink("..", dist / "assets" / "up")  # dist/assets/up -> dist
    os.symlink(".", dist / "self")
    os.symlink("b", dist / "a")
    os.symlink("a", dist / "b")  # a -> b -> a: never resolves
    code, doc = cli_json(["dist"], cwd=tmp_path)
    assert code == 1 and paths(doc) == ["dist/assets/v2/app.js"]
    reasons = {s["path"]: s["reason"] for s in doc["skipped"]}
    assert "loop" in reasons["dist/assets/up"] and "loop" in reasons["dist/self"]
    assert {"dist/a", "dist/b"} <= set(reasons) | {e["path"] for e in doc["errors"]}


def test_a_dangling_link_is_skipped(tmp_path):
    dist = build(tmp_path)
    os.symlink("gone.js", dist / "old.js")
    code, doc = cli_json(["dist"], cwd=tmp_path)
    assert code == 0
    assert {s["path"]: s["reason"] for s in doc["skipped"]}["dist/old.js"] == "dangling symbolic link"


def test_a_named_link_is_followed(tmp_path):
    build(tmp_path, app=TWIN)
    os.symlink("dist", tmp_path / "current")
    code, doc = cli_json(["current"], cwd=tmp_path)
    assert code == 1 and paths(doc) == ["current/assets/v2/app.js"]
