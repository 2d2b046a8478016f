"""SARIF 2.1.0 for GitHub code scanning and other SARIF consumers.

``level``: ``error`` for a blocking finding, ``warning`` for a non-blocking one in a production
target (a URL in a comment, …), ``note`` for everything else (``.env.development``, staging).
Suppressed findings are included with ``suppressions`` so consumers close or dismiss them.
"""
from __future__ import annotations

import json

from .. import __version__
from ..model import Finding
from . import Report
from .locations import artifact_uri, source_path

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
FINGERPRINT_KEY = "twinscan/v1"


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
    where = f"in {f.environment}" + (f" (key {f.key})" if f.key else "")
    verdict = "blocking" if f.blocking else "reported, not blocking"
    return f"{f.title or f.rule}: {f.url} {where}, {verdict}. {f.reason}"


def _result(f: Finding, index: dict[str, int]) -> dict:
    res = {
        "ruleId": f.rule,
        "ruleIndex": index[f.rule],
        "level": level(f),
        "message": {"text": _message(f)},
        "locations": [{"physicalLocation": {
            "artifactLocation": _location(f.path),
            "region": {**_region(f.line, f.column, f.end_column), "snippet": {"text": f.match}},
        }}],
        "partialFingerprints": {FINGERPRINT_KEY: f.fingerprint},
        "properties": {
            "url": f.url, "host": f.host, "port": f.port, "key": f.key, "context": f.context,
            "environment": f.environment, "production": f.production, "blocking": f.blocking,
            "confidence": f.confidence, "encoding": f.encoding,
        },
    }
    if f.origin is not None:
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

    cwd = os.getcwd().replace(os.sep, "/")
    return "file://" + quote(cwd if cwd.startswith("/") else "/" + cwd, safe="/").rstrip("/") + "/"


def document(report: Report) -> dict:
    everything = [*report.findings, *report.suppressed]
    rules = _rules(everything)
    index = {r["id"]: i for i, r in enumerate(rules)}
    notifications = [{
        "level": "error" if e.production else "warning",
        "message": {"text": f"{e.path}: {e.message}"},
        "locations": [{"physicalLocation": {"artifactLocation": _location(e.path)}}],
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
                "rules": rules,
            }},
            "invocations": [invocation],
            "originalUriBaseIds": {"%SRCROOT%": {"uri": _cwd_uri(),
                                                 "description": {"text": "the working directory twinscan ran in"}}},
            "columnKind": "unicodeCodePoints",
            "results": [_result(f, index) for f in everything],
            "properties": {
                "engine": report.engine,
                "blocking": len(report.blocking),
                "reported": len(report.findings),
                "suppressed": len(report.suppressed),
                "errors": len(report.errors),
                "files": report.files_scanned,
                "bytes": report.bytes_scanned,
            },
        }],
    }


def render(report: Report, color: bool = False) -> str:
    return json.dumps(document(report), indent=2, ensure_ascii=False) + "\n"
