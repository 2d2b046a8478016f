"""Walking: regular files only, links never looped, excludes, ignore files, unreadable files."""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys

import pytest

from .conftest import ROOT, cli_json

URL = 'x="http://localhost:4111"'


def names(doc, key="findings"):
    return sorted(f["path"] for f in doc[key])


def test_symlink_loops_are_never_followed_twice(tmp_path):
    d = tmp_path / "dist"
    (d / "a").mkdir(parents=True)
    (d / "a" / "x.js").write_text(URL)
    os.symlink("..", d / "a" / "up")  # dist/a/up -> dist
    os.symlink(d, d / "self")
    for args in (["dist"], ["--follow-symlinks", "dist"]):
        code, doc = cli_json(args, cwd=tmp_path)
        assert code == 1
        assert names(doc) == ["dist/a/x.js"]
        loops = [s for s in doc["skipped"] if "loop" in s["reason"]]
        assert {s["path"] for s in loops} == {"dist/a/up", "dist/self"}


def test_symlinks_leaving_the_tree_are_reported_not_followed_by_default(tmp_path):
    (tmp_path / "dist").mkdir()
    (tmp_path / "real.js").write_text(URL)
    os.symlink(tmp_path / "real.js", tmp_path / "dist" / "link.js")
    os.symlink(tmp_path / "nowhere", tmp_path / "dist" / "dangling.js")
    code, doc = cli_json(["dist"], cwd=tmp_path)
    assert code == 3
    assert "outside the scanned tree: not read" in {e["path"]: e["message"] for e in doc["errors"]}["dist/link.js"]
    code, doc = cli_json(["--follow-symlinks", "dist"], cwd=tmp_path)
    assert code == 1 and names(doc) == ["dist/link.js"]
    assert {s["path"]: s["reason"] for s in doc["skipped"]}["dist/dangling.js"] == "dangling symbolic link"


def test_fifos_and_sockets_are_never_opened(tmp_path):
    (tmp_path / "dist").mkdir()
    (tmp_path / "dist" / "app.js").write_text("ok")  # a folder of only these would be empty (exit 3)
    os.mkfifo(tmp_path / "dist" / "pipe.js")  # opening this for reading would block forever
    s = socket.socket(socket.AF_UNIX)
    s.bind(str(tmp_path / "dist" / "sock"))
    try:
        code, doc = cli_json(["dist"], cwd=tmp_path)
        code2, _ = cli_json(["dist/pipe.js"], cwd=tmp_path)  # named explicitly: still not opened
    finally:
        s.close()
    assert (code, code2) == (0, 0)
    assert sorted(x["path"] for x in doc["skipped"]) == ["dist/pipe.js", "dist/sock"]


def test_excludes_and_twinscanignore_use_gitignore_syntax(tmp_path):
    (tmp_path / ".git").mkdir()
    for p in ("dist/a.js", "dist/vendor/b.js", "dist/c.js.map", "build/d.js"):
        (tmp_path / p).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / p).write_text(URL)
    (tmp_path / ".twinscanignore").write_text("# generated test reports\nbuild/\n")
    _, doc = cli_json(["--exclude", "*.map", "--exclude", "vendor/", "."], cwd=tmp_path)
    assert names(doc) == ["dist/a.js"]


def test_gitignore_is_not_applied_unless_asked(tmp_path):
    (tmp_path / ".git").mkdir()
    (tmp_path / ".gitignore").write_text("dist/\n.env.production\n")
    (tmp_path / "dist").mkdir()
    (tmp_path / "dist" / "a.js").write_text(URL)
    (tmp_path / ".env.production").write_text("A=http://localhost:4111\n")
    _, doc = cli_json(["."], cwd=tmp_path)
    assert names(doc) == [".env.production", "dist/a.js"]
    _, doc = cli_json(["--respect-gitignore", "."], cwd=tmp_path)
    assert names(doc) == []


def test_dependency_and_cache_directories_are_skipped_by_default(tmp_path):
    for p in ("node_modules/lib/index.js", ".git/hooks/x.js", ".next/cache/webpack/x.js", ".next/static/chunks/a.js"):
        (tmp_path / p).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / p).write_text(URL)
    _, doc = cli_json(["."], cwd=tmp_path)
    assert names(doc) == [".next/static/chunks/a.js"]
    _, doc = cli_json(["--no-default-excludes", "."], cwd=tmp_path)
    assert len(doc["findings"]) == 4


def test_a_file_that_vanishes_is_an_error(tmp_path, monkeypatch):
    import twinscan.reader as reader

    (tmp_path / "a.js").write_text(URL)
    real_open = reader.open_fd  # every read of a scanned file opens it here

    def vanishing(path, *a, **k):
        if str(path).endswith("a.js"):
            raise FileNotFoundError(2, "No such file or directory")
        return real_open(path, *a, **k)

    monkeypatch.setattr(reader, "open_fd", vanishing)
    code, doc = cli_json([tmp_path])
    assert code == 3 and doc["errors"][0]["message"] == "file vanished before it could be read"


