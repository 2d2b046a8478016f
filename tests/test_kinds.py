"""The registry of artifact kinds (twinscan/extract/registry.py): one module per kind, claims and dispatch."""
from __future__ import annotations

import functools
import importlib
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import twinscan.extract as extract
from twinscan.classify import artifact_kind
from twinscan.extract import annotate, registry
from twinscan.extract.hits import Hit
from twinscan.extract.kind import Kind

from .conftest import cli_json

EXTRACT = os.path.join(os.path.dirname(registry.__file__))


def _source(name: str) -> str:
    """A kind's module source: `extract/<name>.py`, or `extract/<name>/__init__.py` for a package."""
    path = os.path.join(EXTRACT, f"{name}.py")
    if not os.path.exists(path):
        path = os.path.join(EXTRACT, name, "__init__.py")
    with open(path, encoding="utf-8") as f:
        return f.read()


def test_each_kind_is_named_after_its_module_and_listed_once():
    kinds = registry.kinds()
    assert [k.name for k in kinds] == list(registry.MODULES) and len(set(registry.MODULES)) == len(kinds)
    modules = [f[:-3] for f in os.listdir(EXTRACT) if f.endswith(".py")]
    modules += [d for d in os.listdir(EXTRACT) if os.path.isfile(os.path.join(EXTRACT, d, "__init__.py"))]
    declaring = sorted(m for m in modules if "\nKIND = Kind(" in _source(m))
    assert declaring == sorted(registry.MODULES)  # a module declaring a KIND is registered


@pytest.mark.parametrize("path,kind", [
    (".env", "dotenv"), ("web/.env.production.local", "dotenv"), ("deploy/production.env", "dotenv"),
    ("Dockerfile", "dockerfile"), ("docker/Dockerfile.prod", "dockerfile"), ("api.dockerfile", "dockerfile"),
    ("Dockerfile.dockerignore", "text"),
    ("compose.yaml", "compose"), ("docker-compose.prod.yml", "compose"), ("compose-dev.yaml", "compose"),
    (".github/workflows/deploy.yml", "workflows"), (".github/workflows/docker-compose.yml", "compose"),
    (".gitlab-ci.yml", "workflows"), ("svc/.circleci/config.yml", "workflows"), ("bitbucket-pipelines.yml", "workflows"),
    ("pyproject.toml", "text"),
    ("k8s/deploy.yaml", "kubernetes"), ("openapi.yaml", "kubernetes"), ("values-prod.yml", "kubernetes"),
    ("dist/app.mjs", "javascript"), ("dist/app.js.br", "javascript"), ("index.HTML", "html"),
    ("app.js.map", "sourcemap"), ("config.json", "image"), ("site.webmanifest", "image"),
    ("page.rsc", "text"), ("README", "text"), ("x.unknown", "text"),
])
def test_claims(path, kind):
    assert artifact_kind(path) == kind


