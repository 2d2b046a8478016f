"""Dockerfiles: every `ENV` and `ARG` value, with the environment of the stage that sets it.

The stage actually built (the last one, or ``--docker-target``) and every stage it
reaches through ``FROM <stage>``, ``COPY --from=<stage>`` or ``RUN --mount=from=<stage>``
are production; other stages take the environment their name gives (``AS dev`` →
development) or ``build``. ``Dockerfile.dev``/``.test``/``.staging`` put every stage in that
environment. Heredoc bodies are skipped; ``ONBUILD`` instructions are ignored.

Values are located by byte offset: the file is decoded as latin-1 (one character
per byte), so character indexes are byte offsets, and value text is re-decoded as
UTF-8 at the end. A value built by substitution (``ENV X=$NAME``) spans the text
``$NAME`` as written; its ``value`` is the substituted result.
"""
from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field, replace

from ..environments import DEFAULT_PRODUCTION, alias
from .kind import Kind, base_name
from .values import ExtractError, Options, Value

INSTRUCTIONS = frozenset(
    "add arg cmd copy entrypoint env expose from healthcheck label maintainer onbuild run shell "
    "stopsignal user volume workdir".split()
)
_DIRECTIVE = re.compile(r"^#\s*([A-Za-z]+)\s*=\s*(\S*)\s*$")
_HEREDOC = re.compile(r"<<(-?)([\"']?)([A-Za-z_][A-Za-z0-9_]*)\2")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_VAR = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-+?])(.*))?\Z", re.S)
_FILE_ENV = re.compile(r"^dockerfile\.([a-z0-9_-]+)$|^([a-z0-9_-]+)\.dockerfile$")
_MOUNT_FROM = re.compile(r"(?:^|,)from=([^,\s]+)")

CONTAINER_COMMAND, SERVICE = "container-command", "service"  # roles (rules/roles.yaml)
#: `NAME=value` in a command (`RUN VITE_X=http://… npm run build`, `echo VITE_X=… >> .env`): a shell word
_CMD_ASSIGN = re.compile(r"""(?<![^\s;(&|"'`])([A-Za-z_][A-Za-z0-9_]*)=("[^"]*"|'[^']*'|[^\s;&|"'`)]*)""")
#: one command of a shell line: `&&`, `||`, `;`, `|` separate them
_SEGMENT = re.compile(r"[^;&|]+")
_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
_HTTP_CLIENT = re.compile(r"(?<![\w.-])(?:curl|wget)(?![\w.-])")
#: the container's own address: a loopback host, after `://` or as a bare word (`curl localhost:80/health`)
_LOOPBACK = re.compile(r"(?:://|(?<![\w.@/-]))(?:localhost|127(?:\.\d{1,3}){3}|\[::1\]|0\.0\.0\.0)(?![\w.-])", re.I)
#: a command that builds the app: what the build sees (ARG, ENV set before it) is baked into it
_BUILD = re.compile(
    r"(?<![\w.-])(?:npm|pnpm|yarn|bun|npx|pnpx|bunx|vite|next|nuxt|nuxi|ng|astro|react-scripts|turbo|nx|gatsby|remix"
    r"|expo|vue-cli-service|svelte-kit|ember)(?![\w.-])[^;&|]*?(?<![\w-])build(?![\w-])"
    r"|(?<![\w.-])(?:webpack|rollup|esbuild|parcel)(?![\w.-])")
#: Docker's predefined proxy build args: an outbound proxy for the build, never the app's setting
_PROXY_ARGS = frozenset("http_proxy https_proxy ftp_proxy no_proxy all_proxy".split())


@dataclass
class _Line:
    """One logical instruction: its text and the byte offset of each character."""

    number: int  # 1-based line of its first physical line
    text: str
    pos: list[int]


