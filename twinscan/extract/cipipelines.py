"""CircleCI (`.circleci/config.yml`) and Bitbucket Pipelines (`bitbucket-pipelines.yml`): every
value a job or step sees, with that job's environment (the CI workflows kind, workflows.py, reads
these files through here).

CircleCI: a job is what the deployment `context:` a workflow runs it with names, else what its
deploy commands deploy to, else what the jobs that attach its workspace deploy to. Bitbucket: a
step is its (or its stage's) `deployment:`.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from ..environments import known, normalise
from .cijobs import Env, assignments, deploys, job_deploy_envs, jobs_fed, mapping, script_values
from .values import Value
from .yamlshape import text_of

if TYPE_CHECKING:
    from ..formats.yamlnodes import Tree, YamlText


# -- CircleCI ------------------------------------------------------------------------------
def circleci(doc: YamlText, top: dict) -> list[Value]:
    """Job `environment:` maps, `docker[].environment` and `run:` steps; a job is production
    when a workflow runs it with a production `context:` (CircleCI's deploy credentials)."""
    jobs = top.get("jobs")
    if not isinstance(jobs, dict):
        return []
    contexts: dict[str, list[Env]] = {}
    requires: dict[str, set[str]] = {}
    workflows = top.get("workflows")
    for wf_name, wf in (workflows.items() if isinstance(workflows, dict) else ()):
        entries = wf.get("jobs") if isinstance(wf, dict) else None
        for entry in entries if isinstance(entries, list) else ():
            job, ctx = (text_of(entry), None) if not isinstance(entry, dict) else next(iter(entry.items()), (None, None))
            if not job:
                continue
            req = ctx.get("requires") if isinstance(ctx, dict) else None
            requires.setdefault(job, set()).update(t for t in map(text_of, req if isinstance(req, list) else []) if t)
            names = ctx.get("context") if isinstance(ctx, dict) else None
            names = [text_of(n) for n in names] if isinstance(names, list) else [text_of(names)] if names else []
            for c in filter(None, names):
                if not known(c):  # `org-global`, `aws-creds`: credentials, not an environment
                    continue
                contexts.setdefault(job, []).append(
                    (normalise(c), f"job `{job}` runs with context `{c}` in workflow `{wf_name}`"))
    jobs = {k: v for k, v in jobs.items() if isinstance(v, dict)}
    envs: dict[str, list[Env]] = {}
    for name, job in jobs.items():
        if contexts.get(name):
            envs[name] = contexts[name]
            continue
        found = [(d.environment, d.reason()) for cmd in _circle_runs(job) for d in deploys(doc, cmd)]
        envs[name] = job_deploy_envs(name, found) or [("ci", f"job `{name}` runs without a deployment context")]
    free = {n for n in jobs if not contexts.get(n) and envs[n][0][0] == "ci"}
    envs.update(jobs_fed(list(jobs), envs, lambda d: _circle_sources(jobs, requires, d), free.__contains__))
    out: list[Value] = []
    for name, job in jobs.items():
        for env in envs[name]:
            out += mapping(doc, job.get("environment"), env)
            for image in job.get("docker") if isinstance(job.get("docker"), list) else ():
                if isinstance(image, dict):
                    out += mapping(doc, image.get("environment"), env)
            for step in job.get("steps") if isinstance(job.get("steps"), list) else ():
                run = step.get("run") if isinstance(step, dict) else None
                key = "run"
                if isinstance(run, dict):
                    out += mapping(doc, run.get("environment"), env)
                    run, key = run.get("command"), "command"
                out += assignments(doc, run, env)
                out += script_values(doc, run, env, bool(contexts.get(name)), key)
    return out


def _circle_runs(job: dict) -> list[Tree]:
    out = []
    for step in job.get("steps") if isinstance(job.get("steps"), list) else ():
        run = step.get("run") if isinstance(step, dict) else None
        out.append(run.get("command") if isinstance(run, dict) else run)
    return out


def _circle_step(job: dict, name: str) -> bool:
    steps = job.get("steps")
    return any(isinstance(s, dict) and name in s or text_of(s) == name for s in steps) if isinstance(steps, list) else False


def _circle_sources(jobs: dict, requires: dict[str, set[str]], deployer: str) -> dict[str, str]:
    """The jobs *deployer* requires (transitively) whose persisted workspace it attaches."""
    if not _circle_step(jobs[deployer], "attach_workspace"):
        return {}
    seen: set[str] = set()
    todo = list(requires.get(deployer, ()))
    while todo:
        n = todo.pop()
        if n not in seen:
            seen.add(n)
            todo += list(requires.get(n, ()))
    return {b: "the workspace" for b in jobs if b in seen and _circle_step(jobs[b], "persist_to_workspace")}


# -- Bitbucket Pipelines -------------------------------------------------------------------
def bitbucket(doc: YamlText, top: dict) -> list[Value]:
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
                if dep:
                    envs: list[Env] = [(normalise(dep), f"step `{label}` has `deployment: {dep}`")]
                else:
                    found = [(d.environment, d.reason()) for k in ("script", "after-script")
                             for d in deploys(doc, step.get(k))]
                    envs = job_deploy_envs(label, found) or [("ci", f"step `{label}` has no `deployment:`")]
                    envs = [(e, why.replace(f"job `{label}`", f"step `{label}`", 1)) for e, why in envs]
                for env in envs:
                    for k in ("script", "after-script"):
                        out.extend(assignments(doc, step.get(k), env))
                        out.extend(script_values(doc, step.get(k), env, bool(dep), k))

    pipelines = top.get("pipelines")
    for kind, group in (pipelines.items() if isinstance(pipelines, dict) else ()):
        if kind == "default":
            steps(group, None)
        elif isinstance(group, dict):  # branches / tags / pull-requests / custom: name -> steps
            for sub in group.values():
                steps(sub, None)
    return out
