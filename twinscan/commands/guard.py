"""`twinscan guard`: generate a start-up guard (TypeScript, or the compiled rules as JSON)."""
from __future__ import annotations

import click

from ._common import config_for, write_output


@click.command("guard", short_help="Generate a start-up guard (TypeScript, Go, JSON) from the rules.")
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
    from ..runtime import tsguard

    cfg = config_for([], config_path, twin_urls)
    if emit == "go":
        from ..runtime import goguard

        write_output(goguard.emit_go(goguard.guard_data([*cfg.twin_urls, *twin_urls], cfg.services)), output)
        return
    data = tsguard.guard_data([*cfg.twin_urls, *twin_urls], cfg.services)
    if emit == "json":
        import json

        text = json.dumps(data, indent=1) + "\n"
    else:
        text = tsguard.emit_ts(data)
    write_output(text, output)