@dataclass
class _Stage:
    index: int
    name: str | None
    line: int
    deps: dict[int, str] = field(default_factory=dict)  # stage index -> how it is used ("copied into", …)
    env: dict[str, str] = field(default_factory=dict)  # ENV set here or inherited from a parent stage
    found: list[Value] = field(default_factory=list)
    setters: dict[int, str] = field(default_factory=dict)  # id of a found ARG/ENV value -> "ARG"/"ENV"
    build: tuple[int, str] | None = None  # (byte offset, command) of the first RUN that builds the app

    @property
    def label(self) -> str:
        return self.name or str(self.index)


def _logical_lines(text: str) -> tuple[list[_Line], str]:
    """Join continuations, drop comments, directives and heredoc bodies; also the escape character."""
    esc = "\\"
    raw = text.split("\n")
    offsets, at = [], 0
    for line in raw:
        offsets.append(at)
        at += len(line) + 1
    out: list[_Line] = []
    i, directives = 0, True
    while i < len(raw):
        line = raw[i].rstrip("\r")
        if directives:
            m = _DIRECTIVE.match(line)
            if m:
                if m.group(1).lower() == "escape" and m.group(2) in ("\\", "`"):
                    esc = m.group(2)
                i += 1
                continue
            directives = False
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            i += 1
            continue
        number, chars, pos = i + 1, [], []
        while i < len(raw):
            line = raw[i].rstrip("\r")
            body = line.rstrip()
            if chars and (not body.strip() or body.lstrip().startswith("#")):
                i += 1  # blank and comment lines inside a continuation are dropped
                continue
            cont = body.endswith(esc)
            if cont:
                body = body[:-1]
            chars.append(body)
            pos.extend(range(offsets[i], offsets[i] + len(body)))
            i += 1
            if not cont:
                break
        joined = "".join(chars)
        out.append(_Line(number, joined, pos))
        first = joined.split(None, 1)[:1]  # a bare `\` continuation leaves an empty line
        heredocs = _HEREDOC.finditer(joined) if first and first[0].lower() in ("run", "copy", "add") else ()
        for m in heredocs:  # skip each heredoc body up to its terminator
            while i < len(raw):
                body = raw[i].rstrip("\r")
                i += 1
                if (body.lstrip("\t") if m.group(1) else body) == m.group(3):
                    break
    return out, esc


def _closing_brace(s: str, k: int, end: int) -> int:
    depth = 0
    for j in range(k, end):
        if s[j] == "{":
            depth += 1
        elif s[j] == "}":
            depth -= 1
            if depth == 0:
                return j
    return -1


def _word(s: str, i: int, j: int, scope: dict[str, str], esc: str = "\\") -> tuple[str, list[tuple[int, int, str]]]:
    """Process s[i:j] like BuildKit: quotes, escapes, `$VAR`, `${VAR:-default}`.

    Returns the value and the `(start, end, value)` of every default written in it.
    """
    out: list[str] = []
    defaults: list[tuple[int, int, str]] = []
    k, quote = i, ""
    while k < j:
        c = s[k]
        if quote == "'":
            if c == "'":
                quote = ""
            else:
                out.append(c)
            k += 1
        elif c == esc and k + 1 < j:
            nxt = s[k + 1]
            if quote and nxt not in ('"', "$", esc):
                out.append(c)
            out.append(nxt)
            k += 2
        elif c in "\"'" and (not quote or quote == c):
            quote = "" if quote else c
            k += 1
        elif c == "$" and k + 1 < j and s[k + 1] == "{" and (close := _closing_brace(s, k + 1, j)) > 0:
            m = _VAR.match(s, k + 2, close)
            if not m:
                out.append(s[k : close + 1])
            else:
                name, op = m.group(1), m.group(2) or ""
                is_set = name in scope and (bool(scope[name]) or ":" not in op)
                if "-" in op or "+" in op:
                    sub, inner = _word(s, m.start(3), close, scope, esc)
                    defaults.extend(inner)
                    if "-" in op:
                        defaults.append((m.start(3), close, sub))
                        out.append(scope[name] if is_set else sub)
                    elif is_set:
                        out.append(sub)
                else:
                    out.append(scope.get(name, ""))
            k = close + 1
        elif c == "$" and (m := _NAME.match(s, k + 1, j)):
            out.append(scope.get(m.group(0), ""))
            k = m.end()
        else:
            out.append(c)
            k += 1
    return "".join(out), defaults


