"""The pre-commit hooks in .pre-commit-hooks.yaml, run by the real pre-commit package.

A hook repository is made from this checkout's working tree (tracked and new files, as
`git ls-files --cached --others --exclude-standard` lists them) and committed, so `rev:` is a
real commit. A user repository gets the README's `.pre-commit-config.yaml` with `repo:` and
`rev:` pointed at it. pre-commit builds the hook's virtualenv with pip (PyPI) once per test
session (PRE_COMMIT_HOME is shared); every test after the first reuses it.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from .helpers import doc_page

pytestmark = pytest.mark.slow  # real git and pre-commit runs

ROOT = Path(__file__).resolve().parent.parent
BUILDS = ROOT / "fixtures" / "builds"
HOOKS = {h["id"]: h for h in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))}

TWIN_ENV = """\
# Production build settings (Vite reads VITE_* at build time)
VITE_STRIPE_PUBLISHABLE_KEY=pk_live_51NfJ2kLx0aBcDeFgHiJkLmNoP
VITE_STRIPE_BASE_URL=http://localhost:4111
VITE_POSTHOG_HOST=https://us.i.posthog.com
"""
CLEAN_ENV = """\
# Production build settings (Vite reads VITE_* at build time)
VITE_STRIPE_PUBLISHABLE_KEY=pk_live_51NfJ2kLx0aBcDeFgHiJkLmNoP
VITE_POSTHOG_HOST=https://us.i.posthog.com
"""


def _git_env(home: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(GIT_AUTHOR_NAME="twinscan tests", GIT_AUTHOR_EMAIL="tests@example.com",
               GIT_COMMITTER_NAME="twinscan tests", GIT_COMMITTER_EMAIL="tests@example.com",
               GIT_CONFIG_GLOBAL=os.devnull, GIT_CONFIG_NOSYSTEM="1", PRE_COMMIT_HOME=str(home),
               PRE_COMMIT_COLOR="never", NO_COLOR="1")
    return env


def git(cwd: Path, *args: str, env: dict) -> str:
    p = subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, text=True)
    assert p.returncode == 0, f"git {' '.join(args)}: {p.stderr}"
    return p.stdout


@pytest.fixture(scope="session")
def hook_repo(tmp_path_factory) -> tuple[Path, str, dict]:
    """(hook repository, its commit, environment with the shared PRE_COMMIT_HOME)."""
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("needs git and a git checkout of twinscan")
    base = tmp_path_factory.mktemp("pre-commit")
    env = _git_env(base / "home")
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                            env=env, capture_output=True, check=True).stdout.decode().split("\0")
    repo = base / "twinscan-hooks"
    for rel in filter(None, listed):
        src = ROOT / rel
        if src.is_file():  # deleted in the working tree: not part of it
            (repo / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, repo / rel)
    git(repo, "init", "-q", "-b", "main", env=env)
    git(repo, "add", "-A", env=env)
    git(repo, "commit", "-q", "-m", "twinscan working tree", env=env)
    return repo, git(repo, "rev-parse", "HEAD", env=env).strip(), env


def _readme_section() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    return readme.split("\n## pre-commit\n", 1)[1].split("\n## ", 1)[0]


def _readme_config(repo: Path, rev: str) -> str:
    section = _readme_section()
    block = re.search(r"```yaml\n(# \.pre-commit-config\.yaml\n.*?)```", section, re.S)
    assert block, "README ## pre-commit shows a .pre-commit-config.yaml"
    text = block.group(1)
    text, n = re.subn(r"repo: https://github\.com/OWNER/twinscan", f"repo: {repo}", text)
    assert n == 1
    text, n = re.subn(r"rev: \S+", f"rev: {rev}", text)
    assert n == 1
    return text


def _user_repo(tmp_path: Path, hook_repo) -> tuple[Path, dict]:
    repo, rev, env = hook_repo
    user = tmp_path / "app"
    user.mkdir()
    git(user, "init", "-q", "-b", "main", env=env)
    (user / ".pre-commit-config.yaml").write_text(_readme_config(repo, rev))
    (user / "src").mkdir()
    (user / "src" / "main.ts").write_text("export const stripeBase = import.meta.env.VITE_STRIPE_BASE_URL;\n")
    git(user, "add", "-A", env=env)
    git(user, "commit", "-q", "-m", "app", env=env)
    return user, env


def pre_commit(cwd: Path, env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pre_commit", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=600)


def test_hook_definitions():
    a, b = HOOKS["twinscan"], HOOKS["twinscan-artifacts"]
    assert a["entry"] == "twinscan" and a["pass_filenames"] is True and "stages" not in a
    assert b["entry"] == "twinscan --artifacts" and b["pass_filenames"] is False and b["always_run"] is True
    assert b["stages"] == ["pre-push", "manual"]
    p = subprocess.run([sys.executable, "-m", "pre_commit", "validate-manifest", str(ROOT / ".pre-commit-hooks.yaml")],
                       capture_output=True, text=True)
    assert p.returncode == 0, p.stdout + p.stderr


@pytest.mark.parametrize("path", [
    ".env", ".env.production", ".env.production.local", "apps/web/.env.staging", "deploy/production.env",
    "Dockerfile", "docker/Dockerfile.prod", "services/api.dockerfile", "compose.yaml", "docker-compose.yml",
    "docker-compose.override.yml", "deploy/compose.prod.yaml", ".github/workflows/deploy.yml",
    ".gitlab-ci.yml", ".circleci/config.yml", "bitbucket-pipelines.yml", "charts/web/values-production.yaml",
    "charts/web/templates/deployment.yaml", "k8s/deployment.yaml", "deploy/overlays/prod/kustomization.yaml",
    "infra/kubernetes/configmap.yml", "helm/values.yaml",
])
def test_files_pattern_takes_config_files(path):
    assert re.search(HOOKS["twinscan"]["files"], path)


@pytest.mark.parametrize("path", [
    "src/main.ts", "src/env.ts", "openapi.yaml", "api/spec.yaml", "mkdocs.yml", ".pre-commit-config.yaml",
    "environment.yml", ".envrc", "README.md", "docs/compose.md", "dist/assets/index-DeyCErs_.js",
    "Dockerfile.dockerignore", "pyproject.toml", "package.json",
])
def test_files_pattern_leaves_other_files(path):
    assert not re.search(HOOKS["twinscan"]["files"], path)


def test_files_pattern_is_generated_from_the_kinds():
    """`python -m twinscan.extract.hookfiles --write` after a kind is added or its claim changes."""
    from twinscan.extract import hookfiles

    assert HOOKS["twinscan"]["files"] == hookfiles.pattern()
    p = subprocess.run([sys.executable, "-m", "twinscan.extract.hookfiles"], capture_output=True, text=True, check=True)
    assert p.stdout == hookfiles.pattern()


def test_files_pattern_takes_every_kind_of_config_file():
    """Each config kind's claimed names (its own, or those the kind keeps for the hook) are taken."""
    from twinscan.classify import artifact_kind
    from twinscan.extract.registry import kinds

    samples = {
        "dotenv": [".env", "web/.env.production.local", "deploy/Production.env"],
        "dockerfile": ["Dockerfile", "docker/Dockerfile.prod", "api.dockerfile"],
        "compose": ["compose.yaml", "compose.yml", "docker-compose.yml", "a/compose.prod.yaml", "compose-dev.yml"],
        "workflows": [".github/workflows/deploy.yml", ".github/workflows/ci.yaml", ".gitlab-ci.yml",
                      ".circleci/config.yml", "bitbucket-pipelines.yml"],
        "fly": ["fly.toml", "apps/api/fly.staging.toml"],
        "netlify": ["netlify.toml", "site/netlify.toml"],
        "wrangler": ["wrangler.toml", "wrangler.jsonc", "workers/api/wrangler.json", ".dev.vars", ".dev.vars.staging"],
        "render": ["render.yaml", "infra/render-staging.yaml"],
        "vercel": ["vercel.json", "apps/web/vercel.json"],
        "heroku": ["app.json"],  # claimed by content: Heroku's keys, not Expo's
        "kubernetes": ["values.yaml", "charts/web/values-prod.yml", "kustomization.yaml", "k8s/a.yaml",
                       "deploy/overlays/prod/patch.yml", "argocd/apps/web.yaml"],
        "nginx": ["nginx.conf", "nginx/default.conf", "deploy/nginx/conf.d/app.conf", "sites-enabled/shop"],
        "systemd": ["deploy/api.service", "etc/systemd/system/api.service.d/override.conf"],
        "serverless": ["serverless.yml", "api/serverless.staging.yaml"],
        "terraform": ["infra/main.tf", "environments/prod/terraform.tfvars", "staging.auto.tfvars"],
        "sam": ["template.yaml", "api/template.yml"],
        "cloudrun": ["service.yaml", "deploy/service-staging.yaml"],
        "ecs": ["task-definition.json", "ecs/api.json", "taskdef.prod.json"],
    }
    heads = {"heroku": b'{"name": "api", "env": {"STRIPE_API_BASE": {"value": "https://api.stripe.com"}}}',
             "sam": b"Transform: AWS::Serverless-2016-10-31\n", "cloudrun": b"apiVersion: serving.knative.dev/v1\n",
             "ecs": b'{"containerDefinitions": []}'}  # kinds that claim a generic name by content
    config_kinds = {k.name for k in kinds() if k.hook_globs}
    assert config_kinds == set(samples), "add samples for a new config kind here"
    for kind, paths in samples.items():
        for path in paths:
            head = heads.get(kind)
            got = artifact_kind(path, None if head is None else lambda: head)
            assert got == kind and re.search(HOOKS["twinscan"]["files"], path), path



