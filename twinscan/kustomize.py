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
import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from .extract.values import ExtractError, Options
from .extract.yamlshape import text_of
from .formats.yamlnodes import load
from .reader import Limits, NotText, Opened, ReadError

NAMES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
MAX_DEPTH = 20  # nested kustomizations (kustomize itself has no limit; cycles are refused)
MAX_FILES = 2000  # files read by one build
_NULL = "tag:yaml.org,2002:null"
_STR = "tag:yaml.org,2002:str"
#: Strategic-merge keys of the lists a patch merges item by item (other lists are replaced).
MERGE_KEYS = {"containers": "name", "initContainers": "name", "ephemeralContainers": "name", "env": "name",
              "volumes": "name", "volumeMounts": "mountPath", "ports": "containerPort", "imagePullSecrets": "name",
              "hostAliases": "ip", "tolerations": "key"}


class KustomizeError(Exception):
    """A kustomization this renderer cannot build (kustomize would refuse it too, or it needs
    what is not rendered here)."""


@dataclass
class Origin:
    """Where a rendered scalar was written: the file and its 1-based line."""
    path: str
    line: int
    how: str  # "resource", "patch", "generator literal", "generator env file"


@dataclass
class Resource:
    tree: dict
    names: set[str]  # every name it had (patches match the names before a prefix too)


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


def _copy(tree: Any) -> Any:
    """A copy of the dicts and lists; the scalar leaves (and so their origins) are shared."""
    if isinstance(tree, dict):
        return {k: _copy(v) for k, v in tree.items()}
    if isinstance(tree, list):
        return [_copy(v) for v in tree]
    return tree


def _scalar(value: str) -> yaml.ScalarNode:
    return yaml.ScalarNode(_STR, value)


