"""`twinscan` run as a program (the console script, `python -m twinscan`): what only a process
that ends with the run may do with the interpreter, never a library user or click's test runner.

A pre-commit run on three small files spent ~8 ms in the cyclic collector during start-up and
~10 ms in the interpreter's final collections (issue 14). Start-up allocates ~100,000 objects
that live as long as the process (modules, classes, compiled expressions, parsed rules) and
hardly any cyclic garbage, so the collector's first threshold is raised before click is imported
until the scan starts (twinscan/collector.py), which moves what start-up made out of its reach
for good and restores the thresholds. A command that never scans keeps the raised threshold: a
collection still comes every 200,000 allocations.

At exit the interpreter would then tear down every module and free every object one by one:
16 ms of a 0.29 s scan of the 254-file benchmark directory on this VM, after the report was
written, for memory the kernel takes back whole anyway. So once the command has finished,
:func:`leave` runs what Python's own exit runs that matters (the `atexit` handlers, among them
the `weakref.finalize` cleanups of temporary folders; flushing standard output and error) and
ends the process with :func:`os._exit` and the status `sys.exit` would have given. Where that
is not certain to be the same (a thread still running, an `atexit` module without
`_run_exitfuncs`, a flush that fails, an exit status other than 0-255) the normal exit runs
instead, after :func:`gc.freeze` so that its final collections skip what is left.
"""
from __future__ import annotations

import gc
import os
import sys


def main() -> None:
    from . import heap
    from .collector import starting

    starting()
    heap.claim()  # a large scan may keep its freed memory for the next file (heap.py)
    from .cli import main as cli

    try:
        cli()
    except SystemExit as exc:
        gc.freeze()  # the atexit handlers' collections, or the normal exit's, skip what is left
        leave(exc.code)  # returns only where Python's own exit must run
        raise
    finally:
        gc.freeze()


def leave(code: object) -> None:
    """End the process now with the status ``sys.exit(code)`` gives, after the `atexit` handlers
    and with standard output and error flushed; or return (the caller exits normally) where that
    could differ from Python's own exit: another thread still runs, ``code`` is not a status
    from 0 to 255, or a flush fails."""
    threading = sys.modules.get("threading")
    if threading is not None and threading.active_count() > 1:
        return
    import atexit

    run_exit_handlers = getattr(atexit, "_run_exitfuncs", None)  # CPython's, what its own exit calls
    if run_exit_handlers is None:
        return
    if code is None:
        status = 0
    elif isinstance(code, int) and 0 <= code <= 255:
        status = code
    else:  # sys.exit("message") prints it, a status out of range is the platform's: Python's own exit
        return
    run_exit_handlers()  # runs each once and forgets it: a normal exit after this runs none twice
    try:
        for stream in (sys.stdout, sys.stderr):
            if stream is not None:
                stream.flush()
    except Exception:  # noqa: BLE001 - e.g. EPIPE: Python's own exit reports it and sets the status
        return
    os._exit(status)
