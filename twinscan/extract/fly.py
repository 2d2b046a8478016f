"""Fly.io app configuration (`fly.toml`; `fly.staging.toml` and other names given to
`fly deploy --config`): the `[env]` variables and `[build.args]` of the app.

The file name names the environment (`fly.staging.toml` is staging, `fly.toml` production),
as for other config files, so values carry none of their own. TOML is parsed with tomllib
(tomli before Python 3.11), which gives no positions: tomlspans.py finds each string's
bytes and key path, however the file spells the table (a header, `env = {…}`, a dotted key).
"""
from __future__ import annotations

from .kind import Kind
from .values import Options, Value

SECTIONS = (("env",), ("build", "args"))


def values(data: bytes, path: str, options: Options | None = None) -> list[Value]:
    """Every string in `[env]` and `[build.args]`, located by byte offset."""
    from .tomlspans import strings

    return [Value(str(s.path[-1]), s.value, s.start, s.end) for s in strings(data)
            if s.path[:-1] in SECTIONS and isinstance(s.path[-1], str)]


KIND = Kind("fly", globs=("fly.toml", "fly.*.toml"), values=values, name_env="part")
