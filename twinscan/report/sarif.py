"""SARIF 2.1.0 for GitHub code scanning and other SARIF consumers.

``level``: ``error`` for a blocking finding, ``warning`` for a non-blocking one in a production
target (a URL in a comment, …), ``note`` for everything else (``.env.development``, staging).
Suppressed findings are included with ``suppressions`` so consumers close or dismiss them.
"""
from __future__ import annotations

from typing import Iterator

from .. import __version__
from ..model import Finding
from . import Report
from .locations import artifact_uri, root, source_path
from .present import placeholder_source, shown_key
from .ruledocs import REPOSITORY, rule_doc_url

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
#: The rebuild-stable fingerprint (rule, URL, path without content hashes): shared by every place
#: the same URL is in one file. Kept unchanged so alerts already in code scanning are not churned.
FINGERPRINT_KEY = "twinscan/v1"
#: One value per result: :data:`FINGERPRINT_KEY` plus the key, the context and which repeat it is,
#: so code scanning does not merge distinct places into one alert.
RESULT_FINGERPRINT_KEY = "twinscan/result/v1"


def level(f: Finding) -> str:
    if f.blocking:
        return "error"
    return "warning" if f.production else "note"


def _location(path: str) -> dict:
    uri, relative = artifact_uri(path)
    loc = {"uri": uri}
    if relative:
        loc["uriBaseId"] = "%SRCROOT%"
    return loc


def _rule_descriptor(rule) -> dict:
    text = {"what": rule.what.strip(), "why": rule.why.strip(), "fix": rule.fix.strip()}
    return {
        "id": rule.id,
        "name": "".join(part.capitalize() for part in rule.id.split("-")),
        "shortDescription": {"text": rule.title},
        "fullDescription": {"text": text["what"]},
        "help": {
            "text": f"{text['what']}\n\nWhy is this bad? {text['why']}\n\nHow to fix: {text['fix']}",
            "markdown": f"{text['what']}\n\n**Why is this bad?** {text['why']}\n\n**How to fix:** {text['fix']}",
        },
        "helpUri": rule_doc_url(rule.id),
        "defaultConfiguration": {"level": rule.severity},
        "properties": {"precision": rule.confidence, "tags": ["security", "configuration"]},
    }


def _rules(findings: list[Finding]) -> list[dict]:
    from ..rulepack import load_builtin_rules

    out, seen = [], set()
    for rule in load_builtin_rules():
        if rule.id not in seen:
            seen.add(rule.id)
            out.append(_rule_descriptor(rule))
    for f in findings:  # a rule this run had that is not built in
        if f.rule not in seen:
            seen.add(f.rule)
            out.append({"id": f.rule, "shortDescription": {"text": f.title or f.rule},
                        "defaultConfiguration": {"level": f.severity if f.severity in ("error", "warning", "note") else "error"}})
    return out


def _region(line: int, column: int, end_column: int | None = None) -> dict:
    start = max(1, column)
    region = {"startLine": max(1, line), "startColumn": start}
    if end_column is not None:
        region["endColumn"] = max(end_column, start + 1)
    return region


def _message(f: Finding) -> str:
    key = shown_key(f.key)
    where = f"in {f.environment}" + (f" (key {key})" if key else "")
    verdict = "blocking" if f.blocking else "reported, not blocking"
    return f"{f.title or f.rule}: {f.url} {where}, {verdict}. {f.reason}"


def result_fingerprints(findings: list[Finding]) -> list[str]:
    """One fingerprint per finding, stable across rebuilds as long as the order of places is:
    the nth place with the same (fingerprint, key, context) gets n in its hash."""
    return list(_result_fingerprints(findings))


def _result_fingerprints(findings) -> Iterator[str]:
    import hashlib

    seen: dict[tuple, int] = {}
    for f in findings:
        k = (f.fingerprint, f.key or "", f.context)
        n = seen.get(k, 0)
        seen[k] = n + 1
        yield hashlib.sha256("\0".join((*k, str(n))).encode("utf-8")).hexdigest()[:32]


