"""The JSON contract of README "JSON output (version 1)": a real report validates against the
shipped schema; the schema accepts fields added within version 1 (it forbids no additional
property) while still refusing a missing or mistyped field; and every field the code emits
today is documented in the schema (checked against a strict copy that forbids the rest)."""
from __future__ import annotations

import copy
import json
import shutil
from pathlib import Path

import jsonschema
import pytest

from .conftest import run_process

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = json.loads((ROOT / "twinscan" / "report" / "schema-v1.json").read_text(encoding="utf-8"))
BUILDS = ROOT / "fixtures" / "builds"


def _strict(schema: dict) -> dict:
    """The schema with `additionalProperties: false` on every object that lists its properties."""
    strict = copy.deepcopy(schema)

    def walk(node):
        if isinstance(node, dict):
            if "properties" in node:
                node["additionalProperties"] = False
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(strict)
    return strict


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> tuple[int, dict]:
    """A real run through the CLI process: twin builds (findings with origins from source maps),
    an unreadable production file (errors), a binary file (skipped) and an env file."""
    root = tmp_path_factory.mktemp("contract")
    shutil.copytree(BUILDS / "vite8-twin-local", root / "dist")
    shutil.copytree(BUILDS / "webpack5-twin-hosted", root / "admin")
    (root / "dist" / "assets" / "broken.js.gz").write_bytes(b"\x1f\x8b\x08\x00truncated")
    (root / "dist" / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(64))
    (root / ".env.production").write_text("VITE_API_URL=http://localhost:4111\n")
    p = run_process(["--format", "json", "dist", "admin", ".env.production"], cwd=root)
    assert p.stderr.decode().count("Traceback") == 0
    return p.returncode, json.loads(p.stdout)


def test_a_real_report_validates_and_documents_every_field_it_has(report):
    code, doc = report
    jsonschema.validate(doc, SCHEMA)
    jsonschema.validate(doc, _strict(SCHEMA))  # nothing emitted that the schema does not document
    assert doc["findings"] and doc["errors"] and doc["skipped"]
    assert any(f.get("origin") for f in doc["findings"]), "the twin builds carry source-map origins"


def test_what_the_readme_says_consumers_may_rely_on(report):
    code, doc = report
    assert doc["version"] == 1
    assert doc["summary"]["exit_code"] == code == 1  # blocking findings (they outrank the unreadable file)
    assert doc["summary"]["incomplete"] is True
    assert doc["summary"]["blocking"] == sum(f["blocking"] for f in doc["findings"]) > 0
    assert doc["summary"]["reported"] == len(doc["findings"])


def test_fields_added_within_version_1_are_accepted_everywhere(report):
    _, doc = report
    grown = copy.deepcopy(doc)
    grown["groups"] = [{"name": "web"}]
    grown["tool"]["engines"] = ["re"]
    grown["summary"]["fetched"] = 0
    grown["errors"][0]["kind"] = "truncated"
    grown["skipped"][0]["size"] = 72
    for finding in grown["findings"]:
        finding["role"] = "base-url"
        if finding.get("origin"):
            finding["origin"]["symbol"] = "createClient"
    jsonschema.validate(grown, SCHEMA)
    # the strict copy is what makes the first test mean something: it does refuse them
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(grown, _strict(SCHEMA))


@pytest.mark.parametrize("break_it", [
    lambda d: d.pop("summary"),
    lambda d: d["findings"][0].pop("fingerprint"),
    lambda d: d["findings"][0].update(line="1"),
    lambda d: d.update(version=2),
    lambda d: d["summary"].update(exit_code=2),
], ids=["no-summary", "no-fingerprint", "line-as-string", "version-2", "exit-code-2"])
def test_the_open_schema_still_refuses_a_missing_or_mistyped_field(report, break_it):
    _, doc = report
    broken = copy.deepcopy(doc)
    break_it(broken)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, SCHEMA)


def test_the_schema_forbids_no_additional_property():
    """README: new fields may appear in any object; a schema that forbids them anywhere breaks that."""
    def walk(node, where):
        if isinstance(node, dict):
            assert node.get("additionalProperties", True) is not False, where
            for key, value in node.items():
                walk(value, f"{where}/{key}")
        elif isinstance(node, list):
            for i, value in enumerate(node):
                walk(value, f"{where}/{i}")

    walk(SCHEMA, "#")
