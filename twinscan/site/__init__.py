"""Scan what production serves: `twinscan https://app.example.com/` fetches the page and what it
loads (without running JavaScript) and feeds every resource to the same scanner as a file.

This module stays import-free: decide.py, suppress.py and report/locations.py ask it whether a
reported path is a URL, and a pre-commit run must not pay for the HTTP machinery.
"""
from __future__ import annotations

SCHEMES = ("http://", "https://")


def is_url(path: str) -> bool:
    """True for a reported path that is a fetched URL (`https://app.example.com/assets/x.js`)."""
    return path[:8].lower().startswith(SCHEMES)


def url_path(url: str) -> str:
    """The path part of a fetched URL without its leading `/` (`assets/index-AbC12345.js`; the
    page itself is `/`): what fingerprints, baselines and `ignore:` path globs see, so the same
    finding keeps its fingerprint across hosts (staging, production) and redeploys. A
    `#headers` suffix (the response headers of that URL) is kept."""
    rest = url.split("://", 1)[1] if "://" in url else url
    slash = rest.find("/")
    path = rest[slash:] if slash >= 0 else "/"
    path, _, fragment = path.partition("#")
    path = path.split("?", 1)[0].lstrip("/") or "/"
    return f"{path}#{fragment}" if fragment else path


def url_problem(url: str) -> str | None:
    """Why a site named on the command line cannot be scanned (a usage error), or None."""
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url)
        _ = parts.port  # raises ValueError on a bad port
    except ValueError as exc:
        return f"{url}: not a valid URL ({exc})"
    if not parts.hostname:
        return f"{url}: a site URL needs a host, e.g. https://app.example.com/"
    if parts.username is not None or parts.password is not None:
        return ("a site URL must not carry credentials (user:password@): they would be printed and reported; "
                "send them with --header 'Authorization: …' instead")
    return None
