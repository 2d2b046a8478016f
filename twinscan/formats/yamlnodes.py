"""Shared YAML plumbing for the structured extractors (workflows, Kubernetes).

:func:`load` parses every document with a safe loader (libyaml when present) into
node graphs with marks; :meth:`YamlText.tree` turns a node into plain dicts and
lists whose leaves are the original :class:`yaml.ScalarNode` objects (merge keys
``<<`` applied), bounded against alias bombs and deep nesting.
:meth:`YamlText.span` and :meth:`YamlText.lines` give byte offsets of a scalar's
text as written, so a Value points at the exact bytes in the file.

Why not ``yaml.safe_load``: it returns values without positions (a finding must point
at the bytes as written) and expands aliases without limit (a billion-laughs document
is a few hundred bytes); the node graph keeps the marks, and the tree walk here bounds
nesting and alias expansion with the project's own error message.
"""
from __future__ import annotations

import bisect
import re
from typing import Any, Iterator, Union

import yaml

from ..extract.values import ExtractError

Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
MAX_DEPTH = 200  # nesting, in the parser's events and in the expanded tree
MAX_EXPANDED = 100_000  # visits of a node already visited once (what alias bombs multiply)
MAX_VISITS = 5_000_000  # every visit, a backstop
_MERGE_TAG = "tag:yaml.org,2002:merge"
_BREAK = re.compile(r"\r\n|\r|\n")
_NON_ASCII = re.compile(r"[^\x00-\x7f]")

Tree = Union[dict, list, yaml.ScalarNode]


def _decode(data: bytes) -> tuple[str, list[int], list[int]]:
    """UTF-8 decode with errors="replace"; returns (text, char indexes, cumulative extra bytes).

    Character *i* starts at byte ``i + extra`` where *extra* is the cumulative extra
    bytes of every multi-byte character (or replaced invalid sequence) before it.
    """
    parts: list[str] = []
    idx: list[int] = []
    cum: list[int] = []
    extra = chars = pos = 0
    while pos < len(data):
        try:
            chunk, bad = data[pos:].decode("utf-8"), None
        except UnicodeDecodeError as e:
            chunk, bad = data[pos: pos + e.start].decode("utf-8"), (e.start, e.end)
        for m in _NON_ASCII.finditer(chunk):
            extra += len(m.group().encode("utf-8")) - 1
            idx.append(chars + m.start())
            cum.append(extra)
        parts.append(chunk)
        chars += len(chunk)
        if bad is None:
            break
        extra += bad[1] - bad[0] - 1
        idx.append(chars)
        cum.append(extra)
        parts.append("\ufffd")
        chars += 1
        pos += bad[1]
    return "".join(parts), idx, cum


