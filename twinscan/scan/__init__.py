"""The data path for one run: walk → classify → read → match → extract → decide → report.

* ``driver``: the run (pre-pass, engine choice, worker pool) and its :class:`ScanResult`;
* ``settings``: what a run is configured with;
* ``filescan``: one file through read → match → extract → decide;
* ``match``: the engine's candidates confirmed window by window, the raw hit record;
* ``locate``: line, column and snippet of a hit;
* ``fold``: URLs split across constant string concatenations;
* ``nested``: files inside archives and image layers, base64 ``data:`` URIs;
* ``origins``: source-map origins of hits in bundles, and hits inside maps;
* ``servicecheck``: vendor keys whose value names a host the vendor does not use.

Reading is :mod:`twinscan.reader`, extraction :mod:`twinscan.extract`, the verdict
:mod:`twinscan.decide`, output :mod:`twinscan.report`.
"""
from __future__ import annotations

from ..walk import Item
from .driver import PARALLEL_MIN_BYTES, PARALLEL_MIN_FILES, SMALL_INPUT, ScanResult, choose_engine, run
from .filescan import FileScanner
from .locate import SNIPPET
from .nested import DATA_URI_KINDS, MAX_MAPPED
from .settings import Settings

__all__ = [
    "DATA_URI_KINDS", "FileScanner", "Item", "MAX_MAPPED", "PARALLEL_MIN_BYTES", "PARALLEL_MIN_FILES",
    "SMALL_INPUT", "SNIPPET", "ScanResult", "Settings", "choose_engine", "run",
]
