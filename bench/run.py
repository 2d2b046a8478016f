#!/usr/bin/env python3
"""Benchmark twinscan against ripgrep on the corpus built by build_corpus.py.

Measures, in one run:

* throughput on ``corpus/dir`` and ``corpus/single.js``: twinscan (default
  engine), twinscan ``--engine re`` and ``rg -j2 -i -o -b -c -f pats.txt``,
  where ``pats.txt`` comes from ``twinscan rules --export rg``. Commands are
  interleaved round by round so drift on a noisy VM hits all of them alike;
* cold start of twinscan on 5 small files (median of ``--cold-runs`` runs);
* peak RSS of twinscan on a 100 MB single-line file.

Stdlib only, Linux (uses ``os.wait4`` for per-child rusage and ``/proc`` for
RSS sampling). Exit codes: 0 ok, 1 a measurement failed, 2 setup problem
(rg or corpus missing), 3 a goal was missed and ``--check`` was given.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

import scaling  # noqa: E402  (bench/ is sys.path[0] when run as a script)
import smallfiles  # noqa: E402

BENCH_DIR = Path(__file__).resolve().parent
DEFAULT_CACHE = BENCH_DIR / ".corpus"
BUILD_HINT = f"python {BENCH_DIR / 'build_corpus.py'}"
MB = 1_000_000
DEFAULT_TWIN_URL = "twins.*.yourco.com"

# Goals (see README.md).
GOAL_RATIO = 1.0  # twinscan wall time / rg wall time
GOAL_SMALL_RATIO = 3.0  # the same on 50,000 small files (issue 14)
GOAL_COLD_MS = 120.0  # a pre-commit run on 3 small files (issue 14)
GOAL_RSS_MB = 150.0

TWINSCAN_OK = (0, 1)  # 0 = clean, 1 = findings; anything else is an error
RG_OK = (0, 1)  # 0 = matches, 1 = no match, 2 = error


class SetupError(RuntimeError):
    """Something the benchmark needs is missing (exit 2)."""


class CommandFailed(RuntimeError):
    """A benchmarked command exited with an unexpected status."""


# --------------------------------------------------------------------------- process runner


@dataclass
class Sample:
    wall_s: float
    user_s: float
    sys_s: float
    maxrss_kb: int
    returncode: int
    sampled: dict[str, int] | None = None  # ProcSampler peaks (hwm_kb, anon_kb, file_kb)
    parent_maxrss_kb: int = 0  # our own high-water mark when the child was spawned


class ProcSampler(threading.Thread):
    """Polls /proc/<pid>/status for VmHWM and the peak anonymous / file-backed RSS."""

    FIELDS: ClassVar[dict[str, str]] = {"VmHWM:": "hwm_kb", "RssAnon:": "anon_kb", "RssFile:": "file_kb"}

    def __init__(self, pid: int, interval_s: float = 0.005) -> None:
        super().__init__(daemon=True)
        self.path = Path(f"/proc/{pid}/status")
        self.interval_s = interval_s
        self.peaks = dict.fromkeys(self.FIELDS.values(), 0)
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            try:
                text = self.path.read_text()
            except OSError:
                return
            for line in text.splitlines():
                key = self.FIELDS.get(line.split(":", 1)[0] + ":")
                if key:
                    self.peaks[key] = max(self.peaks[key], int(line.split()[1]))
            self.stop.wait(self.interval_s)


_SUBREAPER: bool | None = None


def adopt_orphans() -> bool:
    """Make this process the child subreaper (Linux ``prctl``), once: a measured command's own
    children that outlive it are reparented here instead of to init. twinscan's pool workers
    finish exiting after the main process has ended (it does not wait for them once the last
    result is in), so their CPU time and peak memory reach this process's ``wait4`` and count in
    the sample. The wall time stays the command's own: where a shell would go on."""
    global _SUBREAPER
    if _SUBREAPER is None:
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            _SUBREAPER = libc.prctl(36, 1, 0, 0, 0) == 0  # PR_SET_CHILD_SUBREAPER
        except (OSError, AttributeError):
            _SUBREAPER = False
    return _SUBREAPER


def reap_orphans(usage) -> tuple[float, float, int]:
    """``usage``'s user and system seconds and peak RSS, with those of every orphan of the
    command (see :func:`adopt_orphans`) added as they are reaped here."""
    user, system, maxrss = usage.ru_utime, usage.ru_stime, usage.ru_maxrss
    while True:
        try:
            _, _, more = os.wait4(-1, 0)
        except ChildProcessError:
            return user, system, maxrss
        user, system, maxrss = user + more.ru_utime, system + more.ru_stime, max(maxrss, more.ru_maxrss)


