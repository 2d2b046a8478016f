"""--format sarif|github|gitlab|junit|markdown and --report FORMAT=FILE, through the real CLI."""
from __future__ import annotations

import dataclasses
import gzip
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pytest

from twinscan.model import Origin, Suppression
from twinscan.report import Report, render
from twinscan.report.github import escape_data, escape_property
from twinscan.report.markdown import escape
from twinscan.rulepack import load_builtin_rules

from .conftest import ROOT, cli, cli_json
from .helpers import tar_bytes

BUILDS = ROOT / "fixtures" / "builds"
TWIN_LOCAL = BUILDS / "vite8-twin-local"
CLEAN = BUILDS / "vite8-unset"
SARIF_SCHEMA = json.loads((Path(__file__).parent / "data" / "sarif-schema-2.1.0.json").read_text())
NEW_FORMATS = ["sarif", "github", "gitlab", "junit", "markdown"]
# RFC 3986 URI-reference as twinscan writes it: unreserved characters, %XX and '/' only,
# or an absolute file:/// URI of the same.
RELATIVE_URI = re.compile(r"(?:[A-Za-z0-9\-._~/]|%[0-9A-F]{2})+")
FILE_URI = re.compile(r"file:///(?:[A-Za-z0-9\-._~/]|%[0-9A-F]{2})+")


def sarif(args, cwd=None) -> tuple[int, dict]:
    r = cli(["--format", "sarif", *args], cwd=cwd)
    doc = json.loads(r.output)
    jsonschema.Draft4Validator(SARIF_SCHEMA).validate(doc)
    return r.exit_code, doc


def uris(doc: dict) -> list[dict]:
    """Every artifactLocation in a SARIF document."""
    found = []

    def walk(node):
        if isinstance(node, dict):
            if "artifactLocation" in node:
                found.append(node["artifactLocation"])
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(doc)
    return found


def check_uris(doc: dict) -> None:
    for loc in uris(doc):
        if "uriBaseId" in loc:
            assert loc["uriBaseId"] == "%SRCROOT%" and RELATIVE_URI.fullmatch(loc["uri"]), loc
        else:
            assert FILE_URI.fullmatch(loc["uri"]), loc


