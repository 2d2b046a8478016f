"""Roles: what a hit is *for*, decided from data in ``rules/roles.yaml`` and config ``roles:``.

A twin URL in a production target blocks only in the ``service`` role (where the app sends
its API calls). A loopback URL in a healthcheck, a sidecar endpoint, a comment, a README or
a test is reported with its role as the reason. The decision itself is made in
``decide.decide``; this module only answers "which role, and why" from four kinds of
evidence, strongest first:

1. the hit's context: a comment (or a URL inside another URL's fragment) is ``comment``;
2. the file's role: documentation sources, tests and test infrastructure, examples;
3. the value's role, set by the artifact's extractor: a Dockerfile ``HEALTHCHECK``, a compose
   healthcheck, a Kubernetes probe or lifecycle hook (``container-command``);
4. the key: a vendor key is always ``service``; else a sidecar or proxy key pattern;
5. library evidence (a curated default, a source map into node_modules/): ``library-default``;

and otherwise ``service``: a hit whose role is unknown fails closed.

Twin evidence (:func:`twin_evidence`) keeps a hit blocking in the roles whose
``evidence_blocks`` is true, so a role never hides a hosted twin or a WonderTwin port.
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass

SERVICE = "service"
COMMENT = "comment"
LIBRARY = "library-default"


@dataclass(frozen=True)
class Role:
    """The role of one hit (test file, healthcheck, sidecar, …) and why it holds."""

    name: str
    reason: str  # why this hit has this role: "test file", "Dockerfile `HEALTHCHECK`", …
    source: str = "rules/roles.yaml"  # where the role came from (a config file for user entries)


@dataclass(frozen=True)
class RoleInfo:
    """What a role means (`describe`) and whether its evidence may block."""

    describe: str
    evidence_blocks: bool


@dataclass(frozen=True)
class _FileEntry:
    """A role given to every hit in the files its globs match."""

    role: str
    reason: str
    globs: tuple[str, ...]
    source: str


@dataclass(frozen=True)
class _KeyEntry:
    """A role given to hits under a key its pattern matches (in the files its globs match, when it has any)."""

    role: str
    reason: str
    pattern: re.Pattern[str] | str  # text: compiled at first use (the built-in book, _parse)
    source: str
    globs: tuple[str, ...] = ()  # only in these files (gitignore syntax); empty: any file


class RoleError(ValueError):
    """An invalid role entry (rules/roles.yaml or config `roles:`)."""


@dataclass(frozen=True)
class RoleBook:
    """The role data of one run: the built-in entries, with config entries first."""

    roles: dict
    files: tuple[_FileEntry, ...]
    keys: tuple[_KeyEntry, ...]

    def info(self, role: str) -> RoleInfo:
        return self.roles.get(role) or self.roles[SERVICE]

    def file_role(self, path: str) -> Role | None:
        """The role a file's path gives every hit in it, or None (`README.md` → documentation)."""
        last = self.__dict__.get("_last_file")  # a file's hits are judged one after another:
        if last is not None and last[0] == path:  # its path is matched against the globs once
            return last[1]
        # a name that is not UTF-8 (surrogate-escaped bytes) is matched with those bytes replaced
        p = path.replace("\\", "/").encode("utf-8", "surrogateescape").decode("utf-8", "replace")
        if "!/" in p:  # inside an archive or image: the member's own path decides
            p = p.rsplit("!/", 1)[1]
        else:
            p = _inside_repository(p)
        role = next((Role(e.role, e.reason, e.source) for e in self.files if _spec(e.globs).match_file(p)), None)
        object.__setattr__(self, "_last_file", (path, role))
        return role

    def key_role(self, key: str | None, path: str = "") -> Role | None:
        """The role a key name gives its value (`OTEL_EXPORTER_OTLP_ENDPOINT` → sidecar), or None;
        an entry with `files:` applies only in those files (`target` in `vite.config.ts`)."""
        if not key:
            return None
        any_key = self._any_key
        if any_key is not None and any_key.fullmatch(key) is None:  # most keys: no entry's pattern
            return None
        p = path.replace("\\", "/").encode("utf-8", "surrogateescape").decode("utf-8", "replace")
        for e in self.keys:
            rx = e.pattern if not isinstance(e.pattern, str) else re.compile(e.pattern, re.I)  # (re keeps it)
            if rx.fullmatch(key) and (not e.globs or _spec(e.globs).match_file(p)):
                return Role(e.role, f"`{key}`: {e.reason}", e.source)
        return None

    @functools.cached_property
    def _any_key(self) -> re.Pattern[str] | None:
        """One expression that fully matches a key when some entry's pattern does (None when the
        patterns cannot be joined), compiled at the first key and kept: a tree of chunks judged
        ~4,000 keys against ten patterns each, one by one (issue 14). The entries are then tried
        in order only for a key it matches; it costs what compiling the ten did."""
        texts = [(e.pattern, re.I) if isinstance(e.pattern, str) else (e.pattern.pattern, e.pattern.flags) for e in self.keys]
        if not texts or any(_BACKREFERENCE.search(text) for text, _ in texts):  # a joined `\\1` would name another group
            return None
        try:  # one alternative per pattern, with its own flags (a group named twice: not joined)
            return re.compile("|".join(f"(?{_flags(flags)}:{text})" for text, flags in texts))
        except (re.error, ValueError):
            return None


