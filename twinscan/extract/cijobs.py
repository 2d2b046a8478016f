"""What every CI platform shares: a job's script text, its deploy commands, the artifacts it hands on.

A line of a job's script is judged by *that job's* environment, not the file's: the whole
script is a value of the job (a test job's `curl http://localhost:4111/health` against its
service container is not production), its `#` comments are comments, the deploy commands in
it are values of the environment they deploy to (rules/deploy_commands.yaml), and the `K=V`
settings a deploy command makes (`gcloud run deploy --set-env-vars`, `fly secrets set`) are
values of that deploy. The innermost value holding a hit decides (extract.apply_values), so an
assignment inside a script keeps its own key.

A job that declares no environment takes the environment its deploy commands name, else the
environment of the jobs that deploy what it builds (`jobs_fed`): the build job of a production
deploy is production, whatever it is called.
"""
from __future__ import annotations

import re
from typing import TYPE_CHECKING, Callable

from .. import deploycommands
from .values import Value
from .yamlshape import is_scalar

if TYPE_CHECKING:
    from ..formats.yamlnodes import Tree, YamlText

Env = tuple[str | None, str | None]

EXPR = re.compile(r"\$\{\{(.*?)\}\}", re.S)
_TOKEN = r"""(?:"[^"]*"|'[^']*'|\$\{\{.*?\}\}|\$\{[^}\s]*\}|[^\s;&|'"()<>`])+"""
_ASSIGN = re.compile(r"(?P<key>[A-Za-z_][A-Za-z0-9_]*)=(?P<val>" + _TOKEN + r")?")
_CMD_START = re.compile(r"(?:^|&&|\|\||;|\bthen\b|\bdo\b)\s*(?:(?:export|env|declare\s+-x|readonly)\s+)?")
_ECHO = re.compile(
    r"""\becho\s+(?:-[neE]+\s+)*(?P<q>["']?)(?P<key>[A-Za-z_][A-Za-z0-9_]*)=(?P<val>.*?)(?P=q)\s*>>?\s*"""
    r"""(?P<dest>"?\$\{?GITHUB_ENV\}?"?|"?[^\s;&|"]*\.env[^\s;&|"]*"?)"""
)
_BUILD_ARG = re.compile(r"""--build-arg[= ](?P<q>["']?)(?P<key>[A-Za-z_][A-Za-z0-9_]*)=(?P<val>[^\s"']*)(?P=q)""")


# -- values of settings and scripts -----------------------------------------------------------
def emit(doc: YamlText, key: str, node: Tree, env: Env) -> list[Value]:
    """A Value for a scalar setting plus its `${{ … || 'literal' }}` fallbacks."""
    if not is_scalar(node):
        return []
    start, end = doc.span(node)
    out = [Value(key, node.value, start, end, env[0], env[1])]
    if node.style in ("|", ">"):
        for at, line in doc.lines(node):
            out += defaults(doc, key, line, at, env)
    else:
        quoted = 1 if node.style in ('"', "'") else 0
        s, e = node.start_mark.index + quoted, node.end_mark.index - quoted
        out += defaults(doc, key, doc.text[s:e], s, env, "''" if node.style == "'" else "'")
    return out


def defaults(doc: YamlText, key: str, raw: str, at: int, env: Env, quote: str = "'") -> list[Value]:
    """`${{ vars.X || 'http://localhost:4111' }}`: each quoted fallback literal, context "default"."""
    lit = re.compile(r"\|\|\s*" + quote + r"(?P<v>(?:(?!" + quote + r").)*)" + quote, re.S)
    out = []
    for expr in EXPR.finditer(raw):
        for m in lit.finditer(expr.group(1)):
            s = at + expr.start(1) + m.start("v")
            e = s + len(m.group("v"))
            out.append(Value(key, m.group("v").replace("''", "'"), doc.byte(s), doc.byte(e), env[0], env[1], "default"))
    return out


def mapping(doc: YamlText, tree: Tree, env: Env) -> list[Value]:
    """`env:` / `variables:` / `with:`: key = the name; GitLab `{value: …}` forms too."""
    out: list[Value] = []
    if isinstance(tree, dict):
        for k, v in tree.items():
            out += emit(doc, k, v.get("value") if isinstance(v, dict) else v, env)
    return out


def assignments(doc: YamlText, node: Tree, env: Env) -> list[Value]:
    """Assignments in a shell script (a scalar, or GitLab's list of lines)."""
    if isinstance(node, list):
        return [v for item in node for v in assignments(doc, item, env)]
    if not is_scalar(node):
        return []
    out: list[Value] = []
    for at, line in doc.lines(node):
        found: list[tuple[str, int, int]] = []
        for m in _ECHO.finditer(line):
            found.append((m.group("key"), m.start("val"), m.end("val")))
        for m in _BUILD_ARG.finditer(line):  # `docker build --build-arg VITE_X=…`: a value for the build
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
            out += defaults(doc, key, line[s:e], at + s, env)
    return out



