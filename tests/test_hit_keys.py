"""The key before a hit's value (twinscan/extract/hits.py): found on the line's prefix reversed,
it must be what the forward expression anchored at the prefix's end finds, for any prefix."""
from __future__ import annotations

import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from twinscan.extract.hits import key_before

from .conftest import cli_json

#: The definition: the leftmost match, searched forwards in the prefix's last 96 bytes.
FORWARD = re.compile(rb"""([A-Za-z_$][\w$.-]*)["']?\s*(?:=|:)\s*["'`]?\s*$""")


def forward(prefix: bytes) -> bytes | None:
    m = FORWARD.search(prefix[-96:])
    return m.group(1) if m else None


#: Bytes a prefix is made of near a key: key bytes, digits and signs that start none, quotes,
#: blanks, `=` and `:`, and bytes that end a run of key bytes.
_ALPHABET = b"aZ_$09.-\"'` \t\n\r=:;,({[}])+\xc3\xa9"


@settings(max_examples=3000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(list(_ALPHABET)), max_size=130).map(bytes))
def test_the_key_is_what_the_forward_expression_finds(prefix):
    assert key_before(prefix) == forward(prefix)


def test_keys_of_real_lines():
    cases = {
        b'const cfg={stripeBaseUrl:"': b"stripeBaseUrl",
        b'VITE_STRIPE_BASE_URL=': b"VITE_STRIPE_BASE_URL",
        b'  "api.base-url" : \'': b"api.base-url",
        b'export const x = 1; window.$env.API = `': b"window.$env.API",
        b'9lives=': b"lives",  # a key starts with a letter, `_` or `$`
        b'fetch(': None,
        b'a=b+"': None,
        b'x' * 200 + b'=': b"x" * 95,  # the last 96 bytes only
    }
    for prefix, key in cases.items():
        assert key_before(prefix) == forward(prefix) == key, prefix


def test_the_key_names_the_role_through_the_cli(tmp_path):
    """Through a scan: the key before the value is what the finding reports."""
    (tmp_path / "app.js").write_text('var a=1;const cfg={otel_collector_url:"http://localhost:4318/v1/traces",'
                                     'stripeBaseUrl:"http://localhost:4111"};\n')
    _, doc = cli_json(["--format", "json", "--environment", "production", str(tmp_path / "app.js")])
    keys = {f["url"]: f.get("key") for f in doc["findings"]}
    assert keys.get("http://localhost:4111") == "stripeBaseUrl", doc["findings"]
