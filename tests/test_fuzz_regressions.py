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


# FUZZ CRASHER (atheris target `dockerfile`, fuzz/crashers/dockerfile/crash-1b53e395…, crash-c2dd927d…):
# dockerfile.values decodes as latin-1, where the superscripts ¹ ² ³ (bytes B9, B2, B3) are
# `str.isdigit()` but not `int()`-able: `stage_ref` in dockerfile.values does
# `int(ref) if ref.isdigit() and …` and raises ValueError for `FROM ¹`, `COPY --from=³`,
# `RUN --mount=from=¹`. FileScanner turns it into an "internal error" for the Dockerfile.
# Fixed in dockerfile.py: `ref.isascii() and ref.isdecimal()`.
@pytest.mark.parametrize("data", [b"FROM \xb9", b"FROM x\nCOPY --from=\xb3 /a /b", b"FROM x\nRUN --mount=from=\xb2 true"])
def test_dockerfile_superscript_stage_reference(data):
    _values_ok(dockerfile, data, "Dockerfile")


# FUZZ CRASHER (found while adding the `js-library` target, which now also runs
# javascript.folded_strings): `_operands` (and `_constant` for parentheses) in
# twinscan/extract/javascript.py recurse once per `+` operand / per parenthesis of a
# concatenation, so a split URL followed by ~1000 constant operands raises RecursionError.
# Through the scanner the whole file is lost as "internal error while scanning
# (RecursionError …)" and its other findings with it. Fixed: both walk iteratively.
@pytest.mark.parametrize("data, url", [
    (b'var a="http://localhost:"' + b'+"4"' * 1500 + b';', "http://localhost"),
    (b'var a="http://localhost:"+' + b'(' * 1500 + b'"4111"' + b')' * 1500 + b';', "http://localhost:4111"),
])
def test_javascript_long_constant_concatenation(data, url):
    from .conftest import scan_bytes

    res = scan_bytes(data, "dist/app.js")
    assert not [e.message for e in res.errors], res.errors
    assert url in [f.url for f in res.findings]