# --- README's snippets: what a user copies ---------------------------------------------------

def _readme_local_config() -> str:
    block = re.search(r"```yaml\n(# \.pre-commit-config\.yaml, with twinscan installed\n.*?)```", doc_page("pre-commit.md"),
                      re.S)
    assert block, "README ## pre-commit shows the `repo: local` form"
    return block.group(1)


def test_readme_remote_config_is_honest_about_rev_and_explicit_about_stages():
    section = _readme_section()
    block = re.search(r"```yaml\n(# \.pre-commit-config\.yaml\n.*?)```", section, re.S).group(1)
    [repo] = yaml.safe_load(block)["repos"]
    # no release is tagged: `rev:` is a full commit SHA (a tag name would not exist), and README says so
    assert re.fullmatch(r"[0-9a-f]{40}", str(repo["rev"])) and "no release tag yet" in block
    assert "**no public release yet**" in section and "placeholder" in section
    assert {h["id"]: h["stages"] for h in repo["hooks"]} == {"twinscan": ["pre-commit"],
                                                           "twinscan-artifacts": ["pre-push", "manual"]}
    assert HOOKS["twinscan-artifacts"]["stages"] == ["pre-push", "manual"]


def test_readme_local_config_is_the_published_hooks():
    """The `repo: local` hooks are the published ones: same entry, files pattern (generated from the
    kinds), filenames and stages; only the language differs (the twinscan on PATH)."""
    from twinscan.extract import hookfiles

    [repo] = yaml.safe_load(_readme_local_config())["repos"]
    assert repo["repo"] == "local"
    local = {h["id"]: h for h in repo["hooks"]}
    assert set(local) == set(HOOKS)
    assert local["twinscan"]["files"] == hookfiles.pattern() == HOOKS["twinscan"]["files"]
    for hid, hook in local.items():
        assert hook["language"] == "system"
        for key in ("name", "entry", "pass_filenames", "always_run"):
            assert hook.get(key, HOOK_DEFAULTS.get(key)) == HOOKS[hid].get(key, HOOK_DEFAULTS.get(key)), (hid, key)
    assert local["twinscan"]["stages"] == ["pre-commit"] and local["twinscan-artifacts"]["stages"] == HOOKS[
        "twinscan-artifacts"]["stages"]


