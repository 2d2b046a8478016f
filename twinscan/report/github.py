"""GitHub Actions workflow commands: annotations on the pull request, then a summary line.

``::error`` for a blocking finding or an unreadable production file, ``::warning`` for a
non-blocking finding in a production target (and unreadable files elsewhere, and run notes),
``::notice`` for the rest. GitHub shows at most 10 annotations of a kind per step, so at most
:data:`MAX_ANNOTATIONS` are printed, most severe first; the rest are listed as plain log lines
after one ``::notice::`` that says how many there are.
"""
from __future__ import annotations

from typing import Iterator

from . import Report
from .locations import display_path, display_paths, split_archive
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


def _rank(f) -> int:
    return 0 if f.blocking else 3 if f.production else 5


def _annotation(f) -> str:
    kind = "error" if f.blocking else "warning" if f.production else "notice"
    verdict = "blocking" if f.blocking else "not blocking"
    key = shown_key(f.key)
    message = f"{f.url} in {f.environment}{f' (key {key})' if key else ''}: {verdict}. {f.reason}"
    if f.origin is not None:
        message += f"\noriginal source: {origin_text(f.origin)}"
    if split_archive(f.path)[1] is not None:
        message = f"{display_path(f.path)}:{f.line}:{f.column}: {message}"
    title = f"twinscan {f.rule}: {f.title or f.rule}"
    return command(kind, message, title=title, **_file_props(f.path, f.line, f.column, f.end_column))


def _log_line(f, display=display_path) -> str:
    verdict = "blocking" if f.blocking else "not blocking"
    return f"{display(f.path)}:{f.line}:{f.column}: {verdict} {f.rule} {f.url} ({f.environment})"


def _plain(line: str) -> str:
    """A log line that the runner can never read as a workflow command (it strips leading
    blanks before looking for ``::``), on one line."""
    return "- " + line.replace("\r", "\\r").replace("\n", "\\n")


def _error_item(e) -> tuple[str, str]:
    kind = "error" if e.production else "warning"
    what = "scan incomplete: a file in a production target could not be read" if e.production \
        else "a file outside production targets could not be read"
    return (command(kind, f"{e.path}: {e.message}", title=f"twinscan: {what}", **_file_props(e.path)),
            f"{display_path(e.path)}: {'error' if e.production else 'warning'}: {e.message}")


def _lines(report: Report) -> Iterator[str]:
    from .text import summary_line

    # (rank, kind, what): the annotation or the log line of each is made only when written,
    # so 100,000 findings are never 200,000 strings at once
    items: list[tuple[int, str, object]] = []
    shown = report.blocking if report.quiet else report.findings
    items.extend((_rank(f), "finding", f) for f in shown)
    items.extend((1 if e.production else 4, "error", e) for e in report.errors)
    items.extend((2, "note", note) for note in report.notes)
    items.sort(key=lambda item: item[0])  # stable: findings keep their order within a rank

    def annotation(kind: str, what) -> str:
        if kind == "finding":
            return _annotation(what)
        if kind == "error":
            return _error_item(what)[0]
        return command("warning", what, title="twinscan")

    display = display_paths()

    def log_line(kind: str, what) -> str:
        if kind == "finding":
            return _log_line(what, display)
        if kind == "error":
            return _error_item(what)[1]
        return f"note: {what}"

    for _, kind, what in items[:MAX_ANNOTATIONS]:
        yield annotation(kind, what)
    rest = len(items) - MAX_ANNOTATIONS
    if rest > 0:
        yield command("notice", (
            f"{rest} more twinscan result{'s' if rest != 1 else ''} not annotated "
            f"(GitHub shows at most {MAX_ANNOTATIONS} per step): they are listed in this step's log below, "
            "and in the step summary when twinscan writes one (--report markdown=$GITHUB_STEP_SUMMARY)"
        ), title="twinscan: more results")
        for _, kind, what in items[MAX_ANNOTATIONS:]:
            yield _plain(log_line(kind, what))
    if report.show_suppressed:
        for f in report.suppressed:
            s = f.suppression
            why = f" ({s.kind}: {s.reason})" if s is not None else ""
            yield _plain(f"{display(f.path)}:{f.line}:{f.column}: suppressed {f.rule} {f.url}{why}")
    for rule, fix in fix_hints(shown):
        yield f"twinscan fix {rule}: {fix}"
    yield "twinscan: " + summary_line(report, color=False)


def chunks(report: Report, color: bool = False) -> Iterator[str]:
    """The workflow commands line by line, as they are made."""
    for line in _lines(report):
        yield line + "\n"


def render(report: Report, color: bool = False) -> str:
    return "".join(chunks(report, color))
