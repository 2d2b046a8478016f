"""The cyclic collector during a program's start-up (see twinscan/program.py, which raises its
threshold): :func:`scanning` ends start-up. A leaf module, so the scan can call it without
importing the program's entry point."""
from __future__ import annotations

import gc

#: The collector's thresholds before :func:`starting` raised the first one, while it is raised.
_THRESHOLDS: tuple[int, ...] | None = None


def starting() -> None:
    """Raise the first threshold until :func:`scanning`: a collection every 200,000 allocations."""
    global _THRESHOLDS
    _THRESHOLDS = gc.get_threshold()
    gc.set_threshold(200_000, *_THRESHOLDS[1:])


def scanning() -> None:
    """Start-up is over: what it made is moved out of the collector's reach for good
    (:func:`gc.freeze`, also what keeps a forked worker's pages shared) and the thresholds are
    restored. Does nothing unless :func:`starting` ran."""
    global _THRESHOLDS
    if _THRESHOLDS is not None:
        gc.freeze()
        gc.set_threshold(*_THRESHOLDS)
        _THRESHOLDS = None