HOOK_DEFAULTS = {"pass_filenames": True, "always_run": False}


def test_readme_kind_table_is_the_registry():
    """README lists the files the commit hook takes, one row per config kind, from the registry."""
    from twinscan.extract.registry import kinds

    section = doc_page("pre-commit.md")
    for k in kinds():
        if not k.hook_globs:
            continue
        row = f"| {k.name} | {', '.join(f'`{g}`' for g in k.hook_globs)}"
        if k.exclude:
            row += f" (not {', '.join(f'`{g}`' for g in k.exclude)})"
        assert row + " |\n" in section, f"README ## pre-commit: add or update the row\n{row} |"


def test_readme_local_config_runs(tmp_path, hook_repo):
    """The `repo: local` block as copied, with the twinscan of this checkout on PATH."""
    _, _, env = hook_repo
    env = {**env, "PATH": f"{os.path.dirname(sys.executable)}{os.pathsep}{env['PATH']}"}
    user = tmp_path / "app"
    user.mkdir()
    git(user, "init", "-q", "-b", "main", env=env)
    (user / ".pre-commit-config.yaml").write_text(_readme_local_config())
    (user / "src").mkdir()
    (user / "src" / "dev.ts").write_text("export const devStripe = 'http://localhost:4111';\n")
    (user / "fly.production.toml").write_text('app = "web"\n[env]\n  STRIPE_API_BASE = "http://localhost:4111"\n')
    git(user, "add", "-A", env=env)
    p = pre_commit(user, env, "run")
    assert p.returncode == 1, p.stdout + p.stderr
    assert "twinscan (twin URLs in config files)" in p.stdout and "fly.production.toml" in p.stdout
    assert "src/dev.ts" not in p.stdout  # source is not deploy configuration
    (user / "fly.production.toml").write_text('app = "web"\n[env]\n  STRIPE_API_BASE = "https://api.stripe.com"\n')
    (user / ".env.development").write_text("VITE_STRIPE_BASE_URL=http://localhost:4111\n")
    git(user, "add", "-A", env=env)
    p = pre_commit(user, env, "run")
    assert p.returncode == 0, p.stdout + p.stderr
    assert "twinscan-artifacts" not in p.stdout  # a push-time hook
    p = pre_commit(user, env, "run", "--hook-stage", "manual", "twinscan-artifacts")
    assert p.returncode == 1 and "no `artifacts:` paths in config" in p.stdout


