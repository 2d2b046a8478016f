"""`twinscan env`: check the environment a deploy runs with (process, env file, image config)."""
from __future__ import annotations

import sys

import click

from ._common import (
    RUNTIME_EXIT_CODES,
    config_for,
    fail,
    format_names,
    use_color,
    write_output,
)


@click.command("env", epilog=RUNTIME_EXIT_CODES, short_help="Check the environment a deploy runs with (process, env file, image).")
@click.argument("paths", nargs=-1, type=str)
@click.option("--prefix", "prefixes", multiple=True, metavar="PREFIX",
              help="Process environment only: check just the variables starting with PREFIX (e.g. VITE_). Repeatable.")
@click.option("--environment", metavar="NAME", help="What is being checked (default: production; config `environment`).")
@click.option("--twin-url", "twin_urls", multiple=True, metavar="PATTERN", help="Your hosted twins, as for a scan. Repeatable.")
@click.option("--config", "config_path", metavar="FILE", help="Config file (default: the nearest, as for a scan).")
@click.option("--format", "fmt", default="text", show_default=True, metavar="FORMAT",
              help="Any format the scanner prints: " + ", ".join(format_names()) + ".")
@click.option("--output", "-o", metavar="FILE", help="Write the report to FILE; the summary line goes to stderr.")
@click.option("--quiet", "-q", is_flag=True, help="Print only blocking findings and errors.")
@click.option("--verbose", "-v", is_flag=True, help="Also print what was skipped and why.")
@click.option("--no-color", is_flag=True, help="Never colour output (also NO_COLOR=1).")
def env_cmd(paths, prefixes, environment, twin_urls, config_path, fmt, output, quiet, verbose, no_color) -> None:
    """Check the environment a deploy runs with: this process's variables (when no
    file is named), an env file, or `docker inspect` / image config JSON (a path,
    or '-' for stdin).

    Every source is checked as the production environment (whatever the file is
    called) with the scanner's rules, --twin-url patterns and `services` check:
    run it as the CI step right before deploy, or as `docker inspect IMAGE |
    twinscan env -`.
    """
    from ..report import render
    from ..rulepack import RuleError
    from ..runtime import envcheck

    names = format_names()
    if fmt not in names:
        fail(f"--format {fmt}: expected one of {', '.join(names)}")
    if list(paths).count("-") > 1:
        fail("'-' (standard input) can be named only once")
    if prefixes and paths:
        fail("--prefix applies to the process environment; it cannot be combined with files")
    cfg = config_for(paths, config_path, twin_urls)
    stdin = sys.stdin.buffer.read() if "-" in paths else None
    try:
        srcs = envcheck.sources(list(paths), stdin, None, prefixes)
        settings = envcheck.settings_for(cfg, twin_urls, environment)
    except (envcheck.EnvError, RuleError) as exc:
        fail(str(exc))
    results, seconds = envcheck.check(srcs, settings)
    report = envcheck.report(results, seconds, cfg, verbose=verbose, quiet=quiet)
    write_output(render(fmt, report, color=use_color(no_color, output)), output)
    if output and not quiet:
        from ..report.text import summary_line

        click.echo(summary_line(report, color=False), err=True)
    sys.exit(report.exit_code)
