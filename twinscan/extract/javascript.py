"""JavaScript bundles: tell a string or template literal from a comment.

Most hits are settled without parsing: :func:`provably_not_in_comment` shows,
from the bytes before the hit, that no comment can be open there (minifiers
strip nearly all comments). Only the rest are parsed, with tree-sitter, up to
a size cap; past it a hit keeps context ``unknown`` and counts as code. Every
shortcut errs towards "not a comment", which blocks: it can add a blocking
finding, never hide one.
"""
from __future__ import annotations

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


def annotate(hits: list[Hit], text: Callable[[int | None], bytes | None]) -> str | None:
    generic(hits)
    pending = []
    for hit in hits:
        if hit.comment_free:
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
        elif context in ("comment", "regex"):
            hit.key = None
    return None
