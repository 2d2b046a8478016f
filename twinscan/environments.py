"""Environment names: one normaliser for every kind, from `rules/environments.yaml`.

File names (`.env.prod`), workflow jobs (`environment: prod-eu`), kustomize overlays
(`overlays/eu-prod-1/`), Kubernetes namespaces (`shop-production`) and config globs all
name environments in their own spelling; :func:`normalise` maps each to one name, so a
spelling cannot block in one kind and pass in another. The table is data, loaded on first
use (a run that names no environment never reads it).
"""
from __future__ import annotations

import functools
import os
import re
from typing import Iterable

#: Names that block when config does not say otherwise (`production_environments`).
DEFAULT_PRODUCTION = ("production", "prod", "live")
_SPLIT = re.compile(r"[-_/. ]+")


def _rules_file() -> str:
    here = os.path.dirname(os.path.abspath(__file__))
    installed = os.path.join(here, "rules", "environments.yaml")
    return installed if os.path.isfile(installed) else os.path.join(os.path.dirname(here), "rules", "environments.yaml")


def load(text: str) -> dict:
    """The table as written: YAML flow style that is JSON once its `#` lines are dropped, so
    classifying a path needs no YAML parser (tests check PyYAML reads the same)."""
    import json

    return json.loads("".join(line for line in text.splitlines(keepends=True) if not line.lstrip().startswith("#")))


@functools.lru_cache(maxsize=1)
def aliases() -> dict[str, str]:
    """Every spelling (lower case) → its normalised name."""
    with open(_rules_file(), encoding="utf-8") as f:
        data = load(f.read())
    out: dict[str, str] = {}
    for name, spellings in data["aliases"].items():
        for s in [name, *spellings]:
            out[str(s).lower()] = name
    return out


def alias(word: str) -> str | None:
    """The normalised name of one exact spelling (`prd` → production), else None."""
    return aliases().get(word.strip().lower())


def known(name: str) -> str | None:
    """The normalised environment a name spells, or None when no part of it is known.

    Whole name first, then adjacent parts joined (`pre-prod`), then the last part, the
    first, and the ones between: `api-staging` → staging, `eu-prod-1` → production."""
    table = aliases()
    n = name.strip().lower()
    if n in table:
        return table[n]
    parts = [p for p in _SPLIT.split(n) if p]
    for a, b in zip(parts, parts[1:]):
        if a + b in table:
            return table[a + b]
    for p in parts[-1:] + parts[:1] + parts[1:-1]:
        if p in table:
            return table[p]
    return None


def normalise(name: str) -> str:
    """The normalised name (`Prod-EU` → production); an unknown name lower-cased as written."""
    return known(name) or name.strip().lower()


@functools.lru_cache(maxsize=16)
def production_set(production: tuple[str, ...] = DEFAULT_PRODUCTION) -> frozenset[str]:
    """The normalised names that block, from config's `production_environments` (user names
    such as `customer-a` are kept as written too)."""
    names = [e.strip().lower() for e in production]
    return frozenset(names) | {normalise(e) for e in names}


def is_production(name: str, production: Iterable[str] = DEFAULT_PRODUCTION) -> bool:
    """Whether an environment name (any spelling) blocks under `production_environments`."""
    prod = production_set(tuple(production))
    n = name.strip().lower()
    return n in prod or normalise(n) in prod
