"""glibc's malloc during a scan of large files: freed memory kept for the next file.

A scan allocates and frees large blocks file after file: each file up to 1 MiB is read whole
into a new bytes object (scan/filescan.py: one read, no copy), a file with a hit is copied out
of the window buffer once, a window's candidates and line marks come and go. glibc serves a
block over its mmap threshold (128 KiB at first, raised on the fly up to the largest block
freed) with a mapping of its own and unmaps it when it is freed, and gives the top of its heap
back to the kernel past its trim threshold: the next file's bytes then land in fresh pages.
On the VMs this project is measured on (Firecracker guests whose freed memory goes back to
the host) faulting in a fresh page costs 2-5 µs (64 MiB zeroed afresh: 35-56 ms), and
unmapping in a process whose window threads run on the other core costs a TLB shootdown there.

:func:`keep_freed_memory` sets both thresholds with ``mallopt`` (through ctypes, ~2.5 ms to
import, which only a large scan pays) so that blocks up to 32 MiB (glibc's limit for the
threshold) come from the heap and the heap is never trimmed: the next file reuses what the
last one freed. Peak memory is unchanged, since those blocks were live at once anyway; what
changes is that the process keeps its high-water mark until it ends, which is why only a
process twinscan owns does it: the program (:func:`claim`, twinscan/program.py) and the
pool's forked workers, never the process of a library caller. Elsewhere than glibc nothing
is done. Measured (bench/README.md, issue 14): `--jobs 1` on the 254-file directory faults
in 8,220 pages instead of 11,560 and spends 0.06 s in the kernel instead of 0.09 s; a pool
worker ~650 faults fewer. On wall time the gain is within this VM's noise, except in its
phases where faults are slow.
"""
from __future__ import annotations

import os

_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
#: Blocks up to this size come from the heap (glibc refuses more than 32 MiB on 64-bit systems).
MMAP_THRESHOLD = 32 << 20
#: The heap is given back to the kernel only past this much free space at its top: never, in a scan.
TRIM_THRESHOLD = 1 << 30

_claimed = False
_set: bool | None = None  # None: not tried in this process (a forked worker inherits the parent's)


def claim() -> None:
    """This process ends with the run (twinscan as a program): a large scan may tune its malloc."""
    global _claimed
    _claimed = True


def keep_freed_memory(owned: bool = False) -> bool:
    """Keep freed memory for reuse (see the module's docstring), once per process, when this
    process is twinscan's own: claimed by the program, or ``owned`` (a pool worker). True when
    the thresholds are set."""
    global _set
    if _set is None and (owned or _claimed):
        _set = _mallopt()
    return bool(_set)


def _mallopt() -> bool:
    try:
        if not os.confstr("CS_GNU_LIBC_VERSION"):  # glibc's mallopt and thresholds only
            return False
    except (AttributeError, ValueError, OSError):
        return False
    try:
        import ctypes

        mallopt = ctypes.CDLL(None).mallopt
        return bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD))
    except (ImportError, OSError, AttributeError):
        return False
