"""Plain globs (twinscan/globs.py PlainGlobs) match exactly as pathspec's GitIgnoreSpec does."""
from __future__ import annotations

from pathlib import Path

import pytest

from twinscan import shipped
from twinscan.globs import PlainGlobs, gitignore_spec, plain_or_gitignore_spec

ROOT = Path(__file__).resolve().parents[1]

EXTRA_GLOBS = ["docs/*", "/build/", "/Makefile", "a/b/c.txt", "src/*.test.js", "*.min.?s", "config", "x/", ".env.*"]
EXTRA_SETS = [("*.md", "!README.md"), ("docs/", "!docs/keep.md"), ("*.template", "!*.conf.template", "*.tmpl"),
              ("!*.md", "*.md"), ("x/", "!*.js"), ("*.md", "!a.md/"), ("test/", "!test/", "test/a.js")]
PATHS = [
    "README.md", "docs/guide.md", "a.md/inside.js", "x/y/z.MD", "test", "test/a.js", "src/test/a.js", "tests.js",
    "src/mocks/api.ts", "lib/src/mocks/api.ts", "src/mocks", "mocks/x", ".env.local.example", "app/.env.example.local",
    "jest.config.js", "a/jest.config.ts", "jest.configX", "package.json", "web/package.json", "package.jsonx",
    "docs/a/b.md", "build/x", "a/build/x", "Makefile", "a/Makefile", "a/b/c.txt", "x/a/b/c.txt", "src/a.test.js",
    "src/x/a.test.js", "app.min.js", "app.min.css", "config", "config/x", "a/config", "x", "x/", "y/x/z",
    "./docs/a.md", "/abs/test/a.js", "dir\nname/test/a.js", "dir/na\nme.md", "e2e/spec.ts", "cypress/x.cy.ts",
    "__tests__/a.js", "a/__mocks__/b.js", "story.stories.tsx", "foo_test.go", "test_foo.py", "a.schema.json",
    "README.md", "a/README.md", "docs/keep.md", "docs/other.md", "nginx/default.conf.template", "x.template",
    "a.md/x.js", "a.md/README.md", "x/a.js", "x/a.ts", "test/b.js", "a/x.tmpl",
]


def _builtin_glob_sets():
    doc = shipped.load("roles.yaml")
    sets = [tuple(e.get("globs") or [e["path"]]) for e in doc.get("files") or []]
    sets += [tuple(e["files"]) for e in doc.get("keys") or [] if e.get("files")]
    return sets


def _paths():
    found = [p.relative_to(ROOT).as_posix() for base in ("fixtures", "tests") if (ROOT / base).is_dir()
             for p in (ROOT / base).rglob("*") if p.is_file() and "__pycache__" not in p.parts]
    return PATHS + found


@pytest.mark.parametrize("globs", _builtin_glob_sets() + [(g,) for g in EXTRA_GLOBS] + EXTRA_SETS, ids=str)
def test_plain_globs_match_as_pathspec_does(globs):
    spec = gitignore_spec(globs)
    matcher = plain_or_gitignore_spec(globs)
    if not PlainGlobs.accepts(globs):
        assert not isinstance(matcher, PlainGlobs)
        return
    assert isinstance(matcher, PlainGlobs)
    for path in _paths():
        assert matcher.match_file(path) == bool(spec.match_file(path)), (globs, path)


def test_every_builtin_role_glob_is_plain():
    """The point of PlainGlobs: a run's role globs need no pathspec import."""
    assert all(PlainGlobs.accepts(s) for s in _builtin_glob_sets())


@pytest.mark.parametrize("glob", ["!!x", "[ab].md", "a\\*", "**/x", "a/**", "# c", " x", "x y", "/", "a//b"])
def test_anything_else_goes_to_pathspec(glob):
    assert not PlainGlobs.accepts([glob])