def _split(s: str, i: int, esc: str = "\\") -> list[tuple[int, int]]:
    """Whitespace-separated words of s[i:], quotes and escapes respected."""
    words: list[tuple[int, int]] = []
    start, quote, k = -1, "", i
    while k < len(s):
        c = s[k]
        if start < 0 and not c.isspace():
            start = k
        if quote:
            if c == quote:
                quote = ""
            elif c == esc and quote == '"':
                k += 1
        elif c == esc:
            k += 1
        elif c in "\"'":
            quote = c
        elif c.isspace() and start >= 0:
            words.append((start, k))
            start = -1
        k += 1
    if start >= 0:
        words.append((start, len(s)))
    return words


def _span(s: str, a: int, b: int) -> tuple[int, int]:
    """The value text as written: inside the quotes when one quoted string is the whole value."""
    if b - a >= 2 and s[a] in "\"'" and s[b - 1] == s[a]:
        k = a + 1
        while k < b - 1 and s[k] != s[a]:
            k += 2 if s[k] == "\\" and s[a] == '"' else 1
        if k == b - 1:
            return a + 1, b - 1
    return a, b


def _decode(text: str) -> str:
    return text.encode("latin-1").decode("utf-8", "replace")


def _assignments(line: _Line, start: int, scope: dict[str, str], legacy: bool,
                 esc: str) -> list[tuple[str, str | None, int, int, list[tuple[int, int, str]]]]:
    """(key, value, start, end, defaults) of each `KEY=value` (or legacy `KEY value`) after `start`."""
    s = line.text
    found: list[tuple[str, str | None, int, int, list[tuple[int, int, str]]]] = []
    words = _split(s, start, esc)
    if legacy and words and "=" not in s[words[0][0] : words[0][1]]:
        key = s[words[0][0] : words[0][1]]
        if len(words) < 2:
            raise ExtractError(f"line {line.number}: ENV {key} has no value")
        a, b = words[1][0], words[-1][1]
        value, defaults = _word(s, a, b, scope, esc)
        return [(key, value, *_span(s, a, b), defaults)]
    for a, b in words:
        eq = s.find("=", a, b)
        if eq < 0:
            found.append((s[a:b], None, b, b, []))  # `ARG NAME` without a default
            continue
        value, defaults = _word(s, eq + 1, b, scope, esc)
        found.append((s[a:eq], value, *_span(s, eq + 1, b), defaults))
        if value is not None:
            scope[s[a:eq]] = value
    return found


def _file_environment(path: str) -> tuple[str, str] | None:
    name = base_name(path)
    m = _FILE_ENV.match(name)
    if not m:
        return None
    env = alias(m.group(1) or m.group(2))
    return (env, posixpath.basename(path.replace("\\", "/"))) if env else None


def stage_names(data: bytes) -> list[str]:
    """The named stages (`FROM image AS name`, lower case): what `--docker-target` may name."""
    lines, esc = _logical_lines(data.decode("latin-1"))
    names = []
    for line in lines:
        s = line.text
        head = re.match(r"\s*(\S+)", s)
        if head is None or head.group(1).lower() != "from":
            continue
        words = [s[a:b] for a, b in _split(s, head.end(), esc) if not s.startswith("--", a)]
        if len(words) >= 3 and words[1].lower() == "as":
            names.append(words[2].lower())
    return names


