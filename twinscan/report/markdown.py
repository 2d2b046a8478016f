"""Markdown: a summary, a table of every finding, errors and notes.

Written for ``$GITHUB_STEP_SUMMARY`` and merge-request comments. Everything that comes from
the scanned files is escaped, so a file name or URL cannot break the table or inject HTML.
"""
from __future__ import annotations

import re

from . import Report
from .locations import display_path
from .present import fix_hints, origin_text, shown_key

#: GitHub accepts at most 1 MiB per step summary; stop well before, with a count of what was left out.
MAX_BYTES = 256 * 1024

_MD_SPECIAL = re.compile(r"([\\`*_\[\]|~])")


def escape(text: object) -> str:
    """Text for one Markdown table cell: HTML and Markdown syntax neutralised, one line."""
    s = str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    s = _MD_SPECIAL.sub(r"\\\1", s)
    s = s.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "<br>")
    s = "".join(c if c >= " " or c == "\t" else f"\\x{ord(c):02x}" for c in s).replace("\t", " ")
    return "\\" + s if s[:1] in ("#", "+", "-", "=") else s  # never a heading or a list item


HEADER = "| status | rule | location | URL | environment | why |\n|---|---|---|---|---|---|"


def _status(f) -> str:
    if f.suppression is not None:
        return f"suppressed ({escape(f.suppression.kind)}: {escape(f.suppression.reason)})"
    if f.blocking:
        return "**blocking**"
    return "not blocking"


def _row(f) -> str:
    where = escape(f"{display_path(f.path)}:{f.line}:{f.column}")
    if f.origin is not None:
        where += "<br>from " + escape(origin_text(f.origin))
    key = shown_key(f.key)
    env = escape(f.environment) + (f"<br>key {escape(key)}" if key else "")
    return f"| {_status(f)} | {escape(f.rule)} | {where} | {escape(f.url)} | {env} | {escape(f.reason)} |"


def summary(report: Report) -> str:
    nb, nr = len(report.blocking), len(report.findings)
    if nb:
        from .text import headline

        head = f"**blocking: {headline(report.blocking)}** in production"
    elif report.incomplete:
        head = "**scan incomplete**: nothing blocking found, but a production file could not be read"
    else:
        head = "**clean**: no twin URL in production"
    parts = [f"{nr - nb} not blocking"]
    if report.suppressed:
        parts.append(f"{len(report.suppressed)} suppressed")
    if report.errors:
        parts.append(f"{len(report.errors)} unreadable")
    from .text import human_bytes, plural

    parts += [plural(report.files_scanned, "file"), human_bytes(report.bytes_scanned), f"{report.seconds:.2f} s",
              f"exit code {report.exit_code}"]
    return f"{head} · " + " · ".join(parts)


def render(report: Report, color: bool = False) -> str:
    out = ["## twinscan", "", summary(report), ""]
    if report.findings:
        rows = sorted(report.findings, key=lambda f: (not f.blocking, not f.production))  # blocking rows first
        out += [HEADER]
        size = sum(len(line.encode("utf-8")) + 1 for line in out)
        for i, f in enumerate(rows):
            row = _row(f)
            size += len(row.encode("utf-8")) + 1
            if size > MAX_BYTES:
                left = rows[i:]
                nb = sum(1 for g in left if g.blocking)
                out += ["", (f"**{len(left)} more finding{'s' if len(left) != 1 else ''} not shown** "
                             f"({nb} blocking): this summary stops at {MAX_BYTES // 1024} KB (GitHub takes 1 MiB per step); "
                             "the SARIF and JSON reports and the log list every finding.")]
                break
            out.append(row)
        out.append("")
        hints = fix_hints(report.findings)
        if hints:
            out += ["### How to fix", ""]
            out += [f"- `{r}`: {escape(fix)}" for r, fix in hints]
            out.append("")
    if report.errors:
        out += ["### Files that could not be read", ""]
        for e in report.errors:
            label = "**error** (production: the scan is incomplete)" if e.production else "warning"
            out.append(f"- {label}: {escape(display_path(e.path))}: {escape(e.message)}")
        out.append("")
    if report.notes:
        out += ["### Notes", ""]
        out += [f"- {escape(n)}" for n in report.notes]
        out.append("")
    if report.suppressed and report.show_suppressed:
        n = len(report.suppressed)
        out += ["<details>", f"<summary>{n} suppressed finding{'s' if n != 1 else ''}</summary>", "",
                HEADER, *(_row(f) for f in report.suppressed), "", "</details>", ""]
    return "\n".join(out)
