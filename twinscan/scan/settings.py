"""What a run is configured with, and what the per-file steps may ask of the scanner."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol, Sequence

from ..classify import Classifier
from ..extract.values import Options
from ..model import FileResult, Target
from ..reader import Limits
from ..rulepack import Rule
from ..walk import Item

if TYPE_CHECKING:
    from ..roles import RoleBook
    from ..services import ServiceIndex


@dataclass
class Settings:
    """Everything a scan needs besides the files: rules, classifier, engine, limits and options."""

    rules: Sequence[Rule]
    classifier: Classifier
    engine: str = "auto"
    limits: Limits = field(default_factory=Limits)
    jobs: int = 0  # 0: one per core when the input is large
    options: Options = field(default_factory=Options)
    services: "ServiceIndex | None" = None  # the key-aware check (None: off)
    service_rule: Rule | None = None
    fail_on: str = "error"  # --fail-on: the lowest rule severity that blocks in production
    roles: "RoleBook | None" = None  # rules/roles.yaml with config `roles:` first (None: the built-in book)
    strict: bool = False  # --strict: no roles; every hit in a production target is a service setting


class Scanner(Protocol):
    """The FileScanner as the steps it calls back see it (nested payloads recurse through it)."""

    s: Settings
    engine: object
    exprs: object
    depth: int

    def scan_item(self, item: Item, target: Target) -> FileResult: ...

    def late(self, res: FileResult, target: Target, step: str) -> bool: ...

    def value_target(self, target: Target, environment: str | None, reason: str | None) -> Target: ...

    def role_args(self, path: str, context: str, key: str | None, value_role: str | None,
                  value_role_reason: str | None, library: str | None, rule_id: str, host: str,
                  port: int | None, url_path: str | None) -> dict: ...
