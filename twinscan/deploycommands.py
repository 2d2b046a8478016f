"""Deploy commands in CI scripts and the environment each deploys to, from `rules/deploy_commands.yaml`.

A CI job that declares no environment still deploys somewhere when it runs `fly deploy`,
`vercel deploy --prod` or `helm upgrade … -f values-production.yaml`; that environment is the
job's. The table says, per command, which options and arguments name the environment, what the
command deploys to when it names none, and which options set values of the deployed service
(`gcloud run deploy --set-env-vars K=V`). A target the command names explicitly wins over the
command's default. Environment names in any spelling go through `environments.known`.

Shell text is read as words with their offsets (quotes kept in the span, removed in the
text), so each value a command sets can be mapped back to the bytes of the workflow file.

The records are NamedTuples: five frozen dataclasses cost ~3 ms to create when a pre-commit run
on a Dockerfile or a workflow imports this module; they are only ever read by attribute.
"""
from __future__ import annotations

import functools
import os
import re
from typing import NamedTuple

from .environments import known

_WORD = re.compile(r"""(?P<sep>&&|\|\||[;|&()])|(?P<word>(?:"(?:\\.|[^"\\])*"|'[^']*'|\\.|[^\s;&|'"()])+)""")
_PREFIX = {"sudo", "npx", "bunx", "env", "export", "time", "exec", "command", "nohup"}
_ASSIGN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
_EXT = re.compile(r"\.(?:ya?ml|toml|json|tfvars|tfvars\.json|env|hcl)$", re.I)


class Word(NamedTuple):
    text: str  # quotes removed
    start: int  # char offset of the word (quotes included)
    end: int
    inner: tuple[int, int]  # the offsets of the text without surrounding quotes


class Setting(NamedTuple):
    key: str
    value: str
    start: int  # char offsets of the value
    end: int


class Deploy(NamedTuple):
    """One deploy command or action: what it is, where it is, the environment it deploys to."""
    id: str
    start: int
    end: int
    environment: str | None  # normalised; None: the command does not say
    explicit: bool  # the command names its target (an option, name or flag), not its default
    how: str  # "`--config fly.staging.toml`", "`--prod`", "the default of `fly deploy`"
    settings: tuple[Setting, ...] = ()

    def reason(self) -> str:
        return f"runs `{self.id}` ({self.how})"


class _Command(NamedTuple):
    id: str
    regex: re.Pattern[str]
    options: frozenset[str]
    positional: bool
    flags: frozenset[str]
    production_flags: frozenset[str]
    env_vars: frozenset[str]
    default: str | None
    sets: tuple[str, ...]
    examples: tuple[dict, ...]


class _Action(NamedTuple):
    id: str
    inputs: tuple[str, ...]
    sets: tuple[str, ...]
    production_values: tuple[str, ...]
    default: str | None
    examples: tuple[dict, ...]


def _table_file() -> str:
    from .shipped import rules_dir

    return os.path.join(rules_dir(), "deploy_commands.yaml")


@functools.lru_cache(maxsize=1)
def table() -> tuple[tuple[_Command, ...], tuple[_Action, ...]]:
    """The commands and actions of `rules/deploy_commands.yaml`, compiled once."""
    from . import shipped

    doc = shipped.load("deploy_commands.yaml")
    commands = tuple(
        _Command(e["id"], re.compile(e["command"]), frozenset(e.get("options") or ()), bool(e.get("positional")),
                 frozenset(e.get("flags") or ()), frozenset(e.get("production_flags") or ()),
                 frozenset(e.get("env_vars") or ()), e.get("default"), tuple(e.get("sets") or ()),
                 tuple(e.get("examples") or ()))
        for e in doc["commands"])
    actions = tuple(
        _Action(e["id"].lower(), tuple(e.get("inputs") or ()), tuple(e.get("sets") or ()),
                tuple(e.get("production_values") or ()), e.get("default"), tuple(e.get("examples") or ()))
        for e in doc.get("actions") or ())
    return commands, actions


