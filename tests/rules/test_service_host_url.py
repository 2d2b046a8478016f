"""service-host-url: vendor keys in production must name the vendor's hosts."""
from __future__ import annotations

from ..conftest import cli, cli_json


def test_schemeless_twin_value_is_found_with_position_and_reason(tmp_path):
    (tmp_path / ".env").write_text("A=1\nexport POSTHOG_HOST=localhost:4111\n")
    code, doc = cli_json([tmp_path])
    f = doc["findings"][0]
    assert code == 1
    assert (f["line"], f["column"], f["key"], f["host"], f["port"], f["url"]) == (2, 21, "POSTHOG_HOST", "localhost", 4111, "//localhost:4111")
    assert "`POSTHOG_HOST` configures posthog" in f["reason"] and "*.posthog.com" in f["reason"]


def test_a_twin_url_is_reported_once_by_its_twin_rule(tmp_path):
    (tmp_path / ".env.production").write_text("VITE_STRIPE_BASE_URL=http://localhost:4111\n")
    assert [f["rule"] for f in cli_json([tmp_path])[1]["findings"]] == ["loopback-url"]


def test_staging_and_unset_values_are_quiet(tmp_path):
    (tmp_path / ".env.staging").write_text("VITE_STRIPE_BASE_URL=https://stripe-twin.staging.example.net\n")
    (tmp_path / ".env.production").write_text("VITE_STRIPE_BASE_URL=\nSTRIPE_API_BASE=${STRIPE_API_BASE}\n")
    code, doc = cli_json([tmp_path])
    assert (code, doc["findings"]) == (0, [])


def test_config_adds_hosts_and_services(tmp_path):
    (tmp_path / ".git").mkdir()
    (tmp_path / ".env.production").write_text(
        "VITE_STRIPE_BASE_URL=https://stripe-proxy.yourco.com\nBILLING_API=https://billing-twin.yourco.dev\n")
    (tmp_path / "twinscan.yaml").write_text(
        "services:\n"
        "  stripe: {hosts: [stripe-proxy.yourco.com]}\n"
        "  billing: {keys: [BILLING_API], hosts: [billing.yourco.com]}\n")
    code, doc = cli_json(["."], cwd=tmp_path)
    assert code == 1 and [(f["key"], f["host"]) for f in doc["findings"]] == [("BILLING_API", "billing-twin.yourco.dev")]
    (tmp_path / "twinscan.yaml").write_text("services:\n  stripe: {hosts: ['https://api.stripe.com']}\n")
    r = cli(["."], cwd=tmp_path)
    assert r.exit_code == 2 and "is not a host or `*.domain` glob" in r.output


def test_credentials_in_values_are_redacted(tmp_path):
    (tmp_path / ".env").write_text("SENTRY_DSN=https://abc123secret@o1.ingest.example.net/5\n")
    f = cli_json([tmp_path])[1]["findings"][0]
    assert "abc123secret" not in f["match"] + f["snippet"] + f["url"]
