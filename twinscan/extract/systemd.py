"""systemd service units and drop-ins: `Environment=` assignments in `[Service]`.

Claimed: `*.service` and the drop-ins of a unit (`api.service.d/override.conf`). Each word
of an `Environment=` line is one assignment (systemd.exec(5)): `Environment="A=x y" B=z`
sets `A` to `x y` and `B` to `z`; quotes may open anywhere in a word, C escapes are decoded
and a line ending in `\\` continues on the next. Key = the variable; the value's bytes are
the text after its `=` as written. `EnvironmentFile=` is not a value: the pre-pass
(prepass.py) follows it to the env file in the tree, which takes the unit's environment.

Environment of a unit, first that says one:
1. the unit's name (`api-staging.service`; for a drop-in, its `api-staging.service.d/` directory);
2. an assignment in the file naming the deployment (`APP_ENV=staging`, `ENVIRONMENT=`,
   `DEPLOY_ENV=`, `STAGE=`, `RAILS_ENV=`, `NODE_ENV=`…, in that order of trust:
   `NODE_ENV=production` is routinely set on staging hosts too, so a name wins over it);
3. the directory layout (`deploy/staging/api.service`);
otherwise None: the file's environment (production, or what the pre-pass found in the unit
and its drop-ins: a drop-in applies after its unit, so its `APP_ENV=` names the unit's).
"""
from __future__ import annotations

import posixpath
import re

from .kind import Kind
from .platformenv import dir_env, name_env, word_env
from .values import Options, Value

#: Variables that name the deployment, most trusted first.
ENV_KEYS = ("APP_ENV", "ENVIRONMENT", "APP_ENVIRONMENT", "DEPLOY_ENV", "DEPLOYMENT_ENV", "STAGE", "ENV",
            "RAILS_ENV", "RACK_ENV", "DJANGO_ENV", "FLASK_ENV", "NODE_ENV", "GO_ENV")
_HEADER = re.compile(rb"^[ \t]*\[([^\]\n]*)\][ \t]*\r?$", re.M)
_ENTRY = re.compile(rb"^[ \t]*(Environment|EnvironmentFile)[ \t]*=[ \t]*", re.M)
_ESC = {"n": "\n", "t": "\t", "r": "\r", "a": "\a", "b": "\b", "f": "\f", "v": "\v", "s": " "}


def _words(data: bytes, pos: int) -> list[tuple[str, list[int], int]]:
    """The words of a setting starting at *pos*, up to the end of its (continued) line:
    (decoded text, byte offset of each character, offset just past the last character)."""
    words: list[tuple[str, list[int], int]] = []
    n = len(data)
    i = pos
    while True:
        while i < n and data[i:i + 1] in (b" ", b"\t"):
            i += 1
        if data[i:i + 2] == b"\\\n" or data[i:i + 3] == b"\\\r\n":  # a continued line
            i += 2 if data[i + 1:i + 2] == b"\n" else 3
            continue
        if i >= n or data[i:i + 1] in (b"\n", b"\r"):
            return words
        chars: list[str] = []
        offs: list[int] = []
        last = i
        quote = None
        while i < n:
            c = data[i:i + 1]
            if quote is None and (c in (b" ", b"\t", b"\n", b"\r") or data[i:i + 2] == b"\\\n"):
                break
            if c == b"\n":  # an unterminated quote ends with the line
                break
            if quote is None and c in (b'"', b"'"):
                quote = c
                i += 1
                continue
            if quote is not None and c == quote:
                quote = None
                i += 1
                continue
            if c == b"\\" and i + 1 < n and data[i + 1:i + 2] not in (b"\n", b"\r"):
                e = data[i + 1:i + 2].decode("latin-1")
                width = {"x": 2, "u": 4, "U": 8}.get(e, 0)
                digits = data[i + 2:i + 2 + width]
                offs.append(i)
                if width and len(digits) == width and all(d in b"0123456789abcdefABCDEF" for d in digits):
                    chars.append(chr(min(int(digits, 16), 0x10FFFF)))
                    i += 2 + width
                else:
                    chars.append(_ESC.get(e, e))
                    i += 2
                last = i
                continue
            ln = _utf8_len(data, i)
            chars.append(data[i:i + ln].decode("utf-8", "replace"))
            offs.append(i)
            i += ln
            last = i
        words.append(("".join(chars), offs, last))


def _utf8_len(data: bytes, i: int) -> int:
    """Bytes of the UTF-8 character at *i*; 1 for a byte that starts no complete character."""
    b = data[i]
    ln = 4 if b >= 0xF0 else 3 if b >= 0xE0 else 2 if b >= 0xC0 else 1
    tail = data[i + 1:i + ln]
    return ln if len(tail) == ln - 1 and all(0x80 <= c < 0xC0 for c in tail) else 1


def settings(data: bytes) -> list[tuple[str, str, int, int]]:
    """Every `[Service]` `Environment=` assignment and `EnvironmentFile=` path:
    (setting, `KEY=value` text or path, start, end) with the value's byte span."""
    heads = list(_HEADER.finditer(data))
    out = []
    for k, head in enumerate(heads):
        if head.group(1).strip().lower() != b"service":
            continue
        end = heads[k + 1].start() if k + 1 < len(heads) else len(data)
        for m in _ENTRY.finditer(data, head.end(), end):
            name = m.group(1).decode()
            words = _words(data, m.end())
            for text, offs, stop in words:
                if name == "EnvironmentFile":
                    out.append((name, text, offs[0] if offs else m.end(), stop))
                    break  # one path per line
                eq = text.find("=")
                if eq <= 0:
                    continue
                start = offs[eq + 1] if eq + 1 < len(offs) else stop
                out.append((name, text, start, stop))
    return out


def unit_name(path: str) -> str:
    """The unit a file configures: its own name, or for a drop-in its `<unit>.d` directory."""
    norm = path.replace("\\", "/")
    parent = posixpath.basename(posixpath.dirname(norm))
    return parent[:-2] if parent.endswith(".d") and not norm.endswith(".service") else posixpath.basename(norm)


def assigned_env(assignments: dict[str, str]) -> tuple[str, str] | None:
    """(environment, reason) from the variables that name the deployment."""
    for key in ENV_KEYS:
        value = assignments.get(key)
        env = word_env(value) if value else None
        if env:
            return env, f"`Environment={key}={value}`"
    return None


def own_env(data: bytes, path: str) -> tuple[str, str] | None:
    """The environment this file names by itself (module docstring, 1-3), with the reason."""
    unit = unit_name(path)
    named = name_env(unit, (".service",))
    if named:
        return named[0], f"unit name `{unit}`"
    assigned = assigned_env({t.split("=", 1)[0]: t.split("=", 1)[1] for s, t, _, _ in settings(data) if s == "Environment"})
    if assigned:
        return assigned[0], f"{assigned[1]} in unit `{unit}`"
    layout = dir_env(path)
    return (layout[0], f"{layout[1]} of unit `{unit}`") if layout else None


def values(data: bytes, path: str, options: Options | None = None) -> list[Value]:
    env = own_env(data, path)
    out = []
    for setting, text, start, end in settings(data):
        if setting != "Environment":
            continue
        key, value = text.split("=", 1)
        out.append(Value(key, value, start, end, env[0] if env else None, env[1] if env else None))
    return out


KIND = Kind("systemd", globs=("*.service", "*.service.d/*.conf"), values=values, label="systemd unit")
