"""Render kustomize overlays far enough to know the value of every setting they deploy.

`twinscan services` shows, per environment, the value a service's setting has once the deploy
tool has built it. For kustomize that is `kustomize build overlays/<env>`: the overlay's
resources (its bases built recursively, plus its own files), its components, its
`configMapGenerator` / `secretGenerator` (`literals`, `envs`, `behavior: create|merge|replace`),
its patches (`patchesStrategicMerge`, `patches` with inline `patch: |` or `path:`, strategic
merge or JSON 6902, with or without `target:`, `patchesJson6902`) and `namespace:`.

This is a bounded reimplementation of that subset, not kustomize: no network (remote
resources are skipped, with a note), no plugins, no `helmCharts`, `replacements` or `vars`,
every file read through the project's reader limits and YAML loader (`formats/yamlnodes.py`:
depth and alias bounds), at most :data:`MAX_DEPTH` nested kustomizations and
:data:`MAX_FILES` files per build, cycles refused. Leaves stay the YAML scalar nodes of the
files they were written in, so every rendered value still points at its file and line (an
inline patch's value at its line inside the kustomization).
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

import yaml

from .extract.values import ExtractError, Options
from .extract.yamlshape import text_of
from .formats.yamlnodes import load
from .kustomizepatch import KustomizeError, Resource, apply_patch, items_of, kind_of, name_of, scalar, written
from .reader import Limits, NotText, Opened, ReadError

__all__ = ["NAMES", "KustomizeError", "Origin", "Resource", "Build", "Rendered", "build", "roots", "rendered_values"]

NAMES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
MAX_DEPTH = 20  # nested kustomizations (kustomize itself has no limit; cycles are refused)
MAX_FILES = 2000  # files read by one build


@dataclass
class Origin:
    """Where a rendered scalar was written: the file and its 1-based line."""
    path: str
    line: int
    how: str  # "resource", "patch", "generator literal", "generator env file"


@dataclass
class Build:
    """One overlay rendered: its resources, where each scalar came from, what it read."""
    root: str  # the overlay's directory
    resources: list[Resource] = field(default_factory=list)
    origins: dict[int, Origin] = field(default_factory=dict)
    files: set[str] = field(default_factory=set)
    notes: list[tuple[str, str]] = field(default_factory=list)  # (path, what was not applied)
    #: (key, scalar) of every value a patch writes, whether or not it survives the build: a scan
    #: reads patches one file at a time, and a patch's text is judged by its file's path.
    patch_values: list[tuple[str, Any]] = field(default_factory=list)

    def origin(self, node: Any) -> Origin | None:
        return self.origins.get(id(node))


def kustomization_in(directory: str) -> str | None:
    for name in NAMES:
        path = os.path.join(directory, name)
        if os.path.isfile(path):
            return path
    return None


def references(doc: dict) -> list[str]:
    """The local directories and files a kustomization builds on (`resources`, `bases`, `components`)."""
    out = []
    for key in ("resources", "bases", "components"):
        entries = doc.get(key)
        for ref in map(text_of, entries if isinstance(entries, list) else ()):
            if ref and not _remote(ref):
                out.append(ref)
    return out


def _remote(ref: str) -> bool:
    return "://" in ref or ref.startswith(("github.com/", "git@", "gitlab.com/", "bitbucket.org/")) or "?ref=" in ref


def roots(kustomizations: list[str], limits: Limits) -> list[str]:
    """The kustomization files no other one (of those given) builds on: what `kustomize build` is run on."""
    used: set[str] = set()
    for path in kustomizations:
        try:
            doc = _mapping(path, limits)
        except KustomizeError:
            continue
        here = os.path.dirname(path)
        used |= {os.path.normpath(os.path.join(here, ref)) for ref in references(doc)}
    return [p for p in kustomizations if os.path.normpath(os.path.dirname(p)) not in used]


def _read(path: str, limits: Limits) -> bytes:
    try:
        return Opened(path, limits).text() or b""
    except (ReadError, NotText, OSError) as exc:
        raise KustomizeError(f"{path}: cannot read: {exc}") from None


def _mapping(path: str, limits: Limits) -> dict:
    try:
        parsed = load(_read(path, limits))
        doc = parsed.tree(parsed.roots[0]) if parsed.roots else {}
    except ExtractError as exc:
        raise KustomizeError(f"{path}: {exc}") from None
    if not isinstance(doc, dict):
        raise KustomizeError(f"{path}: a kustomization is a mapping")
    return doc


def build(kustomization: str, limits: Limits | None = None) -> Build:
    """Render the overlay whose kustomization file is *kustomization*. Raises KustomizeError
    when it cannot be built (unreadable or invalid file, cycle, past the bounds)."""
    b = Build(os.path.dirname(kustomization))
    b.resources = _Renderer(b, limits or Limits()).kustomize(os.path.dirname(kustomization), ())
    return b


class _Renderer:
    def __init__(self, b: Build, limits: Limits):
        self.b = b
        self.limits = limits

    # -- files -------------------------------------------------------------------------
    def _load(self, path: str, how: str, inline: tuple[str, Any, Any] | None = None) -> list[Any]:
        """Every document of a YAML file (or of an inline patch: (kustomization, its doc, the node)),
        its scalars registered with their origin."""
        if inline is None:
            if len(self.b.files) >= MAX_FILES:
                raise KustomizeError(f"{path}: the build reads more than {MAX_FILES} files")
            self.b.files.add(path)
            data = _read(path, self.limits)
        else:
            data = inline[2].value.encode("utf-8")
        try:
            parsed = load(data)
            docs = [parsed.tree(r) for r in parsed.roots]
        except ExtractError as exc:
            raise KustomizeError(f"{inline[0] if inline else path}: {exc}") from None
        if inline is None:
            for n in parsed.roots:
                self._register(n, lambda node: Origin(path, data.count(b"\n", 0, parsed.span(node)[0]) + 1, how))
        else:
            outer, node = inline[0], inline[2]
            first = node.start_mark.line + (2 if node.style in ("|", ">") else 1)  # 1-based line of the text's first line
            self._register_all(parsed.roots, lambda n: Origin(outer, first + n.start_mark.line, how))
        return docs

    def _register(self, root: yaml.Node, make) -> None:
        self._register_all([root], make)

    def _register_all(self, roots: list, make) -> None:
        stack = list(roots)
        seen: set[int] = set()
        while stack:
            n = stack.pop()
            if id(n) in seen:
                continue
            seen.add(id(n))
            if isinstance(n, yaml.ScalarNode):
                self.b.origins[id(n)] = make(n)
            elif isinstance(n, yaml.SequenceNode):
                stack += n.value
            elif isinstance(n, yaml.MappingNode):
                stack += [v for _, v in n.value]

    def _resources_of(self, path: str) -> list[Resource]:
        out = []
        for doc in self._load(path, "resource"):
            for tree in items_of(doc):
                out.append(Resource(tree, {name_of(tree)}))
        return out

    # -- kustomizations ---------------------------------------------------------------------
    def kustomize(self, directory: str, stack: tuple[str, ...], into: list[Resource] | None = None) -> list[Resource]:
        directory = os.path.normpath(directory)
        if directory in stack:
            raise KustomizeError(f"{directory}: kustomizations build on each other in a cycle")
        if len(stack) >= MAX_DEPTH:
            raise KustomizeError(f"{directory}: kustomizations nested deeper than {MAX_DEPTH}")
        path = kustomization_in(directory)
        if path is None:
            raise KustomizeError(f"{directory}: no kustomization.yaml")
        if len(self.b.files) >= MAX_FILES:
            raise KustomizeError(f"{path}: the build reads more than {MAX_FILES} files")
        self.b.files.add(path)
        doc = _mapping(path, self.limits)
        self.b.notes += [(path, f"`{k}` is not applied by twinscan") for k in ("helmCharts", "replacements", "vars")
                         if doc.get(k)]
        stack = (*stack, directory)
        res: list[Resource] = list(into or [])  # a component works on what its parent accumulated
        for key in ("resources", "bases"):
            for ref in map(text_of, doc.get(key) if isinstance(doc.get(key), list) else ()):
                if not ref:
                    continue
                if _remote(ref):
                    self.b.notes.append((path, f"remote resource `{ref}` is not fetched"))
                    continue
                target = os.path.normpath(os.path.join(directory, ref))
                if os.path.isdir(target):
                    res += self.kustomize(target, stack)
                elif os.path.isfile(target):
                    res += self._resources_of(target)
                else:
                    raise KustomizeError(f"{path}: resource `{ref}` does not exist")
        for ref in map(text_of, doc.get("components") if isinstance(doc.get("components"), list) else ()):
            if ref and not _remote(ref):
                res = self.kustomize(os.path.join(directory, ref), stack, into=res)
        self._generate(path, doc, res)
        self._patches(path, directory, doc, res, json6902_only=False)
        ns = text_of(doc.get("namespace"))
        if ns:
            for r in res:
                meta = r.tree.setdefault("metadata", {})
                if isinstance(meta, dict):
                    meta["namespace"] = scalar(ns)
        for key, where in (("namePrefix", 0), ("nameSuffix", 1)):
            fix = text_of(doc.get(key))
            for r in res if fix else ():
                meta = r.tree.get("metadata")
                name = name_of(r.tree)
                if isinstance(meta, dict) and name:
                    meta["name"] = scalar(fix + name if where == 0 else name + fix)
                    r.names.add(text_of(meta["name"]) or "")
        self._patches(path, directory, doc, res, json6902_only=True)
        return res

    # -- generators -------------------------------------------------------------------------
    def _generate(self, path: str, doc: dict, res: list[Resource]) -> None:
        from .extract import structured_values

        here = os.path.dirname(path)
        for gen, kind, data_key in (("configMapGenerator", "ConfigMap", "data"), ("secretGenerator", "Secret", "stringData")):
            entries = doc.get(gen)
            for entry in entries if isinstance(entries, list) else ():
                if not isinstance(entry, dict) or not text_of(entry.get("name")):
                    continue
                name = text_of(entry["name"]) or ""
                data: dict = {}
                literals = entry.get("literals")
                for node in literals if isinstance(literals, list) else ():
                    if isinstance(node, yaml.ScalarNode) and "=" in node.value:
                        key, _, value = node.value.partition("=")
                        leaf = scalar(value)
                        o = self._origin_of(path, node)
                        self.b.origins[id(leaf)] = Origin(path, o, "generator literal")
                        data[key.strip()] = leaf
                if entry.get("files"):
                    self.b.notes.append((path, f"{gen} `{name}` `files:` are not read by twinscan"))
                envs = entry.get("envs")
                names = [*(envs if isinstance(envs, list) else ()), *([entry["env"]] if "env" in entry else [])]
                for ref in filter(None, map(text_of, names)):
                    env_path = os.path.normpath(os.path.join(here, ref))
                    if len(self.b.files) >= MAX_FILES:
                        raise KustomizeError(f"{env_path}: the build reads more than {MAX_FILES} files")
                    self.b.files.add(env_path)
                    text = _read(env_path, self.limits)
                    try:
                        values = structured_values("dotenv", text, env_path, Options()) or []
                    except ExtractError as exc:
                        raise KustomizeError(f"{env_path}: {exc}") from None
                    for v in values:
                        leaf = scalar(v.value)
                        self.b.origins[id(leaf)] = Origin(env_path, text.count(b"\n", 0, v.start) + 1, "generator env file")
                        data[v.key] = leaf
                behavior = text_of(entry.get("behavior")) or "create"
                existing = [r for r in res if kind_of(r.tree) == kind.lower() and name in r.names]
                if behavior in ("merge", "replace") and existing:
                    for r in existing:
                        if behavior == "replace" or not isinstance(r.tree.get(data_key), dict):
                            r.tree[data_key] = dict(data)
                        else:
                            r.tree[data_key].update(data)
                    continue
                if behavior in ("merge", "replace"):
                    self.b.notes.append((path, f"{gen} `{name}` has behavior: {behavior} but no base defines it"))
                meta: dict = {"name": scalar(name)}
                if text_of(entry.get("namespace")):
                    meta["namespace"] = entry["namespace"]
                res.append(Resource({"apiVersion": scalar("v1"), "kind": scalar(kind), "metadata": meta,
                                     data_key: data}, {name}))

    def _origin_of(self, path: str, node: yaml.ScalarNode) -> int:
        o = self.b.origins.get(id(node))
        return o.line if o else node.start_mark.line + 1

    # -- patches ------------------------------------------------------------------------------
    def _patches(self, path: str, directory: str, doc: dict, res: list[Resource], json6902_only: bool) -> None:
        """`patchesStrategicMerge` and `patches` (before `namespace:`), or `patchesJson6902` (after),
        in kustomize's order."""
        todo: list[tuple[Any, Any, str]] = []  # (target selector or None, patch document, where)
        if json6902_only:
            for entry in doc.get("patchesJson6902") if isinstance(doc.get("patchesJson6902"), list) else ():
                todo += self._patch_entry(path, directory, entry)
        else:
            for entry in doc.get("patchesStrategicMerge") if isinstance(doc.get("patchesStrategicMerge"), list) else ():
                ref = text_of(entry)
                if ref and "\n" not in ref and not ref.lstrip().startswith(("apiVersion", "kind")):
                    todo += [(None, d, ref) for d in self._load(os.path.normpath(os.path.join(directory, ref)), "patch")]
                elif ref:  # an inline patch written as a string
                    todo += [(None, d, "inline") for d in self._load(path, "patch", inline=(path, doc, entry))]
            for entry in doc.get("patches") if isinstance(doc.get("patches"), list) else ():
                todo += self._patch_entry(path, directory, entry)
        for target, patch, where in todo:
            self.b.patch_values += written(patch)
            try:
                apply_patch(patch, target, res)
            except KustomizeError as exc:
                self.b.notes.append((path, f"patch {where}: {exc}"))

    def _patch_entry(self, path: str, directory: str, entry: Any) -> list[tuple[Any, Any, str]]:
        if not isinstance(entry, dict):
            return []
        target = entry.get("target") if isinstance(entry.get("target"), dict) else None
        if isinstance(entry.get("patch"), yaml.ScalarNode):
            docs = self._load(path, "patch", inline=(path, None, entry["patch"]))
            where = "inline"
        elif text_of(entry.get("path")):
            ref = text_of(entry["path"]) or ""
            docs = self._load(os.path.normpath(os.path.join(directory, ref)), "patch")
            where = ref
        else:
            return []
        return [(target, d, where) for d in docs]


@dataclass
class Rendered:
    """A value the overlay deploys: the extractor's Value and where the scalar was written."""
    key: str
    value: str
    environment: str | None  # from the rendered namespace, else None (the overlay's applies)
    reason: str | None
    origin: Origin


class _Spans:
    """Stands in for a parsed file when the Kubernetes extractor reads a rendered resource: a
    scalar's "span" is its index in :attr:`nodes`, mapped back to its origin afterwards."""

    def __init__(self) -> None:
        self.nodes: list[Any] = []

    def span(self, node: Any) -> tuple[int, int]:
        self.nodes.append(node)
        return len(self.nodes) - 1, len(self.nodes) - 1


def rendered_values(b: Build) -> list[Rendered]:
    """The values of the rendered resources, read by the Kubernetes extractor itself (so a value
    here is exactly what a scan of the rendered manifests would read)."""
    from .extract.kubernetes import _manifest

    out = []
    for r in b.resources:
        spans = _Spans()
        for v in _manifest(spans, r.tree, (None, None)):  # type: ignore[arg-type]
            o = b.origin(spans.nodes[v.start])
            if o is not None:  # a value of the renderer's own making (a namespace) is no setting
                out.append(Rendered(v.key, v.value, v.environment, v.reason, o))
    return out
