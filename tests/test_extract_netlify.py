"""Netlify `netlify.toml`: each deploy context's environment, and `[build.environment]` under Netlify's merge rule."""
from __future__ import annotations

import pytest

from twinscan.classify import artifact_kind
from twinscan.extract.netlify import values
from twinscan.extract.tomlspans import strings
from twinscan.extract.values import ExtractError

from .conftest import cli_json

# Written from Netlify's file-based configuration docs: a global [build], a production context
# with an inline environment table, a deploy-preview and a branch-deploy context, branch contexts
# (one quoted, with a slash), the dev context and the template block of a Deploy to Netlify button.
NETLIFY = """\
# Settings in [build] are global and apply to every context unless a context overrides them.
[build]
  base = "site/"
  publish = "dist/"
  command = "npm run build"

[build.environment]
  NODE_VERSION = "20"
  VITE_STRIPE_BASE_URL = "http://localhost:4111"
  VITE_POSTHOG_HOST = "http://localhost:4112"
  # VITE_TWILIO_API_BASE = "http://localhost:4113"

# Production context: all deploys from the production branch set in the UI.
[context.production]
  command = "npm run build:prod"
  environment = { VITE_POSTHOG_HOST = "https://eu.i.posthog.com", VITE_RESEND_BASE_URL = 'http://localhost:4116' }

[context.deploy-preview.environment]
  VITE_TWILIO_API_BASE = "https://api.wondertwin.dev/twins/twilio"

[context.branch-deploy.environment]
  VITE_SENDGRID_API_BASE = "http://localhost:4113"

[context.staging.environment]
  VITE_SENDGRID_API_BASE = "http://localhost:4114"

[context."feature/new-checkout".environment]
  VITE_STRIPE_BASE_URL = "http://localhost:4111"

[context.main]
  environment.VITE_SENDGRID_API_BASE = "http://localhost:4115"

[context.dev.environment]
  VITE_STRIPE_BASE_URL = "http://localhost:4111"

[dev]
  command = "npm run dev"
  targetPort = 5173

[template.environment]
  VITE_STRIPE_BASE_URL = "Your Stripe base URL (http://localhost:4111 for a local twin)"

[[redirects]]
  from = "/api/*"
  to = "https://api.shop.example/:splat"
  status = 200
"""


def _findings(tmp_path, text=NETLIFY, name="netlify.toml"):
    (tmp_path / name).write_text(text)
    code, doc = cli_json([name], cwd=tmp_path)
    return code, doc, {f["line"]: f for f in doc["findings"]}


def test_only_production_contexts_block_with_the_section_as_reason(tmp_path):
    code, doc, by_line = _findings(tmp_path)
    assert code == 1 and not doc["errors"]
    got = {line: (f["key"], f["environment"], f["blocking"]) for line, f in by_line.items()}
    assert got == {
        9: ("VITE_STRIPE_BASE_URL", "production", True),  # [build.environment], not overridden in production
        10: ("VITE_POSTHOG_HOST", "preview", False),  # overridden by the production context's inline table
        11: (None, "production", False),  # only in a comment (a comment names no key)
        16: ("VITE_RESEND_BASE_URL", "production", True),  # the production context's inline table
        19: ("VITE_TWILIO_API_BASE", "preview", False),
        22: ("VITE_SENDGRID_API_BASE", "branch-deploy", False),
        25: ("VITE_SENDGRID_API_BASE", "staging", False),
        28: ("VITE_STRIPE_BASE_URL", "feature/new-checkout", False),
        31: ("VITE_SENDGRID_API_BASE", "production", True),  # branch context of the usual production branch
        34: ("VITE_STRIPE_BASE_URL", "development", False),
        41: ("VITE_STRIPE_BASE_URL", "example", False),
    }
    assert by_line[11]["context"] == "comment"
    assert "`[build.environment]` applies to every deploy context, and no production context overrides " \
           "`VITE_STRIPE_BASE_URL`" in by_line[9]["reason"]
    assert "`[build.environment]` `VITE_POSTHOG_HOST` is overridden by `[context.production.environment]`" in by_line[10]["reason"]
    assert "`[context.production.environment]`: the production context builds the production branch" in by_line[16]["reason"]
    assert "`[context.deploy-preview.environment]`: the deploy-preview context builds Deploy Previews" in by_line[19]["reason"]
    assert "`[context.staging.environment]`: a branch context applies to deploys of branch `staging`" in by_line[25]["reason"]
    assert '`[context."feature/new-checkout".environment]`' in by_line[28]["reason"]
    assert "branch `main` is the usual production branch" in by_line[31]["reason"]
    assert "`[context.dev.environment]`: the dev context is used by `netlify dev` only" in by_line[34]["reason"]
    assert "Deploy to Netlify button" in by_line[41]["reason"]


