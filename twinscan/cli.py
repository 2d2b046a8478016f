"""Command line: the `twinscan` group. Each subcommand is a module in twinscan/commands/.

`twinscan [PATH]...` scans (it means `twinscan scan PATH…`); `twinscan rules` documents the rules.
"""
from __future__ import annotations

import click

from . import __version__
from .commands import COMMANDS


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


for _command in COMMANDS:
    main.add_command(_command)
