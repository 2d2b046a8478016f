"""Serverless Framework `serverless.yml`: function environments, stages and stage parameters.

Values (key = the variable or parameter):
* `provider.environment` (every function) and `functions.<f>.environment`: deployed to the
  stage `serverless deploy --stage …` names. Their environment is `provider.stage` when it
  is a plain name (`stage: dev`), else the file name (`serverless.staging.yml`), else
  production: `stage: ${opt:stage, 'dev'}` (or no stage: the framework's default is `dev`)
  leaves the choice to `serverless deploy --stage prod`, which the file cannot show, so a
  value every stage gets is judged as the production deploy will see it.
* Stage parameters, `params.<stage>.<key>` (and Serverless v4 `stages.<stage>.params.<key>`):
  the stage's environment (`params.prod` → production, `params.staging` → staging).
  `params.default` (`stages.default`) holds what every stage without its own value uses: it
  is production unless every production stage listed sets the key itself (then `nonprod`).
* A variable whose value is exactly `${param:x}` is resolved where it is simple: each stage's
  `x` is a value of that variable, at the parameter's bytes, with the parameter's
  environment, so `STRIPE_API_BASE: ${param:stripeBase}` reads as the vendor setting it is
  in each stage (the reference itself is a value only when no stage sets `x`).
"""
from __future__ import annotations

import re
from typing import TYPE_CHECKING

from ..environments import is_production
from .kind import Kind
from .platformenv import name_env, word_env
from .values import Options, Value
from .yamlshape import is_scalar, text_of

if TYPE_CHECKING:
    from ..formats.yamlnodes import YamlText

_PARAM = re.compile(r"^\$\{param:([A-Za-z0-9_.-]+)\}$")


def _stage_env(stage: str) -> str:
    return word_env(stage) or stage.lower()


def _params(tree: dict) -> dict[str, dict]:
    """stage -> {key: scalar node}, from `params` and `stages.<stage>.params`."""
    out: dict[str, dict] = {}
    for stage, table in (tree.get("params") or {}).items() if isinstance(tree.get("params"), dict) else ():
        if isinstance(table, dict):
            out.setdefault(stage, {}).update({k: v for k, v in table.items() if is_scalar(v)})
    stages = tree.get("stages")
    for stage, body in stages.items() if isinstance(stages, dict) else ():
        table = body.get("params") if isinstance(body, dict) else None
        if isinstance(table, dict):
            out.setdefault(stage, {}).update({k: v for k, v in table.items() if is_scalar(v)})
    return out


def values(data: bytes, path: str, options: Options | None = None) -> list[Value]:
    from ..formats.yamlnodes import load

    doc = load(data)
    root = doc.tree(doc.roots[0]) if doc.roots else None
    if not isinstance(root, dict):
        return []
    provider = root.get("provider") if isinstance(root.get("provider"), dict) else {}
    stage = text_of(provider.get("stage"))
    named = name_env(path, (".yml", ".yaml"))
    if stage and "${" not in stage:
        deploy = (_stage_env(stage), f"`provider.stage: {stage}`")
    elif named and named[0] != "example":
        deploy = (named[0], named[1])
    else:
        deploy = ("production", "deployed to the stage `serverless deploy --stage` names (production by default)")
    params = _params(root)
    prod_stages = [s for s in params if s != "default" and is_production(_stage_env(s))]
    out: list[Value] = []
    referenced: set[tuple[str, str]] = set()
    sections = [("`provider.environment`", provider.get("environment"))]
    functions = root.get("functions")
    for name, fn in functions.items() if isinstance(functions, dict) else ():
        if isinstance(fn, dict):
            sections.append((f"function `{name}` `environment`", fn.get("environment")))
    for where, env in sections:
        for key, node in env.items() if isinstance(env, dict) else ():
            if not is_scalar(node):
                continue
            m = _PARAM.match(node.value.strip())
            resolved = [(s, t[m.group(1)]) for s, t in params.items() if m.group(1) in t] if m else []
            if not resolved:  # a `${param:x}` no stage sets stays what it says: known at deploy time
                out.append(_value(doc, key, node, deploy[0], f"{where}, {deploy[1]}"))
            for stage_name, param in resolved:
                referenced.add((stage_name, m.group(1)))
                penv, why = _param_env(stage_name, m.group(1), params, prod_stages)
                out.append(_value(doc, key, param, penv, f"{why}, used by `{key}` in {where}"))
    for stage_name, table in params.items():
        for key, node in table.items():
            if (stage_name, key) not in referenced:
                penv, why = _param_env(stage_name, key, params, prod_stages)
                out.append(_value(doc, key, node, penv, why))
    return out


def _param_env(stage: str, key: str, params: dict[str, dict], prod_stages: list[str]) -> tuple[str, str]:
    if stage != "default":
        return _stage_env(stage), f"stage parameter `params.{stage}.{key}`"
    if prod_stages and all(key in params[s] for s in prod_stages):
        return "nonprod", f"`params.default.{key}`, which every production stage ({', '.join(prod_stages)}) overrides"
    return "production", f"`params.default.{key}`, used by every stage that does not set `{key}`, production included"


def _value(doc: YamlText, key: str, node, env: str, reason: str) -> Value:
    start, end = doc.span(node)
    return Value(key, node.value, start, end, env, reason)


KIND = Kind("serverless", globs=("serverless.{yml,yaml}", "serverless.*.{yml,yaml}"), values=values,
            label="serverless.yml")