def script_lines(doc: YamlText, node: Tree) -> list[tuple[int, str]]:
    """The shell lines of a script (a scalar, or GitLab's list of lines) as (char index, text)."""
    if isinstance(node, list):
        return [ln for item in node for ln in script_lines(doc, item)]
    return doc.lines(node) if is_scalar(node) else []


def deploys(doc: YamlText, node: Tree) -> list[deploycommands.Deploy]:
    """The deploy commands of the table in a script."""
    return deploycommands.find(script_lines(doc, node))


def job_deploy_envs(name: str, found: list[tuple[str | None, str]]) -> list[Env]:
    """The environments a job without a declared one deploys to: one per distinct environment
    its deploy commands and actions name; [] when none names one."""
    out: list[Env] = []
    for env, why in found:
        if env and env not in [e for e, _ in out]:
            out.append((env, f"job `{name}` declares no environment but {why}"))
    return out


def script_values(doc: YamlText, node: Tree, env: Env, declared: bool, key: str) -> list[Value]:
    """The script itself, its comments, its deploy commands and their settings, as values."""
    if isinstance(node, list):
        return [v for item in node for v in script_values(doc, item, env, declared, key)]
    if not is_scalar(node):
        return []
    lines = doc.lines(node)
    s, e = node.start_mark.index, node.end_mark.index
    if node.style in ('"', "'"):
        s, e = s + 1, e - 1
    elif node.style in ("|", ">"):
        s, e = (lines[0][0], lines[-1][0] + len(lines[-1][1])) if lines else (e, e)
    out = [Value(key, doc.text[s:e], doc.byte(s), doc.byte(e), env[0], env[1])]  # the script as written
    for s, e in deploycommands.comments(lines):
        out.append(Value(key, doc.text[s:e], doc.byte(s), doc.byte(e), env[0], env[1], "comment"))
    for d in deploycommands.find(lines):
        if d.explicit or (not declared and d.environment):
            denv: Env = (d.environment, f"{d.reason()}" if d.explicit or not env[1] else f"{env[1]}; {d.reason()}")
        else:
            denv = env
        out.append(Value(key, doc.text[d.start:d.end], doc.byte(d.start), doc.byte(d.end), denv[0], denv[1]))
        why = denv[1] if denv is not env else f"{env[1]}; set by `{d.id}`" if env[1] else None
        for st in d.settings:
            out.append(Value(st.key, st.value, doc.byte(st.start), doc.byte(st.end), denv[0], why))
    return out


def action_values(doc: YamlText, uses: str, with_: Tree, env: Env, declared: bool,
                  inputs: dict[str, str] | None = None) -> list[Value]:
    """`K=V` settings in a deploy action's inputs (`env_vars:` of deploy-cloudrun), with the
    environment the action deploys to."""
    if not isinstance(with_, dict):
        return []
    found = deploycommands.action(uses, inputs or {k: v.value for k, v in with_.items() if is_scalar(v)})
    if found is None:
        return []
    aenv, explicit, how, aid = found
    denv: Env = (aenv, f"uses `{aid}` ({how})") if explicit or (not declared and aenv) else env
    why = denv[1] if denv is not env else f"{env[1]}; set by `{aid}`" if env[1] else None
    out = []
    for k in deploycommands.action_sets(uses):
        node = with_.get(k)
        if is_scalar(node):
            for st in deploycommands.settings_in(doc.lines(node)):
                out.append(Value(st.key, st.value, doc.byte(st.start), doc.byte(st.end), denv[0], why))
    return out


def jobs_fed(names: list[str], envs: dict[str, list[Env]], sources: Callable[[str], dict[str, str]],
             is_free: Callable[[str], bool]) -> dict[str, list[Env]]:
    """Environments of jobs that declare none and build what a deploying job deploys.

    *sources(deployer)* says which jobs hand the deployer what it deploys (builder → "the artifact
    `dist`"); *is_free(job)* whether the job's environment is still open (no declaration, no
    deploy command). A builder that gains an environment is a deployer in turn, so a chain
    build → package → deploy reaches the build; each job's sources are computed once.
    """
    out: dict[str, list[Env]] = {}
    cache: dict[str, dict[str, str]] = {}
    if all(not is_free(n) for n in names):
        return out  # every job says where it deploys: nothing to hand on
    todo = [n for n in names if not is_free(n)]
    while todo:
        deployer = todo.pop(0)
        if deployer not in cache:
            cache[deployer] = sources(deployer)
        for builder, what in cache[deployer].items():
            if builder == deployer or not is_free(builder):
                continue
            added = False
            for env, why in out.get(deployer) or envs[deployer]:
                if env is None or env in [e for e, _ in out.get(builder, [])]:
                    continue
                reason = f"job `{builder}` declares no environment but builds {what} that job `{deployer}` deploys"
                out.setdefault(builder, []).append((env, f"{reason} ({why})" if why else reason))
                added = True
            if added:
                todo.append(builder)
    return out
