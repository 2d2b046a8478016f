"""`.env` files through the whole scan: python-dotenv semantics, defaults, comments, CRLF."""
from __future__ import annotations

from twinscan.extract.dotenv import values

from .conftest import cli, cli_json

PROD = (
    "# Production settings: twins must stay unset here.\n"
    "# VITE_STRIPE_BASE_URL=http://localhost:4111   (old local value, commented out)\n"
    "export VITE_POSTHOG_HOST='https://us.i.posthog.com'\n"
    'VITE_STRIPE_BASE_URL="${STRIPE_URL:-http://localhost:4111}/v1"\n'
    "LOGO_API=https://api.wondertwin.dev/twins/logo # set by the demo script\n"
    'MULTI="first line\nsecond http://127.0.0.1:4112 line"\n'
)


def test_values_follow_python_dotenv():
    data = PROD.encode()
    got = [(v.key, v.context, data[v.start:v.end].decode()) for v in values(data, ".env.production")]
    assert got == [
        ("VITE_POSTHOG_HOST", "value", "https://us.i.posthog.com"),
        ("VITE_STRIPE_BASE_URL", "value", "${STRIPE_URL:-http://localhost:4111}/v1"),
        ("VITE_STRIPE_BASE_URL", "default", "http://localhost:4111"),
        ("LOGO_API", "value", "https://api.wondertwin.dev/twins/logo"),
        ("MULTI", "value", "first line\nsecond http://127.0.0.1:4112 line"),
    ]


def test_single_quotes_turn_interpolation_off():
    data = b"A='${B:-http://localhost:4111}'\n"
    assert [v.context for v in values(data, ".env")] == ["value"]


def test_production_env_file_blocks_on_defaults_and_values_not_comments(tmp_path):
    (tmp_path / ".env.production").write_text(PROD)
    code, doc = cli_json([tmp_path])
    got = [(f["line"], f["key"], f["context"], f["blocking"]) for f in doc["findings"]]
    assert code == 1
    assert got == [
        (2, "VITE_STRIPE_BASE_URL", "comment", False),  # the commented-out key is still named
        (4, "VITE_STRIPE_BASE_URL", "default", True),
        (5, "LOGO_API", "value", True),
        (7, "MULTI", "value", True),
    ]


def test_crlf_and_development_files(tmp_path):
    (tmp_path / ".env.development").write_bytes(b"A=1\r\nVITE_STRIPE_BASE_URL=http://localhost:4111\r\n")
    code, doc = cli_json([tmp_path])
    f = doc["findings"][0]
    assert code == 0 and (f["line"], f["column"], f["key"], f["url"]) == (2, 22, "VITE_STRIPE_BASE_URL", "http://localhost:4111")
    assert f["reason"].startswith("not a production target (development)")


def test_environments_config_overrides_file_names(tmp_path):
    (tmp_path / ".git").mkdir()
    (tmp_path / "deploy" / "prod").mkdir(parents=True)
    (tmp_path / "deploy" / "prod" / ".env.staging").write_text("A=http://localhost:4111\n")
    (tmp_path / "twinscan.yaml").write_text("environments:\n  'deploy/prod/**': production\n")
    code, doc = cli_json(["deploy"], cwd=tmp_path)
    assert code == 1 and "config `environments`" in doc["findings"][0]["reason"]
    (tmp_path / "twinscan.yaml").write_text("environments: [deploy]\n")
    r = cli(["deploy"], cwd=tmp_path)
    assert r.exit_code == 2 and "`environments` must map path globs" in r.output