def test_staged_env_files(tmp_path, hook_repo):
    """One user repository, three commits through the real hook: refused, then accepted."""
    user, env = _user_repo(tmp_path, hook_repo)
    (user / ".env.production").write_text(TWIN_ENV)
    git(user, "add", ".env.production", env=env)
    p = pre_commit(user, env, "run", "twinscan")
    assert p.returncode == 1, p.stdout + p.stderr
    assert "twinscan (twin URLs in config files)" in p.stdout and "Failed" in p.stdout
    assert ".env.production:" in p.stdout and "http://localhost:4111  loopback-url  BLOCKING" in p.stdout

    # the real commit path: `pre-commit install`, then git commit is refused by the hook
    assert pre_commit(user, env, "install").returncode == 0
    c = subprocess.run(["git", "commit", "-q", "-m", "prod env"], cwd=user, env=env, capture_output=True, text=True)
    assert c.returncode != 0 and "localhost:4111" in c.stdout + c.stderr
    assert git(user, "rev-list", "--count", "HEAD", env=env).strip() == "1"

    (user / ".env.production").write_text(CLEAN_ENV)
    git(user, "add", ".env.production", env=env)
    c = subprocess.run(["git", "commit", "-q", "-m", "prod env"], cwd=user, env=env, capture_output=True, text=True)
    assert c.returncode == 0, c.stdout + c.stderr
    assert git(user, "rev-list", "--count", "HEAD", env=env).strip() == "2"

    # a development env file named explicitly is still development: reported, not blocking
    (user / ".env.development").write_text("VITE_STRIPE_BASE_URL=http://localhost:4111\nVITE_POSTHOG_HOST=http://localhost:4112\n")
    git(user, "add", ".env.development", env=env)
    p = pre_commit(user, env, "run", "twinscan", "--verbose")
    assert p.returncode == 0, p.stdout + p.stderr
    assert "http://localhost:4111  loopback-url  not blocking" in p.stdout and "BLOCKING" not in p.stdout
    c = subprocess.run(["git", "commit", "-q", "-m", "dev env"], cwd=user, env=env, capture_output=True, text=True)
    assert c.returncode == 0, c.stdout + c.stderr


def test_only_staged_config_files_are_passed(tmp_path, hook_repo):
    user, env = _user_repo(tmp_path, hook_repo)
    # source code is not a config file: a twin URL in it is the bundle's business (twinscan dist/)
    (user / "src" / "dev.ts").write_text("export const devStripe = 'http://localhost:4111';\n")
    # an unstaged production env file is not what is being committed
    (user / ".env.production").write_text(TWIN_ENV)
    git(user, "add", "src/dev.ts", env=env)
    p = pre_commit(user, env, "run", "twinscan")
    assert p.returncode == 0, p.stdout + p.stderr
    assert "(no files to check)Skipped" in p.stdout
    # a Kubernetes manifest staged next to it is scanned
    (user / "k8s").mkdir()
    (user / "k8s" / "web.yaml").write_text("""\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: production}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
        - name: web
          image: ghcr.io/yourco/web:1.4.2
          env:
            - {name: STRIPE_API_BASE, value: "http://stripe-twin:4111"}
""")
    git(user, "add", "k8s/web.yaml", env=env)
    p = pre_commit(user, env, "run", "twinscan")
    assert p.returncode == 1 and "k8s/web.yaml" in p.stdout and ".env.production" not in p.stdout


