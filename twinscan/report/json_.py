"""JSON output, a public contract (version 1; see docs/json.md).

Additive changes keep ``version: 1``; removing or renaming a field bumps it.
"""
from __future__ import annotations

from dataclasses import asdict
from typing import Iterator

from .. import __version__
from . import Report

FINDING_FIELDS = (
    "rule", "title", "severity", "confidence", "path", "line", "column", "end_column", "offset",
    "match", "url", "host", "port", "key", "context", "environment", "production", "blocking",
    "reason", "snippet", "fingerprint", "origin", "encoding", "suppression", "role",
)


def finding_dict(f) -> dict:
    out = {k: getattr(f, k) for k in FINDING_FIELDS}
    for k in ("origin", "suppression"):
        if out[k] is not None:
            out[k] = asdict(out[k])
    return out


def document(report: Report, stream: bool = False) -> dict:
    """The document as a dict; with ``stream``, its findings lists are :class:`~.jsonstream.Items`
    (written one finding at a time by :func:`chunks`)."""
    if stream:
        from .jsonstream import Items, object_encoder

        encode = object_encoder(FINDING_FIELDS)
        findings = Items(report.findings, encode)
        suppressed = Items(report.suppressed if report.show_suppressed else (), encode)
    else:
        findings = [finding_dict(f) for f in report.findings]
        suppressed = [finding_dict(f) for f in report.suppressed] if report.show_suppressed else []
    return {
        "version": 1,
        "tool": {"name": "twinscan", "version": __version__, "engine": report.engine},
        "findings": findings,
        "errors": [{"path": e.path, "message": e.message, "production": e.production} for e in report.errors],
        "skipped": [{"path": s.path, "reason": s.reason} for s in report.skipped],
        "suppressed": suppressed,
        "notes": list(report.notes),
        "summary": {
            "blocking": sum(1 for f in report.findings if f.blocking),
            "reported": len(report.findings),
            "suppressed": len(report.suppressed),
            "errors": len(report.errors),
            "files": report.files_scanned,
            "bytes": report.bytes_scanned,
            "seconds": round(report.seconds, 3),
            "incomplete": report.incomplete,
            "exit_code": report.exit_code,
            "config": report.config_path,
        },
    }


def chunks(report: Report, color: bool = False) -> Iterator[str]:
    """The JSON text in pieces, one finding at a time: memory stays flat in the number of findings."""
    from .jsonstream import chunks as json_chunks

    yield from json_chunks(document(report, stream=True))
    yield "\n"


def render(report: Report, color: bool = False) -> str:
    return "".join(chunks(report, color))
