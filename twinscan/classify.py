"""Classify a path: what kind of artifact it is and which environment it belongs to.

Classifiers are tried in order; the first that knows the environment wins.
Later artifact kinds (compose stages, Kubernetes overlays, workflow jobs)
decide per value inside the file; a file-level answer here is their default.
"""
from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass
from typing import Callable, Sequence

from .model import Target

COMPRESSED = (".gz", ".br", ".zst")
_KINDS: tuple[tuple[tuple[str, ...], str], ...] = (
    ((".js", ".mjs", ".cjs", ".jsx", ".ts", ".tsx", ".mts", ".cts"), "javascript"),
    ((".html", ".htm"), "html"),
    ((".map",), "sourcemap"),
    ((".json", ".webmanifest"), "json"),
    ((".yml", ".yaml"), "yaml"),
    ((".rsc", ".txt", ".css", ".svg", ".xml"), "text"),
)

#: Environment aliases found in file names, normalised.
ALIASES = {
    "production": "production", "prod": "production", "prd": "production", "live": "production",
    "development": "development", "dev": "development", "develop": "development",
    "test": "test", "testing": "test", "ci": "test",
    "staging": "staging", "stage": "staging", "stg": "staging",
    "example": "example", "sample": "example", "template": "example", "defaults": "example", "dist": "example",
    "local": "local",
}
DEFAULT_PRODUCTION = ("production", "prod", "live")
_DOTENV_MODE = re.compile(r"^\.env\.(?P<mode>[a-z0-9_-]+)(?:\.local)?$")
_DOTENV_SUFFIX = re.compile(r"^(?:.*\.)?(?P<mode>[a-z0-9_-]+)\.env$")


def base_name(path: str) -> str:
    """The file name, lower case, without a compression suffix (`app.js.gz` → `app.js`)."""
    name = posixpath.basename(path.replace("\\", "/")).lower()
    for ext in COMPRESSED:
        if name.endswith(ext) and len(name) > len(ext):
            return name[: -len(ext)]
    return name


def artifact_kind(path: str) -> str:
    name = base_name(path)
    if name == ".env" or name.startswith(".env.") or name.endswith(".env"):
        return "dotenv"
    if name == "dockerfile" or name.startswith("dockerfile.") or name.endswith(".dockerfile"):
        return "dockerfile"
    if name.endswith((".yml", ".yaml")):
        p = "/" + path.replace("\\", "/").lower()
        if name.startswith(("docker-compose", "compose.", "compose-")):
            return "compose"
        if ("/.github/workflows/" in p or name == ".gitlab-ci.yml" or p.endswith("/.circleci/config.yml")
                or name == "bitbucket-pipelines.yml"):
            return "workflow"
    for exts, kind in _KINDS:
        if name.endswith(exts):
            return kind
    return "text"


def dotenv_environment(name: str) -> tuple[str, str] | None:
    """(environment, reason) from a dotenv file name, or None when it says nothing."""
    name = name.lower()
    if name == ".env":
        return "production", "`.env` is loaded in every mode, production included"
    if name == ".env.local":
        return "local", "`.env.local` holds a developer's local overrides"
    m = _DOTENV_MODE.match(name) or _DOTENV_SUFFIX.match(name)
    if not m:
        return None
    mode = m.group("mode")
    env = ALIASES.get(mode, mode)
    return env, f"file name `{name}` names the {env} environment"


_NAMED_ENV_KINDS = ("json", "javascript", "yaml", "html", "text")
_CONFIG_EXT = re.compile(r"\.(?:json|jsonc|json5|ya?ml|m?js|cjs|ts|html?|toml|ini|conf|txt)$")


def config_environment(name: str, kind: str) -> tuple[str, str] | None:
    """(environment, reason) from a per-environment config file name: `config.staging.json`,
    `env.production.js`, `appsettings.Development.json`, `settings.dev.yaml`, and for JSON
    and YAML a file named after the environment alone (`config/staging.json`)."""
    if kind not in _NAMED_ENV_KINDS:
        return None
    m = _CONFIG_EXT.search(name)
    if not m:
        return None
    stem = name[:m.start()].lower()
    parts = stem.split(".")
    token = parts[-1] if len(parts) > 1 else (stem if kind in ("json", "yaml") else "")
    env = ALIASES.get(token)
    if env is None or token == "dist":
        return None
    return env, f"file name `{name}` names the {env} environment"


class GlobRule:
    """Path globs (gitignore syntax) → environment; picklable for worker processes."""

    def __init__(self, environments: dict[str, str]):
        self.environments = dict(environments)
        self._specs: list | None = None  # compiled on first use (pathspec may hold Hyperscan state)

    def __getstate__(self) -> dict:
        return {"environments": self.environments, "_specs": None}

    def __call__(self, path: str, kind: str) -> tuple[str, str] | None:
        if self._specs is None:
            import pathspec

            self._specs = [(pathspec.GitIgnoreSpec.from_lines([g]), g, e) for g, e in self.environments.items()]
        p = path.replace("\\", "/")  # display paths are normalised: no leading ./
        for spec, glob, env in self._specs:
            if spec.match_file(p):
                return ALIASES.get(env.lower(), env.lower()), f"config `environments`: `{glob}` → {env}"
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
        return ALIASES.get(env.lower(), env.lower())

    def is_production(self, env: str) -> bool:
        prod = {ALIASES.get(e, e) for e in self.production_environments} | set(self.production_environments)
        return env in prod

    def classify(self, path: str) -> Target:
        kind = artifact_kind(path)
        if self.environment:
            env = ALIASES.get(self.environment.lower(), self.environment.lower())
            return Target(kind, env, self.is_production(env), f"--environment {self.environment}")
        for rule in self.rules:
            answer = rule(path, kind)
            if answer:
                return Target(kind, answer[0], self.is_production(answer[0]), answer[1])
        if kind == "dotenv":
            answer = dotenv_environment(base_name(path))
            if answer:
                return Target(kind, answer[0], self.is_production(answer[0]), answer[1])
        answer = config_environment(base_name(path), kind)
        if answer:
            return Target(kind, answer[0], self.is_production(answer[0]), answer[1])
        return Target(kind, "production", True, "every path named is a production target")
