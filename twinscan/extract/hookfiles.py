"""The pre-commit hook's `files:` pattern, generated from the registry of kinds.

    python -m twinscan.extract.hookfiles            # print the pattern
    python -m twinscan.extract.hookfiles --write    # rewrite it in .pre-commit-hooks.yaml

Each kind's ``hook`` globs (its claim unless it says otherwise) become one line; build
output kinds (JavaScript, HTML, JSON, source maps, text) have none. tests/test_precommit.py
checks the committed pattern equals this one.
"""
from __future__ import annotations

import os
import sys

from .kind import glob_regex
from .registry import kinds

_ANCHOR = "(?:^|/)"


def _body(glob: str) -> str:
    return glob_regex(glob)[len(_ANCHOR):-1]  # the glob without its anchors


def pattern() -> str:
    """A verbose, case-insensitive regular expression (Python `re`, as pre-commit uses)."""
    lines = []
    for kind in kinds():
        if not kind.hook_globs:
            continue
        skip = "".join(f"(?!{_body(g)}$)" for g in kind.exclude)
        alts = " | ".join(_body(g) for g in kind.hook_globs)
        lines.append(f"  {'|' if lines else ' '} {skip}(?:{alts})  # {kind.name}")
    return "(?ix)" + _ANCHOR + "(?:\n" + "\n".join(lines) + "\n)$\n"


def write(path: str) -> None:
    """Replace the `files: |` block of the `twinscan` hook in *path* with :func:`pattern`."""
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    start = next(i for i, line in enumerate(lines) if line.strip() == "files: |")
    end = next(i for i in range(start + 1, len(lines)) if not lines[i].startswith("    "))
    block = ["    " + line for line in pattern().rstrip("\n").split("\n")]
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(lines[: start + 1] + block + lines[end:]))


if __name__ == "__main__":
    if sys.argv[1:] == ["--write"]:
        root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        write(os.path.join(root, ".pre-commit-hooks.yaml"))
    else:
        sys.stdout.write(pattern())