_BACKREFERENCE = re.compile(r"\\[1-9]|\(\?P=")
_SCOPED_FLAGS = ((re.ASCII, "a"), (re.IGNORECASE, "i"), (re.MULTILINE, "m"), (re.DOTALL, "s"), (re.VERBOSE, "x"))


def _flags(flags: int) -> str:
    """A pattern's flags as the letters of a scoped group (`(?i:…)`), so that it matches alike inside one."""
    return "".join(letter for flag, letter in _SCOPED_FLAGS if flags & flag)


def _inside_repository(path: str) -> str:
    """The part of a path named absolutely (or with `..`) that role globs may judge: relative to
    the repository (the workspace or git top level, as CI formats write paths), else the file name
    alone. A checkout under `/builds/acme/e2e/` or `/home/runner/work/examples/` must not make
    every file in it a test or an example: directories above the repository say nothing."""
    if not (path.startswith("/") or path.startswith("../") or path == ".." or (len(path) > 2 and path[1] == ":")):
        return path
    import os

    directory, _, name = path.rpartition("/")
    if not directory or name in ("", ".", ".."):
        return _relative(path, os.getcwd()) or os.path.abspath(path).replace("\\", "/").rsplit("/", 1)[-1]
    inside = _relative(directory, os.getcwd())  # once per directory: most hits share a few
    return name if inside is None or inside == "." else f"{inside}/{name}"


@functools.lru_cache(maxsize=256)
def _relative(path: str, cwd: str) -> str | None:
    """*path* relative to the repository root (seen from *cwd*), or None when it is outside."""
    import os

    absolute = os.path.abspath(path)
    base = _root(cwd)
    try:
        inside = os.path.commonpath([base, absolute]) == base
    except ValueError:  # another drive
        inside = False
    return os.path.relpath(absolute, base).replace("\\", "/") if inside else None


@functools.lru_cache(maxsize=8)
def _root(cwd: str) -> str:
    """The repository root seen from *cwd* (the argument keys the cache: tests change directory)."""
    import os

    from .report.locations import root

    return os.path.abspath(root())


@functools.lru_cache(maxsize=64)
def _spec(globs: tuple[str, ...]):
    from .globs import plain_or_gitignore_spec

    return plain_or_gitignore_spec(globs)


def _parse(doc, where: str, base: RoleBook | None = None, compile_keys: bool = True) -> RoleBook:
    """*doc*'s roles and entries (with *base*'s after them). ``compile_keys=False`` keeps each key
    pattern as its text, compiled at its first use (the built-in book: most hits have no key, and
    compiling its ten patterns was ~1.2 ms of every run's first hit; tests compile them all)."""
    if not isinstance(doc, dict):
        raise RoleError(f"{where}: expected a mapping")
    roles = dict(base.roles) if base else {}
    for name, info in (doc.get("roles") or {}).items():
        if not isinstance(info, dict) or not isinstance(info.get("describe"), str):
            raise RoleError(f"{where}: role `{name}` needs `describe`")
        roles[name] = RoleInfo(" ".join(info["describe"].split()), bool(info.get("evidence_blocks", True)))
    files, keys = [], []
    for i, e in enumerate(doc.get("files") or []):
        role, reason = _role_and_reason(e, roles, where, i)
        globs = e.get("globs") or ([e["path"]] if isinstance(e.get("path"), str) else None)
        if not isinstance(globs, list) or not globs or not all(isinstance(g, str) and g.strip() for g in globs):
            raise RoleError(f"{where}: files entry {i + 1}: `globs` must be a non-empty list of globs")
        try:
            _spec(tuple(globs))
        except Exception as exc:  # pathspec's own error types vary by version
            raise RoleError(f"{where}: files entry {i + 1}: invalid glob: {exc}") from None
        files.append(_FileEntry(role, reason, tuple(globs), where))
    for i, e in enumerate(doc.get("keys") or []):
        role, reason = _role_and_reason(e, roles, where, i)
        pattern = e.get("pattern")
        if not isinstance(pattern, str) or not pattern:
            raise RoleError(f"{where}: keys entry {i + 1}: `pattern` is required")
        try:
            rx = re.compile(pattern, re.I) if compile_keys else pattern
        except re.error as exc:
            raise RoleError(f"{where}: keys entry {i + 1}: invalid pattern: {exc}") from None
        only = e.get("files") or []
        if not isinstance(only, list) or not all(isinstance(g, str) and g.strip() for g in only):
            raise RoleError(f"{where}: keys entry {i + 1}: `files` must be a list of globs")
        keys.append(_KeyEntry(role, reason, rx, where, tuple(only)))
    if base:  # config entries are tried before the built-in ones
        return RoleBook(roles, (*files, *base.files), (*keys, *base.keys))
    return RoleBook(roles, tuple(files), tuple(keys))


