"""Classify a path: what kind of artifact it is and which environment it belongs to.

The kind comes from the registry of kinds (extract/registry.py), environment names in
any spelling from environments.py. Classifiers are tried in order; the first that knows
the environment wins. Later artifact kinds (compose stages, Kubernetes overlays, workflow jobs)
decide per value inside the file; a file-level answer here is their default.
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Callable, Sequence

from . import environments
from .environments import DEFAULT_PRODUCTION
from .extract.kind import COMPRESSED, base_name
from .extract.registry import get, kind_of
from .model import Target

__all__ = ["COMPRESSED", "DEFAULT_PRODUCTION", "base_name", "artifact_kind", "dotenv_environment", "config_environment",
           "GlobRule", "PathRule", "PrefixRule", "Classifier"]
HEAD_BYTES = 4096  # what a content sniff sees
_DOTENV_MODE = re.compile(r"^\.env\.(?P<mode>[a-z0-9_-]+)(?:\.local)?$")
_DOTENV_SUFFIX = re.compile(r"^(?:.*\.)?(?P<mode>[a-z0-9_-]+)\.env$")


def artifact_kind(path: str, head: Callable[[], bytes] | None = None) -> str:
    """The kind of artifact at *path*, from the registry of kinds (extract/registry.py).
    *head* gives the file's first bytes, for kinds that claim a generic name by content."""
    return kind_of(path, head)


def dotenv_environment(name: str) -> tuple[str, str] | None:
    """(environment, reason) from a dotenv file name, or None when it says nothing."""
    name = name.lower()
    if name == ".env":
        return "production", "`.env` is loaded in every mode, production included"
    if name == ".env.local":
        return "local", "`.env.local` holds a developer's local overrides"
    m = _DOTENV_MODE.match(name)
    if m is None:
        # `<word>.env` is as often a service's file (`api.env`, loaded by `env_file:`) as an
        # environment's: only a word that spells an environment names one; otherwise the file
        # is what its path makes it (production by default), never a made-up "api" environment
        m = _DOTENV_SUFFIX.match(name)
        if m is None or environments.known(m.group("mode")) is None:
            return None
    mode = m.group("mode")
    env = environments.normalise(mode)
    return env, f"file name `{name}` names the {env} environment"


#: A file named after one of these alone (`template.json`, `local.json`, `review.json`) says nothing: a bare
#: stem is a page route (`.next/server/pages/template.json`) or AWS SAM's `template.yaml`.
_NOT_BY_STEM = ("example", "local", "preview", "review")
_CONFIG_EXT = re.compile(r"\.(?:json|jsonc|json5|ya?ml|m?js|cjs|ts|html?|toml|ini|conf|txt)$")


def config_environment(name: str, kind: str) -> tuple[str, str] | None:
    """(environment, reason) from a per-environment config file name: `config.staging.json`,
    `env.production.js`, `appsettings.Development.json`, `settings.dev.yaml`, and for JSON
    and YAML a file named after the environment alone (`config/staging.json`)."""
    named = _name_env(kind)
    if not named:
        return None
    m = _CONFIG_EXT.search(name)
    if not m:
        return None
    stem = name[:m.start()].lower()
    parts = stem.split(".")
    # exact spellings only: a bundle chunk `app.dev-tools.js` is not a development file
    token = parts[-1] if len(parts) > 1 else (stem if named == "stem" else "")
    env = environments.alias(token) if token else None
    if env is None and named == "stem" and "-" in parts[-1]:
        # a config file named per environment with a hyphen (`service-staging.yaml`,
        # `deployment-prod.yml`); build output (kinds named by "part") never reads hyphens:
        # a chunk `app.dev-tools.js` or `chunk-dev.js` is not a development file
        token = parts[-1].rsplit("-", 1)[1]
        env = None if token in _NOT_HYPHEN_NAMES else environments.alias(token)
    if env is None or token == "dist":
        return None
    if len(parts) == 1 and env in _NOT_BY_STEM:
        return None  # `template.json`, `local.json`: page routes and SAM templates, not roles
    return env, f"file name `{name}` names the {env} environment"


@functools.lru_cache(maxsize=None)
def _name_env(kind: str) -> str:
    """The kind's ``name_env`` ("" for an unknown kind): asked once per file of a tree."""
    try:
        return get(kind).name_env
    except KeyError:
        return ""


@functools.lru_cache(maxsize=None)
def _path_env(kind: str) -> Callable[[str], tuple[str, str] | None] | None:
    try:
        return get(kind).path_env
    except KeyError:
        return None


