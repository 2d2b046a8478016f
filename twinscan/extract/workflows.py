"""CI workflows: GitHub Actions (`.github/workflows/*.yml`) and GitLab CI (`.gitlab-ci.yml`).

Every value a job sees is emitted with *that job's* environment:

* GitHub: workflow-level ``env:`` is inherited by every job, so it is emitted once
  per job (same bytes, each job's environment): a workflow-level twin URL blocks
  when *any* job is production. Job ``env:``, ``container``/``services`` env, step
  ``env:`` and ``with:`` inputs (key = input name), and assignments in ``run:``
  scripts (``export VITE_X=…``, ``VITE_X=… npm run build``,
  ``echo "VITE_X=…" >> $GITHUB_ENV`` or ``>> .env.production``).
* GitLab: top-level and job ``variables:`` (also in ``rules:``), ``script`` lines;
  ``extends:`` resolved transitively with GitLab's deep merge, anchors and ``<<``
  merge keys through the node graph. Hidden jobs (``.name``) are templates and
  only count through the jobs that use them.

A job's environment comes from ``environment:`` (a string or ``{name: …}``);
``${{ matrix.x }}`` is expanded over ``strategy.matrix`` and one Value is emitted
per distinct matrix value, so the production entry blocks; a value written in a matrix
entry that names the environment (an ``include`` entry) is judged by that entry alone.
A reusable workflow call counts by its ``environment`` input. A name only known at run
time (``${{ inputs.environment }}``) gives None: the file's environment applies.
``${{ vars.X || 'http://…' }}`` fallback literals are Values with context ``default``.

A job that declares none is what its deploy commands and deploy actions deploy to
(rules/deploy_commands.yaml: ``fly deploy``, ``vercel deploy --prod``, deploy-cloudrun), else
what the jobs that deploy its artifact deploy to (GitHub ``needs:`` with upload/download-artifact
of the same name; GitLab ``artifacts:`` passed by ``dependencies:``/``needs:`` or stage order;
CircleCI workspaces), else ``ci``. Each job's whole script is a value of the job (cijobs.py).
CircleCI and Bitbucket are read in cipipelines.py.
"""
from __future__ import annotations

import fnmatch
import itertools
import posixpath
import re
from dataclasses import replace
from typing import TYPE_CHECKING

from .. import deploycommands
from ..environments import normalise
from .cijobs import (
    EXPR,
    Env,
    action_values,
    assignments,
    deploys,
    emit,
    job_deploy_envs,
    jobs_fed,
    mapping,
    script_values,
)
from .cipipelines import bitbucket, circleci
from .kind import Kind
from .values import Options, Value
from .yamlshape import is_scalar, text_of

if TYPE_CHECKING:
    from ..formats.yamlnodes import Tree, YamlText

_MATRIX_REF = re.compile(r"^\s*matrix\.([\w-]+(?:\.[\w-]+)*)\s*$")
_ENV_INPUTS = ("environment", "env", "environment_name", "environment-name", "deploy_environment",
               "deploy-environment", "target_environment", "target-environment", "stage")
_GITLAB_RESERVED = {"default", "include", "stages", "variables", "workflow", "image", "services",
                    "before_script", "after_script", "cache", "spec"}
_MAX_COMBOS = 64



def values(data: bytes, path: str, options: Options) -> list[Value]:
    """Every value the workflow assigns, with the environment of the job that sees it."""
    from ..formats.yamlnodes import load

    doc = load(data)
    lowered = path.replace("\\", "/").lower()
    name = posixpath.basename(lowered)
    gitlab = name.endswith(("gitlab-ci.yml", "gitlab-ci.yaml"))
    out: list[Value] = []
    for root in doc.roots:
        tree = doc.tree(root)
        if not isinstance(tree, dict):
            continue
        if "/.circleci/" in "/" + lowered:
            out += circleci(doc, tree)
        elif name.startswith("bitbucket-pipelines"):
            out += bitbucket(doc, tree)
        elif gitlab or not isinstance(tree.get("jobs"), dict):
            out += _gitlab(doc, tree) if gitlab or _looks_gitlab(tree) else []
        else:
            out += _github(doc, tree)
    return out


