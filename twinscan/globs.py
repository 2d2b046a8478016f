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
        self._negated = negated
        self._globs = globs
        # for a path that holds a newline only (`.` and `$` treat it apart), compiled then: the
        # joined expression, or with a `!` one per glob (~0.6 ms of each run's first role match)
        self._any: re.Pattern | None = None
        self._patterns: list[tuple[re.Pattern, bool]] | None = None
        # The same answers split in two (match_file): whether a glob matches the file itself
        # (its name, or its whole path for a glob with a `/`), and whether one matches a
        # directory above it, which is the same for every file of that directory and is kept
        # per directory. A file with a hit in a tree of thousands of chunks matched every role
        # glob against its whole path, backtracking over each `/` (issue 14).
        self._parts = [self._split(g.lstrip("!")) for g in globs]
        self._includes = tuple(not g.startswith("!") for g in globs)
        self._dirs: dict[str, tuple[bool, ...]] = {}
        if negated:  # one by one, in order
            self._each = [tuple(re.compile(x) if x is not None else None for x in part) for part in self._parts]
        else:
            names = [n for n, _, _ in self._parts if n is not None]
            paths = [p for _, p, _ in self._parts if p is not None]
            self._any_name = re.compile("|".join(f"(?:{n})" for n in names)) if names else None
            self._any_path = re.compile("|".join(f"(?:{p})" for p in paths)) if paths else None
            self._any_dir = re.compile("|".join(f"(?:{d})" for _, _, d in self._parts))

    @classmethod
    def _split(cls, glob: str) -> tuple[str | None, str | None, str]:
        """(expression `fullmatch`ed on the file name, or None; one `fullmatch`ed on the whole
        path, or None; one `match`ed on the directory part with its final `/`) of one glob, as
        :meth:`_translate` matches them together."""
        directory, anchored, out = cls._parse(glob)
        name = None if directory or anchored else out
        path = out if anchored and not directory else None
        return name, path, ("" if anchored else "(?:.+/)?") + out + "/"

    def _dir_matches(self, folder: str) -> tuple[bool, ...]:
        """Per glob (one answer for all without `!`): whether it matches a directory of
        *folder* (the directory part with its final `/`)."""
        got = self._dirs.get(folder)
        if got is None:
            if len(self._dirs) >= 4096:
                self._dirs.clear()
            if not self._negated:
                got = (self._any_dir.match(folder) is not None,)
            else:
                got = tuple(d.match(folder) is not None for _, _, d in self._each)
            self._dirs[folder] = got
        return got

    @classmethod
    def accepts(cls, globs: Iterable[str]) -> bool:
        return all(cls._PLAIN.fullmatch(g) and "**" not in g and g.lstrip("!").strip("/") and "//" not in g
                   for g in globs)

    @staticmethod
    def _parse(glob: str) -> tuple[bool, bool, str]:
        """(ends with `/`: directories only; holds a `/` before that: anchored at the root; the
        glob between the slashes as an expression)."""
        body = glob.strip("/")
        return (glob.endswith("/"), "/" in glob.rstrip("/"),
                "".join("[^/]*" if c == "*" else "[^/]" if c == "?" else re.escape(c) for c in body))

    @classmethod
    def _translate(cls, glob: str, mark: bool = True) -> str:
        directory, anchored, out = cls._parse(glob)
        d = "(?P<d>/)" if mark else "/"
        return ("" if anchored else "(?:.+/)?") + out + (d if directory else f"(?:{d}|$)")

    def match_file(self, path: str) -> bool:
        path = path.replace("\\", "/")  # normalised as pathspec normalises a file path
        if path.startswith("/"):
            path = path[1:]
        elif path.startswith("./"):
            path = path[2:]
        if "\n" not in path:  # (`.` and `$` treat a newline apart: those paths take the joined expressions)
            return self._match_split(path)
        if not self._negated:
            if self._any is None:
                self._any = re.compile("|".join(f"(?:{self._translate(g, mark=False)})" for g in self._globs))
            return self._any.match(path) is not None
        if self._patterns is None:
            self._patterns = [(re.compile(self._translate(g.lstrip("!"))), not g.startswith("!")) for g in self._globs]
        result, priority = False, 0
        for regex, include in reversed(self._patterns):  # pathspec's order: the last glob first
            m = regex.match(path)
            if m is not None:
                p = 1 if m.group("d") else 2  # 1: matched a directory above the file
                if p > priority:
                    result, priority = include, p
                if p == 2:
                    break
        return result

    def _match_split(self, path: str) -> bool:
        """:meth:`match_file` from the file's own match and its directory's (kept per directory)."""
        slash = path.rfind("/")
        name, folder = path[slash + 1:], path[:slash + 1]
        if not self._negated:
            return (self._any_name is not None and self._any_name.fullmatch(name) is not None) \
                or (self._any_path is not None and self._any_path.fullmatch(path) is not None) \
                or (bool(folder) and self._dir_matches(folder)[0])
        dirs = self._dir_matches(folder) if folder else ()
        result, above = False, False
        for i in range(len(self._each) - 1, -1, -1):  # pathspec's order: the last glob first
            n, p, _ = self._each[i]
            if (n is not None and n.fullmatch(name)) or (p is not None and p.fullmatch(path)):
                return self._includes[i]  # matched the file itself: this glob decides
            if dirs and dirs[i] and not above:  # the last glob matching a directory above decides,
                result, above = self._includes[i], True  # unless an earlier one matches the file
        return result


