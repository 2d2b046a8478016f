from ..conftest import urls


def test_zero_address_with_port_and_path(engine):
    assert urls(b"POSTHOG_HOST=http://0.0.0.0:4115/ingest\n", engine, name=".env") == [
        ("unspecified-address-url", "http://0.0.0.0:4115/ingest")]
