"""One module per subcommand; twinscan.cli holds the group and its grammar.

``COMMANDS`` is the order `twinscan --help` lists them in. Each module imports only click
(and ``_common``) at module level: everything heavier loads inside the command that runs.
"""
from __future__ import annotations

from .baseline import baseline_cmd
from .env import env_cmd
from .guard import guard_cmd
from .rules import rules_cmd
from .scan import scan
from .services import services_cmd

COMMANDS = (scan, baseline_cmd, rules_cmd, env_cmd, services_cmd, guard_cmd)

