"""ServiceIndex.keywords: the fewest key substrings a file must hold one of before the service
check reads it (a file with none of them cannot assign a vendor setting)."""
from __future__ import annotations

from twinscan.services import Service, ServiceIndex, load_services, parse_services


def _reference(keys) -> tuple[bytes, ...]:
    """The definition spelled out: each key, shortest first (then in byte order), unless a kept one is inside it."""
    kept: list[bytes] = []
    for k in sorted({k.lower().encode() for k in keys}, key=lambda k: (len(k), k)):
        if not any(w in k for w in kept):
            kept.append(k)
    return tuple(kept)


def test_keywords_of_the_shipped_services_are_the_fewest_substrings():
    index = ServiceIndex(load_services().values())
    assert index.keywords == _reference(index.by_key)
    assert all(any(w in k.lower().encode() for w in index.keywords) for k in index.by_key)
    assert b"stripe_url" in index.keywords and b"vite_stripe_url" not in index.keywords


def test_keywords_with_config_services_and_awkward_keys():
    """Keys from config are any non-empty strings: one holding a newline (the separator the search
    joins keys with) or another key across it must not drop a key that holds no kept word."""
    extra = parse_services({"acme": {"keys": ["A\nB", "B", "XA", "A", "C\nD", "DC", "ACME_API_URL", "ACME_URL"],
                                     "hosts": ["api.acme.dev"]}}, "twinscan.yaml")
    services = {**load_services(), **extra}
    index = ServiceIndex(services.values())
    assert index.keywords == _reference(index.by_key)
    assert b"c\nd" in index.keywords and b"dc" in index.keywords and b"xa" not in index.keywords
    assert ServiceIndex([Service("x", frozenset({"D", "C\nD", "CD"}), ("x.dev",))]).keywords == (b"d",)
    assert ServiceIndex([]).keywords == ()


def test_a_file_is_read_for_services_only_when_it_mentions_a_keyword():
    index = ServiceIndex(load_services().values())
    assert index.mentioned_in(b"const a = process.env.VITE_STRIPE_URL;")
    assert not index.mentioned_in(b"var a=function(e){return e+1};var u=`http://127.0.0.1:4112/v1`;")
