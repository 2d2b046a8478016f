"""JavaScript bundles: tell a string or template literal from a comment.

Most hits are settled without parsing: :func:`provably_not_in_comment` shows,
from the bytes before the hit, that no comment can be open there (minifiers
strip nearly all comments). Only the rest are parsed, with tree-sitter, up to
a size cap; past it a hit keeps context ``unknown`` and counts as code. Every
shortcut errs towards "not a comment", which blocks: it can add a blocking
finding, never hide one.
"""
from __future__ import annotations

import re
from typing import Callable

from .hits import Hit, generic
from .kind import Kind

MAX_PARSE = 12 << 20
_parser = None

_QUOTE_CONTEXT = {'"': "string", "'": "string", "`": "template"}
# tree-sitter node types that settle a hit's context
_NODE_CONTEXT = {
    "comment": "comment", "regex": "regex", "regex_pattern": "regex", "string": "string",
    "template_string": "template", "jsx_text": "string",
}
LINE_COMMENT_REACH = 2048


class CommentTracker:
    """Whether a comment can be open at increasing offsets of one file.

    It walks the bytes once, from the file start, and remembers only whether
    a ``/*`` may still be open and whether the current line has a ``//`` that
    may open a comment (any ``//`` except the ``//`` of ``scheme://`` and an
    escaped ``\\/\\/``). Sound for block comments: inside ``/* … */`` no
    ``*/`` follows the last ``/*``. Anything it cannot rule out goes to the
    parser, so a mistake here can only add a blocking finding, never hide one.
    """

    def __init__(self) -> None:
        self.upto = 0  # absolute offset walked so far
        self.block_from = -1  # absolute offset after a /* that may be open, or -1
        self.line_comment_at = -1  # absolute offset of the last comment-like `//` on this line
        self.broken = False  # a stretch of the file was never seen: nothing is provable

    def _walk(self, src, base: int, a: int, b: int) -> None:
        """Advance over absolute [a, b) using ``src`` (which holds absolute offset ``base`` at 0)."""
        lo, hi = max(a - 1 - base, 0), b - base  # one byte back: a `/*` or `//` split at a
        # The last `*/` first: an opener before it (`/*` ending at or before it) is closed by it,
        # so openers are looked for only after it (from one byte back: `/*/` opens). Minified
        # stretches hold neither, and each is then searched once, not an opener per literal `"/*"`.
        closer = src.rfind(b"*/", lo, hi)
        floor = max(lo, closer - 1)
        opener = src.rfind(b"/*", floor, hi)
        while opener >= 0 and _in_literal(src, opener):
            opener = src.rfind(b"/*", floor, opener)
        if opener >= 0:  # no `*/` after it: `closer` is the last, and before opener + 2
            self.block_from = base + opener + 2
        elif self.block_from >= 0 and 0 <= closer and closer >= self.block_from - base:
            self.block_from = -1  # an earlier opener in the stretch, or the open one, is closed
        self._walk_line(src, base, lo, hi)
        self.upto = b

    def _walk_line(self, src, base: int, lo: int, hi: int) -> None:
        """The last comment-like `//` of the line that [lo, hi) of ``src`` ends on."""
        nl = src.rfind(b"\n", lo, hi)
        if nl >= 0:
            self.line_comment_at, lo = -1, nl + 1
        i = src.rfind(b"//", lo, hi)
        while i >= 0:
            if (i == 0 or src[i - 1:i] not in (b":", b"\\")) and not _in_literal(src, i):
                self.line_comment_at = base + i
                break
            i = src.rfind(b"//", lo, i)

    def free_at(self, src, base: int, pos: int) -> bool:
        """True when no comment can be open at absolute ``pos``."""
        if self.broken or pos < self.upto:
            return False
        if base > max(self.upto - 1, 0):
            self.broken = True  # the bytes between were never seen
            return False
        self._walk(src, base, self.upto, pos)
        if self.block_from >= 0:
            return False
        # A `//` far back on a minified line is string content (`"…\n\t// x…"`): a real
        # one would comment out kilobytes of code. So is one followed on its line by an
        # escaped newline (`\n`): code held in a string (GLSL shaders, CSS) writes its line
        # comments so, and a real line comment holds `\n` only when it talks about one.
        # Guessing so can only add blocking.
        at = self.line_comment_at
        return at < 0 or pos - at > LINE_COMMENT_REACH or (at >= base and src.find(b"\\n", at + 2 - base, pos - base) >= 0)


_QUOTES = frozenset(b"\"'`")


def _in_literal(src, i: int) -> bool:
    """A `/*` or `//` at ``i`` that looks like string content: `"/*"`, `"//"`, `'*/*'`.

    Taking such an opener for string content can only make a hit count as code
    (blocking), so the guess is safe in the direction that matters.
    """
    before = src[i - 1] if i > 0 else -1
    after = src[i + 2:i + 3]
    return before in _QUOTES or before == 0x2A or (after and after[0] in _QUOTES)


