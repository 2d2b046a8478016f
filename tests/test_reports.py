"""Reports a person acts on: grouped text, keys, redacted secrets, names that are not UTF-8,
control characters, colour, library evidence and what matched (issue 15)."""
from __future__ import annotations

import json
import os
import re
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.conftest import ROOT, cli, cli_json, run_process, scan_bytes

BUILDS = ROOT / "fixtures" / "builds"
NEXT = BUILDS / "next-turbopack-twin-local"
VITE = BUILDS / "vite8-twin-local"
SECRETS = ROOT / "tests" / "data" / "secrets"
FORMATS = ["text", "json", "sarif", "github", "gitlab", "junit", "markdown"]
PLACE = re.compile(r"^  (\S.*?):(\d+):(\d+)  ", re.MULTILINE)


def unmarkdown(text: str) -> str:
    """Markdown output with its escapes undone (``VITE\\_STRIPE`` -> ``VITE_STRIPE``)."""
    return re.sub(r"\\([\\`*_\[\]|~])", r"\1", text)


# -- grouped text ------------------------------------------------------------------------------

def test_text_groups_places_under_each_twin_url_with_one_why_and_one_fix():
    rel = NEXT.relative_to(ROOT)
    r = cli([rel], cwd=ROOT)
    _, doc = cli_json([rel], cwd=ROOT)
    findings = doc["findings"]
    urls = {f["url"] for f in findings}
    assert r.exit_code == 1 and len(findings) == 43 and len(urls) == 5
    out = r.output
    assert out.startswith("5 twin URLs in 43 places:\n")
    # each URL heads exactly one group; the places are ruff-shaped path:line:col lines
    heads = [line for line in out.splitlines() if line and not line.startswith(" ") and "  loopback-url  " in line]
    assert sorted(h.split("  ")[0] for h in heads) == sorted(urls)
    places = sorted((p, int(line), int(col)) for p, line, col in PLACE.findall(out))
    assert places == sorted((f["path"], f["line"], f["column"]) for f in findings)
    # every place of this build shares its group's reason: "why" once per group, not once per place
    assert out.count("  why: ") == len(urls)
    assert out.count("fix loopback-url: Build production with the twin variables unset") == 1
    assert out.rstrip().splitlines()[-1].startswith("43 blocking · 0 not blocking · 33 files · ")


def test_text_quiet_and_verbose():
    rel = VITE.relative_to(ROOT)
    quiet = cli(["-q", rel], cwd=ROOT).output
    assert quiet.startswith("2 twin URLs in 5 places:") and "source-map" not in quiet and "not blocking · " not in quiet.split("\n\n")[1]
    verbose = cli(["-v", rel], cwd=ROOT).output
    # -v adds the snippet under each place, the confidence, every key (minified ones too) and the engine
    assert "n=`http://localhost:4111`" in verbose and "confidence high" in verbose and "key n ·" in verbose
    assert "engine: " in verbose


def test_a_place_with_another_reason_gets_its_own_why():
    out = cli([VITE.relative_to(ROOT)], cwd=ROOT).output
    group = out.split("\n\n")[1]
    assert group.startswith("http://localhost:4111  loopback-url  BLOCKING in 3 of 4 places")
    whys = [line for line in group.splitlines() if line.startswith("  why: ")]
    assert len(whys) == 2 and "in a source map" in whys[1]
    assert re.search(r"index-BLjdwE-d\.js\.map:1:1882  not blocking · in source-map", group)


def test_readme_console_example_is_a_real_run():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    m = re.search(r"```console\n\$ twinscan (fixtures/builds/vite8-twin-local)\n(.*?)```\n", readme, re.DOTALL)
    assert m, "the README's console example is missing"
    live = cli([m.group(1)], cwd=ROOT).output
    assert re.sub(r"\d+\.\d\d s$", "0.01 s", live, flags=re.MULTILINE) == m.group(2)


def test_summary_words_and_plurals(tmp_path):
    (tmp_path / ".env.development").write_text("A=http://localhost:4111\n")
    r = cli([tmp_path / ".env.development"])
    assert r.output.splitlines()[-1].startswith("0 blocking · 1 not blocking · 1 file · ")
    assert "1 twin URL in 1 place:" in r.output
    _, doc = cli_json([tmp_path / ".env.development"])
    assert doc["summary"]["reported"] == 1  # JSON's field keeps its meaning: every finding


# -- keys ----------------------------------------------------------------------------------------

