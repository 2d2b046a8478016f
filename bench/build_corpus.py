#!/usr/bin/env python3
"""Build the twinscan benchmark corpus from real, pinned npm bundles.

Steps (each one is skipped when its output already exists):

1. ``npm pack`` each pinned package into ``bench/.npm/tarballs/`` and extract
   one minified bundle from it into ``<cache>/bundles/``.
2. Build a tiny vanilla-JS Vite app (vite 8, falling back to vite 7) with
   ``VITE_STRIPE_BASE_URL=http://localhost:4111`` and keep its output bundle.
3. Copy the bundles round-robin into ``<cache>/corpus/dir/`` until ``--mb``
   megabytes are reached, planting twin URLs after random ``;`` characters
   (seeded RNG), and write the same bytes concatenated to
   ``<cache>/corpus/single.js``.
4. Write ``<cache>/manifest.json`` describing what was built and planted.

Stdlib only. Usage::

    python bench/build_corpus.py            # ~300 MB into bench/.corpus/
    python bench/build_corpus.py --mb 50    # smaller corpus
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import shutil
import subprocess
import sys
import tarfile
import time
from dataclasses import dataclass
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
DEFAULT_CACHE = BENCH_DIR / ".corpus"
DEFAULT_NPM_DIR = BENCH_DIR / ".npm"
MB = 1_000_000
CORPUS_FORMAT = 2  # bump when the corpus layout or planting scheme changes


@dataclass(frozen=True)
class Bundle:
    """One file taken from a pinned npm package."""

    name: str  # file name in <cache>/bundles/
    package: str  # npm package name
    version: str  # exact version
    member: str  # path inside the package tarball (without the "package/" prefix)

    @property
    def spec(self) -> str:
        return f"{self.package}@{self.version}"

    @property
    def tarball(self) -> str:
        """File name that ``npm pack`` gives the tarball."""
        return f"{self.package.lstrip('@').replace('/', '-')}-{self.version}.tgz"


BUNDLES: tuple[Bundle, ...] = (
    Bundle("react-dom18.umd.min.js", "react-dom", "18.3.1", "umd/react-dom.production.min.js"),
    Bundle("react-dom19.client.cjs.js", "react-dom", "19.3.1", "cjs/react-dom-client.production.js"),
    Bundle("vue3.global.prod.js", "vue", "3.5.45", "dist/vue.global.prod.js"),
    Bundle("posthog.array.full.js", "posthog-js", "1.449.2", "dist/array.full.js"),
    Bundle("stripe-js.index.js", "@stripe/stripe-js", "10.2.1", "dist/index.mjs"),
    Bundle("lodash.min.js", "lodash", "4.18.1", "lodash.min.js"),
    Bundle("three.module.min.js", "three", "0.170.0", "build/three.module.min.js"),
    Bundle("monaco.editor.min.js", "monaco-editor", "0.57.0", "min/vs/editor-BdtEMBbM.js"),
    Bundle("monaco.ts.worker.min.js", "monaco-editor", "0.57.0", "min/vs/assets/ts.worker-g3pjEjl4.js"),
)

VITE_BUNDLE_NAME = "vite-app.js"
VITE_VERSIONS = ("8.3.8", "7.3.8")  # tried in order
VITE_ENV = {"VITE_STRIPE_BASE_URL": "http://localhost:4111"}

# Twin URL shapes planted into the corpus (planted text is exactly these bytes, quoted).
PLANT_SHAPES: tuple[str, ...] = (
    "http://localhost:4111/v1",
    "https://api.wondertwin.dev/twins/stripe",
    "http://127.0.0.1:4112",
    "ws://localhost:4113",
    "http://[::1]:4114/x",
    "http://0.0.0.0:4115",
    "http://host.docker.internal:4116",
    "https://twins.staging.yourco.com/stripe",
    "http:\\/\\/localhost:4111",  # JSON-escaped slashes, as in JSON embedded in JS
)
QUOTES: tuple[str, ...] = ('"', "'", "`")
DEFAULT_PLANTS = len(PLANT_SHAPES) * len(QUOTES) * 8  # 216


class BuildError(RuntimeError):
    """A build step failed; the message says which and why."""


# --------------------------------------------------------------------------- helpers


def log(msg: str) -> None:
    print(f"[build_corpus] {msg}", file=sys.stderr, flush=True)


def run(cmd: list[str], cwd: Path, env: dict[str, str] | None = None) -> str:
    """Run a command, return its stdout, raise BuildError with its output on failure."""
    log(f"$ {' '.join(cmd)}   (in {cwd})")
    full_env = {**os.environ, **(env or {})}
    proc = subprocess.run(cmd, check=False, cwd=cwd, env=full_env, capture_output=True, text=True)
    if proc.returncode != 0:
        tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-25:])
        raise BuildError(f"command failed ({proc.returncode}): {' '.join(cmd)}\n{tail}")
    return proc.stdout


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    tmp.replace(path)


# --------------------------------------------------------------------------- step 1: npm bundles


def fetch_tarball(bundle: Bundle, tar_dir: Path) -> Path:
    tgz = tar_dir / bundle.tarball
    if tgz.exists():
        return tgz
    tar_dir.mkdir(parents=True, exist_ok=True)
    out = run(["npm", "pack", "--json", "--pack-destination", str(tar_dir), bundle.spec], cwd=tar_dir)
    reported = json.loads(out)[0]["filename"]
    if not tgz.exists():
        raise BuildError(f"npm pack produced {reported!r}, expected {tgz.name!r}")
    return tgz


def extract_member(tgz: Path, member: str) -> bytes:
    with tarfile.open(tgz, "r:gz") as tar:
        try:
            info = tar.getmember(f"package/{member}")
        except KeyError:
            raise BuildError(f"{tgz.name} has no file {member!r}") from None
        handle = tar.extractfile(info)
        if handle is None:
            raise BuildError(f"{tgz.name}: {member!r} is not a regular file")
        return handle.read()


def ensure_npm_bundle(bundle: Bundle, bundles_dir: Path, npm_dir: Path) -> None:
    target = bundles_dir / bundle.name
    if target.exists():
        return
    tgz = fetch_tarball(bundle, npm_dir / "tarballs")
    write_atomic(target, extract_member(tgz, bundle.member))
    log(f"extracted {bundle.spec} {bundle.member} -> {target.name} ({target.stat().st_size:,} B)")


# --------------------------------------------------------------------------- step 2: Vite app

VITE_INDEX_HTML = """<!doctype html>
<html lang="en">
  <head><meta charset="UTF-8" /><title>twinscan bench app</title></head>
  <body>
    <div id="app"></div>
    <script type="module" src="/main.js"></script>
  </body>
