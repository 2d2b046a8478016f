"""Heroku `app.json` (the app manifest of Heroku Buttons, Review Apps and Heroku CI).

`app.json` is also Expo's file name, so it is Heroku's only when its content has Heroku's
keys (`env` entries with `value`/`generator`/`required`, `formation`, `addons`,
`buildpacks`, `environments`, `scripts.postdeploy`, `success_url`); otherwise it is left to
the kinds after this one.

* `env.<KEY>` (a string, or `{ "value": … }`) configures the app the manifest creates:
  production.
* `environments.review.env` is for Review Apps (review), `environments.test.env` for Heroku
  CI test runs (test); any other `environments.<name>.env` takes the environment its name spells.
* An env entry's `description` is documentation (shown by the Heroku Button form): example.
"""
from __future__ import annotations

import re

from .. import environments
from .kind import Kind
from .platforms import Env, default_production, json_tree, value
from .values import Options, Value

_HEROKU_KEYS = re.compile(rb'"(?:formation|addons|buildpacks|environments|postdeploy|pr-predestroy|success_url)"\s*:')
_ENV_ENTRY = re.compile(rb'"env"\s*:\s*\{\s*"[^"]*"\s*:\s*(?:"|\{[^{}]*"(?:value|generator|required|description)"\s*:)')
_EXPO = re.compile(rb'"expo"\s*:')


def is_heroku(head: bytes) -> bool:
    """Whether the first bytes of an `app.json` look like Heroku's manifest (not Expo's)."""
    return not _EXPO.search(head) and bool(_HEROKU_KEYS.search(head) or _ENV_ENTRY.search(head))


def _entries(env: object, path: str, where: str, environment: Env) -> list[Value]:
    from ..formats.jsonspans import Span

    out: list[Value] = []
    if not isinstance(env, dict):
        return out
    for key, entry in env.items():
        span = entry if isinstance(entry, Span) else entry.get("value") if isinstance(entry, dict) else None
        if isinstance(span, Span):
            out.append(value(key, "", span.start, span.end, environment))
        doc = entry.get("description") if isinstance(entry, dict) else None
        if isinstance(doc, Span):  # shown in the Heroku Button form, never set: documentation
            out.append(value(key, "", doc.start, doc.end, ("example", f"the `description` of `{where}.{key}` "
                                                                      "documents the variable; Heroku never sets it")))
    return out


def values(data: bytes, path: str, options: Options | None = None) -> list[Value]:
    from ..formats.jsonspans import Span

    tree, text, out = json_tree(data)
    if not isinstance(tree, dict):
        return out
    found = _entries(tree.get("env"), path, "env",
                     default_production(path, "`env` sets the config vars of the apps this manifest creates "
                                              "(Heroku Button, app setups)"))
    envs = tree.get("environments")
    if isinstance(envs, dict):
        for name, body in envs.items():
            if not isinstance(body, dict):
                continue
            env = {"review": "review", "test": "test"}.get(name) or environments.normalise(name)
            why = {"review": "Review Apps of pull requests", "test": "Heroku CI test runs"}.get(name, f"the `{name}` environment")
            found += _entries(body.get("env"), path, f"environments.{name}.env",
                              (env, f"`environments.{name}.env` is for {why}, not the production app"))
    for v in found:
        out.append(Value(v.key, Span(v.start, v.end).decode(text), v.start, v.end, v.environment, v.reason))
    return out


KIND = Kind("heroku", globs=("app.json",), sniff=is_heroku, values=values, label="Heroku app.json")
