from ..conftest import urls
from ._common import check_examples


def test_examples(engine):
    check_examples("unspecified-address-url", engine)


def test_zero_address_with_port_and_path(engine):
    assert urls(b"POSTHOG_HOST=http://0.0.0.0:4115/ingest\n", engine, name=".env") == [
        ("unspecified-address-url", "http://0.0.0.0:4115/ingest")]
