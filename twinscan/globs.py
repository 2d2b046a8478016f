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
"""
from __future__ import annotations

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


def gitignore_spec(lines: Iterable[str]):
    """A gitignore-syntax glob set. Raises what pathspec raises on a bad pattern."""
    return pathspec().GitIgnoreSpec.from_lines(list(lines), backend="simple")