def env_named(text: str) -> str | None:
    """The environment a word names (`fly.staging.toml`, `app-staging`, `overlays/prod-eu`,
    `deploy:staging`), or None; a value only known at run time (`$ENV`, `${{ … }}`) names none."""
    if not text or "$" in text:
        return None
    t = _EXT.sub("", text.strip().strip("/")).replace(":", "-")
    env = known(t) if t else None
    return None if env == "example" else env  # `dist/`, `template.yaml`: files, not a deploy target


# -- shell words -----------------------------------------------------------------------------
def _unquote(raw: str, at: int) -> Word:
    inner = (at, at + len(raw))
    if len(raw) >= 2 and raw[0] == raw[-1] and raw[0] in "\"'":
        inner = (at + 1, at + len(raw) - 1)
    text = re.sub(r"""\\(.)|["']""", lambda m: m.group(1) or "", raw) if any(c in raw for c in "\"'\\") else raw
    return Word(text, at, at + len(raw), inner)


def commands(lines: list[tuple[int, str]]) -> list[list[Word]]:
    """Shell commands as lists of words: lines are joined at a trailing `\\`, split at `;`, `&&`,
    `||`, `|` and `&`; `#` comments are dropped."""
    out: list[list[Word]] = []
    cur: list[Word] = []
    for at, line in lines:
        cont = line.rstrip().endswith("\\")
        body = line.rstrip()[:-1] if cont else line
        for m in _WORD.finditer(body):
            if m.group("sep"):
                if cur:
                    out.append(cur)
                cur = []
                continue
            raw = m.group("word")
            if raw.startswith("#"):
                break
            cur.append(_unquote(raw, at + m.start()))
        if not cont and cur:
            out.append(cur)
            cur = []
    if cur:
        out.append(cur)
    return out


def comments(lines: list[tuple[int, str]]) -> list[tuple[int, int]]:
    """Char spans of `#` comments in shell lines (a `#` that starts a word outside quotes)."""
    out = []
    for at, line in lines:
        for m in _WORD.finditer(line):
            if m.group("word") and m.group("word").startswith("#"):
                out.append((at + m.start(), at + len(line.rstrip())))
                break
    return out


# -- commands ----------------------------------------------------------------------------------
def find(lines: list[tuple[int, str]]) -> list[Deploy]:
    """Every deploy command of the table in these script lines."""
    table_commands = table()[0]
    out = []
    for words in commands(lines):
        i, assigned = 0, []
        while i < len(words) and (words[i].text in _PREFIX or _ASSIGN.match(words[i].text)
                                  or (i and words[i - 1].text in ("sudo", "env") and words[i].text.startswith("-"))):
            if _ASSIGN.match(words[i].text):
                assigned.append(words[i])
            i += 1
        if i >= len(words):
            continue
        rest = words[i:]
        line = " ".join(w.text for w in rest)
        for cmd in table_commands:
            m = cmd.regex.match(line)
            if m and (m.end() == len(line) or line[m.end()] == " " or line[m.end() - 1] == " "):
                out.append(_judge(cmd, m, rest, assigned))
                break
    return out


