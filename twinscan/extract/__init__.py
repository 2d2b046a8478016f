"""Extract: give each candidate hit its context (string, comment, …) and the key it is assigned to.

One module per artifact kind, listed once in registry.py; each declares the files it
claims and its extractor or annotator (kind.py). Only files with hits get here, so the
heavier parsers (PyYAML, tree-sitter, tomllib) are imported and run only then.
"""
from __future__ import annotations

from typing import Callable

from .hits import INERT_CONTEXTS, Hit, fragments, generic, unparsed
from .registry import get, is_structured, label
from .values import Options, Value

__all__ = ["INERT_CONTEXTS", "Hit", "generic", "unparsed", "STRUCTURED", "MAX_STRUCTURED", "is_structured",
           "label", "structured_values", "apply_values", "annotate"]


class _Structured:
    """`kind in STRUCTURED`: whether a kind has a values extractor (from the registry)."""

    def __contains__(self, kind: object) -> bool:
        return isinstance(kind, str) and is_structured(kind)


STRUCTURED = _Structured()
MAX_STRUCTURED = 16 << 20  # larger config files are judged by the byte pass alone


def structured_values(kind: str, data: bytes, path: str, options: Options) -> list[Value] | None:
    """The values a structured artifact assigns, or None for unstructured kinds.

    Raises values.ExtractError when the file cannot be parsed.
    """
    if not is_structured(kind):
        return None
    return get(kind).values(data, path, options)


def apply_values(hits: list[Hit], values: list[Value], blocks: Callable[[Value], bool]) -> None:
    """Give each hit the key, context and environment of the innermost value holding it.

    One text can be several values (workflow-level env inherited by every job,
    a matrix over environments): the hit then takes a value that ``blocks``
    when there is one, so a URL that reaches any production job blocks.
    """
    for hit in hits:
        holders = [v for v in values if v.start <= hit.offset < v.end]
        if not holders:
            unparsed([hit])
            continue
        width = min(v.end - v.start for v in holders)
        innermost = [v for v in holders if v.end - v.start == width]
        v = next((v for v in innermost if blocks(v)), innermost[0])
        hit.key, hit.environment, hit.env_reason = v.key, v.environment, v.reason
        hit.context = v.context
        hit.role, hit.role_reason = v.role, v.role_reason
    fragments(hits)


def annotate(kind: str, hits: list[Hit], text: Callable[[int | None], bytes | None]) -> str | None:
    """Key and context when there are no values; returns a note when context could not be computed.

    The kind's own annotator (JavaScript, HTML, text); a structured kind whose values could
    not be read (parse error, too large) reads keys and `#` comments from the lines."""
    try:
        k = get(kind)
    except KeyError:
        k = None
    note = None
    if k is not None and k.annotate is not None:
        note = k.annotate(hits, text)
    elif k is not None and k.structured:
        unparsed(hits)
    else:
        generic(hits)
    fragments(hits)  # after the kind's contexts: a fragment is inert in a string, a value or a line
    return note