def kind_path_environment(path: str, kind: str) -> tuple[str, str] | None:
    """(environment, reason) from the directories of a kind laid out per environment (a
    kustomize overlay), or None."""
    by_path = _path_env(kind)
    return by_path(path.replace("\\", "/")) if by_path is not None else None


#: Hyphenated last words that name a file's shape, not its environment (`deploy-template.yaml`).
_NOT_HYPHEN_NAMES = ("template", "defaults", "dist", "ci")


class GlobRule:
    """Path globs (gitignore syntax) → environment; picklable for worker processes."""

    def __init__(self, environments: dict[str, str]):
        self.environments = dict(environments)
        self._specs: list | None = None  # compiled on first use (pathspec may hold Hyperscan state)

    def __getstate__(self) -> dict:
        return {"environments": self.environments, "_specs": None}

    def __call__(self, path: str, kind: str) -> tuple[str, str] | None:
        if self._specs is None:
            from .globs import gitignore_spec

            self._specs = [(gitignore_spec([g]), g, e) for g, e in self.environments.items()]
        p = path.replace("\\", "/")  # display paths are normalised: no leading ./
        for spec, glob, env in self._specs:
            if spec.match_file(p):
                return environments.normalise(env), f"config `environments`: `{glob}` → {env}"
        return None


class PathRule:
    """Exact paths → (environment, reason), e.g. env files a compose file loads."""

    def __init__(self, paths: dict[str, tuple[str, str]]):
        self.paths = paths

    def __call__(self, path: str, kind: str) -> tuple[str, str] | None:
        return self.paths.get(path)


class PrefixRule:
    """Directories → (environment, reason) for every file below them (kustomize bases)."""

    def __init__(self, dirs: dict[str, tuple[str, str]]):
        self.dirs = dirs

    def __call__(self, path: str, kind: str) -> tuple[str, str] | None:
        p = path.replace("\\", "/")
        for d, answer in self.dirs.items():
            if p.startswith(d.rstrip("/") + "/"):
                return answer
        return None


@dataclass(frozen=True)
class Classifier:
    """Decide each file's Target from its path and the run's settings."""

    environment: str | None = None  # --environment: what the whole run is
    production_environments: Sequence[str] = DEFAULT_PRODUCTION
    rules: Sequence[Callable[[str, str], tuple[str, str] | None]] = ()  # (path, kind) -> (env, reason)

    @classmethod
    def from_globs(cls, environments: dict[str, str], **kw) -> "Classifier":
        """`environments:` config: gitignore-style globs → environment name, first match wins."""
        return cls(rules=(GlobRule(environments),), **kw) if environments else cls(**kw)

    @staticmethod
    def normalise(env: str) -> str:
        return environments.normalise(env)

    def is_production(self, env: str) -> bool:
        return environments.is_production(env, self.production_environments)

    @staticmethod
    def head_of(fs_path: str, data: bytes | None = None) -> Callable[[], bytes]:
        """The file's first bytes for a kind that claims a generic name by content
        (`template.yaml`), read only when such a kind asks, at most once."""
        cache: list[bytes] = []

        def head() -> bytes:
            if not cache:
                if data is not None:
                    cache.append(data[:HEAD_BYTES])
                else:
                    try:
                        with open(fs_path, "rb") as f:
                            cache.append(f.read(HEAD_BYTES))
                    except OSError:  # unreadable: the read step reports it
                        cache.append(b"")
            return cache[0]

        return head

    def classify(self, path: str, head: Callable[[], bytes] | None = None) -> Target:
        """*head*, when given, reads the file's first bytes (generic names claimed by content)."""
        kind = artifact_kind(path, head)
        if self.environment:
            env = environments.normalise(self.environment)
            return Target(kind, env, self.is_production(env), f"--environment {self.environment}")
        for rule in self.rules:
            answer = rule(path, kind)
            if answer:
                return Target(kind, answer[0], self.is_production(answer[0]), answer[1])
        name = base_name(path)
        if kind == "dotenv":
            answer = dotenv_environment(name)
            if answer:
                return Target(kind, answer[0], self.is_production(answer[0]), answer[1])
        answer = config_environment(name, kind) or kind_path_environment(path, kind)
        if answer:
            return Target(kind, answer[0], self.is_production(answer[0]), answer[1])
        return _by_default(kind)


@functools.lru_cache(maxsize=None)
def _by_default(kind: str) -> Target:
    """The target of a path nothing else classifies: one (frozen) Target per kind, not one per file."""
    return Target(kind, "production", True, "every path named is a production target")
