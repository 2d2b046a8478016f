"""Minimal crashers found by fuzzing (tests/test_fuzz_extractors.py, fuzz/atheris_campaign.py).

Each test is one contract violation, shrunk to the smallest input that shows it. They are
kept as regression tests for the fixes.
"""
from __future__ import annotations

import pytest

from twinscan.extract import dockerfile, dotenv
from twinscan.extract.values import ExtractError, Options


def _values_ok(module, data: bytes, path: str) -> None:
    try:
        out = module.values(data, path, Options())
    except ExtractError:
        return
    for v in out:
        assert 0 <= v.start <= v.end <= len(data), (v, len(data))


# FUZZ CRASHER (Hypothesis test_dotenv_contract and atheris target `dotenv`):
# dotenv.values decodes with errors="replace" and counts offsets in the re-encoded text, so each
# invalid UTF-8 byte (1 byte) becomes U+FFFD (3 bytes) and every later offset shifts by +2:
# b"A=\x80x" -> Value(start=2, end=6) for a 4-byte file; b"\x80A=" -> start=end=5 for 3 bytes.
# fuzz crasher (fixed): dotenv offsets count U+FFFD replacements (issue 6)
@pytest.mark.parametrize("data", [b"A=\x80x", b"\x80A=", b"\x80#\nVITE_STRIPE_BASE_URL="])
def test_dotenv_offsets_with_invalid_utf8(data):
    _values_ok(dotenv, data, ".env")


# FUZZ CRASHER (atheris target `dockerfile`): a logical line that is only a line continuation
# is empty after joining, and `joined.split(None, 1)[0]` in dockerfile._logical_lines raises
# IndexError instead of skipping it (or raising ExtractError).
# fuzz crasher (fixed): IndexError on a bare line continuation (issue 6)
@pytest.mark.parametrize("data", [b"\\", b"\\\n", b"FROM x\n\\\n", b" \\\n\n"])
def test_dockerfile_bare_continuation(data):
    _values_ok(dockerfile, data, "Dockerfile")