def test_classifying_imports_no_parser():
    """A pre-commit run pays every import: classifying paths imports neither PyYAML, tree-sitter nor tomllib."""
    code = ("import sys\nfrom twinscan.classify import Classifier\n"
            "for p in ['.env.prod-eu', 'k8s/a.yaml', 'a.js', '.github/workflows/x.yml', 'x.json']:\n"
            "    Classifier().classify(p)\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('yaml', 'tree_sitter', 'tomllib', 'tomli', 'dotenv')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_a_sniffing_kind_claims_a_generic_name_only_by_content():
    sam = Kind("sam", globs=("template.{yml,yaml}",), sniff=lambda head: b"AWS::Serverless" in head)
    assert sam.claims("infra/template.yaml", lambda: b"Transform: AWS::Serverless-2016-10-31\n")
    assert not sam.claims("infra/template.yaml", lambda: b"kind: ConfigMap\n")
    assert not sam.claims("infra/template.yaml")  # no content to look at: not claimed
    assert not sam.claims("infra/other.yaml", lambda: b"AWS::Serverless")


def test_globs():
    k = Kind("x", globs=("a/**/*.{yml,yaml}", "b?.txt"), exclude=("a/skip/*",))
    assert k.claims("a/x.yml") and k.claims("r/a/b/c/x.YAML") and k.claims("b1.txt")
    assert not k.claims("a/skip/x.yml") and not k.claims("ab/x.yml") and not k.claims("b12.txt")


def test_annotate_dispatch():
    """JavaScript uses its own annotator; a structured kind whose values could not be read reads
    keys and `#` comments from the line; any other kind only the key."""
    def hit(prefix: bytes) -> Hit:
        return Hit(len(prefix), len(prefix) + 10, prefix)

    js = b'const x = 1; // "'
    [h] = hits = [hit(js)]
    annotate("javascript", hits, lambda limit=None: js + b'http://localhost:4111"\n')
    assert h.context == "comment"
    [h] = hits = [hit(b"# API_URL=")]
    annotate("dotenv", hits, lambda limit=None: None)
    assert (h.key, h.context) == ("API_URL", "comment")
    [h] = hits = [hit(b"# API_URL=")]
    annotate("text", hits, lambda limit=None: None)
    assert (h.key, h.context) == ("API_URL", "value")


def test_parse_errors_name_the_format_as_before(tmp_path):
    (tmp_path / "k8s").mkdir()
    (tmp_path / "k8s" / "cm.yaml").write_text("data:\n  API: http://localhost:4111\n  bad: [\n")
    code, doc = cli_json(["k8s"], cwd=tmp_path)
    assert code == 1 and doc["errors"][0]["message"].startswith("cannot parse as yaml: ")


def test_kind_modules_do_not_import_the_extract_package():
    """Kinds import leaf modules (hits, kind, values), never `twinscan.extract` itself: no import cycle."""
    for name in registry.MODULES:
        src = _source(name)
        assert "from . import" not in src.replace("from . import javascript", ""), name
        importlib.import_module(f"twinscan.extract.{name}")


def test_the_scan_lets_a_kind_sniff_content(monkeypatch):
    """A kind that claims a generic name by content sees the file's head through the scan."""
    from .conftest import scan_bytes

    def mark(hits, text):
        for h in hits:
            h.key = "SAM"

    # named apart from the real `sam` kind, whose lookups may already be cached by earlier tests
    sam = Kind("sam-sniff-test", globs=("template.yaml",), sniff=lambda head: b"AWS::Serverless" in head, annotate=mark)
    real = registry.kinds()
    monkeypatch.setattr(registry, "kinds", lambda: (sam, *real))
    monkeypatch.setattr(registry, "get", lambda name: next(k for k in registry.kinds() if k.name == name))
    monkeypatch.setattr(extract, "get", registry.get)  # annotate's dispatch (get imports a listed module only)
    monkeypatch.setattr(registry, "claims", lambda: registry.claims_of(registry.kinds()))
    for cached in ("_name_chain", "_path_chain", "_path_folders", "_may_claim_folder"):  # the table changed
        monkeypatch.setattr(registry, cached, functools.lru_cache(maxsize=None)(getattr(registry, cached).__wrapped__))
    sam_doc = b"Transform: AWS::Serverless-2016-10-31\nX: http://localhost:4111\n"
    other = b"kind: ConfigMap\nX: http://localhost:4111\n"
    assert [f.key for f in scan_bytes(sam_doc, "infra/template.yaml").findings] == ["SAM"]
    assert [f.key for f in scan_bytes(other, "infra/template.yaml").findings] == ["X"]


def test_claims_ignore_case_on_both_sides():
    k = Kind("x", globs=("Makefile", "*.MK"))
    assert k.claims("src/makefile") and k.claims("SRC/MAKEFILE") and k.claims("a/b.mk")


def _reference_kind(path, head=None):
    """The claim order spelled out: the first kind whose own `claims` says yes."""
    for kind in registry.kinds():
        if kind.claims(path, head):
            return kind.name
    return registry.FALLBACK


def test_one_expression_classifies_as_the_kinds_claim_in_order():
    """kind_of joins every claim into one match; it must agree with asking each kind in turn,
    for every path the tests' fixtures hold and for the awkward names below."""
    root = Path(__file__).resolve().parents[1]
    paths = [p.relative_to(root).as_posix() for base in ("fixtures", "tests") if (root / base).is_dir()
             for p in (root / base).rglob("*") if p.is_file() and "__pycache__" not in p.parts]
    paths += [
        ".env", "app/.env.production.local", "deploy/prod.env", "Dockerfile", "docker/Dockerfile.prod",
        "compose.staging.yaml", "docker-compose.yml.gz", ".github/workflows/deploy.yml", ".GITHUB/WORKFLOWS/X.YML",
        "a/.github/workflows/sub/dir/ci.yaml", "fly.toml", "netlify.toml", "wrangler.jsonc", "Procfile", "app.json",
        "render.yaml", "vercel.json", "etc/systemd/system/api.service", "api.service.d/override.conf",
        "serverless.yml", "main.tf", "template.yaml", "service.yaml", "task-definition.json", "k8s/deploy.yaml",
        "nginx.conf", "conf.d/site.conf", "dist/assets/index-DeyCErs_.js", "dist/index.html", "dist/a.js.map",
        "image.tar", "notes.txt", "README.md", "Dockerfile.dockerignore", "docker/app.Dockerfile.dockerignore",
        "dir\nname/.env", "weird\n/compose.yaml", "x.js.br", "y.env.zst",
        # extensions and folders the fast path sorts by (registry._name_chain, _may_claim_folder)
        "etc/nginx/sites-available/app", "etc/nginx/sites-enabled/app.js", "srv/nginx/conf/site.conf",
        "nginx/x.conf.template", "deploy/conf.d/a.conf", ".vercel/output/functions/api/.vc-config.json",
        ".circleci/config.yml", "a/.circleci/config.yml", "x.service.d/y.conf", "dockerfile", "x.dockerfile",
        "app.DOCKERFILE", "Dockerfile.dockerignore", "file.", ".env.", "noext", "a.b.c.yaml.", "..", ".yml",
        "compose.yml/inner.js", "fly.staging.toml", "wrangler.prod.jsonc", ".dev.vars.staging", "x-render.yaml",
        "dist/chunk.3f9a1c.js", "DIST/CHUNK.JS", "a/b.TFVARS", "terraform/x.tf.json",
    ]
    assert len(paths) > 400  # a fresh clone: the tracked fixtures and tests, plus the names above
    heads = {b"": None, b"Transform: AWS::Serverless-2016-10-31\n": None, b"kind: Service\napiVersion: v1\n": None}
    for path in paths:
        for head in heads:
            def give(h=head):
                return h
            assert registry.kind_of(path, give) == _reference_kind(path, give), (path, head)
            # a clean file is done unless its kind may be structured: may_be_structured never misses one
            assert registry.may_be_structured(path) or not registry.is_structured(registry.kind_of(path, give)), path
        assert registry.kind_of(path) == _reference_kind(path), path


def test_is_kind_agrees_with_kind_of_for_every_kind():
    """is_kind rejects by the kind's literal endings before matching; never a different answer."""
    root = Path(__file__).resolve().parents[1]
    paths = [p.relative_to(root).as_posix() for base in ("fixtures", "tests") if (root / base).is_dir()
             for p in (root / base).rglob("*") if p.is_file() and "__pycache__" not in p.parts]
    paths += ["deploy/compose.yml", "docker-compose.prod.YAML", "etc/systemd/system/api.service",
              "api.service.d/override.conf", "x.conf", "Dockerfile.prod", "app.dockerfile", "compose.yml.gz",
              ".gitlab-ci.yml", ".circleci/config.yml", "a/vercel.json", "main.tf", "x.tfvars"]
    for path in paths:
        kind = registry.kind_of(path)
        for k in registry.kinds():
            if k.name != registry.FALLBACK:  # text is also what no kind claims: is_kind asks for a claim
                assert registry.is_kind(path, k.name) == (kind == k.name), (path, k.name)


# --- the claim table, kept in the user cache (registry.claims, claimcache.py) ----------------------

def test_the_claim_table_is_the_kinds_own_claims():
    """What kind_of, kind_tails and is_structured read agrees with the Kind objects themselves."""
    assert registry.claims() == registry.claims_of(registry.kinds())
    for kind in registry.kinds():
        assert registry.kind_tails(kind.name) == kind.tails() and registry.is_structured(kind.name) == kind.structured


def test_a_warm_claim_table_classifies_without_importing_the_kinds(tmp_path):
    """A pre-commit run pays every import: with the table cached, classifying imports only the
    modules of the kinds it meets (for their sniff or name_env), not all 23; the first run
    computes the table and must classify the same."""
    code = ("import sys\nfrom twinscan.classify import Classifier\nfrom twinscan.extract import registry\n"
            "c = Classifier()\n"
            "got = [c.classify(p).kind for p in ['.env.production', 'app.js', 'notes.txt', 'infra/template.yaml']]\n"
            "print(got, registry.claims() == registry.claims_of(registry.kinds.__wrapped__()) if len(sys.argv) > 1 else '',"
            " sorted(m.split('.')[2] for m in sys.modules if m.startswith('twinscan.extract.')"
            " and m.split('.')[2] in registry.MODULES))")
    env = {**os.environ, "TWINSCAN_CACHE_DIR": str(tmp_path / "cache")}
    first = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout
    assert os.listdir(tmp_path / "cache") and first.startswith("['dotenv', 'javascript', 'text', 'kubernetes']")
    warm = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout
    # name_env of the kinds met; a .env name says its environment itself; no head, so no sniff ran
    assert warm.strip() == "['dotenv', 'javascript', 'text', 'kubernetes']  ['javascript', 'kubernetes', 'text']", warm
    checked = subprocess.run([sys.executable, "-c", code, "check"], env=env, capture_output=True, text=True, check=True)
    assert " True " in checked.stdout, checked.stdout


def test_the_claim_cache_is_keyed_by_the_sources(tmp_path):
    """Editing a kind module (size or modification time) or adding one changes the key, so a
    stale table is never read; a damaged or foreign file reads as no cache."""
    from twinscan.extract import claimcache

    (tmp_path / "sub").mkdir()
    (tmp_path / "a.py").write_text("KIND = 1\n")
    (tmp_path / "sub" / "b.py").write_text("x = 1\n")
    (tmp_path / "notes.txt").write_text("not source\n")
    key = claimcache.source_key(str(tmp_path))
    assert "a.py:" in key and "sub/b.py:" in key and "notes" not in key
    os.utime(tmp_path / "a.py", ns=(1, 1))
    assert claimcache.source_key(str(tmp_path)) != key
    key = claimcache.source_key(str(tmp_path))
    (tmp_path / "sub" / "b.py").write_text("x = 22\n")
    assert claimcache.source_key(str(tmp_path)) != key
    key = claimcache.source_key(str(tmp_path))
    (tmp_path / "sub" / "c.py").write_text("")
    assert claimcache.source_key(str(tmp_path)) != key

    table = registry.claims_of(registry.kinds())
    path = str(tmp_path / "kinds.json")
    claimcache.write(path, "k1", table)
    assert claimcache.read(path, "k1", registry.MODULES) == table
    assert claimcache.read(path, "k2", registry.MODULES) is None  # other sources
    assert claimcache.read(path, "k1", registry.MODULES[1:]) is None  # another list of kinds
    with open(path, "r+b") as f:
        f.truncate(100)
    assert claimcache.read(path, "k1", registry.MODULES) is None
    assert claimcache.read(str(tmp_path / "none.json"), "k1", registry.MODULES) is None


_DIRS = ["", "a/", "nginx/", "etc/nginx/sites-available/", "sites-enabled/", "conf.d/", ".github/workflows/",
         ".github/workflows/sub/", ".circleci/", ".vercel/output/", ".vercel/output/functions/f/", "x.service.d/",
         "overlays/staging/", "Nginx/", "k8s/"]
_STEMS = ["", "app", "x.", ".env", "docker-compose", "compose", "Dockerfile", "fly", "wrangler", "render", "serverless",
          "default", "nginx", "config", "kustomization", "template", "a-render", ".dev.vars", "api", "chunk.3f9a"]
_ENDS = ["", ".js", ".yml", ".yaml", ".YAML", ".json", ".jsonc", ".toml", ".env", ".conf", ".conf.template", ".service",
         ".tf", ".tfvars", ".map", ".dockerfile", ".dockerignore", ".vc-config.json", ".prod", ".", ".gz", ".txt"]


@settings(max_examples=600, deadline=None)
@given(st.sampled_from(_DIRS), st.sampled_from(_STEMS), st.sampled_from(_ENDS), st.sampled_from(_ENDS))
def test_the_fast_claim_agrees_with_each_kinds_claim(folder, stem, end1, end2):
    """kind_of sorts names by extension and paths by folder before matching: never a different
    answer from asking each kind in turn."""
    path = folder + stem + end1 + end2
    if not path or path.endswith("/"):
        return
    assert registry.kind_of(path) == _reference_kind(path), path
    assert registry.may_be_structured(path) or not registry.is_structured(registry.kind_of(path, lambda: b"kind: Service\n")), path


def test_may_be_structured_clears_chunks_and_keeps_config_files():
    """The quick answer for a clean file: a build's chunks are not config files; config names are asked in full."""
    for path in ("dist/assets/index-DeyCErs_.js", "small/d042/chunk-3f9a8b.js", "dist/a.js.map", "dist/index.html",
                 "DIST/CHUNK.JS", "docs/notes.txt"):
        assert not registry.may_be_structured(path), path
    for path in (".env.production", "deploy/prod.env", "Dockerfile", "compose.yaml", ".github/workflows/ci.yml",
                 "etc/nginx/sites-enabled/app", "fly.toml", "vercel.json", "k8s/deploy.yaml", "x.env.gz", "MAIN.TF"):
        assert registry.may_be_structured(path), path


def test_an_ending_fixes_or_ends_the_extension():
    may_end = registry._may_end
    assert may_end(None, "anything") and may_end((".yml", "compose.yaml"), "yaml")
    assert may_end(("file",), "makefile") and may_end(("dockerfile",), "dockerfile")  # `*file`, `Dockerfile`
    assert not may_end((".yml",), "yaml") and not may_end(("file",), "files") and not may_end((".env",), "")
