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
per distinct matrix value, so the production entry blocks. A reusable workflow
call counts by its ``environment`` input. A job without one is ``ci``. A name only
known at run time (``${{ inputs.environment }}``) gives None: the file's
environment applies. ``${{ vars.X || 'http://…' }}`` fallback literals are
Values with context ``default``.
"""
from __future__ import annotations

import itertools
import posixpath
import re
from dataclasses import replace
from typing import TYPE_CHECKING

from ..environments import normalise
from .kind import Kind
from .values import Options, Value
from .yamlshape import is_scalar, text_of

if TYPE_CHECKING:
    from ..formats.yamlnodes import Tree, YamlText

_EXPR = re.compile(r"\$\{\{(.*?)\}\}", re.S)
_MATRIX_REF = re.compile(r"^\s*matrix\.([\w-]+(?:\.[\w-]+)*)\s*$")
_TOKEN = r"""(?:"[^"]*"|'[^']*'|\$\{\{.*?\}\}|\$\{[^}\s]*\}|[^\s;&|'"()<>`])+"""
_ASSIGN = re.compile(r"(?P<key>[A-Za-z_][A-Za-z0-9_]*)=(?P<val>" + _TOKEN + r")?")
_CMD_START = re.compile(r"(?:^|&&|\|\||;|\bthen\b|\bdo\b)\s*(?:(?:export|env|declare\s+-x|readonly)\s+)?")
_ECHO = re.compile(
    r"""\becho\s+(?:-[neE]+\s+)*(?P<q>["']?)(?P<key>[A-Za-z_][A-Za-z0-9_]*)=(?P<val>.*?)(?P=q)\s*>>?\s*"""
    r"""(?P<dest>"?\$\{?GITHUB_ENV\}?"?|"?[^\s;&|"]*\.env[^\s;&|"]*"?)"""
)
_ENV_INPUTS = ("environment", "env", "environment_name", "environment-name", "deploy_environment",
               "deploy-environment", "target_environment", "target-environment", "stage")
_GITLAB_RESERVED = {"default", "include", "stages", "variables", "workflow", "image", "services",
                    "before_script", "after_script", "cache", "spec"}
_MAX_COMBOS = 64

Env = tuple[str | None, str | None]


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
            out += _circleci(doc, tree)
        elif name.startswith("bitbucket-pipelines"):
            out += _bitbucket(doc, tree)
        elif gitlab or not isinstance(tree.get("jobs"), dict):
            out += _gitlab(doc, tree) if gitlab or _looks_gitlab(tree) else []
        else:
            out += _github(doc, tree)
    return out


# -- emitting ------------------------------------------------------------------------------
def _emit(doc: YamlText, key: str, node: Tree, env: Env) -> list[Value]:
    """A Value for a scalar setting plus its `${{ … || 'literal' }}` fallbacks."""
    if not is_scalar(node):
        return []
    start, end = doc.span(node)
    out = [Value(key, node.value, start, end, env[0], env[1])]
    if node.style in ("|", ">"):
        for at, line in doc.lines(node):
            out += _defaults(doc, key, line, at, env)
    else:
        quoted = 1 if node.style in ('"', "'") else 0
        s, e = node.start_mark.index + quoted, node.end_mark.index - quoted
        out += _defaults(doc, key, doc.text[s:e], s, env, "''" if node.style == "'" else "'")
    return out


def _defaults(doc: YamlText, key: str, raw: str, at: int, env: Env, quote: str = "'") -> list[Value]:
    """`${{ vars.X || 'http://localhost:4111' }}`: each quoted fallback literal, context "default"."""
    lit = re.compile(r"\|\|\s*" + quote + r"(?P<v>(?:(?!" + quote + r").)*)" + quote, re.S)
    out = []
    for expr in _EXPR.finditer(raw):
        for m in lit.finditer(expr.group(1)):
            s = at + expr.start(1) + m.start("v")
            e = s + len(m.group("v"))
            out.append(Value(key, m.group("v").replace("''", "'"), doc.byte(s), doc.byte(e), env[0], env[1], "default"))
    return out


def _mapping(doc: YamlText, tree: Tree, env: Env) -> list[Value]:
    """`env:` / `variables:` / `with:`: key = the name; GitLab `{value: …}` forms too."""
    out: list[Value] = []
    if isinstance(tree, dict):
        for k, v in tree.items():
            out += _emit(doc, k, v.get("value") if isinstance(v, dict) else v, env)
    return out


def _script(doc: YamlText, node: Tree, env: Env) -> list[Value]:
    """Assignments in a shell script (a scalar, or GitLab's list of lines)."""
    if isinstance(node, list):
        return [v for item in node for v in _script(doc, item, env)]
    if not is_scalar(node):
        return []
    out: list[Value] = []
    for at, line in doc.lines(node):
        found: list[tuple[str, int, int]] = []
        for m in _ECHO.finditer(line):
            found.append((m.group("key"), m.start("val"), m.end("val")))
        for c in _CMD_START.finditer(line):
            pos = c.end()
            while (m := _ASSIGN.match(line, pos)) and m.group("val") is not None:
                found.append((m.group("key"), m.start("val"), m.end("val")))
                pos = m.end()
                pos += len(line[pos:]) - len(line[pos:].lstrip(" \t"))
        for key, s, e in found:
            if line[s:e][:1] in "\"'" and e - s >= 2 and line[e - 1] == line[s]:
                s, e = s + 1, e - 1  # inside the shell quotes
            out.append(Value(key, line[s:e], doc.byte(at + s), doc.byte(at + e), env[0], env[1]))
            out += _defaults(doc, key, line[s:e], at + s, env)
    return out


# -- GitHub Actions ------------------------------------------------------------------------
def _github(doc: YamlText, wf: dict) -> list[Value]:
    out: list[Value] = []
    jobs = wf["jobs"]
    if not jobs:
        return _mapping(doc, wf.get("env"), (None, None))
    for name, job in jobs.items():
        if not isinstance(job, dict):
            continue
        for env in _github_envs(name, job):
            top, own = _mapping(doc, wf.get("env"), env), _mapping(doc, job.get("env"), env)
            out += top + own + _env_refs(own, top)
            mark = len(out)
            out += _mapping(doc, job.get("with"), env)
            container = job.get("container")
            if isinstance(container, dict):
                out += _mapping(doc, container.get("env"), env)
            services = job.get("services")
            for svc in services.values() if isinstance(services, dict) else ():
                if isinstance(svc, dict):
                    out += _mapping(doc, svc.get("env"), env)
            steps = job.get("steps")
            for step in steps if isinstance(steps, list) else ():
                if isinstance(step, dict):
                    out += _mapping(doc, step.get("env"), env)
                    out += _mapping(doc, step.get("with"), env)
                    out += _script(doc, step.get("run"), env)
            out += _env_refs(out[mark:], top + own)
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


def _github_envs(name: str, job: dict) -> list[Env]:
    """The job's environment(s) and why; one per distinct matrix value."""
    env = job.get("environment")
    if isinstance(env, dict):
        raw, shown = text_of(env.get("name")), "environment.name"
    else:
        raw, shown = text_of(env), "environment"
    if raw and raw.strip():
        return _expand(job, raw, f"job `{name}` has `{shown}: {raw}`")
    uses, with_ = text_of(job.get("uses")), job.get("with")
    if uses:
        for k in _ENV_INPUTS:
            raw = text_of(with_.get(k)) if isinstance(with_, dict) else None
            if raw and raw.strip():
                return _expand(job, raw, f"job `{name}` calls `{uses}` with `{k}: {raw}`")
        return [(None, f"job `{name}` calls `{uses}` without an environment input")]
    return [("ci", f"job `{name}` has no `environment:`")]


def _expand(job: dict, raw: str, reason: str) -> list[Env]:
    """Resolve `${{ matrix.x }}` over the job's matrix; other expressions are run-time only."""
    refs = [m for m in _EXPR.finditer(raw)]
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
        name = _EXPR.sub(lambda _m: next(it), raw)
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
    for name, job in top.items():
        if name in _GITLAB_RESERVED or name.startswith(".") or not isinstance(job, dict):
            continue
        job = _resolve(top, name, ())
        env_node = job.get("environment")
        raw = text_of(env_node.get("name")) if isinstance(env_node, dict) else text_of(env_node)
        if raw and raw.strip():
            env: Env = (normalise(raw), f"job `{name}` has `environment: {raw}`")
        else:
            env = ("ci", f"job `{name}` has no `environment:`")
        if _inherits_variables(job):
            out += _mapping(doc, top.get("variables"), env)
        out += _mapping(doc, job.get("variables"), env)
        rules = job.get("rules")
        for rule in rules if isinstance(rules, list) else ():
            if isinstance(rule, dict):
                out += _mapping(doc, rule.get("variables"), env)
        for k in ("before_script", "script", "after_script"):
            out += _script(doc, job.get(k), env)
    return out


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



# -- CircleCI ------------------------------------------------------------------------------
def _circleci(doc: YamlText, top: dict) -> list[Value]:
    """Job `environment:` maps, `docker[].environment` and `run:` steps; a job is production
    when a workflow runs it with a production `context:` (CircleCI's deploy credentials)."""
    jobs = top.get("jobs")
    if not isinstance(jobs, dict):
        return []
    contexts: dict[str, list[Env]] = {}
    workflows = top.get("workflows")
    for wf_name, wf in (workflows.items() if isinstance(workflows, dict) else ()):
        entries = wf.get("jobs") if isinstance(wf, dict) else None
        for entry in entries if isinstance(entries, list) else ():
            job, ctx = (text_of(entry), None) if not isinstance(entry, dict) else next(iter(entry.items()), (None, None))
            if not job:
                continue
            names = ctx.get("context") if isinstance(ctx, dict) else None
            names = [text_of(n) for n in names] if isinstance(names, list) else [text_of(names)] if names else []
            for c in filter(None, names):
                contexts.setdefault(job, []).append(
                    (normalise(c), f"job `{job}` runs with context `{c}` in workflow `{wf_name}`"))
    out: list[Value] = []
    for name, job in jobs.items():
        if not isinstance(job, dict):
            continue
        envs = contexts.get(name) or [("ci", f"job `{name}` runs without a deployment context")]
        for env in envs:
            out += _mapping(doc, job.get("environment"), env)
            for image in job.get("docker") if isinstance(job.get("docker"), list) else ():
                if isinstance(image, dict):
                    out += _mapping(doc, image.get("environment"), env)
            for step in job.get("steps") if isinstance(job.get("steps"), list) else ():
                run = step.get("run") if isinstance(step, dict) else None
                if isinstance(run, dict):
                    out += _mapping(doc, run.get("environment"), env)
                    run = run.get("command")
                out += _script(doc, run, env)
    return out


# -- Bitbucket Pipelines -------------------------------------------------------------------
def _bitbucket(doc: YamlText, top: dict) -> list[Value]:
    """Every step's `script:`; a step's environment is its (or its stage's) `deployment:`."""
    out: list[Value] = []

    def steps(node: Tree, deployment: str | None) -> None:
        if isinstance(node, list):
            for item in node:
                steps(item, deployment)
        elif isinstance(node, dict):
            if isinstance(node.get("stage"), dict):
                stage = node["stage"]
                steps(stage.get("steps"), text_of(stage.get("deployment")) or deployment)
            elif "parallel" in node:
                par = node["parallel"]
                steps(par.get("steps") if isinstance(par, dict) else par, deployment)
            elif isinstance(node.get("step"), dict):
                step = node["step"]
                dep = text_of(step.get("deployment")) or deployment
                label = text_of(step.get("name")) or "step"
                env: Env = ((normalise(dep), f"step `{label}` has `deployment: {dep}`") if dep
                            else ("ci", f"step `{label}` has no `deployment:`"))
                for k in ("script", "after-script"):
                    out.extend(_script(doc, step.get(k), env))

    pipelines = top.get("pipelines")
    for kind, group in (pipelines.items() if isinstance(pipelines, dict) else ()):
        if kind == "default":
            steps(group, None)
        elif isinstance(group, dict):  # branches / tags / pull-requests / custom: name -> steps
            for sub in group.values():
                steps(sub, None)
    return out


#: CI configuration: GitHub Actions workflows, GitLab CI, CircleCI, Bitbucket Pipelines.
KIND = Kind("workflows", globs=(".github/workflows/**/*.{yml,yaml}", ".gitlab-ci.yml", ".circleci/config.yml",
                                "bitbucket-pipelines.yml"), values=values, label="workflow")
