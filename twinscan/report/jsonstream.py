"""JSON written as it is made: the bytes of ``json.dumps(doc, indent=2, ensure_ascii=False)``,
with the long lists of a document (JSON findings, SARIF results, GitLab issues) produced one
item at a time.

A report of 100,000 findings is ~100 MB of JSON. Built as one dict per finding and dumped at
once, it took ~9 KB of memory per finding (the dicts, ``json``'s list of every token, the
joined text and its encoded copy); written as it is made, it takes the size of one item
(issue 14). Each item is encoded as ``json.dumps`` encodes it at its depth, so the output is
byte for byte what dumping the whole document gave.
"""
from __future__ import annotations

import json
from dataclasses import asdict, is_dataclass
from json.encoder import encode_basestring  # what json.dumps(ensure_ascii=False) writes a string with
from typing import Any, Callable, Iterable, Iterator

INDENT = 2
_END = object()


class Items:
    """A list of a document written one item at a time: ``items`` is iterated once, each item
    written with ``encode(item, level)`` (default: as ``json.dumps`` writes it at that depth)."""

    def __init__(self, items: Iterable[Any], encode: Callable[[Any, int], str] | None = None):
        self.items = items
        self.encode = encode or _encode_item


def _encode_item(obj: Any, level: int) -> str:
    return "".join(chunks(obj, level))


def dumps_at(obj: Any, level: int) -> str:
    """``obj`` as ``json.dumps(…, indent=2)`` writes it ``level`` containers deep."""
    text = json.dumps(obj, indent=INDENT, ensure_ascii=False)
    return text.replace("\n", "\n" + " " * (INDENT * level)) if level else text


def _streams(obj: Any) -> bool:
    if isinstance(obj, Items):
        return True
    if isinstance(obj, dict):
        return any(_streams(v) for v in obj.values())
    if isinstance(obj, list):
        return any(_streams(v) for v in obj)
    return False


def chunks(obj: Any, level: int = 0) -> Iterator[str]:
    """The JSON text of ``obj`` (a document whose lists may be :class:`Items`), in pieces."""
    if isinstance(obj, Items):
        it = iter(obj.items)
        first = next(it, _END)
        if first is _END:
            yield "[]"
            return
        inner = "\n" + " " * (INDENT * (level + 1))
        encode = obj.encode
        yield "[" + inner + encode(first, level + 1)
        for item in it:
            yield "," + inner + encode(item, level + 1)
        yield "\n" + " " * (INDENT * level) + "]"
    elif isinstance(obj, dict) and _streams(obj):
        inner = "\n" + " " * (INDENT * (level + 1))
        sep = "{"
        for k, v in obj.items():
            yield sep + inner + encode_basestring(k) + ": "
            yield from chunks(v, level + 1)
            sep = ","
        yield "\n" + " " * (INDENT * level) + "}"
    elif isinstance(obj, list) and _streams(obj):
        inner = "\n" + " " * (INDENT * (level + 1))
        sep = "["
        for v in obj:
            yield sep + inner
            yield from chunks(v, level + 1)
            sep = ","
        yield "\n" + " " * (INDENT * level) + "]"
    else:
        yield dumps_at(obj, level)


def value_at(v: Any, level: int) -> str:
    """One value as ``json.dumps`` writes it ``level`` deep: scalars directly (the common case,
    fast), a dataclass as its dict, anything else through ``json.dumps``."""
    t = type(v)
    if t is str:
        return encode_basestring(v)
    if v is None:
        return "null"
    if t is bool:
        return "true" if v else "false"
    if t is int:
        return int.__repr__(v)
    if is_dataclass(v) and not isinstance(v, type):
        return dumps_at(asdict(v), level)
    return dumps_at(v, level)


def object_encoder(fields: tuple[str, ...]) -> Callable[[Any, int], str]:
    """An encoder of objects as JSON objects of the attributes ``fields``, in that order.

    Every attribute is read in one ``attrgetter`` call and a string (most values) is encoded
    in place: the JSON report of 4,088 findings was a third of the parent's serial time after
    the scan of a 50,000-file tree (issue 14)."""
    from operator import attrgetter

    keys = tuple(encode_basestring(k) + ": " for k in fields)
    # (attrgetter of one name gives the value, not a 1-tuple)
    values = attrgetter(*fields) if len(fields) > 1 else (lambda obj: tuple(getattr(obj, f) for f in fields))

    def encode(obj: Any, level: int) -> str:
        inner = "\n" + " " * (INDENT * (level + 1))
        deeper = level + 1
        return "{" + inner + ("," + inner).join([
            key + (encode_basestring(v) if type(v) is str else value_at(v, deeper)) for key, v in zip(keys, values(obj))
        ]) + "\n" + " " * (INDENT * level) + "}"

    return encode


def batched(pieces: Iterable[str], size: int = 1 << 20) -> Iterator[str]:
    """Pieces joined into strings of about ``size`` characters: one write per ~1 MB, not per piece."""
    buf: list[str] = []
    n = 0
    for p in pieces:
        buf.append(p)
        n += len(p)
        if n >= size:
            yield "".join(buf)
            buf, n = [], 0
    if buf:
        yield "".join(buf)
