"""Fold: twin URLs split across constant string concatenations, put back together with tree-sitter.

`"http://" + "localhost:4111"`, `"https://api.wonder" + "twin.dev/twins/" + "stripe"`: the
byte pass marks where a URL opener is followed by `+`; only then is the file parsed.
"""
from __future__ import annotations

from .. import extract
from ..reader import Window
from ..urls import URL
from .locate import chars, one_line, redact
from .match import RawHit, Text, confirm_window
from .settings import Scanner


def folded(scanner: Scanner, text: Text, raws: list[RawHit], splits: list[int]) -> list[RawHit]:
    """The hits that only folding finds, each reported at the start of its expression with
    the folded URL (``splits``: absolute offsets of the byte pass's split openers)."""
    from ..extract import javascript, jsfold

    data = text(javascript.MAX_PARSE)
    if data is None:
        return []
    out: list[RawHit] = []
    done: set[int] = set()
    for expr in jsfold.folded_strings(data, sorted(set(splits))):
        if expr.start in done:
            continue
        done.add(expr.start)
        buf = expr.value.encode("utf-8", "surrogatepass")
        found, _ = confirm_window(scanner.engine, scanner.exprs, scanner.s.rules,
                                  Window(buf, 0, 0, len(buf), last=True), 0, [])
        for rule, url in found:
            if any(expr.start <= r.hit.offset < expr.end and r.rule.id == rule.id and r.url.host == url.host
                   and r.url.port == url.port for r in raws):
                continue  # the byte pass saw this twin in one literal (the fold only adds a path)
            line_start = data.rfind(b"\n", 0, expr.start) + 1
            line = data.count(b"\n", 0, expr.start) + 1
            col = chars(data[line_start:expr.start]) + 1
            src = one_line(data[expr.start:expr.end])
            shown = src if len(src) <= 200 else src[:199] + "…"
            hit = extract.Hit(expr.start, expr.end, data[max(line_start, expr.start - 256):expr.start],
                              quietable=rule.quiet_in_library_code)
            hit.context, hit.key, hit.comment_free = expr.context, expr.key, True
            if rule.quiet_in_library_code and expr.library_context:
                hit.context = expr.library_context
            u = URL(**{**url.__dict__, "start": expr.start, "end": expr.end, "encoding": "concatenation"})
            out.append(RawHit(rule, u, line, col, col + chars(data[expr.start:expr.end].split(b"\n")[0]),
                              redact(shown, url), redact(shown, url), hit, folded=True))
    return out
