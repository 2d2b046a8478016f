"""Vercel: `vercel.json` and the Build Output API (`.vercel/output/`).

* `vercel.json` `env` (functions) and `build.env` (the build) are deprecated in favour of
  project environment variables, but still applied to every deployment made with the file,
  production included: production.
* `.vercel/output/` is what `vercel build` (or a framework adapter) writes and
  `vercel deploy --prebuilt` uploads. `vercel build` records the target it built for in
  `.vercel/output/builds.json` (`"target": "preview"` unless `--prod`, or a custom
  environment): the functions' `.vc-config.json` `environment` and `config.json`'s routes take
  that target. Without `builds.json` the target is unknown and the file's own environment
  applies (production, unless config or `--environment` say otherwise).
* Pulled env files (`vercel pull --environment=preview` writes `.vercel/.env.preview.local`,
  `vercel env pull` writes `.env.local`) are env files: their name says the environment.
"""
from __future__ import annotations

import json
import os
import re

from .. import environments
from .kind import Kind
from .platforms import Env, default_production, json_tree
from .values import Options, Value

_OUTPUT = re.compile(r"(?:^|/)\.vercel/output/")
MAX_BUILDS_JSON = 1 << 20


def build_target(path: str) -> Env:
    """The environment `.vercel/output/builds.json` (beside the output holding *path*) names."""
    p = path.replace("\\", "/")
    m = None
    for m in _OUTPUT.finditer(p):
        pass
    if m is None or "!" in p:
        return None, None
    builds = p[:m.end()] + "builds.json"
    try:
        if os.path.getsize(builds) > MAX_BUILDS_JSON:
            return None, None
        with open(builds, encoding="utf-8") as f:
            target = json.load(f).get("target")
    except (OSError, ValueError, AttributeError):
        return None, None
    if not isinstance(target, str) or not target.strip():
        return None, None
    env = environments.normalise(target)
    return env, (f"`{builds}` says `vercel build` built this output for target `{target}`"
                 + ("" if env == "production" else ": `vercel deploy --prebuilt` deploys it as a preview, not production"))


def _strings(tree: object, key: str = "") -> list:
    """(key, span) of every string in a JSON tree, keyed by the nearest member name."""
    from ..formats.jsonspans import Span

    if isinstance(tree, Span):
        return [(key, tree)]
    if isinstance(tree, dict):
        return [x for k, v in tree.items() for x in _strings(v, k)]
    if isinstance(tree, list):
        return [x for v in tree for x in _strings(v, key)]
    return []


def values(data: bytes, path: str, options: Options | None = None) -> list[Value]:
    from ..formats.jsonspans import Span

    tree, text, out = json_tree(data)
    if not isinstance(tree, dict):
        return out
    name = os.path.basename(path.replace("\\", "/")).lower()
    found: list[tuple[str, Span, Env]] = []
    if name == ".vc-config.json":
        env = build_target(path)
        envs = tree.get("environment")
        if isinstance(envs, dict):
            found += [(k, v, env) for k, v in envs.items() if isinstance(v, Span)]
    elif name == "config.json":
        env = build_target(path)
        found += [(k, v, env) for k, v in _strings(tree)]
    else:
        for where, table in (("env", tree.get("env")),
                             ("build.env", tree.get("build", {}).get("env") if isinstance(tree.get("build"), dict) else None)):
            if isinstance(table, dict):
                env = default_production(path, f"`{where}` in vercel.json applies to every deployment made with it, "
                                               "production included")
                found += [(k, v, env) for k, v in table.items() if isinstance(v, Span)]
    for key, span, env in found:
        out.append(Value(key, span.decode(text), span.start, span.end, environment=env[0], reason=env[1]))
    return out


KIND = Kind("vercel", globs=("vercel.json", ".vercel/output/config.json", ".vercel/output/functions/**/.vc-config.json"),
            values=values, hook=("vercel.json",), label="Vercel config")
