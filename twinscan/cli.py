"""Command line: the `twinscan` group and its grammar. Each subcommand is a module in twinscan/commands/.

`twinscan PATH…` scans (it means `twinscan scan PATH…`); `twinscan COMMAND …` runs a command.
A first word that is both a command name and an existing path is refused (exit 2), never
guessed: `twinscan services` in a repository with a `services/` folder must not print a table
and exit 0 where a scan was meant.
"""
from __future__ import annotations

import os
import shlex
import sys

import click

from . import __version__
from .commands import COMMANDS
from .commands._common import EXIT_CODES, fail

GRAMMAR = """\b
Commands and paths:
  twinscan PATH...            scan PATHs (the same as `twinscan scan PATH...`)
  twinscan scan NAME          always scans, also when NAME is a command's name
  twinscan COMMAND ...        run a command; options may come before COMMAND
  A first word that is both a command and an existing path is refused (exit 2):
  write ./NAME (or `twinscan scan NAME`) for the path, `twinscan NAME ... --`
  for the command.
"""

_HELP = ("-h", "--help")


class DefaultGroup(click.Group):
    """`twinscan dist/` means `twinscan scan dist/`; `twinscan rules` is a subcommand.

    The first word that is not an option (or an option's value) decides. Options before it
    belong to what it names, so `twinscan -q scan dist/` is `twinscan scan -q dist/`. After a
    `--`, every word is a path.
    """

    def list_commands(self, ctx: click.Context) -> list[str]:
        return [c.name for c in COMMANDS if c.name in self.commands]

    def _value_options(self) -> set[str]:
        """Every option spelling that takes a value, in any command (to step over `--config FILE`)."""
        out = set()
        for cmd in self.commands.values():
            for p in cmd.params:
                if isinstance(p, click.Option) and not p.is_flag and not p.count:
                    out.update(p.opts)
                    out.update(p.secondary_opts)
        return out

    def _first_word(self, args: list[str]) -> int | None:
        """Index of the first argument that is not an option or an option's value; None when
        there is none before the end or a `--`."""
        takes_value = self._value_options()
        i = 0
        while i < len(args):
            a = args[i]
            if a == "--":
                return None
            if a.startswith("--"):
                i += 2 if "=" not in a and a in takes_value else 1
                continue
            if a.startswith("-") and a != "-":  # short options, possibly bundled: -qv, -j4, -o FILE
                for k in range(1, len(a)):
                    if f"-{a[k]}" in takes_value:
                        if k == len(a) - 1:
                            i += 1  # its value is the next argument
                        break
                i += 1
                continue
            return i
        return None

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        i = self._first_word(args)
        lead = args[:i] if i is not None else args[:args.index("--")] if "--" in args else args
        if "--version" in lead:
            return super().parse_args(ctx, ["--version"])
        if i is None:
            if any(a in _HELP for a in lead):
                return super().parse_args(ctx, ["--help"])
            return super().parse_args(ctx, ["scan", *args])
        word, before, after = args[i], args[:i], args[i + 1:]
        if word not in self.commands:
            return super().parse_args(ctx, ["scan", *args])
        if word != "scan" and os.path.lexists(word) and "--" not in after and not any(a in _HELP for a in args):
            _ambiguous(word, before, after)
        return super().parse_args(ctx, [word, *before, *after])

    def invoke(self, ctx: click.Context):
        """Ctrl-C exits 130 (128 + SIGINT, what shells report) with one line, never 1, which means
        "blocking", and never a traceback."""
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:
            if sys.stderr.isatty():
                sys.stderr.write("\r\033[K")  # over the progress line
            click.echo("twinscan: interrupted", err=True)
            sys.exit(130)

    def format_usage(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        formatter.write_usage(ctx.command_path, "[OPTIONS] [PATH]...")
        formatter.write_usage(ctx.command_path, "COMMAND [ARGS]...", prefix="   or: ")


def _ambiguous(word: str, before: list[str], after: list[str]) -> "NoReturn":  # noqa: F821
    """A first word that names a command and an existing path: say both readings and how to pick each."""
    kind = "folder" if os.path.isdir(word) else "file"
    as_path = shlex.join(["twinscan", "scan", *before, word, *after])
    dot_path = shlex.join(["twinscan", *before, os.path.join(".", word), *after])
    as_command = shlex.join(["twinscan", word, *before, *after, "--"])
    fail(f"`{word}` is both the command `twinscan {word}` and the {kind} ./{word}; say which one you mean:",
         f"  scan the {kind}:{' ' * (6 - len(kind))} {as_path}   (or: {dot_path})",
         f"  run the command: {as_command}   (a `--` after the command's arguments)")


def _print_version(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    if not value or ctx.resilient_parsing:
        return
    from .commands._common import engine_description

    click.echo(f"twinscan {__version__} ({engine_description()})")
    ctx.exit()


@click.group("twinscan", cls=DefaultGroup, context_settings={"help_option_names": list(_HELP)}, epilog=GRAMMAR + "\n" + EXIT_CODES)
@click.option("--version", is_flag=True, expose_value=False, is_eager=True, callback=_print_version,
              help="Print the version and the matching engine in use, and exit.")
def main() -> None:
    """Fail a production build when a twin URL reaches a production artifact.

    `twinscan scan --help` lists the scan's options; `twinscan COMMAND --help` a command's.
    """


for _command in COMMANDS:
    main.add_command(_command)