def provably_not_in_comment(src, pos: int, complete: bool) -> bool:
    """One-off form of :class:`CommentTracker` for ``src[:pos]``."""
    t = CommentTracker()
    if not complete:
        t.broken = True
    return t.free_at(src, 0, pos)


def _get_parser():
    global _parser
    if _parser is None:
        import tree_sitter_javascript
        from tree_sitter import Language, Parser

        _parser = Parser(Language(tree_sitter_javascript.language()))
    return _parser


def _node_text(node) -> str | None:
    if node is None:
        return None
    t = node.text.decode("utf-8", "replace")
    return t if len(t) <= 80 else None


def _key_for(node) -> str | None:
    """The variable, property or assignment target a literal is the value of."""
    parent = node.parent
    for _ in range(4):
        if parent is None:
            return None
        t = parent.type
        if t == "variable_declarator":
            return _node_text(parent.child_by_field_name("name"))
        if t == "pair":
            text = _node_text(parent.child_by_field_name("key"))
            return text.strip("\"'`") if text else None
        if t in ("assignment_expression", "augmented_assignment_expression"):
            left = parent.child_by_field_name("left")
            if left is not None and left.type == "member_expression":
                left = left.child_by_field_name("property")
            return _node_text(left)
        if t in ("field_definition", "public_field_definition"):
            return _node_text(parent.child_by_field_name("property") or parent.child_by_field_name("name"))
        if t not in ("binary_expression", "parenthesized_expression", "template_substitution", "ternary_expression"):
            return None
        parent = parent.parent
    return None


# -- library code: where a loopback URL is not configuration ------------------
# Bytes right before a string that may make it a comparison operand, a call or
# constructor argument, a `||` fallback, an array member or a concatenation.
# Only such hits (of rules with `quiet_in_library_code`) are parsed; inlined env
# values (`n="http://localhost:4111"`, `{VITE_X:"…"}`, `;"…"`) are not. Object
# values are left out on purpose: they are how bundlers inline env objects, and
# the library placeholders written that way are known defaults. Dev-only
# branches are parsed when NODE_ENV or __DEV__ appears shortly before the hit.
_MAYBE_INERT_BEFORE = (b"==", b"!=", b"||", b"??", b"&&", b",", b"(", b"[", b"?", b"+")
_MAYBE_INERT_AFTER = (b"==", b"!=", b"+")
_COMPARE_OPS = frozenset({"==", "===", "!=", "!=="})
_COMPARE_METHODS = frozenset({
    b"startsWith", b"endsWith", b"includes", b"indexOf", b"lastIndexOf", b"test", b"match",
    b"search", b"replace", b"replaceAll", b"split", b"localeCompare", b"some", b"find",
})
_MESSAGE_CALLEE = re.compile(rb"(?:console|logger|log)\.\w+|\w*Error|warn(?:ing)?|invariant|assert")
_WS = re.compile(rb"\s+")
_DEV_COND = re.compile(
    rb"__DEV__|import\.meta\.env\.DEV|(?:process\.env\.)?NODE_ENV!==?[\"'`]production[\"'`]"
    rb"|[\"'`]production[\"'`]!==?(?:process\.env\.)?NODE_ENV"
    rb"|(?:process\.env\.)?NODE_ENV===?[\"'`]development[\"'`]|[\"'`]development[\"'`]===?(?:process\.env\.)?NODE_ENV"
    # a branch taken only when the page itself is served from this machine (emulators, dev tools)
    rb"|location\.hostname===?[\"'`](?:localhost|127\.0\.0\.1)[\"'`]|[\"'`](?:localhost|127\.0\.0\.1)[\"'`]===?(?:window\.)?location\.hostname"
)
_PROD_COND = re.compile(
    rb"!__DEV__|import\.meta\.env\.PROD|(?:process\.env\.)?NODE_ENV===?[\"'`]production[\"'`]"
    rb"|[\"'`]production[\"'`]===?(?:process\.env\.)?NODE_ENV"
)


def _needs_parse(hit: Hit) -> bool:
    """Could this quoted hit sit where library code writes loopback URLs? (cheap, bytes only)"""
    if not hit.quietable:
        return False
    if hit.dev_marker:
        return True
    before = (hit.line_prefix[:-1] if hit.quote else hit.line_prefix).rstrip()
    if before.endswith(_MAYBE_INERT_BEFORE):
        return True
    close = hit.after.find(hit.quote.encode()) if hit.quote else -1
    return close >= 0 and hit.after[close + 1:].lstrip().startswith(_MAYBE_INERT_AFTER)


def _condition(node) -> str | None:
    """'dev' when a branch condition holds only in development, 'prod' only in production."""
    if node is None or node.end_byte - node.start_byte > 200:
        return None
    t = _WS.sub(b"", node.text).strip(b"()")
    if _PROD_COND.fullmatch(t):
        return "prod"
    if _DEV_COND.fullmatch(t):
        return "dev"
    return None


def _same(a, b) -> bool:
    return b is not None and a.start_byte == b.start_byte and a.end_byte == b.end_byte and a.type == b.type