def run_once(argv: list[str], stdout_path: Path, sample_rss: bool = False) -> tuple[Sample, str]:
    """Run argv with stdout to a file; return its timing/rusage (its orphans' included) and the stderr tail."""
    adopt_orphans()
    with open(stdout_path, "wb") as out, tempfile.TemporaryFile() as err:
        parent_maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        started = time.perf_counter()
        try:
            proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=err)
        except OSError as exc:
            raise CommandFailed(f"cannot start {argv[0]!r}: {exc}") from None
        sampler = ProcSampler(proc.pid) if sample_rss and Path("/proc/self/status").exists() else None
        if sampler:
            sampler.start()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        user, system, maxrss = reap_orphans(usage)
        proc.returncode = os.waitstatus_to_exitcode(status)
        if sampler:
            sampler.stop.set()
            sampler.join()
        err.seek(0)
        stderr = err.read().decode(errors="replace")
    sample = Sample(
        wall,
        user,
        system,
        maxrss,
        proc.returncode,
        sampler.peaks if sampler else None,
        parent_maxrss,
    )
    return sample, stderr


def peak_rss_kb(sample: Sample) -> int:
    """The child's own peak RSS.

    Linux seeds a child's ru_maxrss with the parent's high-water mark at exec
    (fork/vfork), so ru_maxrss is only trustworthy above our own maxrss; below
    that, fall back to the sampled VmHWM (which can miss the last few ms).
    """
    if sample.maxrss_kb > sample.parent_maxrss_kb or not sample.sampled:
        return sample.maxrss_kb
    return sample.sampled["hwm_kb"]


def run_checked(argv: list[str], stdout_path: Path, ok: tuple[int, ...], sample_rss: bool = False) -> Sample:
    sample, stderr = run_once(argv, stdout_path, sample_rss)
    if sample.returncode not in ok:
        tail = "\n    ".join(stderr.strip().splitlines()[-8:]) or "(no stderr)"
        raise CommandFailed(f"exit {sample.returncode} from: {shlex.join(argv)}\n    {tail}")
    return sample


# --------------------------------------------------------------------------- output parsing


def count_rg(output: bytes) -> int:
    """Sum `rg -c` output: `N` for one file, `path:N` per file for a directory."""
    return sum(int(line.rsplit(b":", 1)[-1]) for line in output.splitlines() if line.strip())


def count_plain(output: bytes) -> int | None:
    """A single number on stdout (bench/byte_pass.py)."""
    try:
        return int(output.strip())
    except ValueError:
        return None


def count_twinscan(output: bytes) -> int | None:
    """Number of findings in twinscan's JSON output (None if the shape is unknown)."""
    try:
        doc = json.loads(output)
    except ValueError:
        return None
    if isinstance(doc, list):
        return len(doc)
    if isinstance(doc, dict):
        for key in ("findings", "results", "matches"):
            if isinstance(doc.get(key), list):
                return len(doc[key])
    return None


# --------------------------------------------------------------------------- setup


def compile_bytecode(twinscan: list[str]) -> None:
    """Write twinscan's .pyc files, as `pip install` does: without them (PYTHONDONTWRITEBYTECODE,
    a fresh editable checkout) every measured run compiles every module from source."""
    python = twinscan[0] if twinscan[1:3] == ["-m", "twinscan"] else None
    if python is None:
        return
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    code = "import compileall, os, twinscan; compileall.compile_dir(os.path.dirname(twinscan.__file__), quiet=2)"
    subprocess.run([python, "-c", code], check=False, env=env, capture_output=True)


@dataclass(frozen=True)
class Corpus:
    cache: Path
    dir: Path
    single: Path
    bytes: int
    files: int
    manifest: dict[str, object]


def load_corpus(cache: Path) -> Corpus:
    manifest_path = cache / "manifest.json"
    if not manifest_path.exists():
        raise SetupError(f"no corpus at {cache} (missing manifest.json). Build it first:\n    {BUILD_HINT}")
    manifest = json.loads(manifest_path.read_text())
    cdir, single = cache / str(manifest["corpus_dir"]), cache / str(manifest["corpus_single"])
    if not cdir.is_dir() or not single.is_file():
        raise SetupError(f"corpus at {cache} is incomplete. Rebuild it:\n    {BUILD_HINT} --force")
    files = sum(1 for p in cdir.iterdir() if p.is_file())
    return Corpus(cache, cdir, single, single.stat().st_size, files, manifest)