def _judge(cmd: _Command, m: re.Match, words: list[Word], assigned: list[Word]) -> Deploy:
    named: list[tuple[str, str]] = []  # (environment, how)
    prod_flag = None
    settings: list[Setting] = []
    if "name" in cmd.regex.groupindex and m.group("name") and env_named(m.group("name")):
        named.append((env_named(m.group("name")) or "", f"`{m.group('name')}`"))
    for w in assigned:
        k, _, v = w.text.partition("=")
        if k in cmd.env_vars and env_named(v):
            named.append((env_named(v) or "", f"`{w.text}`"))
    args = words[1:]  # options inside the command's own words count too (`terraform -chdir=… apply`)
    j = 0
    while j < len(args):
        w = args[j]
        name, eq, val = w.text.partition("=")
        if w.text.startswith("-") and len(w.text) > 1:
            value_word = None
            if eq:
                value_word = (val, w.start + len(name) + 1 + (w.inner[0] - w.start), w.inner[1])
            elif name in cmd.production_flags:
                prod_flag = name
            elif name not in cmd.flags and j + 1 < len(args) and not args[j + 1].text.startswith("-"):
                nxt = args[j + 1]
                value_word = (nxt.text, nxt.inner[0], nxt.inner[1])
                j += 1
            if value_word is not None:
                text, s, e = value_word
                if name in cmd.options and env_named(text):
                    named.append((env_named(text) or "", f"`{name} {text}`"))
                if name in cmd.sets:
                    settings += _pairs(text, s)
        else:
            if cmd.positional and env_named(w.text):
                named.append((env_named(w.text) or "", f"`{w.text}`"))
            if "positional" in cmd.sets and _ASSIGN.match(w.text):
                k, _, v = w.text.partition("=")
                if k in cmd.env_vars and env_named(v):
                    named.append((env_named(v) or "", f"`{w.text}`"))
                else:
                    s = w.inner[0] + len(k) + 1 if w.inner[0] == w.start else w.inner[0] + len(k) + 1
                    settings.append(Setting(k, v, s, w.inner[1]))
        j += 1
    start, end = words[0].start, words[-1].end
    if named:
        prod = [n for n in named if n[0] == "production"]
        env, how = (prod or named)[0]
        return Deploy(cmd.id, start, end, env, True, f"{how} names {env}", tuple(settings))
    if prod_flag:
        return Deploy(cmd.id, start, end, "production", True, f"`{prod_flag}`", tuple(settings))
    if cmd.default:
        env = known(cmd.default) or cmd.default
        return Deploy(cmd.id, start, end, env, False, f"deploys to {env} when it names no other environment",
                      tuple(settings))
    return Deploy(cmd.id, start, end, None, False, "names no environment", tuple(settings))


def _pairs(text: str, at: int) -> list[Setting]:
    """`K=V,K2=V2` (gcloud's `^;^K=V;K2=V2` delimiter form too) as settings with char offsets."""
    sep = ","
    if text.startswith("^") and text.find("^", 1) > 1:
        sep = text[1:text.find("^", 1)]
        skip = text.find("^", 1) + 1
        at, text = at + skip, text[skip:]
    out, pos = [], 0
    for part in text.split(sep):
        k, eq, v = part.partition("=")
        if eq and _ASSIGN.match(part.strip()):
            lead = len(part) - len(part.lstrip())
            out.append(Setting(k.strip(), v, at + pos + lead + len(k.strip()) + 1, at + pos + len(part)))
        pos += len(part) + len(sep)
    return out


# -- actions -----------------------------------------------------------------------------------
def action(uses: str, inputs: dict[str, str]) -> tuple[str | None, bool, str, str] | None:
    """(environment, explicit, how, action id) of a deploy action (`uses:` with its `with:` inputs as
    text), or None when the action is not a deploy action of the table."""
    ref = uses.split("@", 1)[0].strip().lower()
    for a in table()[1]:
        if ref != a.id:
            continue
        named = [(env_named(inputs[k]), k) for k in a.inputs if isinstance(inputs.get(k), str)]
        named = [(e, k) for e, k in named if e]
        if named:
            prod = [n for n in named if n[0] == "production"]
            env, k = (prod or named)[0]
            return env, True, f"`{k}: {inputs[k]}` names {env}", a.id
        for k in a.inputs:
            words = (inputs.get(k) or "").split()
            hit = next((p for p in a.production_values if p in words), None)
            if hit:
                return "production", True, f"`{k}: {inputs[k]}`", a.id
        if a.default:
            env = known(a.default) or a.default
            return env, False, f"deploys to {env} when its inputs name no other environment", a.id
        return None, False, "names no environment", a.id
    return None


def action_sets(uses: str) -> tuple[str, ...]:
    """The inputs of a deploy action whose value holds `K=V` settings (`env_vars`)."""
    ref = uses.split("@", 1)[0].strip().lower()
    return next((a.sets for a in table()[1] if a.id == ref), ())


def settings_in(lines: list[tuple[int, str]]) -> list[Setting]:
    """`K=V` settings of an action input: one per line, or comma-separated (`env_vars:`)."""
    out = []
    for at, line in lines:
        out += _pairs(line.rstrip(), at)
    return out
