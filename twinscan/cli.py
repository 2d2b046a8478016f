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

FORMAT_NAMES = ["text", "json", "sarif", "github", "gitlab", "junit", "markdown"]


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


def _parse_reports(ctx: click.Context, param: click.Parameter, values: tuple[str, ...]) -> list:
    """--report FORMAT=FILE, checked before the scan; kept in ctx.meta for _write_reports."""
    out = []
    for value in values:
        fmt, sep, path = value.partition("=")
        if not sep or fmt not in FORMAT_NAMES or not path:
            raise click.BadParameter(f"{value!r}: expected FORMAT=FILE, FORMAT one of {', '.join(FORMAT_NAMES)}", ctx, param)
        if not os.path.isdir(os.path.dirname(os.path.abspath(path))):
            raise click.BadParameter(f"{value!r}: directory {os.path.dirname(path)!r} does not exist", ctx, param)
        out.append((fmt, path))
    ctx.meta["twinscan.reports"] = out
    return out


def _write_reports(report) -> None:
    """Write the --report files; $GITHUB_STEP_SUMMARY is appended to, as GitHub expects."""
    from .report import render

    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    failed = []
    for fmt, path in click.get_current_context().meta.get("twinscan.reports", ()):
        append = bool(summary) and os.path.abspath(path) == os.path.abspath(summary)
        try:
            with open(path, "a" if append else "w", encoding="utf-8") as f:
                f.write(render(fmt, report, color=False))
        except OSError as exc:
            failed.append(f"--report {fmt}={path}: {exc.strerror or exc}")
    if failed:
        _fail("; ".join(failed))


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


def _scan_options(f):
    """The options `twinscan scan` and `twinscan baseline` share (a baseline is written from
    exactly the scan a later `twinscan --baseline FILE` run repeats)."""
    options = [
        click.argument("paths", nargs=-1, type=str),
        click.option("--environment", metavar="NAME", help="What the whole run is (e.g. staging); by default every path named is a production target."),
        click.option("--twin-url", "twin_urls", multiple=True, metavar="PATTERN", help="Your hosted twins: host glob with optional path prefix, e.g. 'twins.*.yourco.com' or '*.yourco.com/twins/'. Repeatable."),
        click.option("--config", "config_path", metavar="FILE", help="Config file (default: nearest twinscan.yaml, .twinscan.yaml or [tool.twinscan] in pyproject.toml)."),
        click.option("--exclude", multiple=True, metavar="GLOB", help="Skip paths matching GLOB (gitignore syntax, relative to the path named). Repeatable."),
        click.option("--respect-gitignore", is_flag=True, default=None, help="Also skip what .gitignore files ignore (off by default: dist/ and .env.production are usually git-ignored)."),
        click.option("--follow-symlinks", is_flag=True, default=None, help="Follow symbolic links inside walked directories (loops are detected)."),
        click.option("--no-default-excludes", is_flag=True, help="Also walk .git/, node_modules/, .next/cache/, .venv/ and similar directories."),
        click.option("--docker-target", metavar="STAGE", help="The Dockerfile stage `docker build --target` builds: it and the stages it copies from are production."),
        click.option("--stdin-name", metavar="NAME", help="With '-': the file name that decides the kind and environment of standard input."),
        click.option("--engine", type=click.Choice(["auto", "hyperscan", "re"]), default="auto", show_default=True, help="Matching engine; both give identical results."),
        click.option("--jobs", "-j", type=click.IntRange(0, 256), default=0, help="Worker processes (0: one per core, used for large inputs)."),
        click.option("--max-decoded-size", type=click.IntRange(1), default=256, show_default=True, metavar="MiB", help="Largest decompressed or transcoded file."),
        click.option("--max-ratio", type=click.IntRange(2), default=200, show_default=True, help="Largest decompression ratio before data counts as a bomb."),
        click.option("--file-timeout", type=click.FloatRange(0, min_open=True), default=60.0, show_default=True, metavar="SECONDS", help="Stop scanning a file (or an archive) after this long and report it as not fully scanned."),
        click.option("--quiet", "-q", is_flag=True, help="Print only blocking findings and errors."),
        click.option("--verbose", "-v", is_flag=True, help="Also print skipped files and why, the engine and the config used."),
        click.option("--no-color", is_flag=True, help="Never colour output (same as --color never)."),
        click.option("--color", "color", type=click.Choice(["auto", "always", "never"]), default="auto", show_default=True, help="Colour text output: auto = on a terminal, unless NO_COLOR is set or TERM=dumb; FORCE_COLOR turns it on."),
    ]
    for option in reversed(options):
        f = option(f)
    return f