def find_rg(explicit: str | None) -> str:
    rg = explicit or shutil.which("rg")
    if not rg or not Path(rg).exists():
        raise SetupError("ripgrep (rg) not found. Install it (e.g. `apt-get install ripgrep`) or pass --rg PATH.")
    return rg


def tool_version(argv: list[str]) -> str:
    proc = subprocess.run(argv, check=False, capture_output=True, text=True)
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["(no stderr)"])[-1]
        raise CommandFailed(f"exit {proc.returncode}: {last}")
    return (proc.stdout or proc.stderr).strip().splitlines()[0]


def export_patterns(twinscan: list[str], twin_url: str, out: Path) -> Path:
    # the trailing `--` says "the rules command" where ./rules exists (as in this repository)
    argv = [*twinscan, "rules", "--export", "rg", "--twin-url", twin_url, "--"]
    proc = subprocess.run(argv, check=False, capture_output=True)
    lines = [ln for ln in proc.stdout.decode(errors="replace").splitlines() if ln.strip()]
    if proc.returncode != 0 or not lines:
        why = proc.stderr.decode(errors="replace").strip()[-800:] or "no patterns printed"
        raise CommandFailed(f"`{shlex.join(argv)}` failed (exit {proc.returncode}): {why}")
    out.write_text("\n".join(lines) + "\n")
    return out


def check_patterns(rg: str, patterns: Path, workdir: Path) -> int:
    """Make sure rg accepts every pattern; return the pattern count."""
    probe = workdir / "probe.txt"
    probe.write_text("http://localhost:4111\n")
    proc = subprocess.run(
        [rg, "--no-config", "-i", "-c", "-f", str(patterns), str(probe)], check=False, capture_output=True, text=True
    )
    if proc.returncode not in RG_OK:
        raise SetupError(f"rg rejects the patterns in {patterns}:\n{proc.stderr.strip()[-1500:]}")
    return sum(1 for ln in patterns.read_text().splitlines() if ln.strip())


def check_rg_sees_all_files(rg: str, corpus: Corpus) -> None:
    """rg honours .gitignore/hidden rules; make sure it still searches every corpus file."""
    proc = subprocess.run([rg, "--no-config", "--files", str(corpus.dir)], check=False, capture_output=True, text=True)
    seen = len(proc.stdout.splitlines())
    if seen != corpus.files:
        raise SetupError(f"rg lists {seen} of {corpus.files} corpus files (ignore rules?); move --cache elsewhere")


# --------------------------------------------------------------------------- throughput


@dataclass
class Bench:
    form: str  # "dir" or "single"
    tool: str  # "twinscan", "twinscan --engine re", "rg"
    argv: list[str]
    ok: tuple[int, ...]
    counter: Callable[[bytes], int | None]
    samples: list[Sample] = field(default_factory=list)
    matches: int | None = None
    returncode: int | None = None
    error: str | None = None

    @property
    def label(self) -> str:
        return f"{self.form}:{self.tool}"


def throughput_benches(
    args: argparse.Namespace, corpus: Corpus, twinscan: list[str] | None, rg: str, patterns: Path | None,
    small: Path | None = None,
) -> list[Bench]:
    benches: list[Bench] = []
    forms: list[tuple[str, Path]] = [("dir", corpus.dir), ("single", corpus.single)]
    if small is not None:
        forms.append(("small", small))
    for form, target in forms:
        if twinscan is not None and form == "small":  # end to end only: the point is the per-file cost
            base = [*twinscan, "--format", "json", "--quiet", "--twin-url", args.twin_url]
            benches.append(Bench(form, "twinscan", [*base, str(target)], TWINSCAN_OK, count_twinscan))
        elif twinscan is not None:
            base = [*twinscan, "--format", "json", "--quiet", "--twin-url", args.twin_url]
            benches.append(Bench(form, "twinscan", [*base, str(target)], TWINSCAN_OK, count_twinscan))
            benches.append(
                Bench(form, "twinscan --engine re", [*base, "--engine", "re", str(target)], TWINSCAN_OK, count_twinscan)
            )
            python = twinscan[0] if twinscan[1:3] == ["-m", "twinscan"] else sys.executable
            byte_pass = [python, str(Path(__file__).with_name("byte_pass.py")), "--twin-url", args.twin_url, str(target)]
            benches.append(Bench(form, "twinscan byte pass", byte_pass, (0,), count_plain))
        if patterns is not None:
            argv = [rg, "-j2", "-i", "-o", "-b", "-c", "-f", str(patterns), str(target)]
            benches.append(Bench(form, "rg", argv, RG_OK, count_rg))
    return benches


