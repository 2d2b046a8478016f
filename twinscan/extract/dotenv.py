"""`.env` files, read with python-dotenv's own parser (quotes, `export`, comments,
multi-line values, CRLF). Interpolation defaults (`${VAR:-default}`) are values too:
a twin URL in a default is what the app gets when the variable is unset.
The file name decides the environment (see classify.py), so values carry none.

References are expanded as Vite's dotenv-expand does (`${VAR}`, `$VAR`, `${VAR:-default}`,
`${VAR-default}`; single quotes and a backslash before `$` turn it off) from the file's OWN
earlier keys only: `TWIN_ORIGIN=https://api.wondertwin.dev` then `VITE_STRIPE_BASE_URL=${TWIN_ORIGIN}/twins/stripe`
ships a hosted twin that no byte of the second line spells. The process environment is never
read (python-dotenv's own interpolation reads it: the runner's variables and secrets must never
reach a finding). An expansion is a second Value over the same bytes with ``encoding="interpolated"``.

The parser module is loaded from python-dotenv's installed `parser.py` on its own (:func:`parser`):
importing it the usual way runs the package's `__init__`, which imports `dotenv.main` and with it
logging, tempfile and shutil, 10–16 ms of a pre-commit run, for functions twinscan never calls.
`parser.py` needs only codecs, re and typing; if that ever changes, the usual import is used.
"""
from __future__ import annotations

import io
import re

from .kind import Kind
from .values import Options, Value

_HEAD = re.compile(r"""\A\s*(?:export\s+)?(?P<key>[^=\s]+)\s*=\s*(?P<quote>['"]?)""")
_DEFAULT = re.compile(r"\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*):?-(?P<default>[^}]*)\}")
_REF = re.compile(r"(?<!\\)\$(?:\{(?P<braced>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?-)(?P<default>[^}]*))?\}"
                  r"|(?P<bare>[A-Za-z_][A-Za-z0-9_]*))")
MAX_EXPANDED = 64 << 10  # an expansion longer than this is not a URL (and `A=$B$B`, `B=$A$A` … cannot grow)


def expand(value: str, earlier: dict[str, str]) -> tuple[str, list[str]]:
    """``value`` with its references replaced from ``earlier`` (the file's own keys before it);
    also the names that were found there. An unknown name expands to its default or to ""."""
    used: list[str] = []

    def sub(m: re.Match) -> str:
        name = m.group("braced") or m.group("bare")
        known = earlier.get(name)
        op = m.group("op")
        if known is not None and not (op == ":-" and known == ""):
            used.append(name)
            return known
        return m.group("default") or "" if op else ""

    out = _REF.sub(sub, value)
    return out[:MAX_EXPANDED], used


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


def parser():
    """python-dotenv's `dotenv.parser` module, without running the package's `__init__` (see above)."""
    import sys

    loaded = sys.modules.get("dotenv.parser") or sys.modules.get("twinscan._dotenv_parser")
    if loaded is not None:
        return loaded
    try:
        import importlib.util
        import os

        package = importlib.util.find_spec("dotenv")  # finds the package without importing it
        if package is None or package.origin is None:
            raise ImportError("python-dotenv is not installed")
        spec = importlib.util.spec_from_file_location(
            "twinscan._dotenv_parser", os.path.join(os.path.dirname(package.origin), "parser.py"))
        if spec is None or spec.loader is None:
            raise ImportError("python-dotenv has no parser.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        module.parse_stream  # noqa: B018 - the function twinscan calls must be there
    except Exception:  # noqa: BLE001 - any surprise: the package's own import
        from dotenv import parser as module
    sys.modules["twinscan._dotenv_parser"] = module
    return module


def values(data: bytes, path: str, options: Options | None = None) -> list[Value]:
    parse_stream = parser().parse_stream

    # surrogateescape: an invalid byte stays one character, so offsets count true bytes
    text = data.decode("utf-8", "surrogateescape")
    out: list[Value] = []
    earlier: dict[str, str] = {}  # this file's keys so far, expanded: the only source of references
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

                raw = binding.value or ""
                out.append(Value(binding.key, _clean(raw), to_bytes(start), to_bytes(end)))
                shipped = raw
                if quote != "'":  # single quotes turn interpolation off
                    for m in _DEFAULT.finditer(original, start, end):
                        out.append(Value(binding.key, _clean(m.group("default")), to_bytes(m.start("default")),
                                         to_bytes(m.end("default")), context="default"))
                    if "$" in raw:
                        shipped, used = expand(raw, earlier)
                        if used:
                            out.append(Value(binding.key, _clean(shipped), to_bytes(start), to_bytes(end),
                                             encoding="interpolated"))
                earlier[binding.key] = shipped
        byte_pos += len(original.encode("utf-8", "surrogateescape"))
    return out


#: `.env`, `.env.production`, `.env.production.local`, `production.env`.
KIND = Kind("dotenv", globs=(".env", ".env.*", "*.env"), values=values)
