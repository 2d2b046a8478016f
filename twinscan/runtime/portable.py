"""What the emitted guards (TypeScript, Go) share: rule expressions carried into another regex
dialect, and a rule's fix text on one line.

Rules are written in the subset Hyperscan, RE2 and Python ``re`` agree on (rulepack.check_pattern),
so carrying one across is a walk over its escapes: each dialect says what it does with an escape
(keep it, spell it out, or refuse it), and groups other than ``(?:`` are refused everywhere.
"""
from __future__ import annotations

from typing import Callable


def translate(py: str, escape: Callable[[str, bool], str]) -> str:
    """``py`` (a rule expression) in another dialect. ``escape(esc, in_class)`` returns the
    spelling of a two-character escape such as ``\\s`` (inside a ``[…]`` class or not), or
    raises ValueError when the dialect has no identical meaning for it."""
    out, i, in_class = [], 0, False
    while i < len(py):
        c = py[i]
        if c == "\\" and i + 1 < len(py):
            out.append(escape(py[i:i + 2], in_class))
            i += 2
            continue
        if c == "[" and not in_class:
            in_class = True
        elif c == "]" and in_class:
            in_class = False
        elif c == "(" and py.startswith("(?", i) and not py.startswith("(?:", i):
            raise ValueError(f"{py!r}: only (?: ) groups are portable")
        out.append(c)
        i += 1
    return "".join(out)


def fix_line(text: str) -> str:
    """The first paragraph of a rule's fix, on one line (as guard.Violation.message prints it)."""
    return text.strip().split("\n\n")[0].replace("\n", " ")
