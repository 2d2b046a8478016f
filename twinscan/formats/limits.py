"""The bounds every reader of one file enforces, whatever the format."""
from __future__ import annotations

from typing import NamedTuple


class Limits(NamedTuple):
    """Immutable; a NamedTuple rather than a frozen dataclass, which costs ~0.6 ms more to create
    when a pre-commit run imports this module."""

    max_decoded: int = 256 << 20  # bytes of decompressed or transcoded text per file
    max_ratio: int = 200  # decompressed:compressed ratio before it counts as a bomb
    file_timeout: float = 60.0  # seconds of wall-clock time one file may take (archives: the whole archive)
