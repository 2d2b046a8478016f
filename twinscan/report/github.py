"""GitHub Actions workflow commands: annotations on the pull request, then a summary line.

``::error`` for a blocking finding or an unreadable production file, ``::warning`` for a
non-blocking finding in a production target (and unreadable files elsewhere, and run notes),
``::notice`` for the rest. GitHub shows at most 10 annotations of a kind per step, so at most
:data:`MAX_ANNOTATIONS` are printed, most severe first; the rest are listed as plain log lines
after one ``::notice::`` that says how many there are.
"""
from __future__ import annotations

from . import Report
from .locations import display_path, split_archive
from .present import fix_hints, origin_text, shown_key

MAX_ANNOTATIONS = 10


def escape_data(text: str) -> str:
    """A workflow command's message: ``%``, CR and LF are encoded."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """A workflow command's property value: as the message, plus ``:`` and ``,``."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def command(kind: str, message: str, **props) -> str:
    shown = ",".join(f"{k}={escape_property(str(v))}" for k, v in props.items() if v is not None)
    return f"::{kind}{' ' + shown if shown else ''}::{escape_data(message)}"


def _file_props(path: str, line: int | None = None, col: int | None = None, end: int | None = None) -> dict:
    """A file inside an image tarball is annotated on the tarball (without a line)."""
    shown = display_path(path)
    outer, inner = split_archive(shown)
    if inner is not None:
        return {"file": outer}
    props: dict = {"file": shown}
    if line is not None:
        props.update(line=line, col=max(1, col or 1))
        if end is not None:
            props["endColumn"] = max(end, props["col"] + 1)
    return props


def _finding(f) -> tuple[int, str, str]:
    """(rank, annotation, plain log line) for a finding."""
    kind = "error" if f.blocking else "warning" if f.production else "notice"
    rank = 0 if f.blocking else 3 if f.production else 5
    verdict = "blocking" if f.blocking else "not blocking"
    where = f"{display_path(f.path)}:{f.line}:{f.column}"
    key = shown_key(f.key)
    message = f"{f.url} in {f.environment}{f' (key {key})' if key else ''}: {verdict}. {f.reason}"
    if f.origin is not None:
        message += f"\noriginal source: {origin_text(f.origin)}"
    if split_archive(f.path)[1] is not None:
        message = f"{where}: {message}"
    title = f"twinscan {f.rule}: {f.title or f.rule}"
    return rank, command(kind, message, title=title, **_file_props(f.path, f.line, f.column, f.end_column)), \
        f"{where}: {verdict} {f.rule} {f.url} ({f.environment})"


def _plain(line: str) -> str:
    """A log line that the runner can never read as a workflow command (it strips leading
    blanks before looking for ``::``), on one line."""
    return "- " + line.replace("\r", "\\r").replace("\n", "\\n")


def render(report: Report, color: bool = False) -> str:
    from .text import summary_line

    items: list[tuple[int, str, str]] = []
    shown = report.blocking if report.quiet else report.findings
    items.extend(_finding(f) for f in shown)
    for e in report.errors:
        kind = "error" if e.production else "warning"
        what = "scan incomplete: a file in a production target could not be read" if e.production \
            else "a file outside production targets could not be read"
        items.append((1 if e.production else 4,
                      command(kind, f"{e.path}: {e.message}", title=f"twinscan: {what}", **_file_props(e.path)),
                      f"{display_path(e.path)}: {'error' if e.production else 'warning'}: {e.message}"))
    for note in report.notes:
        items.append((2, command("warning", note, title="twinscan"), f"note: {note}"))
    items.sort(key=lambda item: item[0])  # stable: findings keep their order within a rank

    out = [annotation for _, annotation, _ in items[:MAX_ANNOTATIONS]]
    rest = items[MAX_ANNOTATIONS:]
    if rest:
        out.append(command("notice", (
            f"{len(rest)} more twinscan result{'s' if len(rest) != 1 else ''} not annotated "
            f"(GitHub shows at most {MAX_ANNOTATIONS} per step): they are listed in this step's log below, "
            "and in the step summary when twinscan writes one (--report markdown=$GITHUB_STEP_SUMMARY)"
        ), title="twinscan: more results"))
        out.extend(_plain(line) for _, _, line in rest)
    if report.show_suppressed:
        for f in report.suppressed:
            s = f.suppression
            why = f" ({s.kind}: {s.reason})" if s is not None else ""
            out.append(_plain(f"{display_path(f.path)}:{f.line}:{f.column}: suppressed {f.rule} {f.url}{why}"))
    for rule, fix in fix_hints(shown):
        out.append(f"twinscan fix {rule}: {fix}")
    out.append("twinscan: " + summary_line(report, color=False))
    return "\n".join(out) + "\n"