def test_minified_names_are_not_keys_but_names_are():
    rel = VITE.relative_to(ROOT)
    _, doc = cli_json([rel], cwd=ROOT)
    assert {f["key"] for f in doc["findings"]} >= {"n", "r", "VITE_STRIPE_BASE_URL", "stripe-base"}
    for fmt in ("text", "github", "markdown", "gitlab", "junit", "sarif"):
        out = cli(["--format", fmt, rel], cwd=ROOT).output
        out = unmarkdown(out) if fmt == "markdown" else out
        assert "key VITE_STRIPE_BASE_URL" in out and "stripe-base" in out, fmt
        assert not re.search(r"key (n|r)\b", out), fmt


# -- secrets in query strings ---------------------------------------------------------------------

SECRET_VALUES = ("sk_test_51HqTwinSecretKey", "phc_TwinTokenValue123", "abcdef0123456789")


@pytest.mark.parametrize("fmt", FORMATS)
def test_query_string_secrets_are_redacted_in_every_format(fmt):
    r = cli(["--format", fmt, "dist"], cwd=SECRETS)
    out = unmarkdown(r.output) if fmt == "markdown" else r.output
    assert r.exit_code == 1
    assert not any(v in out for v in SECRET_VALUES), fmt
    assert "api_key=***" in out and "token=***" in out and "X-Amz-Signature=***" in out
    assert "mode=live" in out and "X-Amz-Expires=60" in out  # other parameters stay


def test_redaction_keeps_fingerprints_baselines_and_ignore_entries(tmp_path):
    """`baseline-main.json` was written by the release before redaction (main at 5775f17);
    its fingerprints and URLs must keep matching."""
    baseline = json.loads((SECRETS / "baseline-main.json").read_text())
    _, doc = cli_json(["dist"], cwd=SECRETS)
    assert sorted(f["fingerprint"] for f in doc["findings"]) == sorted(e["fingerprint"] for e in baseline["entries"])
    sarif = json.loads(cli(["--format", "sarif", "dist"], cwd=SECRETS).output)
    old = sorted(r["partialFingerprints"]["twinscan/v1"] for r in sarif["runs"][0]["results"])
    assert old == sorted(e["fingerprint"] for e in baseline["entries"])
    code, doc = cli_json(["--baseline", "baseline-main.json", "dist"], cwd=SECRETS)
    assert code == 0 and doc["findings"] == [] and doc["summary"]["suppressed"] == 3
    # an `ignore:` entry written with the URL as it was shown before (secret and all) still matches
    shutil.copytree(SECRETS / "dist", tmp_path / "dist")
    (tmp_path / "twinscan.yaml").write_text(
        "ignore:\n  - url: 'http://localhost:4112/batch/?token=phc_TwinTokenValue123'\n    reason: tracked in WEB-1\n")
    code, doc = cli_json(["dist"], cwd=tmp_path)
    assert doc["summary"]["suppressed"] == 1 and len(doc["findings"]) == 2


# -- names that are not UTF-8, control characters -----------------------------------------------------

def _hostile_tree(tmp_path: Path) -> Path:
    assets = tmp_path / "dist" / "assets"
    assets.mkdir(parents=True)
    (assets / os.fsdecode(b"caf\xe9.js")).write_text('const a="http://localhost:4111";\n')
    return tmp_path


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_name_that_is_not_utf8_is_scanned_and_written_in_every_format(tmp_path, fmt):
    tree = _hostile_tree(tmp_path)
    p = run_process(["--format", fmt, "dist"], cwd=tree)
    assert p.returncode == 1, p.stderr  # blocking: the file was scanned, not lost (was 3)
    out = p.stdout.decode("utf-8")  # valid UTF-8 in every format
    assert "Traceback" not in p.stderr.decode("utf-8", "replace") and "internal error" not in out
    if fmt == "json":
        doc = json.loads(out)
        assert [f["path"] for f in doc["findings"]] == ["dist/assets/caf\\xe9.js"] and doc["errors"] == []
    elif fmt == "sarif":
        import jsonschema

        doc = json.loads(out)
        jsonschema.validate(doc, json.loads((ROOT / "tests" / "data" / "sarif-schema-2.1.0.json").read_text()))
        uri = doc["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        assert uri == "dist/assets/caf%E9.js"  # the name's own bytes, lossless
    elif fmt == "gitlab":
        assert json.loads(out)[0]["location"]["path"] == "dist/assets/caf\\xe9.js"
    elif fmt == "junit":
        assert ET.fromstring(out).find(".//testcase").get("file") == "dist/assets/caf\\xe9.js"
    else:
        assert "caf\\xe9.js" in (unmarkdown(out) if fmt == "markdown" else out)


def test_control_characters_in_names_and_snippets_are_escaped(tmp_path):
    dist = tmp_path / "dist"
    dist.mkdir()
    (dist / "x\n::warning::pwned.js").write_text('const a="http://localhost:4111";\n')
    (dist / "b.js").write_text('const b="http://localhost:4112";/*\x1b[2J\x1b]0;title\x07*/\n')
    for fmt in ("text", "github"):
        p = run_process(["--format", fmt, "-v", "dist"], cwd=tmp_path)
        out = p.stdout.decode()
        assert p.returncode == 1
        assert not any(line.startswith("::warning::pwned") for line in out.splitlines()), fmt
        assert "\x1b" not in out and "\x07" not in out, fmt
    text = run_process(["-v", "dist"], cwd=tmp_path).stdout.decode()
    assert "dist/x\\n::warning::pwned.js:1:10" in text


# -- colour ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("args, env, coloured", [
    (["--color", "always"], {}, True),
    (["--color", "always"], {"NO_COLOR": "1"}, True),
    (["--color", "never"], {"FORCE_COLOR": "1"}, False),
    (["--no-color"], {"FORCE_COLOR": "1"}, False),
    ([], {"FORCE_COLOR": "1"}, True),
    ([], {"FORCE_COLOR": "1", "NO_COLOR": "1"}, False),
    ([], {"FORCE_COLOR": "0"}, False),
    ([], {}, False),  # not a terminal
])
def test_color_option_and_environment(args, env, coloured):
    base = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR", "TERM")}
    p = run_process([*args, VITE], env={**base, **env})
    assert p.returncode == 1 and (b"\x1b[" in p.stdout) == coloured


