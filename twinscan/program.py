"""`twinscan` run as a program (the console script, `python -m twinscan`): what only a process
that ends with the run may do with the interpreter, never a library user or click's test runner.

A pre-commit run on three small files spent ~8 ms in the cyclic collector during start-up and
~10 ms in the interpreter's final collections (issue 14). Start-up allocates ~100,000 objects
that live as long as the process (modules, classes, compiled expressions, parsed rules) and
hardly any cyclic garbage, so the collector's first threshold is raised before click is imported
until the scan starts (twinscan/collector.py), which moves what start-up made out of its reach
for good and restores the thresholds. A command that never scans keeps the raised threshold: a
collection still comes every 200,000 allocations. At exit what is left is frozen too
(:func:`gc.freeze`), so the final collections skip it; output is flushed and files are closed
before, and the exit code is kept.
"""
from __future__ import annotations

import gc


def main() -> None:
    from .collector import starting

    starting()
    from .cli import main as cli

    try:
        cli()
    finally:
        gc.freeze()
