"""A pre-commit run pays every import and every expression compiled at import (issue 14): what a
small scan does not need is compiled or imported when first used. Each test checks that the
laziness holds and that the answer is the same as when the work is done.

The probes run the program in a process they inspect after the command: each switches off its
fast exit (`program.leave`, which would end the process before the probe looks)."""
from __future__ import annotations

import subprocess
import sys

from .conftest import cli_json

PROBE = """
import re, sys
compiled = []
real = re._compile
def spy(pattern, flags):
    compiled.append(pattern)
    return real(pattern, flags)
re._compile = spy
{body}
"""


def _run(body: str, cwd=None) -> str:
    r = subprocess.run([sys.executable, "-c", PROBE.format(body=body)], cwd=cwd, capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 0, r.stderr
    return r.stdout.strip()


def test_report_text_compiles_the_surrogate_and_secret_expressions_only_when_needed():
    """Surrogate ranges took ~3 ms to compile; ASCII and other valid text never needs them."""
    out = _run("from twinscan.report.present import unsurrogate, redact_secrets, printable\n"
               "a = [unsurrogate('plain'), unsurrogate('h\\u00e9llo \\U0001f600'), printable('x\\u202ey'),"
               " redact_secrets('http://h/x'), redact_secrets('var u=1;')]\n"
               "n = sum('\\ud800' in str(p) or 'token' in str(p) for p in compiled)\n"
               "b = [unsurrogate('a\\udcff\\ud800b'), redact_secrets('http://h/x?token=abc&mode=a')]\n"
               "print(n, sum('\\ud800' in str(p) or 'token' in str(p) for p in compiled), a, b)")
    assert out == ("0 2 ['plain', 'héllo 😀', 'x\\\\u202ey', 'http://h/x', 'var u=1;'] "
                   "['a\\\\xff\\\\ud800b', 'http://h/x?token=***&mode=a']"), out


def test_a_report_with_an_undecodable_name_still_escapes_it(tmp_path):
    name = b"caf\xe9.env"
    (tmp_path / name.decode("utf-8", "surrogateescape")).write_bytes(b"A=http://localhost:4111\n")
    _, doc = cli_json(["."], cwd=tmp_path)
    assert [f["path"] for f in doc["findings"]] == ["caf\\xe9.env"]


def test_a_json_report_does_not_import_the_text_format(tmp_path):
    """--color is decided for every format (report.use_color); only a text report imports text.py."""
    (tmp_path / ".env.production").write_text("A=http://localhost:4111\n")
    probe = ("import runpy, sys, io\nfrom twinscan import program\nsys.argv = ['twinscan', '--quiet', '--format', '{fmt}', '.env.production']\n"
             "out, sys.stdout = sys.stdout, io.StringIO()\n"
             "program.leave = lambda code: None\n"
             "try:\n    runpy.run_module('twinscan', run_name='__main__')\nexcept SystemExit as e:\n    code = e.code\n"
             "text, sys.stdout = sys.stdout.getvalue(), out\n"
             "print(code, 'twinscan.report.text' in sys.modules, 'localhost:4111' in text)")
    got = [_run(probe.format(fmt=fmt), cwd=tmp_path).split("\n")[-1] for fmt in ("json", "text")]
    assert got == ["1 False True", "1 True True"], got


def test_secret_redaction_skips_the_expression_only_when_no_secret_word_can_match():
    """redact_secrets answers ASCII text with no secret word without its expression (a snippet
    such as `var u=…` has an `=`); the answer is the expression's own."""
    from twinscan.report import present

    assert all(any(stem in word for stem in present._SECRET_STEMS)
               for word in (w.replace("[_-]?", "_") for w in present._SECRET_WORDS)), "a word without a stem"
    texts = ["var u=`http://127.0.0.1:4112/v1`;", "http://h/x?token=abc&mode=a", "http://h/?API-KEY=1", "a?b=c",
             "http://h/x?X-Amz-Signature=zz&y=1", "u?client_secret%3Dq", "u?Auth\\u003dq", "u;jwt=1", "u?PassWord=x",
             "u?ſecret=x", "u?sıg=x", "u?\u212aey=x", "u?p=1&session_id=2", "u?mode=1",
             # a cut snippet (`…` at either end): answered as ASCII, unless a secret word is in it
             "…r=r===X?1:Gl(kc(;var twin=\"http://localhost:4111\";…", "…x=1;u=\"http://h/?token=abc\"…",
             "…u?ſecret=x…", "…u?\u212aey=x"]
    expression = present._secret_param()
    for text in texts:
        assert present.redact_secrets(text) == expression.sub(lambda m: m.group("head") + present.REDACTED, text), text
    assert present.redact_secrets("u?ſecret=x") == "u?ſecret=***"  # beyond ASCII: the expression decides


def test_a_cut_snippet_without_a_secret_word_is_answered_without_the_expression(monkeypatch):
    """Most snippets of a report are cut (`…` at one end or both) and hold an `=`: the report of a
    50,000-file tree ran the expression on 4,083 of 4,088 findings for nothing."""
    from twinscan.report import present

    def refuse():
        raise AssertionError("the expression ran")

    monkeypatch.setattr(present, "_secret_param", refuse)
    text = '…r=r===X?1:Gl(kc(;var twin="http://localhost:4111";…'
    assert present.redact_secrets(text) is text


def test_a_manifest_does_not_compile_the_helm_values_expression(tmp_path):
    """Only a Helm values file needs the URL-or-host test of its scalars; a manifest or a workflow never does."""
    (tmp_path / "k8s").mkdir()
    (tmp_path / "k8s" / "cm.yaml").write_text("kind: ConfigMap\ndata:\n  API: http://localhost:4111\n")
    (tmp_path / "values.yaml").write_text("api:\n  url: http://localhost:4112\n")
    body = ("import io, runpy\nfrom twinscan import program\nsys.argv = ['twinscan', '--format', 'json', '{path}']\n"
            "out, sys.stdout = sys.stdout, io.StringIO()\n"
            "program.leave = lambda code: None\n"
            "try:\n    runpy.run_module('twinscan', run_name='__main__')\nexcept SystemExit as e:\n    code = e.code\n"
            "text, sys.stdout = sys.stdout.getvalue(), out\n"
            "print(code, any('|//\\\\S+' in str(p) for p in compiled), 'localhost:411' in text)")
    assert _run(body.format(path="k8s/cm.yaml"), cwd=tmp_path).split("\n")[-1] == "1 False True"
    assert _run(body.format(path="values.yaml"), cwd=tmp_path).split("\n")[-1] == "1 True True"


def test_a_scan_with_a_cached_hyperscan_database_does_not_import_hashlib(tmp_path):
    """The database cache's key uses CPython's built-in SHA-256 (twinscan/digest.py) and its files
    a CRC-32: hashlib loads OpenSSL (~3 ms), and SHA-256 over two databases took ~5 ms more."""
    import zlib

    from twinscan.engine import _CACHE_MAGIC, hyperscan_available

    if not hyperscan_available():
        import pytest

        pytest.skip("Hyperscan does not load on this platform")
    (tmp_path / "dist").mkdir()
    (tmp_path / "dist" / "app.js").write_text('const u="http://localhost:4111";\n' * 3000)  # past the `re` size
    probe = ("import os, runpy, sys, io\nfrom twinscan import program\nos.environ['TWINSCAN_CACHE_DIR'] = {cache!r}\n"
             "sys.argv = ['twinscan', '--quiet', '--format', 'json', '--engine', 'hyperscan', 'dist']\n"
             "out, sys.stdout = sys.stdout, io.StringIO()\n"
             "program.leave = lambda code: None\n"
             "try:\n    runpy.run_module('twinscan', run_name='__main__')\nexcept SystemExit as e:\n    code = e.code\n"
             "sys.stdout = out\n"
             "print(code, 'hashlib' in sys.modules)")
    cache = str(tmp_path / "cache")
    assert [_run(probe.format(cache=cache), cwd=tmp_path).split("\n")[-1] for _ in range(2)] == ["1 False"] * 2
    stored = [p for p in (tmp_path / "cache").iterdir() if p.name.startswith("hs-")]
    assert stored
    for p in stored:
        blob = p.read_bytes()
        head = len(_CACHE_MAGIC)
        assert blob.startswith(_CACHE_MAGIC) and zlib.crc32(blob[head + 4:]).to_bytes(4, "little") == blob[head:head + 4]


def test_role_globs_compile_the_joined_expression_only_for_a_name_with_a_newline():
    """A glob set matches a path by its name, its whole path and its folder; the expression of
    all three joined is needed only where `.` and `$` treat a newline apart (~2 ms of a cold run)."""
    out = _run("from twinscan.globs import PlainGlobs\n"
               "g = PlainGlobs(('*.md', 'docs/', 'e2e/*.js'))\n"
               "before = len(compiled)\n"
               "a = [g.match_file(p) for p in ('README.md', 'src/docs/x.js', 'e2e/a.js', 'src/a.js')]\n"
               "n = len(compiled) - before\n"
               "joined = sum('|' in str(p) and '(?:.+/)?' in str(p) and '$' in str(p) for p in compiled[before:])\n"
               "b = g.match_file('dir\\nname/README.md')\n"
               "print(a, joined, b, sum('$' in str(p) for p in compiled[before + n:]))")
    assert out == "[True, True, True, False] 0 False 1", out  # (as pathspec answers a name with a newline)