def _role_and_reason(e, roles: dict, where: str, i: int) -> tuple[str, str]:
    if not isinstance(e, dict):
        raise RoleError(f"{where}: entry {i + 1}: expected a mapping")
    role, reason = e.get("role"), e.get("reason")
    if role not in roles:
        raise RoleError(f"{where}: entry {i + 1}: unknown role {role!r} (one of {', '.join(sorted(roles))})")
    if not isinstance(reason, str) or not reason.strip():
        raise RoleError(f"{where}: entry {i + 1}: `reason` is required (say why the role holds)")
    return role, " ".join(reason.split())


@functools.lru_cache(maxsize=1)
def builtin() -> RoleBook:
    from . import shipped

    return _parse(shipped.load("roles.yaml"), "rules/roles.yaml", compile_keys=False)


def with_config(entries, where: str) -> RoleBook:
    """The built-in book with config `roles:` entries (a list of `{path|globs|key, role, reason}`) first."""
    if not entries:
        return builtin()
    if not isinstance(entries, list):
        raise RoleError(f"{where}: `roles` must be a list of entries")
    files, keys = [], []
    for i, e in enumerate(entries):
        if not isinstance(e, dict):
            raise RoleError(f"{where}: roles entry {i + 1}: expected a mapping")
        unknown = set(e) - {"path", "globs", "key", "role", "reason"}
        if unknown:
            raise RoleError(f"{where}: roles entry {i + 1}: unknown key `{sorted(unknown)[0]}`")
        if ("key" in e) == ("path" in e or "globs" in e):
            raise RoleError(f"{where}: roles entry {i + 1}: give either `path`/`globs` or `key`")
        if "key" in e:
            if not isinstance(e["key"], str) or not e["key"]:
                raise RoleError(f"{where}: roles entry {i + 1}: `key` must be a key name")
            keys.append({"role": e.get("role"), "reason": e.get("reason"), "pattern": re.escape(e["key"])})
        else:
            files.append({k: e.get(k) for k in ("role", "reason", "path", "globs") if k in e})
    return _parse({"files": files, "keys": keys}, where, builtin())


def twin_evidence(rule_id: str, url_host: str, port: int | None, path: str | None, key: str | None,
                  services) -> str | None:
    """Why a hit is a twin whatever its role, or None: a hosted twin, a WonderTwin port, a vendor
    path (`/stripe`), a vendor key, a twin-service host."""
    from .urls import TWIN_PORTS

    if rule_id in ("wondertwin-hosted-url", "org-twin-url"):
        return "a hosted twin"
    if rule_id == "twin-service-url":
        return f"`{url_host}` is a twin service"
    if port is not None and port in TWIN_PORTS:
        return f"port {port} is a WonderTwin default"
    if services is not None:
        svc = services.service_for(key) if key else None
        if svc is not None:
            return f"`{key}` configures {svc.name}"
    segments = [s for s in (path or "").lower().split("/") if s][:2]
    if segments and segments[0] in ("twin", "twins"):
        return f"the path `{path}` names a twin"
    if services is not None and segments:
        names = {svc.name.lower() for svc in services.by_key.values()}
        if segments[0] in names:
            return f"the path `/{segments[0]}` names the vendor {segments[0]}"
    return None


def resolve(book: RoleBook, *, path: str, context: str, key: str | None, value_role: Role | None,
            library: str | None, services) -> Role:
    """The role of one hit, strongest evidence first (see the module docstring); never None:
    a hit whose role is unknown is a service setting."""
    if context == COMMENT:
        return Role(COMMENT, "the URL is in a comment", "context")
    if context == "url-fragment":
        return Role(COMMENT, "the URL is inside another URL's fragment, not where a service points", "context")
    file_role = book.file_role(path)
    if file_role is not None:
        return file_role
    if value_role is not None:
        return value_role
    svc = services.service_for(key) if services is not None and key else None
    if svc is not None:
        return Role(SERVICE, f"`{key}` configures {svc.name}", "rules/services")
    key_role = book.key_role(key, path)
    if key_role is not None:
        return key_role
    if library:
        return Role(LIBRARY, library, "rules/libraries/defaults.yaml")
    return Role(SERVICE, "", "default")


def judge(book: RoleBook, services, *, path: str, context: str, key: str | None, value_role: str | None,
          value_role_reason: str | None, library: str | None, rule_id: str, host: str, port: int | None,
          url_path: str | None) -> tuple[Role, RoleInfo, str | None]:
    """(role, what the role is, twin evidence) of one hit: what ``decide`` needs to judge it."""
    given = Role(value_role, value_role_reason or value_role, "extractor") if value_role else None
    role = resolve(book, path=path, context=context, key=key, value_role=given, library=library, services=services)
    evidence = None
    if role.name != SERVICE:
        evidence = twin_evidence(rule_id, host, port, url_path, key, services)
    return role, book.info(role.name), evidence
