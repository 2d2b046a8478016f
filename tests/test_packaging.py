"""What pyproject.toml and the locks in requirements/ promise about dependencies.

- The locks pin every dependency of pyproject.toml inside its range, with hashes; the test lock
  has the runtime lock's pins; both say how they are regenerated.
- Hyperscan is asked for exactly where PyPI has a wheel, and twinscan scans without it (the
  `re` engine) with the same findings.
- python-dotenv's private parser still has the shape twinscan/extract/dotenv.py uses.
- The tree-sitter runtime loads the installed JavaScript grammar.
"""
from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest
from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from twinscan.engine import hyperscan_available

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
REQUIREMENTS = {canonicalize_name(Requirement(r).name): Requirement(r) for r in PYPROJECT["project"]["dependencies"]}
BUILDS = ROOT / "fixtures" / "builds"


def _lock(name: str) -> dict[str, tuple[str, str, list[str]]]:
    """{package: (version, marker, hashes)} from a `uv pip compile --generate-hashes` file."""
    pins: dict[str, tuple[str, str, list[str]]] = {}
    current = None
    for line in (ROOT / "requirements" / name).read_text(encoding="utf-8").splitlines():
        text = line.strip().rstrip("\\").strip()
        if not text or text.startswith("#"):
            continue
        if text.startswith("--hash="):
            assert current, f"{name}: a hash before any pin"
            pins[current][2].append(text.removeprefix("--hash="))
        else:
            spec, _, marker = text.partition(";")
            pkg, _, pinned = spec.strip().partition("==")
            assert pinned, f"{name}: not an exact pin: {line!r}"
            current = canonicalize_name(pkg)
            pins[current] = (pinned, marker.strip(), [])
    return pins


# --- the locks ----------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["lock.txt", "test.txt"])
def test_every_pin_is_hashed_and_the_file_says_how_to_regenerate_it(name):
    pins = _lock(name)
    assert pins
    for pkg, (_, _, hashes) in pins.items():
        assert hashes and all(h.startswith("sha256:") and len(h) == 71 for h in hashes), pkg
    assert "bash requirements/update" in (ROOT / "requirements" / name).read_text(encoding="utf-8")
    assert (ROOT / "requirements" / "update").is_file()


def test_the_runtime_lock_pins_every_dependency_inside_its_range():
    lock = _lock("lock.txt")
    for pkg, req in REQUIREMENTS.items():
        assert pkg in lock, f"requirements/lock.txt lacks {pkg}: run bash requirements/update"
        assert req.specifier.contains(lock[pkg][0], prereleases=True), \
            f"{pkg}=={lock[pkg][0]} is outside {req.specifier}: run bash requirements/update"
    assert "setuptools" in lock  # the build backend: the README builds with --no-build-isolation


def test_the_test_lock_has_the_runtime_pins_and_the_test_tools():
    runtime, test = _lock("lock.txt"), _lock("test.txt")
    for pkg, (pinned, marker, _) in runtime.items():
        if marker and not Marker(marker).evaluate({"python_full_version": "3.11.0", "python_version": "3.11"}):
            continue  # tomli: below the test lock's Python 3.11
        assert test[pkg][0] == pinned, f"{pkg}: lock.txt pins {pinned}, test.txt {test[pkg][0]}"
    for spec in PYPROJECT["project"]["optional-dependencies"]["test"]:
        req = Requirement(spec)
        pkg = canonicalize_name(req.name)
        assert pkg in test and req.specifier.contains(test[pkg][0], prereleases=True), spec
    assert "ruff" in test  # .ci/run lints with the locked ruff