def run_interleaved(benches: list[Bench], runs: int, warmup: int, outdir: Path) -> None:
    """Round-robin: every round runs each (still healthy) command once."""
    for rnd in range(warmup + runs):
        for b in benches:
            if b.error:
                continue
            out = outdir / (b.label.replace(" ", "_").replace(":", "-") + ".out")
            try:
                sample = run_checked(b.argv, out, b.ok)
            except CommandFailed as exc:
                b.error = str(exc)
                continue
            b.returncode = sample.returncode
            if rnd >= warmup:
                b.samples.append(sample)
            if rnd == 0:
                b.matches = b.counter(out.read_bytes())
        print(
            f"  round {rnd + 1}/{warmup + runs}{' (warm-up)' if rnd < warmup else ''} done", file=sys.stderr, flush=True
        )


def bench_row(b: Bench, nbytes: int, rg_median: float | None) -> dict[str, object]:
    row: dict[str, object] = {"form": b.form, "tool": b.tool, "command": shlex.join(b.argv), "error": b.error}
    if b.samples:
        walls = [s.wall_s for s in b.samples]
        med = statistics.median(walls)
        row.update(
            median_s=med,
            min_s=min(walls),
            max_s=max(walls),
            runs=len(walls),
            mb_per_s=nbytes / MB / med,
            user_s=statistics.median(s.user_s for s in b.samples),
            sys_s=statistics.median(s.sys_s for s in b.samples),
            maxrss_mb=max(peak_rss_kb(s) for s in b.samples) * 1024 / MB,
            ratio_vs_rg=(med / rg_median) if rg_median else None,
            matches=b.matches,
            exit_code=b.returncode,
        )
    return row


# --------------------------------------------------------------------------- cold start

#: The cold-start files: what a pre-commit hook passes for a small commit (issue 14: 3 files).
SMALL_FILES: dict[str, str] = {
    ".env.production": "VITE_STRIPE_BASE_URL=https://api.stripe.com\nVITE_APP_NAME=shop\n",
    "config.js": "export default {\n  stripe: process.env.STRIPE_URL ?? 'https://api.wondertwin.dev/twins/stripe',\n"
    "  timeout: 5000,\n};\n",
    "app.min.js": ";".join(f"var a{i}=function(e){{return e+{i}}}" for i in range(60))
    + ";var u=`http://127.0.0.1:4112/v1`;\n",
}


def make_small_files(workdir: Path) -> list[Path]:
    small = workdir / "small"
    small.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, text in SMALL_FILES.items():
        path = small / name
        path.write_text(text)
        paths.append(path)
    return paths


def time_command(argv: list[str], runs: int, warmup: int, ok: tuple[int, ...], out: Path) -> dict[str, float]:
    walls = []
    for i in range(warmup + runs):
        sample = run_checked(argv, out, ok)
        if i >= warmup:
            walls.append(sample.wall_s * 1000)
    walls.sort()
    return {
        "median_ms": statistics.median(walls),
        "min_ms": walls[0],
        "p90_ms": walls[int(0.9 * (len(walls) - 1))],
        "runs": float(runs),
    }


def measure_cold(args: argparse.Namespace, twinscan: list[str] | None, rg: str, workdir: Path) -> dict[str, object]:
    files = [str(p) for p in make_small_files(workdir)]
    out = workdir / "cold.out"
    result: dict[str, object] = {"files": [Path(f).name for f in files]}
    result["python -c pass"] = time_command([sys.executable, "-c", "pass"], args.cold_runs, 3, (0,), out)
    result["rg"] = time_command([rg, "-i", "-c", "localhost", *files], args.cold_runs, 3, RG_OK, out)
    if twinscan is None:
        result["twinscan_error"] = "twinscan unavailable"
        return result
    argv = [*twinscan, "--format", "json", "--quiet", "--twin-url", args.twin_url, *files]
    result["command"] = shlex.join(argv)
    try:
        result["twinscan"] = time_command(argv, args.cold_runs, 3, TWINSCAN_OK, out)
    except CommandFailed as exc:
        result["twinscan_error"] = str(exc)
    return result


