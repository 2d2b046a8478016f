"""docker compose files: each service's `environment:`, `build.args` and `env_file:` values.

Read with ``yaml.compose()`` on a safe loader: nodes with marks, nothing constructed.
Merge keys (``<<: *common``) are resolved by hand, within a budget of node visits
and of expanded document size, so an alias bomb is refused instead of expanded.

Values:

- ``environment:`` in map form (``KEY: value``) and list form (``- KEY=value``), and
  ``build.args`` in both forms: key is the variable, ``value`` the YAML value with
  compose interpolation left as written (the variables are unknown here);
- every ``${VAR:-default}`` / ``${VAR-default}`` default in them: a second Value with
  the same key and ``context="default"``;
- ``env_file:`` paths (string, list, or ``{path: …}`` entries): ``key="env_file"`` and
  ``value`` the path as written, relative to the compose file's directory. This module
  cannot read them; the scan is expected to scan each referenced file as part of this
  file's target;
- ``healthcheck.test`` (string or list form): role ``container-command``, since compose runs
  it inside the service's own container.

Environment comes from the file name only: ``docker-compose.override.yml`` is
development, ``compose.staging.yaml`` staging, …; production names and the plain
``compose.yaml`` leave ``environment`` None so the file's own environment applies.
"""
from __future__ import annotations

import posixpath
import re
from typing import TYPE_CHECKING, Iterator

from ..environments import DEFAULT_PRODUCTION, alias
from .kind import Kind, base_name
from .values import ExtractError, Options, Value
from .yamlshape import is_mapping, is_scalar, is_sequence

if TYPE_CHECKING:
    import yaml

    from ..formats.yamlnodes import YamlText

MAX_NODES = 100_000  # expanded document size (aliases counted every time they are used)
_NAME = re.compile(r"^(?:docker-)?compose((?:\.[a-z0-9_-]+)*)\.ya?ml$")
_DEFAULT = re.compile(r"\$\{[A-Za-z_][A-Za-z0-9_]*(:?-)")
_MERGE = "tag:yaml.org,2002:merge"
CONTAINER_COMMAND = "container-command"  # the role of a value that is a command run inside the container


def _file_environment(path: str) -> tuple[str | None, str | None]:
    name = base_name(path)
    m = _NAME.match(name)
    shown = posixpath.basename(path.replace("\\", "/"))
    if not m:
        return None, None
    parts = [p for p in m.group(1).split(".") if p]
    if "override" in parts:
        return "development", f"`{shown}` is merged only on developer machines"
    for part in parts:
        env = alias(part)
        if env and env != "production" and part not in DEFAULT_PRODUCTION:
            return env, f"file name `{shown}` names the {env} environment"
    return None, None


def _check_size(root: yaml.Node) -> None:
    """Refuse documents whose alias-expanded size exceeds MAX_NODES (or that refer to themselves)."""
    size: dict[int, int] = {}
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    active: set[int] = set()
    while stack:
        node, done = stack.pop()
        if id(node) in size:
            continue
        children = _children(node)
        if done:
            active.discard(id(node))
            size[id(node)] = 1 + sum(size[id(c)] for c in children)
            if size[id(node)] > MAX_NODES:
                raise ExtractError(f"line {node.start_mark.line + 1}: document expands to more than {MAX_NODES} nodes (alias bomb?)")
            continue
        if id(node) in active:
            raise ExtractError(f"line {node.start_mark.line + 1}: recursive alias")
        active.add(id(node))
        stack.append((node, True))
        for child in children:
            if id(child) in active:
                raise ExtractError(f"line {child.start_mark.line + 1}: recursive alias")
            stack.append((child, False))


def _children(node: yaml.Node) -> list[yaml.Node]:
    if is_mapping(node):
        return [n for pair in node.value for n in pair]
    if is_sequence(node):
        return list(node.value)
    return []


def _items(node: yaml.Node) -> Iterator[tuple[str, yaml.Node]]:
    """(key, value node) of a mapping, `<<` merge keys resolved, explicit keys winning."""
    seen: set[str] = set()
    merged: list[yaml.Node] = []
    for key, value in node.value:
        if key.tag == _MERGE or (is_scalar(key) and key.value == "<<" and key.style is None):
            merged += value.value if is_sequence(value) else [value]
        elif is_scalar(key) and key.value not in seen:
            seen.add(key.value)
            yield key.value, value
    for source in merged:
        if is_mapping(source):
            for key_text, value in _items(source):
                if key_text not in seen:
                    seen.add(key_text)
                    yield key_text, value


def _get(node: yaml.Node, key: str) -> yaml.Node | None:
    if is_mapping(node):
        for k, v in _items(node):
            if k == key:
                return v
    return None


