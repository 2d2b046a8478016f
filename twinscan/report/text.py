"""Human output: findings grouped by file, then one summary line."""
from __future__ import annotations

from itertools import groupby

from . import Report


def _style(color: bool):
    if not color:
        return lambda text, **_: text
    import click

    return click.style


def human_bytes(n: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n} B"


def summary_line(report: Report, color: bool = False) -> str:
    s = _style(color)
    nb, nr = len(report.blocking), len(report.findings)
    parts = [
        s(f"{nb} blocking", fg="red", bold=True) if nb else s("0 blocking", fg="green"),
        f"{nr - nb} reported",
        *([f"{len(report.suppressed)} suppressed"] if report.suppressed else []),
        f"{report.files_scanned} files",
        human_bytes(report.bytes_scanned),
        f"{report.seconds:.2f} s",
    ]
    line = " · ".join(parts)
    if report.incomplete:
        n = sum(1 for e in report.errors if e.production)
        line += s(f" · scan incomplete: {n} file{'s' if n != 1 else ''} in a production target could not be read", fg="yellow", bold=True)
    return line


def render(report: Report, color: bool = False) -> str:
    s = _style(color)
    out: list[str] = []
    shown = report.findings if not report.quiet else report.blocking
    for path, group in groupby(shown, key=lambda f: f.path):
        out.append(s(path, bold=True, underline=True))
        for f in group:
            tag = s("BLOCKING", fg="red", bold=True) if f.blocking else s("reported", fg="yellow")
            out.append(f"  {f.line}:{f.column}  {tag}  {s(f.rule, fg='cyan')}  {f.url}")
            detail = [f"{f.environment}"]
            if f.key:
                detail.append(f"key {f.key}")
            detail.append(f"in {f.context}")
            detail.append(f"confidence {f.confidence}")
            out.append(s("      " + " · ".join(detail), dim=True))
            out.append(s(f"      why: {f.reason}", dim=True))
            if f.origin is not None:
                lib = f" (npm package {f.origin.library})" if f.origin.library else ""
                out.append(s(f"      source: {f.origin.path}:{f.origin.line}:{f.origin.column}{lib} via {f.origin.map}", dim=True))
            out.append(f"      {f.snippet}")
        out.append("")
    if report.show_suppressed and report.suppressed and not report.quiet:
        out.append(s(f"suppressed ({len(report.suppressed)})", bold=True))
        for path, group in groupby(report.suppressed, key=lambda f: f.path):
            out.append(f"  {path}")
            for f in group:
                out.append(f"    {f.line}:{f.column}  {s('suppressed', dim=True)}  {s(f.rule, fg='cyan')}  {f.url}")
                sup = f.suppression
                if sup is not None:
                    until = f" (expires {sup.expires})" if sup.expires else ""
                    out.append(s(f"        by {sup.kind} {sup.source}: {sup.reason}{until}", dim=True))
        out.append("")
    for e in report.errors:
        label = s("error", fg="red", bold=True) if e.production else s("warning", fg="yellow")
        out.append(f"{label}: {e.path}: {e.message}")
    if not report.quiet:
        for note in report.notes:
            out.append(f"{s('note', fg='yellow')}: {note}")
    if report.verbose:
        for sk in report.skipped:
            out.append(s(f"skipped: {sk.path}: {sk.reason}", dim=True))
        out.append(s(f"engine: {report.engine}; config: {report.config_path or 'none (defaults)'}", dim=True))
    if report.errors or (report.verbose and report.skipped) or (report.notes and not report.quiet):
        out.append("")
    if not report.quiet or report.exit_code:
        out.append(summary_line(report, color))
    return "\n".join(out) + ("\n" if out else "")
