"""rules/deploy_commands.yaml: every entry's examples deploy where the table says, through the
parser (`twinscan.deploycommands`) and through the CLI as the only deploy of a CI job."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from twinscan import deploycommands
from twinscan.environments import normalise
from twinscan.rulepack import DATA_FILES

from .conftest import ROOT, cli_json

TABLE = yaml.safe_load((ROOT / "rules" / "deploy_commands.yaml").read_text())
COMMANDS = [(e["id"], ex) for e in TABLE["commands"] for ex in e["examples"]]
ACTIONS = [(e["id"], ex) for e in TABLE["actions"] for ex in e["examples"]]


def test_table_is_data_not_a_rule_and_every_entry_has_what_it_needs():
    assert "deploy_commands.yaml" in DATA_FILES
    for e in TABLE["commands"]:
        assert {"id", "command", "default", "examples"} <= set(e), e["id"]
        assert e["default"] is None or normalise(e["default"]) == e["default"], e["id"]
        assert set(e) <= {"id", "command", "options", "positional", "flags", "production_flags", "env_vars",
                          "default", "sets", "note", "examples"}, e["id"]
    for e in TABLE["actions"]:
        assert {"id", "default", "examples"} <= set(e), e["id"]
    assert len({e["id"] for e in TABLE["commands"]}) == len(TABLE["commands"])


@pytest.mark.parametrize("cid,example", COMMANDS, ids=[f"{c}: {e['run']}" for c, e in COMMANDS])
def test_command_examples(cid, example):
    found = deploycommands.find([(0, example["run"])])
    assert [d.id for d in found] == [cid]
    assert found[0].environment == example["environment"]


@pytest.mark.parametrize("aid,example", ACTIONS, ids=[f"{a}: {e['with']}" for a, e in ACTIONS])
def test_action_examples(aid, example):
    env, _explicit, _how, found = deploycommands.action(f"{aid}@v2", {k: str(v) for k, v in example["with"].items()})
    assert (found, env) == (aid, example["environment"])


@pytest.mark.parametrize("line", [
    "npm run build", "fly status", "vercel env pull .env.production.local", "kubectl get pods -n production",
    "helm lint ./chart", "terraform plan", "echo fly deploy", "pnpm deploy --filter=api out/",
])
def test_commands_that_do_not_deploy(line):
    assert deploycommands.find([(0, line)]) == []


def test_explicit_target_wins_and_production_wins_among_targets():
    (d,) = deploycommands.find([(0, "helm upgrade --install web ./chart -n staging -f values-production.yaml")])
    assert d.environment == "production" and d.explicit
    (d,) = deploycommands.find([(0, "fly deploy --app $FLY_APP")])  # a run-time name says nothing
    assert d.environment == "production" and not d.explicit


def test_continuation_lines_separators_and_settings_offsets():
    lines = [(0, "npm ci && gcloud run deploy api \\"), (40, "  --update-env-vars '^;^A=http://x;B=2' ; echo done")]
    (d,) = deploycommands.find(lines)
    text = {0: lines[0][1], 40: lines[1][1]}
    assert [(s.key, s.value) for s in d.settings] == [("A", "http://x"), ("B", "2")]
    a = d.settings[0]
    assert text[40][a.start - 40:a.end - 40] == "http://x"


@pytest.mark.parametrize("cid,example", [c for c in COMMANDS if c[1]["environment"] in ("production", "staging")],
                         ids=[f"{c}: {e['run']}" for c, e in COMMANDS if e["environment"] in ("production", "staging")])
def test_examples_through_the_cli(tmp_path: Path, cid, example):
    """Each example as the one deploy of a job without `environment:`: the job's twin blocks exactly
    when the example deploys to production."""
    (tmp_path / ".git").mkdir()
    wf = tmp_path / ".github" / "workflows" / "ship.yml"
    wf.parent.mkdir(parents=True)
    run = example["run"].replace("'", "''")
    wf.write_text(f"on: push\njobs:\n  ship:\n    runs-on: ubuntu-latest\n"
                  f"    env:\n      VITE_STRIPE_BASE_URL: http://localhost:4111\n"
                  f"    steps:\n      - run: '{run}'\n")
    code, doc = cli_json(["."], cwd=tmp_path)
    (f,) = [f for f in doc["findings"] if f["key"] == "VITE_STRIPE_BASE_URL"]
    assert f["environment"] == example["environment"] and f["blocking"] is (example["environment"] == "production")
    assert code == (1 if f["blocking"] else 0)