# --------------------------------------------------------------------------- peak memory

BLANK_NEWLINES = bytes.maketrans(b"\r\n", b"  ")
BIG_PLANTS = ((5_000_123, b'"http://localhost:4111/v1";'), (99_000_000, b"`https://api.wondertwin.dev/twins/stripe`;"))


def make_big_line(path: Path, size: int, bundles_dir: Path) -> Path:
    """One line of minified JS (real bundles, newlines blanked) with two twin URLs planted.

    Streams to disk so this process stays small (its memory high-water mark
    would otherwise leak into the children's ru_maxrss, see peak_rss_kb).
    """
    if path.exists() and path.stat().st_size == size:
        return path
    sources = [p for p in sorted(bundles_dir.glob("*.js")) if not p.name.startswith("vite-")]
    if not sources:
        raise SetupError(f"no bundles in {bundles_dir}; run {BUILD_HINT}")
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w+b") as fh:
        written, i = 0, 0
        while written < size - 1:
            piece = sources[i % len(sources)].read_bytes().translate(BLANK_NEWLINES) + b";"
            piece = piece[: size - 1 - written]
            fh.write(piece)
            written += len(piece)
            i += 1
        fh.write(b"\n")
        for at, text in BIG_PLANTS:  # overwrite in place just after a ';': the size stays exact
            fh.seek(at)
            pos = at + fh.read(1 << 20).find(b";") + 1
            fh.seek(pos)
            fh.write(text)
    tmp.replace(path)
    return path


def measure_rss(
    args: argparse.Namespace, corpus: Corpus, twinscan: list[str] | None, rg: str, patterns: Path | None, workdir: Path
) -> dict[str, object]:
    big = make_big_line(corpus.cache / f"bigline-{args.big_mb}mb.js", args.big_mb * MB, corpus.cache / "bundles")
    result: dict[str, object] = {
        "file": str(big),
        "bytes": big.stat().st_size,
        "planted_at": [at for at, _ in BIG_PLANTS],
    }
    variants: list[tuple[str, list[str], tuple[int, ...], Callable[[bytes], int | None]]] = []
    if twinscan is not None:
        base = [*twinscan, "--format", "json", "--quiet", "--twin-url", args.twin_url]
        variants.append(("twinscan", [*base, str(big)], TWINSCAN_OK, count_twinscan))
        variants.append(("twinscan --engine re", [*base, "--engine", "re", str(big)], TWINSCAN_OK, count_twinscan))
    if patterns is not None:
        variants.append(("rg", [rg, "-i", "-o", "-b", "-c", "-f", str(patterns), str(big)], RG_OK, count_rg))
    out = workdir / "rss.out"
    for tool, argv, ok, counter in variants:
        try:
            samples = [run_checked(argv, out, ok, sample_rss=True) for _ in range(args.rss_runs)]
        except CommandFailed as exc:
            result[tool] = {"error": str(exc)}
            continue
        sampled = [s.sampled or {} for s in samples]
        result[tool] = {
            "maxrss_mb": max(peak_rss_kb(s) for s in samples) * 1024 / MB,
            "peak_anon_mb": max(d.get("anon_kb", 0) for d in sampled) * 1024 / MB,
            "peak_file_mb": max(d.get("file_kb", 0) for d in sampled) * 1024 / MB,
            "parent_maxrss_mb": max(s.parent_maxrss_kb for s in samples) * 1024 / MB,
            "median_s": statistics.median(s.wall_s for s in samples),
            "matches": counter(out.read_bytes()),
            "command": shlex.join(argv),
        }
    return result


# --------------------------------------------------------------------------- report


