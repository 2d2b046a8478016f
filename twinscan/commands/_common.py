"""What the subcommands share: exit-code text, the usage-error exit, the scan options, and a
scan run (config, rules, walk, scan) that `twinscan scan` and `twinscan baseline` both make.

Only click is imported here at module level: `twinscan --version` and `--help` load every
command module, and a pre-commit run pays every import.
"""
from __future__ import annotations

import os
import sys
import time

import click

EXIT_CODES = """\b
Exit codes:
  0  clean: no blocking finding, every production file read
  1  at least one blocking finding (a twin URL in a production target)
  2  usage or configuration error
  3  the scan was incomplete: a file in a production target could not be
     read or decoded, a symbolic link in it leaves the tree, or a folder
     named holds no file (unless --allow-empty); nothing blocking was found
  130  interrupted (Ctrl-C)
"""

RUNTIME_EXIT_CODES = """\b
Exit codes:
  0  clean
  1  blocking: a twin URL (or a non-vendor host for a vendor setting) in production
  2  usage or configuration error
  3  incomplete: a source could not be read or parsed, and nothing blocking was found
"""


def fail(message: str, *more: str) -> "NoReturn":  # noqa: F821
    """A usage or configuration error: the project's one-line message (``more``: further lines), exit 2.

    Control characters are escaped in every line: a file or option value holding a newline
    and `::warning::` must not become a workflow command in a CI log."""
    from ..report.present import printable

    click.echo("\n".join([f"twinscan: error: {printable(message)}", *map(printable, more)]), err=True)
    sys.exit(2)


def format_names() -> list[str]:
    """Every report format, from the one registry (twinscan.report.FORMATS)."""
    from ..report import FORMATS

    return list(FORMATS)


# -- the matching engine ------------------------------------------------------------

def engine_description() -> str:
    """What `--version` says about the engine. Imports Hyperscan to be sure it loads; compiles nothing."""
    from .. import engine

    if engine.hyperscan_available():
        import hyperscan

        version = getattr(hyperscan, "__version__", None)
        if version is None:
            from importlib.metadata import PackageNotFoundError
            from importlib.metadata import version as dist_version

            try:
                version = dist_version("hyperscan")
            except PackageNotFoundError:
                version = "(version unknown)"
        return f"engine: hyperscan {version}"
    from importlib.util import find_spec

    try:
        installed = find_spec("hyperscan") is not None
    except (ImportError, ValueError):
        installed = False
    return "engine: re; " + ("Hyperscan does not load on this platform" if installed else "Hyperscan not installed")


def engine_note(engine_choice: str, quiet: bool) -> None:
    """One line on stderr when the fast engine is absent, unless -q or `--engine re` was asked for."""
    if quiet or engine_choice != "auto":
        return
    from .. import engine

    if not engine.hyperscan_available():
        click.echo("twinscan: note: Hyperscan is not available here, so the `re` engine scans "
                   "(same findings, slower on large builds; `--engine re` hides this note)", err=True)


# -- output ------------------------------------------------------------------------------

def use_color(no_color: bool, output: str | None, choice: str = "auto") -> bool:
    """--color auto|always|never (and --no-color); auto honours NO_COLOR, FORCE_COLOR and TERM=dumb."""
    from ..report import use_color as decide_color

    return decide_color("never" if no_color else choice, output in (None, "-") and sys.stdout.isatty())


def output_problem(path: str) -> str | None:
    """Why a report cannot be written to ``path`` (checked before the scan, not after it), or None."""
    if os.path.isdir(path):
        return "is a folder: name a file"
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        return f"folder {os.path.dirname(path) or folder} does not exist"
    return None