def _setup(o: dict):
    """Paths, config and rules for a run; usage and config errors exit 2 before any scanning."""
    from .config import ConfigError, discover
    from .rulepack import RuleError, build_ruleset

    paths = list(o["paths"]) or ["."]
    if paths.count("-") > 1:
        _fail("'-' (standard input) can be named only once")
    fs_paths = [p for p in paths if p != "-"]
    try:
        cfg = discover(fs_paths or ["."], o["config_path"])
        rules = build_ruleset([*cfg.twin_urls, *o["twin_urls"]])
    except (ConfigError, RuleError) as exc:
        _fail(str(exc))
    if o["engine"] == "hyperscan":
        from .engine import hyperscan_available

        if not hyperscan_available():
            _fail("--engine hyperscan: Hyperscan is not installed or does not load on this platform (use --engine re)")
    missing = [p for p in fs_paths if not os.path.lexists(p)]
    if missing and not o.get("artifacts"):  # --artifacts: a missing build directory makes the scan incomplete
        _fail(f"{missing[0]}: no such file or directory")
    return paths, cfg, rules


def _artifact_paths(o: dict) -> None:
    """--artifacts: the config's `artifacts:` paths become the PATHs. One that does not exist
    (not built yet) is an error for that path, so the scan is incomplete (exit 3), not clean."""
    from .config import ConfigError, discover

    if o["paths"]:
        _fail("--artifacts takes no PATH: it scans the `artifacts:` paths from config")
    try:
        cfg = discover(["."], o["config_path"])
    except ConfigError as exc:
        _fail(str(exc))
    if not cfg.artifacts:
        where = cfg.path or "config (no twinscan.yaml, .twinscan.yaml or [tool.twinscan] in pyproject.toml was found)"
        _fail(f"--artifacts: no `artifacts:` paths in {where}; add the build output directories, e.g. `artifacts: [dist/]`")
    rel = [os.path.relpath(p) for p in cfg.artifacts]
    o["paths"] = tuple(r if not r.startswith("..") else p for r, p in zip(rel, cfg.artifacts))
    o["config_path"] = cfg.path
    for p in o["paths"]:
        if not os.path.lexists(p):
            click.echo(f"twinscan: {p} (artifacts: in {os.path.relpath(cfg.path)}) does not exist: run the build first", err=True)


def _execute(o: dict, paths, cfg, rules, progress: bool):
    """Walk and scan; returns the scan result with the walker's errors and skips merged in."""
    from .classify import Classifier
    from .extract.values import Options
    from .model import FileError
    from .reader import Limits
    from .scan import Settings, run
    from .walk import Item, Walker

    classifier = Classifier.from_globs(cfg.environments, environment=o["environment"] or cfg.environment,
                                       production_environments=cfg.production_environments)
    walker = Walker(
        excludes=[*cfg.exclude, *o["exclude"]], ignore_files=cfg.ignore_files,
        respect_gitignore=cfg.respect_gitignore if o["respect_gitignore"] is None else o["respect_gitignore"],
        follow_symlinks=cfg.follow_symlinks if o["follow_symlinks"] is None else o["follow_symlinks"],
        default_excludes=not o["no_default_excludes"],
    )
    items = []
    for p in paths:
        if p == "-":
            data = sys.stdin.buffer.read()
            name = o["stdin_name"] or "<stdin>"
            items.append(Item(name, name, len(data), data))
        else:
            items.extend(walker.walk([p]))
    from .rulepack import load_builtin_rules
    from .services import ServiceIndex, load_services

    service_rule = next((r for r in load_builtin_rules() if r.check == "services"), None)
    settings = Settings(rules=rules, classifier=classifier, engine=o["engine"],
                        services=ServiceIndex(load_services(cfg.services).values()), service_rule=service_rule,
                        limits=Limits(o["max_decoded_size"] << 20, o["max_ratio"], o["file_timeout"]), jobs=o["jobs"],
                        options=Options(docker_target=o["docker_target"]))
    tick, clear = _progress(progress and not o["quiet"] and sys.stderr.isatty())
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
    return result, errors, skipped


