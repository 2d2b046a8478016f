"""Fold JavaScript constants a minifier or a person left unfolded, to find the URL they spell.

`"http://" + "localhost:4111"`, `` `${"https"}://${"api.wondertwin"}.dev/twins/x` ``,
`["http://", "localhost", ":4111"].join("")`, `atob("aHR0cDovL…")`,
`String.fromCharCode(104, 116, …)`, `decodeURIComponent("%68ttp…")`, `"\u0068ttps://…"`.
Only files where a trigger expression of the byte pass matched (engine.SPLIT_TRIGGERS and
the SPLIT expression) are parsed, with the same tree-sitter parser as
:mod:`twinscan.extract.javascript`; each trigger offset names the expression to fold.
"""
from __future__ import annotations

import re

from .javascript import _get_parser, _key_for, _library_context

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
    joined with a constant separator, or a decoding call of a constant) that spells a URL.
    ``key`` and ``library_context`` are worked out on first use: they climb the tree, which
    costs the node's depth per step, and most folds hold no URL."""

    __slots__ = ("start", "end", "value", "context", "_top", "_key", "_library")

    def __init__(self, start, end, value, context, top):
        self.start, self.end, self.value, self.context, self._top = start, end, value, context, top
        self._key = self._library = False

    @property
    def key(self) -> str | None:
        if self._key is False:
            self._key = _key_for(self._top)
        return self._key

    @property
    def library_context(self) -> str | None:
        if self._library is False:
            self._library = _library_context(self._top)
        return self._library


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
            yield Folded(run[0][1], max(p[2] for p in run), value, context, top)
