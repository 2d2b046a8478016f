"""Suppressions (`ignore:` in config), baselines, --show-suppressed and --fail-on, on real builds."""
from __future__ import annotations

import dataclasses
import datetime
import json
import re
import shutil
from pathlib import Path

import jsonschema
import pytest

from twinscan import rulepack, suppress

from .conftest import ROOT, cli, cli_json
from .helpers import doc_page

SCHEMA = json.loads((ROOT / "twinscan" / "report" / "schema-v1.json").read_text())
VITE8 = ROOT / "fixtures" / "builds" / "vite8-twin-local"
WEBPACK5 = ROOT / "fixtures" / "builds" / "webpack5-twin-local"
#: the bundle's hashed name (fixtures/toolchains/build.sh regenerates it)
VITE_JS = next(p.name for p in (VITE8 / "assets").glob("index-*.js"))
SPOTLIGHT = 'var DEFAULT_SIDECAR_URL="http://localhost:8969/stream";function connect(e){return new EventSource(e||DEFAULT_SIDECAR_URL)}\n'


@pytest.fixture
def app(tmp_path: Path) -> Path:
    """An app repository with a real Vite 8 production build (made with the twin URLs set) in dist/."""
    (tmp_path / ".git").mkdir()
    shutil.copytree(VITE8, tmp_path / "dist")
    return tmp_path


def write_config(app: Path, text: str) -> Path:
    cfg = app / "twinscan.yaml"
    cfg.write_text(text)
    return cfg


def found(doc: dict, key: str = "findings") -> set[tuple[str, str]]:
    return {(f["path"], f["url"]) for f in doc[key]}


def count(doc: dict, url: str, key: str = "findings") -> int:
    return sum(f["url"] == url for f in doc[key])


def baseline_run(app: Path, *paths: str) -> dict:
    code, doc = cli_json(paths or ["dist"], cwd=app)
    assert code == 1
    return doc


def rebuild(app: Path, new_hash: str = "Xy12AbCd") -> Path:
    """What a rebuild does to the bundle: a new content hash in the name, every line shifted."""
    old = app / "dist" / "assets" / VITE_JS
    new = old.with_name(f"index-{new_hash}.js")
    new.write_text("\n" + old.read_text())
    old.unlink()
    return new


def test_real_build_blocks_without_suppressions(app):
    code, doc = cli_json(["dist"], cwd=app)
    assert code == 1
    assert found(doc) == {
        (f"dist/assets/{VITE_JS}", "http://localhost:4111"), (f"dist/assets/{VITE_JS}", "http://localhost:4112"),
        (f"dist/assets/{VITE_JS}.map", "http://localhost:4111"), ("dist/index.html", "http://localhost:4111"),
    }
    # a twin URL in a shipped map's sourcesContent is reported, never blocking
    assert all(f["blocking"] != f["path"].endswith(".map") for f in doc["findings"])
    assert doc["suppressed"] == [] and doc["notes"] == [] and doc["summary"]["suppressed"] == 0


def test_url_glob_and_path_glob_suppress_with_a_reason(app):
    n = len(baseline_run(app)["findings"])
    cfg = write_config(app, """\
ignore:
  - url: "http://localhost:4111/*"
    path: "dist/**"
    reason: "Stripe twin fallback; the production build sets VITE_STRIPE_BASE_URL (PAY-17)"
  - rule: loopback-url
    url: http://localhost:4112
    path: "dist/assets/index-*.js"
    reason: "PostHog twin fallback behind a dev-only branch"
    expires: 2999-12-31
""")
    code, doc = cli_json(["--show-suppressed", "dist"], cwd=app)
    jsonschema.validate(doc, SCHEMA)
    assert code == 0 and doc["summary"]["exit_code"] == 0
    assert doc["findings"] == [] and doc["summary"]["blocking"] == 0 and doc["summary"]["suppressed"] == n
    sup = {(f["path"], f["url"]): f["suppression"] for f in doc["suppressed"]}
    assert len(sup) == 4 and len(doc["suppressed"]) == n and all(not f["blocking"] for f in doc["suppressed"])
    assert sup[("dist/index.html", "http://localhost:4111")] == {
        "kind": "config", "reason": "Stripe twin fallback; the production build sets VITE_STRIPE_BASE_URL (PAY-17)",
        "source": str(cfg), "expires": None}
    assert sup[(f"dist/assets/{VITE_JS}", "http://localhost:4112")]["expires"] == "2999-12-31"
    assert doc["notes"] == []

    # without --show-suppressed they are only counted
    code, doc = cli_json(["dist"], cwd=app)
    assert code == 0 and doc["suppressed"] == [] and doc["summary"]["suppressed"] == n
    text = cli(["dist"], cwd=app).output
    assert f"0 blocking · 0 not blocking · {n} suppressed · 3 files" in text and "localhost" not in text
    text = cli(["--show-suppressed", "dist"], cwd=app).output
    assert f"suppressed ({n})" in text
    assert f"by config {cfg}: PostHog twin fallback behind a dev-only branch (expires 2999-12-31)" in text


