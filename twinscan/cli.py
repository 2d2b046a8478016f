"""Command line: `twinscan [PATH]...` scans; `twinscan rules` documents the rules."""
from __future__ import annotations

import os
import sys
import time

import click

from . import __version__

EXIT_CODES = """\b
Exit codes:
  0  clean: no blocking finding, every production file read
  1  at least one blocking finding (a twin URL in a production target)
  2  usage or configuration error
  3  the scan was incomplete: a file in a production target could not be
     read or decoded, and nothing blocking was found
"""

FORMAT_NAMES = ["text", "json"]


class DefaultGroup(click.Group):
    """`twinscan dist/` means `twinscan scan dist/`; `twinscan rules` is a subcommand."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if not args or args[0] not in self.commands and args[0] not in ("--version",):
            args = ["scan", *args]
        return super().parse_args(ctx, args)


@click.group(cls=DefaultGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="twinscan", message="%(prog)s %(version)s")
def main() -> None:
    """Fail a production build when a twin URL reaches a production artifact."""


def _fail(message: str) -> "NoReturn":  # noqa: F821
    click.echo(f"twinscan: error: {message}", err=True)
    sys.exit(2)


def _progress(enabled: bool):
    if not enabled:
        return None, lambda: None
    t0 = time.monotonic()
    state = {"last": 0.0, "shown": False}

    def tick(files: int, done: int) -> None:
        now = time.monotonic()
        if now - t0 < 1.0 or now - state["last"] < 0.1:
            return
        state["last"], state["shown"] = now, True
        sys.stderr.write(f"\rtwinscan: {files} files, {done / 1e6:.1f} MB scanned…")
        sys.stderr.flush()

    def clear() -> None:
        if state["shown"]:
            sys.stderr.write("\r\033[K")
            sys.stderr.flush()

    return tick, clear


@main.command(epilog=EXIT_CODES)
@click.argument("paths", nargs=-1, type=str)
@click.option("--environment", metavar="NAME", help="What the whole run is (e.g. staging); by default every path named is a production target.")
@click.option("--twin-url", "twin_urls", multiple=True, metavar="PATTERN", help="Your hosted twins: host glob with optional path prefix, e.g. 'twins.*.yourco.com' or '*.yourco.com/twins/'. Repeatable.")
@click.option("--config", "config_path", metavar="FILE", help="Config file (default: nearest twinscan.yaml, .twinscan.yaml or [tool.twinscan] in pyproject.toml).")
@click.option("--format", "fmt", type=click.Choice(FORMAT_NAMES), default="text", show_default=True, help="Output format.")
@click.option("--output", "-o", metavar="FILE", help="Write the report to FILE instead of standard output.")
@click.option("--exclude", multiple=True, metavar="GLOB", help="Skip paths matching GLOB (gitignore syntax, relative to the path named). Repeatable.")
@click.option("--respect-gitignore", is_flag=True, default=None, help="Also skip what .gitignore files ignore (off by default: dist/ and .env.production are usually git-ignored).")
@click.option("--follow-symlinks", is_flag=True, default=None, help="Follow symbolic links inside walked directories (loops are detected).")
@click.option("--no-default-excludes", is_flag=True, help="Also walk .git/, node_modules/, .next/cache/, .venv/ and similar directories.")
@click.option("--docker-target", metavar="STAGE", help="The Dockerfile stage `docker build --target` builds: it and the stages it copies from are production.")
@click.option("--stdin-name", metavar="NAME", help="With '-': the file name that decides the kind and environment of standard input.")
@click.option("--engine", type=click.Choice(["auto", "hyperscan", "re"]), default="auto", show_default=True, help="Matching engine; both give identical results.")
@click.option("--jobs", "-j", type=click.IntRange(0, 256), default=0, help="Worker processes (0: one per core, used for large inputs).")
@click.option("--max-decoded-size", type=click.IntRange(1), default=256, show_default=True, metavar="MiB", help="Largest decompressed or transcoded file.")
@click.option("--max-ratio", type=click.IntRange(2), default=200, show_default=True, help="Largest decompression ratio before data counts as a bomb.")
@click.option("--quiet", "-q", is_flag=True, help="Print only blocking findings and errors.")
@click.option("--verbose", "-v", is_flag=True, help="Also print skipped files and why, the engine and the config used.")
@click.option("--no-color", is_flag=True, help="Never colour output (also NO_COLOR=1).")
def scan(paths, environment, twin_urls, config_path, fmt, output, exclude, respect_gitignore, follow_symlinks,
         no_default_excludes, docker_target, stdin_name, engine, jobs, max_decoded_size, max_ratio, quiet, verbose, no_color) -> None:
    """Scan PATHs (default: .) for twin URLs; '-' reads standard input.

    Every path named is a production target unless the artifact says otherwise
    (`.env.development`, …) or --environment says what the whole run is.
    """
    from .classify import Classifier
    from .config import ConfigError, discover
    from .extract.values import Options
    from .model import FileError
    from .reader import Limits
    from .report import Report, render
    from .rulepack import RuleError, build_ruleset
    from .scan import Settings, run
    from .walk import Item, Walker

    paths = list(paths) or ["."]
    if paths.count("-") > 1:
        _fail("'-' (standard input) can be named only once")
    fs_paths = [p for p in paths if p != "-"]
    try:
        cfg = discover(fs_paths or ["."], config_path)
        rules = build_ruleset([*cfg.twin_urls, *twin_urls])
    except (ConfigError, RuleError) as exc:
        _fail(str(exc))
    if engine == "hyperscan":
        from .engine import hyperscan_available

        if not hyperscan_available():
            _fail("--engine hyperscan: Hyperscan is not installed or does not load on this platform (use --engine re)")
    missing = [p for p in fs_paths if not os.path.lexists(p)]
    if missing:
        _fail(f"{missing[0]}: no such file or directory")

    classifier = Classifier.from_globs(cfg.environments, environment=environment or cfg.environment,
                                       production_environments=cfg.production_environments)
    walker = Walker(
        excludes=[*cfg.exclude, *exclude], ignore_files=cfg.ignore_files,
        respect_gitignore=cfg.respect_gitignore if respect_gitignore is None else respect_gitignore,
        follow_symlinks=cfg.follow_symlinks if follow_symlinks is None else follow_symlinks,
        default_excludes=not no_default_excludes,
    )
    items = []
    for p in paths:
        if p == "-":
            data = sys.stdin.buffer.read()
            name = stdin_name or "<stdin>"
            items.append(Item(name, name, len(data), data))
        else:
            items.extend(walker.walk([p]))
    from .rulepack import load_builtin_rules
    from .services import ServiceIndex, load_services

    service_rule = next((r for r in load_builtin_rules() if r.check == "services"), None)
    settings = Settings(rules=rules, classifier=classifier, engine=engine,
                        services=ServiceIndex(load_services(cfg.services).values()), service_rule=service_rule,
                        limits=Limits(max_decoded_size << 20, max_ratio), jobs=jobs,
                        options=Options(docker_target=docker_target))
    tick, clear = _progress(not quiet and sys.stderr.isatty() and fmt == "text" or False)
    result = run(items, settings, progress=tick)
    clear()

    errors = list(result.errors)
    skipped = list(result.skipped)
    for note in walker.notes:
        if note.error:
            errors.append(FileError(note.path, note.reason, classifier.classify(note.path).production))
        else:
            from .model import Skipped

            skipped.append(Skipped(note.path, note.reason))
    report = Report(
        findings=result.findings, errors=errors, skipped=skipped, files_scanned=result.files_scanned,
        bytes_scanned=result.bytes_scanned, seconds=result.seconds, engine=result.engine,
        config_path=cfg.path, verbose=verbose, quiet=quiet,
    )
    color = (not no_color and not os.environ.get("NO_COLOR") and output is None and sys.stdout.isatty())
    text = render(fmt, report, color=color)
    if output:
        try:
            with open(output, "w", encoding="utf-8") as f:
                f.write(render(fmt, report, color=False))
        except OSError as exc:
            _fail(f"--output {output}: {exc.strerror or exc}")
        if not quiet:
            from .report.text import summary_line

            click.echo(summary_line(report, color=False), err=True)
    elif text:
        click.echo(text, nl=False)
    sys.exit(report.exit_code)


@main.command("rules", epilog=EXIT_CODES)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--export", type=click.Choice(["rg"]), help="Print the search expressions instead, one per line (rg: for `rg -i -f`).")
@click.option("--twin-url", "twin_urls", multiple=True, metavar="PATTERN", help="Add your hosted twins, as for a scan.")
@click.option("--config", "config_path", metavar="FILE", help="Take twin_urls from this config file.")
def rules_cmd(fmt, export, twin_urls, config_path) -> None:
    """Describe every rule: what it finds, why that is bad, and how to fix it."""
    from .config import ConfigError, discover
    from .engine import build_expressions
    from .rulepack import RuleError, build_ruleset, load_builtin_rules

    try:
        cfg = discover(["."], config_path)
        rules = build_ruleset([*cfg.twin_urls, *twin_urls])
        documented = load_builtin_rules()
    except (ConfigError, RuleError) as exc:
        _fail(str(exc))
    if export:
        for e in build_expressions(rules):
            click.echo(e.regex)
        return
    if fmt == "json":
        import json

        click.echo(json.dumps([{
            "id": r.id, "title": r.title, "severity": r.severity, "confidence": r.confidence,
            "schemes": list(r.schemes), "protocol_relative": r.protocol_relative,
            "keywords": list(r.keywords), "what": r.what, "why": r.why, "example": r.example, "fix": r.fix,
            "patterns": [x.pattern for x in rules if x.id == r.id],
        } for r in documented], indent=2))
        return
    for r in documented:
        click.echo(click.style(f"{r.id}", bold=True) + f"  {r.title}  [{r.severity}, confidence {r.confidence}]")
        for head, body in (("What it does", r.what), ("Why is this bad?", r.why), ("Example", r.example), ("How to fix", r.fix)):
            if body:
                click.echo(f"  {head}")
                click.echo("\n".join("    " + line for line in body.splitlines()))
        click.echo("")
