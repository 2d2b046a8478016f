"""Known library defaults: loopback URLs real libraries ship, which must not block.

The list is data (``rules/libraries/defaults.yaml``), loaded once and only when
a JavaScript file has a loopback hit; see that file for what an entry may say.
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from .rulepack import RuleError


@dataclass(frozen=True)
class LibraryDefault:
    id: str
    library: str
    urls: frozenset[str]
    reason: str
    before: re.Pattern[str] | None = None

    def evidence(self) -> str:
        """Why a hit is library code, naming the entry that matched: an entry recognises a URL
        (and the code just before it), not a library, so the libraries it was written from are
        named as where the idiom is seen, never as what this file is."""
        return (f"the known library default `{self.id}` (rules/libraries/defaults.yaml; an idiom of "
                f"{self.library}): {self.reason}")

    def matches(self, url: str, before: str) -> bool:
        return url in self.urls and (self.before is None or self.before.search(before) is not None)


def parse(doc, where: str) -> tuple[LibraryDefault, ...]:
    if not isinstance(doc, dict) or not isinstance(doc.get("defaults"), list):
        raise RuleError(f"{where}: expected a mapping with a `defaults` list")
    out = []
    for i, e in enumerate(doc["defaults"]):
        if not isinstance(e, dict) or not all(isinstance(e.get(k), str) and e[k].strip() for k in ("id", "library", "reason")):
            raise RuleError(f"{where}: entry {i + 1} needs `id`, `library` and `reason`")
        urls = e.get("urls")
        if not isinstance(urls, list) or not urls or not all(isinstance(u, str) for u in urls):
            raise RuleError(f"{where}: entry {e['id']}: `urls` must be a non-empty list of URLs")
        before = e.get("before")
        try:
            rx = re.compile(before) if before else None
        except re.error as exc:
            raise RuleError(f"{where}: entry {e['id']}: invalid `before` pattern: {exc}") from None
        out.append(LibraryDefault(e["id"], e["library"], frozenset(u.lower() for u in urls), " ".join(e["reason"].split()), rx))
    return tuple(out)


@functools.lru_cache(maxsize=1)
def known_defaults() -> tuple[LibraryDefault, ...]:
    from . import shipped

    return parse(shipped.load("libraries/defaults.yaml"), "rules/libraries/defaults.yaml")


def library_default(url: str, before: str) -> LibraryDefault | None:
    """The known library default this normalised URL is, given the text before it on its line."""
    return next((d for d in known_defaults() if d.matches(url, before)), None)