def test_suppression_survives_a_rebuild_but_not_a_different_url(app):
    write_config(app, """\
ignore:
  - url: http://localhost:4111
    path: dist/assets/%s        # copied from a report: still matches after a rebuild
    reason: "Stripe twin fallback, never reached in production"
""" % VITE_JS)
    new = rebuild(app)
    code, doc = cli_json(["--show-suppressed", "dist"], cwd=app)
    assert code == 1
    rel = f"dist/assets/{new.name}"
    assert found(doc, "suppressed") == {(rel, "http://localhost:4111")}
    assert {f["line"] for f in doc["suppressed"]} == {2}  # the line moved; the suppression did not care
    assert (rel, "http://localhost:4112") in found(doc)  # same file, different URL: still blocking
    assert ("dist/index.html", "http://localhost:4111") in found(doc)  # same URL, other file: still blocking
    assert all(f["blocking"] for f in doc["findings"] if not f["path"].endswith(".map"))


def test_expired_entry_blocks_again_and_says_so(app):
    before = baseline_run(app)
    k = count(before, "http://localhost:4111")
    write_config(app, """\
ignore:
  - url: "http://localhost:4111/*"
    reason: "temporary while the Stripe twin is removed"
    expires: 2020-01-31
""")
    code, doc = cli_json(["dist"], cwd=app)
    assert code == 1 and doc["summary"]["suppressed"] == 0 and doc["findings"] == before["findings"]
    assert len(doc["notes"]) == 1
    note = doc["notes"][0]
    assert note.startswith('suppression #1 (reason "temporary while the Stripe twin is removed"')
    assert f"expired on 2020-01-31: the {k} findings it matches are active again" in note
    assert f"note: {note}" in cli(["dist"], cwd=app).output


def test_expiry_starts_on_the_date(app):
    from twinscan.config import load_file

    doc = baseline_run(app)
    cfg = write_config(app, 'ignore: [{url: "http://localhost:4111/*", reason: r, expires: "2027-03-01"}]\n')
    entries = load_file(str(cfg)).ignore
    findings = [_finding(f) for f in doc["findings"] if f["url"] == "http://localhost:4111"]
    before = suppress.apply(findings, entries, today=datetime.date(2027, 2, 28))
    on = suppress.apply(findings, entries, today=datetime.date(2027, 3, 1))
    k = len(findings)
    assert k >= 3
    assert (len(before.active), len(before.suppressed), before.notes) == (0, k, [])
    assert (len(on.active), len(on.suppressed)) == (k, 0) and "expired on 2027-03-01" in on.notes[0]


def _finding(d: dict):
    from twinscan.model import Finding

    fields = {f.name for f in dataclasses.fields(Finding)}
    return Finding(**{k: v for k, v in d.items() if k in fields and k not in ("origin", "suppression")})


