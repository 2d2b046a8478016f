"""Shared checks for the one-file-per-rule tests: every YAML example, in realistic wrappers."""
from __future__ import annotations

from twinscan.rulepack import load_builtin_rules

from ..conftest import urls

# How real artifacts wrap a URL: Vite 8 template literal, esbuild/Vite 7 string,
# webpack JSON.parse blob, .env line, YAML value, HTML attribute.
WRAPPERS = [
    "const d=`{}`,f=1;",
    'var O0="{}";',
    "JSON.parse('{{\"apiBase\":\"{}\"}}')",
    "VITE_STRIPE_BASE_URL={}\n",
    "  value: {}\n",
    '<meta name="stripe" content="{}">',
]


def rule(rule_id: str):
    return next(r for r in load_builtin_rules() if r.id == rule_id)


def check_examples(rule_id: str, engine: str) -> None:
    r = rule(rule_id)
    twin_urls = r.examples.get("twin_urls", ())
    assert r.examples.get("match") and r.examples.get("no_match"), f"{rule_id} needs positive and negative examples"
    for text in r.examples["match"]:
        for wrap in WRAPPERS:
            body = text.strip("\"'") if text.startswith(('"', "'")) else text
            data = (wrap.format(body) if not text.startswith('"') else wrap.format(body)).encode()
            found = [rid for rid, _ in urls(data, engine, twin_urls)]
            assert rule_id in found, f"{rule_id} should match {text!r} in {data!r}, found {found}"
    for text in r.examples["no_match"]:
        for wrap in WRAPPERS:
            data = wrap.format(text).encode()
            found = [rid for rid, _ in urls(data, engine, twin_urls)]
            assert rule_id not in found, f"{rule_id} should not match {text!r} in {data!r}"