def test_term_dumb_and_terminal_rules():
    from twinscan.report.text import use_color

    assert use_color("auto", True, {}) and not use_color("auto", True, {"TERM": "dumb"})
    assert use_color("auto", False, {"FORCE_COLOR": "true", "TERM": "dumb"})
    assert not use_color("auto", True, {"NO_COLOR": "1"})


# -- library evidence, source-map placeholders, what matched ---------------------------------------------

def test_library_default_names_the_entry_that_matched_not_a_library():
    # React Router's createBrowserURLImpl: its own code, not axios / Next.js / sockjs-client
    code = b'function createBrowserURLImpl(to,isAbsolute=false){let base="http://localhost";' \
           b'if(typeof window!=="undefined"){base=window.location.origin!=="null"?window.location.origin:window.location.href}}'
    f = scan_bytes(code, "dist/assets/react-router.js").findings[0]
    assert not f.blocking
    assert "`bare-localhost-base`" in f.reason and "known default of axios" not in f.reason
    assert "an idiom of axios, Next.js, sockjs-client" in f.reason


def test_a_placeholder_source_is_not_posed_as_a_file(tmp_path):
    import base64

    dist = tmp_path / "dist"
    dist.mkdir()
    smap = {"version": 3, "sources": ["<anon>"], "names": [], "mappings": "AAAA,SAAS"}
    data = base64.b64encode(json.dumps(smap).encode()).decode()
    (dist / "index.js").write_text(f'const a="http://localhost:4111";\n//# sourceMappingURL=data:application/json;base64,{data}\n')
    _, doc = cli_json(["dist"], cwd=tmp_path)
    assert doc["findings"][0]["origin"]["path"] == "<anon>"
    text = cli(["dist"], cwd=tmp_path).output
    assert "no original file: the source map names the bundler placeholder <anon>" in text and "<anon>:1:1" not in text
    sarif = json.loads(cli(["--format", "sarif", "dist"], cwd=tmp_path).output)
    assert "relatedLocations" not in sarif["runs"][0]["results"][0]


def test_reason_names_the_twin_url_pattern_or_config_entry_and_the_hosted_service(tmp_path):
    dist = tmp_path / "dist"
    dist.mkdir()
    (dist / "a.js").write_text('const a="https://twins.staging.yourco.com/stripe/v1";'
                               'const b="https://api.wondertwin.dev/twins/posthog";\n')
    _, doc = cli_json(["--twin-url", "twins.*.yourco.com", "dist"], cwd=tmp_path)
    reasons = {f["rule"]: f["reason"] for f in doc["findings"]}
    assert reasons["org-twin-url"].endswith("matched --twin-url `twins.*.yourco.com`")
    assert reasons["wondertwin-hosted-url"].endswith("WonderTwin's hosted twin of posthog")
    (tmp_path / "twinscan.yaml").write_text("twin_urls: ['*.yourco.com']\n")
    _, doc = cli_json(["dist"], cwd=tmp_path)
    org = next(f for f in doc["findings"] if f["rule"] == "org-twin-url")
    assert "matched twin_urls in " in org["reason"] and "twinscan.yaml `*.yourco.com`" in org["reason"]