@pytest.mark.parametrize("entries, message", [
    ('  - url: "http://localhost:4111/*"\n    reason: ok\n  - path: "dist/**"\n', "`ignore` entry #2: `reason` is required"),
    ('  - url: "http://localhost:4111/*"\n    reason: "  "\n', "`ignore` entry #1: `reason` is required"),
    ("  - reason: everything\n", "`ignore` entry #1: give at least one of `rule`, `url`, `path`"),
    ("  - rule: loopbak-url\n    reason: typo\n", "`ignore` entry #1: unknown rule `loopbak-url`"),
    ("  - url: http://localhost:4111\n    reason: r\n    line: 3\n", "`ignore` entry #1: unknown key `line`"),
    ("  - url: http://localhost:4111\n    reason: r\n    expires: next week\n", "`ignore` entry #1: `expires` must be a date"),
    ("  - url: http://localhost:4111\n    reason: r\n    expires: '2027-02-30'\n", "`ignore` entry #1: `expires` is not a valid date"),
    ("  - url: http://localhost:4111\n    reason: r\n    expires: 2027-02-30\n", "invalid YAML: day is out of range for month"),
    ("  - path: '!dist/**'\n    reason: r\n", "`ignore` entry #1: `path` cannot be a negated pattern"),
    ("  - http://localhost:4111\n", "`ignore` entry #1: must be a mapping"),
])
def test_invalid_entries_are_config_errors_naming_file_and_entry(app, entries, message):
    cfg = write_config(app, "ignore:\n" + entries)
    r = cli(["dist"], cwd=app)
    assert r.exit_code == 2
    assert f"{cfg}: {message}" in r.output
    assert "Traceback" not in r.output


def test_unused_entry_is_noted_and_changes_nothing_else(app):
    before = baseline_run(app)
    write_config(app, """\
ignore:
  - url: "http://localhost:8969/*"
    path: "**/spotlight*.js"
    reason: "Sentry Spotlight sidecar, dev only"
""")
    code, doc = cli_json(["dist"], cwd=app)
    assert code == 1 and doc["findings"] == before["findings"]
    assert doc["notes"] == ['suppression #1 (reason "Sentry Spotlight sidecar, dev only", '
                            f'{app / "twinscan.yaml"}) matched nothing in this run: remove it if what it hid is fixed '
                            "(or this run did not scan the files it names)"]
    # once the file it names is scanned, it is used and the note goes away
    (app / "dist" / "assets" / "spotlight-B2x9QmLp.js").write_text(SPOTLIGHT)
    code, doc = cli_json(["dist"], cwd=app)
    assert code == 1 and doc["notes"] == [] and doc["summary"]["suppressed"] == 1


def test_baseline_then_only_new_findings_block(app, monkeypatch):
    from twinscan.decide import logical_path

    shutil.copytree(WEBPACK5, app / "web")
    before = baseline_run(app, "dist", "web")
    n = len(before["findings"])
    distinct = len({(f["rule"], f["url"], logical_path(f["path"])) for f in before["findings"]})
    assert distinct < n  # the same URL twice in one bundle is one entry
    r = cli(["baseline", "dist", "web"], cwd=app)
    assert r.exit_code == 0, r.output
    assert f"wrote .twinscan-baseline.json: {distinct} entries for {n} findings" in r.output
    path = app / ".twinscan-baseline.json"
    raw = path.read_text()
    doc = json.loads(raw)
    assert doc["version"] == 1 and doc["tool"]["name"] == "twinscan"
    assert all(set(e) == {"fingerprint", "rule", "url", "path", "first_seen"} for e in doc["entries"])
    assert doc["entries"] == sorted(doc["entries"], key=lambda e: (e["path"], e["rule"], e["url"], e["fingerprint"]))
    assert {e["path"] for e in doc["entries"]} == {
        "dist/assets/index-[hash].js", "dist/assets/index-[hash].js.map", "dist/index.html",
        "web/main.[hash].js", "web/main.[hash].js.map"}
    assert '"line"' not in raw and '"column"' not in raw

    code, rep = cli_json(["--baseline", ".twinscan-baseline.json", "--show-suppressed", "dist", "web"], cwd=app)
    jsonschema.validate(rep, SCHEMA)
    assert code == 0 and rep["findings"] == [] and rep["summary"]["suppressed"] == n and rep["notes"] == []
    assert {f["suppression"]["kind"] for f in rep["suppressed"]} == {"baseline"}
    assert rep["suppressed"][0]["suppression"]["reason"].startswith("in the baseline since ")

    # a rebuild: new content hashes, lines shifted, run from elsewhere with absolute paths
    rebuild(app)
    web = next((app / "web").glob("main.*.js"))
    (app / "web" / "main.0badc0de.js").write_text("\n\n" + web.read_text())
    web.unlink()
    code, rep = cli_json(["--baseline", path, app / "dist", app / "web"], cwd=app.parent)
    assert code == 0 and rep["summary"]["suppressed"] == n, rep["findings"]

    # a new twin URL: only it blocks
    (app / "dist" / "assets" / "billing-Q3v8LmZa.js").write_text(
        'export const api="https://api.wondertwin.dev/twins/stripe/v1/charges";\n')
    code, rep = cli_json(["--baseline", ".twinscan-baseline.json", "dist", "web"], cwd=app)
    assert code == 1
    assert [(f["path"], f["rule"], f["url"]) for f in rep["findings"]] == [
        ("dist/assets/billing-Q3v8LmZa.js", "wondertwin-hosted-url", "https://api.wondertwin.dev/twins/stripe/v1/charges")]

    # regenerating later keeps first_seen: an unchanged build gives the same bytes
    (app / "dist" / "assets" / "billing-Q3v8LmZa.js").unlink()
    monkeypatch.setattr(suppress, "_today", lambda: datetime.date(2099, 1, 1))
    assert cli(["baseline", "dist", "web"], cwd=app).exit_code == 0
    assert path.read_text() == raw


