from ..conftest import scan_bytes, urls


def test_json_escaped_url_is_decoded(engine):
    data = b'{"props":{"host":"https:\\/\\/api.wondertwin.dev\\/twins\\/posthog\\/e\\u0026x=1"}}'
    assert urls(data, engine) == [("wondertwin-hosted-url", "https://api.wondertwin.dev/twins/posthog/e&x=1")]


def test_template_literal_stops_at_substitution(engine):
    f = scan_bytes(b"fetch(`https://api.wondertwin.dev/twins/stripe${p}/v1/charges`)", engine=engine).findings[0]
    assert f.url == "https://api.wondertwin.dev/twins/stripe"
    assert f.context == "template"


def test_hosted_twin_is_high_confidence(engine):
    f = scan_bytes(b'"https://api.wondertwin.dev/twins/stripe"', engine=engine).findings[0]
    assert f.confidence == "high" and f.blocking
