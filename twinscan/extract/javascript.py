"""JavaScript bundles: tree-sitter tells a string or template literal from a comment.

Parsed only for files with a hit, and only up to a size cap: past it the hit
keeps context ``unknown`` and counts as code (fail closed).
"""
from __future__ import annotations

from typing import Callable

from . import Hit, generic

MAX_PARSE = 12 << 20
_parser = None


def _get_parser():
    global _parser
    if _parser is None:
        import tree_sitter_javascript
        from tree_sitter import Language, Parser

        _parser = Parser(Language(tree_sitter_javascript.language()))
    return _parser


_CONTEXT = {
    "comment": "comment", "regex": "regex", "regex_pattern": "regex", "string": "string",
    "template_string": "template", "jsx_text": "string",
}


def _node_text(node) -> str | None:
    if node is None:
        return None
    t = node.text.decode("utf-8", "replace")
    return t if len(t) <= 80 else None


def _key_for(node) -> str | None:
    """The variable, property or assignment target a literal is the value of."""
    child, parent = node, node.parent
    for _ in range(4):
        if parent is None:
            return None
        t = parent.type
        if t == "variable_declarator":
            return _node_text(parent.child_by_field_name("name"))
        if t == "pair":
            key = parent.child_by_field_name("key")
            text = _node_text(key)
            return text.strip("\"'`") if text else None
        if t in ("assignment_expression", "augmented_assignment_expression"):
            left = parent.child_by_field_name("left")
            if left is not None and left.type == "member_expression":
                left = left.child_by_field_name("property")
            return _node_text(left)
        if t in ("field_definition", "public_field_definition"):
            return _node_text(parent.child_by_field_name("property") or parent.child_by_field_name("name"))
        if t not in ("binary_expression", "parenthesized_expression", "template_substitution", "ternary_expression"):
            return None
        child, parent = parent, parent.parent
    return None


def annotate(hits: list[Hit], text: Callable[[], bytes | None]) -> str | None:
    data = text()
    if data is None or len(data) > MAX_PARSE:
        generic(hits, text)
        for hit in hits:
            hit.context = "unknown"
        return f"not parsed for context (larger than {MAX_PARSE >> 20} MiB): hits count as code"
    tree = _get_parser().parse(data)
    root = tree.root_node
    for hit in hits:
        node = root.descendant_for_byte_range(hit.offset, hit.end)
        context, literal = "code", None
        n = node
        while n is not None:
            if n.type in _CONTEXT:
                context, literal = _CONTEXT[n.type], n
                if n.type in ("string", "template_string", "comment", "regex"):
                    break
            n = n.parent
        hit.context = context
        if literal is not None and context in ("string", "template"):
            hit.key = _key_for(literal)
        if hit.key is None and context not in ("comment",):
            generic([hit], text)
    return None