def test_baseline_in_config_is_relative_to_the_config_file(app):
    n = len(baseline_run(app)["findings"])
    assert cli(["baseline", "dist", "-o", "ci/baseline.json"], cwd=app).exit_code == 2  # no such directory
    (app / "ci").mkdir()
    assert cli(["baseline", "dist", "-o", "ci/baseline.json"], cwd=app).exit_code == 0
    paths = {e["path"] for e in json.loads((app / "ci" / "baseline.json").read_text())["entries"]}
    assert "../dist/index.html" in paths  # relative to the baseline file, whatever the working directory
    write_config(app, "baseline: ci/baseline.json\n")
    code, doc = cli_json([app / "dist"], cwd=app / "ci")
    assert code == 0 and doc["summary"]["suppressed"] == n
    # a fixed finding leaves a stale entry, which is noted
    html = app / "dist" / "index.html"
    html.write_text(html.read_text().replace("http://localhost:4111", "https://api.stripe.com"))
    code, doc = cli_json(["dist"], cwd=app)
    assert code == 0 and [(f["path"], f["url"]) for f in doc["findings"]] == [] and doc["notes"] == [
        f"1 baseline entry in {app / 'ci' / 'baseline.json'} matched nothing in this run (fixed, or not scanned this time); "
        "regenerate it with `twinscan baseline`"]


@pytest.mark.parametrize("content, message", [
    (None, "baseline file not found (create it with `twinscan baseline -o"),
    ("{not json", "not a valid twinscan baseline: invalid JSON"),
    ('{"version": 2, "entries": []}', 'not a valid twinscan baseline: expected an object with "version": 1'),
    ('{"version": 1, "entries": [{"rule": "loopback-url"}]}', 'not a valid twinscan baseline: entry #1 has no "fingerprint"'),
])
def test_missing_or_invalid_baseline_is_exit_2(app, content, message):
    if content is not None:
        (app / "b.json").write_text(content)
    r = cli(["--baseline", "b.json", "dist"], cwd=app)
    assert r.exit_code == 2 and f"b.json: {message}" in r.output and "Traceback" not in r.output


def test_baseline_never_overwrites_another_file(app):
    pkg = app / "package.json"
    pkg.write_text('{"name": "app", "version": "1.0.0"}\n')
    r = cli(["baseline", "dist", "-o", "package.json"], cwd=app)
    assert r.exit_code == 2 and "refusing to overwrite" in r.output
    assert pkg.read_text() == '{"name": "app", "version": "1.0.0"}\n'


def test_config_suppressions_apply_before_the_baseline_and_are_left_out_of_it(app):
    before = baseline_run(app)
    k, rest = count(before, "http://localhost:4112"), count(before, "http://localhost:4111")
    write_config(app, 'ignore: [{url: "http://localhost:4112/*", reason: "PostHog twin, dev branch only"}]\n')
    r = cli(["baseline", "dist"], cwd=app)
    assert r.exit_code == 0 and f"3 entries for {rest} findings; {k} hidden by `ignore:` entries left out" in r.output
    code, doc = cli_json(["--baseline", ".twinscan-baseline.json", "--show-suppressed", "dist"], cwd=app)
    assert code == 0
    kinds = {(f["url"], f["suppression"]["kind"]) for f in doc["suppressed"]}
    assert kinds == {("http://localhost:4111", "baseline"), ("http://localhost:4112", "config")}


