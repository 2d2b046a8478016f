"""Configuration: `--config FILE`, or the nearest `twinscan.yaml`, `.twinscan.yaml` or
`[tool.twinscan]` in `pyproject.toml`, looked for from the scanned paths up to the
repository root. Unknown keys and invalid values are errors that name the key and file.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any, Sequence

from .errors import ConfigError  # raised here; importable from here as before

CONFIG_NAMES = ("twinscan.yaml", ".twinscan.yaml", "pyproject.toml")
IGNORE_NAME = ".twinscanignore"


@dataclass
class Config:
    """The settings of `twinscan.yaml`, `.twinscan.yaml` or `[tool.twinscan]` in pyproject.toml; defaults where it is silent."""

    path: str | None = None
    twin_urls: list[str] = field(default_factory=list)
    exclude: list[str] = field(default_factory=list)
    respect_gitignore: bool = False
    follow_symlinks: bool = False
    allow_empty: bool = False  # a production directory with no file in it is a clean pass (--allow-empty)
    environment: str | None = None
    production_environments: list[str] = field(default_factory=lambda: ["production", "prod", "live"])
    ignore_files: list[tuple[str, list[str]]] = field(default_factory=list)
    environments: dict[str, str] = field(default_factory=dict)  # glob -> environment
    services: dict = field(default_factory=dict)  # name -> services.Service (added to the defaults)
    ignore: list = field(default_factory=list)  # suppress.IgnoreEntry, in file order
    baseline: str | None = None  # baseline file, resolved against the config file's directory
    fail_on: str | None = None  # "error" or "warning": the lowest rule severity that blocks
    artifacts: list[str] = field(default_factory=list)  # build output for `--artifacts`, relative to the config file
    roles: Any = None  # roles.RoleBook with the `roles:` entries first; None: the built-in book
    strict: bool = False  # no roles: every hit in a production target is judged as a service setting


def _str_list(value: Any, key: str, where: str) -> list[str]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise ConfigError(f"{where}: `{key}` must be a list of non-empty strings")
    return list(value)


def _bool(value: Any, key: str, where: str) -> bool:
    if not isinstance(value, bool):
        raise ConfigError(f"{where}: `{key}` must be true or false")
    return value


def _str(value: Any, key: str, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{where}: `{key}` must be a non-empty string")
    return value


def _env_map(value: Any, key: str, where: str) -> dict[str, str]:
    if not isinstance(value, dict) or not all(isinstance(k, str) and isinstance(v, str) and k and v for k, v in value.items()):
        raise ConfigError(f"{where}: `{key}` must map path globs to environment names, e.g. `deploy/prod/**: production`")
    from .walk import glob_problem

    for g in value:
        problem = glob_problem(g)
        if problem:
            raise ConfigError(f"{where}: `{key}`: '{g}' {problem}")
    return dict(value)


def _services(value: Any, key: str, where: str) -> dict:
    from .services import ServiceError, parse_services

    try:
        return parse_services(value, where)
    except ServiceError as exc:
        raise ConfigError(str(exc)) from None


def _globs(value: Any, key: str, where: str) -> list[str]:
    """Gitignore-syntax globs; one git would silently ignore (`[` never closed, …) is an error."""
    from .walk import glob_problem

    globs = _str_list(value, key, where)
    for g in globs:
        problem = glob_problem(g)
        if problem:
            raise ConfigError(f"{where}: `{key}`: '{g}' {problem}")
    return globs


def _ignore(value: Any, key: str, where: str) -> list:
    from .suppress import parse_ignore
    from .walk import glob_problem

    for n, item in enumerate(value if isinstance(value, list) else [], 1):  # before pathspec compiles them
        path = item.get("path") if isinstance(item, dict) else None
        problem = isinstance(path, str) and path.strip() and glob_problem(path.strip())
        if problem:
            raise ConfigError(f"{where}: `{key}` entry #{n}: `path` '{path.strip()}' {problem}")
    return parse_ignore(value, where)


def _baseline(value: Any, key: str, where: str) -> str:
    return os.path.join(os.path.dirname(where), _str(value, key, where))


def _fail_on(value: Any, key: str, where: str) -> str:
    if value not in ("error", "warning"):
        raise ConfigError(f"{where}: `{key}` must be `error` or `warning`")
    return value


def _roles(value: Any, key: str, where: str):
    from .roles import RoleError, with_config

    try:
        return with_config(value, where)
    except RoleError as exc:
        raise ConfigError(str(exc)) from None


def _artifacts(value: Any, key: str, where: str) -> list[str]:
    base = os.path.dirname(where)
    return [os.path.normpath(os.path.join(base, p)) for p in _str_list(value, key, where)]


_KEYS = {
    "twin_urls": _str_list, "exclude": _globs, "respect_gitignore": _bool,
    "follow_symlinks": _bool, "environment": _str, "production_environments": _str_list,
    "environments": _env_map, "services": _services, "ignore": _ignore, "baseline": _baseline,
    "fail_on": _fail_on, "artifacts": _artifacts, "roles": _roles, "strict": _bool, "allow_empty": _bool,
}


def from_mapping(data: Any, where: str) -> Config:
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"{where}: the configuration must be a mapping of keys to values")
    cfg = Config(path=where)
    for key, value in data.items():
        check = _KEYS.get(str(key).replace("-", "_"))
        if check is None:
            known = ", ".join(sorted(_KEYS))
            raise ConfigError(f"{where}: unknown key `{key}` (known keys: {known})")
        setattr(cfg, str(key).replace("-", "_"), check(value, str(key), where))
    if cfg.twin_urls:
        from .rulepack import RuleError, twin_url_pattern

        for spec in cfg.twin_urls:
            try:
                twin_url_pattern(spec)
            except RuleError as exc:
                raise ConfigError(f"{where}: `twin_urls`: {exc}") from None
    return cfg


def load_file(path: str) -> Config:
    try:
        with open(path, "rb") as f:
            raw = f.read()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read config: {exc.strerror or exc}") from None
    if path.endswith(".toml"):
        try:
            import tomllib
        except ImportError:  # Python 3.10
            import tomli as tomllib  # type: ignore[no-redef]
        try:
            doc = tomllib.loads(raw.decode("utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{path}: invalid TOML: {exc}") from None
        section = doc.get("tool", {}).get("twinscan")
        if section is None and os.path.basename(path) == "pyproject.toml":
            raise ConfigError(f"{path}: no [tool.twinscan] section")
        return from_mapping(section if section is not None else doc, path)
    import yaml

    try:
        data = yaml.load(raw, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # noqa: S506
    except (yaml.YAMLError, ValueError) as exc:  # ValueError: a date such as 2027-02-30
        raise ConfigError(f"{path}: invalid YAML: {exc}") from None
    return from_mapping(data, path)


def _has_tool_section(path: str) -> bool:
    try:
        with open(path, "rb") as f:
            return b"[tool.twinscan" in f.read()
    except OSError:
        return False


def search_dirs(paths: Sequence[str]) -> list[str]:
    """Directories from the common ancestor of the paths up to the repository root."""
    dirs = []
    for p in paths or ["."]:
        p = os.path.abspath(p)
        dirs.append(p if os.path.isdir(p) else os.path.dirname(p))
    d = os.path.commonpath(dirs)
    out = []
    while True:
        out.append(d)
        if os.path.exists(os.path.join(d, ".git")) or os.path.dirname(d) == d:
            return out
        d = os.path.dirname(d)


def discover(paths: Sequence[str], explicit: str | None) -> Config:
    dirs = search_dirs(paths)
    cfg = None
    if explicit:
        cfg = load_file(explicit)
    else:
        for d in dirs:
            for name in CONFIG_NAMES:
                candidate = os.path.join(d, name)
                if os.path.isfile(candidate) and (name != "pyproject.toml" or _has_tool_section(candidate)):
                    cfg = load_file(candidate)
                    break
            if cfg:
                break
    cfg = cfg or Config()
    for d in dirs:
        ignore = os.path.join(d, IGNORE_NAME)
        if os.path.isfile(ignore):
            try:
                with open(ignore, encoding="utf-8", errors="replace") as f:
                    cfg.ignore_files.append((d, f.read().splitlines()))
            except OSError as exc:
                raise ConfigError(f"{ignore}: cannot read: {exc.strerror}") from None
    return cfg
