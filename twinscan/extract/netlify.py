"""Netlify `netlify.toml`: the environment variables of each deploy context.

Netlify builds every deploy in a context: `production` (the production branch),
`deploy-preview` (pull requests), `branch-deploy` (other branches), `dev` (`netlify dev`),
and a context named after a branch (`[context.staging]`) for that branch's deploys.

* `[context.<name>.environment]` (also `environment = {…}` under `[context.<name>]`, or a
  dotted key) takes the context's environment: production for `production`; preview,
  branch-deploy and development for the others; a branch context takes the environment its
  branch name spells (`staging`, `develop`), and `main`/`master`, the usual production branch
  (set in Netlify's UI), production: a branch context also applies to that branch's production
  deploys.
* `[build.environment]` applies to every context unless the context's own environment sets
  the same variable (Netlify's merge rule): it is production unless a production context
  overrides it, then the environment of the first context that still sees it.
* `[template.environment]` describes variables for the "Deploy to Netlify" button: an example.
"""
from __future__ import annotations

from .. import environments
from .kind import Kind
from .platforms import default_production, value
from .values import Options, Value

_CONTEXTS = {"production": "production", "deploy-preview": "preview", "branch-deploy": "branch-deploy",
             "dev": "development"}
_PRODUCTION_BRANCHES = ("main", "master")
_OTHERS = ("deploy-preview", "branch-deploy", "dev")


def context_environment(name: str) -> tuple[str, str]:
    """(environment, why) of a deploy context or branch context."""
    if name in _CONTEXTS:
        return _CONTEXTS[name], {
            "production": "the production context builds the production branch",
            "deploy-preview": "the deploy-preview context builds Deploy Previews of pull requests",
            "branch-deploy": "the branch-deploy context builds branches other than the production branch",
            "dev": "the dev context is used by `netlify dev` only",
        }[name]
    if name.lower() in _PRODUCTION_BRANCHES:
        return "production", f"branch `{name}` is the usual production branch (set in Netlify's UI), whose deploys take its context"
    env = environments.known(name)
    if env:
        return env, f"a branch context applies to deploys of branch `{name}`"
    return environments.normalise(name), f"a branch context applies to branch deploys of `{name}`, not to production"


def values(data: bytes, path: str, options: Options | None = None) -> list[Value]:
    from .tomlspans import parse, strings

    doc = parse(data)
    contexts = doc.get("context") if isinstance(doc.get("context"), dict) else {}

    def sets(ctx: str, key: str) -> bool:
        env = contexts.get(ctx, {}).get("environment") if isinstance(contexts.get(ctx), dict) else None
        return isinstance(env, dict) and key in env

    out: list[Value] = []
    for s in strings(data, doc):
        p = s.path
        if len(p) == 3 and p[:2] == ("build", "environment"):
            key = p[2]
            prod = [c for c in contexts if context_environment(str(c))[0] == "production" and sets(c, key)]
            if not prod:
                env = default_production(path, f"`[build.environment]` applies to every deploy context, and no production "
                                               f"context overrides `{key}`")
            else:
                seen = next((c for c in _OTHERS if not sets(c, key)), None)
                if seen is None:
                    env = ("development", f"`[build.environment]` `{key}` is overridden by every deploy context")
                else:
                    name = context_environment(seen)[0]
                    env = (name, f"`[build.environment]` `{key}` is overridden by `[context.{prod[0]}.environment]`; "
                                 f"only other contexts see it, such as {seen} ({name})")
            out.append(value(key, s.value, s.start, s.end, env))
        elif len(p) == 4 and p[0] == "context" and p[2] == "environment":
            name, why = context_environment(str(p[1]))
            ctx = p[1] if all(ch.isalnum() or ch in "-_" for ch in p[1]) else f'"{p[1]}"'
            reason = f"`[context.{ctx}.environment]`: {why}"
            env = default_production(path, reason) if name == "production" else (name, reason)
            out.append(value(p[3], s.value, s.start, s.end, env))
        elif len(p) == 3 and p[:2] == ("dev", "environment"):
            out.append(value(p[2], s.value, s.start, s.end, ("development", "`[dev.environment]` is read by `netlify dev` only")))
        elif len(p) == 3 and p[:2] == ("template", "environment"):
            out.append(value(p[2], s.value, s.start, s.end,
                             ("example", "`[template.environment]` describes variables for the Deploy to Netlify button")))
    return out


KIND = Kind("netlify", globs=("netlify.toml",), values=values, label="netlify.toml")