# -- GitHub Actions ------------------------------------------------------------------------
def _github(doc: YamlText, wf: dict) -> list[Value]:
    out: list[Value] = []
    jobs = {k: v for k, v in wf["jobs"].items() if isinstance(v, dict)} if isinstance(wf["jobs"], dict) else {}
    if not jobs:
        return mapping(doc, wf.get("env"), (None, None))
    envs: dict[str, list[Env]] = {}
    declared: dict[str, bool] = {}
    for name, job in jobs.items():
        envs[name], declared[name] = _github_envs(doc, name, job, wf.get("env"))
    fed = jobs_fed(list(jobs), envs, _Artifacts(jobs).sources,
                          lambda n: not declared[n] and envs[n][0][0] == "ci")
    envs.update(fed)
    for name, job in jobs.items():
        for env in envs[name]:
            top, own = mapping(doc, wf.get("env"), env), mapping(doc, job.get("env"), env)
            out += top + own + _env_refs(own, top)
            mark = len(out)
            out += mapping(doc, job.get("with"), env)
            container = job.get("container")
            if isinstance(container, dict):
                out += mapping(doc, container.get("env"), env)
            services = job.get("services")
            for svc in services.values() if isinstance(services, dict) else ():
                if isinstance(svc, dict):
                    out += mapping(doc, svc.get("env"), env)
            for step in _steps(job):
                out += mapping(doc, step.get("env"), env)
                out += mapping(doc, step.get("with"), env)
                out += assignments(doc, step.get("run"), env)
                out += script_values(doc, step.get("run"), env, declared[name], "run")
                uses = text_of(step.get("uses"))
                if uses:
                    out += action_values(doc, uses, step.get("with"), env, declared[name],
                                         _inputs(step.get("with"), [wf.get("env"), job.get("env"), step.get("env")]))
            out += _env_refs(out[mark:], top + own)
        out += _matrix_entries(doc, job, envs[name])
    return out


_ENV_REF = re.compile(r"\$\{\{\s*env\.([A-Za-z_][A-Za-z0-9_-]*)\s*\}\}")


def _env_refs(found: list[Value], scope: list[Value]) -> list[Value]:
    """`${{ env.X }}` in ``found`` expanded from the enclosing `env:` (``scope``: the workflow's,
    then the job's, later keys winning), as Actions does before the job or step runs: each
    expansion that used a known X is a Value over the same bytes with ``encoding="interpolated"``."""
    known = {v.key: v.value for v in scope if v.context == "value" and v.encoding is None}
    out = []
    for v in found:
        if v.context != "value" or v.encoding is not None or "${{" not in v.value:
            continue
        used: list[str] = []

        def sub(m: re.Match) -> str:
            if m.group(1) in known:
                used.append(m.group(1))
                return known[m.group(1)]
            return m.group(0)

        text = _ENV_REF.sub(sub, v.value)
        if used:
            out.append(replace(v, value=text, encoding="interpolated"))
    return out


def _steps(job: dict) -> list[dict]:
    steps = job.get("steps")
    return [s for s in steps if isinstance(s, dict)] if isinstance(steps, list) else []


