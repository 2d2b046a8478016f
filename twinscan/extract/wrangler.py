"""Cloudflare Wrangler: `wrangler.toml`, `wrangler.json`, `wrangler.jsonc`, and `.dev.vars`.

`wrangler deploy` deploys the top-level Worker; `wrangler deploy --env <name>` deploys the
`[env.<name>]` one. `vars` and `define` are not inherited: an environment sees only its own
`[env.<name>.vars]`, never the top-level `vars`. So top-level `vars`/`define` values are
production (the default deploy), and `env.<name>.vars`/`define` values take the environment
`<name>` spells (`staging`, `prod`, `production-eu`). `.dev.vars` and `.dev.vars.<env>` are
read only by `wrangler dev` (local development): development, whatever they hold.
A URL in a JSONC comment is reported, not taken for a value.
"""
from __future__ import annotations

import posixpath

from .. import environments
from .kind import Kind
from .platforms import Env, default_production, value
from .values import Options, Value

_SECTIONS = ("vars", "define")


def _environment(path: str, name: str | None, section: str) -> Env:
    if name is None:
        return default_production(path, f"top-level `{section}` deploy with `wrangler deploy` (no `--env`); "
                                        "Wrangler environments do not inherit them")
    env = environments.normalise(name)
    return env, f"`env.{name}.{section}` deploy with `wrangler deploy --env {name}` only"


def _dev_vars(data: bytes, path: str, options: Options | None) -> list[Value]:
    from .dotenv import values as dotenv_values

    name = posixpath.basename(path.replace("\\", "/"))
    reason = f"`{name}` is read only by `wrangler dev` (local development), never deployed"
    return [Value(v.key, v.value, v.start, v.end, environment="development", reason=reason, context=v.context)
            for v in dotenv_values(data, path, options)]


def _json(data: bytes, path: str) -> list[Value]:
    from ..formats.jsonspans import Span
    from .platforms import json_tree

    tree, text, out = json_tree(data)
    if not isinstance(tree, dict):
        return out
    scopes: list[tuple[str | None, dict]] = [(None, tree)]
    envs = tree.get("env")
    if isinstance(envs, dict):
        scopes += [(name, body) for name, body in envs.items() if isinstance(body, dict)]
    for name, body in scopes:
        for section in _SECTIONS:
            table = body.get(section)
            if not isinstance(table, dict):
                continue
            env = _environment(path, name, section)
            for key, span in table.items():
                if isinstance(span, Span):
                    out.append(value(key, span.decode(text), span.start, span.end, env))
    return out


def _toml(data: bytes, path: str) -> list[Value]:
    from .tomlspans import strings

    out = []
    for s in strings(data):
        p = s.path
        if len(p) == 2 and p[0] in _SECTIONS:
            out.append(value(p[1], s.value, s.start, s.end, _environment(path, None, p[0])))
        elif len(p) == 4 and p[0] == "env" and p[2] in _SECTIONS:
            out.append(value(p[3], s.value, s.start, s.end, _environment(path, str(p[1]), p[2])))
    return out


def values(data: bytes, path: str, options: Options | None = None) -> list[Value]:
    name = posixpath.basename(path.replace("\\", "/")).lower()
    if name.startswith(".dev.vars"):
        return _dev_vars(data, path, options)
    if name.endswith(".toml"):
        return _toml(data, path)
    return _json(data, path)


KIND = Kind("wrangler", globs=("wrangler.toml", "wrangler.json", "wrangler.jsonc", "wrangler.*.toml", "wrangler.*.json",
                               "wrangler.*.jsonc", ".dev.vars", ".dev.vars.*"), values=values, label="Wrangler config")
