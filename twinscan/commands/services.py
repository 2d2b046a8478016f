"""`twinscan services`: every configured service × every environment of a repository."""
from __future__ import annotations

import os
import sys

import click

from ._common import RUNTIME_EXIT_CODES, config_for, fail, write_output

#: The table's formats (runtime/servicetable.py RENDERERS, which loads only when the command runs).
FORMATS = ("text", "json", "markdown", "html")


@click.command("services", epilog=RUNTIME_EXIT_CODES, short_help="Every service x every environment: twin, vendor or unset.")
@click.argument("paths", nargs=-1, type=str)
@click.option("--twin-url", "twin_urls", multiple=True, metavar="PATTERN", help="Your hosted twins, as for a scan. Repeatable.")
@click.option("--config", "config_path", metavar="FILE", help="Config file (default: the nearest, as for a scan).")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True,
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
    from ..runtime import servicetable

    paths = list(paths) or ["."]
    missing = [p for p in paths if not os.path.lexists(p)]
    if missing:
        fail(f"{missing[0]}: no such file or directory")
    cfg = config_for(paths, config_path, twin_urls)
    table = servicetable.build(paths, cfg, twin_urls, all_services=not used)
    write_output(servicetable.RENDERERS[fmt](table), output)
    sys.exit(table.exit_code)
