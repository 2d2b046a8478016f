"""Fly.io app configuration (`fly.toml`; `fly.staging.toml` and other names given to
`fly deploy --config`): the `[env]` variables and `[build.args]` of the app.

The file name names the environment (`fly.staging.toml` is staging, `fly.toml` production),
as for other config files, so values carry none of their own. TOML is parsed with tomllib
(tomli before Python 3.11), which gives no positions: each value's bytes are found by a
line scanner over the section, and a value the scanner cannot place (inline tables,
dotted keys) is left to the byte pass, judged by the file's environment.
"""
from __future__ import annotations

import re

from .kind import Kind
from .values import ExtractError, Options, Value

SECTIONS = ("env", "build.args")
_HEADER = re.compile(rb"^[ \t]*\[(\[?)([^\]\n]*)\]", re.M)
_ENTRY = re.compile(rb"""^[ \t]*(?P<key>[A-Za-z0-9_-]+|"[^"\n]*"|'[^'\n]*')[ \t]*=[ \t]*(?P<q>\"\"\"|'''|"|')""", re.M)


def _string_end(data: bytes, start: int, quote: bytes) -> int:
    """Offset of the closing quote of a string whose text starts at *start* (-1: unterminated)."""
    if quote == b'"':
        i = start
        while i < len(data) and data[i:i + 1] not in (b'"', b"\n"):
            i += 2 if data[i:i + 1] == b"\\" else 1
        return i if data[i:i + 1] == b'"' else -1
    if quote == b"'":  # a literal string: no escapes, one line
        line_end = data.find(b"\n", start)
        return data.find(b"'", start, len(data) if line_end < 0 else line_end)
    return data.find(quote, start)  # multi-line: up to the closing triple quote


def values(data: bytes, path: str, options: Options | None = None) -> list[Value]:
    """Every string in `[env]` and `[build.args]`, located by byte offset."""
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib
    try:
        doc = tomllib.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as e:
        raise ExtractError(f"invalid TOML: {e}") from None
    heads = list(_HEADER.finditer(data))
    out: list[Value] = []
    for i, head in enumerate(heads):
        name = re.sub(rb"""[ \t"']""", b"", head.group(2)).decode("utf-8", "replace")
        if head.group(1) or name not in SECTIONS:
            continue
        table = doc
        for part in name.split("."):
            table = table.get(part) if isinstance(table, dict) else None
        end = heads[i + 1].start() if i + 1 < len(heads) else len(data)
        for m in _ENTRY.finditer(data, head.end(), end):
            key = m.group("key").strip(b"\"'").decode("utf-8", "replace")
            value = table.get(key) if isinstance(table, dict) else None
            if not isinstance(value, str):
                continue
            start = m.end()
            if len(m.group("q")) == 3 and data[start:start + 1] == b"\n":
                start += 1  # a newline right after the opening quotes is not part of the string
            stop = _string_end(data, start, m.group("q"))
            if stop >= 0:
                out.append(Value(key, value, start, stop))
    return out


KIND = Kind("fly", globs=("fly.toml", "fly.*.toml"), values=values, name_env="part")
