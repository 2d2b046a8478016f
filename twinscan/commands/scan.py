"""`twinscan scan PATH…` (also plain `twinscan PATH…`): scan files and build output for twin URLs."""
from __future__ import annotations

import os
import sys

import click

from ._common import (
    EXIT_CODES,
    check_output,
    execute,
    fail,
    format_names,
    output_problem,
    scan_options,
    setup,
    use_color,
    write_output,
)


def _parse_reports(ctx: click.Context, param: click.Parameter, values: tuple[str, ...]) -> list:
    """--report FORMAT=FILE, checked before the scan; kept in ctx.meta for _write_reports."""
    names = format_names()
    out = []
    for value in values:
        fmt, sep, path = value.partition("=")
        if not sep or fmt not in names or not path:
            fail(f"--report {value}: expected FORMAT=FILE, FORMAT one of {', '.join(names)}")
        problem = output_problem(path)
        if problem:
            fail(f"--report {value}: {problem}")
        out.append((fmt, path))
    ctx.meta["twinscan.reports"] = out
    return out


def _write_reports(report) -> None:
    """Write the --report files; $GITHUB_STEP_SUMMARY is appended to, as GitHub expects."""
    from ..report import chunks

    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    failed = []
    for fmt, path in click.get_current_context().meta.get("twinscan.reports", ()):
        append = bool(summary) and os.path.abspath(path) == os.path.abspath(summary)
        try:
            with open(path, "a" if append else "w", encoding="utf-8") as f:
                for piece in chunks(fmt, report, color=False):  # written as it is made (issue 14)
                    f.write(piece)
        except OSError as exc:
            failed.append(f"--report {fmt}={path}: {exc.strerror or exc}")
    if failed:
        fail("; ".join(failed))


def _artifact_paths(o: dict) -> None:
    """--artifacts: the config's `artifacts:` paths become the PATHs. One that does not exist
    (not built yet) is an error for that path, so the scan is incomplete (exit 3), not clean."""
    from ..config import ConfigError, discover

    if o["paths"]:
        fail("--artifacts takes no PATH: it scans the `artifacts:` paths from config")
    try:
        cfg = discover(["."], o["config_path"])
    except ConfigError as exc:
        fail(str(exc))
    if not cfg.artifacts:
        where = cfg.path or "config (no twinscan.yaml, .twinscan.yaml or [tool.twinscan] in pyproject.toml was found)"
        fail(f"--artifacts: no `artifacts:` paths in {where}; add the build output directories, e.g. `artifacts: [dist/]`")
    rel = [os.path.relpath(p) for p in cfg.artifacts]
    o["paths"] = tuple(r if not r.startswith("..") else p for r, p in zip(rel, cfg.artifacts))
    o["config_path"] = cfg.path
    for p in o["paths"]:
        if not os.path.lexists(p):
            from ..report.present import printable

            click.echo(f"twinscan: {printable(p)} (artifacts: in {printable(os.path.relpath(cfg.path))}) does not exist: "
                       "run the build first", err=True)


@click.command("scan", epilog=EXIT_CODES, short_help="Scan PATHs for twin URLs (the default command).")
@scan_options
@click.option("--format", "fmt", type=click.Choice(format_names()), default="text", show_default=True, help="Output format.")
@click.option("--output", "-o", metavar="FILE", callback=check_output,
    help="Write the report to FILE instead of standard output ('-': standard output).")
@click.option("--report", "reports", multiple=True, metavar="FORMAT=FILE", expose_value=False, callback=_parse_reports,
    help="Also write a report in FORMAT to FILE from the same run (e.g. sarif=twinscan.sarif). "
    "Repeatable.")
@click.option("--baseline", "baseline_path", metavar="FILE",
    help="Report only findings that are not in this baseline (written by `twinscan baseline`; config: "
    "`baseline`).")
@click.option("--show-suppressed", is_flag=True, help="Also list the findings that `ignore:` entries or the baseline hide, and why.")
@click.option("--fail-on", type=click.Choice(["error", "warning"]), default=None,
    help="Lowest rule severity that blocks in a production target (default: error; config: fail_on).")
@click.option("--artifacts", is_flag=True, help="Scan the build output paths listed under `artifacts:` in config instead of PATHs (the "
    "twinscan-artifacts pre-commit hook).")
def scan(fmt, output, baseline_path, show_suppressed, fail_on, **opts) -> None:
    """Scan PATHs (default: .) for twin URLs; '-' reads standard input; an
    http(s):// URL is a deployed site, fetched and scanned as it is served.

    Every path named is a production target unless the artifact says otherwise
    (`.env.development`, …) or --environment says what the whole run is.
    `twinscan PATH…` means the same; `twinscan scan NAME` always scans, also
    when NAME is the name of a command.
    """
    from ..report import Report, chunks

    quiet, verbose, no_color = opts["quiet"], opts["verbose"], opts["no_color"]
    if opts["artifacts"]:
        _artifact_paths(opts)
    paths, cfg, rules = setup(opts)
    baseline = None
    baseline_file = baseline_path or cfg.baseline
    if baseline_file:
        from ..suppress import BaselineError, load_baseline

        try:
            baseline = load_baseline(baseline_file)
        except BaselineError as exc:
            fail(str(exc))
    opts["fail_on"] = fail_on or cfg.fail_on or "error"
    result, errors, skipped = execute(opts, paths, cfg, rules, progress_line=fmt == "text")
    findings = result.findings
    suppressed: list = []
    notes: list = list(opts["unread"])
    if cfg.ignore or baseline is not None:
        from ..suppress import apply

        outcome = apply(findings, cfg.ignore, baseline)
        findings, suppressed, notes = outcome.active, outcome.suppressed, notes + outcome.notes
    report = Report(
        findings=findings, errors=errors, skipped=skipped, files_scanned=result.files_scanned,
        bytes_scanned=result.bytes_scanned, seconds=result.seconds, engine=result.engine,
        config_path=cfg.path, verbose=verbose, quiet=quiet,
        suppressed=suppressed, show_suppressed=show_suppressed, notes=notes,
        twin_urls=[*((u, f"twin_urls in {cfg.path}") for u in cfg.twin_urls), *((u, "--twin-url") for u in opts["twin_urls"])],
    )
    color = use_color(no_color, output, opts["color"])
    write_output(chunks(fmt, report, color=color), output, color)
    if output and not quiet:
        from ..report.text import summary_line

        click.echo(summary_line(report, color=False), err=True)
    _write_reports(report)
    sys.exit(report.exit_code)
