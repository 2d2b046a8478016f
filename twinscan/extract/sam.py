"""AWS SAM and CloudFormation templates: the environment variables of Lambda functions.

`template.yaml` is SAM's default file name, and also any project's "template": a YAML
file is a SAM template only when its head says so (`AWSTemplateFormatVersion`, or
`Transform: AWS::Serverless-2016-10-31`), so the name alone claims nothing and an Expo or
Helm `template.yaml` stays what it was.

Values: `Globals.Function.Environment.Variables` (every `AWS::Serverless::Function`
inherits them) and each resource's `Properties.Environment.Variables`
(`AWS::Serverless::Function` and `AWS::Lambda::Function`); key = the variable.

Environment: `sam deploy` deploys a template as it is, so a value is production unless
(in this order) the template says otherwise with a condition whose production branch is
plain, or the path names an environment (`staging/template.yaml`, `template-dev.yaml`).
Plain means: a condition `!Equals [!Ref Stage, prod]` (either order, `Fn::Equals` too)
names the environment of its true branch; in `!If [IsProd, a, b]` the value `a` is
production and `b` is not (`nonprod`, taken when the stage is not production); for a
condition naming a non-production stage (`IsDev`), its true branch is that stage and the
false branch production. Anything else (`!And`, `!Or`, a `!Sub` around an `!If`) is
judged as the template: production.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .kind import Kind
from .platformenv import path_env, word_env
from .values import ExtractError, Options, Value

if TYPE_CHECKING:
    import yaml

    from ..formats.yamlnodes import YamlText

_FUNCTIONS = ("aws::serverless::function", "aws::lambda::function")
_SAM_MARKS = (b"AWSTemplateFormatVersion", b"AWS::Serverless-2016-10-31")


def sniff(head: bytes) -> bool:
    return any(m in head for m in _SAM_MARKS)


def _get(node: Any, key: str) -> Any:
    """The value node of *key* in a mapping node (None when absent or not a mapping)."""
    if getattr(node, "id", None) != "mapping":
        return None
    for k, v in node.value:
        if getattr(k, "id", None) == "scalar" and k.value == key:
            return v
    return None


def _items(node: Any) -> list[tuple[Any, Any]]:
    return node.value if getattr(node, "id", None) == "mapping" else []


def _fn(node: Any, name: str) -> Any:
    """The arguments of an intrinsic function written `!Name args` or `{Fn::Name: args}`."""
    if getattr(node, "tag", "") == f"!{name}":
        return node
    if len(_items(node)) == 1:
        return _get(node, f"Fn::{name}")
    return None


def _ref(node: Any) -> str | None:
    if getattr(node, "tag", "") == "!Ref" and getattr(node, "id", None) == "scalar":
        return node.value
    ref = _get(node, "Ref") if len(_items(node)) == 1 else None
    return ref.value if getattr(ref, "id", None) == "scalar" else None


def conditions(root: Any) -> dict[str, tuple[str, str]]:
    """Condition name → (environment of its true branch, `Stage = prod`) for the plain ones."""
    out = {}
    for k, v in _items(_get(root, "Conditions")):
        eq = _fn(v, "Equals")
        args = eq.value if getattr(eq, "id", None) == "sequence" else []
        if len(args) != 2:
            continue
        for a, b in (args, args[::-1]):
            param = _ref(a)
            if param and getattr(b, "id", None) == "scalar" and getattr(b, "tag", "").startswith("tag:"):
                env = word_env(b.value)
                if env:
                    out[k.value] = (env, f"{param} = {b.value}")
                break
    return out


def values(data: bytes, path: str, options: Options | None = None) -> list[Value]:
    from ..environments import is_production
    from ..formats.yamlnodes import load

    doc = load(data)
    out: list[Value] = []
    named = path_env(path, (".yaml", ".yml", ".json"))
    for root in doc.roots:
        conds = conditions(root)
        sections = []
        variables = _get(_get(_get(_get(root, "Globals"), "Function"), "Environment"), "Variables")
        sections.append(("`Globals.Function.Environment.Variables`", variables))
        for name, res in _items(_get(root, "Resources")):
            kind = _get(res, "Type")
            if getattr(kind, "id", None) == "scalar" and kind.value.lower() in _FUNCTIONS:
                variables = _get(_get(_get(res, "Properties"), "Environment"), "Variables")
                sections.append((f"function `{name.value}` `Properties.Environment.Variables`", variables))
        for where, variables in sections:
            if named:
                base = (named[0], f"{named[1]} of SAM template ({where})")
            else:
                base = ("production", f"SAM template {where}: `sam deploy` deploys the template as written")
            for key, node in _items(variables):
                out += _leaves(doc, key.value, node, base, conds, is_production)
    return out


def _leaves(doc: YamlText, key: str, node: yaml.Node, env: tuple[str, str], conds: dict, is_production) -> list[Value]:
    """The string leaves of one variable's value, each with its environment; `!If` branches
    under a plain condition take that condition's environments."""
    from ..formats.yamlnodes import MAX_EXPANDED

    out: list[Value] = []
    stack = [(node, env, 0)]
    visits = 0
    while stack:
        n, e, depth = stack.pop()
        visits += 1
        if visits > MAX_EXPANDED:  # aliases fan out: the node graph is shared, the walk is not
            raise ExtractError(f"YAML aliases expand to more than {MAX_EXPANDED} nodes (alias bomb?)")
        if depth > 20:
            continue
        if getattr(n, "id", None) == "scalar":
            start, end = doc.span(n)
            out.append(Value(key, n.value, start, end, e[0], e[1]))
            continue
        cond = _fn(n, "If")
        args = cond.value if getattr(cond, "id", None) == "sequence" else None
        if args and len(args) == 3 and getattr(args[0], "id", None) == "scalar" and args[0].value in conds:
            name = args[0].value
            env, test = conds[name]
            if is_production(env):
                yes = (env, f"`!If [{name}, …]` branch taken when {test}")
                no = ("nonprod", f"`!If [{name}, …]` branch taken when not {test}")
            else:
                yes = (env, f"`!If [{name}, …]` branch taken when {test}")
                no = ("production", f"`!If [{name}, …]` branch taken when not {test} (production among them)")
            stack += [(args[1], yes, depth + 1), (args[2], no, depth + 1)]
            continue
        children = [v for _, v in _items(n)] if getattr(n, "id", None) == "mapping" else (
            n.value if getattr(n, "id", None) == "sequence" else [])
        stack += [(c, e, depth + 1) for c in children]
    return out


KIND = Kind("sam", globs=("*.{yaml,yml}",), sniff=sniff, values=values, label="SAM template",
            hook=("template.{yaml,yml}", "*.template.{yaml,yml}"))
