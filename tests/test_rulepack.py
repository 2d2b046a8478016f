"""Rules are data in the regex subset Hyperscan, RE2 and re agree on; anything else is refused."""
from __future__ import annotations

import re
import shutil

import pytest

from twinscan import rulepack
from twinscan.rulepack import RuleError, check_pattern, load_builtin_rules

from .conftest import cli


@pytest.mark.parametrize("pattern,what", [
    ("localhost(?=:4111)", "look-ahead"),
    ("(?<!my)localhost", "look-behind"),
    ("(a)\\1", "back-reference"),
    ("(?P<host>localhost)", "named group"),
    ("(?i:localhost)", "inline flag"),
    ("\\blocalhost", "anchor other than $"),
    ("^localhost", "^ anchor"),
    ("local.*?host", "lazy quantifier"),
    ("(a+)+b", "nests unbounded repetition"),
    ("(?:x{1,5})*y", "nests unbounded repetition"),
    ("LocalHost", "lower case"),
    ("local(host", "invalid regular expression"),
])
def test_constructs_outside_the_common_subset_are_refused(pattern, what):
    with pytest.raises(RuleError, match=re.escape(what)) as err:
        check_pattern(pattern, "rules/x.yaml: rule my-rule")
    assert "rule my-rule" in str(err.value)


@pytest.mark.parametrize("pattern", ["[^a-z0-9_.-]", "(?:[a-z0-9-]+\\.)*localhost", "127(?:\\.[0-9]{1,10}){1,3}", "a|b$"])
def test_the_subset_rules_use_is_accepted(pattern):
    check_pattern(pattern, "x")


def test_every_builtin_rule_has_text_keywords_and_examples():
    for rule in load_builtin_rules():
        assert rule.what and rule.why and rule.fix and rule.title
        assert rule.examples.get("match") and rule.examples.get("no_match"), rule.id
        if rule.pattern:
            assert rule.keywords and all(
                any(k in m.lower() for k in rule.keywords) for m in rule.examples["match"]), rule.id


def test_a_broken_rule_pack_is_a_usage_error_naming_the_file(tmp_path, monkeypatch):
    rules = tmp_path / "rules"
    shutil.copytree(rulepack.rules_dir(), rules)
    (rules / "zz-bad.yaml").write_text(
        "id: bad-rule\ntitle: t\nseverity: error\nwhat: w\nwhy: y\nfix: f\nkeywords: [x]\npattern: '(?<=x)y'\n")
    monkeypatch.setattr("twinscan.shipped.rules_dir", lambda: str(rules))
    rulepack._load_builtin_rules.cache_clear()
    try:
        r = cli([tmp_path])
    finally:
        rulepack._load_builtin_rules.cache_clear()
    assert r.exit_code == 2
    assert "rules/zz-bad.yaml: rule bad-rule: pattern uses look-behind" in r.output
