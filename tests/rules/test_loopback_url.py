from ..conftest import scan_bytes, urls


def test_every_notation_normalises(engine):
    data = b"a='http://127.1:4112/x';b='http://2130706433/';c='http://0x7F000001:4111';d='http://[::ffff:127.0.0.1]:1'"
    assert [u for _, u in urls(data, engine)] == [
        "http://127.1:4112/x", "http://2130706433/", "http://0x7f000001:4111", "http://[::ffff:127.0.0.1]:1",
    ]


def test_userinfo_is_redacted_everywhere(engine):
    f = scan_bytes(b'const u="http://admin:hunter2@localhost:4111/v1";', engine=engine).findings[0]
    assert f.url == "http://***@localhost:4111/v1"
    assert "hunter2" not in f.match and "hunter2" not in f.snippet and "admin" not in f.snippet


def test_twin_port_raises_confidence(engine):
    fs = scan_bytes(b'a="http://localhost:4116";b="http://localhost:3000"', engine=engine).findings
    assert [(f.port, f.confidence) for f in fs] == [(4116, "high"), (3000, "medium")]


def test_uppercase_host_and_scheme(engine):
    assert urls(b'x="HTTP://LocalHost:4111/"', engine) == [("loopback-url", "http://localhost:4111/")]


def test_protocol_relative_needs_a_string_or_attribute_start(engine):
    assert urls(b'<script src="//localhost:4111/x.js">', engine) == [("loopback-url", "//localhost:4111/x.js")]
    # a path segment, not a URL
    assert urls(b'x="/a//localhost/"', engine) == []


def test_non_loopback_ipv6_is_not_reported(engine):
    assert urls(b'x="http://[2001:db8::1]:4111/"', engine) == []
