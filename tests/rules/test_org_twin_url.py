import pytest

from twinscan.rulepack import RuleError, twin_url_pattern

from ..conftest import urls


def test_inactive_without_twin_urls(engine):
    assert urls(b'"https://twins.staging.yourco.com/stripe"', engine) == []


@pytest.mark.parametrize("spec", ["twins.*.yourco.com", "*.yourco.com/twins/", "yourco.com/twins/", "https://yourco.com:8443/twins"])
def test_valid_specs_compile(spec):
    pattern, schemes = twin_url_pattern(spec)
    assert pattern and schemes


@pytest.mark.parametrize("spec", ["", "*", "ftp://yourco.com", "tw*ns.yourco.com", "yourco..com"])
def test_invalid_specs_are_rejected(spec):
    with pytest.raises(RuleError):
        twin_url_pattern(spec)


def test_star_is_one_or_more_labels(engine):
    specs = ["twins.*.yourco.com"]
    assert urls(b'"https://twins.a.b.yourco.com/x"', engine, specs)
    assert not urls(b'"https://twins.yourco.com/x"', engine, specs)
