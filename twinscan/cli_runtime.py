"""The runtime side on the command line: `twinscan env`, `twinscan services`, `twinscan guard`.

Registered on the main group by cli.py (``register(main)``); everything
heavier than click is imported inside the commands, so `twinscan --version`
pays nothing for them.
"""
from __future__ import annotations

import os
import sys

import click

EXIT_CODES = """\b
Exit codes:
  0  clean
  1  blocking: a twin URL (or a non-vendor host for a vendor setting) in production
  2  usage or configuration error
  3  incomplete: a source could not be read or parsed, and nothing blocking was found
"""


def _fail(message: str) -> "NoReturn":  # noqa: F821
    click.echo(f"twinscan: error: {message}", err=True)
    sys.exit(2)


def _config(paths, config_path, twin_urls):
    """The config for a run (the scanner's discovery) and a check that the twin URLs compile."""
    from .config import ConfigError, discover
    from .rulepack import RuleError, twin_url_pattern

    try:
        cfg = discover([p for p in paths if p != "-"] or ["."], config_path)
        for spec in twin_urls:
            twin_url_pattern(spec)
    except (ConfigError, RuleError) as exc:
        _fail(str(exc))
    return cfg


def _write(text: str, output: str | None) -> None:
    if output:
        try:
            with open(output, "w", encoding="utf-8") as f:
                f.write(text)
        except OSError as exc:
            _fail(f"--output {output}: {exc.strerror or exc}")
    elif text:
        click.echo(text, nl=False)


@click.command("env", epilog=EXIT_CODES)
@click.argument("paths", nargs=-1, type=str)
@click.option("--prefix", "prefixes", multiple=True, metavar="PREFIX",
              help="Process environment only: check just the variables starting with PREFIX (e.g. VITE_). Repeatable.")
@click.option("--environment", metavar="NAME", help="What is being checked (default: production; config `environment`).")
@click.option("--twin-url", "twin_urls", multiple=True, metavar="PATTERN", help="Your hosted twins, as for a scan. Repeatable.")
@click.option("--config", "config_path", metavar="FILE", help="Config file (default: the nearest, as for a scan).")
@click.option("--format", "fmt", default="text", show_default=True, metavar="FORMAT",
              help="Any format the scanner prints (text, json, …).")
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
    from . import envcheck
    from .report import FORMATS, render
    from .rulepack import RuleError

    if fmt not in FORMATS:
        _fail(f"--format {fmt}: expected one of {', '.join(FORMATS)}")
    if list(paths).count("-") > 1:
        _fail("'-' (standard input) can be named only once")
    if prefixes and paths:
        _fail("--prefix applies to the process environment; it cannot be combined with files")
    cfg = _config(paths, config_path, twin_urls)
    stdin = sys.stdin.buffer.read() if "-" in paths else None
    try:
        srcs = envcheck.sources(list(paths), stdin, None, prefixes)
        settings = envcheck.settings_for(cfg, twin_urls, environment)
    except (envcheck.EnvError, RuleError) as exc:
        _fail(str(exc))
    results, seconds = envcheck.check(srcs, settings)
    report = envcheck.report(results, seconds, cfg, verbose=verbose, quiet=quiet)
    color = not no_color and not os.environ.get("NO_COLOR") and output is None and sys.stdout.isatty()
    _write(render(fmt, report, color=color if not output else False), output)
    if output and not quiet:
        from .report.text import summary_line

        click.echo(summary_line(report, color=False), err=True)
    sys.exit(report.exit_code)


@click.command("services", epilog=EXIT_CODES)
@click.argument("paths", nargs=-1, type=str)
@click.option("--twin-url", "twin_urls", multiple=True, metavar="PATTERN", help="Your hosted twins, as for a scan. Repeatable.")
@click.option("--config", "config_path", metavar="FILE", help="Config file (default: the nearest, as for a scan).")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "markdown", "html"]), default="text", show_default=True,
              help="markdown suits a CI step summary ($GITHUB_STEP_SUMMARY); html is a page to open.")
@click.option("--output", "-o", metavar="FILE", help="Write the table to FILE.")
@click.option("--used", is_flag=True, help="Only services that some environment sets.")
def services_cmd(paths, twin_urls, config_path, fmt, output, used) -> None:
    """Every configured service × every environment in a repository (PATH, default .):
    the URL each resolves to, and whether it is a twin, the real vendor, or unset.

    Environments come from env files, compose files, Kubernetes overlays, Helm
    values and CI workflow jobs. Exits 1 when a production environment resolves a
    service to a twin or to a host the vendor does not use.
    """
    from . import servicetable

    paths = list(paths) or ["."]
    missing = [p for p in paths if not os.path.lexists(p)]
    if missing:
        _fail(f"{missing[0]}: no such file or directory")
    cfg = _config(paths, config_path, twin_urls)
    table = servicetable.build(paths, cfg, twin_urls, all_services=not used)
    _write(servicetable.RENDERERS[fmt](table), output)
    sys.exit(table.exit_code)


@click.command("guard")
@click.option("--emit", type=click.Choice(["ts", "go", "json"]), required=True,
              help="ts: a TypeScript module that throws at load in a production build; go: a Go package "
                   "(twinguard) to call at start-up; json: the compiled rules.")
@click.option("--twin-url", "twin_urls", multiple=True, metavar="PATTERN", help="Your hosted twins, as for a scan. Repeatable.")
@click.option("--config", "config_path", metavar="FILE", help="Config file whose twin_urls and services the guard uses.")
@click.option("--output", "-o", metavar="FILE", help="Write to FILE (e.g. src/twinscan-guard.ts).")
def guard_cmd(emit, twin_urls, config_path, output) -> None:
    """Generate a start-up guard from the scanner's rules, --twin-url patterns and `services`.

    `--emit ts`: import it first thing in the app entry (`import "./twinscan-guard"`);
    when `import.meta.env.PROD` is true and a variable of the build (VITE_API_URL, …)
    is a twin, loading the module throws. It also exports `checkServices()`.
    `--emit go`: package twinguard; call `twinguard.CheckEnviron()` first thing in main.
    Python apps need no file: `from twinscan.guard import check_services`.
    """
    from . import tsguard

    cfg = _config([], config_path, twin_urls)
    if emit == "go":
        from . import goguard

        _write(goguard.emit_go(goguard.guard_data([*cfg.twin_urls, *twin_urls], cfg.services)), output)
        return
    data = tsguard.guard_data([*cfg.twin_urls, *twin_urls], cfg.services)
    if emit == "json":
        import json

        text = json.dumps(data, indent=1) + "\n"
    else:
        text = tsguard.emit_ts(data)
    _write(text, output)


def register(main: click.Group) -> None:
    for cmd in (env_cmd, services_cmd, guard_cmd):
        main.add_command(cmd)
