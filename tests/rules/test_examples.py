"""Every rule's own `examples:` (rules/*.yaml), through the CLI, in the carriers real artifacts use.

One parametrized test for all rules: a rule added to rules/ is covered the moment it has
examples, and a rule without both kinds of example fails here. Each rule's specific
behaviour stays in its own tests/rules/test_<rule>.py.
"""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from twinscan.rulepack import DATA_FILES, load_builtin_rules

from ..conftest import ENGINES, ROOT, cli_json

RULE_FILES = sorted(p for p in (ROOT / "rules").glob("*.yaml") if p.name not in DATA_FILES)
RULES = {p.stem: yaml.safe_load(p.read_text()) for p in RULE_FILES}

#: How real artifacts carry a value: file name -> text with `{key}` and `{value}`. Rules that
#: judge the value of a key (`check: services`) are tried in the carriers that have keys.
KEYED = {
    ".env.production": "{key}={value}\n",
    "Dockerfile": "FROM nginx:1.27\nENV {key}={value}\n",
    "compose.yaml": "services:\n  web:\n    image: web:1\n    environment:\n      {key}: {value}\n",
    "k8s/deploy.yaml": (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: web, namespace: production}}\n"
        "spec:\n  template:\n    spec:\n      containers:\n        - name: web\n          image: web:1\n"
        "          env:\n            - name: {key}\n              value: '{value}'\n"),
}
#: …and URL rules in bundles and pages too: Vite 8 template literal, esbuild string, webpack
#: JSON.parse blob, runtime env injection, an HTML attribute.
CARRIERS = {
    **KEYED,
    "dist/assets/index.js": "const d=`{value}`,f=1;",
    "dist/assets/vendor.js": 'var O0="{value}";',
    "dist/assets/chunk.js": "JSON.parse('{{\"apiBase\":\"{value}\"}}')",
    "dist/env.js": 'window.__ENV__={{{key}:"{value}"}};',
    "dist/index.html": '<meta name="stripe" content="{value}">',
}


def _cases():
    for rule_id, data in RULES.items():
        for kind in ("match", "no_match"):
            if (data.get("examples") or {}).get(kind):
                yield pytest.param(rule_id, kind, id=f"{rule_id}-{kind}")


def test_every_rule_file_has_examples_that_match_and_examples_that_do_not():
    assert {p.stem for p in RULE_FILES} == {r.id for r in load_builtin_rules()}  # the glob sees every rule
    for rule_id, data in RULES.items():
        examples = data.get("examples") or {}
        assert examples.get("match") and examples.get("no_match"), f"rules/{rule_id}.yaml needs both kinds of example"


@pytest.mark.usefixtures("reuse_hyperscan_databases")
@pytest.mark.parametrize(("rule_id", "kind"), list(_cases()))
def test_examples(tmp_path: Path, rule_id: str, kind: str):
    """Each example in each carrier is one file of one scan; both engines give the same answer."""
    data = RULES[rule_id]
    examples = data["examples"]
    keyed = data.get("check") == "services"
    (tmp_path / ".git").mkdir()
    where: dict[str, tuple[str, str]] = {}
    for i, text in enumerate(examples[kind]):
        if keyed:
            key, _, value = text.partition("=")
        else:  # a quoted example shows the string it sits in; the carriers supply their own
            key, value = "VITE_STRIPE_BASE_URL", text.strip("\"'") if kind == "match" else text
        for name, template in (KEYED if keyed else CARRIERS).items():
            path = tmp_path / f"example-{i}" / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(template.format(key=key, value=value))
            where[path.relative_to(tmp_path).as_posix()] = (text, name)
    args = [a for spec in examples.get("twin_urls", ()) for a in ("--twin-url", spec)]
    docs = {}
    for engine in ENGINES:
        code, doc = cli_json(["--engine", engine, *args, "."], cwd=tmp_path)
        assert doc["errors"] == [], doc["errors"]
        hit = {f["path"] for f in doc["findings"] if f["rule"] == rule_id}
        wrong = [f"{text!r} in {name}" for path, (text, name) in sorted(where.items())
                 if (path in hit) != (kind == "match")]
        assert not wrong, f"{rule_id} should {'' if kind == 'match' else 'not '}find: " + "; ".join(wrong)
        doc["summary"].pop("seconds")
        doc["tool"].pop("engine")
        docs[engine] = (code, doc)
    assert all(d == docs["re"] for d in docs.values())
