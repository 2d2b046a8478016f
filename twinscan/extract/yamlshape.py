"""The shape of YAML nodes and trees (yamlnodes.py) without importing PyYAML.

Kind modules are imported to classify a path (their KIND), so they must not import
PyYAML at module level; their tree walks test node shapes with these. A tree is dicts,
lists and ``yaml.ScalarNode`` leaves; a PyYAML node says what it is in ``.id``.
"""
from __future__ import annotations

from typing import Any


def is_scalar(node: Any) -> bool:
    return getattr(node, "id", None) == "scalar"


def is_mapping(node: Any) -> bool:
    return getattr(node, "id", None) == "mapping"


def is_sequence(node: Any) -> bool:
    return getattr(node, "id", None) == "sequence"


def text_of(tree: Any) -> str | None:
    """The string value of a scalar leaf, else None."""
    return tree.value if is_scalar(tree) else None
