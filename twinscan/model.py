"""The records that flow from classify to report."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from typing import Any


@dataclass(frozen=True)
class Target:
    """What a file is and which environment it belongs to."""

    kind: str  # an artifact kind: its module in extract/ (javascript, image, kubernetes, workflows, …)
    environment: str  # production, development, staging, test, example, …
    production: bool
    reason: str  # why: "named on the command line", "file name `.env.staging`", …


@dataclass(frozen=True)
class Origin:
    """Where a hit in a built file came from, read from its source map."""

    path: str  # the original source as the map names it: src/config.ts, ../node_modules/axios/lib/…
    line: int  # 1-based
    column: int  # 1-based, in characters
    map: str  # the map that says so: a path, or "<inline>" for a data: URI map
    library: str | None = None  # npm package name when the source is under node_modules/


@dataclass(frozen=True)
class Suppression:
    """Why a finding is hidden: an `ignore:` entry in config, or the baseline file."""

    kind: str  # "config" or "baseline"
    reason: str
    source: str  # the file that holds the entry
    expires: str | None = None  # ISO date (config entries only)


@dataclass(slots=True)
class Finding:
    """One reported hit. Slotted, and built only by :func:`twinscan.decide.make_finding`, which
    shares its decision, reason, fingerprint and URL strings with the hits judged alike: a finding
    costs a bounded number of bytes, so 100,000 of them fit in memory for grouping and sorting."""

    rule: str
    severity: str
    confidence: str
    path: str
    line: int
    column: int
    end_column: int
    match: str  # the text as it appears, userinfo redacted
    url: str  # normalised, userinfo redacted
    host: str
    port: int | None
    key: str | None
    context: str  # string, template, comment, value, code, unknown
    environment: str
    production: bool
    blocking: bool
    reason: str
    snippet: str
    fingerprint: str = ""
    title: str = ""
    offset: int = 0  # byte offset of the match in the (decoded) file
    origin: Origin | None = None  # original source location, when a source map says
    encoding: str | None = None  # how the URL was written when decoded: percent, html-entities, base64, …
    suppression: Suppression | None = None  # set on findings a suppression or the baseline hides
    # the decide.Decision behind blocking/confidence/reason (its parts, by name); not in any report
    role: str | None = None  # what the hit is for: service, container-command, sidecar, … (None: --strict)
    decision: Any = field(default=None, compare=False, repr=False)

    def to_dict(self) -> dict[str, Any]:
        out = asdict(replace(self, decision=None))
        del out["decision"]
        return out


@dataclass(frozen=True)
class FileError:
    """A file that could not be read or parsed to its end (the scan is incomplete when it is a production file)."""

    path: str
    message: str
    production: bool  # an error in a production target makes the scan incomplete


@dataclass(frozen=True)
class Skipped:
    """A file, or a part of one, deliberately not scanned, and why (binary, too large to decode, …)."""

    path: str
    reason: str


@dataclass
class FileResult:
    """Everything the scan has to say about one file: findings, errors, skips, and how much of it was read."""

    path: str
    findings: list[Finding] = field(default_factory=list)
    errors: list[FileError] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    bytes_scanned: int = 0
    scanned: bool = False