def _nobody_can_run_python() -> bool:
    """Root reads every file, so the test drops to `nobody`, who must be able to run this Python."""
    if os.geteuid() != 0 or not shutil.which("setpriv"):
        return False
    probe = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", sys.executable, "-c", "import twinscan.cli"]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(probe, capture_output=True, env=env, cwd="/", timeout=60).returncode == 0


@pytest.mark.skipif(not _nobody_can_run_python(), reason="needs root, setpriv, and a Python that the unprivileged user `nobody` can run (root reads every file)")  # noqa: E501
def test_unreadable_files_and_directories_make_the_scan_incomplete(tmp_path):
    tree = tmp_path / "scan"
    (tree / "dist" / "private").mkdir(parents=True)
    (tree / "dist" / "ok.js").write_text("x=1")
    (tree / "dist" / "secret.js").write_text(URL)
    (tree / "dist" / "private" / "y.js").write_text(URL)
    (tree / ".env.development").write_text("A=1\n")
    os.chmod(tree / "dist" / "secret.js", 0)
    os.chmod(tree / "dist" / "private", 0)
    os.chmod(tree / ".env.development", 0)
    for p in (tmp_path, tree, tree / "dist"):
        os.chmod(p, 0o755)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    cmd = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
           sys.executable, "-m", "twinscan", "--format", "json", "scan"]
    p = subprocess.run(cmd, cwd=tmp_path, capture_output=True, env=env, timeout=60)
    import json

    doc = json.loads(p.stdout)
    assert p.returncode == 3, p.stderr
    errs = {e["path"]: (e["production"], e["message"]) for e in doc["errors"]}
    assert errs["scan/dist/secret.js"] == (True, "cannot read: Permission denied")
    assert errs["scan/dist/private"] == (True, "cannot list directory: Permission denied")
    assert errs["scan/.env.development"][0] is False  # not production: reported, not incomplete
    assert b"Traceback" not in p.stderr


def test_what_a_production_target_skips_is_listed_without_verbose(tmp_path):
    """Anything not read in a production target is listed with its reason in every format;
    images, fonts and other binary files stay plain skips (listed with -v)."""
    dist = tmp_path / "dist"
    dist.mkdir()
    (dist / "app.js").write_text("ok")
    os.mkfifo(dist / "pipe.js")
    os.symlink("gone.js", dist / "old.js")
    (dist / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR")
    os.symlink(".", dist / "self")  # a loop: everything behind it is read under its real path
    r = subprocess.run([sys.executable, "-m", "twinscan", "dist"], cwd=tmp_path, capture_output=True, text=True)
    assert r.returncode == 0
    listed = [line for line in r.stdout.splitlines() if "not scanned" in line]
    assert listed == ["note: not scanned: dist/old.js: dangling symbolic link",
                      "note: not scanned: dist/pipe.js: not a regular file (FIFO, socket or device): not opened"]
    code, doc = cli_json(["--environment", "staging", "dist"], cwd=tmp_path)
    assert code == 0 and doc["notes"] == []  # not a production target: -v lists them
    assert {s["path"] for s in doc["skipped"]} == {"dist/logo.png", "dist/old.js", "dist/pipe.js", "dist/self"}
    code, doc = cli_json(["dist"], cwd=tmp_path)
    assert doc["notes"] == [n.removeprefix("note: ") for n in listed]


def test_ignore_files_with_lines_git_would_skip_never_crash(tmp_path):
    """A .gitignore or .twinscanignore line that is not a valid pattern is skipped, as git skips it;
    the other lines still apply."""
    (tmp_path / ".git").mkdir()
    (tmp_path / "dist").mkdir()
    (tmp_path / "dist" / "a.js").write_text(URL)
    (tmp_path / "dist" / "b.js").write_text(URL)
    (tmp_path / "dist" / "c.js").write_text(URL)
    (tmp_path / ".gitignore").write_text("[z-a]\n# comment\n\nb.js\n")
    (tmp_path / ".twinscanignore").write_text("dist\\\nc.js\n")
    code, doc = cli_json(["--respect-gitignore", "dist"], cwd=tmp_path)
    assert code == 1 and names(doc) == ["dist/a.js"]


@pytest.mark.parametrize("root", [".", "./", "tree", "tree/", "./tree/a/..", "tree/a/../../tree", "{abs}/tree", "{abs}/tree/",
                                  "../{name}/tree"])
def test_display_paths_are_the_named_path_joined_and_normalised(tmp_path, monkeypatch, root):
    from twinscan.walk import Walker

    for p in ("tree/a/b/x.js", "tree/a/y.js", "tree/z.js"):
        (tmp_path / p).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / p).write_text("x")
    monkeypatch.chdir(tmp_path)
    root = root.format(abs=tmp_path, name=tmp_path.name)
    base = os.path.realpath(root)
    got = sorted(i.display for i in Walker().walk([root]))
    want = sorted(os.path.normpath(os.path.join(root, os.path.relpath(os.path.join(d, f), base)))
                  for d, _, fs in os.walk(base) for f in fs)
    assert got == want and len(got) == 3
