#!/usr/bin/env python3
"""Make the "many small files" corpus: N JavaScript chunks cut from the real bundles.

The shape of a real `.next/`, Storybook or docs-site build: tens of thousands of chunks of
a few KB. ``python bench/smallfiles.py --out DIR`` writes ``--files`` (default 50,000)
files of ``--kb`` (default 2.4) KB on average, ~120 MB, in 100 subdirectories, cut at `;`
from the bundles in ``--cache``/bundles (built by build_corpus.py); every 1,000th file gets
one planted `"http://localhost:4111"`. Skipped when DIR already holds the same corpus.
Stdlib only; seeded, so the bytes are the same on every machine.
"""
from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent


def build(bundles: Path, out: Path, files: int, kb: float, seed: int = 14) -> Path:
    stamp = {"files": files, "kb": kb, "seed": seed}
    marker = out / "smallfiles.json"
    if marker.is_file() and json.loads(marker.read_text()) == stamp:
        return out
    sources = [p.read_bytes() for p in sorted(bundles.glob("*.js"))]
    if not sources:
        raise SystemExit(f"no bundles in {bundles}: run python {BENCH_DIR / 'build_corpus.py'} first")
    rnd = random.Random(seed)
    out.mkdir(parents=True, exist_ok=True)
    for i in range(files):
        src = sources[i % len(sources)]
        size = max(200, int(rnd.expovariate(1 / (kb * 1000))))
        at = rnd.randrange(0, max(1, len(src) - size))
        cut = src.find(b";", at)
        body = src[cut + 1 if cut >= 0 else 0:][:size]
        if i % 1000 == 0:
            body += b';var twin="http://localhost:4111";'
        d = out / f"chunks{i % 100:02d}"
        d.mkdir(exist_ok=True)
        (d / f"{i:05d}.{rnd.getrandbits(32):08x}.js").write_bytes(body)
    marker.write_text(json.dumps(stamp))
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cache", type=Path, default=BENCH_DIR / ".corpus", help="corpus cache holding bundles/")
    ap.add_argument("--out", type=Path, default=None, help="output dir (default CACHE/small)")
    ap.add_argument("--files", type=int, default=50_000)
    ap.add_argument("--kb", type=float, default=2.4)
    args = ap.parse_args(argv)
    out = build(args.cache / "bundles", args.out or args.cache / "small", args.files, args.kb)
    print(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