@pytest.fixture
def warning_rules(monkeypatch):
    """The rule set with loopback-url lowered to severity warning (no built-in rule is one)."""
    real = rulepack.build_ruleset

    def build(twin_urls=()):
        return [dataclasses.replace(r, severity="warning") if r.id == "loopback-url" else r for r in real(twin_urls)]

    monkeypatch.setattr(rulepack, "build_ruleset", build)


def test_fail_on_warning_blocks_warning_rules_in_production_only(app, warning_rules):
    (app / ".env.development").write_text("VITE_STRIPE_BASE_URL=http://localhost:4111\n")
    code, doc = cli_json(["dist", ".env.development"], cwd=app)
    assert code == 0 and doc["summary"]["blocking"] == 0
    prod = [f for f in doc["findings"] if f["production"] and f["context"] != "source-map"]
    n = len(prod)
    assert n >= 3 and len(doc["findings"]) == n + 2 and all("rule severity warning is below --fail-on error" in f["reason"] for f in prod)

    for args, config in ((["--fail-on", "warning"], None), ([], "fail_on: warning\n")):
        if config:
            write_config(app, config)
        code, doc = cli_json([*args, "dist", ".env.development"], cwd=app)
        assert code == 1 and doc["summary"]["blocking"] == n
        by_path = {f["path"]: f for f in doc["findings"]}
        assert not by_path[".env.development"]["blocking"]  # not a production target: never blocks
        assert all("rule severity warning blocks with --fail-on warning" in f["reason"]
                   for f in doc["findings"] if f["blocking"])
    write_config(app, "fail_on: note\n")
    r = cli(["dist"], cwd=app)
    assert r.exit_code == 2 and "`fail_on` must be `error` or `warning`" in r.output


def test_fail_on_never_blocks_inert_contexts():
    from twinscan.decide import decide
    from twinscan.model import Target
    from twinscan.rulepack import load_builtin_rules

    loopback = next(r for r in load_builtin_rules() if r.id == "loopback-url")
    warning, note = dataclasses.replace(loopback, severity="warning"), dataclasses.replace(loopback, severity="note")
    prod = Target("javascript", "production", True, "named on the command line")
    staging = Target("javascript", "staging", False, "--environment staging")
    code = decide(prod, warning, "string", "warning")
    comment = decide(prod, warning, "comment", "warning")
    noted = decide(prod, note, "string", "warning")
    library = decide(prod, warning, "string", "warning", library="a known default")
    stage = decide(staging, warning, "string", "warning")
    assert [d.blocking for d in (code, comment, noted, library, stage)] == [True, False, False, False, False]
    assert code.reason == "production target (named on the command line); rule severity warning blocks with --fail-on warning"
    assert decide(prod, warning, "string").reason == ("production target (named on the command line); "
                                                       "rule severity warning is below --fail-on error")


def readme_example() -> str:
    section = doc_page("suppressions.md")
    return re.search(r"```yaml\n(.*?)```", section, re.S).group(1)


def test_readme_example_config_works_as_documented(app, monkeypatch):
    snippet = readme_example()
    assert "ignore:" in snippet and "reason:" in snippet
    write_config(app, snippet)
    (app / "dist" / "assets" / "spotlight-B2x9QmLp.js").write_text(SPOTLIGHT)
    monkeypatch.setattr(suppress, "_today", lambda: datetime.date(2027, 1, 15))
    code, doc = cli_json(["--show-suppressed", "dist"], cwd=app)
    jsonschema.validate(doc, SCHEMA)
    assert code == 1 and doc["notes"] == []
    assert found(doc, "suppressed") == {
        (f"dist/assets/{VITE_JS}", "http://localhost:4112"),
        ("dist/assets/spotlight-B2x9QmLp.js", "http://localhost:8969/stream")}
    assert found(doc) == {(f"dist/assets/{VITE_JS}", "http://localhost:4111"),
                          (f"dist/assets/{VITE_JS}.map", "http://localhost:4111"),
                          ("dist/index.html", "http://localhost:4111")}
    # after its expiry date the Spotlight entry stops suppressing, and the run says so
    monkeypatch.setattr(suppress, "_today", lambda: datetime.date(2027, 7, 1))
    code, doc = cli_json(["dist"], cwd=app)
    assert ("dist/assets/spotlight-B2x9QmLp.js", "http://localhost:8969/stream") in found(doc)
    assert "expired on 2027-06-30" in doc["notes"][0]
