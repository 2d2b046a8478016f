"""JavaScript context: comments are reported, not blocking; the parser runs only when needed."""
from __future__ import annotations

import subprocess
import sys

import pytest

from twinscan.extract.javascript import CommentTracker, provably_not_in_comment

from .conftest import ROOT, scan_bytes


@pytest.mark.parametrize("before,free", [
    (b'var a="https://x.com/a";b=', True),  # the `//` of a URL opens no comment
    (b"/*! license */var a=", True),
    (b"var a=1;// note: ", False),
    (b"/* docs: ", False),
    (b'var s="/*";var t=', True),  # an opener against a quote is string content
    (b'var s=" /* ";var t=', False),  # an opener inside a string: the parser decides
    (b"var r=/a\\//;var t=", True),  # an escaped slash in a regex
    (b"// old line\nvar a=", True),  # a line comment on an earlier line
    # a `//` followed on its line by an escaped newline: a comment inside code held in a string
    (b'var g="\\tz *= -1.0; // ( u, v, -1 ) neg z\\n\\t}";var a=', True),
    (b"var a=1;// split on \\n: ", True),  # (a real comment that mentions one: counted as code, which blocks)
    (b'var g="x";// no escape after it: ', False),
])
def test_provably_not_in_comment(before, free):
    assert provably_not_in_comment(before + b'"http://localhost:4111"', len(before), complete=True) is free


def test_without_the_file_start_nothing_is_proven():
    assert not provably_not_in_comment(b"var a=1;x=", 10, complete=False)
    assert not provably_not_in_comment(b"/* a */var a=1;\nx=", 18, complete=False)


def test_the_incremental_walk_agrees_with_a_fresh_check_at_every_offset():
    src = b'/*! l */a="https://x";b="//";c=1;// c\nd="/*";e=2;/* x */f="\\/\\/";g=3;\nh=4'
    t = CommentTracker()
    for pos in range(len(src) + 1):
        assert t.free_at(src, 0, pos) == provably_not_in_comment(src, pos, complete=True), pos


def test_a_gap_in_the_walk_proves_nothing_after_it():
    t = CommentTracker()
    assert t.free_at(b"a=1;b=", 0, 6)
    assert not t.free_at(b"zzzz", 100, 102)  # bytes 6..100 were never seen
    assert not t.free_at(b"zzzz", 100, 103)


@pytest.mark.parametrize("code,context,blocking", [
    (b"/* see http://localhost:4111 */var a=1;", "comment", False),
    (b"var a=1;// was http://localhost:4111\nvar b=2;", "comment", False),
    (b'var s="/*";var u="http://localhost:4111";', "string", True),
    (b'const d=`http://localhost:4111`;', "template", True),
    (b'var r=/http:\\/\\/localhost:4111/;', "regex", False),
])
def test_comments_and_regexes_are_reported_not_blocking(code, context, blocking, engine):
    f = scan_bytes(code, "dist/app.js", engine).findings[0]
    assert (f.context, f.blocking) == (context, blocking)
    if not blocking:
        assert "only in a" in f.reason


def test_keys_from_the_syntax_tree_when_parsed():
    f = scan_bytes(b'/* x */var s="/*";const client={apiBase:"http://localhost:4111"};', "a.js").findings[0]
    assert (f.context, f.key) == ("string", "apiBase")


def test_comment_free_bundles_never_load_the_parser():
    code = (
        "import sys\nfrom twinscan.cli import main\n"
        f"sys.argv=['twinscan','--format','json','{ROOT / 'fixtures/builds/vite8-twin-local/assets'}']\n"
        "try:\n    main()\nexcept SystemExit as e:\n    assert e.code == 1, e.code\n"
        "assert 'tree_sitter' not in sys.modules, 'parsed a bundle that needed no parse'\n"
    )
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert p.returncode == 0, p.stderr


def test_a_comment_opener_far_back_on_a_minified_line_is_string_content(engine):
    code = b'var glsl="x\\n\\t// validated",' + b"a=1," * 1000 + b'u="http://localhost:4111";'
    f = scan_bytes(code, "dist/three.js", engine).findings[0]
    assert (f.context, f.blocking) == ("string", True)
    near = b'var a=1;// was ' + b"x" * 100 + b' "http://localhost:4111"'
    assert scan_bytes(near, "dist/a.js", engine).findings[0].context == "comment"


def test_a_hit_after_a_shader_string_with_line_comments_needs_no_parse(tmp_path):
    """three.js and other WebGL bundles hold GLSL in strings, whose `// …` comments sit between
    escaped newlines: a hit shortly after one is settled without loading the parser (issue 14:
    one such hit parsed a 700 KB bundle, ~0.25 s), and still blocks."""
    glsl = b'"\\tvec3 d = n;\\n\\tdirection.z *= -1.0; // ( u, v, -1 ) neg z\\n\\treturn direction;\\n}"'
    (tmp_path / "dist").mkdir()
    (tmp_path / "dist" / "three.js").write_bytes(b"const s=" + glsl + b',u="http://localhost:4111";\n')
    code = (
        "import sys\nfrom twinscan.cli import main\n"
        "sys.argv=['twinscan','--format','json','--quiet','dist']\n"
        "try:\n    main()\nexcept SystemExit as e:\n    assert e.code == 1, e.code\n"
        "assert 'tree_sitter' not in sys.modules, 'parsed a bundle that needed no parse'\n"
    )
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    assert '"context": "string"' in p.stdout and '"blocking": true' in p.stdout
