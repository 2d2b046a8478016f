"""Gitignore-syntax glob sets, on any platform.

pathspec picks its fastest backend itself: Hyperscan, where the module imports. Where Hyperscan
is installed but does not load (a missing shared library raises ImportError, not
ModuleNotFoundError), pathspec fails to import at all. ``pathspec()`` then hides the broken
module from it, so it falls back to its pure-Python matcher, as the scanner falls back to `re`:
a glob set never costs a file its scan.

Every glob set is built with pathspec's pure-Python ("simple") backend. Its Hyperscan backend
compiles a database per set, about 50 ms each, and twinscan builds a handful per run (role
globs, environments, excludes, ignore files): 250 ms of a 3-file pre-commit run went there.
Our glob sets are small and matched once per path, where `re` costs microseconds.

A set of plain globs (`*.md`, `test/`, `src/mocks/`, `jest.config.*`: no negation, character
class, escape or `**`) is translated here, as pathspec translates it, without importing pathspec
at all: the built-in role globs are matched at the first hit of every run, and importing
pathspec (its backends, typing_extensions, Hyperscan) was 15 ms of a 3-file pre-commit run.
tests/test_globs.py compares the two on every built-in glob. Anything else goes to pathspec.
"""
from __future__ import annotations

import re
import sys
from typing import Iterable


def pathspec():
    """The pathspec module, importable whether or not Hyperscan loads."""
    try:
        import pathspec as ps
    except ImportError as exc:
        if isinstance(exc, ModuleNotFoundError) and exc.name == "pathspec":
            raise
        for name in [m for m in sys.modules if m == "pathspec" or m.startswith("pathspec.")]:
            del sys.modules[name]  # half-imported: try again without Hyperscan
        sys.modules["hyperscan"] = None  # type: ignore[assignment]  # import now raises ModuleNotFoundError
        import pathspec as ps
    return ps


def plain_or_gitignore_spec(globs: tuple[str, ...]):
    """A matcher with pathspec's `match_file` for *globs*: :class:`PlainGlobs` when every glob
    is plain, else pathspec's GitIgnoreSpec (which also reports a bad glob)."""
    return PlainGlobs(globs) if globs and PlainGlobs.accepts(globs) else gitignore_spec(globs)


def gitignore_spec(lines: Iterable[str]):
    """A gitignore-syntax glob set. Raises what pathspec raises on a bad pattern."""
    return pathspec().GitIgnoreSpec.from_lines(list(lines), backend="simple")


class PlainGlobs:
    """Plain gitignore globs, matched as pathspec's GitIgnoreSpec matches them (`match_file`):
    a glob without a `/` matches at any depth, one with a `/` inside is anchored at the root, a
    trailing `/` matches only what is under a directory of that name, a glob that matches a
    directory matches everything under it, and `!glob` takes back what an earlier glob matched
    (the last glob that matches the file itself wins; one that matches only a directory above
    it counts when no glob matches the file)."""

    _PLAIN = re.compile(r"!?[^!\\\[\]\s#][^\\\[\]\s]*")  # no escape, class, space or comment

    def __init__(self, globs: tuple[str, ...]):
        # one expression for a list without `!`; one per glob, in order, only when a `!` makes
        # order matter (compiling every glob of the built-in role lists cost ~3 ms of a cold run)
        negated = any(g.startswith("!") for g in globs)
        self.patterns = [(re.compile(self._translate(g.lstrip("!"))), not g.startswith("!")) for g in globs] \
            if negated else []
        self.any = None if negated else re.compile("|".join(f"(?:{self._translate(g, mark=False)})" for g in globs))

    @classmethod
    def accepts(cls, globs: Iterable[str]) -> bool:
        return all(cls._PLAIN.fullmatch(g) and "**" not in g and g.lstrip("!").strip("/") and "//" not in g
                   for g in globs)

    @staticmethod
    def _translate(glob: str, mark: bool = True) -> str:
        directory = glob.endswith("/")
        body = glob.strip("/")
        anchored = "/" in glob.rstrip("/")
        out = "".join("[^/]*" if c == "*" else "[^/]" if c == "?" else re.escape(c) for c in body)
        d = "(?P<d>/)" if mark else "/"
        return ("" if anchored else "(?:.+/)?") + out + (d if directory else f"(?:{d}|$)")

    def match_file(self, path: str) -> bool:
        path = path.replace("\\", "/")  # normalised as pathspec normalises a file path
        if path.startswith("/"):
            path = path[1:]
        elif path.startswith("./"):
            path = path[2:]
        if self.any is not None:
            return self.any.match(path) is not None
        result, priority = False, 0
        for regex, include in reversed(self.patterns):  # pathspec's order: the last glob first
            m = regex.match(path)
            if m is not None:
                p = 1 if m.group("d") else 2  # 1: matched a directory above the file
                if p > priority:
                    result, priority = include, p
                if p == 2:
                    break
        return result


