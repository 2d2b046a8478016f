"""The artifact kinds, listed once. Classification and dispatch derive from this list.

Each name is a module of this package exposing ``KIND`` (see kind.py); order is claim
order: the first kind that claims a path is its kind (compose and workflow YAML before
Kubernetes, which claims any YAML). A path no kind claims is ``text``. A kind module
imports nothing heavy at module level (PyYAML, tree-sitter, tomllib are imported by its
extractor), so classifying a path stays cheap. Adding a kind is adding its module here.
"""
from __future__ import annotations

import functools
import importlib
import re
from typing import Callable

from .kind import Kind, normalise_path

MODULES = (
    "dotenv", "dockerfile", "compose", "workflows", "fly", "kubernetes", "nginx",
    "javascript", "html", "sourcemap", "image", "text",
)
FALLBACK = "text"


@functools.lru_cache(maxsize=1)
def kinds() -> tuple[Kind, ...]:
    out = []
    for name in MODULES:
        kind = importlib.import_module(f"{__package__}.{name}").KIND
        if kind.name != name:
            raise AssertionError(f"extract/{name}.py declares kind {kind.name!r}: a kind is named after its module")
        out.append(kind)
    return tuple(out)


@functools.lru_cache(maxsize=None)
def get(name: str) -> Kind:
    """The kind called *name* (KeyError for an unknown kind)."""
    for kind in kinds():
        if kind.name == name:
            return kind
    raise KeyError(name)


@functools.lru_cache(maxsize=1)
def _steps() -> tuple[Kind | re.Pattern, ...]:
    """The kinds in claim order, consecutive ones whose claim is a base-name pattern joined into
    one pattern with a group per kind (alternatives are tried in order: the first kind wins)."""
    steps: list[Kind | re.Pattern] = []
    run: list[str] = []
    for kind in kinds():
        rx = kind.name_regex()
        if rx is not None:
            run.append(f"(?P<{kind.name}>{rx})")
            continue
        if run:
            steps.append(re.compile("|".join(run)))
            run = []
        steps.append(kind)
    if run:
        steps.append(re.compile("|".join(run)))
    return tuple(steps)


def kind_of(path: str, head: Callable[[], bytes] | None = None) -> str:
    """The kind of the file at *path*: the first kind that claims it, else text.
    *head* gives the file's first bytes, for kinds that claim a generic name by content."""
    p = normalise_path(path)
    name = p[p.rfind("/") + 1:]
    for step in _steps():
        if isinstance(step, Kind):
            if step.claims_normalised(p, head):
                return step.name
        else:
            m = step.fullmatch(name)
            if m:
                return m.lastgroup or FALLBACK
    return FALLBACK


def is_structured(name: str) -> bool:
    """Whether the kind's files assign values that carry environments (it has an extractor)."""
    try:
        return get(name).structured
    except KeyError:
        return False


def label(name: str) -> str:
    """How messages name a kind's format ("cannot parse as …")."""
    try:
        return get(name).label or name
    except KeyError:
        return name
