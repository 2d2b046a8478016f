"""The options a site scan adds to `twinscan scan` (and `twinscan baseline`). Only click here:
cli.py applies them at import time, and a file scan must not pay for the HTTP code."""
from __future__ import annotations

import re

import click

_NAME = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")


def parse_header(value: str) -> tuple[str | None, str, str]:
    """`Name: value` or `https://staging.example.com=Name: value` -> (origin or None, name, value).
    Errors never echo the value: it is usually a secret."""
    origin = None
    if value.lower().startswith(("http://", "https://")):
        origin, sep, value = value.partition("=")
        if not sep:
            raise click.BadParameter("expected 'ORIGIN=Name: value' (the value is not shown)")
    name, sep, rest = value.partition(":")
    name = name.strip()
    if not sep or not _NAME.match(name) or "\r" in rest or "\n" in rest:
        raise click.BadParameter("expected 'Name: value' (a header name, a colon, a value on one line; "
                                 "the value is not shown)")
    return origin, name, rest.strip()


def _headers(ctx: click.Context, param: click.Parameter, values: tuple[str, ...]) -> list:
    return [parse_header(v) for v in values]


OPTIONS = [
    click.option("--allow-host", "allow_hosts", multiple=True, metavar="HOST",
                 help="Site scans (a PATH that is an http(s):// URL): also fetch from HOST (a CDN serving the app's "
                      "chunks) and follow redirects to it. Repeatable."),
    click.option("--header", "site_headers", multiple=True, metavar="'NAME: VALUE'", callback=_headers,
                 help="Site scans: send this header (e.g. an auth header for a gated staging site) to the origin of "
                      "the URLs named, never elsewhere; 'https://host=NAME: VALUE' names the origin. Never printed "
                      "or reported. Repeatable."),
    click.option("--max-resources", type=click.IntRange(1), default=1000, show_default=True,
                 help="Site scans: most resources fetched."),
    click.option("--max-bytes", type=click.IntRange(1), default=200, show_default=True, metavar="MiB",
                 help="Site scans: most bytes downloaded."),
    click.option("--max-time", type=click.FloatRange(0, min_open=True), default=300.0, show_default=True,
                 metavar="SECONDS", help="Site scans: stop fetching after this long."),
    click.option("--request-timeout", type=click.FloatRange(0, min_open=True), default=20.0, show_default=True,
                 metavar="SECONDS", help="Site scans: timeout of one request."),
]
