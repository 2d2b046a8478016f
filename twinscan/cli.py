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


def _print_version(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    if not value or ctx.resilient_parsing:
        return
    from .commands._common import engine_description

    click.echo(f"twinscan {__version__} ({engine_description()})")
    ctx.exit()


@click.group(cls=DefaultGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--version", is_flag=True, expose_value=False, is_eager=True, callback=_print_version,
              help="Print the version and the matching engine in use, and exit.")
def main() -> None:
    """Fail a production build when a twin URL reaches a production artifact."""


for _command in COMMANDS:
    main.add_command(_command)