def test_artifacts_hook_on_push_and_manual(tmp_path, hook_repo):
    user, env = _user_repo(tmp_path, hook_repo)
    (user / ".gitignore").write_text("dist/\n")
    (user / "twinscan.yaml").write_text("artifacts: [dist/]\n")
    git(user, "add", "-A", env=env)
    git(user, "commit", "-q", "-m", "config", env=env)
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", str(remote), env=env)
    git(user, "remote", "add", "origin", str(remote), env=env)
    assert pre_commit(user, env, "install", "--hook-type", "pre-push").returncode == 0

    def push():
        return subprocess.run(["git", "push", "-q", "origin", "main"], cwd=user, env=env, capture_output=True, text=True)

    # not built yet: the hook cannot vouch for a build that is not there
    p = push()
    assert p.returncode != 0 and "dist (artifacts: in twinscan.yaml) does not exist: run the build first" in p.stdout + p.stderr
    # a build with the twin URLs inlined: push refused
    shutil.copytree(BUILDS / "vite8-twin-local", user / "dist")
    p = push()
    assert p.returncode != 0 and "http://localhost:4111  loopback-url  BLOCKING" in p.stdout + p.stderr
    assert "dist/assets/index-" in p.stdout + p.stderr
    r = pre_commit(user, env, "run", "--hook-stage", "manual", "twinscan-artifacts")
    assert r.returncode == 1 and "BLOCKING" in r.stdout
    # the same app built with the twin variables unset: push goes through
    shutil.rmtree(user / "dist")
    shutil.copytree(BUILDS / "vite8-unset", user / "dist")
    p = push()
    assert p.returncode == 0, p.stdout + p.stderr
    assert git(remote, "rev-parse", "main", env=env) == git(user, "rev-parse", "main", env=env)
    # the artifacts hook never runs at commit time
    assert "twinscan-artifacts" not in pre_commit(user, env, "run", "--all-files").stdout


def test_artifacts_hook_without_artifacts_config(tmp_path, hook_repo):
    user, env = _user_repo(tmp_path, hook_repo)
    p = pre_commit(user, env, "run", "--hook-stage", "manual", "twinscan-artifacts")
    assert p.returncode == 1 and "- exit code: 2" in p.stdout
    assert "--artifacts: no `artifacts:` paths in config" in p.stdout


# --- `twinscan --artifacts` itself (what the twinscan-artifacts hook runs) ----------------------

def _twinscan(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "twinscan", *args], cwd=cwd, capture_output=True, text=True)


def test_artifacts_paths_are_relative_to_the_config_file(tmp_path):
    web = tmp_path / "apps" / "web"
    shutil.copytree(BUILDS / "vite8-twin-local", web / "dist")
    shutil.copytree(BUILDS / "vite8-unset", web / "public-build")
    (web / "twinscan.yaml").write_text("artifacts: [public-build, dist/]\n")
    p = _twinscan(tmp_path, "--artifacts", "--config", "apps/web/twinscan.yaml", "--format", "json")
    assert p.returncode == 1, p.stderr
    import json

    doc = json.loads(p.stdout)
    direct = json.loads(_twinscan(tmp_path, "apps/web/public-build", "apps/web/dist", "--format", "json").stdout)
    assert doc["findings"] == direct["findings"] and doc["findings"]
    assert all(f["path"].startswith("apps/web/dist/") for f in doc["findings"])
    assert doc["summary"]["files"] == direct["summary"]["files"]
    # found by discovery from the directory it runs in, too
    p = _twinscan(web, "--artifacts", "-q")
    assert p.returncode == 1 and "dist/index.html" in p.stdout


def test_artifacts_usage_and_config_errors(tmp_path):
    (tmp_path / ".git").mkdir()  # the repository root: config discovery stops here
    p = _twinscan(tmp_path, "--artifacts")
    assert p.returncode == 2 and "no `artifacts:` paths in config" in p.stderr
    (tmp_path / "twinscan.yaml").write_text("artifacts: dist\n")
    shutil.copytree(BUILDS / "vite8-unset", tmp_path / "dist")
    assert _twinscan(tmp_path, "--artifacts").returncode == 0  # one path may be written as a string
    p = _twinscan(tmp_path, "--artifacts", "dist")
    assert p.returncode == 2 and "--artifacts takes no PATH" in p.stderr
    (tmp_path / "twinscan.yaml").write_text("artifacts: [dist, 3]\n")
    p = _twinscan(tmp_path, "--artifacts")
    assert p.returncode == 2 and "`artifacts` must be a list of non-empty strings" in p.stderr
    (tmp_path / "twinscan.yaml").write_text("artifacts: [dist, .next]\n")
    p = _twinscan(tmp_path, "--artifacts", "--format", "json")
    assert p.returncode == 3 and ".next (artifacts: in twinscan.yaml) does not exist: run the build first" in p.stderr
    assert '"incomplete": true' in p.stdout
