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

from . import Hit, generic

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
        opener = src.rfind(b"/*", lo, hi)
        while opener >= 0 and _in_literal(src, opener):
            opener = src.rfind(b"/*", lo, opener)
        if opener >= 0:
            self.block_from = base + opener + 2
        if self.block_from >= 0 and src.rfind(b"*/", max(self.block_from - base, lo), hi) >= 0:
            self.block_from = -1
        nl = src.rfind(b"\n", lo, hi)
        if nl >= 0:
            self.line_comment_at, lo = -1, nl + 1
        i = src.rfind(b"//", lo, hi)
        while i >= 0:
            if (i == 0 or src[i - 1:i] not in (b":", b"\\")) and not _in_literal(src, i):
                self.line_comment_at = base + i
                break
            i = src.rfind(b"//", lo, i)
        self.upto = b

    def free_at(self, src, base: int, pos: int) -> bool:
        """True when no comment can be open at absolute ``pos``."""
        if self.broken or pos < self.upto:
            return False
        if base > max(self.upto - 1, 0):
            self.broken = True  # the bytes between were never seen
            return False
        self._walk(src, base, self.upto, pos)
        # A `//` far back on a minified line is string content (`"…\n\t// x…"`): a real
        # one would comment out kilobytes of code. Guessing so can only add blocking.
        in_line = self.line_comment_at >= 0 and pos - self.line_comment_at <= LINE_COMMENT_REACH
        return self.block_from < 0 and not in_line


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
        if p.type == "if_statement":
            cond = _condition(p.child_by_field_name("condition"))
            cons, alt = p.child_by_field_name("consequence"), p.child_by_field_name("alternative")
            if (cond == "dev" and _same(child, cons)) or (cond == "prod" and _same(child, alt)):
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


# -- constant concatenations --------------------------------------------------
_JS_ESCAPE = re.compile(r"\\(u\{[0-9a-fA-F]{1,6}\}|u[0-9a-fA-F]{4}|x[0-9a-fA-F]{2}|\r\n|[\s\S])")
_SIMPLE = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", "v": "\v", "0": "\0", "\n": "", "\r\n": ""}


def _unescape(text: str) -> str:
    def one(m: re.Match) -> str:
        e = m.group(1)
        if e[0] == "u" and len(e) > 1:
            code = int(e[2:-1] if e[1] == "{" else e[1:], 16)
            return chr(code) if code < 0x110000 else ""
        if e[0] == "x" and len(e) == 3:
            return chr(int(e[1:], 16))
        return _SIMPLE.get(e, e)

    return _JS_ESCAPE.sub(one, text)


def _constant(node) -> str | None:
    """The value of a constant operand: a string, a template without substitutions, a number."""
    t = node.type
    if t == "string":
        return _unescape(node.text.decode("utf-8", "surrogateescape")[1:-1])
    if t == "template_string":
        if any(c.type == "template_substitution" for c in node.children):
            return None
        return _unescape(node.text.decode("utf-8", "surrogateescape")[1:-1])
    if t == "number" and node.end_byte - node.start_byte <= 8:
        return node.text.decode("ascii", "replace")
    if t == "parenthesized_expression" and node.named_child_count == 1:
        while node.type == "parenthesized_expression" and node.named_child_count == 1:
            node = node.named_children[0]  # iteratively: thousands of parentheses must not recurse
        return None if node.type == "parenthesized_expression" else _constant(node)
    return None


def _operands(node) -> list:
    """The operands of a `+` chain, left to right (parentheses looked through). Iterative:
    a chain of thousands of operands must not exhaust the stack."""
    out, stack = [], [node]
    while stack:
        n = stack.pop()
        while n.type == "parenthesized_expression" and n.named_child_count == 1:
            n = n.named_children[0]
        if n.type == "binary_expression":
            op = n.child_by_field_name("operator")
            if op is not None and op.type == "+":
                stack.append(n.child_by_field_name("right"))
                stack.append(n.child_by_field_name("left"))
                continue
        out.append(n)
    return out


class Folded:
    """A run of constant pieces of one expression (a `+` chain, a template literal, an array
    joined with a constant separator, or a decoding call of a constant) that spells a URL."""

    __slots__ = ("start", "end", "value", "context", "key", "library_context")

    def __init__(self, start, end, value, context, key, library_context):
        self.start, self.end, self.value = start, end, value
        self.context, self.key, self.library_context = context, key, library_context


MAX_FOLD = 4096  # characters of one folded value
_FOLD_DEPTH = 24  # nested foldable expressions followed (deeper: not folded, never a recursion error)


def _plus(node) -> bool:
    if node.type != "binary_expression":
        return False
    op = node.child_by_field_name("operator")
    return op is not None and op.type == "+"


