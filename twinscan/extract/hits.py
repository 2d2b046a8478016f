"""A candidate hit and the context-free annotators every kind may fall back on.

A leaf: the kind modules (javascript, html, …) and the registry import it; it imports
no kind, so no kind module imports the `extract` package.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

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
    role: str | None = None  # what the holding value is for, when its artifact says (Value.role)
    role_reason: str | None = None


_KEY = re.compile(rb"""([A-Za-z_$][\w$.-]*)["']?\s*(?:=|:)\s*["'`]?\s*$""")


def generic(hits: list[Hit]) -> None:
    """Any text: the key is whatever `KEY=`, `key:` or `"key":` precedes the URL on its line."""
    for hit in hits:
        m = _KEY.search(hit.line_prefix[-96:])  # the key sits right before the value
        if m:
            hit.key = m.group(1).decode("utf-8", "replace")


def unparsed(hits: list[Hit]) -> None:
    """Hits in a config file that no value holds: the key from the line, and a line
    starting with `#` (env, Dockerfile, YAML, TOML) is a comment."""
    generic(hits)
    for hit in hits:
        if hit.line_prefix.lstrip().startswith(b"#"):
            hit.context = "comment"
