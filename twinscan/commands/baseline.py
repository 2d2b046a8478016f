"""`twinscan baseline`: record the current findings so later scans report only new ones."""
from __future__ import annotations

import sys

import click

from ._common import EXIT_CODES, execute, fail, scan_options, setup


@click.command("baseline", epilog=EXIT_CODES, short_help="Record the current findings; later scans report only new ones.")
@scan_options
@click.option("--output", "-o", metavar="FILE", help="Baseline file to write (default: the config's `baseline`, else .twinscan-baseline.json).")
def baseline_cmd(output, **opts) -> None:
    """Record the current findings in a baseline file: later runs with
    `--baseline FILE` (or config `baseline: FILE`) report only new findings.

    Takes the same options as a scan. Entries hold the rule, the normalised URL and
    the path relative to the baseline file with content hashes stripped (never line
    numbers), so they survive rebuilds; `first_seen` dates are kept on regeneration.
    Findings that `ignore:` entries in config hide are left out. Exit 0 when written,
    3 when the scan was incomplete (written, but it may miss findings).
    """
    from ..suppress import BASELINE_NAME, BaselineError, apply, write_baseline

    quiet = opts["quiet"]
    paths, cfg, rules = setup(opts)
    target = output or cfg.baseline or BASELINE_NAME
    result, errors, skipped = execute(opts, paths, cfg, rules, progress_line=True)
    findings, notes, hidden = result.findings, [], 0
    if cfg.ignore:
        outcome = apply(findings, cfg.ignore)
        findings, notes, hidden = outcome.active, outcome.notes, len(outcome.suppressed)
    try:
        n = write_baseline(findings, target)
    except BaselineError as exc:
        fail(str(exc))
    from ..report.present import printable

    incomplete = [e for e in errors if e.production]
    for e in errors:
        if e.production or not quiet:
            click.echo(f"{'error' if e.production else 'warning'}: {printable(e.path)}: {printable(e.message)}", err=True)
    if not quiet:
        for note in notes:
            click.echo(f"note: {printable(note)}", err=True)
        left_out = f"; {hidden} hidden by `ignore:` entries left out" if hidden else ""
        click.echo(f"twinscan: wrote {target}: {n} entr{'y' if n == 1 else 'ies'} for "
                   f"{len(findings)} finding{'' if len(findings) == 1 else 's'}{left_out}")
    if incomplete:
        click.echo(f"twinscan: the scan was incomplete: {len(incomplete)} file(s) in a production target could not be "
                   "read, so their findings are not in the baseline", err=True)
        sys.exit(3)