def fmt(value: object, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def print_throughput(rows: list[dict[str, object]], corpus: Corpus) -> None:
    print(f"\nThroughput: {corpus.bytes / MB:.1f} MB corpus ({corpus.files} files in dir/, same bytes in single.js)")
    header = f"{'form':<7} {'tool':<22} {'median s':>9} {'min s':>7} {'max s':>7} {'MB/s':>7} {'vs rg':>6} {'matches':>8} {'exit':>4}"
    print(header)
    print("-" * len(header))
    for r in rows:
        if r.get("error"):
            print(f"{r['form']:<7} {r['tool']:<22} ERROR: {str(r['error']).splitlines()[0]}")
            continue
        print(
            f"{r['form']:<7} {r['tool']:<22} {fmt(r.get('median_s'), '9.3f')} {fmt(r.get('min_s'), '7.3f')} "
            f"{fmt(r.get('max_s'), '7.3f')} {fmt(r.get('mb_per_s'), '7.0f')} {fmt(r.get('ratio_vs_rg'), '6.2f')} "
            f"{fmt(r.get('matches'), '8d')} {fmt(r.get('exit_code'), '4d')}"
        )
    print("vs rg = tool median / rg median on the same form (goal for twinscan: <= 1.00).")
    print("matches: rg counts leftmost-first matches (-o -c); twinscan counts reported findings.")


def print_cold(cold: dict[str, object]) -> None:
    print(f"\nCold start on {len(cold['files'])} small files ({', '.join(cold['files'])}):")  # type: ignore[arg-type]
    for key in ("python -c pass", "rg", "twinscan"):
        stats = cold.get(key)
        if isinstance(stats, dict):
            print(
                f"  {key:<16} median {stats['median_ms']:7.1f} ms   min {stats['min_ms']:7.1f}   "
                f"p90 {stats['p90_ms']:7.1f}   ({int(stats['runs'])} runs)"
            )
    if "twinscan_error" in cold:
        print(f"  twinscan         ERROR: {cold['twinscan_error']}")


def print_rss(rss: dict[str, object]) -> None:
    print(
        f"\nPeak memory on a {int(rss['bytes']) / MB:.0f} MB single-line file "  # type: ignore[call-overload]
        f"(twin URLs planted at bytes {rss['planted_at']}):"
    )
    for tool in ("twinscan", "twinscan --engine re", "rg"):
        stats = rss.get(tool)
        if not isinstance(stats, dict):
            continue
        if "error" in stats:
            print(f"  {tool:<22} ERROR: {str(stats['error']).splitlines()[0]}")
            continue
        print(
            f"  {tool:<22} maxrss {stats['maxrss_mb']:7.1f} MB  (anon {stats['peak_anon_mb']:6.1f}, "
            f"file-backed {stats['peak_file_mb']:6.1f})  {stats['median_s']:.2f} s  matches {stats['matches']}"
        )
    print("  maxrss = the child's RSS high-water mark (mmapped file pages count); anon/file-backed = peaks sampled")
    print("  from /proc every 5 ms. The goal is checked against maxrss.")


def evaluate_goals(
    rows: list[dict[str, object]], cold: dict[str, object] | None, rss: dict[str, object] | None,
    scaling_rows: list[dict] | None = None,
) -> list[dict[str, object]]:
    goals: list[dict[str, object]] = []
    for r in rows:
        if r["tool"] in ("twinscan", "twinscan byte pass") and r.get("ratio_vs_rg") is not None:
            ratio = float(r["ratio_vs_rg"])  # type: ignore[arg-type]
            what = "wall time" if r["tool"] == "twinscan" else "byte pass"
            limit = GOAL_SMALL_RATIO if r["form"] == "small" else GOAL_RATIO
            goals.append({"goal": f"{what} <= {limit:g}x rg -j2 ({r['form']})", "value": f"{ratio:.2f}x",
                          "met": ratio <= limit})
    if cold and isinstance(cold.get("twinscan"), dict):
        ms = float(cold["twinscan"]["median_ms"])  # type: ignore[index]
        goals.append(
            {"goal": f"cold start <= {GOAL_COLD_MS:.0f} ms", "value": f"{ms:.0f} ms", "met": ms <= GOAL_COLD_MS}
        )
    if rss and isinstance(rss.get("twinscan"), dict) and "maxrss_mb" in rss["twinscan"]:  # type: ignore[operator]
        mb = float(rss["twinscan"]["maxrss_mb"])  # type: ignore[index]
        goals.append({"goal": f"peak RSS < {GOAL_RSS_MB:.0f} MB", "value": f"{mb:.0f} MB", "met": mb < GOAL_RSS_MB})
    for r in scaling_rows or []:
        goals.append({"goal": f"4x {r['shape']} <= {scaling.GOAL_RATIO:g}x the time of 1x", "value": f"{r['ratio']:.2f}x",
                      "met": r["ratio_pass"]})
        if "rss_pass" in r:
            goals.append({"goal": f"peak RSS <= {scaling.GOAL_RSS_MB:.0f} MB, {r['n_4x']:,} hits",
                          "value": f"{r['peak_rss_4x_mb']:.0f} MB", "met": r["rss_pass"]})
    return goals


def print_goals(goals: list[dict[str, object]]) -> None:
    print("\nGoals:")
    if not goals:
        print("  (nothing to evaluate: twinscan was not measured)")
    for g in goals:
        print(f"  [{'PASS' if g['met'] else 'MISS'}] {g['goal']:<44} {g['value']}")


# --------------------------------------------------------------------------- main


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--cache", type=Path, default=DEFAULT_CACHE, help=f"corpus dir (default {DEFAULT_CACHE})")
    p.add_argument(
        "--twinscan", default=None, help="twinscan command, shell-split (default: `<this python> -m twinscan`)"
    )
    p.add_argument("--rg", default=None, help="path to rg (default: rg on PATH)")
    p.add_argument(
        "--twin-url", default=DEFAULT_TWIN_URL, help=f"--twin-url passed to twinscan (default {DEFAULT_TWIN_URL!r})"
    )
    p.add_argument(
        "--patterns", type=Path, default=None, help="use this rg pattern file instead of `twinscan rules --export rg`"
    )
    p.add_argument("--runs", type=int, default=5, help="timed runs per command (default 5)")
    p.add_argument("--warmup", type=int, default=1, help="untimed warm-up rounds (default 1)")
    p.add_argument("--cold-runs", type=int, default=20, help="runs for the cold-start median (default 20)")
    p.add_argument("--rss-runs", type=int, default=1, help="runs on the big file for peak RSS (default 1)")
    p.add_argument("--big-mb", type=int, default=100, help="size of the single-line file in MB (default 100)")
    p.add_argument("--rg-only", action="store_true", help="skip twinscan (rg baseline only)")
    p.add_argument("--skip-throughput", action="store_true")
    p.add_argument("--skip-cold", action="store_true")
    p.add_argument("--skip-rss", action="store_true")
    p.add_argument("--skip-small", action="store_true", help="skip the 50,000 small files (built once into CACHE/small)")
    p.add_argument("--skip-scaling", action="store_true", help="skip the 4x/1x scaling shapes (bench/scaling.py)")
    p.add_argument("--scaling-runs", type=int, default=3, help="runs per scaling shape and size (default 3)")
    p.add_argument("--json", type=Path, default=None, metavar="FILE", help="also write results as JSON")
    p.add_argument("--check", action="store_true", help="exit 3 if a goal is missed")
    args = p.parse_args(argv)
    if args.runs < 1 or args.warmup < 0 or args.cold_runs < 1 or args.rss_runs < 1:
        p.error("--runs, --cold-runs, --rss-runs must be >= 1 and --warmup >= 0")
    return args


def resolve_twinscan(args: argparse.Namespace) -> tuple[list[str] | None, str]:
    """Return (argv prefix or None, version or error text)."""
    if args.rg_only:
        return None, "skipped (--rg-only)"
    cmd = shlex.split(args.twinscan) if args.twinscan else [sys.executable, "-m", "twinscan"]
    try:
        return cmd, tool_version([*cmd, "--version"])
    except (CommandFailed, OSError) as exc:
        return None, f"twinscan is not usable ({shlex.join(cmd)} --version): {exc}"


def prepare_patterns(
    args: argparse.Namespace, twinscan: list[str] | None, rg: str, workdir: Path
) -> tuple[Path | None, str]:
    pats = workdir / "pats.txt"
    try:
        if args.patterns:
            shutil.copyfile(args.patterns, pats)
            source = f"file {args.patterns}"
        elif twinscan is not None:
            export_patterns(twinscan, args.twin_url, pats)
            source = "twinscan rules --export rg --twin-url " + shlex.quote(args.twin_url)
        else:
            return None, "no patterns: twinscan unavailable and --patterns not given"
    except (CommandFailed, OSError) as exc:
        return None, f"pattern export failed: {exc}"
    n = check_patterns(rg, pats, workdir)
    return pats, f"{n} patterns from {source}"


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        rg = find_rg(args.rg)
        corpus = load_corpus(args.cache.resolve())
        check_rg_sees_all_files(rg, corpus)
    except SetupError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    workdir = corpus.cache / "run"
    (workdir / "out").mkdir(parents=True, exist_ok=True)

    twinscan, ts_version = resolve_twinscan(args)
    try:
        patterns, pat_info = prepare_patterns(args, twinscan, rg, workdir)
    except SetupError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    errors: list[str] = []
    if twinscan is None and not args.rg_only:
        errors.append(ts_version)
    if patterns is None:
        errors.append(pat_info)

    print("twinscan benchmark")
    print(f"  machine : {os.cpu_count()} CPUs, {platform.platform()}, Python {platform.python_version()}")
    print(f"  rg      : {tool_version([rg, '--version'])} ({rg})")
    print(f"  twinscan: {ts_version}")
    print(f"  patterns: {pat_info}")
    print(
        f"  corpus  : {corpus.cache} ({corpus.bytes:,} bytes, {corpus.files} files, "
        f"{corpus.manifest.get('planted_total')} URLs planted)"
    )

    results: dict[str, object] = {
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version()},
        "rg_version": tool_version([rg, "--version"]),
        "twinscan_version": ts_version,
        "patterns": pat_info,
        "corpus": {
            "path": str(corpus.cache),
            "bytes": corpus.bytes,
            "files": corpus.files,
            "planted_total": corpus.manifest.get("planted_total"),
        },
        "runs": args.runs,
        "warmup": args.warmup,
    }
    if twinscan is not None:
        compile_bytecode(twinscan)
    rows: list[dict[str, object]] = []
    if not args.skip_throughput:
        small = None
        if not args.skip_small:
            print("Building the 50,000 small files (once) ...", file=sys.stderr)
            small = smallfiles.build(corpus.cache / "bundles", corpus.cache / "small", 50_000, 2.4)
        benches = throughput_benches(args, corpus, twinscan, rg, patterns, small)
        print(f"\nTiming {len(benches)} commands x ({args.warmup} warm-up + {args.runs}) rounds ...", file=sys.stderr)
        run_interleaved(benches, args.runs, args.warmup, workdir / "out")
        rg_median = {
            b.form: statistics.median(s.wall_s for s in b.samples) for b in benches if b.tool == "rg" and b.samples
        }
        sizes = {"small": sum(p.stat().st_size for p in small.rglob("*.js"))} if small is not None else {}
        rows = [bench_row(b, sizes.get(b.form, corpus.bytes), rg_median.get(b.form)) for b in benches]
        errors += [f"{r['form']}:{r['tool']}: {r['error']}" for r in rows if r.get("error")]
        print_throughput(rows, corpus)
        results["throughput"] = rows
    cold = None
    if not args.skip_cold:
        print(f"\nCold start: {args.cold_runs} runs each ...", file=sys.stderr)
        cold = measure_cold(args, twinscan, rg, workdir)
        if "twinscan_error" in cold and twinscan is not None:
            errors.append(f"cold start: {cold['twinscan_error']}")
        print_cold(cold)
        results["cold_start"] = cold
    rss = None
    if not args.skip_rss:
        print(f"\nPeak RSS on a {args.big_mb} MB single-line file ...", file=sys.stderr)
        rss = measure_rss(args, corpus, twinscan, rg, patterns, workdir)
        errors += [f"rss {k}: {v['error']}" for k, v in rss.items() if isinstance(v, dict) and "error" in v]
        print_rss(rss)
        results["peak_rss"] = rss
    scaling_rows = None
    if not args.skip_scaling and twinscan is not None:
        print(f"\nScaling shapes: 1x and 4x, {args.scaling_runs} runs each ...", file=sys.stderr)
        try:
            scaling_rows = scaling.measure(twinscan, args.scaling_runs)
        except RuntimeError as exc:
            errors.append(f"scaling: {exc}")
        else:
            print("\nScaling (time at 4x the input / time at 1x; linear is 4, quadratic 16):")
            scaling.print_rows(scaling_rows)
            results["scaling"] = scaling_rows
    goals = evaluate_goals(rows, cold, rss, scaling_rows)
    print_goals(goals)
    results["goals"] = goals
    results["errors"] = errors

    if args.json:
        args.json.write_text(json.dumps(results, indent=2, default=str) + "\n")
        print(f"\nwrote {args.json}")
    if errors:
        print("\nERRORS:", file=sys.stderr)
        for e in errors:
            print(f"  - {e}", file=sys.stderr)
        return 1
    if args.check and not all(g["met"] for g in goals):
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(main())