def test_the_readme_commands_install_from_the_locks_with_hashes():
    """.ci/run runs these two lines verbatim: they must install the locked, hashed set."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = readme.split("```sh\n", 1)[1].split("```", 1)[0]
    first, second = block.strip().splitlines()
    assert "pip install --require-hashes -r requirements/lock.txt && " in first
    assert "pip install --require-hashes -r requirements/test.txt && " in second
    for line in (first, second):
        assert ".venv/bin/pip install --no-deps --no-build-isolation . && " in line
        assert line.count("pip install") == 2, "every install is either the lock (hashed) or twinscan alone"
    assert second.index(".venv/bin/ruff check") < second.index("-m pytest")


# --- Hyperscan: wheels where they exist, the re engine elsewhere --------------------------------

def _env(system: str, machine: str, python: str, implementation: str = "CPython") -> dict:
    return {"sys_platform": system, "platform_machine": machine, "platform_system": "",
            "python_version": python, "python_full_version": python + ".0",
            "platform_python_implementation": implementation, "implementation_name": implementation.lower()}


# hyperscan 0.9.1 on PyPI (checked 2026-12-01): cp310-cp315 wheels for manylinux x86_64 and
# aarch64, macosx x86_64 and arm64, win_amd64; a pp310 wheel for manylinux only; nothing else.
WHEELS = [_env(s, m, py) for s, m in [("linux", "x86_64"), ("linux", "aarch64"), ("darwin", "x86_64"),
                                       ("darwin", "arm64"), ("win32", "AMD64")]
          for py in ("3.10", "3.11", "3.12", "3.13", "3.14", "3.15")]
NO_WHEEL = [_env("win32", "ARM64", "3.12"), _env("linux", "ppc64le", "3.12"), _env("linux", "s390x", "3.11"),
            _env("linux", "armv7l", "3.11"), _env("linux", "i686", "3.10"), _env("freebsd14", "amd64", "3.11"),
            _env("darwin", "arm64", "3.10", "PyPy"), _env("win32", "AMD64", "3.10", "PyPy"),
            _env("linux", "x86_64", "3.16")]


def test_hyperscan_is_asked_for_exactly_where_pypi_has_a_wheel():
    req = REQUIREMENTS["hyperscan"]
    assert req.marker is not None
    assert [e for e in WHEELS if not req.marker.evaluate(e)] == []
    assert [e for e in NO_WHEEL if req.marker.evaluate(e)] == []
    assert req.specifier.contains("0.9.1") and not req.specifier.contains("0.7.27")  # the release checked


def test_the_lock_keeps_the_hyperscan_markers():
    pinned, marker, _ = _lock("lock.txt")["hyperscan"]
    assert marker, "hyperscan without markers in the lock would send pip to its sdist"
    locked = Marker(marker)
    for env in WHEELS + NO_WHEEL:
        assert locked.evaluate(env) == REQUIREMENTS["hyperscan"].marker.evaluate(env), env


@pytest.fixture(scope="module")
def no_hyperscan(tmp_path_factory) -> dict:
    """An environment in which `import hyperscan` raises ImportError, as where it is not installed."""
    shim = tmp_path_factory.mktemp("no-hyperscan")
    (shim / "hyperscan.py").write_text("raise ImportError('No module named hyperscan (test shim)')\n")
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(shim), env.get("PYTHONPATH")]))
    return env


def _scan(env: dict | None, *args: str) -> tuple[int, dict]:
    p = subprocess.run([sys.executable, "-m", "twinscan", "--format", "json", *args], cwd=BUILDS,
                       capture_output=True, text=True, env=env, timeout=300)
    assert "Traceback" not in p.stderr, p.stderr
    return p.returncode, json.loads(p.stdout)


def test_without_hyperscan_twinscan_imports_scans_and_finds_the_same(no_hyperscan):
    builds = ["vite8-twin-local", "webpack5-twin-hosted", "esbuild-twin-local", "next-webpack-twin-local",
              "vite8-unset"]
    code, doc = _scan(no_hyperscan, *builds)
    assert doc["tool"]["engine"] == "re"
    assert code == 1 and doc["summary"]["blocking"] > 0
    reference_engine = "hyperscan" if hyperscan_available() else "re"
    ref_code, ref = _scan(None, "--engine", reference_engine, *builds)
    assert ref["tool"]["engine"] == reference_engine
    assert (code, doc["findings"], doc["errors"], doc["skipped"]) == (ref_code, ref["findings"], ref["errors"],
                                                                      ref["skipped"])
    p = subprocess.run([sys.executable, "-m", "twinscan", "--version"], capture_output=True, text=True,
                       env=no_hyperscan, timeout=60)
    assert p.returncode == 0 and "Traceback" not in p.stderr


def test_without_hyperscan_asking_for_it_is_a_clear_usage_error(no_hyperscan):
    p = subprocess.run([sys.executable, "-m", "twinscan", "--engine", "hyperscan", "vite8-unset"], cwd=BUILDS,
                       capture_output=True, text=True, env=no_hyperscan, timeout=60)
    assert p.returncode == 2 and "Traceback" not in p.stderr
    assert "--engine re" in p.stderr


# --- python-dotenv's private parser ---------------------------------------------------------------

def test_dotenv_parser_has_the_api_twinscan_uses():
    """twinscan/extract/dotenv.py calls `dotenv.parser.parse_stream` (not public API) and reads
    `key`, `value`, `error` and `original.string` of each binding, where `original.string` is
    the exact text of the binding (so byte offsets add up). If this fails after a python-dotenv
    release, fix extract/dotenv.py before widening the `python-dotenv` range in pyproject.toml."""
    assert Version(version("python-dotenv")) in REQUIREMENTS["python-dotenv"].specifier
    try:
        from dotenv.parser import parse_stream
    except ImportError as e:  # pragma: no cover - the failure this test exists for
        pytest.fail(f"python-dotenv {version('python-dotenv')} has no dotenv.parser.parse_stream: {e}")
    text = ("# twins\nexport A=1\nB=\"http://localhost:4111\n2\"\nC='${X:-http://localhost:4112}' # c\n"
            "not a binding\r\nD=${API:-https://api.wondertwin.dev/twins/stripe}\n")
    got = [(b.key, b.value, b.original.string, b.error) for b in parse_stream(io.StringIO(text))]
    assert got == [
        (None, None, "# twins\n", False),
        ("A", "1", "export A=1\n", False),
        ("B", "http://localhost:4111\n2", 'B="http://localhost:4111\n2"\n', False),
        ("C", "${X:-http://localhost:4112}", "C='${X:-http://localhost:4112}' # c\n", False),
        (None, None, "not a binding\r", True),
        ("D", "${API:-https://api.wondertwin.dev/twins/stripe}",
         "\nD=${API:-https://api.wondertwin.dev/twins/stripe}\n", False),
    ], f"python-dotenv {version('python-dotenv')} changed dotenv.parser: update twinscan/extract/dotenv.py"
    assert "".join(s for _, _, s, _ in got) == text  # the originals tile the text: offsets stay exact


# --- tree-sitter ------------------------------------------------------------------------------------

def test_the_tree_sitter_runtime_loads_the_javascript_grammar():
    """tree-sitter-javascript 0.25 is a language of ABI 15, which runtimes before 0.25 refuse."""
    assert Version(version("tree-sitter")) in REQUIREMENTS["tree-sitter"].specifier
    import tree_sitter_javascript
    from tree_sitter import Language, Parser

    tree = Parser(Language(tree_sitter_javascript.language())).parse(b"const u = `http://localhost:4111`;")
    assert tree.root_node.type == "program" and not tree.root_node.has_error


def test_a_small_scan_imports_no_yaml_parser_and_no_service_table(tmp_path):
    """A pre-commit run pays every import: three small files with no YAML among them import
    neither PyYAML (the shipped rules come from the parsed-data cache after the first run), nor
    the service table, whose command did not run, nor pathspec (the role globs are plain) nor
    python-dotenv's package (its parser is loaded on its own). Nor, once the kinds' claim table
    is cached, the kind modules of files not scanned (deploycommands with the Dockerfile kind),
    nor hashlib (OpenSSL; fingerprints use the built-in SHA-256), ipaddress (no IPv6 host) or
    the source-map parser (no bundle here has a map)."""
    (tmp_path / ".env.production").write_text("VITE_STRIPE_BASE_URL=https://api.stripe.com\n")
    (tmp_path / "config.js").write_text("export const u = process.env.STRIPE_URL ?? 'https://api.stripe.com';\n")
    (tmp_path / "app.min.js").write_text("var u=`http://127.0.0.1:4112/v1`;\n")
    lazy = ("hashlib", "ipaddress", "twinscan.deploycommands", "twinscan.extract.sourcemap.parse",
            "twinscan.extract.sourcemap.locate", *(f"twinscan.extract.{k}" for k in (
                "dockerfile", "compose", "workflows", "kubernetes", "image", "html", "terraform", "nginx")))
    # the probe looks at the process after the command: the program's fast exit is switched off
    probe = ("import runpy, sys; from twinscan import program; sys.argv = ['twinscan', '-q', '.env.production', 'config.js', 'app.min.js']\n"
             "before = set(sys.modules)  # an editable install's finder imports pathlib (and ipaddress) at startup\n"
             "try:\n    program.leave = lambda code: None; runpy.run_module('twinscan', run_name='__main__')\n"
             "except SystemExit as e:\n    code = e.code\n"
             "heavy = [m for m in ('pathspec', 'dotenv', 'dotenv.main') if m in sys.modules]\n"
             f"loaded = [m for m in {lazy!r} if m in sys.modules and m not in before]\n"
             "print(loaded or 'none', heavy or 'none', code, 'yaml' in sys.modules,"
             " 'twinscan.runtime.servicetable' in sys.modules, file=sys.stderr)\n")
    env = {**os.environ, "TWINSCAN_CACHE_DIR": str(tmp_path / "cache")}
    for run in ("first", "second"):
        r = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, env=env, capture_output=True, text=True)
        loaded, heavy, code, yaml_loaded, table_loaded = r.stderr.split()[-5:]
        assert code == "1" and table_loaded == "False" and heavy == "none", (run, r.stderr)
    assert yaml_loaded == "False", r.stderr  # the second run reads the cache
    assert loaded == "none", r.stderr  # the second run reads the kinds' claims from the cache


def test_the_dotenv_parser_loads_without_the_package_init_and_parses_the_same():
    """extract/dotenv.py loads python-dotenv's parser.py on its own (its package __init__ imports
    logging, tempfile and shutil for nothing twinscan calls); it must be the same parser."""
    code = ("import sys, io\nfrom twinscan.extract import dotenv as d\nm = d.parser()\n"
            "text = 'export A=\"x y\" # c\\nB=${A:-http://localhost:4111}\\n'\n"
            "got = [(b.key, b.value) for b in m.parse_stream(io.StringIO(text))]\n"
            "print(got, 'dotenv' in sys.modules, 'dotenv.main' in sys.modules)")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    from dotenv.parser import parse_stream

    text = 'export A="x y" # c\nB=${A:-http://localhost:4111}\n'
    expected = [(b.key, b.value) for b in parse_stream(io.StringIO(text))]
    assert r.stdout.strip() == f"{expected} False False"
