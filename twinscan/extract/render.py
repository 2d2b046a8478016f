"""Render Blueprints (`render.yaml`): each service's `envVars` and the env groups they attach.

* `services[]` (and `ungrouped.services[]`) at the root of a Blueprint deploy to its
  production environment; services under `projects[].environments[]` take the environment
  their `name` spells (`staging`, `prod`, `production-eu`), normalised as everywhere.
* An `envVars` entry's `value` is the service's value; its `previewValue` is used only by
  preview environments (pull-request copies enabled with `previews.generation` or the older
  `previewsEnabled`): preview.
* `envVarGroups[]` (root, project or environment) have no environment of their own: a group
  takes the environments of the services that attach it with `- fromGroup: <name>`,
  production first (a group a production service attaches blocks). A group no service in the
  file attaches is linked in the Dashboard: production at the root and project level, the
  environment's own inside an environment.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .. import environments
from .kind import Kind
from .platforms import Env, default_production
from .values import Options, Value
from .yamlshape import is_scalar, text_of

if TYPE_CHECKING:
    from ..formats.yamlnodes import YamlText


def _list(tree: Any, key: str) -> list:
    v = tree.get(key) if isinstance(tree, dict) else None
    return [x for x in v if isinstance(x, dict)] if isinstance(v, list) else []


def values(data: bytes, path: str, options: Options | None = None) -> list[Value]:
    from ..formats.yamlnodes import load

    doc = load(data)
    out: list[Value] = []
    for root in doc.roots:
        tree = doc.tree(root)
        if isinstance(tree, dict):
            out += _blueprint(doc, tree, path)
    return out


def _blueprint(doc: YamlText, tree: dict, path: str) -> list[Value]:
    out: list[Value] = []
    root_env: Env = (None, None)  # the Blueprint's own environment: production unless the file name says otherwise
    root_name = default_production(path, "")[0]
    # scopes: (services, groups visible to them, environment, where)
    root_groups = _list(tree, "envVarGroups") + _list(tree.get("ungrouped"), "envVarGroups")
    scopes: list[tuple[list, list, Env, str]] = [
        (_list(tree, "services") + _list(tree.get("ungrouped"), "services"), root_groups, root_env, "")]
    group_scopes: list[tuple[list, Env, str]] = [(root_groups, root_env, "")]
    for project in _list(tree, "projects"):
        pname = text_of(project.get("name")) or "?"
        pgroups = _list(project, "envVarGroups")
        group_scopes.append((pgroups, root_env, f"project `{pname}` "))
        for e in _list(project, "environments"):
            ename = text_of(e.get("name")) or "?"
            env = environments.normalise(ename)
            where = f"`projects[].environments[]` `{ename}` of project `{pname}`"
            egroups = _list(e, "envVarGroups")
            scopes.append((_list(e, "services"), egroups + pgroups + root_groups, (env, where), where))
            group_scopes.append((egroups, (env, where), f"{where}: "))
    users: dict[int, list[tuple[str, Env]]] = {}  # id(group) -> [(service, env)]
    for services, groups, env, where in scopes:
        for svc in services:
            name = text_of(svc.get("name")) or "?"
            section = f"service `{name}`" + (f" in {where}" if where else "")
            for item in _list(svc, "envVars"):
                ref = text_of(item.get("fromGroup"))
                if ref is not None:
                    group = next((g for g in groups if text_of(g.get("name")) == ref), None)
                    if group is not None:
                        users.setdefault(id(group), []).append((name, env))
                    continue
                why = (f"`envVars` of {section}" + ("" if where else ", a Blueprint's root services deploy to production"))
                out += _entry(doc, item, _reason(path, env, why), path)
    for groups, default, where in group_scopes:
        for group in groups:
            gname = text_of(group.get("name")) or "?"
            attached = users.get(id(group), [])
            prod = [(s, e) for s, e in attached if environments.is_production(e[0] or root_name)]
            if attached:
                svc, env = (prod or attached)[0]
                reason = f"env group `{gname}` is attached with `fromGroup` by service `{svc}` ({env[0] or root_name})"
                env = _reason(path, env, reason)
            else:
                env = _reason(path, default, f"{where}env group `{gname}` is attached by no service in this file "
                                             "(linked in the Dashboard)")
            for item in _list(group, "envVars"):
                out += _entry(doc, item, env, path)
    return out


def _reason(path: str, env: Env, why: str) -> Env:
    """*env* with *why* as its reason; the Blueprint's own environment (None) resolved from the file."""
    return default_production(path, why) if env[0] is None else (env[0], why)


def _entry(doc: YamlText, item: dict, env: Env, path: str) -> list[Value]:
    key = text_of(item.get("key"))
    if key is None:
        return []
    out = []
    for field, field_env in (("value", env), ("previewValue", ("preview", f"`previewValue` of `{key}` is used only "
                                                                          "by preview environments (pull requests)"))):
        node = item.get(field)
        if is_scalar(node):
            start, end = doc.span(node)
            out.append(Value(key, node.value, start, end, environment=field_env[0], reason=field_env[1]))
    return out


KIND = Kind("render", globs=("render.yaml", "render.yml", "render.*.yaml", "render-*.yaml", "*-render.yaml"),
            values=values, label="Render Blueprint")
