"""`twinscan env`: check the environment a deploy runs with, right before it runs.

Sources: the current process environment (a CI step right before deploy), an
env file, or a ``docker inspect`` / image config JSON (or a ``docker save``
tarball) given as a path or on standard input. Each is scanned by the scanner
itself (scan.FileScanner: the same rules, ``--twin-url`` patterns and
``services`` check, the same findings, formats and exit codes), as the
production environment unless ``--environment`` says otherwise, whatever the
file is called: a file handed to ``twinscan env`` *is* the deploy's environment.

The process environment is written as an image config (``{"Config": {"Env":
["KEY=value", …]}}``, one variable per line, sorted, JSON-escaped), the format
the image extractor already reads value by value, so line N of a finding is
the Nth variable checked.
"""
from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, replace
from typing import Mapping, Sequence

PROCESS = "<process environment>"
STDIN = "<stdin>"


class EnvError(Exception):
    """A usage problem: a directory, a missing file (exit code 2)."""


def environ_document(environ: Mapping[str, str], prefixes: Sequence[str] = ()) -> bytes:
    """The variables as image-config JSON; line N holds the Nth variable (sorted by name)."""
    keys = sorted(k for k in environ if not prefixes or k.startswith(tuple(prefixes)))
    entries = [json.dumps(f"{k}={environ[k]}") for k in keys]  # ASCII-escaped: valid JSON whatever the bytes
    return ('{"Config": {"Env": [' + ",\n".join(entries) + "]}}\n").encode("ascii")


def sniff_kind(name: str, head: bytes) -> str:
    """How to read a source: by its name when it says env file or JSON, else by content."""
    from ..classify import artifact_kind

    kind = artifact_kind(name)
    if kind in ("dotenv", "image"):
        return kind
    head = head[3:] if head.startswith(b"\xef\xbb\xbf") else head
    return "image" if head.lstrip()[:1] in (b"{", b"[") else "dotenv"


@dataclass
class Source:
    display: str
    fs_path: str
    data: bytes | None
    kind: str
    reason: str


def sources(paths: Sequence[str], stdin: bytes | None, environ: Mapping[str, str] | None,
            prefixes: Sequence[str] = ()) -> list[Source]:
    """What to check: the named files and standard input, or else the process environment."""
    out = []
    for p in paths:
        if p == "-":
            data = stdin or b""
            out.append(Source(STDIN, STDIN, data, sniff_kind(STDIN, data[:4096]), "standard input"))
            continue
        if not os.path.lexists(p):
            raise EnvError(f"{p}: no such file or directory")
        if os.path.isdir(p):
            raise EnvError(f"{p}: is a directory; `twinscan env` checks one env file or image config "
                           f"(scan a directory with `twinscan {p}`)")
        try:
            with open(p, "rb") as f:
                head = f.read(4096)
        except OSError as exc:
            raise EnvError(f"{p}: cannot read: {exc.strerror or exc}") from None
        out.append(Source(p, p, None, sniff_kind(p, head), "named on the command line"))
    if not paths:
        data = environ_document(os.environ if environ is None else environ, prefixes)
        what = f"variables starting with {', '.join(prefixes)}" if prefixes else "every variable"
        out.append(Source(PROCESS, PROCESS, data, "image", f"the environment of this process ({what})"))
    return out


def check(srcs: Sequence[Source], settings) -> tuple[list, float]:
    """Scan each source as the run's environment; returns (FileResults, seconds)."""
    from ..model import FileError, FileResult
    from ..scan import FileScanner
    from ..walk import Item

    t0 = time.perf_counter()
    scanner = FileScanner(settings)
    results = []
    for s in srcs:
        target = settings.classifier.classify(s.display)
        target = replace(target, kind=s.kind,
                         reason=f"{s.reason}, checked by `twinscan env` as the {target.environment} environment")
        size = len(s.data) if s.data is not None else os.path.getsize(s.fs_path)
        try:
            res = scanner.scan_item(Item(s.display, s.fs_path, size, s.data), target)
        except Exception as exc:  # a bug costs this source, reported, never a traceback
            res = FileResult(s.display)
            res.errors.append(FileError(s.display, f"internal error ({type(exc).__name__}: {exc}); please report it", True))
        if s.kind == "image" and not res.errors:
            problem = _json_problem(s)
            if problem:
                res.errors.append(FileError(s.display, problem, target.production))
        res.findings.sort(key=lambda f: (f.line, f.column, f.rule))
        results.append(res)
    return results, time.perf_counter() - t0


def _json_problem(s: Source) -> str | None:
    """Why a JSON source holds no environment to check (the scan parses it only when it has hits)."""
    from ..extract.image import config_values, is_image_config
    from ..extract.values import ExtractError
    from ..reader import IsArchive, Limits, NotText, Opened, ReadError

    try:
        data = Opened(s.fs_path, Limits(), data=s.data).text() or b""
    except (IsArchive, NotText, ReadError):
        return None  # archives and unreadable files are reported by the scan itself
    try:
        config_values(data, s.display)
    except ExtractError as exc:
        return f"cannot parse as image config JSON: {exc}"
    if not is_image_config(data):
        return "not a docker inspect or image config JSON (no `Config.Env`): nothing to check"
    return None


def settings_for(cfg, twin_urls: Sequence[str], environment: str | None):
    """Scanner settings for `twinscan env`: the config's rules and services, one forced environment."""
    from ..classify import Classifier
    from ..rulepack import build_ruleset, load_builtin_rules
    from ..scan import Settings
    from ..services import ServiceIndex, load_services

    classifier = Classifier.from_globs({}, environment=environment or cfg.environment or "production",
                                       production_environments=cfg.production_environments)
    service_rule = next((r for r in load_builtin_rules() if r.check == "services"), None)
    return Settings(rules=build_ruleset([*cfg.twin_urls, *twin_urls]), classifier=classifier, engine="re",
                    services=ServiceIndex(load_services(cfg.services).values()), service_rule=service_rule)


def report(results: list, seconds: float, cfg, verbose: bool = False, quiet: bool = False):
    from ..report import Report

    return Report(
        findings=[f for r in results for f in r.findings], errors=[e for r in results for e in r.errors],
        skipped=[s for r in results for s in r.skipped], files_scanned=sum(1 for r in results if r.scanned),
        bytes_scanned=sum(r.bytes_scanned for r in results), seconds=seconds, engine="re",
        config_path=cfg.path, verbose=verbose, quiet=quiet,
    )