def values(data: bytes, path: str, options: Options) -> list[Value]:
    """Every ENV and ARG value (and `${X:-default}` default) in the Dockerfile."""
    text = data.decode("latin-1")
    stages: list[_Stage] = []
    global_args: dict[str, str] = {}
    global_found: list[tuple[Value, str]] = []
    lines, esc = _logical_lines(text)
    by_name: dict[str, int] = {}
    used_globals: dict[str, set[int]] = {}
    scope: dict[str, str] = {}

    def stage_ref(ref: str) -> int | None:
        ref = ref.lower()
        if ref in by_name:
            return by_name[ref]
        return int(ref) if ref.isascii() and ref.isdecimal() and int(ref) < len(stages) else None

    for line in lines:
        s = line.text
        head = re.match(r"\s*(\S+)", s)
        if head is None:  # a bare `\` continuation joins into an empty line
            continue
        word = head.group(1).lower()
        if word not in INSTRUCTIONS:
            raise ExtractError(f"line {line.number}: unknown instruction `{head.group(1)}`")
        rest = head.end()
        if word == "from":
            words = [w for w in _split(s, rest, esc) if not s.startswith("--", w[0])]
            if not words:
                raise ExtractError(f"line {line.number}: FROM without an image")
            image, _ = _word(s, *words[0], global_args, esc)
            for name in re.findall(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)", s[words[0][0] : words[0][1]]):
                used_globals.setdefault(name, set()).add(len(stages))
            name = None
            if len(words) >= 3 and s[words[1][0] : words[1][1]].lower() == "as":
                name = s[words[2][0] : words[2][1]].lower()
            stage = _Stage(len(stages), name, line.number)
            parent = stage_ref(image)
            if parent is not None:
                stage.deps[parent] = "the base of"
                stage.env = dict(stages[parent].env)
            stages.append(stage)
            if name:
                by_name[name] = stage.index
            scope = dict(stage.env)
            continue
        if word in ("arg", "env"):
            for key, value, a, b, defaults in _assignments(line, rest, scope, word == "env", esc):
                if word == "arg" and value is None:
                    if key in global_args and stages:
                        scope[key] = global_args[key]
                        used_globals.setdefault(key, set()).add(stages[-1].index)
                    continue
                found = [Value(_decode(key), _decode(text), _start(line, x, y), _end(line, y), context=context)
                         for x, y, text, context in [(a, b, value or "", "value")] + [(*d, "default") for d in defaults]]
                if not stages:
                    global_args[key] = value or ""
                    global_found += [(v, key) for v in found]
                else:
                    stages[-1].found += found
                    stages[-1].setters.update((id(v), word.upper()) for v in found)
                    scope[key] = value or ""
                    if word == "env":
                        stages[-1].env[key] = value or ""
            continue
        if not stages:
            raise ExtractError(f"line {line.number}: {head.group(1)} before the first FROM")
        if word in ("run", "cmd", "entrypoint", "healthcheck"):
            _commands(line, word, rest, esc, stages[-1])
        if word in ("copy", "add", "run"):
            for a, b in _split(s, rest, esc):
                flag = s[a:b]
                if not flag.startswith("--"):
                    break
                refs = re.findall(r"^--from=(\S+)", flag) + (_MOUNT_FROM.findall(flag[8:]) if flag.startswith("--mount=") else [])
                for ref in refs:
                    dep = stage_ref(_word(ref, 0, len(ref), scope, esc)[0])
                    if dep is not None and dep != stages[-1].index:
                        stages[-1].deps.setdefault(dep, "copied into")
    if not stages:
        raise ExtractError("no FROM instruction")
    envs = _environments(stages, path, options)
    by_file = _file_environment(path)
    out: list[Value] = []
    builds = _builds(stages)
    for stage in stages:
        env, reason = envs[stage.index]
        for v in stage.found:
            setter, feeds = stage.setters.get(id(v)), builds.get(stage.index)
            if setter and feeds and v.key.lower() not in _PROXY_ARGS and (setter == "ENV" or feeds[0] == stage.index) \
                    and (feeds[0] != stage.index or v.start < feeds[1]):
                why = f"`{setter} {_decode(v.key)}` is set before `RUN {feeds[2]}` in stage `{stages[feeds[0]].label}`: a value set for the build"
                v = replace(v, role=SERVICE, role_reason=why)
            out.append(replace(v, environment=env, reason=reason))
    for v, key in global_found:
        users = sorted(used_globals.get(key, ()), key=lambda i: envs[i][0] not in DEFAULT_PRODUCTION and envs[i][0] != "production")
        if by_file and by_file[0] != "production":  # the file name decides for every stage
            env, reason = envs[0]
        elif users:
            env, reason = envs[users[0]]
            reason = f"global `ARG {key}` is used by stage `{stages[users[0]].label}`: {reason}"
        else:
            env, reason = "build", f"global `ARG {key}` is not used by any stage"
        builder = next((i for i in sorted(used_globals.get(key, ())) if stages[i].build), None)
        if builder is not None and key.lower() not in _PROXY_ARGS:
            why = (f"global `ARG {_decode(key)}` is used by stage `{stages[builder].label}`, which runs "
                   f"`{stages[builder].build[1]}`: a value set for the build")
            v = replace(v, role=SERVICE, role_reason=why)
        out.append(replace(v, environment=env, reason=reason))
    return sorted(out, key=lambda v: (v.start, v.end))