# -- in CI -------------------------------------------------------------------------------------------

def _frontend(tmp_path: Path) -> Path:
    dist = tmp_path / "repo" / "frontend" / "dist"
    dist.mkdir(parents=True)
    (dist / "app-3f9a1c2b.js").write_text('const a="http://localhost:4111";\n')
    return tmp_path / "repo"


def _ci_paths(cwd: Path) -> dict[str, str]:
    sarif = json.loads(cli(["--format", "sarif", "dist"], cwd=cwd).output)
    gitlab = json.loads(cli(["--format", "gitlab", "dist"], cwd=cwd).output)
    github = cli(["--format", "github", "dist"], cwd=cwd).output
    junit = ET.fromstring(cli(["--format", "junit", "dist"], cwd=cwd).output)
    return {
        "sarif": sarif["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "srcroot": sarif["runs"][0]["originalUriBaseIds"]["%SRCROOT%"]["uri"],
        "gitlab": gitlab[0]["location"]["path"],
        "github": re.search(r"file=([^,:]+)", github).group(1),
        "junit": junit.find(".//testcase").get("file"),
    }


@pytest.mark.parametrize("how", ["GITHUB_WORKSPACE", "CI_PROJECT_DIR", "git"])
def test_ci_paths_are_relative_to_the_repository_when_run_from_a_subfolder(tmp_path, monkeypatch, how):
    repo = _frontend(tmp_path)
    monkeypatch.delenv("GITHUB_WORKSPACE", raising=False)
    monkeypatch.delenv("CI_PROJECT_DIR", raising=False)
    if how == "git":
        (repo / ".git").mkdir()
    else:
        monkeypatch.setenv(how, str(repo))
    got = _ci_paths(repo / "frontend")
    want = "frontend/dist/app-3f9a1c2b.js"
    assert {k: v for k, v in got.items() if k != "srcroot"} == {"sarif": want, "gitlab": want, "github": want, "junit": want}
    assert got["srcroot"] == repo.resolve().as_uri() + "/"
    # the JSON report keeps the path as named (its documented contract)
    _, doc = cli_json(["dist"], cwd=repo / "frontend")
    assert doc["findings"][0]["path"] == "dist/app-3f9a1c2b.js"


def test_a_workspace_that_does_not_hold_the_working_directory_is_ignored(tmp_path, monkeypatch):
    repo = _frontend(tmp_path)
    monkeypatch.setenv("GITHUB_WORKSPACE", str(tmp_path / "elsewhere"))
    monkeypatch.delenv("CI_PROJECT_DIR", raising=False)
    assert _ci_paths(repo / "frontend")["sarif"] == "dist/app-3f9a1c2b.js"


def test_sarif_has_one_fingerprint_per_result_under_a_new_key_and_rule_pages():
    import jsonschema

    r = cli(["--format", "sarif", NEXT.relative_to(ROOT)], cwd=ROOT)
    doc = json.loads(r.output)
    _, plain = cli_json([NEXT.relative_to(ROOT)], cwd=ROOT)
    jsonschema.validate(doc, json.loads((ROOT / "tests" / "data" / "sarif-schema-2.1.0.json").read_text()))
    run = doc["runs"][0]
    results = run["results"]
    old = [res["partialFingerprints"]["twinscan/v1"] for res in results]
    new = [res["partialFingerprints"]["twinscan/result/v1"] for res in results]
    assert old == [f["fingerprint"] for f in plain["findings"]]  # the old key keeps its meaning
    assert len(set(old)) < len(results) == len(set(new)) == 43  # the new one tells every place apart
    # stable: a second run gives the same values
    again = json.loads(cli(["--format", "sarif", NEXT.relative_to(ROOT)], cwd=ROOT).output)
    assert [res["partialFingerprints"]["twinscan/result/v1"] for res in again["runs"][0]["results"]] == new
    driver = run["tool"]["driver"]
    from twinscan.report.ruledocs import REPOSITORY

    assert driver["informationUri"] == REPOSITORY
    for rule in driver["rules"]:
        page = rule["helpUri"].split("/blob/main/", 1)
        assert page[0] == REPOSITORY and (ROOT / page[1]).is_file() and page[1] == f"docs/rules/{rule['id']}.md"


def test_rule_pages_are_current():
    """docs/rules/ is generated from rules/*.yaml: regenerate with `python -m twinscan.report.ruledocs`."""
    from twinscan.report import ruledocs
    from twinscan.rulepack import load_builtin_rules

    assert ruledocs.stale(str(ROOT / "docs" / "rules")) == []
    for rule in load_builtin_rules():
        text = (ROOT / "docs" / "rules" / f"{rule.id}.md").read_text(encoding="utf-8")
        assert text.startswith(f"# `{rule.id}`: {rule.title}") and " ".join(rule.fix.split()) in text


def test_rule_page_check_fails_when_stale(tmp_path):
    from twinscan.report import ruledocs

    ruledocs.write(str(tmp_path))
    assert ruledocs.stale(str(tmp_path)) == []
    (tmp_path / "loopback-url.md").write_text("old\n")
    (tmp_path / "gone-rule.md").write_text("old\n")
    assert ruledocs.stale(str(tmp_path)) == ["loopback-url.md", "gone-rule.md"]


def test_step_summary_puts_blocking_rows_first_and_stays_well_under_a_mebibyte(tmp_path):
    dist = tmp_path / "dist"
    dist.mkdir()
    # 4,000 places that do not block (comments), then 500 that do
    (dist / "a.js").write_text("".join(f"// see http://localhost:4111/docs/{i}\n" for i in range(4000)))
    (dist / "b.js").write_text("".join(f'fetch("http://localhost:4111/v1/{i}");\n' for i in range(500)))
    r = cli(["--format", "markdown", "dist"], cwd=tmp_path)
    out = r.output
    rows = [line for line in out.splitlines() if line.startswith("| ") and "---" not in line][1:]
    assert r.exit_code == 1 and len(out.encode()) < 300 * 1024
    assert [row.startswith("| **blocking** ") for row in rows[:501]] == [True] * 500 + [False]
    left = 4500 - len(rows)
    assert left > 0 and f"**{left} more findings not shown** (0 blocking)" in out


def test_junit_test_names_survive_a_rebuild(tmp_path):
    for build, name in (("one", "index-BLjdwE-d.js"), ("two", "index-Xy12AbCd.js")):
        (tmp_path / build / "assets").mkdir(parents=True)
        (tmp_path / build / "assets" / name).write_text('const a="http://localhost:4111";\n')
    names = []
    for build in ("one", "two"):
        suite = ET.fromstring(cli(["--format", "junit", "assets"], cwd=tmp_path / build).output)
        case = suite.find(".//testcase")
        names.append(case.get("name"))
        assert case.get("file").startswith("assets/index-") and "[hash]" not in case.get("file")
    assert names == ["assets/index-[hash].js"] * 2


def test_a_baseline_holds_no_secret_and_any_file_name(tmp_path):
    shutil.copytree(SECRETS / "dist", tmp_path / "dist")
    (tmp_path / "dist" / os.fsdecode(b"caf\xe9.js")).write_text('const a="http://localhost:4115";\n')
    p = run_process(["baseline", "dist", "-o", "b.json"], cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    text = (tmp_path / "b.json").read_bytes().decode("utf-8")
    assert not any(v in text for v in SECRET_VALUES) and "token=***" in text and "caf\\\\xe9.js" in text
    p = run_process(["--format", "json", "--baseline", "b.json", "dist"], cwd=tmp_path)
    doc = json.loads(p.stdout)
    assert p.returncode == 0 and doc["findings"] == [] and doc["summary"]["suppressed"] == 4


@pytest.mark.parametrize("shown, redacted", [
    ("http://h:4111/v1?token=abc&mode=a", "http://h:4111/v1?token=***&mode=a"),
    ("http://h/x?mode=a&api_key=sk_1#frag", "http://h/x?mode=a&api_key=***#frag"),
    ("http://h/x?X-Amz-Credential=AK%2F1&X-Amz-Signature=ff&X-Amz-Expires=60",
     "http://h/x?X-Amz-Credential=***&X-Amz-Signature=***&X-Amz-Expires=60"),
    ('href="http://h/x?a=1&amp;password=hunter2"', 'href="http://h/x?a=1&amp;password=***"'),
    ('"http:\\u002F\\u002Fh\\u002Fx?a=1\\u0026secret=s3"', '"http:\\u002F\\u002Fh\\u002Fx?a=1\\u0026secret=***"'),
    ("http://h/x?key=k1&keyword=stays&monkey=stays&page=2", "http://h/x?key=***&keyword=stays&monkey=stays&page=2"),
    ("http://h/x?client_secret=c&access_token=t&sig=s&auth=u", "http://h/x?client_secret=***&access_token=***&sig=***&auth=***"),
])
def test_which_query_parameters_are_secrets(shown, redacted):
    from twinscan.report.present import redact_secrets

    assert redact_secrets(shown) == redacted
