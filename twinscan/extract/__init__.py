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
    import heapq

    order = sorted(range(len(values)), key=lambda i: values[i].start)
    heap: list[tuple[int, int]] = []  # (width, index in values) of values started at or before the hit
    nxt = 0
    for hit in sorted(hits, key=lambda h: h.offset):  # one sweep: O((hits + values) log values)
        off = hit.offset
        while nxt < len(order) and values[order[nxt]].start <= off:
            i = order[nxt]
            heapq.heappush(heap, (values[i].end - values[i].start, i))
            nxt += 1
        while heap and values[heap[0][1]].end <= off:  # ended before this hit, so before every later one
            heapq.heappop(heap)
        if not heap:
            unparsed([hit])
            continue
        # every value of the innermost width that holds the hit, in the order the extractor gave them
        width = heap[0][0]
        innermost, kept = [], []
        while heap and heap[0][0] == width:
            entry = heapq.heappop(heap)
            if values[entry[1]].end > off:
                innermost.append(values[entry[1]])
                kept.append(entry)
        for entry in kept:
            heapq.heappush(heap, entry)
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