</html>
"""

VITE_MAIN_JS = """\
// A tiny vanilla app that talks to Stripe; in dev the base URL points at a twin.
const STRIPE_BASE_URL = import.meta.env.VITE_STRIPE_BASE_URL ?? 'https://api.stripe.com';

export class StripeClient {
  #secret;
  static instances = 0;
  baseUrl = STRIPE_BASE_URL;

  constructor(secret) {
    this.#secret = secret;
    StripeClient.instances++;
  }

  get hasSecret() {
    return this.#secret != null;
  }

  async createCharge(amount, opts) {
    const res = await fetch(`${this.baseUrl}/v1/charges`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${this.#secret}` },
      body: new URLSearchParams({ amount: String(amount), currency: opts?.currency ?? 'usd' }),
    });
    const json = await res.json();
    return json?.id ?? null;
  }

  async listCustomers(limit = 10) {
    const res = await fetch(`${this.baseUrl}/v1/customers?limit=${limit}`, {
      headers: { Authorization: `Bearer ${this.#secret}` },
    });
    return (await res.json())?.data ?? [];
  }
}

function render(root, state) {
  root.innerHTML = `
    <h1>Checkout</h1>
    <p>Backend: <code>${state.base}</code></p>
    <button id="pay">Pay ${state.amount / 100} ${state.currency.toUpperCase()}</button>
    <pre id="out"></pre>`;
  root.querySelector('#pay')?.addEventListener('click', async () => {
    const client = new StripeClient(state.key);
    const id = await client.createCharge(state.amount, { currency: state.currency });
    root.querySelector('#out').textContent = id ?? 'charge failed';
  });
}

