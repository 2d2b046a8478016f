#!/usr/bin/env python3
"""Scaling benchmarks: does twinscan's cost grow linearly with hits, lines and values?

Each shape is generated at 1× and 4× its size and scanned end to end
(``twinscan --format json --quiet``), interleaved round by round; the figure is
``median(4×) / median(1×)``. Linear is 4, quadratic 16; the goal is ≤ 5.
The many-hits shape also reports peak RSS (goal ≤ 256 MB at 100,000 hits): the JSON runs, and
one run at 4× in each of :data:`RSS_FORMATS` (the report is written as it is made in every
format, and the goal holds for the worst of them).

Shapes (issue 14):

* ``env``: a ``.env.production`` of N lines, each ``KEY_i=http://localhost:4111/i``;
* ``sourcemap``: a ``.map`` whose ``sourcesContent`` holds N twin URLs;
* ``configmap``: a Kubernetes ConfigMap (namespace ``shop-production``) with N data keys;
* ``hits``: a JavaScript file holding N twin URLs (``"http://localhost:4111/i"``).

Stdlib only, Linux (``os.wait4``). Run with the interpreter where twinscan is installed:
``python bench/scaling.py`` (``--runs``, ``--shape``, ``--json``, ``--check``).
"""
from __future__ import annotations

import argparse
import json
import os
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

GOAL_RATIO = 5.0
GOAL_RSS_MB = 256.0
#: formats besides JSON whose peak RSS is measured once at 4× on the many-hits shape
RSS_FORMATS = ("sarif", "text")


def make_env(d: Path, n: int) -> Path:
    p = d / ".env.production"
    p.write_text("".join(f"SERVICE_{i}_URL=http://localhost:4111/v{i}\n" for i in range(n)))
    return p