def _callee(call) -> bytes:
    fn = call.child_by_field_name("function")
    if fn is None or fn.end_byte - fn.start_byte > 40:
        return b""
    return fn.text


def _args(call) -> list:
    a = call.child_by_field_name("arguments")
    return [] if a is None else list(a.named_children)


_DECODERS = (b"atob", b"window.atob", b"globalThis.atob", b"self.atob", b"decodeURIComponent", b"decodeURI",
             b"String.fromCharCode", b"Buffer.from")


def _join_call(node):
    """The array of ``[…].join(sep)``, when ``node`` is that call."""
    if node.type != "call_expression":
        return None
    fn = node.child_by_field_name("function")
    if fn is None or fn.type != "member_expression":
        return None
    obj, prop = fn.child_by_field_name("object"), fn.child_by_field_name("property")
    if prop is None or prop.text != b"join" or obj is None or obj.type != "array":
        return None
    return obj


def _to_string_of(node):
    """``Buffer.from(…).toString()``: the inner call."""
    if node.type != "call_expression" or _args(node):
        return None
    fn = node.child_by_field_name("function")
    if fn is None or fn.type != "member_expression":
        return None
    obj, prop = fn.child_by_field_name("object"), fn.child_by_field_name("property")
    if prop is not None and prop.text == b"toString" and obj is not None and obj.type == "call_expression" \
            and _callee(obj) == b"Buffer.from":
        return obj
    return None


def _decode_call(call, depth: int) -> str | None:
    """The value of `atob("…")`, `decodeURIComponent("…")`, `String.fromCharCode(104, …)`,
    `Buffer.from("…", "base64")` with constant arguments; None otherwise."""
    import base64
    import binascii
    from urllib.parse import unquote

    name, args = _callee(call), _args(call)
    if name == b"String.fromCharCode":
        out = []
        for a in args:
            if a.type != "number" or a.end_byte - a.start_byte > 8:
                return None
            t = a.text.decode("ascii", "replace").lower()
            try:
                n = int(t, 16) if t.startswith("0x") else int(t, 10)
            except ValueError:
                return None
            out.append(chr(n & 0xFFFF))
        return "".join(out) if out else None
    if name not in _DECODERS or not args:
        return None
    arg = _value(args[0], depth + 1)
    if arg is None:
        return None
    if name == b"Buffer.from":
        enc = _value(args[1], depth + 1) if len(args) > 1 else None
        if enc not in ("base64", "base64url"):
            return None
    elif len(args) != 1:
        return None
    if name.startswith(b"decodeURI"):
        return unquote(arg, errors="surrogateescape")
    b64 = "".join(arg.split())
    try:
        raw = base64.b64decode(b64 + "=" * (-len(b64) % 4), altchars=b"-_" if "-" in b64 or "_" in b64 else None)
    except (binascii.Error, ValueError):
        return None
    return raw.decode("latin-1") if name != b"Buffer.from" else raw.decode("utf-8", "replace")


def _value(node, depth: int = 0) -> str | None:
    """The whole constant value of an expression, or None when any part is not constant."""
    if depth > _FOLD_DEPTH:
        return None
    while node.type == "parenthesized_expression" and node.named_child_count == 1:
        node = node.named_children[0]
    if node.type in ("string", "number") or (node.type == "template_string" and not any(
            c.type == "template_substitution" for c in node.children)):
        return _constant(node)
    if node.type == "call_expression" and _join_call(node) is None:
        inner = _to_string_of(node)
        return _decode_call(inner if inner is not None else node, depth)
    pieces = _pieces(node, depth)
    if pieces is None or any(v is None for v, _, _, _ in pieces):
        return None
    out = "".join(v for v, _, _, _ in pieces)
    return out if len(out) <= MAX_FOLD else None