def _commands(line: _Line, word: str, rest: int, esc: str, stage: _Stage) -> None:
    """The values of a `RUN`, `CMD`, `ENTRYPOINT` or `HEALTHCHECK` instruction (shell or exec form).

    * `HEALTHCHECK [options] CMD …`: the whole command, role ``container-command`` (Docker runs it
      inside the container);
    * `NAME=value` in a command (`RUN VITE_X=http://… npm run build`, `RUN echo VITE_X=… >> .env`):
      the value, role ``service``: a value set for the build or the app, which no key or file
      role may turn into anything else;
    * a `curl`/`wget` of a loopback address (`RUN curl -f http://localhost:3000/ready`): that
      command, role ``container-command`` (a request to the container itself).
    A first `RUN` that builds the app (`npm run build`, `vite build`, …) is remembered: the ARG
    and ENV values set before it feed the build."""
    s = line.text
    instr = word.upper()
    a = len(s)
    words = _split(s, rest, esc)
    for k, (x, y) in enumerate(words):  # skip `--mount=…`, `--interval=30s`, and HEALTHCHECK's `CMD`
        if s.startswith("--", x):
            continue
        if word == "healthcheck" and s[x:y].upper() == "CMD":
            a = words[k + 1][0] if k + 1 < len(words) else len(s)
        elif word != "healthcheck":
            a = x
        break
    if a >= len(s):
        return
    if word == "healthcheck":
        text = s[a:].rstrip()
        stage.found.append(Value("HEALTHCHECK", _decode(text), _start(line, a, a + len(text)), _end(line, a + len(text)),
                                 role=CONTAINER_COMMAND, role_reason="Dockerfile `HEALTHCHECK` (runs inside the container)"))
        return
    for m in _CMD_ASSIGN.finditer(s, a):
        x, y = _span(s, m.start(2), m.end(2))
        if x < y:
            why = (f"`RUN {_decode(m.group(1))}=…` sets a value for the build" if word == "run"
                   else f"`{instr} {_decode(m.group(1))}=…` sets a value for the app")
            stage.found.append(Value(_decode(m.group(1)), _decode(s[x:y]), _start(line, x, y), _end(line, y),
                                     role=SERVICE, role_reason=why))
    why = f"Dockerfile `{instr}` requests the container itself (`curl`/`wget` to a loopback address)"
    for x, y in _command_spans(s, a):
        seg = s[x:y]
        if _HTTP_CLIENT.search(seg) and _LOOPBACK.search(seg):
            stage.found.append(Value(instr, _decode(seg), _start(line, x, y), _end(line, y),
                                     role=CONTAINER_COMMAND, role_reason=why))
        if word == "run" and stage.build is None and _BUILD.search(seg):
            stage.build = (line.pos[x], " ".join(_decode(seg).split()))


