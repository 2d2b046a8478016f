import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from twinscan.urls import is_loopback_host, is_unspecified_host, parse_at


@pytest.mark.parametrize("host,loop", [
    ("localhost", True), ("app.localhost", True), ("localhost.localdomain", True), ("localhost.", True),
    ("127.0.0.1", True), ("127.1", True), ("127.0.1", True), ("127.255.255.254", True), ("2130706433", True),
    ("2147483647", True), ("2147483648", False), ("2130706431", False), ("0x7f000001", True), ("0x7e000001", False),
    ("[::1]", True), ("[0:0:0:0:0:0:0:1]", True), ("[::ffff:127.0.0.1]", True), ("[::ffff:7f00:1]", True),
    ("[::2]", False), ("127.0.0.256", False), ("localhost.example.com", False),
])
def test_loopback_hosts(host, loop):
    assert is_loopback_host(host) is loop


def test_unspecified_hosts():
    assert is_unspecified_host("0.0.0.0") and is_unspecified_host("[::]")
    assert not is_unspecified_host("[::1]")


@pytest.mark.parametrize("text,url", [
    (b'"http://localhost:4111/v1/charges?x=1#f"', "http://localhost:4111/v1/charges?x=1#f"),
    (b"`http://localhost:4111${p}`", "http://localhost:4111"),
    (b'"http:\\/\\/localhost:4111\\/a\\u0026b=1\\"', "http://localhost:4111/a&b=1"),
    (b"(see http://localhost:4111/docs).", "http://localhost:4111/docs"),
    (b"'http://u:p@localhost/'", "http://***@localhost/"),
])
def test_parse_and_normalise(text, url):
    start = text.index(b"h") if not text.startswith(b"(") else text.index(b"http")
    assert parse_at(text, start, False).normalized() == url


_PIECES = ["localhost", ":4111", "/v1/", "a-b.c", "é", "\\/", "\\u002F", "\\\\u002f", "&amp;", "&#47;", "&quot;",
           "%2F", "%3A", "%", "&", "=", "+", ";", "${", "$", "?q=1", "#x", "@", "[::1]", "]", " ", '"', "'", "\n"]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(_PIECES), max_size=12), st.booleans(), st.sampled_from(["auth", "path"]))
def test_reading_plain_stretches_whole_changes_nothing(pieces, percent, part):
    """run() with its plain stretches, and with none (every character through at(), as before)."""
    import re

    from twinscan import urls

    raw = "".join(pieces).encode()
    allowed = urls._AUTH_CHARS if part == "auth" else urls._PATH_CHARS
    a, b = urls._Reader(raw), urls._Reader(raw)
    a.percent = b.percent = percent
    whole = a.run(0, allowed)
    real, urls._plain_run = urls._plain_run, lambda allowed, percent: re.compile(b"")
    try:
        one_at_a_time = b.run(0, allowed)
    finally:
        urls._plain_run = real
    assert whole == one_at_a_time and a.kinds == b.kinds
