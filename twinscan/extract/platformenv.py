"""Environments that deploy-platform files name in their paths and their own names.

The platform kinds (Cloud Run, systemd, ECS, SAM, Serverless, Terraform) read the
environment of a value from the platform's own structure first (a manifest's name and
labels, a unit's `APP_ENV=`, a stage, a condition); when that says nothing, from the
path: a directory laid out per environment (`environments/staging/`, `envs/prod/`,
`stages/dev/`) or the file's own name (`prod.tfvars`, `service-staging.yaml`,
`api-staging.service`). Names are normalised by environments.py (one table, as data).

Words that name a file's *shape* rather than an environment are not read from names:
`template` (SAM's default file name is `template.yaml`), `defaults`, `dist`, and `ci`.
"""
from __future__ import annotations

import posixpath
import re

from ..environments import alias, known

#: Directories whose child directory is named after the environment.
LAYOUT_DIRS = ("environments", "environment", "envs", "env", "stages", "stage", "workspaces", "deployments", "live")
_NOT_NAMES = ("template", "templates", "defaults", "default", "dist", "ci")
_WORD = re.compile(r"[-_.]+")

Env = tuple[str, str]


def _word_env(word: str) -> str | None:
    return None if word.lower() in _NOT_NAMES else alias(word)


def dir_env(path: str) -> Env | None:
    """(environment, reason) from the innermost directory that names one: a child of a layout
    directory (`environments/staging/`, any spelling of the child: `envs/prod-eu/`) or a
    directory spelled exactly as an environment (`staging/`, `prod/`)."""
    parts = path.replace("\\", "/").split("/")[:-1]
    for i in range(len(parts) - 1, -1, -1):
        d = parts[i]
        if i > 0 and parts[i - 1].lower() in LAYOUT_DIRS:
            env = known(d)
            if env and d.lower() not in _NOT_NAMES:
                return env, f"directory `{parts[i - 1]}/{d}/`"
        env = _word_env(d)
        if env:
            return env, f"directory `{d}/`"
    return None


def name_env(path: str, suffixes: tuple[str, ...] = ()) -> Env | None:
    """(environment, reason) from the file name: each word of the name without its *suffixes*
    (`.tfvars`, `.auto.tfvars`, `.service`), split on `-`, `_` and `.`, spelled exactly as an
    environment, the last word first (`api-staging.service`, `prod.tfvars`, `staging.auto.tfvars`)."""
    name = posixpath.basename(path.replace("\\", "/"))
    stem = name
    for suffix in suffixes:
        if stem.lower().endswith(suffix):
            stem = stem[: -len(suffix)]
            break
    for word in reversed([w for w in _WORD.split(stem) if w]):
        env = _word_env(word)
        if env:
            return env, f"file name `{name}`"
    return None


def path_env(path: str, suffixes: tuple[str, ...] = ()) -> Env | None:
    """The file name's environment, else the directory layout's."""
    return name_env(path, suffixes) or dir_env(path)


def word_env(name: str) -> str | None:
    """The environment a platform name spells (`api-staging`, `shop-prod-eu`), not a shape word."""
    if name.strip().lower() in _NOT_NAMES:
        return None
    env = known(name)
    return None if env == "example" and not any(_word_env(w) == "example" for w in _WORD.split(name)) else env