def _command_spans(s: str, a: int) -> list[tuple[int, int]]:
    """The single commands of s[a:]: shell form split at `&&`, `||`, `;`, `|`; exec form is one
    command when it runs curl or wget (`["curl", "-f", "http://localhost/"]`), and each of its
    strings is split like a shell line (`["sh", "-c", "curl …; exec node server.mjs"]`)."""
    def segments(i: int, j: int) -> list[tuple[int, int]]:
        out = []
        for m in _SEGMENT.finditer(s, i, j):
            x = m.start() + len(m.group(0)) - len(m.group(0).lstrip())
            y = m.end() - (len(m.group(0)) - len(m.group(0).rstrip()))
            if x < y:
                out.append((x, y))
        return out

    body = s[a:].rstrip()
    if not (body.startswith("[") and body.endswith("]")):
        return segments(a, len(s))
    strings = list(_JSON_STRING.finditer(s, a, a + len(body)))
    spans = [(a, a + len(body))] if strings and _HTTP_CLIENT.search(strings[0].group(0)) else []
    for m in strings:  # a script given to `sh -c`: its own commands
        spans += segments(m.start() + 1, m.end() - 1)
    return spans


def _builds(stages: list[_Stage]) -> dict[int, tuple[int, int, str]]:
    """Stage index -> (builder stage, byte offset of its build, the build command) for every stage
    whose ARG/ENV values feed a build: its own first build `RUN`, else (for ENV, which a stage
    inherits) a build in a stage built `FROM` it."""
    feeds: dict[int, tuple[int, int, str]] = {}
    for st in reversed(stages):  # children come after their parents
        if st.build:
            feeds[st.index] = (st.index, st.build[0], st.build[1])
        mine = feeds.get(st.index)
        for dep, how in st.deps.items():
            if how == "the base of" and mine and dep not in feeds:
                feeds[dep] = mine
    return feeds


def _start(line: _Line, a: int, b: int) -> int:
    """Byte offset of the character at index a (or just past the one before, for empty values)."""
    return line.pos[a] if a < b else _end(line, a)


def _end(line: _Line, b: int) -> int:
    """Byte offset just past the character before index b (or at it, for empty values)."""
    if b == 0:
        return line.pos[0] if line.pos else 0
    return line.pos[b - 1] + 1


def _environments(stages: list[_Stage], path: str, options: Options) -> dict[int, tuple[str, str]]:
    """(environment, reason) per stage index."""
    by_file = _file_environment(path)
    if by_file and by_file[0] != "production":
        reason = f"file name `{by_file[1]}` names the {by_file[0]} environment"
        return {st.index: (by_file[0], reason) for st in stages}
    final, role = stages[-1], "the final stage"
    if options.docker_target:
        named = [st for st in stages if st.name == options.docker_target.lower()]
        if named:
            final, role = named[0], "the --docker-target stage"
    of_file = f" of `{by_file[1]}`" if by_file else ""
    envs = {final.index: ("production", f"stage `{final.label}` is {role}{of_file}")}
    role = f"{role} `{final.label}`"
    todo = [final]
    while todo:  # everything the built stage reaches, transitively
        st = todo.pop()
        for dep, how in st.deps.items():
            if dep not in envs:
                into = role if st is final else f"stage `{st.label}`, part of {role}"
                envs[dep] = ("production", f"stage `{stages[dep].label}` is {how} {into}")
                todo.append(stages[dep])
    for st in stages:
        if st.index in envs:
            continue
        named_env = {alias(t) for t in re.split(r"[-_.]", st.name or "") if alias(t)}
        if len(named_env) == 1:
            env = named_env.pop()
            envs[st.index] = (env, f"stage `{st.label}` is named for the {env} environment and is not part of {role}")
        else:
            envs[st.index] = ("build", f"stage `{st.label}` is not part of {role}")
    return envs


#: Dockerfiles (`Dockerfile`, `Dockerfile.prod`, `api.dockerfile`); `Dockerfile.dockerignore`
#: is the ignore file BuildKit reads beside it, not a Dockerfile.
KIND = Kind("dockerfile", globs=("dockerfile", "dockerfile.*", "*.dockerfile"), exclude=("*.dockerignore",),
            values=values)