def _library_context(literal) -> str | None:
    """A library context for a string or template holding a loopback URL, or None (configuration)."""
    node, p = literal, literal.parent
    for _ in range(12):
        if p is None:
            break
        t = p.type
        if t == "binary_expression":
            op = p.child_by_field_name("operator")
            op = op.type if op is not None else ""
            left, right = p.child_by_field_name("left"), p.child_by_field_name("right")
            if op in _COMPARE_OPS:
                return "comparison"
            if op in ("||", "??") and _same(node, right) and left is not None and b"location" in left.text:
                return "url-base"
            if op == "&&" and _same(node, right) and _condition(left) == "dev":
                return "dev-branch"
            if op not in ("+", "||", "??"):
                break
        elif t == "arguments":
            call = p.parent
            if call is None:
                break
            fn = call.child_by_field_name("function") or call.child_by_field_name("constructor")
            name = fn.text if fn is not None and fn.end_byte - fn.start_byte <= 80 else b""
            index = next((i for i, c in enumerate(p.named_children) if _same(c, node)), -1)
            if call.type == "new_expression" and name in (b"URL", b"globalThis.URL", b"window.URL") and index == 1:
                return "url-base"
            if fn is not None and fn.type == "member_expression":
                prop = fn.child_by_field_name("property")
                if prop is not None and prop.text in _COMPARE_METHODS:
                    return "comparison"
                if prop is not None and prop.text == b"canParse" and index == 1:
                    return "url-base"
            if name and _MESSAGE_CALLEE.fullmatch(name):
                return "message"
            break  # any other call (fetch, io, new WebSocket, an SDK): the URL is configuration
        elif t == "member_expression":
            prop = p.child_by_field_name("property")
            if _same(node, p.child_by_field_name("object")) and prop is not None and prop.text in _COMPARE_METHODS:
                return "comparison"
            break
        elif t == "ternary_expression":
            cond = _condition(p.child_by_field_name("condition"))
            if (cond == "dev" and _same(node, p.child_by_field_name("consequence"))) or (
                    cond == "prod" and _same(node, p.child_by_field_name("alternative"))):
                return "dev-branch"
        elif t == "throw_statement":
            return "message"
        elif t not in ("parenthesized_expression", "array", "pair", "object", "template_substitution",
                       "template_string", "sequence_expression"):
            break
        node, p = p, p.parent
    return _dev_statement(literal)


def _dev_statement(node) -> str | None:
    """Inside `if (process.env.NODE_ENV !== "production") { … }` (or the else of a production test)."""
    child, p = node, node.parent
    while p is not None:
        if p.type in ("if_statement", "ternary_expression"):
            cond = _condition(p.child_by_field_name("condition"))
            cons, alt = p.child_by_field_name("consequence"), p.child_by_field_name("alternative")
            if (cond == "dev" and _same(child, cons)) or (cond == "prod" and _same(child, alt)):
                return "dev-branch"
        elif p.type == "binary_expression":  # what minifiers make of an `if`: `dev && (…)`, `prod || (…)`
            op = p.child_by_field_name("operator")
            op = op.type if op is not None else ""
            cond = _condition(p.child_by_field_name("left"))
            if _same(child, p.child_by_field_name("right")) and (
                    (op == "&&" and cond == "dev") or (op == "||" and cond == "prod")):
                return "dev-branch"
        child, p = p, p.parent
    return None


def annotate(hits: list[Hit], text: Callable[[int | None], bytes | None]) -> str | None:
    generic(hits)
    pending = []
    for hit in hits:
        if hit.comment_free and hit.quietable and hit.quote == "`" and hit.port_computed:
            hit.context = "computed"
        elif hit.comment_free and not _needs_parse(hit):
            hit.context = _QUOTE_CONTEXT.get(hit.quote, "code")
        else:
            pending.append(hit)
    if not pending:
        return None
    data = text(MAX_PARSE)
    if data is None:
        for hit in pending:
            hit.context = "unknown"
        return f"not parsed for context (larger than {MAX_PARSE >> 20} MiB): hits count as code"
    root = _get_parser().parse(data).root_node
    for hit in pending:
        context, literal = "code", None
        n = root.descendant_for_byte_range(hit.offset, hit.end)
        while n is not None:
            if n.type in _NODE_CONTEXT:
                context, literal = _NODE_CONTEXT[n.type], n
                if n.type in ("string", "template_string", "comment", "regex"):
                    break
            n = n.parent
        hit.context = context
        if literal is not None and context in ("string", "template"):
            hit.key = _key_for(literal) or hit.key
            if hit.quietable:
                if context == "template" and hit.port_computed:
                    hit.context = "computed"
                else:
                    hit.context = _library_context(literal) or context
        elif context in ("comment", "regex"):
            hit.key = None
    return None


KIND = Kind("javascript", globs=("*.js", "*.mjs", "*.cjs", "*.jsx", "*.ts", "*.tsx", "*.mts", "*.cts"),
            annotate=annotate, hook=(), name_env="part")
