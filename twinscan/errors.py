"""Errors more than one stage raises, kept in a leaf module so no stage imports another for them."""
from __future__ import annotations


class ConfigError(Exception):
    """Invalid configuration (exit code 2). Raised by config.py and by the parsers of config
    keys that live with their feature (suppress.parse_ignore for `ignore:`)."""
