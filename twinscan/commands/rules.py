"""`twinscan rules`: what each rule finds, why that is bad, and how to fix it."""
from __future__ import annotations

import click

from ._common import EXIT_CODES, fail


@click.command("rules", epilog=EXIT_CODES, short_help="What each rule finds, why that is bad, how to fix it.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--export", type=click.Choice(["rg"]), help="Print the search expressions instead, one per line (rg: for `rg -i -f`).")
@click.option("--twin-url", "twin_urls", multiple=True, metavar="PATTERN", help="Add your hosted twins, as for a scan.")
@click.option("--config", "config_path", metavar="FILE", help="Take twin_urls from this config file.")
def rules_cmd(fmt, export, twin_urls, config_path) -> None:
    """Describe every rule: what it finds, why that is bad, and how to fix it."""
    from ..config import ConfigError, discover
    from ..engine import build_expressions
    from ..rulepack import RuleError, build_ruleset, load_builtin_rules

    try:
        cfg = discover(["."], config_path)
        rules = build_ruleset([*cfg.twin_urls, *twin_urls])
        documented = load_builtin_rules()
    except (ConfigError, RuleError) as exc:
        fail(str(exc))
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