def _inputs(with_: Tree, envs: list[Tree]) -> dict[str, str]:
    """A step's `with:` inputs as text, `${{ env.X }}` replaced from the workflow, job and step `env:`."""
    known_env: dict[str, str] = {}
    for m in envs:
        for k, v in m.items() if isinstance(m, dict) else ():
            if is_scalar(v):
                known_env[k] = v.value
    ref = re.compile(r"\$\{\{\s*env\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
    return {k: ref.sub(lambda m: known_env.get(m.group(1), m.group(0)), v.value)
            for k, v in (with_.items() if isinstance(with_, dict) else ()) if is_scalar(v)}


def _github_envs(doc: YamlText, name: str, job: dict, wf_env: Tree = None) -> tuple[list[Env], bool]:
    """The job's environment(s) and why, one per distinct matrix value; and whether the job
    declares it (a declared environment wins over what its deploy commands default to)."""
    env = job.get("environment")
    if isinstance(env, dict):
        raw, shown = text_of(env.get("name")), "environment.name"
    else:
        raw, shown = text_of(env), "environment"
    if raw and raw.strip():
        return _expand(job, raw, f"job `{name}` has `{shown}: {raw}`"), True
    uses, with_ = text_of(job.get("uses")), job.get("with")
    if uses:
        for k in _ENV_INPUTS:
            raw = text_of(with_.get(k)) if isinstance(with_, dict) else None
            if raw and raw.strip():
                return _expand(job, raw, f"job `{name}` calls `{uses}` with `{k}: {raw}`"), True
        return [(None, f"job `{name}` calls `{uses}` without an environment input")], True
    found: list[tuple[str | None, str]] = []
    for step in _steps(job):
        found += [(d.environment, d.reason()) for d in deploys(doc, step.get("run"))]
        uses = text_of(step.get("uses"))
        w = step.get("with")
        act = deploycommands.action(uses, _inputs(w, [wf_env, job.get("env"), step.get("env")])) if uses else None
        if act:
            found.append((act[0], f"uses `{act[3]}` ({act[2]})"))
    return job_deploy_envs(name, found) or [("ci", f"job `{name}` has no `environment:`")], False


def _needs(job: dict) -> list[str]:
    needs = job.get("needs")
    items = needs if isinstance(needs, list) else [needs]
    return [t for t in map(text_of, items) if t]


def _artifact_steps(job: dict, action: str) -> list[dict]:
    return [s for s in _steps(job) if (text_of(s.get("uses")) or "").lower().split("@")[0] == action]


def _artifact_names(job: dict, action: str) -> list[tuple[str | None, str | None]]:
    """(name, pattern) of each upload/download-artifact step of a job."""
    out = []
    for step in _artifact_steps(job, action):
        w = step.get("with") if isinstance(step.get("with"), dict) else {}
        out.append((text_of(w.get("name")), text_of(w.get("pattern"))))
    return out


class _Artifacts:
    """Who uploads which artifact and who needs whom, read once per workflow (a deploy job's
    sources are then found without reading every other job again)."""

    def __init__(self, jobs: dict) -> None:
        self.jobs = jobs
        self.needs = {n: _needs(j) for n, j in jobs.items()}
        self.uploads: dict[str, list[str]] = {}
        for n, j in jobs.items():
            for name, _ in _artifact_names(j, "actions/upload-artifact"):
                self.uploads.setdefault(name or "artifact", []).append(n)

    def closure(self, name: str) -> set[str]:
        """The jobs *name* needs, transitively (they have finished when it runs)."""
        seen: set[str] = set()
        todo = list(self.needs.get(name, ()))
        while todo:
            n = todo.pop()
            if n not in seen and n in self.jobs:
                seen.add(n)
                todo += self.needs[n]
        return seen

    def sources(self, deployer: str) -> dict[str, str]:
        """The jobs *deployer* needs whose uploaded artifact it downloads: job → what."""
        downloads = _artifact_names(self.jobs[deployer], "actions/download-artifact")
        if not downloads or not self.uploads:
            return {}
        needed = self.closure(deployer)
        out: dict[str, str] = {}
        for want, pattern in downloads:
            names = [want] if want is not None else [u for u in self.uploads
                                                      if pattern is None or fnmatch.fnmatchcase(u, pattern)]
            for up in names:
                for builder in self.uploads.get(up, ()):
                    if builder in needed:
                        out.setdefault(builder, f"the artifact `{up}`")
        return out


def _matrix_entries(doc: YamlText, job: dict, envs: list[Env]) -> list[Value]:
    """Values written in `strategy.matrix`: an entry that names the environment (an `include`
    entry, an item of the list the environment is read from) is judged by that entry alone;
    every other matrix value reaches every environment of the job. The key is the variable
    the job sets from it (`VITE_STRIPE_BASE_URL: ${{ matrix.api_url }}`), else its matrix name."""
    from ..formats.yamlnodes import scalars

    strategy = job.get("strategy")
    matrix = strategy.get("matrix") if isinstance(strategy, dict) else None
    if not isinstance(matrix, dict):
        return []
    keys = _matrix_keys(job)
    env_node = job.get("environment")
    raw = text_of(env_node.get("name")) if isinstance(env_node, dict) else text_of(env_node)
    if not raw and isinstance(job.get("with"), dict):
        raw = next((text_of(job["with"].get(k)) for k in _ENV_INPUTS if text_of(job["with"].get(k))), None)
    refs = [_MATRIX_REF.match(m.group(1)) for m in EXPR.finditer(raw or "")]
    parts = refs[0].group(1).split(".") if len(refs) == 1 and refs[0] else None
    out: list[Value] = []

    def emit(tree: Tree, prefix: str, entry_envs: list[Env]) -> None:
        for path, node in scalars(tree, prefix):
            for env in entry_envs:
                start, end = doc.span(node)
                key = keys.get(path) or path.rsplit(".", 1)[-1]
                out.append(Value(key, node.value, start, end, env[0], env[1]))

    def entry_env(item: Tree, rest: list[str], what: str) -> list[Env] | None:
        for p in rest:
            item = item.get(p) if isinstance(item, dict) else None
        name = text_of(item)
        if name is None or raw is None:
            return None
        text = EXPR.sub(name, raw)
        return [(normalise(text), f"matrix {what} has environment `{text}`")]

    for k, v in matrix.items():
        if k == "exclude":
            continue
        if k == "include" and isinstance(v, list):
            for i, entry in enumerate(v):
                own = entry_env(entry.get(parts[0]), parts[1:], f"`include` entry {i + 1}") \
                    if parts and isinstance(entry, dict) and parts[0] in entry else None
                emit(entry, "", own or envs)
        elif parts and k == parts[0] and isinstance(v, list):
            for i, item in enumerate(v):
                own = entry_env(item, parts[1:], f"`{k}` entry {i + 1}")
                emit(item, k, own or envs)
        else:
            emit(v, k, envs)
    return out


def _matrix_keys(job: dict) -> dict[str, str]:
    """Matrix path → the variable or input the job sets from `${{ matrix.path }}`."""
    out: dict[str, str] = {}
    maps = [job.get("env"), job.get("with")] + [s.get(k) for s in _steps(job) for k in ("env", "with")]
    for m in maps:
        for key, node in m.items() if isinstance(m, dict) else ():
            for ref in EXPR.finditer(text_of(node) or ""):
                r = _MATRIX_REF.match(ref.group(1))
                if r:
                    out.setdefault(r.group(1), key)
    return out


def _expand(job: dict, raw: str, reason: str) -> list[Env]:
    """Resolve `${{ matrix.x }}` over the job's matrix; other expressions are run-time only."""
    refs = [m for m in EXPR.finditer(raw)]
    if not refs:
        return [(normalise(raw), reason)]
    choices: list[list[str]] = []
    for m in refs:
        ref = _MATRIX_REF.match(m.group(1))
        found = _matrix_values(job, ref.group(1).split(".")) if ref else []
        if not found:
            return [(None, f"{reason}, only known at run time")]
        choices.append(found)
    out: list[Env] = []
    for combo in itertools.islice(itertools.product(*choices), _MAX_COMBOS):
        it = iter(combo)
        name = EXPR.sub(lambda _m: next(it), raw)
        env = (normalise(name), f"{reason}, matrix value `{name}`")
        if env[0] not in [e[0] for e in out]:
            out.append(env)
    return out


def _matrix_values(job: dict, parts: list[str]) -> list[str]:
    """Distinct values of `matrix.a.b` over `strategy.matrix` (its lists and `include:`)."""
    strategy = job.get("strategy")
    matrix = strategy.get("matrix") if isinstance(strategy, dict) else None
    if not isinstance(matrix, dict):
        return []
    first = matrix.get(parts[0])
    items = list(first) if isinstance(first, list) else [first] if first is not None else []
    include = matrix.get("include")
    for entry in include if isinstance(include, list) else ():
        if isinstance(entry, dict) and parts[0] in entry:
            items.append(entry[parts[0]])
    out: list[str] = []
    for item in items:
        for p in parts[1:]:
            item = item.get(p) if isinstance(item, dict) else None
        v = text_of(item)
        if v is not None and v not in out:
            out.append(v)
    return out


# -- GitLab CI -----------------------------------------------------------------------------
def _looks_gitlab(tree: dict) -> bool:
    return any(isinstance(v, dict) and ("script" in v or "extends" in v) for v in tree.values())


def _gitlab(doc: YamlText, top: dict) -> list[Value]:
    out: list[Value] = []
    jobs = {name: _resolve(top, name, ()) for name, job in top.items()
            if name not in _GITLAB_RESERVED and not name.startswith(".") and isinstance(job, dict)}
    envs: dict[str, list[Env]] = {}
    declared: dict[str, bool] = {}
    matrices: dict[str, list[list[dict]]] = {}
    combo_envs: dict[int, Env] = {}  # id of a matrix combination -> the environment it expands to
    for name, job in jobs.items():
        env_node = job.get("environment")
        raw = text_of(env_node.get("name")) if isinstance(env_node, dict) else text_of(env_node)
        declared[name] = bool(raw and raw.strip())
        matrices[name] = _gitlab_matrix(job)
        if declared[name]:
            pairs = _gitlab_envs(top, name, job, raw or "", [c for entry in matrices[name] for c in entry])
            envs[name] = list(dict.fromkeys(env for env, _ in pairs))
            combo_envs.update((id(c), env) for env, c in pairs if c is not None)
        else:
            found = [(d.environment, d.reason()) for k in _GITLAB_SCRIPTS for d in deploys(doc, job.get(k))]
            envs[name] = job_deploy_envs(name, found) or [("ci", f"job `{name}` has no `environment:`")]
    stages = [t for t in map(text_of, top["stages"]) if t] if isinstance(top.get("stages"), list) else []
    stages = [".pre", *(stages or ["build", "test", "deploy"]), ".post"]
    envs.update(jobs_fed(list(jobs), envs, lambda d: _gitlab_sources(jobs, stages, d),
                                lambda n: not declared[n] and envs[n][0][0] == "ci"))
    for name, job in jobs.items():
        for env in envs[name]:
            if _inherits_variables(job):
                out += mapping(doc, top.get("variables"), env)
            out += mapping(doc, job.get("variables"), env)
            rules = job.get("rules")
            for rule in rules if isinstance(rules, list) else ():
                if isinstance(rule, dict):
                    out += mapping(doc, rule.get("variables"), env)
            for k in _GITLAB_SCRIPTS:
                out += assignments(doc, job.get(k), env)
                out += script_values(doc, job.get(k), env, declared[name], k)
        out += _gitlab_matrix_values(doc, matrices[name], combo_envs, envs[name])
    return out


_VAR = re.compile(r"\$(?:\{(\w+)\}|(\w+))")


def _gitlab_matrix(job: dict) -> list[list[dict]]:
    """`parallel: matrix:` as, per entry, its combinations: each a mapping variable → scalar node
    (an entry's list values multiply, as GitLab runs one job per combination)."""
    parallel = job.get("parallel")
    matrix = parallel.get("matrix") if isinstance(parallel, dict) else None
    out = []
    left = _GITLAB_MAX_JOBS
    for entry in matrix if isinstance(matrix, list) else ():
        if not isinstance(entry, dict):
            continue
        axes = [[(k, n) for n in (v if isinstance(v, list) else [v]) if is_scalar(n)] for k, v in entry.items()]
        combos = [dict(combo) for combo in itertools.islice(itertools.product(*axes), left + 1) if combo]
        left -= len(combos)
        if left < 0:  # GitLab refuses the pipeline; never multiply out a hostile file
            return []
        out.append(combos)
    return out


#: GitLab runs at most this many jobs from one `parallel: matrix` (and refuses a pipeline asking more).
_GITLAB_MAX_JOBS = 200


def _gitlab_envs(top: dict, name: str, job: dict, raw: str, combos: list[dict]) -> list[tuple[Env, dict | None]]:
    """The job's environment(s) from `environment:`, with `$VAR` expanded as GitLab expands it:
    per `parallel: matrix` combination (*combos*: one environment each), else from the job's and
    the pipeline's `variables:`. A name left with an unknown variable is taken as written."""
    known_vars: dict[str, str] = {}
    for scope in (top.get("variables") if _inherits_variables(job) else None, job.get("variables")):
        for k, v in scope.items() if isinstance(scope, dict) else ():
            value = text_of(v.get("value")) if isinstance(v, dict) else text_of(v)
            if value is not None:
                known_vars[str(k)] = value
    out: list[tuple[Env, dict | None]] = []
    for c in combos or [None]:
        scope = {**known_vars, **{k: n.value for k, n in (c or {}).items()}}
        expanded = _VAR.sub(lambda m: scope.get(m.group(1) or m.group(2), m.group(0)), raw)
        why = f"job `{name}` has `environment: {raw}`"
        if expanded != raw:
            where = "its matrix entry" if c and any(k in raw for k in c) else "its variables"
            why += f", `{expanded}` with {where}"
        out.append(((normalise(expanded), why), c))
    return out


def _gitlab_matrix_values(doc: YamlText, matrix: list[list[dict]], combo_envs: dict[int, Env],
                          envs: list[Env]) -> list[Value]:
    """Values written in `parallel: matrix`: each reaches the environment of the combinations it
    is part of (*combo_envs*: `environment: $TARGET` expanded per combination), else every
    environment of the job (*envs*)."""
    out: list[Value] = []
    for entry in matrix:
        reach: dict[tuple[str, int], list[Env]] = {}
        nodes: dict[tuple[str, int], Tree] = {}
        for combo in entry:
            where = [combo_envs[id(combo)]] if id(combo) in combo_envs else envs
            for k, node in combo.items():
                nodes[(k, id(node))] = node
                reached = reach.setdefault((k, id(node)), [])
                reached += [e for e in where if e not in reached]
        for (k, ident), node in nodes.items():
            for e in reach[(k, ident)]:
                out += emit(doc, str(k), node, e)
    return out


_GITLAB_SCRIPTS = ("before_script", "script", "after_script")


def _gitlab_sources(jobs: dict, stages: list[str], deployer: str) -> dict[str, str]:
    out = {}
    for builder in jobs:
        what = _gitlab_feeds(jobs, stages, builder, deployer) if builder != deployer else None
        if what:
            out[builder] = what
    return out


def _gitlab_feeds(jobs: dict, stages: list[str], builder: str, deployer: str) -> str | None:
    """The artifacts *builder* hands *deployer*: GitLab passes a job's `artifacts:` to the jobs that
    name it in `dependencies:` or `needs:`, and (when they name neither) to every later stage."""
    arts = jobs[builder].get("artifacts")
    if not (isinstance(arts, dict) and ("paths" in arts or "untracked" in arts)):
        return None
    d = jobs[deployer]
    what = f"its artifacts ({', '.join(t for t in map(text_of, arts.get('paths') or []) if t) or 'untracked files'})" \
        if isinstance(arts.get("paths") or [], list) else "its artifacts"
    if "dependencies" in d:
        deps = d["dependencies"]
        return what if isinstance(deps, list) and builder in map(text_of, deps) else None
    if "needs" in d:
        for n in d["needs"] if isinstance(d["needs"], list) else []:
            if text_of(n) == builder:
                return what
            if isinstance(n, dict) and text_of(n.get("job")) == builder:
                flag = n.get("artifacts")
                return None if is_scalar(flag) and flag.value.lower() == "false" else what
        return None

    def index(job: dict) -> int:
        stage = text_of(job.get("stage")) or "test"
        return stages.index(stage) if stage in stages else -1

    return what if 0 <= index(jobs[builder]) < index(d) else None


def _inherits_variables(job: dict) -> bool:
    inherit = job.get("inherit")
    flag = inherit.get("variables") if isinstance(inherit, dict) else None
    return not (is_scalar(flag) and flag.value.lower() == "false")


def _resolve(top: dict, name: str, stack: tuple[str, ...]) -> dict:
    """The job with `extends:` applied (GitLab deep-merges mappings); cycles and depth > 10 stop."""
    job = top.get(name)
    if not isinstance(job, dict) or name in stack or len(stack) > 10:
        return {}
    ext = job.get("extends")
    bases = [text_of(b) for b in ext] if isinstance(ext, list) else [text_of(ext)]
    merged: dict = {}
    for base in bases:
        if base:
            merged = _deep_merge(merged, _resolve(top, base, stack + (name,)))
    return _deep_merge(merged, {k: v for k, v in job.items() if k != "extends"})


def _deep_merge(a: dict, b: dict) -> dict:
    out = dict(a)
    for k, v in b.items():
        out[k] = _deep_merge(out[k], v) if isinstance(out.get(k), dict) and isinstance(v, dict) else v
    return out



#: CI configuration: GitHub Actions workflows, GitLab CI, CircleCI, Bitbucket Pipelines.
KIND = Kind("workflows", globs=(".github/workflows/**/*.{yml,yaml}", ".gitlab-ci.yml", ".circleci/config.yml",
                                "bitbucket-pipelines.yml"), values=values, label="workflow")
