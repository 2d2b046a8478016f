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
    "dev-branch": "the URL is in a development-only branch (`process.env.NODE_ENV !== \"production\"`, `__DEV__`, "
                  "`location.hostname === \"localhost\"`)",
    "message": "the URL is in a log or error message (`console.*`, `new Error(…)`)",
    "computed": "the URL's port is computed at run time (`http://localhost:${port}`), not an inlined twin value",
    # any rule: a shipped source map publishes the original source, but it never runs
    # a URL after another URL's `#` is that URL's fragment: browsers never send it to any server
    "url-fragment": "the URL is inside another URL's fragment (after its `#`), which is never sent to a server",
    "source-map": "the URL is in a source map (its embedded original source), which is shipped but never runs; "
                  "shipping source maps to production publishes your source",
}


@dataclass(slots=True)  # slotted: a file may hold 100,000 hits until they are judged (issue 14)
class Hit:
    """One URL the byte pass confirmed, with what extraction learns about it: its key, context and environment."""

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


#: The key that ends a line's prefix, ``([A-Za-z_$][\w$.-]*)["']?\s*(?:=|:)\s*["'`]?\s*$`` (`KEY=`,
#: `key:`, `"key": "`), matched on the prefix reversed: searched forwards, an expression anchored
#: at the end is tried from every byte of the 96, ~12 µs a hit of minified code against ~0.8 µs
#: (issue 14: ~4,000 hits in a tree of chunks). The leftmost start forwards is the longest key
#: backwards: the run of key bytes, from its first letter, `_` or `$`. A test compares the two.
_KEY_REVERSED = re.compile(rb"""\s*["'`]?\s*(?:=|:)\s*["']?([\w$.-]*[A-Za-z_$])""")


def key_before(prefix: bytes) -> bytes | None:
    """The key right before a value whose line starts with *prefix* (its last 96 bytes), or None."""
    m = _KEY_REVERSED.match(prefix[-96:][::-1])
    return m.group(1)[::-1] if m else None


def generic(hits: list[Hit]) -> None:
    """Any text: the key is whatever `KEY=`, `key:` or `"key":` precedes the URL on its line."""
    for hit in hits:
        key = key_before(hit.line_prefix)  # the key sits right before the value
        if key is not None:
            hit.key = key.decode("utf-8", "replace")


def unparsed(hits: list[Hit]) -> None:
    """Hits in a config file that no value holds (env, Dockerfile, YAML, TOML: `#` starts a
    comment). A hit after a `#` that starts a comment (at the line start, or after whitespace
    outside quotes: `KEY=https://api.stripe.com  # local: http://localhost:4111`) is a comment;
    its key is the line's own key, or a commented-out assignment's (`# VITE_X=http://…`),
    never a word of the prose (`local:`)."""
    for hit in hits:
        at = comment_start(hit.line_prefix)
        if at < 0:
            generic([hit])
            continue
        hit.context = "comment"
        inside = _ASSIGNED.search(hit.line_prefix[at + 1:][-96:])
        line_key = _LINE_KEY.match(hit.line_prefix[:at])
        m = inside or line_key
        hit.key = m.group(1).decode("utf-8", "replace") if m else None


#: a commented-out assignment right before the hit: `# VITE_X=http://…`, `# export X="…`
_ASSIGNED = re.compile(rb"""(?:^|\s)(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)=["']?$""")
#: the key a line assigns before its comment: `KEY=…`, `key: …`, `- KEY=…`, `"key": …`
_LINE_KEY = re.compile(rb"""\s*(?:-\s+)?(?:export\s+)?["']?([A-Za-z_$][\w$.-]*)["']?\s*[=:]""")
_OPENS_QUOTE = frozenset(b" \t=:[,{(")


def comment_start(prefix: bytes) -> int:
    """Where a `#` comment starts in *prefix* (a line up to a hit), or -1: a `#` at the line start
    or after a space or tab, outside quotes. A quote counts only where a string can open
    (after whitespace, `=`, `:`, `[`, `,`), so the apostrophe in `it's` opens nothing; `/#` (a
    fragment) and `a#b` start no comment, as in YAML, `.env` files, TOML and shells."""
    quote = 0
    i = 0
    while i < len(prefix):
        c = prefix[i]
        if quote:
            if c == 0x5C and quote == 0x22:  # \" inside double quotes
                i += 1
            elif c == quote:
                quote = 0
        elif c in (0x22, 0x27) and (i == 0 or prefix[i - 1] in _OPENS_QUOTE):
            quote = c
        elif c == 0x23 and (i == 0 or prefix[i - 1] in (0x20, 0x09)):
            return i
        i += 1
    return -1


#: the hit continues a URL whose fragment has begun: `https://status.yourco.com/#http://localhost:4111`
_IN_FRAGMENT = re.compile(rb"""[A-Za-z][A-Za-z0-9+.-]*://[^\s"'<>`#]*#[^\s"'<>`]*$""")


def fragments(hits: list[Hit]) -> None:
    """Give a hit inside another URL's fragment the inert `url-fragment` context (unless its
    context is inert already): the text after `#` never reaches a server, so it is not where
    a service points. Cheap: one anchored search of the hit's line prefix."""
    for hit in hits:
        if hit.context not in INERT_CONTEXTS and b"#" in hit.line_prefix and _IN_FRAGMENT.search(hit.line_prefix):
            hit.context = "url-fragment"
