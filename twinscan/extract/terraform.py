"""Terraform: variable files (`*.tfvars`) and the `environment { variables = {…} }` blocks of
Lambda functions (`aws_lambda_function`, and any other block shaped so) in `*.tf`.

Values (key = the variable, or its dotted path in a map: `stripe.base_url`):
* `*.tfvars`: every string of every top-level assignment (`key = "value"`, maps, lists);
* `*.tf`: every string in the `variables` map of an `environment` block.

Environment: Terraform deploys one root module per environment, named by the directory
layout (`environments/staging/`, `envs/prod/`, `live/prod/`, or a directory spelled as an
environment: `staging/`) or by the variable file (`prod.tfvars`, `staging.auto.tfvars`,
passed with `-var-file=`); the file name wins over the directory. A file in neither is
production (`terraform apply` deploys what it is given). Workspace conditionals
(`terraform.workspace == "prod" ? … : …`) are not evaluated: both branches are judged as the file.

HCL is parsed with tree-sitter's HCL grammar (tree-sitter-hcl), which gives byte offsets:
a value points at the bytes of the string as written (inside its quotes; a heredoc's body).
A string without interpolation is decoded (`\\n`, `\\"`, `\\u00e9`, `$${` → `${`); one with
`${…}` is its text as written.
"""
from __future__ import annotations

import re
from typing import Any

from .kind import Kind
from .platformenv import path_env
from .values import ExtractError, Options, Value

_parser = None
_ESCAPE = re.compile(r"\\(?:u([0-9a-fA-F]{4})|U([0-9a-fA-F]{8})|(.))|\$\$\{|%%\{", re.S)
_SIMPLE = {"n": "\n", "r": "\r", "t": "\t", '"': '"', "\\": "\\"}
MAX_DEPTH = 100


def _parse(data: bytes) -> Any:
    global _parser
    if _parser is None:
        import tree_sitter_hcl
        from tree_sitter import Language, Parser

        _parser = Parser(Language(tree_sitter_hcl.language()))
    return _parser.parse(data)


def _first_error(node: Any) -> Any:
    stack = [node]
    while stack:
        n = stack.pop()
        if n.type == "ERROR" or n.is_missing:
            return n
        stack += reversed([c for c in n.children if c.has_error or c.is_missing])
    return node


def _decode(raw: str) -> str:
    def one(m: re.Match) -> str:
        if m.group(0) in ("$${", "%%{"):
            return m.group(0)[1:]
        code = m.group(1) or m.group(2)
        if code:
            return chr(min(int(code, 16), 0x10FFFF))
        return _SIMPLE.get(m.group(3), m.group(0))

    return _ESCAPE.sub(one, raw)


def _string(data: bytes, node: Any) -> tuple[str, int, int] | None:
    """(value, start, end) of a string expression: quoted (inside the quotes) or a heredoc body."""
    while node.type in ("expression", "literal_value", "template_expr") and node.named_child_count == 1:
        node = node.named_children[0]
    if node.type in ("string_lit", "quoted_template"):
        start, end = node.children[0].end_byte, node.children[-1].start_byte
        inner = [c.type for c in node.named_children[1:-1]]
        raw = data[start:end].decode("utf-8", "replace")
        return (_decode(raw) if set(inner) <= {"template_literal"} else raw), start, end
    if node.type == "heredoc_template":
        body = [c for c in node.named_children if c.type not in ("heredoc_start", "heredoc_identifier")]
        if not body:
            return None
        start, end = body[0].start_byte, body[-1].end_byte
        return data[start:end].decode("utf-8", "replace"), start, end
    return None


def _key(data: bytes, node: Any) -> str:
    s = _string(data, node)
    return s[0] if s else data[node.start_byte:node.end_byte].decode("utf-8", "replace").strip()


def _strings(data: bytes, node: Any, key: str, depth: int = 0) -> list[tuple[str, tuple[str, int, int]]]:
    """Every string under an expression, with its dotted key (`stripe.base`, `hosts[0]`)."""
    if depth > MAX_DEPTH:
        raise ExtractError(f"HCL nested deeper than {MAX_DEPTH} levels")
    s = _string(data, node)
    if s:
        return [(key, s)]
    out = []
    while node.type in ("expression", "collection_value") and node.named_child_count == 1:
        node = node.named_children[0]
    if node.type == "object":
        for elem in node.named_children:
            if elem.type == "object_elem" and elem.child_by_field_name("key") and elem.child_by_field_name("val"):
                k = _key(data, elem.child_by_field_name("key"))
                out += _strings(data, elem.child_by_field_name("val"), f"{key}.{k}" if key else k, depth + 1)
    elif node.type == "tuple":
        items = [c for c in node.named_children if c.type == "expression"]
        for i, item in enumerate(items):
            out += _strings(data, item, f"{key}[{i}]", depth + 1)
    return out


def _body_items(body: Any) -> list[Any]:
    return [c for c in body.named_children if c.type in ("attribute", "block")] if body is not None else []


def _label(data: bytes, block: Any) -> str:
    parts = [_key(data, c) for c in block.named_children if c.type in ("identifier", "string_lit")]
    return ".".join(parts[1:]) if len(parts) > 1 else (parts[0] if parts else "")


def _environment_blocks(data: bytes, body: Any, owner: str, depth: int = 0) -> list[tuple[str, Any]]:
    """(owner label, variables expression) of every `environment { variables = … }` block."""
    out = []
    for item in _body_items(body) if depth <= MAX_DEPTH else ():
        if item.type != "block":
            continue
        name = _key(data, item.named_children[0])
        inner = next((c for c in item.named_children if c.type == "body"), None)
        if name == "environment":
            for attr in _body_items(inner):
                if attr.type == "attribute" and _key(data, attr.named_children[0]) == "variables":
                    out.append((owner, attr.named_children[-1]))
        else:
            out += _environment_blocks(data, inner, _label(data, item) if depth == 0 else owner, depth + 1)
    return out


def values(data: bytes, path: str, options: Options | None = None) -> list[Value]:
    tree = _parse(data)
    root = tree.root_node
    if root.has_error:
        bad = _first_error(root)
        bad = bad.parent if bad.is_missing and bad.parent is not None else bad  # where the unclosed thing opens
        raise ExtractError(f"line {bad.start_point[0] + 1}: invalid HCL")
    body = next((c for c in root.named_children if c.type == "body"), None)
    named = path_env(path, (".auto.tfvars", ".tfvars", ".tf"))
    out: list[Value] = []
    if path.lower().endswith(".tfvars"):
        for attr in _body_items(body):
            if attr.type != "attribute":
                continue
            name = _key(data, attr.named_children[0])
            for key, (value, start, end) in _strings(data, attr.named_children[-1], name):
                env, why = _env(named, f"variable `{name}` in `{_base(path)}`")
                out.append(Value(key, value, start, end, env, why))
        return out
    for owner, variables in _environment_blocks(data, body, ""):
        for key, (value, start, end) in _strings(data, variables, ""):
            env, why = _env(named, f"`{owner}` `environment.variables`")
            out.append(Value(key, value, start, end, env, why))
    return out


def _base(path: str) -> str:
    return path.replace("\\", "/").rsplit("/", 1)[-1]


def _env(named: tuple[str, str] | None, where: str) -> tuple[str, str]:
    if named:
        return named[0], f"{where}, {named[1]}"
    return "production", f"{where}: no environment directory or file name (`terraform apply` deploys it as it is)"


KIND = Kind("terraform", globs=("*.tfvars", "*.tf"), values=values, label="Terraform (HCL)")
