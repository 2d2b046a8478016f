"""The data files shipped in `rules/` (rules, roles, services, library defaults, deploy
commands), parsed once per change instead of once per run.

A pre-commit run on three files spent a third of its time importing PyYAML and parsing these
files. Each file's parsed data is kept as JSON in the user cache directory (the one the
Hyperscan database cache uses, never inside the scanned tree), under a name derived from
twinscan's version and the file's path, size and modification time, as Python keys its
bytecode cache. A run whose files have not changed reads JSON and never imports PyYAML.

Any problem with the cache (none yet, unreadable, damaged, read-only directory) means parsing
the YAML as before. Data is cached only when JSON gives it back equal (YAML can say things
JSON cannot: integer keys, dates), so the cache never changes what a file means.
"""
from __future__ import annotations

import json
import os
from typing import Any

_FORMAT = "1"  # bump when the cached shape changes


def rules_dir() -> str:
    """Where the rule files are: `twinscan/rules/` in an installed package, `rules/` in a checkout."""
    here = os.path.dirname(os.path.abspath(__file__))
    installed = os.path.join(here, "rules")
    return installed if os.path.isdir(installed) else os.path.join(os.path.dirname(here), "rules")


def path_of(relpath: str) -> str:
    return os.path.join(rules_dir(), *relpath.split("/"))


def load(relpath: str) -> Any:
    """The parsed YAML of `rules/<relpath>` (e.g. ``roles.yaml``, ``services/defaults.yaml``)."""
    path = path_of(relpath)
    with open(path, "rb") as f:
        st = os.fstat(f.fileno())
        cached = _cache_file(relpath, st)
        if cached is not None:
            try:
                with open(cached, "rb") as c:
                    return json.loads(c.read())
            except (OSError, ValueError):  # none yet, or damaged: parse the YAML
                pass
        text = f.read().decode("utf-8")
    data = parse(text)
    if cached is not None:
        _store(cached, data)
    return data


def parse(text: str) -> Any:
    """YAML text as data, with PyYAML's C loader where it is built."""
    import yaml  # lazily: only when a shipped file changed or there is no cache

    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # noqa: S506 - a safe loader


def _cache_file(relpath: str, st: os.stat_result) -> str | None:
    """The cache entry's path: the key spelled out in the name (no hashing: hashlib alone is
    a noticeable part of a cold run's imports)."""
    from . import __version__
    from .usercache import cache_dir

    try:
        name = relpath.replace("/", "-").replace(".", "-")
        key = f"{_FORMAT}-{__version__}-{name}-{st.st_size}-{st.st_mtime_ns}-{st.st_ino}"
        return os.path.join(cache_dir(), f"data-{key}.json")
    except Exception:  # no home directory: no cache
        return None


def _store(path: str, data: Any) -> None:
    """Write *data* to *path*, when JSON keeps it as it is."""
    from .usercache import write_atomic

    try:
        text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
        if json.loads(text) != data:
            return
    except (TypeError, ValueError):  # dates and other things JSON has no word for: parse next time
        return
    write_atomic(path, text.encode("utf-8"))
