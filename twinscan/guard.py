"""The runtime guard's public import path: ``from twinscan.guard import check_services``.

The code lives in ``twinscan.runtime.guard`` (with the rest of the runtime side); this
module re-exports it so the documented import keeps working, and is what
``python -m twinscan.guard`` runs to regenerate ``twinscan/compiled_rules.json``.
Importing it costs what the runtime module costs: ``os`` and nothing heavier.
"""
from __future__ import annotations

from .runtime.guard import (  # noqa: F401  (re-exported)
    COMPILED_RULES,
    COMPILED_VERSION,
    SERVICE_RULE,
    Checker,
    TwinURLError,
    Violation,
    __all__,
    assert_no_twins,
    builtin_rules,
    check_services,
    check_url,
    checker,
    compile_rules,
    compiled,
    find_twins,
    ruleset,
    services,
    write_compiled_rules,
)

if __name__ == "__main__":  # regenerate compiled_rules.json from the YAML rules
    write_compiled_rules()
    print(f"wrote {COMPILED_RULES}")
