"""`.env` files, read with python-dotenv's own parser (quotes, `export`, comments,
multi-line values, CRLF). Interpolation defaults (`${VAR:-default}`) are values too:
a twin URL in a default is what the app gets when the variable is unset.
The file name decides the environment (see classify.py), so values carry none.
"""
from __future__ import annotations

import io
import re

from .kind import Kind
from .values import Options, Value

_HEAD = re.compile(r"""\A\s*(?:export\s+)?(?P<key>[^=\s]+)\s*=\s*(?P<quote>['"]?)""")
_DEFAULT = re.compile(r"\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*):?-(?P<default>[^}]*)\}")


def _raw_value(original: str, quote: str, start: int) -> int:
    """End (exclusive, in characters of ``original``) of the value text starting at ``start``."""
    if quote:
        i = start
        while i < len(original):
            if original[i] == "\\" and quote == '"':
                i += 2
                continue
            if original[i] == quote:
                return i
            i += 1
        return len(original.rstrip("\r\n"))
    line = original.split("\n", 1)[0].rstrip("\r")
    comment = re.search(r"\s#", line[start:])
    return start + (comment.start() if comment else len(line[start:].rstrip()))


def _clean(text: str) -> str:
    """Invalid bytes as U+FFFD, as everywhere else in the output."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def values(data: bytes, path: str, options: Options | None = None) -> list[Value]:
    from dotenv.parser import parse_stream

    # surrogateescape: an invalid byte stays one character, so offsets count true bytes
    text = data.decode("utf-8", "surrogateescape")
    out: list[Value] = []
    byte_pos = 0
    for binding in parse_stream(io.StringIO(text)):
        original = binding.original.string
        if binding.key is not None and not binding.error:
            head = _HEAD.match(original)
            if head:
                quote = head.group("quote")
                start = head.end()
                end = _raw_value(original, quote, start)

                def to_bytes(i: int) -> int:
                    return byte_pos + len(original[:i].encode("utf-8", "surrogateescape"))

                out.append(Value(binding.key, _clean(binding.value or ""), to_bytes(start), to_bytes(end)))
                if quote != "'":  # single quotes turn interpolation off
                    for m in _DEFAULT.finditer(original, start, end):
                        out.append(Value(binding.key, _clean(m.group("default")), to_bytes(m.start("default")),
                                         to_bytes(m.end("default")), context="default"))
        byte_pos += len(original.encode("utf-8", "surrogateescape"))
    return out


#: `.env`, `.env.production`, `.env.production.local`, `production.env`.
KIND = Kind("dotenv", globs=(".env", ".env.*", "*.env"), values=values)