const health = await Promise.resolve({ ok: true, base: STRIPE_BASE_URL });
render(document.querySelector('#app'), {
  base: health.base,
  amount: 4200,
  currency: 'eur',
  key: 'pk_test_123',
});
"""


def write_vite_app(app_dir: Path, vite_version: str) -> None:
    app_dir.mkdir(parents=True, exist_ok=True)
    package = {
        "name": "twinscan-bench-app",
        "private": True,
        "version": "0.0.0",
        "type": "module",
        "devDependencies": {"vite": vite_version},
    }
    (app_dir / "package.json").write_text(json.dumps(package, indent=2) + "\n")
    (app_dir / "index.html").write_text(VITE_INDEX_HTML)
    (app_dir / "main.js").write_text(VITE_MAIN_JS)


def installed_vite_version(app_dir: Path) -> str | None:
    pkg = app_dir / "node_modules" / "vite" / "package.json"
    if not pkg.exists():
        return None
    return str(json.loads(pkg.read_text())["version"])


def build_vite_app(app_dir: Path, vite_version: str) -> Path:
    """Install vite (if needed), build, return the built entry chunk."""
    write_vite_app(app_dir, vite_version)
    if installed_vite_version(app_dir) != vite_version:
        run(["npm", "install", "--no-audit", "--no-fund", "--save-exact"], cwd=app_dir)
    shutil.rmtree(app_dir / "dist", ignore_errors=True)
    run(["npx", "--no-install", "vite", "build"], cwd=app_dir, env=VITE_ENV)
    chunks = sorted((app_dir / "dist" / "assets").glob("index-*.js"))
    if len(chunks) != 1:
        raise BuildError(f"expected one dist/assets/index-*.js, found {[c.name for c in chunks]}")
    return chunks[0]


def ensure_vite_bundle(bundles_dir: Path, npm_dir: Path) -> dict[str, str]:
    target = bundles_dir / VITE_BUNDLE_NAME
    info_path = bundles_dir / (VITE_BUNDLE_NAME + ".json")
    if target.exists() and info_path.exists():
        return dict(json.loads(info_path.read_text()))
    errors: list[str] = []
    for version in VITE_VERSIONS:
        app_dir = npm_dir / f"viteapp-{version.split('.')[0]}"
        try:
            chunk = build_vite_app(app_dir, version)
        except BuildError as exc:
            errors.append(f"vite@{version}: {exc}")
            log(f"vite@{version} failed, trying the next version")
            continue
        data = chunk.read_bytes()
        if VITE_ENV["VITE_STRIPE_BASE_URL"].encode() not in data:
            raise BuildError(f"vite@{version} output does not contain the inlined twin URL")
        info = {"vite": version, "chunk": chunk.name, "env": json.dumps(VITE_ENV)}
        write_atomic(target, data)
        write_atomic(info_path, json.dumps(info, indent=2).encode())
        log(f"built Vite app with vite@{version} -> {target.name} ({len(data):,} B)")
        return info
    raise BuildError("could not build the Vite app:\n" + "\n".join(errors))


# --------------------------------------------------------------------------- step 3: corpus


@dataclass(frozen=True)
class Plant:
    shape: str
    quote: str

    def text(self) -> bytes:
        return f"{self.quote}{self.shape}{self.quote};".encode()


def load_bundles(bundles_dir: Path) -> list[tuple[str, bytes]]:
    names = [b.name for b in BUNDLES] + [VITE_BUNDLE_NAME]
    return [(name, (bundles_dir / name).read_bytes()) for name in names]


def plan_files(bundles: list[tuple[str, bytes]], target_bytes: int) -> list[tuple[str, int]]:
    """Round-robin over bundles until target_bytes; returns (corpus file name, bundle index)."""
    plan: list[tuple[str, int]] = []
    total = 0
    while total < target_bytes:
        idx = len(plan) % len(bundles)
        name = bundles[idx][0]
        stem = name.removesuffix(".js")
        plan.append((f"{len(plan):03d}-{stem}.js", idx))
        total += len(bundles[idx][1]) + 1
    return plan


def assign_plants(n_files: int, n_plants: int, rng: random.Random) -> list[list[Plant]]:
    """Cycle through every (shape, quote) pair; put each plant into a random file."""
    per_file: list[list[Plant]] = [[] for _ in range(n_files)]
    pairs = [Plant(s, q) for s in PLANT_SHAPES for q in QUOTES]
    for i in range(n_plants):
        per_file[rng.randrange(n_files)].append(pairs[i % len(pairs)])
    return per_file


def plant_into(data: bytes, plants: list[Plant], rng: random.Random) -> bytes:
    """Insert each plant right after a random ';' of data (files without ';' get it appended)."""
    inserts: list[tuple[int, bytes]] = []
    for plant in plants:
        pos = data.find(b";", rng.randrange(len(data) or 1))
        if pos < 0:
            pos = data.find(b";")
        at = len(data) if pos < 0 else pos + 1
        inserts.append((at, plant.text()))
    inserts.sort(key=lambda item: item[0])
    out: list[bytes] = []
    prev = 0
    for at, text in inserts:
        out.append(data[prev:at])
        out.append(text)
        prev = at
    out.append(data[prev:])
    return b"".join(out)


def count_shapes(data: bytes) -> dict[str, int]:
    return {shape: data.count(shape.encode()) for shape in PLANT_SHAPES}


def write_corpus(corpus_dir: Path, bundles: list[tuple[str, bytes]], args: argparse.Namespace) -> dict[str, object]:
    rng = random.Random(args.seed)
    plan = plan_files(bundles, args.mb * MB)
    per_file = assign_plants(len(plan), args.plants, rng)
    tmp_dir = corpus_dir.with_name(corpus_dir.name + ".tmp")
    shutil.rmtree(tmp_dir, ignore_errors=True)
    (tmp_dir / "dir").mkdir(parents=True)
    occurrences = dict.fromkeys(PLANT_SHAPES, 0)
    vite_url = VITE_ENV["VITE_STRIPE_BASE_URL"].encode()
    preexisting = sum(bundles[idx][1].count(vite_url) for _, idx in plan)
    plants_by_file: dict[str, int] = {}
    total = 0
    with open(tmp_dir / "single.js", "wb") as single:
        for (fname, idx), plants in zip(plan, per_file):
            data = plant_into(bundles[idx][1], plants, rng)
            if not data.endswith(b"\n"):
                data += b"\n"
            (tmp_dir / "dir" / fname).write_bytes(data)
            single.write(data)
            total += len(data)
            for shape, n in count_shapes(data).items():
                occurrences[shape] += n
            if plants:
                plants_by_file[fname] = len(plants)
    shutil.rmtree(corpus_dir, ignore_errors=True)
    tmp_dir.replace(corpus_dir)
    by_pair: dict[str, int] = {}
    for plants in per_file:
        for p in plants:
            key = f"{p.quote}{p.shape}{p.quote}"
            by_pair[key] = by_pair.get(key, 0) + 1
    return {
        "files": len(plan),
        "bytes": total,
        "planted_total": sum(len(p) for p in per_file),
        "planted_by_quoted_shape": by_pair,
        "planted_by_file": plants_by_file,
        "shape_occurrences_in_corpus": occurrences,
        "preexisting_twin_urls": {VITE_ENV["VITE_STRIPE_BASE_URL"]: preexisting},
    }


def corpus_key(args: argparse.Namespace, bundle_hashes: dict[str, str]) -> dict[str, object]:
    return {
        "format": CORPUS_FORMAT,
        "mb": args.mb,
        "seed": args.seed,
        "plants": args.plants,
        "bundle_sha256": bundle_hashes,
    }


def corpus_is_current(cache: Path, key: dict[str, object]) -> bool:
    manifest = cache / "manifest.json"
    corpus = cache / "corpus"
    if not (manifest.exists() and (corpus / "single.js").exists() and (corpus / "dir").is_dir()):
        return False
    try:
        return bool(json.loads(manifest.read_text()).get("key") == key)
    except (OSError, ValueError):
        return False


# --------------------------------------------------------------------------- main


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--mb", type=int, default=300, help="corpus size in MB (10^6 bytes), default 300")
    p.add_argument("--cache", type=Path, default=DEFAULT_CACHE, help=f"output dir (default {DEFAULT_CACHE})")
    p.add_argument("--npm-dir", type=Path, default=DEFAULT_NPM_DIR, help=f"npm work dir (default {DEFAULT_NPM_DIR})")
    p.add_argument("--seed", type=int, default=20261122, help="RNG seed for plant positions")
    p.add_argument("--plants", type=int, default=DEFAULT_PLANTS, help=f"URLs to plant (default {DEFAULT_PLANTS})")
    p.add_argument("--force", action="store_true", help="rebuild the corpus even if it is current")
    args = p.parse_args(argv)
    if args.mb <= 0 or args.plants < 0:
        p.error("--mb must be > 0 and --plants >= 0")
    return args


def build(args: argparse.Namespace) -> Path:
    cache: Path = args.cache.resolve()
    npm_dir: Path = args.npm_dir.resolve()
    bundles_dir = cache / "bundles"
    bundles_dir.mkdir(parents=True, exist_ok=True)
    if shutil.which("npm") is None:
        missing = [b.name for b in BUNDLES if not (bundles_dir / b.name).exists()]
        if missing or not (bundles_dir / VITE_BUNDLE_NAME).exists():
            raise BuildError("npm is not on PATH and the bundle cache is incomplete")
    for bundle in BUNDLES:
        ensure_npm_bundle(bundle, bundles_dir, npm_dir)
    vite_info = ensure_vite_bundle(bundles_dir, npm_dir)

    bundles = load_bundles(bundles_dir)
    hashes = {name: sha256(data) for name, data in bundles}
    key = corpus_key(args, hashes)
    manifest_path = cache / "manifest.json"
    if corpus_is_current(cache, key) and not args.force:
        log(f"corpus is current, nothing to do ({manifest_path})")
        return manifest_path

    log(f"writing ~{args.mb} MB corpus to {cache / 'corpus'} ...")
    started = time.perf_counter()
    stats = write_corpus(cache / "corpus", bundles, args)
    manifest = {
        "key": key,
        "corpus_dir": "corpus/dir",
        "corpus_single": "corpus/single.js",
        **stats,
        "bundles": [
            {"name": b.name, "spec": b.spec, "member": b.member, "bytes": len(data)}
            for b, (_, data) in zip(BUNDLES, bundles)
        ]
        + [{"name": VITE_BUNDLE_NAME, **vite_info, "bytes": len(bundles[-1][1])}],
        "plant_shapes": list(PLANT_SHAPES),
        "quotes": list(QUOTES),
        "note": "planted text is <q><shape><q>; inserted right after a random ';'. "
        "shape_occurrences_in_corpus counts each shape's exact bytes in the final corpus. "
        "preexisting_twin_urls counts twin URLs already in the unplanted bundles (the Vite "
        "app's inlined VITE_STRIPE_BASE_URL), summed over all copies.",
    }
    write_atomic(manifest_path, (json.dumps(manifest, indent=2) + "\n").encode())
    log(
        f"done in {time.perf_counter() - started:.1f}s: {stats['files']} files, "
        f"{stats['bytes']:,} bytes, {stats['planted_total']} URLs planted -> {manifest_path}"
    )
    return manifest_path


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        build(args)
    except BuildError as exc:
        log(f"ERROR: {exc}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
