"""`.env` files: the key is the variable on the line (`export KEY=…`, `KEY="…"`)."""
from __future__ import annotations

import re
from typing import Callable

from . import Hit

_ASSIGN = re.compile(rb"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*=")


def annotate(hits: list[Hit], text: Callable[[int | None], bytes | None]) -> None:
    for hit in hits:
        prefix = hit.line_prefix
        if prefix.lstrip().startswith(b"#"):
            hit.context = "comment"
            continue
        m = _ASSIGN.match(prefix)
        if m:
            hit.key = m.group(1).decode("ascii")
            rest = prefix[m.end():]
            if b"#" in rest and rest.count(b'"') % 2 == 0 and rest.count(b"'") % 2 == 0 and re.search(rb"\s#", rest):
                hit.context = "comment"  # `KEY=value # http://localhost` is a trailing comment
