"""Human output: findings grouped by twin URL, each place on one ``path:line:col`` line
(the shape terminals and editors jump to), a fix hint once per rule, then one summary line.

Everything that comes from scanned files (names, URLs, keys, snippets) goes through
:func:`~.present.printable`, so it cannot start a line of its own or colour the terminal.
"""
from __future__ import annotations

from typing import Iterator

from . import Report
from . import use_color as use_color  # where it was (re-exported): --color for any format
from .present import fix_hints, origin_text, printable, shown_key


def _style(color: bool):
    if not color:
        return lambda text, **_: text
    import click

    return click.style


def plural(n: int, word: str, many: str | None = None) -> str:
    return f"{n} {word if n == 1 else many or word + 's'}"


def human_bytes(n: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n} B"


def summary_line(report: Report, color: bool = False) -> str:
    """``5 blocking · 1 not blocking · 3 files · 7.0 KB · 0.16 s``. "not blocking" counts the
    findings that do not block (JSON's ``summary.reported`` counts every finding)."""
    s = _style(color)
    nb, nr = len(report.blocking), len(report.findings)
    parts = [
        s(f"{nb} blocking", fg="red", bold=True) if nb else s("0 blocking", fg="green"),
        f"{nr - nb} not blocking",
        *([f"{len(report.suppressed)} suppressed"] if report.suppressed else []),
        plural(report.files_scanned, "file"),
        human_bytes(report.bytes_scanned),
        f"{report.seconds:.2f} s",
    ]
    line = " · ".join(parts)
    if report.incomplete:
        n = sum(1 for e in report.errors if e.production)
        line += s(f" · scan incomplete: {plural(n, 'file')} in a production target could not be read", fg="yellow", bold=True)
    return line


def headline(findings) -> str:
    """``3 twin URLs in 20 places``."""
    return f"{plural(len({f.url for f in findings}), 'twin URL')} in {plural(len(findings), 'place')}"


def groups(findings) -> list[list]:
    """Findings grouped by (URL, rule): groups with a blocking place first, then in order of
    first appearance; within a group, blocking places first."""
    by: dict[tuple[str, str], list] = {}
    for f in findings:
        by.setdefault((f.url, f.rule), []).append(f)
    out = [sorted(g, key=lambda f: not f.blocking) for g in by.values()]
    return sorted(out, key=lambda g: not g[0].blocking)


def _place(f, mixed: bool, verbose: bool, s) -> str:
    detail = []
    if mixed:
        detail.append(s("BLOCKING", fg="red", bold=True) if f.blocking else s("not blocking", fg="yellow"))
    if f.environment != "production":
        detail.append(printable(f.environment))
    key = f.key if verbose else shown_key(f.key)
    if key:
        detail.append(f"key {printable(key)}")
    detail.append(f"in {f.context}")
    if verbose:
        detail.append(f"confidence {f.confidence}")
    if f.origin is not None:
        detail.append(f"source {origin_text(f.origin)}")
    return f"  {s(printable(f'{f.path}:{f.line}:{f.column}'), bold=True)}  " + s(" · ".join(detail), dim=True)


def _group(places: list, verbose: bool, s) -> Iterator[str]:
    first = places[0]
    nb = sum(1 for f in places if f.blocking)
    mixed = 0 < nb < len(places)
    if nb == len(places):
        verdict = s("BLOCKING", fg="red", bold=True)
    elif nb:
        verdict = s(f"BLOCKING in {nb} of", fg="red", bold=True)
    else:
        verdict = s("not blocking", fg="yellow")
    yield f"{s(printable(first.url), bold=True)}  {s(first.rule, fg='cyan')}  {verdict} {plural(len(places), 'place')}"
    by_reason: dict[str, list] = {}
    for f in places:  # one "why" for the places that share it
        by_reason.setdefault(f.reason, []).append(f)
    for reason, same in by_reason.items():
        yield s(f"  why: {printable(reason)}", dim=True)
        for f in same:
            yield _place(f, mixed, verbose, s)
            if verbose:
                yield f"      {printable(f.snippet)}"


def _lines(report: Report, color: bool) -> Iterator[str]:
    s = _style(color)
    shown = report.findings if not report.quiet else report.blocking
    if shown:
        yield from (s(headline(shown) + ":", bold=True), "")
        for g in groups(shown):
            yield from _group(g, report.verbose, s)
            yield ""
        for rule, fix in fix_hints(shown):
            yield f"{s('fix', fg='green', bold=True)} {s(rule, fg='cyan')}: {fix}"
        yield ""
    if report.show_suppressed and report.suppressed and not report.quiet:
        yield s(f"suppressed ({len(report.suppressed)})", bold=True)
        for f in report.suppressed:
            yield (f"  {printable(f'{f.path}:{f.line}:{f.column}')}  {s('suppressed', dim=True)}  "
                   f"{s(f.rule, fg='cyan')}  {printable(f.url)}")
            sup = f.suppression
            if sup is not None:
                until = f" (expires {sup.expires})" if sup.expires else ""
                yield s(f"      by {sup.kind} {printable(sup.source)}: {printable(sup.reason)}{until}", dim=True)
        yield ""
    for e in report.errors:
        label = s("error", fg="red", bold=True) if e.production else s("warning", fg="yellow")
        yield f"{label}: {printable(e.path)}: {printable(e.message)}"
    if not report.quiet:
        for note in report.notes:
            yield f"{s('note', fg='yellow')}: {printable(note)}"
    if report.verbose:
        for sk in report.skipped:
            yield s(f"skipped: {printable(sk.path)}: {printable(sk.reason)}", dim=True)
        yield s(f"engine: {report.engine}; config: {printable(report.config_path or 'none (defaults)')}", dim=True)
    if report.errors or (report.verbose and report.skipped) or (report.notes and not report.quiet):
        yield ""
    if not report.quiet or report.exit_code:
        yield summary_line(report, color)


def chunks(report: Report, color: bool = False) -> Iterator[str]:
    """The text line by line, as it is made: a run with 100,000 places is never one string."""
    for line in _lines(report, color):
        yield line + "\n"


def render(report: Report, color: bool = False) -> str:
    return "".join(chunks(report, color))
