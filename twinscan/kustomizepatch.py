"""Kustomize's patch semantics on plain trees (dicts, lists, YAML scalar nodes): target selection,
strategic merge (merge keys, `null` deletes, `$patch: delete|replace`) and JSON 6902 operations.

Split from kustomize.py (which reads the files and runs a build in kustomize's order); the
trees' leaves are the scalars of the files they were read from, so values keep their origin.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import yaml

from .extract.yamlshape import text_of

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
class Resource:
    tree: dict
    names: set[str]  # every name it had (patches match the names before a prefix too)


def copy_tree(tree: Any) -> Any:
    """A copy of the dicts and lists; the scalar leaves (and so their origins) are shared."""
    if isinstance(tree, dict):
        return {k: copy_tree(v) for k, v in tree.items()}
    if isinstance(tree, list):
        return [copy_tree(v) for v in tree]
    return tree


def scalar(value: str) -> yaml.ScalarNode:
    return yaml.ScalarNode(_STR, value)


def _is_null(node: Any) -> bool:
    return isinstance(node, yaml.ScalarNode) and node.tag == _NULL


def written(patch: Any) -> list[tuple[str, Any]]:
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


def items_of(doc: Any) -> list[dict]:
    if not isinstance(doc, dict):
        return []
    if kind_of(doc).endswith("list") and isinstance(doc.get("items"), list):
        return [i for i in doc["items"] if isinstance(i, dict)]
    return [doc]


def kind_of(tree: dict) -> str:
    return (text_of(tree.get("kind")) or "").lower()


def name_of(tree: dict) -> str:
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


def apply_patch(patch: Any, target: dict | None, res: list[Resource]) -> None:
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
        target = {k: scalar(re.escape(text_of(v) or "")) for k, v in target.items()}
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
                into[k] = copy_tree({kk: vv for kk, vv in v.items() if not kk.startswith("$")})
            else:
                _merge(into[k], v)
        elif isinstance(v, list) and MERGE_KEYS.get(k) and isinstance(into.get(k), list):
            into[k] = _merge_list(into[k], v, MERGE_KEYS[k])
        else:
            into[k] = copy_tree(v)


def _merge_list(current: list, patch: list, key: str) -> list:
    out = list(current)
    for item in patch:
        if not isinstance(item, dict):
            continue
        if text_of(item.get("$patch")) == "replace":
            return [copy_tree({k: v for k, v in i.items() if k != "$patch"}) for i in patch if isinstance(i, dict)]
        ident = text_of(item.get(key))
        same = [i for i, cur in enumerate(out) if isinstance(cur, dict) and ident is not None and text_of(cur.get(key)) == ident]
        if text_of(item.get("$patch")) == "delete":
            out = [cur for i, cur in enumerate(out) if i not in same]
        elif same:
            _merge(out[same[0]], item)
        else:
            out.append(copy_tree(item))
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
            value = copy_tree(_walk(tree, src))
            if name == "move":
                _remove(tree, src)
            _add(tree, parts, value, replace=False)
        elif name == "remove":
            _remove(tree, parts)
        elif name in ("add", "replace"):
            if "value" not in op:
                raise KustomizeError(f"`{name}` {path} has no value")
            if not parts:
                tree = copy_tree(op["value"])
                continue
            _add(tree, parts, copy_tree(op["value"]), replace=name == "replace")
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
