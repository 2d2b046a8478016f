"""Reporters: one module per output format, each with ``render(report, color) -> str``; a format
that can also be written as it is made has ``chunks(report, color)`` (pieces of the same text),
so the report of 100,000 findings is never one string in memory.

Formats are loaded lazily by name, so a run pays only for the one it prints.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Iterator

from ..model import FileError, Finding, Skipped

#: format name -> module (relative to this package)
FORMATS = {"text": ".text", "json": ".json_", "sarif": ".sarif", "github": ".github", "gitlab": ".gitlab",
           "junit": ".junit", "markdown": ".markdown"}

EXIT_CLEAN, EXIT_BLOCKING, EXIT_USAGE, EXIT_INCOMPLETE = 0, 1, 2, 3


@dataclass
class Report:
    """One run. ``findings`` are the active findings; ``suppressed`` those an `ignore:`
    entry or the baseline hides (never blocking); ``notes`` are run-level warnings
    (an expired or unused suppression) that every format should show."""

    findings: list[Finding]
    errors: list[FileError]
    skipped: list[Skipped]
    files_scanned: int
    bytes_scanned: int
    seconds: float
    engine: str
    config_path: str | None = None
    verbose: bool = False
    quiet: bool = False
    extra: dict = field(default_factory=dict)
    suppressed: list[Finding] = field(default_factory=list)
    show_suppressed: bool = False
    notes: list[str] = field(default_factory=list)
    #: the twin URL patterns of this run: ``(spec, where)`` (``"--twin-url"``, ``"twin_urls in twinscan.yaml"``)
    #: or bare specs; reports name the one an ``org-twin-url`` finding matched
    twin_urls: list = field(default_factory=list)

    @property
    def blocking(self) -> list[Finding]:
        return [f for f in self.findings if f.blocking]

    @property
    def incomplete(self) -> bool:
        return any(e.production for e in self.errors)

    @property
    def exit_code(self) -> int:
        if self.blocking:
            return EXIT_BLOCKING
        if self.incomplete:
            return EXIT_INCOMPLETE
        return EXIT_CLEAN


def use_color(choice: str, tty: bool, environ=None) -> bool:
    """``--color auto|always|never``. ``auto``: off when ``NO_COLOR`` is set (non-empty), on when
    ``FORCE_COLOR`` is (non-empty, not ``0``/``false``), off when ``TERM=dumb``, else on a terminal
    only. ``always`` and ``never`` win over the environment. (Here, not in text.py: every format
    asks it, and a JSON run need not import the text format.)"""
    import os

    env = os.environ if environ is None else environ
    if choice in ("always", "never"):
        return choice == "always"
    if env.get("NO_COLOR"):
        return False
    if env.get("FORCE_COLOR", "").lower() not in ("", "0", "false", "no"):
        return True
    if env.get("TERM") == "dumb":
        return False
    return tty


def render(fmt: str, report: Report, color: bool = False) -> str:
    """``report`` in format ``fmt``, as every format shows it (:func:`.present.shown`: secrets
    in query strings redacted, names that are not UTF-8 escaped)."""
    return "".join(chunks(fmt, report, color))


def chunks(fmt: str, report: Report, color: bool = False) -> Iterator[str]:
    """:func:`render`'s text in pieces of about 1 MB, made as they are written."""
    from .jsonstream import batched
    from .present import shown

    module = importlib.import_module(FORMATS[fmt], __name__)
    report = shown(report)
    pieces = getattr(module, "chunks", None)
    if pieces is None:
        yield module.render(report, color)
    else:
        yield from batched(pieces(report, color))