def _count_depth(text: str, loader: type) -> None:
    depth = 0
    for ev in yaml.parse(text, Loader=loader):
        if isinstance(ev, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            depth += 1
            if depth > MAX_DEPTH:
                raise ExtractError(f"YAML nested deeper than {MAX_DEPTH} levels at line {ev.start_mark.line + 1}")
        elif isinstance(ev, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            depth -= 1


def check_depth(text: str) -> None:
    """Refuse deep nesting before composing: libyaml's composer recurses on the C stack
    and takes the whole process down (a segmentation fault) near 100k levels.
    Raises ExtractError, or yaml.YAMLError for text that does not parse.

    Newer libyaml refuses deep nesting itself, in its scanner, before this count reaches
    MAX_DEPTH, with its own wording. When the fast parser fails, the pure-Python parser
    (which has no such limit, and stops here after MAX_DEPTH levels) says whether the
    text is too deep: the message is then this project's whichever layer refused first."""
    try:
        _count_depth(text, Loader)
    except yaml.YAMLError as fast_error:
        if Loader is yaml.SafeLoader:
            raise
        try:
            _count_depth(text, yaml.SafeLoader)
        except yaml.YAMLError:
            pass
        except RecursionError:
            pass
        raise fast_error


class YamlText:
    """A parsed YAML file: its decoded text, its document roots and a char → byte map."""

    def __init__(self, data: bytes) -> None:
        self.base = 3 if data.startswith(b"\xef\xbb\xbf") else 0  # libyaml does not count a BOM
        self.text, self._idx, self._cum = _decode(data[self.base:])
        self._check_depth()
        try:
            self.roots: list[yaml.Node] = [n for n in yaml.compose_all(self.text, Loader=Loader) if n is not None]
        except (yaml.YAMLError, RecursionError) as e:
            raise self._error(e) from None
        self._visits = self._expanded = 0
        self._seen: set[int] = set()

    def _check_depth(self) -> None:
        try:
            check_depth(self.text)
        except yaml.YAMLError as e:
            raise self._error(e) from None

    def _error(self, e: Exception) -> ExtractError:
        """An ExtractError naming the line of a parse error."""
        if isinstance(e, yaml.MarkedYAMLError):
            mark = e.problem_mark or e.context_mark
            line = f"line {mark.line + 1}: " if mark else ""
            return ExtractError(f"{line}invalid YAML: {e.problem or e.context}")
        if isinstance(e, yaml.reader.ReaderError):
            line = self.text.count("\n", 0, max(e.position, 0)) + 1
            ch = e.character if isinstance(e.character, int) else 0
            return ExtractError(f"line {line}: unacceptable character #x{ch:04x} (invalid YAML)")
        return ExtractError(f"invalid YAML: {e}")

    # -- offsets ---------------------------------------------------------------------------
    def byte(self, char: int) -> int:
        """Byte offset in the original data of character index *char* of :attr:`text`."""
        i = bisect.bisect_left(self._idx, char)
        return self.base + char + (self._cum[i - 1] if i else 0)

    def span(self, node: yaml.ScalarNode) -> tuple[int, int]:
        """Byte span of a scalar's text as written: inside quotes; a block scalar's content."""
        s, e = node.start_mark.index, node.end_mark.index
        if node.style in ('"', "'"):
            s, e = s + 1, e - 1
        elif node.style in ("|", ">"):
            lines = self.lines(node)
            if not lines:
                return self.byte(e), self.byte(e)
            s, e = lines[0][0], lines[-1][0] + len(lines[-1][1])
        return self.byte(s), self.byte(e)

    def lines(self, node: yaml.ScalarNode) -> list[tuple[int, str]]:
        """The scalar's non-blank source lines as (char index, text), indentation removed.

        For ``|``/``>`` block scalars the header line is skipped and the content
        indentation is that of the first non-blank line (an explicit indentation
        indicator is not honoured: extra leading spaces then stay in the text).
        """
        s, e = node.start_mark.index, node.end_mark.index
        block = node.style in ("|", ">")
        if node.style in ('"', "'"):
            s, e = s + 1, e - 1
        raw = self.text[s:e]
        out: list[tuple[int, str]] = []
        pos, indent, first = 0, -1, True
        for m in _BREAK.finditer(raw + "\n"):
            line, at = raw[pos: m.start()], s + pos
            pos = m.end()
            if block and first:
                first = False
                continue  # the `|-` header
            if not line.strip():
                continue
            lead = len(line) - len(line.lstrip(" \t"))
            if block:
                if indent < 0:
                    indent = lead
                elif lead < indent:
                    break  # a less indented line (comment) is past the content
                out.append((at + indent, line[indent:].rstrip("\r")))
            else:
                out.append((at + lead, line[lead:]))
        return out

    # -- trees -----------------------------------------------------------------------------
    def tree(self, node: yaml.Node, depth: int = 0) -> Tree:
        """Plain dicts/lists with ScalarNode leaves, merge keys applied; bounded."""
        self._visits += 1
        if id(node) in self._seen:
            self._expanded += 1
        self._seen.add(id(node))
        if self._expanded > MAX_EXPANDED or self._visits > MAX_VISITS:
            raise ExtractError(f"YAML aliases expand to more than {MAX_EXPANDED} nodes (alias bomb?)")
        if depth > MAX_DEPTH:
            raise ExtractError(f"YAML nested deeper than {MAX_DEPTH} levels (recursive alias?) at line {node.start_mark.line + 1}")
        if isinstance(node, yaml.SequenceNode):
            return [self.tree(n, depth + 1) for n in node.value]
        if isinstance(node, yaml.MappingNode):
            merged: dict[str, Tree] = {}
            own: dict[str, Tree] = {}
            for k, v in node.value:
                if k.tag == _MERGE_TAG:
                    sources = v.value if isinstance(v, yaml.SequenceNode) else [v]
                    for src in reversed(sources):  # earlier sources win
                        sub = self.tree(src, depth + 1)
                        if isinstance(sub, dict):
                            merged.update(sub)
                elif isinstance(k, yaml.ScalarNode):
                    own[k.value] = self.tree(v, depth + 1)
            return {**merged, **own}
        return node  # type: ignore[return-value]


def load(data: bytes) -> YamlText:
    """Parse *data*; raises ExtractError naming the line for invalid or hostile YAML."""
    return YamlText(data)


def scalars(tree: Tree, prefix: str = "") -> Iterator[tuple[str, yaml.ScalarNode]]:
    """Every scalar leaf with its dotted path (`stripe.baseUrl`, `hosts[0].host`)."""
    if isinstance(tree, dict):
        for k, v in tree.items():
            yield from scalars(v, f"{prefix}.{k}" if prefix else str(k))
    elif isinstance(tree, list):
        for i, v in enumerate(tree):
            yield from scalars(v, f"{prefix}[{i}]")
    elif isinstance(tree, yaml.ScalarNode):
        yield prefix, tree


def text_of(tree: Any) -> str | None:
    """The string value of a scalar leaf, else None."""
    return tree.value if isinstance(tree, yaml.ScalarNode) else None