def make_sourcemap(d: Path, n: int) -> Path:
    per = 50  # hits per original source
    sources, contents = [], []
    for s in range(max(1, n // per)):
        sources.append(f"webpack:///src/mod{s}.js")
        contents.append("".join(f"export const u{i} = 'http://localhost:4111/v{i}';\n" for i in range(per)))
    p = d / "app.js.map"
    p.write_text(json.dumps({"version": 3, "file": "app.js", "sources": sources, "sourcesContent": contents,
                             "names": [], "mappings": "AAAA"}))
    return p


def make_configmap(d: Path, n: int) -> Path:
    p = d / "configmap.yaml"
    lines = ["apiVersion: v1", "kind: ConfigMap", "metadata:", "  name: app", "  namespace: shop-production", "data:"]
    pad = "x" * 300  # ~400 bytes a hit: 6,000 hits ≈ 2.5 MB
    for i in range(n):
        lines += [f"  KEY_{i}: \"http://localhost:4111/v{i}\"", f"  NOTE_{i}: {pad}"]
    p.write_text("\n".join(lines) + "\n")
    return p


def make_hits(d: Path, n: int) -> Path:
    p = d / "many.js"
    p.write_text("".join(f'a{i}="http://localhost:4111/v";' + ("\n" if i % 8 == 7 else "") for i in range(n)))
    return p


SHAPES = {
    # shape: (generator, 1× size)
    "env": (make_env, 5_000),
    "sourcemap": (make_sourcemap, 750),
    "configmap": (make_configmap, 1_500),
    "hits": (make_hits, 25_000),
}


def own_maxrss_kb() -> int:
    """This process's RSS high-water mark: Linux starts a child's ``ru_maxrss`` from the RSS of
    the process it was forked from, so a child's figure at or below it says nothing."""
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def run(cmd: list[str]) -> tuple[float, int, int]:
    """Wall seconds, exit status and peak RSS (kB) of one run."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=tempfile.gettempdir())
    _, status, ru = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    err = proc.stderr.read().decode("utf-8", "replace") if proc.stderr else ""
    proc.stderr.close()
    code = os.waitstatus_to_exitcode(status)
    if code not in (0, 1):
        raise RuntimeError(f"{shlex.join(cmd)} exited {code}: {err[-2000:]}")
    return wall, code, ru.ru_maxrss


def measure(twinscan: list[str], runs: int = 3, scale: float = 1.0, shapes: list[str] | None = None) -> list[dict]:
    """Every shape at 1× and 4×, interleaved round by round; one row per shape."""
    base = [*twinscan, "scan", "--format", "json", "--quiet", "--engine", "auto"]
    rows = []
    with tempfile.TemporaryDirectory(prefix="twinscan-scaling-") as tmp:
        cases = []
        for name in shapes or list(SHAPES):
            gen, n = SHAPES[name]
            n = int(n * scale)
            files = []
            for mult in (1, 4):
                d = Path(tmp) / f"{name}-{mult}"
                d.mkdir()
                files.append((mult, n * mult, gen(d, n * mult)))
            cases.append((name, files))
        times: dict[tuple[str, int], list[float]] = {}
        rss: dict[tuple[str, int], int] = {}
        for _ in range(runs):  # interleaved: noise hits every case alike
            for name, files in cases:
                for mult, n, path in files:
                    wall, _, kb = run(base + [str(path)])
                    times.setdefault((name, mult), []).append(wall)
                    rss[(name, mult)] = max(rss.get((name, mult), 0), kb)
        by_format: dict[str, int] = {}
        for name, files in cases:
            if name != "hits":
                continue
            mult, n, path = files[1]
            by_format["json"] = rss[(name, mult)]
            for fmt in RSS_FORMATS:  # once each: memory, not time
                cmd = [*twinscan, "scan", "--format", fmt, "--quiet", "--engine", "auto", str(path)]
                by_format[fmt] = run(cmd)[2]
        floor = own_maxrss_kb()
        for name, files in cases:
            t1 = statistics.median(times[(name, 1)])
            t4 = statistics.median(times[(name, 4)])
            ratio = t4 / t1
            mb4 = rss[(name, 4)] / 1024
            row = {"shape": name, "n": files[0][1], "n_4x": files[1][1], "t1_s": t1, "t4_s": t4, "ratio": ratio,
                   "ratio_pass": ratio <= GOAL_RATIO, "peak_rss_4x_mb": mb4}
            if name == "hits":
                row["peak_rss_4x_mb_by_format"] = {fmt: kb / 1024 for fmt, kb in by_format.items()}
                row["peak_rss_4x_mb"] = mb4 = max(by_format.values()) / 1024
                # a child's maxrss no higher than this process's own is the inherited figure, not a reading
                row["rss_reliable"] = min(by_format.values()) > floor
                row["rss_pass"] = mb4 <= GOAL_RSS_MB and row["rss_reliable"]
            row["pass"] = row["ratio_pass"] and row.get("rss_pass", True)
            rows.append(row)
    return rows


def print_rows(rows: list[dict]) -> None:
    print(f"{'shape':<10} {'n (1×)':>8} {'1× s':>8} {'4× s':>8} {'4×÷1×':>7} {'goal':>6}  result  peak RSS 4×")
    for r in rows:
        rss_goal = ""
        if "rss_pass" in r:
            each = ", ".join(f"{fmt} {mb:.0f}" for fmt, mb in r["peak_rss_4x_mb_by_format"].items())
            rss_goal = f" (goal ≤ {GOAL_RSS_MB:.0f} MB at {r['n_4x']:,} hits; {each} MB"
            rss_goal += ")" if r["rss_reliable"] else "; NOT RELIABLE: no higher than the bench's own RSS)"
        print(f"{r['shape']:<10} {r['n']:>8} {r['t1_s']:>8.2f} {r['t4_s']:>8.2f} {r['ratio']:>6.2f}× {'≤5':>6}  "
              f"{'pass' if r['pass'] else 'FAIL':<6}  {r['peak_rss_4x_mb']:.0f} MB{rss_goal}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--twinscan", default=f"{shlex.quote(sys.executable)} -m twinscan")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--shape", action="append", choices=sorted(SHAPES), help="only these shapes (repeatable)")
    ap.add_argument("--scale", type=float, default=1.0, help="multiply every 1× size (default 1)")
    ap.add_argument("--json", type=Path, default=None)
    ap.add_argument("--check", action="store_true", help="exit 3 if a goal is missed")
    args = ap.parse_args(argv)
    rows = measure(shlex.split(args.twinscan), args.runs, args.scale, args.shape)
    print_rows(rows)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2))
    return 3 if args.check and not all(r["pass"] for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