def check_output(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """--output FILE: '-' is standard output (None); a file in a missing folder is exit 2 before the scan."""
    if value is None or value == "-":
        return None
    problem = output_problem(value)
    if problem:
        fail(f"--output {value}: {problem}")
    return value


def write_output(text, output: str | None, color: bool = False) -> None:
    """The rendered result to --output FILE, else ('-' or no -o) standard output (ANSI kept when ``color``).
    ``text`` is a str or an iterable of str pieces (a report written as it is made, :func:`twinscan.report.chunks`)."""
    pieces = (text,) if isinstance(text, str) else text
    if output and output != "-":
        try:
            with open(output, "w", encoding="utf-8") as f:
                for piece in pieces:
                    f.write(piece)
        except OSError as exc:
            fail(f"--output {output}: {exc.strerror or exc}")
    else:
        for piece in pieces:
            if piece:
                click.echo(piece, nl=False, color=color or None)


def progress(enabled: bool):
    """(tick, clear) for a progress line on stderr after a second of scanning; (None, no-op) when off."""
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


# -- config ----------------------------------------------------------------------------

def config_for(paths, config_path, twin_urls):
    """The config for a runtime command (the scanner's discovery) and a check that the twin URLs compile."""
    from ..config import ConfigError, discover
    from ..rulepack import RuleError, twin_url_pattern

    try:
        cfg = discover([p for p in paths if p != "-"] or ["."], config_path)
        for spec in twin_urls:
            twin_url_pattern(spec)
    except (ConfigError, RuleError) as exc:
        fail(str(exc))
    return cfg


# -- a scan run (scan, baseline) -----------------------------------------------------

def _name(param: click.Parameter) -> str:
    return max(param.opts, key=len)


def _check_environment(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is not None and not value.strip():
        fail(f"{_name(param)}: the environment name is empty (e.g. --environment staging)")
    return value


def _check_nonempty(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is not None and not value.strip():
        fail(f"{_name(param)}: the value is empty")
    return value


def _check_seconds(ctx: click.Context, param: click.Parameter, value: float) -> float:
    import math

    if not math.isfinite(value) or value <= 0:
        fail(f"{_name(param)} {value}: expected a number of seconds greater than 0, e.g. 60")
    return value


def _check_globs(ctx: click.Context, param: click.Parameter, values: tuple[str, ...]) -> tuple[str, ...]:
    from ..walk import glob_problem

    for g in values:
        problem = glob_problem(g)
        if problem:
            fail(f"{_name(param)} '{g}': {problem} (patterns use gitignore syntax)")
    return values


def scan_options(f):
    """The options `twinscan scan` and `twinscan baseline` share (a baseline is written from
    exactly the scan a later `twinscan --baseline FILE` run repeats)."""
    options = [
        click.argument("paths", nargs=-1, type=str),
        click.option("--environment", metavar="NAME", callback=_check_environment,
            help="What the whole run is (e.g. staging); by default every path named is a production target."),
        click.option("--twin-url", "twin_urls", multiple=True, metavar="PATTERN",
            help="Your hosted twins: host glob with optional path prefix, e.g. 'twins.*.yourco.com' or "
            "'*.yourco.com/twins/'. Repeatable."),
        click.option("--config", "config_path", metavar="FILE",
            help="Config file (default: nearest twinscan.yaml, .twinscan.yaml or [tool.twinscan] in "
            "pyproject.toml)."),
        click.option("--exclude", multiple=True, metavar="GLOB", callback=_check_globs,
            help="Skip paths matching GLOB (gitignore syntax, relative to the path named). Repeatable."),
        click.option("--respect-gitignore", is_flag=True, default=None,
            help="Also skip what .gitignore files ignore (off by default: dist/ and .env.production are usually "
            "git-ignored)."),
        click.option("--follow-symlinks", is_flag=True, default=None,
            help="Also follow symbolic links that leave the tree named (links inside it are always followed; "
            "loops are detected)."),
        click.option("--no-default-excludes", is_flag=True, help="Also walk .git/, node_modules/, .next/cache/, .venv/ and similar directories."),
        click.option("--docker-target", metavar="STAGE",
            help="The Dockerfile stage `docker build --target` builds: it and the stages it copies from are "
            "production."),
        click.option("--stdin-name", metavar="NAME", callback=_check_nonempty,
            help="With '-': the file name that decides the kind and environment of standard input."),
        click.option("--strict", is_flag=True, default=None,
            help="No roles: every twin URL in a production target blocks, whatever it is for (healthcheck, "
            "sidecar, test, documentation, …). Config: strict."),
        click.option("--engine", type=click.Choice(["auto", "hyperscan", "re"]), default="auto", show_default=True,
            help="Matching engine; both give identical results."),
        click.option("--jobs", "-j", type=click.IntRange(0, 256), default=0, help="Worker processes (0: one per core, used for large inputs)."),
        click.option("--max-decoded-size", type=click.IntRange(1), default=256, show_default=True, metavar="MiB",
            help="Largest decompressed or transcoded file."),
        click.option("--max-ratio", type=click.IntRange(2), default=200, show_default=True,
            help="Largest decompression ratio before data counts as a bomb."),
        click.option("--file-timeout", type=float, callback=_check_seconds, default=60.0, show_default=True, metavar="SECONDS",
            help="Stop scanning a file (or an archive) after this long and report it as not fully scanned."),
        click.option("--quiet", "-q", is_flag=True, help="Print only blocking findings and errors."),
        click.option("--verbose", "-v", is_flag=True, help="Also print skipped files and why, the engine and the config used."),
        click.option("--no-color", is_flag=True, help="Never colour output (same as --color never)."),
        click.option("--color", "color", type=click.Choice(["auto", "always", "never"]), default="auto", show_default=True,
            help="Colour text output: auto = on a terminal, unless NO_COLOR is set or TERM=dumb; FORCE_COLOR "
            "turns it on."),
        click.option("--allow-empty", is_flag=True, default=None,
            help="A production directory with no file to scan (empty, or everything excluded) passes instead of "
            "making the scan incomplete (config: allow_empty)."),
    ]
    from ..site.options import OPTIONS as site_options  # a PATH that is an http(s):// URL is a site (twinscan/site/)

    options += site_options
    for option in reversed(options):
        f = option(f)
    return f


def scan_targets(o: dict) -> tuple[list[str], list[str]]:
    """The PATHs a scan reads, checked before anything is scanned: (every target, the filesystem ones).

    The one place that says what a PATH argument may be ('-' for standard input, else a file or
    directory); `items` below turns each into scanner items. New kinds of target hook in here.
    """
    from ..site import is_url, url_problem

    o["sites"] = [p for p in o["paths"] if is_url(p)]  # fetched by execute, not walked
    for problem in filter(None, map(url_problem, o["sites"])):
        fail(problem)
    paths = [p for p in o["paths"] if not is_url(p)] or ([] if o["sites"] else ["."])
    if paths.count("-") > 1:
        fail("'-' (standard input) can be named only once")
    if o.get("stdin_name") is not None and "-" not in paths:
        fail(f"--stdin-name {o['stdin_name']}: names standard input, but '-' is not among the PATHs "
             f"(e.g. `cat app.js | twinscan --stdin-name dist/app.js -`)")
    fs_paths = [p for p in paths if p != "-"]
    missing = [p for p in fs_paths if not os.path.lexists(p)]
    if missing and not o.get("artifacts"):  # --artifacts: a missing build directory makes the scan incomplete
        fail(f"{missing[0]}: no such file or directory")
    return paths, fs_paths


def items(paths: list[str], walker, o: dict, empty: list[str] | None = None) -> list:
    """Scanner items for the targets scan_targets accepted: standard input, or what the walker finds.
    A directory that yields no file at all is added to ``empty``."""
    from ..walk import Item

    out = []
    for p in paths:
        if p == "-":
            data = sys.stdin.buffer.read()
            name = o["stdin_name"] or "<stdin>"
            out.append(Item(name, name, len(data), data))
        else:
            errors = sum(n.error for n in walker.notes)
            found = list(walker.walk([p]))
            if not found and empty is not None and os.path.isdir(p) and errors == sum(n.error for n in walker.notes):
                empty.append(p)
            out.extend(found)
    return out


def check_docker_target(target: str, scan_items: list) -> None:
    """--docker-target STAGE must name a stage of a Dockerfile scanned: a typo would silently make
    the final stage production instead. No Dockerfile among the targets (a pre-commit run over
    .env files) is no error; one that cannot be read here is left to the scan to report."""
    from ..classify import base_name
    from ..extract.dockerfile import stage_names
    from ..extract.registry import is_kind

    stages: dict[str, list[str]] = {}
    for item in scan_items:
        if not is_kind(item.display, "dockerfile") or "!/" in item.display:
            continue
        if base_name(item.display) != os.path.basename(item.display).lower():
            return  # compressed: only the scan decodes it
        try:
            if item.data is not None:
                data = item.data
            else:
                with open(item.fs_path, "rb") as f:
                    data = f.read(16 << 20)
            stages[item.display] = stage_names(data)
        except (OSError, ValueError):
            return
    if not stages or any(target.lower() in names for names in stages.values()):
        return
    where = "; ".join(f"{path}: {', '.join(names) if names else 'no named stage'}" for path, names in stages.items())
    fail(f"--docker-target {target}: no Dockerfile scanned has a stage of that name (stages: {where})")


def setup(o: dict):
    """Paths, config and rules for a run; usage and config errors exit 2 before any scanning."""
    from ..config import ConfigError, discover
    from ..rulepack import RuleError, build_ruleset, twin_url_pattern

    paths, fs_paths = scan_targets(o)
    for spec in o["twin_urls"]:
        try:
            twin_url_pattern(spec)
        except RuleError as exc:
            fail(f"--twin-url: {exc}")
    try:
        cfg = discover(fs_paths or ["."], o["config_path"])
        rules = build_ruleset([*cfg.twin_urls, *o["twin_urls"]])
    except (ConfigError, RuleError) as exc:
        fail(str(exc))
    if o["engine"] == "hyperscan":
        from ..engine import hyperscan_available

        if not hyperscan_available():
            fail("--engine hyperscan: Hyperscan is not installed or does not load on this platform (use --engine re)")
    engine_note(o["engine"], o["quiet"])
    return paths, cfg, rules


def execute(o: dict, paths, cfg, rules, progress_line: bool):
    """Walk and scan; returns the scan result with the walker's errors and skips merged in."""
    from ..classify import Classifier
    from ..extract.values import Options
    from ..model import FileError, Skipped
    from ..reader import Limits
    from ..rulepack import load_builtin_rules
    from ..scan import Settings, run
    from ..services import ServiceIndex, load_services
    from ..walk import Walker

    classifier = Classifier.from_globs(cfg.environments, environment=o["environment"] or cfg.environment,
                                       production_environments=cfg.production_environments)
    walker = Walker(
        excludes=[*cfg.exclude, *o["exclude"]], ignore_files=cfg.ignore_files,
        respect_gitignore=cfg.respect_gitignore if o["respect_gitignore"] is None else o["respect_gitignore"],
        follow_symlinks=cfg.follow_symlinks if o["follow_symlinks"] is None else o["follow_symlinks"],
        default_excludes=not o["no_default_excludes"],
    )
    empty: list[str] = []
    scan_items = items(paths, walker, o, empty)
    if o["docker_target"]:
        check_docker_target(o["docker_target"], scan_items)
    service_rule = next((r for r in load_builtin_rules() if r.check == "services"), None)
    settings = Settings(rules=rules, classifier=classifier, engine=o["engine"],
                        services=ServiceIndex(load_services(cfg.services).values()), service_rule=service_rule,
                        limits=Limits(o["max_decoded_size"] << 20, o["max_ratio"], o["file_timeout"]), jobs=o["jobs"],
                        options=Options(docker_target=o["docker_target"]), fail_on=o.get("fail_on") or "error", roles=cfg.roles,
                        strict=cfg.strict if o.get("strict") is None else o["strict"])
    site = None
    if o["sites"]:  # twinscan https://…: what the site serves, fetched within the caps (twinscan/site/)
        from ..site.crawl import crawl

        site = crawl(o["sites"], classifier, settings.limits, allow_hosts=o["allow_hosts"], headers=o["site_headers"],
                     max_resources=o["max_resources"], max_bytes=o["max_bytes"] << 20, max_time=o["max_time"],
                     request_timeout=o["request_timeout"])
        scan_items.extend(site.items)
        settings.classifier = site.classifier(classifier)
    tick, clear = progress(progress_line and not o["quiet"] and sys.stderr.isatty())
    from ..collector import scanning

    scanning()
    result = run(scan_items, settings, progress=tick)
    clear()
    if site is not None:
        site.finish(result)

    errors = list(result.errors)
    skipped = list(result.skipped)
    allow_empty = cfg.allow_empty if o["allow_empty"] is None else o["allow_empty"]
    for p in empty:  # `exit 0` means every production file was read: an empty dist/ read none
        if not allow_empty:
            errors.append(FileError(p, "no files scanned: the folder is empty or everything in it is excluded "
                                       "(--allow-empty accepts this)", classifier.classify(p).production))
    for note in walker.notes:
        if note.error:
            errors.append(FileError(note.path, note.reason, classifier.classify(note.path).production))
        else:
            skipped.append(Skipped(note.path, note.reason))
    o["unread"] = unread_in_production(skipped, result, walker, classifier)
    return result, errors, skipped


def unread_in_production(skipped, result, walker, classifier) -> list[str]:
    """Skips in a production target whose content was not read at all (a FIFO, a dangling link,
    a file that vanished, an archive member that was not opened), one line each with the reason:
    shown by every format, not only with -v. Binary files (media, fonts, PDF, wasm) stay plain
    skips, and so do notes about a file that was read (its encoding, a link loop)."""
    from ..site import is_url

    if not skipped:
        return []
    read = result.read_in_full() | {n.path for n in walker.notes if n.read_elsewhere}
    out = []
    for sk in skipped:
        if sk.reason.startswith("binary") or is_url(sk.path) or sk.path.split("!/")[0] in read:
            continue
        if classifier.classify(sk.path).production:
            out.append(f"not scanned: {sk.path}: {sk.reason}")
    return out

