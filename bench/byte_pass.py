#!/usr/bin/env python3
"""twinscan's pass over bytes alone, as a process, for timing beside ripgrep.

Walks the target, reads every file through twinscan's own windows and runs
the multi-pattern engine (Hyperscan by default) over them, in as many worker
processes as `rg -j2` uses threads. It stops before URL parsing, context and
reporting, so it measures what the brief compares with ripgrep: the pass over
bytes. The expressions are the scanner's own: the rules' URL expressions and
the concatenation and `;base64,` markers it searches in the same pass (until
2026-12-02 they were left out, which made the pass look cheaper than the
scanner's). Prints the number of candidate URL matches (the markers are not
counted, so the number compares with rg's).
"""
from __future__ import annotations

import argparse
import multiprocessing
import sys

from twinscan.engine import make_engine
from twinscan.reader import IsArchive, Limits, NotText, Opened, ReadError
from twinscan.rulepack import build_ruleset
from twinscan.walk import Walker

_engine = None


def _count(path: str, threads: int = 1) -> int:
    """Candidate URL matches in one file; with ``threads`` > 1 a large file's windows are read and
    searched in threads, as twinscan does when it scans a single file with --jobs > 1."""
    ahead = getattr(_engine, "candidates_in_thread", None) if threads > 1 else None
    urls = _engine.exprs
    try:
        opened = Opened(path, Limits())
        return sum(sum(1 for _, i in (w.cands if w.cands is not None else _engine.candidates(w.buf, w.lo - w.base, w.hi - w.base))
                       if urls[i].rule_index >= 0)
                   for w in opened.windows(ahead, threads))
    except (IsArchive, NotText, ReadError):  # archives are out of the byte-pass comparison
        return 0


def _count_batch(paths: list[str]) -> int:
    return sum(map(_count, paths))


def main() -> int:
    global _engine
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("target")
    ap.add_argument("--twin-url", action="append", default=[])
    ap.add_argument("--engine", default="hyperscan")
    ap.add_argument("-j", "--jobs", type=int, default=2)
    args = ap.parse_args()
    _engine = make_engine(args.engine, build_ruleset(args.twin_url), split=True)  # as FileScanner builds it
    warm = getattr(_engine, "warm", None)
    if warm is not None:  # loaded once, before the workers fork, as the scanner's pool does
        warm()
    paths = sorted((i.fs_path for i in Walker().walk([args.target])), key=lambda p: p)
    if len(paths) > 1 and args.jobs > 1:
        # like twinscan's pool: workers inherit the engine, small files go in batches
        batches = [paths[i:i + 64] for i in range(0, len(paths), 64)] if len(paths) > 2000 else [[p] for p in paths]
        with multiprocessing.get_context("fork").Pool(args.jobs) as pool:
            total = sum(pool.imap_unordered(_count_batch, batches, chunksize=1 if len(paths) > 2000 else 4))
    else:
        total = sum(_count(p, args.jobs) for p in paths)
    print(total)
    return 0


if __name__ == "__main__":
    sys.exit(main())
