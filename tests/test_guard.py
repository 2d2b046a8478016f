"""The runtime guard (twinscan.guard) agrees with the scanner, imports cheaply, and explains itself."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from twinscan import guard
from twinscan.rulepack import build_ruleset, load_builtin_rules
from twinscan.services import load_services

from .conftest import ROOT, cli_json
from .guard_table import ORG_TWIN_URLS, PLAIN_KEY, SERVICE_KEY, TABLE


def scanner_verdicts(tmp_path, key: str) -> list[set[str]]:
    """Blocking rule ids per table row, from a real scan of the URLs written into `.env.production`."""
    (tmp_path / "twinscan.yaml").write_text("twin_urls: []\n")
    env = tmp_path / ".env.production"
    env.write_text("".join(f"{key}={url}\n" for url, _ in TABLE))
    args = ["--config", tmp_path / "twinscan.yaml"]
    for spec in ORG_TWIN_URLS:
        args += ["--twin-url", spec]
    code, report = cli_json([*args, env])
    assert code in (0, 1), report
    assert not report["errors"]
    out: list[set[str]] = [set() for _ in TABLE]
    for f in report["findings"]:
        assert f["blocking"], f
        out[f["line"] - 1].add(f["rule"])
    return out


def guard_verdicts(key: str) -> list[set[str]]:
    return [{v.rule for v in guard.check_url(url, key=key, twin_urls=ORG_TWIN_URLS)} for url, _ in TABLE]


@pytest.mark.parametrize("key", [PLAIN_KEY, SERVICE_KEY])
def test_guard_rejects_exactly_what_the_scanner_blocks(tmp_path, key):
    scanner = scanner_verdicts(tmp_path, key)
    ours = guard_verdicts(key)
    diff = [(url, s, g) for (url, _), s, g in zip(TABLE, scanner, ours) if s != g]
    assert not diff, diff
    if key == PLAIN_KEY:  # and both say what the table says
        assert [next(iter(s), None) for s in ours] == [rule for _, rule in TABLE]
        assert all(len(s) <= 1 for s in ours)
    else:
        by_url = dict(zip((u for u, _ in TABLE), ours))
        assert by_url["https://api.stripe.com/v1"] == set()
        assert by_url["https://eu.i.posthog.com"] == {"service-host-url"}  # posthog is not stripe
        assert by_url["localhost:4111"] == {"service-host-url"}
        assert by_url["https://localhost.example.com/"] == {"service-host-url"}
        assert by_url["http://localhost:4111"] == {"loopback-url"}  # the twin rule reports, not both
        assert by_url[""] == set()


def test_compiled_rules_equal_what_the_yaml_compiles_to():
    with open(guard.COMPILED_RULES, encoding="utf-8") as f:
        shipped = json.load(f)
    assert shipped == guard.compile_rules(), "stale: regenerate with `python -m twinscan.guard`"
    assert guard.builtin_rules() == load_builtin_rules()
    assert guard.ruleset(ORG_TWIN_URLS) == build_ruleset(ORG_TWIN_URLS)
    assert guard.services() == load_services()


def test_check_services_names_the_service_and_the_rule():
    guard.check_services({"stripe": "https://api.stripe.com", "posthog": None, "logo.dev": ""})
    with pytest.raises(guard.TwinURLError) as exc:
        guard.check_services({"stripe": "http://localhost:4111", "posthog": "https://eu.i.posthog.com",
                              "sentry": "https://user:key@sentry-twin.internal.example/1"})
    err = exc.value
    assert [(v.service, v.rule) for v in err.violations] == [("stripe", "loopback-url"), ("sentry", "service-host-url")]
    text = str(err)
    assert "2 settings" in text
    assert "service stripe resolves to http://localhost:4111: a twin URL [rule loopback-url: Loopback URL]" in text
    assert "sentry's production hosts are *.ingest.sentry.io" in text
    assert "user:key" not in text  # credentials never reach the message
    assert "Fix: " in text


def test_assert_no_twins_on_settings_and_environ(monkeypatch):
    django_like = {"DEBUG": False, "STRIPE_API_BASE": "https://api.stripe.com",
                   "PAYMENTS": {"callbacks": ["https://example.com/hook", "https://api.wondertwin.dev/twins/stripe"]}}
    with pytest.raises(guard.TwinURLError) as exc:
        guard.assert_no_twins(django_like)
    (v,) = exc.value.violations
    assert (v.name, v.rule) == ("PAYMENTS.callbacks.1", "wondertwin-hosted-url")
    monkeypatch.setenv("NEXT_PUBLIC_POSTHOG_HOST", "http://0.0.0.0:4115")
    with pytest.raises(guard.TwinURLError, match=r"NEXT_PUBLIC_POSTHOG_HOST \(service posthog\) resolves to http://0.0.0.0:4115"):
        guard.assert_no_twins()
    monkeypatch.setenv("NEXT_PUBLIC_POSTHOG_HOST", "https://us.i.posthog.com")
    assert not [v for v in guard.find_twins(dict(__import__("os").environ)) if v.name == "NEXT_PUBLIC_POSTHOG_HOST"]


def test_config_and_service_config_extend_the_checks(tmp_path):
    cfg = tmp_path / "twinscan.yaml"
    cfg.write_text("twin_urls: ['sim.*.acme.io']\nservices:\n  billing: {keys: [BILLING_API_URL], hosts: [billing.acme.com]}\n")
    assert guard.check_url("https://sim.eu.acme.io/stripe") == []
    assert [v.rule for v in guard.check_url("https://sim.eu.acme.io/stripe", config=str(cfg))] == ["org-twin-url"]
    assert [v.rule for v in guard.check_url("https://billing-staging.acme.com", key="BILLING_API_URL", config=str(cfg))] == ["service-host-url"]
    assert guard.check_url("https://billing.acme.com/v2", key="BILLING_API_URL", config=str(cfg)) == []
    own = {"stripe": {"hosts": ["stripe-proxy.acme.com"]}}
    guard.check_services({"stripe": "https://stripe-proxy.acme.com"}, service_config=own)
    with pytest.raises(guard.TwinURLError):
        guard.check_services({"stripe": "https://stripe-proxy.acme.com"})
    with pytest.raises(ValueError, match="hosts"):
        guard.check_url("https://x", service_config={"stripe": {"hosts": "oops"}})
    with pytest.raises(TypeError, match="STRIPE_API_BASE"):
        guard.check_url(4111, key="STRIPE_API_BASE")


def test_import_is_cheap_and_pulls_in_no_heavy_dependency():
    code = (
        "import sys, time; t = time.perf_counter(); import twinscan.guard as g; t = time.perf_counter() - t\n"
        "heavy = ('yaml', 'click', 'tree_sitter', 'tree_sitter_javascript', 'hyperscan', 'dotenv', 'brotli', 'zstandard', 'pathspec')\n"
        "after_import = [m for m in heavy if m in sys.modules]\n"
        "g.check_services({'stripe': 'https://api.stripe.com'}); g.check_url('http://localhost:4111', twin_urls=['t.*.x.io'])\n"
        "print(__import__('json').dumps([t, after_import, [m for m in heavy if m in sys.modules],"
        " sorted(m for m in sys.modules if m.startswith('twinscan'))]))"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert r.returncode == 0, r.stderr
    seconds, after_import, after_check, ours = json.loads(r.stdout)
    assert after_import == [] and after_check == []
    assert ours == ["twinscan", "twinscan.engine", "twinscan.guard", "twinscan.rulepack", "twinscan.runtime",
                    "twinscan.runtime.guard", "twinscan.services", "twinscan.shipped", "twinscan.urls",
                    "twinscan.usercache"]
    assert seconds < 0.05  # a few ms on an idle machine; generous for loaded CI runners
