"""GitLab Code Quality report (a JSON array of CodeClimate issues) for ``artifacts:reports:codequality``.

Severity: ``blocker`` for a blocking finding, ``critical`` for a production file that could not be
read (the scan is incomplete), ``major`` for a non-blocking finding in a production target,
``minor`` for a finding elsewhere, ``info`` for an unreadable file outside production targets and for run notes (reported on the
config file).
Suppressed findings are left out (Code Quality has no notion of a dismissed issue).
"""
from __future__ import annotations

import hashlib
from typing import Iterator

from . import Report
from .locations import display_path, split_archive
from .present import shown_key


def _severity(f) -> str:
    if f.blocking:
        return "blocker"
    return "major" if f.production else "minor"


def _location(path: str, line: int, display=display_path) -> dict:
    """A file inside an image tarball is reported on the tarball, line 1."""
    shown = display(path)
    outer, inner = split_archive(shown)
    return {"path": outer, "lines": {"begin": 1 if inner is not None else max(1, line)}}


def _unique(fingerprint: str, seen: dict[str, int]) -> str:
    """The first issue keeps its stable fingerprint; the nth repeat (the same URL twice in one
    file) gets a hash of it and n, stable as long as the order of findings is."""
    n = seen.get(fingerprint, 0)
    seen[fingerprint] = n + 1
    return fingerprint if n == 0 else hashlib.md5(f"{fingerprint}:{n}".encode()).hexdigest()


def document(report: Report) -> list[dict]:
    return list(_issues(report))


def _issues(report: Report) -> Iterator[dict]:
    seen: dict[str, int] = {}
    shown: dict[str, str] = {}  # path -> display_path(path), resolved once per file

    def display(path: str) -> str:
        d = shown.get(path)
        if d is None:
            d = shown[path] = display_path(path)
        return d

    for f in report.findings:
        verdict = "blocking" if f.blocking else "reported, not blocking"
        where = f" at {display(f.path)}:{f.line}:{f.column}" if split_archive(f.path)[1] is not None else ""
        key = shown_key(f.key)
        description = (f"twinscan {f.rule}: {f.url} in {f.environment}{f' (key {key})' if key else ''}"
                       f"{where}: {verdict}. {f.reason}")
        yield {
            "type": "issue",
            "description": description,
            "check_name": f.rule,
            "fingerprint": _unique(f.fingerprint or hashlib.md5(description.encode()).hexdigest(), seen),
            "severity": _severity(f),
            "categories": ["Security"],
            "location": _location(f.path, f.line, display),
        }
    for e in report.errors:
        fp = hashlib.md5(f"twinscan-unreadable:{display_path(e.path)}:{e.message}".encode()).hexdigest()
        yield {
            "type": "issue",
            "description": f"twinscan: {display_path(e.path)} could not be read: {e.message}"
                           + (" (a production target: the scan is incomplete)" if e.production else ""),
            "check_name": "twinscan-unreadable-file",
            "fingerprint": _unique(fp, seen),
            "severity": "critical" if e.production else "info",
            "categories": ["Bug Risk"],
            "location": _location(e.path, 1),
        }
    for note in report.notes:  # run-level warnings (an expired or unused suppression)
        yield {
            "type": "issue",
            "description": f"twinscan: {note}",
            "check_name": "twinscan-note",
            "fingerprint": _unique(hashlib.md5(f"twinscan-note:{note}".encode()).hexdigest(), seen),
            "severity": "info",
            "categories": ["Style"],
            "location": _location(report.config_path or ".", 1),
        }


def chunks(report: Report, color: bool = False) -> Iterator[str]:
    """The report in pieces, one issue at a time (memory flat in the number of findings)."""
    from .jsonstream import Items
    from .jsonstream import chunks as json_chunks

    yield from json_chunks(Items(_issues(report)))
    yield "\n"


def render(report: Report, color: bool = False) -> str:
    return "".join(chunks(report, color))
