"""What the deploy-platform kinds (Netlify, Wrangler, Vercel, Render, Heroku) share.

Each platform's config file holds the environment of a value in its section (a Netlify
context, a Wrangler `[env.<name>]`, a Render project environment). A value in the section
the platform deploys to production by default is production, with a reason naming that
section, unless the file's own name names another environment (`wrangler.staging.toml`
given to `wrangler deploy --config`): then the file's environment applies, as for any file.
"""
from __future__ import annotations

import posixpath

from .. import environments
from .values import Value

Env = tuple  # (environment or None, reason or None)


def name_environment(path: str) -> str | None:
    """The environment a config file's name spells besides the platform's own word
    (`wrangler.staging.toml`, `render-prod.yaml`, `netlify.example.toml`), else None."""
    name = posixpath.basename(path.replace("\\", "/")).lower()
    stem = name.rsplit(".", 1)[0] if "." in name.lstrip(".") else name
    return environments.known(stem)


def default_production(path: str, reason: str) -> Env:
    """The environment of a value in the platform's production section: production with
    *reason*, unless the file's name names another environment (a second config given to
    the platform's CLI: `wrangler deploy --config wrangler.staging.toml`)."""
    named = name_environment(path)
    if named is not None:
        shown = posixpath.basename(path.replace("\\", "/"))
        return named, f"file name `{shown}` names the {named} environment"
    return "production", reason


def value(key: str, text: str, start: int, end: int, env: Env) -> Value:
    return Value(key, text, start, end, environment=env[0], reason=env[1])


def json_tree(data: bytes) -> tuple[object, bytes, list[Value]]:
    """(tree with jsonspans.Span strings, the JSON text, Values for its comments) of a JSON or
    JSONC file: comments and trailing commas are allowed, offsets are the file's own."""
    import json

    from ..formats.jsonc import blank
    from ..formats.jsonspans import JsonSyntaxError, SpanParser
    from .values import ExtractError

    try:
        text, comments = blank(data[3:] if data.startswith(b"\xef\xbb\xbf") else data)
        if data.startswith(b"\xef\xbb\xbf"):
            text, comments = b"   " + text, [(s + 3, e + 3) for s, e in comments]
        json.loads(text.decode("utf-8"))  # strings checked here (escapes, control characters, UTF-8)
        tree, end = SpanParser(text, max_depth=64).parse()
        if text[end:].strip():
            raise JsonSyntaxError(end, "extra data after the document")
    except RecursionError:
        raise ExtractError("invalid JSON: nested too deeply") from None
    except (JsonSyntaxError, ValueError) as e:  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        raise ExtractError(f"invalid JSON: {e}") from None
    notes = [Value("", data[s:e].decode("utf-8", "replace"), s, e, context="comment") for s, e in comments]
    return tree, text, notes