def incomplete_tree(tmp_path: Path) -> Path:
    """An image tarball with a production .env, and a truncated gzip bundle."""
    (tmp_path / "dist").mkdir()
    (tmp_path / "web image.tar").write_bytes(tar_bytes([
        ("app/.env", b"VITE_STRIPE_BASE_URL=http://localhost:4111\n"),
        ("app/assets/index.js", b'const a="https://api.wondertwin.dev/twins/stripe";fetch(a)\n'),
    ]))
    data = gzip.compress(b"console.log('hello');\n" * 2000)
    (tmp_path / "dist" / "app.js.gz").write_bytes(data[: len(data) // 2])
    return tmp_path


# --- SARIF -----------------------------------------------------------------------------------

def test_sarif_blocking_run_validates_with_rules_levels_and_fingerprints():
    code, doc = sarif([TWIN_LOCAL.relative_to(ROOT)], cwd=ROOT)
    _, plain = cli_json([TWIN_LOCAL.relative_to(ROOT)], cwd=ROOT)
    assert code == 1 == plain["summary"]["exit_code"]
    run = doc["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    ids = [r["id"] for r in rules]
    assert sorted(ids) == sorted({r.id for r in load_builtin_rules()}) and len(ids) == len(set(ids))
    loop = rules[ids.index("loopback-url")]
    assert loop["fullDescription"]["text"] and "How to fix" in loop["help"]["text"]
    results = run["results"]
    assert len(results) == len(plain["findings"]) >= 4
    for res, f in zip(results, plain["findings"]):
        assert res["level"] == ("error" if f["blocking"] else "warning")  # all in a production target
        assert res["ruleId"] == f["rule"] and ids[res["ruleIndex"]] == f["rule"]
        assert res["partialFingerprints"]["twinscan/v1"] == f["fingerprint"]
        loc = res["locations"][0]["physicalLocation"]
        assert loc["artifactLocation"] == {"uri": f["path"], "uriBaseId": "%SRCROOT%"}
        region = loc["region"]
        assert (region["startLine"], region["startColumn"], region["endColumn"]) == (f["line"], f["column"], f["end_column"])
        assert region["endColumn"] > region["startColumn"] >= 1
    assert run["invocations"][0]["executionSuccessful"] is True
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == Path(ROOT).as_uri() + "/"
    check_uris(doc)


def test_sarif_clean_run():
    code, doc = sarif([CLEAN])
    run = doc["runs"][0]
    assert code == 0 and run["results"] == [] and run["invocations"][0]["executionSuccessful"] is True
    assert run["invocations"][0]["toolExecutionNotifications"] == []


def test_sarif_archive_paths_errors_and_absolute_paths(tmp_path):
    tree = incomplete_tree(tmp_path)
    # relative to the working directory
    code, doc = sarif(["web image.tar", "dist"], cwd=tree)
    run = doc["runs"][0]
    assert code == 1  # blocking wins over incomplete
    got = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in run["results"]}
    assert got == {"web%20image.tar%21/app/.env", "web%20image.tar%21/app/assets/index.js"}
    inv = run["invocations"][0]
    assert inv["executionSuccessful"] is False
    [note] = inv["toolExecutionNotifications"]
    assert note["level"] == "error" and "truncated" in note["message"]["text"]
    assert note["locations"][0]["physicalLocation"]["artifactLocation"] == {"uri": "dist/app.js.gz", "uriBaseId": "%SRCROOT%"}
    check_uris(doc)
    # absolute path inside the working directory: still relative
    _, inside = sarif([tree / "web image.tar"], cwd=tree)
    assert {loc["uri"] for loc in uris(inside)} == got
    # outside the working directory: an absolute file:// URI without uriBaseId
    _, outside = sarif([tree / "web image.tar"], cwd=ROOT)
    locs = uris(outside)
    assert locs and all("uriBaseId" not in loc for loc in locs)
    assert (tree / "web image.tar").as_uri() + "%21/app/.env" in {loc["uri"] for loc in locs}
    check_uris(outside)


def test_sarif_incomplete_only_exits_3(tmp_path):
    tree = incomplete_tree(tmp_path)
    code, doc = sarif(["dist"], cwd=tree)
    assert code == 3 and doc["runs"][0]["invocations"][0]["executionSuccessful"] is False
    assert doc["runs"][0]["invocations"][0]["exitCode"] == 3


def test_sarif_org_twin_url_rule_and_non_blocking_levels(tmp_path):
    (tmp_path / ".env.development").write_text("VITE_API=https://twins.acme.yourco.com/stripe\n")
    (tmp_path / "app.js").write_text('// see http://localhost:4111 for the twin\nfetch("/api")\n')
    code, doc = sarif(["--twin-url", "twins.*.yourco.com", tmp_path], cwd=tmp_path)
    run = doc["runs"][0]
    ids = [r["id"] for r in run["tool"]["driver"]["rules"]]
    assert ids.count("org-twin-url") == 1
    levels = {r["ruleId"]: r["level"] for r in run["results"]}
    assert code == 0
    assert levels == {"org-twin-url": "note", "loopback-url": "warning"}  # non-production; production comment


def _real_findings():
    _, doc = cli_json([TWIN_LOCAL])
    return doc


def _report_with_origin_and_suppression() -> Report:
    """A run's real findings, one with a source-map origin and one suppressed by config."""
    from twinscan.model import Finding

    doc = _real_findings()
    keys = {f.name for f in dataclasses.fields(Finding)}
    findings = [Finding(**{k: v for k, v in f.items() if k in keys and k not in ("origin", "suppression")})
                for f in doc["findings"]]
    [source_map] = (TWIN_LOCAL / "assets").glob("*.js.map")
    first = dataclasses.replace(findings[0], origin=Origin("../../src/main.js", 3, 18, str(source_map)))
    hidden = dataclasses.replace(findings[1], blocking=False,
                                 suppression=Suppression("config", "local twin only in e2e | `ok`", "twinscan.yaml", "2099-01-01"))
    return Report(findings=[first, *findings[2:]], errors=[], skipped=[], files_scanned=3, bytes_scanned=6214,
                  seconds=0.01, engine="re", suppressed=[hidden], show_suppressed=True,
                  notes=["ignore entry for http://localhost:9999 in twinscan.yaml matched nothing"])


def test_sarif_origin_suppression_and_notes(monkeypatch):
    monkeypatch.chdir(ROOT)
    doc = json.loads(render("sarif", _report_with_origin_and_suppression()))
    jsonschema.Draft4Validator(SARIF_SCHEMA).validate(doc)
    run = doc["runs"][0]
    first, *_, hidden = run["results"]
    [related] = first["relatedLocations"]
    assert related["message"]["text"] == "original source"
    assert related["physicalLocation"]["artifactLocation"] == {"uri": "fixtures/builds/src/main.js", "uriBaseId": "%SRCROOT%"}  # as the map resolves it  # noqa: E501
    assert related["physicalLocation"]["region"] == {"startLine": 3, "startColumn": 18}
    assert hidden["suppressions"] == [{"kind": "external", "status": "accepted", "justification": "local twin only in e2e | `ok`",
                                       "properties": {"type": "config", "source": "twinscan.yaml", "expires": "2099-01-01"}}]
    assert "suppressions" not in first
    assert run["invocations"][0]["toolConfigurationNotifications"][0]["message"]["text"].startswith("ignore entry")
    check_uris(doc)


# --- GitHub ----------------------------------------------------------------------------------

ANNOTATION = re.compile(r"^::(error|warning|notice)(?: ([^:]*))?::(.*)$")


def annotations(output: str) -> list[tuple[str, dict, str]]:
    out = []
    for line in output.splitlines():
        m = ANNOTATION.match(line)
        if m:
            props = dict(p.split("=", 1) for p in m.group(2).split(",")) if m.group(2) else {}
            out.append((m.group(1), props, m.group(3)))
    return out


def test_github_escaping_follows_the_workflow_command_rules():
    assert escape_data("50% of\r\nlines: a,b") == "50%25 of%0D%0Alines: a,b"
    assert escape_property("dist/a:b,c%.js\n") == "dist/a%3Ab%2Cc%25.js%0A"


def test_github_annotations_for_a_blocking_run():
    r = cli(["--format", "github", TWIN_LOCAL.relative_to(ROOT)], cwd=ROOT)
    _, doc = cli_json([TWIN_LOCAL.relative_to(ROOT)], cwd=ROOT)
    found = annotations(r.output)
    findings = doc["findings"]
    blocking = [f for f in findings if f["blocking"]]
    assert r.exit_code == 1 and len(found) == len(findings) <= 10
    # blocking first, then the production findings that do not block
    assert [k for k, _, _ in found] == ["error"] * len(blocking) + ["warning"] * (len(findings) - len(blocking))
    kind, props, message = found[0]
    f = blocking[0]
    assert props["file"] == f["path"] and props["title"] == "twinscan loopback-url%3A Loopback URL"
    assert (props["line"], props["col"], props["endColumn"]) == tuple(str(f[k]) for k in ("line", "column", "end_column"))
    # a minifier's one-letter name is not a key worth showing (JSON keeps it)
    assert f["key"] == "n" and message.startswith(f"{f['url']} in production: blocking. production target")
    assert r.output.splitlines()[-1].startswith(f"twinscan: {len(blocking)} blocking · {len(findings) - len(blocking)} not blocking")
    assert r.output.count("twinscan fix loopback-url: Build production with the twin variables unset") == 1


def test_github_caps_annotations_blocking_first_and_says_where_the_rest_are(tmp_path):
    (tmp_path / ".env.development").write_text("VITE_STRIPE_BASE_URL=http://localhost:4111\n")
    twins = sorted(BUILDS.glob("*-twin-*"))
    r = cli(["--format", "github", tmp_path / ".env.development", *twins])
    _, doc = cli_json([tmp_path / ".env.development", *twins])
    found = annotations(r.output)
    total = len(doc["findings"])
    assert r.exit_code == 1 and total > 11
    assert [k for k, _, _ in found[:10]] == ["error"] * 10
    kind, props, message = found[10]
    assert len(found) == 11 and kind == "notice" and message.startswith(f"{total - 10} more twinscan results not annotated")
    rest = [line for line in r.output.splitlines() if line.startswith("- ")]
    assert len(rest) == total - 10 and rest[-1].endswith("not blocking loopback-url http://localhost:4111 (development)")


def test_github_archive_member_and_unreadable_file(tmp_path):
    tree = incomplete_tree(tmp_path)
    r = cli(["--format", "github", "web image.tar", "dist"], cwd=tree)
    found = annotations(r.output)
    assert r.exit_code == 1
    files = [(k, p["file"], "line" in p) for k, p, _ in found]
    assert ("error", "web image.tar", False) in files  # annotated on the tarball
    assert ("error", "dist/app.js.gz", False) in files
    err = next(m for k, p, m in found if p["file"] == "dist/app.js.gz")
    assert err == "dist/app.js.gz: gzip data is truncated"
    assert any(m.startswith("web image.tar!/app/.env:1:22: http://localhost:4111") for _, _, m in found)


# --- Markdown --------------------------------------------------------------------------------

def _cells(row: str) -> list[str]:
    """Split a GFM table row on unescaped pipes."""
    return [c.strip() for c in re.split(r"(?<!\\)\|", row)[1:-1]]


def test_markdown_table_has_every_finding_and_survives_hostile_names(tmp_path):
    (tmp_path / "dist").mkdir()
    name = "we|ird`<b>name<b>.js"
    (tmp_path / "dist" / name).write_text('fetch("http://localhost:4111/x");\n' * 3)
    (tmp_path / "dist" / "app.js").write_text('const s = "https://api.wondertwin.dev/twins/posthog";\n')
    r = cli(["--format", "markdown", "dist"], cwd=tmp_path)
    _, doc = cli_json(["dist"], cwd=tmp_path)
    rows = [line for line in r.output.splitlines() if line.startswith("| ") and "---" not in line][1:]
    assert r.exit_code == 1 and len(rows) == len(doc["findings"]) == 4
    for row in rows:
        assert len(_cells(row)) == 6 and "<b>" not in row
    weird = [_cells(row) for row in rows if "ird" in row]
    assert weird[0][2] == "dist/we\\|ird\\`&lt;b&gt;name&lt;b&gt;.js:1:8" and weird[0][0] == "**blocking**"
    assert "**blocking: 2 twin URLs in 4 places** in production" in r.output
    assert r.output.count("`loopback-url`: Build production with the twin variables unset") == 1


def test_markdown_errors_notes_and_suppressed_details(monkeypatch):
    monkeypatch.chdir(ROOT)
    report = _report_with_origin_and_suppression()
    out = render("markdown", report)
    assert "<details>" in out and "<summary>1 suppressed finding</summary>" in out
    details = out[out.index("<details>"):]
    [row] = [line for line in details.splitlines() if line.startswith("| suppressed")]
    assert _cells(row)[0] == "suppressed (config: local twin only in e2e \\| \\`ok\\`)"
    assert "### Notes" in out and "matched nothing" in out
    assert "from ../../src/main.js:3:18" in out.replace("\\.", ".")
    report.show_suppressed = False
    assert "<details>" not in render("markdown", report) and "1 suppressed" in render("markdown", report)


def test_markdown_escape():
    assert escape("a|b\nc`d*e_<x>") == "a\\|b<br>c\\`d\\*e\\_&lt;x&gt;"


# --- GitLab ----------------------------------------------------------------------------------

def test_gitlab_code_quality(tmp_path):
    tree = incomplete_tree(tmp_path)
    (tree / "dist" / "twice.js").write_text('a="http://localhost:4111";b="http://localhost:4111"\n')
    (tree / ".env.staging").write_text("API=http://localhost:4111\n")
    r = cli(["--format", "gitlab", "dist", "web image.tar", ".env.staging"], cwd=tree)
    issues = json.loads(r.output)
    assert r.exit_code == 1
    for i in issues:
        assert {"description", "check_name", "fingerprint", "severity", "location"} <= set(i)
        assert i["severity"] in ("blocker", "critical", "major", "minor", "info")
        assert isinstance(i["location"]["path"], str) and i["location"]["lines"]["begin"] >= 1
    assert len({i["fingerprint"] for i in issues}) == len(issues)  # the same URL twice in twice.js
    by_path = {}
    for i in issues:
        by_path.setdefault(i["location"]["path"], []).append(i["severity"])
    assert by_path["dist/twice.js"] == ["blocker", "blocker"]
    assert by_path["dist/app.js.gz"] == ["critical"]
    assert by_path[".env.staging"] == ["minor"]
    assert sorted(by_path["web image.tar"]) == ["blocker", "blocker"]


# --- JUnit -----------------------------------------------------------------------------------

def test_junit_blocking_errors_and_control_characters(tmp_path):
    tree = incomplete_tree(tmp_path)
    (tree / "dist" / "bad\x01name.js").write_text('x="http://localhost:4112";\n')
    (tree / "dist" / "comment.js").write_text("// http://localhost:4111 is the twin\n")
    r = cli(["--format", "junit", "dist"], cwd=tree)
    root = ET.fromstring(r.output.encode())  # valid XML 1.0 despite the control character
    assert r.exit_code == 1
    suite = root.find("testsuite")
    cases = {c.get("name"): c for c in suite.findall("testcase")}
    assert set(cases) == {"dist/app.js.gz", "dist/bad\\u0001name.js", "dist/comment.js"}
    assert cases["dist/bad\\u0001name.js"].find("failure").get("message") == "1 twin URL in production: http://localhost:4112"
    assert cases["dist/app.js.gz"].find("error").text == "gzip data is truncated"
    passing = cases["dist/comment.js"]
    assert passing.find("failure") is None and "not blocking loopback-url" in passing.find("system-out").text
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors")) == ("3", "1", "1")


def test_junit_clean_run_is_one_passing_case():
    r = cli(["--format", "junit", CLEAN])
    root = ET.fromstring(r.output.encode())
    [case] = root.iter("testcase")
    assert r.exit_code == 0 and case.get("name") == "twinscan" and len(case) == 1  # system-out only
    assert root.get("failures") == "0" and root.get("errors") == "0"


# --- exit codes and --report -----------------------------------------------------------------

@pytest.mark.parametrize("fmt", NEW_FORMATS)
def test_exit_codes_are_the_same_in_every_format(tmp_path, fmt):
    tree = incomplete_tree(tmp_path)
    assert cli(["--format", fmt, CLEAN]).exit_code == 0
    assert cli(["--format", fmt, TWIN_LOCAL]).exit_code == 1
    assert cli(["--format", fmt, "dist"], cwd=tree).exit_code == 3


def test_report_writes_more_formats_from_one_run(tmp_path, monkeypatch):
    summary = tmp_path / "step_summary.md"
    summary.write_text("earlier step output\n")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    r = cli(["--format", "github", "--report", f"sarif={tmp_path / 'out.sarif'}", "--report", f"markdown={summary}",
             "--report", f"junit={tmp_path / 'junit.xml'}", TWIN_LOCAL.relative_to(ROOT)], cwd=ROOT)
    _, plain = cli_json([TWIN_LOCAL.relative_to(ROOT)], cwd=ROOT)
    assert r.exit_code == 1 and len(annotations(r.output)) == len(plain["findings"])
    doc = json.loads((tmp_path / "out.sarif").read_text())
    jsonschema.Draft4Validator(SARIF_SCHEMA).validate(doc)
    assert len(doc["runs"][0]["results"]) == len(plain["findings"])
    text = summary.read_text()
    assert text.startswith("earlier step output\n## twinscan")  # appended, as GitHub expects
    failing_files = {f["path"] for f in plain["findings"] if f["blocking"]}
    assert ET.parse(tmp_path / "junit.xml").getroot().get("failures") == str(len(failing_files)) == "2"  # bundle, index.html


def test_report_errors_are_usage_errors(tmp_path):
    r = cli(["--report", "pdf=x.pdf", CLEAN])
    assert r.exit_code == 2 and "sarif, github, gitlab, junit, markdown" in r.output
    r = cli(["--report", "sarif", CLEAN])
    assert r.exit_code == 2 and "expected FORMAT=FILE" in r.output
    r = cli(["--report", f"sarif={tmp_path / 'missing' / 'out.sarif'}", CLEAN])
    assert r.exit_code == 2 and "does not exist" in r.output
    (tmp_path / "taken").mkdir()
    r = cli(["--report", f"sarif={tmp_path / 'taken'}", TWIN_LOCAL])
    assert r.exit_code == 2 and f"--report sarif={tmp_path / 'taken'}: is a folder" in r.output


def suppressed_tree(tmp_path: Path) -> Path:
    (tmp_path / "dist" / "assets").mkdir(parents=True)
    (tmp_path / "dist" / "assets" / "index-abc.js").write_text('fetch("http://localhost:4111/a");fetch("http://localhost:4112/b")\n')
    (tmp_path / "twinscan.yaml").write_text(
        'ignore:\n'
        '  - url: "http://localhost:4112/*"\n    reason: "PostHog twin | behind a `dev` flag"\n'
        '  - url: "http://localhost:9999/*"\n    reason: "old spotlight"\n')
    return tmp_path


def test_suppressions_and_notes_from_config_in_every_format(tmp_path):
    tree = suppressed_tree(tmp_path)
    code, doc = sarif(["--show-suppressed", "dist"], cwd=tree)
    run = doc["runs"][0]
    assert code == 1 and [r.get("suppressions", [{}])[0].get("justification") for r in run["results"]] == \
        [None, "PostHog twin | behind a `dev` flag"]
    assert run["results"][1]["suppressions"][0]["kind"] == "external"
    [note] = run["invocations"][0]["toolConfigurationNotifications"]
    assert "matched nothing" in note["message"]["text"]

    gh = cli(["--format", "github", "--show-suppressed", "dist"], cwd=tree).output
    assert [(k, m.startswith("suppression #2")) for k, _, m in annotations(gh)] == [("error", False), ("warning", True)]
    assert "- dist/assets/index-abc.js:1:41: suppressed loopback-url http://localhost:4112/b (config: PostHog twin | behind a `dev` flag)" in gh

    md = cli(["--format", "markdown", "dist"], cwd=tree).output
    assert "### Notes" in md and "<details>" not in md and "1 suppressed" in md

    issues = json.loads(cli(["--format", "gitlab", "dist"], cwd=tree).output)
    assert [(i["check_name"], i["severity"]) for i in issues] == [("loopback-url", "blocker"), ("twinscan-note", "info")]
    assert issues[1]["location"]["path"] == "twinscan.yaml"

    suite = ET.fromstring(cli(["--format", "junit", "--show-suppressed", "dist"], cwd=tree).output.encode()).find("testsuite")
    assert "note: suppression #2" in suite.find("system-out").text
    [case] = suite.findall("testcase")
    assert "suppressed loopback-url http://localhost:4112/b" in case.find("system-out").text