@main.command(epilog=EXIT_CODES)
@_scan_options
@click.option("--format", "fmt", type=click.Choice(FORMAT_NAMES), default="text", show_default=True, help="Output format.")
@click.option("--output", "-o", metavar="FILE", help="Write the report to FILE instead of standard output.")
@click.option("--report", "reports", multiple=True, metavar="FORMAT=FILE", expose_value=False, callback=_parse_reports, help="Also write a report in FORMAT to FILE from the same run (e.g. sarif=twinscan.sarif). Repeatable.")
@click.option("--baseline", "baseline_path", metavar="FILE", help="Report only findings that are not in this baseline (written by `twinscan baseline`; config: `baseline`).")
@click.option("--show-suppressed", is_flag=True, help="Also list the findings that `ignore:` entries or the baseline hide, and why.")
@click.option("--fail-on", type=click.Choice(["error", "warning"]), default=None, help="Lowest rule severity that blocks in a production target (default: error; config: fail_on).")
@click.option("--artifacts", is_flag=True, help="Scan the build output paths listed under `artifacts:` in config instead of PATHs (the twinscan-artifacts pre-commit hook).")
def scan(fmt, output, baseline_path, show_suppressed, fail_on, **opts) -> None:
    """Scan PATHs (default: .) for twin URLs; '-' reads standard input.

    Every path named is a production target unless the artifact says otherwise
    (`.env.development`, …) or --environment says what the whole run is.
    """
    from .report import Report, render

    quiet, verbose, no_color = opts["quiet"], opts["verbose"], opts["no_color"]
    if opts["artifacts"]:
        _artifact_paths(opts)
    paths, cfg, rules = _setup(opts)
    baseline = None
    baseline_file = baseline_path or cfg.baseline
    if baseline_file:
        from .suppress import BaselineError, load_baseline

        try:
            baseline = load_baseline(baseline_file)
        except BaselineError as exc:
            _fail(str(exc))
    result, errors, skipped = _execute(opts, paths, cfg, rules, progress=fmt == "text")
    findings = result.findings
    fail_on = fail_on or cfg.fail_on or "error"
    if fail_on != "error":
        from .decide import apply_fail_on

        apply_fail_on(findings, fail_on)
    suppressed: list = []
    notes: list = []
    if cfg.ignore or baseline is not None:
        from .suppress import apply

        outcome = apply(findings, cfg.ignore, baseline)
        findings, suppressed, notes = outcome.active, outcome.suppressed, outcome.notes
    report = Report(
        findings=findings, errors=errors, skipped=skipped, files_scanned=result.files_scanned,
        bytes_scanned=result.bytes_scanned, seconds=result.seconds, engine=result.engine,
        config_path=cfg.path, verbose=verbose, quiet=quiet,
        suppressed=suppressed, show_suppressed=show_suppressed, notes=notes,
        twin_urls=[*((u, f"twin_urls in {cfg.path}") for u in cfg.twin_urls), *((u, "--twin-url") for u in opts["twin_urls"])],
    )
    from .report.text import use_color

    color = use_color("never" if no_color else opts["color"], output is None and sys.stdout.isatty())
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
        click.echo(text, nl=False, color=color)
    _write_reports(report)
    sys.exit(report.exit_code)


@main.command("baseline", epilog=EXIT_CODES)
@_scan_options
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
    from .suppress import BASELINE_NAME, BaselineError, apply, write_baseline

    quiet = opts["quiet"]
    paths, cfg, rules = _setup(opts)
    target = output or cfg.baseline or BASELINE_NAME
    result, errors, skipped = _execute(opts, paths, cfg, rules, progress=True)
    findings, notes, hidden = result.findings, [], 0
    if cfg.ignore:
        outcome = apply(findings, cfg.ignore)
        findings, notes, hidden = outcome.active, outcome.notes, len(outcome.suppressed)
    try:
        n = write_baseline(findings, target)
    except BaselineError as exc:
        _fail(str(exc))
    incomplete = [e for e in errors if e.production]
    for e in errors:
        if e.production or not quiet:
            click.echo(f"{'error' if e.production else 'warning'}: {e.path}: {e.message}", err=True)
    if not quiet:
        for note in notes:
            click.echo(f"note: {note}", err=True)
        left_out = f"; {hidden} hidden by `ignore:` entries left out" if hidden else ""
        click.echo(f"twinscan: wrote {target}: {n} entr{'y' if n == 1 else 'ies'} for "
                   f"{len(findings)} finding{'' if len(findings) == 1 else 's'}{left_out}")
    if incomplete:
        click.echo(f"twinscan: the scan was incomplete: {len(incomplete)} file(s) in a production target could not be "
                   "read, so their findings are not in the baseline", err=True)
        sys.exit(3)


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


from .cli_runtime import register as _register_runtime  # noqa: E402  (env, services, guard)

_register_runtime(main)