def _is_null(node: Any) -> bool:
    return isinstance(node, yaml.ScalarNode) and node.tag == _NULL


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
            for tree in _items(doc):
                out.append(Resource(tree, {_name(tree)}))
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
                    meta["namespace"] = _scalar(ns)
        for key, where in (("namePrefix", 0), ("nameSuffix", 1)):
            fix = text_of(doc.get(key))
            for r in res if fix else ():
                meta = r.tree.get("metadata")
                name = _name(r.tree)
                if isinstance(meta, dict) and name:
                    meta["name"] = _scalar(fix + name if where == 0 else name + fix)
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
                        leaf = _scalar(value)
                        o = self._origin_of(path, node)
                        self.b.origins[id(leaf)] = Origin(path, o, "generator literal")
                        data[key.strip()] = leaf
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
                        leaf = _scalar(v.value)
                        self.b.origins[id(leaf)] = Origin(env_path, text.count(b"\n", 0, v.start) + 1, "generator env file")
                        data[v.key] = leaf
                behavior = text_of(entry.get("behavior")) or "create"
                existing = [r for r in res if _kind(r.tree) == kind.lower() and name in r.names]
                if behavior in ("merge", "replace") and existing:
                    for r in existing:
                        if behavior == "replace" or not isinstance(r.tree.get(data_key), dict):
                            r.tree[data_key] = dict(data)
                        else:
                            r.tree[data_key].update(data)
                    continue
                if behavior in ("merge", "replace"):
                    self.b.notes.append((path, f"{gen} `{name}` has behavior: {behavior} but no base defines it"))
                meta: dict = {"name": _scalar(name)}
                if text_of(entry.get("namespace")):
                    meta["namespace"] = entry["namespace"]
                res.append(Resource({"apiVersion": _scalar("v1"), "kind": _scalar(kind), "metadata": meta,
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
            self.b.patch_values += _written(patch)
            try:
                _apply(patch, target, res)
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


def _written(patch: Any) -> list[tuple[str, Any]]:
    """(key, scalar) of the settings a patch writes: `data`/`stringData` entries and `{name, value}`
    env entries of a strategic merge; a JSON 6902 operation's value under the key its path ends with."""
    out: list[tuple[str, Any]] = []

    def walk(tree: Any, key: str | None) -> None:
        if isinstance(tree, yaml.ScalarNode):
            if key and tree.tag != _NULL:
                out.append((key, tree))
        elif isinstance(tree, list):
            for item in tree:
                walk(item, None)
        elif isinstance(tree, dict):
            if text_of(tree.get("name")) and isinstance(tree.get("value"), yaml.ScalarNode):
                out.append((text_of(tree["name"]) or "", tree["value"]))
                return
            for k, v in tree.items():
                if k in ("data", "stringData") and isinstance(v, dict):
                    out.extend((kk, vv) for kk, vv in v.items() if isinstance(vv, yaml.ScalarNode))
                else:
                    walk(v, None)

    if isinstance(patch, list):
        for op in patch:
            if isinstance(op, dict) and "value" in op:
                last = (text_of(op.get("path")) or "").rsplit("/", 1)[-1].replace("~1", "/").replace("~0", "~")
                if isinstance(op["value"], yaml.ScalarNode):
                    if last and not last.isdigit() and last != "-":
                        out.append((last, op["value"]))
                else:
                    walk(op["value"], None)
                    if isinstance(op["value"], dict) and last in ("data", "stringData"):
                        out.extend((k, v) for k, v in op["value"].items() if isinstance(v, yaml.ScalarNode))
    else:
        walk(patch, None)
    return out


def _items(doc: Any) -> list[dict]:
    if not isinstance(doc, dict):
        return []
    if _kind(doc).endswith("list") and isinstance(doc.get("items"), list):
        return [i for i in doc["items"] if isinstance(i, dict)]
    return [doc]


def _kind(tree: dict) -> str:
    return (text_of(tree.get("kind")) or "").lower()


def _name(tree: dict) -> str:
    meta = tree.get("metadata")
    return (text_of(meta.get("name")) if isinstance(meta, dict) else None) or ""


def _namespace(tree: dict) -> str | None:
    meta = tree.get("metadata")
    return text_of(meta.get("namespace")) if isinstance(meta, dict) else None


def _regex(pattern: str, text: str) -> bool:
    try:
        return re.fullmatch(pattern, text) is not None
    except re.error:
        return pattern == text


def _labels_match(selector: str, labels: Any) -> bool:
    """`a=b,c!=d,e` equality selectors; set-based ones (`in (…)`) are not supported: no match."""
    have = {k: text_of(v) for k, v in labels.items()} if isinstance(labels, dict) else {}
    for term in filter(None, (t.strip() for t in selector.split(","))):
        if " " in term or "(" in term:
            return False
        if "!=" in term:
            k, _, v = term.partition("!=")
            if have.get(k.strip()) == v.strip():
                return False
        elif "=" in term:
            k, _, v = term.lstrip("=").partition("=")
            if have.get(k.strip().rstrip("=")) != v.strip().lstrip("="):
                return False
        elif term.startswith("!"):
            if term[1:] in have:
                return False
        elif term not in have:
            return False
    return True


def _matches(r: Resource, target: dict) -> bool:
    t = {k: text_of(v) for k, v in target.items() if text_of(v) is not None}
    api = text_of(r.tree.get("apiVersion")) or ""
    group, _, version = api.rpartition("/")
    meta = r.tree.get("metadata") if isinstance(r.tree.get("metadata"), dict) else {}
    checks = [
        "kind" not in t or _regex(t["kind"], text_of(r.tree.get("kind")) or ""),
        "name" not in t or any(_regex(t["name"], n) for n in r.names),
        "namespace" not in t or _regex(t["namespace"], _namespace(r.tree) or "default"),
        "group" not in t or _regex(t["group"], group),
        "version" not in t or _regex(t["version"], version),
        "labelSelector" not in t or _labels_match(t["labelSelector"], meta.get("labels")),
        "annotationSelector" not in t or _labels_match(t["annotationSelector"], meta.get("annotations")),
    ]
    return all(checks)


def _apply(patch: Any, target: dict | None, res: list[Resource]) -> None:
    if isinstance(patch, list):  # JSON 6902: a list of operations
        if target is None:
            raise KustomizeError("a JSON 6902 patch needs a `target:`")
        for r in res:
            if _matches(r, target):
                r.tree = _json6902(r.tree, patch)
        return
    if not isinstance(patch, dict):
        return
    if target is None:  # a strategic-merge patch names its target itself
        target = {k: v for k, v in (("kind", patch.get("kind")), ("name", _meta(patch, "name")),
                                    ("namespace", _meta(patch, "namespace"))) if text_of(v)}
        target = {k: _scalar(re.escape(text_of(v) or "")) for k, v in target.items()}
        if "kind" not in target or "name" not in target:
            raise KustomizeError("a strategic-merge patch without `target:` names its kind and metadata.name")
    hit = False
    for r in res:
        if _matches(r, target):
            hit = True
            body = {k: v for k, v in patch.items() if k not in ("apiVersion", "kind")}
            if isinstance(body.get("metadata"), dict):
                body["metadata"] = {k: v for k, v in body["metadata"].items() if k not in ("name", "namespace")}
            _merge(r.tree, body)
    if not hit:
        raise KustomizeError(f"no resource matches {', '.join(f'{k}={text_of(v)}' for k, v in target.items())}")


def _meta(tree: dict, key: str) -> Any:
    meta = tree.get("metadata")
    return meta.get(key) if isinstance(meta, dict) else None


def _merge(into: dict, patch: dict) -> None:
    """A strategic merge: maps merge, `null` deletes, lists with a merge key merge by it, other lists
    are replaced; `$patch: delete|replace` honoured."""
    for k, v in patch.items():
        if k.startswith("$"):
            continue
        if _is_null(v):
            into.pop(k, None)
        elif isinstance(v, dict):
            directive = text_of(v.get("$patch"))
            if directive == "delete":
                into.pop(k, None)
            elif directive == "replace" or not isinstance(into.get(k), dict):
                into[k] = _copy({kk: vv for kk, vv in v.items() if not kk.startswith("$")})
            else:
                _merge(into[k], v)
        elif isinstance(v, list) and MERGE_KEYS.get(k) and isinstance(into.get(k), list):
            into[k] = _merge_list(into[k], v, MERGE_KEYS[k])
        else:
            into[k] = _copy(v)


def _merge_list(current: list, patch: list, key: str) -> list:
    out = list(current)
    for item in patch:
        if not isinstance(item, dict):
            continue
        if text_of(item.get("$patch")) == "replace":
            return [_copy({k: v for k, v in i.items() if k != "$patch"}) for i in patch if isinstance(i, dict)]
        ident = text_of(item.get(key))
        same = [i for i, cur in enumerate(out) if isinstance(cur, dict) and ident is not None and text_of(cur.get(key)) == ident]
        if text_of(item.get("$patch")) == "delete":
            out = [cur for i, cur in enumerate(out) if i not in same]
        elif same:
            _merge(out[same[0]], item)
        else:
            out.append(_copy(item))
    return out


def _pointer(path: str) -> list[str]:
    if path == "":
        return []
    if not path.startswith("/"):
        raise KustomizeError(f"JSON pointer `{path}` does not start with /")
    return [p.replace("~1", "/").replace("~0", "~") for p in path[1:].split("/")]


def _walk(tree: Any, parts: list[str]) -> Any:
    for p in parts:
        if isinstance(tree, dict) and p in tree:
            tree = tree[p]
        elif isinstance(tree, list) and p.isdigit() and int(p) < len(tree):
            tree = tree[int(p)]
        else:
            raise KustomizeError(f"path /{'/'.join(parts)} does not exist")
    return tree


def _json6902(tree: dict, ops: list) -> dict:
    for op in ops:
        if not isinstance(op, dict):
            raise KustomizeError("a JSON 6902 operation is a mapping")
        name, path = text_of(op.get("op")), text_of(op.get("path"))
        if name is None or path is None:
            raise KustomizeError("a JSON 6902 operation has `op` and `path`")
        parts = _pointer(path)
        if name == "test":
            continue
        if name in ("move", "copy"):
            src = _pointer(text_of(op.get("from")) or "")
            value = _copy(_walk(tree, src))
            if name == "move":
                _remove(tree, src)
            _add(tree, parts, value, replace=False)
        elif name == "remove":
            _remove(tree, parts)
        elif name in ("add", "replace"):
            if "value" not in op:
                raise KustomizeError(f"`{name}` {path} has no value")
            if not parts:
                tree = _copy(op["value"])
                continue
            _add(tree, parts, _copy(op["value"]), replace=name == "replace")
        else:
            raise KustomizeError(f"unknown JSON 6902 op `{name}`")
    return tree


def _add(tree: Any, parts: list[str], value: Any, replace: bool) -> None:
    parent, last = _walk(tree, parts[:-1]), parts[-1]
    if isinstance(parent, dict):
        if replace and last not in parent:
            raise KustomizeError(f"replace {'/'.join(parts)}: no such key")
        parent[last] = value
    elif isinstance(parent, list):
        if last == "-" and not replace:
            parent.append(value)
        elif last.isdigit() and int(last) <= len(parent) - (1 if replace else 0):
            if replace:
                parent[int(last)] = value
            else:
                parent.insert(int(last), value)
        else:
            raise KustomizeError(f"index {last} out of range")
    else:
        raise KustomizeError(f"/{'/'.join(parts)}: not a mapping or list")


def _remove(tree: Any, parts: list[str]) -> None:
    if not parts:
        raise KustomizeError("cannot remove the whole resource")
    parent, last = _walk(tree, parts[:-1]), parts[-1]
    if isinstance(parent, dict) and last in parent:
        del parent[last]
    elif isinstance(parent, list) and last.isdigit() and int(last) < len(parent):
        del parent[int(last)]
    else:
        raise KustomizeError(f"remove /{'/'.join(parts)}: does not exist")


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