def test_build_environment_overridden_everywhere_but_production_still_blocks(tmp_path):
    text = ('[build.environment]\n  STRIPE_API_BASE = "http://localhost:4111"\n'
            '[context.deploy-preview.environment]\n  STRIPE_API_BASE = "https://api.stripe.com"\n'
            '[context.branch-deploy.environment]\n  STRIPE_API_BASE = "https://api.stripe.com"\n'
            '[context.dev.environment]\n  STRIPE_API_BASE = "https://api.stripe.com"\n')
    code, _, by_line = _findings(tmp_path, text)
    assert code == 1 and (by_line[2]["environment"], by_line[2]["blocking"]) == ("production", True)


def test_build_environment_overridden_in_production_only_reaches_other_contexts(tmp_path):
    text = ('[build.environment]\n  STRIPE_API_BASE = "http://localhost:4111"\n'
            '[context.production.environment]\n  STRIPE_API_BASE = "https://api.stripe.com"\n'
            '[context.deploy-preview.environment]\n  STRIPE_API_BASE = "https://api.stripe.com"\n')
    code, _, by_line = _findings(tmp_path, text)
    assert code == 0 and (by_line[2]["environment"], by_line[2]["blocking"]) == ("branch-deploy", False)
    assert "only other contexts see it, such as branch-deploy" in by_line[2]["reason"]


def test_values_at_their_bytes_in_every_toml_spelling():
    data = NETLIFY.encode()
    got = {(v.key, v.environment): v for v in values(data, "netlify.toml")}
    for v in got.values():
        assert data[v.start:v.end].decode() == v.value
    assert ("NODE_VERSION", "production") in got and ("VITE_RESEND_BASE_URL", "production") in got
    assert not any(v.key in ("command", "publish", "to") for v in got.values())  # not environment variables


def test_toml_spans_follow_tables_arrays_and_string_forms():
    data = ('a = "x"\n[t]\n  "q.k" = \'lit\'\n  m = """\nmulti "q" \\"""\n"""\n[[arr]]\n  s = "0"\n[[arr]]\n'
            '  s = "1"\n  [arr.sub]\n    deep = { x = ["i0", { y = "i1" }] }\n').encode()
    got = [(s.path, s.value, data[s.start:s.end].decode()) for s in strings(data)]
    assert got == [
        (("a",), "x", "x"), (("t", "q.k"), "lit", "lit"), (("t", "m"), 'multi "q" """\n', 'multi "q" \\"""\n'),
        (("arr", 0, "s"), "0", "0"), (("arr", 1, "s"), "1", "1"),
        (("arr", 1, "sub", "deep", "x", 0), "i0", "i0"), (("arr", 1, "sub", "deep", "x", 1, "y"), "i1", "i1"),
    ]


def test_invalid_toml_is_reported_for_the_file(tmp_path):
    with pytest.raises(ExtractError, match="^invalid TOML: "):
        values(b"[build.environment]\nA = \n", "netlify.toml")
    code, doc, _ = _findings(tmp_path, '[context.production.environment]\n  A = "http://localhost:4111\n')
    assert code == 1 and doc["errors"][0]["message"].startswith("cannot parse as netlify.toml: invalid TOML")


def test_claimed():
    assert artifact_kind("netlify.toml") == artifact_kind("site/netlify.toml") == "netlify"