class _Reader:
    """Turns scalar nodes into Values located by byte offset."""

    def __init__(self, doc: YamlText, env: str | None, reason: str | None) -> None:
        self.doc = doc
        self.env, self.reason = env, reason

    def span(self, node: yaml.ScalarNode) -> tuple[int, int]:
        """Character span of the scalar's text as written (inside quotes, after a block indicator)."""
        text = self.doc.text
        a, b = node.start_mark.index, node.end_mark.index
        if node.style in ('"', "'"):
            return a + 1, b - 1
        if node.style in ("|", ">"):
            a = text.index("\n", a, b) + 1 if "\n" in text[a:b] else b
            while a < b and text[a] in " \t":
                a += 1
        while b > a and text[b - 1] in " \t\r\n":
            b -= 1
        return a, b

    def value(self, key: str, value: str, a: int, b: int, context: str = "value", role: str | None = None,
              role_reason: str | None = None) -> Value:
        return Value(key, value, self.doc.byte(a), self.doc.byte(b), self.env, self.reason, context, role, role_reason)

    def with_defaults(self, key: str, value: str, a: int, b: int) -> list[Value]:
        """The value and every `${VAR:-default}` / `${VAR-default}` default written in text[a:b]."""
        text = self.doc.text
        found = [self.value(key, value, a, b)]
        for m in _DEFAULT.finditer(text, a, b):
            depth, k = 1, m.end()
            while k < b and depth:
                depth += {"{": 1, "}": -1}.get(text[k], 0)
                k += 1
            if depth == 0:
                found.append(self.value(key, text[m.end() : k - 1].replace("$$", "$"), m.end(), k - 1, "default"))
        return found

    def assignments(self, node: yaml.Node, what: str) -> list[Value]:
        """`environment:` / `build.args` in map or list form."""
        found: list[Value] = []
        if is_mapping(node):
            for key, v in _items(node):
                if is_scalar(v) and v.tag != "tag:yaml.org,2002:null":
                    found += self.with_defaults(key, v.value, *self.span(v))
        elif is_sequence(node):
            for item in node.value:
                if is_scalar(item) and "=" in item.value:
                    key, _, value = item.value.partition("=")
                    a, b = self.span(item)
                    if self.doc.text[a : a + len(key) + 1] == key + "=":
                        a += len(key) + 1  # else (escapes in a quoted item) the whole item
                    found += self.with_defaults(key.strip(), value, a, b)
        elif not (is_scalar(node) and node.tag == "tag:yaml.org,2002:null"):
            raise ExtractError(f"line {node.start_mark.line + 1}: `{what}` must be a mapping or a list")
        return found

    def healthcheck(self, node: yaml.Node, service: str) -> list[Value]:
        """`healthcheck.test` (a string, or a list such as `["CMD", "curl", "-f", "http://localhost/"]`):
        the command runs inside the service's own container, so a loopback URL there is the
        container itself, not where the app sends its API calls."""
        items = node.value if is_sequence(node) else [node]
        why = f"compose `services.{service}.healthcheck.test` (runs inside the container)"
        return [self.value("healthcheck.test", item.value, *self.span(item), role=CONTAINER_COMMAND, role_reason=why)
                for item in items if is_scalar(item) and item.value]

    def env_files(self, node: yaml.Node) -> list[Value]:
        entries = node.value if is_sequence(node) else [node]
        found = []
        for entry in entries:
            if is_mapping(entry):
                entry = _get(entry, "path")
            if is_scalar(entry) and entry.value:
                found.append(self.value("env_file", entry.value, *self.span(entry)))
        return found


def values(data: bytes, path: str, options: Options) -> list[Value]:
    """Every environment value, build arg, default and env_file of every service."""
    env, reason = _file_environment(path)
    from ..formats.yamlnodes import load

    reader = _Reader(load(data), env, reason)  # depth, syntax errors with their line, byte offsets
    docs = reader.doc.roots
    found: list[Value] = []
    for doc in docs:
        if doc is None:
            continue
        _check_size(doc)
        services = _get(doc, "services")
        if services is None:
            continue
        if not is_mapping(services):
            raise ExtractError(f"line {services.start_mark.line + 1}: `services` must be a mapping")
        for name, service in _items(services):
            if not is_mapping(service):
                continue
            if (node := _get(service, "environment")) is not None:
                found += reader.assignments(node, f"services.{name}.environment")
            if (node := _get(service, "env_file")) is not None:
                found += reader.env_files(node)
            health = _get(service, "healthcheck")
            if health is not None and (node := _get(health, "test")) is not None:
                found += reader.healthcheck(node, name)
            build = _get(service, "build")
            if build is not None and (node := _get(build, "args")) is not None:
                found += reader.assignments(node, f"services.{name}.build.args")
    return sorted(set(found), key=lambda v: (v.start, v.end, v.context))


#: docker compose files (`compose.yaml`, `docker-compose.prod.yml`, `compose-dev.yaml`).
KIND = Kind("compose", globs=("docker-compose*.{yml,yaml}", "compose.{yml,yaml}", "compose.*.{yml,yaml}",
                              "compose-*.{yml,yaml}"), values=values)
