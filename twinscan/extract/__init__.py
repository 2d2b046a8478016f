"""Extract: give each candidate hit its context (string, comment, …) and the key it is assigned to.

One module per artifact kind. Only files with hits get here, so the heavier
parsers (tree-sitter) are imported and run only then.
"""
from __future__ import annotations

import importlib
import re
from dataclasses import dataclass
from typing import Callable

from .values import Options, Value

#: Contexts in which a URL is reported but never blocks.
INERT_CONTEXTS = {
    "comment": "the URL is only in a comment", "regex": "the URL is only in a regular expression",
    # JavaScript places where library code legitimately writes a loopback URL; only hits of
    # rules with `quiet_in_library_code` are given these contexts (see javascript.py).
    "comparison": "the URL is a comparison operand (`x === \"http://localhost\"`, `.startsWith(…)`), not configuration",
    "url-base": "the URL is a base for parsing other URLs or a placeholder for the page location (`new URL(path, base)`, `location.href || …`)",
    "dev-branch": "the URL is in a development-only branch (`process.env.NODE_ENV !== \"production\"`, `__DEV__`)",
    "message": "the URL is in a log or error message (`console.*`, `new Error(…)`)",
    "computed": "the URL's port is computed at run time (`http://localhost:${port}`), not an inlined twin value",
    # any rule: a shipped source map publishes the original source, but it never runs
    "source-map": "the URL is in a source map (its embedded original source), which is shipped but never runs; "
                  "shipping source maps to production publishes your source",
}


@dataclass
class Hit:
    offset: int  # byte offset in the decoded text
    end: int
    line_prefix: bytes  # up to 256 bytes before the hit on the same line
    key: str | None = None
    context: str = "value"
    quote: str = ""  # the byte before the URL when it opens a string: " ' `
    comment_free: bool = False  # proven not inside a comment (JavaScript), no parse needed
    environment: str | None = None  # set by a structured extractor: the value's own environment
    env_reason: str | None = None
    after: bytes = b""  # up to 128 bytes after the hit, same line
    quietable: bool = False  # the rule is `quiet_in_library_code`: library contexts apply
    dev_marker: bool = False  # NODE_ENV / __DEV__ shortly before the hit (a dev branch may hold it)
    port_computed: bool = False  # `http://localhost:${port}`: the URL text ends at `:` before `${`


_KEY = re.compile(rb"""([A-Za-z_$][\w$.-]*)["']?\s*(?:=|:)\s*["'`]?\s*$""")


def generic(hits: list[Hit]) -> None:
    """Any text: the key is whatever `KEY=`, `key:` or `"key":` precedes the URL on its line."""
    for hit in hits:
        m = _KEY.search(hit.line_prefix[-96:])  # the key sits right before the value
        if m:
            hit.key = m.group(1).decode("utf-8", "replace")


#: Artifact kinds whose extractor lists values with their environments (see values.py).
STRUCTURED = {"dotenv": "dotenv", "dockerfile": "dockerfile", "compose": "compose",
              "workflow": "workflows", "yaml": "kubernetes", "json": "image"}
MAX_STRUCTURED = 16 << 20  # larger config files are judged by the byte pass alone


def structured_values(kind: str, data: bytes, path: str, options: Options) -> list[Value] | None:
    """The values a structured artifact assigns, or None for unstructured kinds.

    Raises values.ExtractError when the file cannot be parsed.
    """
    name = STRUCTURED.get(kind)
    if name is None:
        return None
    module = importlib.import_module(f".{name}", __name__)
    return module.values(data, path, options)


def unparsed(hits: list[Hit]) -> None:
    """Hits in a config file that no value holds: the key from the line, and a line
    starting with `#` (env, Dockerfile, YAML) is a comment."""
    generic(hits)
    for hit in hits:
        if hit.line_prefix.lstrip().startswith(b"#"):
            hit.context = "comment"


def apply_values(hits: list[Hit], values: list[Value], blocks: Callable[[Value], bool]) -> None:
    """Give each hit the key, context and environment of the innermost value holding it.

    One text can be several values (workflow-level env inherited by every job,
    a matrix over environments): the hit then takes a value that ``blocks``
    when there is one, so a URL that reaches any production job blocks.
    """
    for hit in hits:
        holders = [v for v in values if v.start <= hit.offset < v.end]
        if not holders:
            unparsed([hit])
            continue
        width = min(v.end - v.start for v in holders)
        innermost = [v for v in holders if v.end - v.start == width]
        v = next((v for v in innermost if blocks(v)), innermost[0])
        hit.key, hit.environment, hit.env_reason = v.key, v.environment, v.reason
        hit.context = v.context


def annotate(kind: str, hits: list[Hit], text: Callable[[int | None], bytes | None]) -> str | None:
    """Key and context for unstructured kinds; returns a note when context could not be computed."""
    if kind == "javascript":
        from . import javascript

        return javascript.annotate(hits, text)
    if kind == "html":
        from . import html

        return html.annotate(hits, text)
    if kind in STRUCTURED:  # its values could not be read (parse error, too large)
        unparsed(hits)
    else:
        generic(hits)
    return None