def _result(f: Finding, index: dict[str, int], unique: str, raw: dict[str, str], seen: dict | None = None) -> dict:
    """One result; ``seen`` holds the artifact locations already made (a file's many results
    share one, made once: the path is resolved against the repository root only once)."""
    path = raw.get(f.path, f.path)
    if seen is None:
        where = _location(path)
    else:
        where = seen.get(path)
        if where is None:
            where = seen[path] = _location(path)
    res = {
        "ruleId": f.rule,
        "ruleIndex": index[f.rule],
        "level": level(f),
        "message": {"text": _message(f)},
        "locations": [{"physicalLocation": {
            "artifactLocation": where,
            "region": {**_region(f.line, f.column, f.end_column), "snippet": {"text": f.match}},
        }}],
        "partialFingerprints": {FINGERPRINT_KEY: f.fingerprint, RESULT_FINGERPRINT_KEY: unique},
        "properties": {
            "url": f.url, "host": f.host, "port": f.port, "key": f.key, "context": f.context,
            "environment": f.environment, "production": f.production, "blocking": f.blocking,
            "confidence": f.confidence, "encoding": f.encoding,
        },
    }
    if f.origin is not None and not placeholder_source(f.origin.path):
        o = f.origin
        res["relatedLocations"] = [{
            "id": 1,
            "message": {"text": "original source"},
            "physicalLocation": {
                "artifactLocation": _location(source_path(o.path, o.map, f.path)),
                "region": _region(o.line, o.column),
            },
            "properties": {"sourceMap": o.map, "source": o.path, "library": o.library},
        }]
    if f.suppression is not None:
        s = f.suppression
        res["suppressions"] = [{
            "kind": "external", "status": "accepted", "justification": s.reason,
            "properties": {"type": s.kind, "source": s.source, "expires": s.expires},
        }]
    return res


def _cwd_uri() -> str:
    import os
    from urllib.parse import quote

    cwd = root().replace(os.sep, "/")
    return "file://" + quote(cwd if cwd.startswith("/") else "/" + cwd, safe="/").rstrip("/") + "/"


def document(report: Report, stream: bool = False) -> dict:
    """The SARIF log; with ``stream``, its results are :class:`~.jsonstream.Items`, made one at a
    time as :func:`chunks` writes them."""
    everything = [*report.findings, *report.suppressed]
    raw = report.extra.get("raw_paths", {})
    unique = _result_fingerprints(everything)
    rules = _rules(everything)
    index = {r["id"]: i for i, r in enumerate(rules)}
    notifications = [{
        "level": "error" if e.production else "warning",
        "message": {"text": f"{e.path}: {e.message}"},
        "locations": [{"physicalLocation": {"artifactLocation": _location(raw.get(e.path, e.path))}}],
        "properties": {"production": e.production},
    } for e in report.errors]
    invocation = {
        "executionSuccessful": not report.incomplete,
        "exitCode": report.exit_code,
        "toolExecutionNotifications": notifications,
        "toolConfigurationNotifications": [{"level": "warning", "message": {"text": n}} for n in report.notes],
    }
    return {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "twinscan",
                "version": __version__,
                "semanticVersion": __version__,
                "informationUri": REPOSITORY,
                "rules": rules,
            }},
            "invocations": [invocation],
            "originalUriBaseIds": {"%SRCROOT%": {"uri": _cwd_uri(),
                                                 "description": {"text": "the repository root: $GITHUB_WORKSPACE, $CI_PROJECT_DIR or the git top level (else the working directory)"}}},  # noqa: E501
            "columnKind": "unicodeCodePoints",
            "results": _results(everything, unique, index, raw, stream),
            "properties": {
                "engine": report.engine,
                "blocking": sum(1 for f in report.findings if f.blocking),
                "reported": len(report.findings),
                "suppressed": len(report.suppressed),
                "errors": len(report.errors),
                "files": report.files_scanned,
                "bytes": report.bytes_scanned,
            },
        }],
    }


def _results(everything, unique, index, raw, stream: bool):
    seen: dict[str, dict] = {}
    results = (_result(f, index, u, raw, seen) for f, u in zip(everything, unique))
    if not stream:
        return list(results)
    from .jsonstream import Items

    return Items(results)


def chunks(report: Report, color: bool = False) -> Iterator[str]:
    """The SARIF text in pieces, one result at a time (memory flat in the number of findings)."""
    from .jsonstream import chunks as json_chunks

    yield from json_chunks(document(report, stream=True))
    yield "\n"


def render(report: Report, color: bool = False) -> str:
    return "".join(chunks(report, color))