def _pieces(node, depth: int = 0) -> list | None:
    """A concatenation's pieces in order: ``(value or None, start, end, transformed)``, for a `+`
    chain, a template literal with substitutions, or ``[…].join(constant)``; None for anything else."""
    if depth > _FOLD_DEPTH:
        return None
    while node.type == "parenthesized_expression" and node.named_child_count == 1:
        node = node.named_children[0]
    out: list = []

    def add(n) -> None:
        sub = _pieces(n, depth + 1) if (_plus(n) or n.type == "template_string" or _join_call(n) is not None) else None
        if sub is not None:
            out.extend(sub)
            return
        v = _value(n, depth + 1)
        changed = v is not None and (n.type not in ("string", "template_string") or v != n.text[1:-1].decode(
            "utf-8", "surrogateescape"))
        out.append((v, n.start_byte, n.end_byte, changed))

    if _plus(node):
        for op in _operands(node):
            add(op)
    elif node.type == "template_string":
        text, base, pos = node.text, node.start_byte, node.start_byte + 1
        subs = [c for c in node.children if c.type == "template_substitution"]
        if not subs:
            return None
        for c in subs:
            if c.start_byte > pos:
                out.append((_unescape(text[pos - base:c.start_byte - base].decode("utf-8", "surrogateescape")),
                            pos, c.start_byte, False))
            inner = c.named_children[0] if c.named_child_count == 1 else None
            if inner is None:
                out.append((None, c.start_byte, c.end_byte, False))
            else:
                n_before = len(out)
                add(inner)
                out[n_before:] = [(v, a, b, True) for v, a, b, _ in out[n_before:]]  # a substitution folds
            pos = c.end_byte
        if node.end_byte - 1 > pos:
            out.append((_unescape(text[pos - base:node.end_byte - 1 - base].decode("utf-8", "surrogateescape")),
                        pos, node.end_byte - 1, False))
    else:
        array = _join_call(node)
        if array is None:
            return None
        args = _args(node)
        sep = "," if not args else (_value(args[0], depth + 1) if len(args) == 1 else None)
        if sep is None:
            return None
        for i, el in enumerate(array.named_children):
            if i and sep:
                out.append((sep, el.start_byte, el.start_byte, True))
            if el.type == "spread_element":
                out.append((None, el.start_byte, el.end_byte, False))
            else:
                add(el)
                out[-1] = (*out[-1][:3], True)  # joining is a fold
    return out


def _fold_root(n):
    """The outermost foldable expression around node ``n``, or None inside a comment or regex."""
    top = None
    while n is not None:
        t = n.type
        if t in ("comment", "regex", "regex_pattern"):
            return None
        if t in ("string", "template_string", "number", "call_expression", "binary_expression",
                 "parenthesized_expression", "array"):
            break
        n = n.parent
    for _ in range(4 * _FOLD_DEPTH):
        if n is None:
            break
        if n.type in ("string", "template_string", "number") or _plus(n) or (
                n.type == "call_expression" and (_join_call(n) is not None or _callee(n) in _DECODERS
                                                 or _to_string_of(n) is not None)):
            top = n
        p = n.parent
        if p is None:
            break
        if _plus(p) or p.type in ("parenthesized_expression", "template_substitution", "template_string"):
            n = p
        elif p.type == "arguments" and p.parent is not None and _callee(p.parent) in _DECODERS:
            n = p.parent
        elif p.type == "member_expression" and p.parent is not None and p.parent.type == "call_expression" and (
                _join_call(p.parent) is not None or _to_string_of(p.parent) is not None):
            n = p.parent
        elif p.type == "array" and p.parent is not None and p.parent.type == "member_expression":
            n = p
        else:
            break
    return top


def folded_strings(data: bytes, offsets: list[int]):
    """For each offset a trigger expression found (`"http://" + …`, `${"https"}`, `].join(`,
    `atob("aHR0c…`, `String.fromCharCode(104,`, `decodeURIComponent("`, `\u0068ttps:`): the
    constant runs of the expression around it, folded. A run is yielded when something was
    folded (two pieces or more, a decoded call, a substitution, an escape); from the piece at the
    offset on when the offset falls in one (a `+` chain starting at the URL's literal)."""
    root = _get_parser().parse(data).root_node
    done: set[tuple[int, int]] = set()
    for off in offsets:
        top = _fold_root(root.descendant_for_byte_range(off, off + 1))
        if top is None or (top.start_byte, top.end_byte) in done:
            continue
        done.add((top.start_byte, top.end_byte))
        pieces = _pieces(top)
        if pieces is None:
            v = _value(top)
            changed = v is not None and v != top.text[1:-1].decode("utf-8", "surrogateescape")
            pieces = [(v, top.start_byte, top.end_byte, changed)]
        at = next((i for i, p in enumerate(pieces) if p[1] <= off < p[2] and p[0] is not None), None)
        runs, run = [], []
        for i, p in enumerate(pieces):
            if at is not None and i < at:
                continue
            if p[0] is None:
                if at is not None and run:
                    break
                runs.append(run)
                run = []
                continue
            run.append(p)
        runs.append(run)
        context = "template" if top.type == "template_string" or data[top.start_byte:top.start_byte + 1] == b"`" \
            else "string"
        for run in runs:
            if not run or (len(run) < 2 and not run[0][3]):
                continue
            value = "".join(p[0] for p in run)
            if len(value) > MAX_FOLD:
                continue
            yield Folded(run[0][1], max(p[2] for p in run), value, context, _key_for(top), _library_context(top))
