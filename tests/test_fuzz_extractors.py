"""Property tests: every extractor holds its contract on near-valid, mutated input (issue 6).

Strategies build inputs that *almost* parse — real keys, real instruction words, real
YAML structure, real tar/gzip framing — and then damage them a little, because that
is where parsers take the unusual branches. The contracts checked:

* ``extract.<kind>.values(data, path, options)`` returns a list of ``Value`` with
  ``0 <= start <= end <= len(data)`` and raises nothing but ``ExtractError``;
* ``image.members(fileobj, Limits(), name)`` raises nothing but ``ExtractError``;
* ``urls.parse_at`` never raises, and a URL it returns lies inside the buffer;
* ``reader.Opened(...).windows()/text()`` raise only ReadError/NotText/IsArchive.

Every call also runs under a wall-clock alarm so a hang fails the test instead of
stalling the suite. The longer coverage-guided campaign lives in fuzz/ (atheris).
"""
from __future__ import annotations

import contextlib
import gzip
import io
import json
import os
import signal
import tarfile
import zlib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from twinscan import urls
from twinscan.extract import compose, dockerfile, dotenv, image, kubernetes, workflows
from twinscan.extract.values import ExtractError, Options, Value
from twinscan.reader import IsArchive, Limits, NotText, Opened, ReadError

pytestmark = pytest.mark.slow  # Hypothesis fuzz suites

#: FUZZ_SCALE=20 runs twenty times as many examples (a longer local hunt; the suite uses 1).
SCALE = int(os.environ.get("FUZZ_SCALE", "1"))
FUZZ = settings(max_examples=300 * SCALE, deadline=None, derandomize=False,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.filter_too_much])
HANG_SECONDS = 5  # far above any legitimate call on inputs this small


@contextlib.contextmanager
def no_hang(what: str):
    def alarm(signum, frame):
        raise AssertionError(f"{what} ran longer than {HANG_SECONDS} s (hang?)")

    old = signal.signal(signal.SIGALRM, alarm)
    signal.alarm(HANG_SECONDS)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def check_values(module, data: bytes, path: str, options: Options = Options()) -> list[Value]:
    with no_hang(f"{module.__name__}.values({path!r})"):
        try:
            out = module.values(data, path, options)
        except ExtractError:
            return []
    assert isinstance(out, list)
    for v in out:
        assert isinstance(v, Value), v
        assert isinstance(v.key, str) and isinstance(v.value, str), v
        assert isinstance(v.start, int) and isinstance(v.end, int), v
        assert 0 <= v.start <= v.end <= len(data), (v, len(data))
    return out


# ---------------------------------------------------------------------------
# generic mutation: a few byte-level edits on a near-valid document
# ---------------------------------------------------------------------------
NASTY = [b"\r\n", b"\r", b"\n", b"\t", b" ", b"\x00", b"\\", b"\\\n", b"'", b'"', b"`", b"$", b"${",
         b"}", b"{", b"[", b"]", b":", b"- ", b"#", b"&a ", b"*a", b"<<: *a", b"!!binary ", b"\xef\xbb\xbf",
         b"\xff", b"\xc3", b"\xe2\x80\xa8", b"\xf0\x9f\x98\x80", b"=", b"---\n", b"...\n", b"|", b">-",
         b"%YAML 1.1\n", b"? ", b"http://localhost:4111", b"//api.wondertwin.dev/twins/stripe", b"\\u0041",
         "\ufeff".encode(), "é".encode(), b"\\x", b"%"]


@st.composite
def mutated(draw, base: bytes, max_edits: int = 4) -> bytes:
    data = bytearray(base)
    for _ in range(draw(st.integers(0, max_edits))):
        op = draw(st.sampled_from(["insert", "delete", "replace", "dup", "truncate", "flip"]))
        n = len(data)
        i = draw(st.integers(0, n))
        if op == "insert":
            chunk = draw(st.one_of(st.sampled_from(NASTY), st.binary(max_size=8)))
            data[i:i] = chunk
        elif op == "delete" and n:
            j = draw(st.integers(i, min(n, i + 16)))
            del data[i:j]
        elif op == "replace" and i < n:
            data[i] = draw(st.integers(0, 255))
        elif op == "dup" and n:
            j = draw(st.integers(i, min(n, i + 64)))
            data[j:j] = data[i:j]
        elif op == "truncate":
            del data[i:]
        elif op == "flip" and i < n:
            data[i] ^= 1 << draw(st.integers(0, 7))
    return bytes(data)


URLS = st.sampled_from(["http://localhost:4111", "https://api.wondertwin.dev/twins/stripe", "http://127.0.0.1:4112/v1",
                        "https://api.stripe.com", "http://[::1]:8080/x?y=1#z", "//localhost:4111", "http://0.0.0.0",
                        "https://user:pw@twins.staging.yourco.com/twins/posthog", "x", ""])
KEYS = st.sampled_from(["VITE_STRIPE_BASE_URL", "NEXT_PUBLIC_POSTHOG_HOST", "API_URL", "A", "_x", "x.y", "DB-URL",
                        "FOO BAR", "é", ""])
TEXT = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=12)


# ---------------------------------------------------------------------------
# dotenv
# ---------------------------------------------------------------------------
@st.composite
def dotenv_doc(draw) -> bytes:
    lines = []
    for _ in range(draw(st.integers(0, 8))):
        kind = draw(st.sampled_from(["assign", "assign", "assign", "comment", "blank", "junk"]))
        if kind == "comment":
            lines.append("#" + draw(TEXT))
            continue
        if kind == "blank":
            lines.append(draw(st.sampled_from(["", "   ", "\t"])))
            continue
        if kind == "junk":
            lines.append(draw(TEXT))
            continue
        key = draw(KEYS)
        export = draw(st.sampled_from(["", "export ", "export\t", "  "]))
        sep = draw(st.sampled_from(["=", " = ", "= ", "=\t", ""]))
        parts = draw(st.lists(st.one_of(URLS, TEXT, st.builds(lambda k, d: f"${{{k}:-{d}}}", KEYS, URLS),
                                        st.builds(lambda k, d: f"${{{k}-{d}}}", KEYS, URLS),
                                        st.sampled_from(["$X", "${", "}", "\\n", "\\\"", "\\'", "\n", "#"])),
                              max_size=4))
        value = "".join(parts)
        quote = draw(st.sampled_from(["", "'", '"', "`"]))
        close = quote if draw(st.booleans()) else draw(st.sampled_from(["", quote, "'", '"']))
        trailing = draw(st.sampled_from(["", " # comment", "  #" , " junk"]))
        lines.append(f"{export}{key}{sep}{quote}{value}{close}{trailing}")
    eol = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    return eol.join(lines).encode("utf-8")


@FUZZ
@given(st.data())
def test_dotenv_contract(data):
    doc = data.draw(mutated(data.draw(dotenv_doc())))
    path = data.draw(st.sampled_from([".env", ".env.production", ".env.development.local", "app/.env.staging"]))
    check_values(dotenv, doc, path)


# ---------------------------------------------------------------------------
# Dockerfile
# ---------------------------------------------------------------------------
@st.composite
def dockerfile_doc(draw) -> bytes:
    stage_names = ["build", "dev", "prod", "final", "0", "base"]
    lines = []
    if draw(st.booleans()):
        lines.append(draw(st.sampled_from(["# escape=`", "# escape=\\", "# syntax=docker/dockerfile:1",
                                           "#escape=`", "# escape=x", "# directive=1"])))
    for _ in range(draw(st.integers(1, 10))):
        ins = draw(st.sampled_from(["FROM", "ENV", "ARG", "COPY", "RUN", "LABEL", "WORKDIR", "from", "env", "ONBUILD ENV",
                                    "#", "", "CMD", "HEALTHCHECK CMD", "BOGUS", "\\"]))
        if ins.lower() == "from":
            img = draw(st.sampled_from(["node:20", "${BASE}", "$BASE", "scratch", "base", "${X:-node}", ""]))
            as_ = draw(st.sampled_from(["", " AS ", " as ", " AS"]))
            name = draw(st.sampled_from(stage_names)) if as_.strip() else ""
            plat = draw(st.sampled_from(["", "--platform=$BUILDPLATFORM "]))
            lines.append(f"{ins} {plat}{img}{as_}{name}")
        elif ins.lower().endswith("env") or ins == "ARG" or ins == "LABEL":
            pairs = []
            for _ in range(draw(st.integers(0, 3))):
                k = draw(KEYS)
                v = "".join(draw(st.lists(st.one_of(URLS, TEXT, st.sampled_from(
                    ["${API_URL}", "${X:-http://localhost:4111}", "${X:+y}", "$Y", "\\ ", "\\$", '"', "'", "`", "${"])),
                    max_size=3)))
                q = draw(st.sampled_from(["", '"', "'"]))
                pairs.append(draw(st.sampled_from([f"{k}={q}{v}{q}", f"{k} {v}", k])))
            cont = draw(st.sampled_from([" ", " \\\n  ", " `\n  ", " \\\n# c\n  ", " \\  \n"]))
            lines.append(f"{ins} " + cont.join(pairs))
        elif ins == "COPY":
            frm = draw(st.sampled_from(["", "--from=build ", "--from=0 ", "--from=$X ", "--from= ", "--from=nginx:1 "]))
            lines.append(f"COPY {frm}/src /dst")
        elif ins == "RUN":
            lines.append("RUN " + draw(st.sampled_from(["echo $API_URL", "curl http://localhost:4111 \\\n && true",
                                                        "<<EOF\nexport A=http://localhost:4111\nEOF",
                                                        '["sh", "-c", "echo hi"]', "echo `\\"])))
        elif ins == "\\":  # a bare continuation line
            lines.append(draw(st.sampled_from(["\\", " \\", "`"])))
        else:
            lines.append(f"{ins} " + draw(TEXT))
    eol = draw(st.sampled_from(["\n", "\r\n"]))
    return eol.join(lines).encode("utf-8")


@FUZZ
@given(st.data())
def test_dockerfile_contract(data):
    doc = data.draw(mutated(data.draw(dockerfile_doc())))
    path = data.draw(st.sampled_from(["Dockerfile", "Dockerfile.prod", "dev.Dockerfile", "docker/Dockerfile.staging"]))
    target = data.draw(st.sampled_from([None, "prod", "build", "missing", "0"]))
    check_values(dockerfile, doc, path, Options(docker_target=target))


# ---------------------------------------------------------------------------
# YAML: compose, workflows, Kubernetes
# ---------------------------------------------------------------------------
SCALARS = st.one_of(URLS, TEXT, st.integers(-5, 10**20).map(str), st.sampled_from(
    ["true", "null", "~", "yes", "production", "staging", "dev", "${{ secrets.X }}", "${{ matrix.env }}",
     "${API_URL:-http://localhost:4111}", "$${X}", "prod-ns", "API_URL=http://localhost:4111", "", "0x1F", "1e3",
     "- not a list", "a: b", "'quoted'", "@x"]))


class Alias:
    def __init__(self, name: str):
        self.name = name


class Anchored:
    def __init__(self, name: str, node):
        self.name, self.node = name, node


def _qscalar(draw, s: str) -> str:
    style = draw(st.sampled_from(["plain", "plain", "single", "double", "literal", "folded"]))
    if style == "single":
        return "'" + s.replace("'", "''") + "'"
    if style == "double":
        return json.dumps(s)
    if style in ("literal", "folded") and "\n" not in s:
        return ("|" if style == "literal" else ">-") + "\n{indent}" + s
    return s if s and "\n" not in s and not s.startswith((" ", "'", '"')) else json.dumps(s)


def render(draw, node, indent: int) -> str:
    """Render node as YAML text after a key/dash (starts with ' ' or '\\n')."""
    pad = "  " * indent
    if isinstance(node, Alias):
        return f" *{node.name}"
    if isinstance(node, Anchored):
        body = render(draw, node.node, indent)
        return f" &{node.name}{body}"
    if isinstance(node, dict):
        if not node or draw(st.integers(0, 5)) == 0:  # flow style
            return " " + json.dumps(_plain(node))
        out = ""
        for k, v in node.items():
            key = k if draw(st.integers(0, 4)) else json.dumps(k)
            if k == "<<":
                key = "<<"
            out += f"\n{pad}{key}:{render(draw, v, indent + 1)}"
        return out
    if isinstance(node, list):
        if not node or draw(st.integers(0, 5)) == 0:
            return " " + json.dumps(_plain(node))
        return "".join(f"\n{pad}-{render(draw, v, indent + 1)}" for v in node)
    s = _qscalar(draw, str(node))
    return " " + s.replace("{indent}", pad)


def _plain(node):
    if isinstance(node, Anchored):
        return _plain(node.node)
    if isinstance(node, Alias):
        return "*" + node.name
    if isinstance(node, dict):
        return {k: _plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_plain(v) for v in node]
    return node


ENV_BLOCK = st.one_of(
    st.dictionaries(KEYS, SCALARS, max_size=3),
    st.lists(st.one_of(st.builds(lambda k, v: f"{k}={v}", KEYS, SCALARS), KEYS), max_size=3),
    st.lists(st.fixed_dictionaries({"name": KEYS, "value": SCALARS}), max_size=3),
    SCALARS,
)


def with_anchors(tree_strategy):
    @st.composite
    def build(draw):
        tree = draw(tree_strategy)
        # sprinkle one anchor and some aliases to it (and sometimes an alias before the anchor)
        if isinstance(tree, dict) and tree and draw(st.booleans()):
            k = draw(st.sampled_from(sorted(tree)))
            tree[k] = Anchored("a", tree[k])
            for _ in range(draw(st.integers(0, 3))):
                tree[draw(st.sampled_from(["x-alias", "env", "<<", "environment", "variables", "b"]))] = Alias("a")
        return tree
    return build()


compose_tree = st.fixed_dictionaries({
    "services": st.dictionaries(st.sampled_from(["web", "api", "worker", "db"]), st.fixed_dictionaries(
        {}, optional={"image": SCALARS, "environment": ENV_BLOCK, "env_file": SCALARS, "build": st.one_of(
            SCALARS, st.fixed_dictionaries({"context": SCALARS, "args": ENV_BLOCK, "target": SCALARS})),
            "profiles": st.lists(SCALARS, max_size=2), "labels": ENV_BLOCK, "extends": SCALARS}),
        max_size=3),
}, optional={"x-common": ENV_BLOCK, "version": SCALARS, "name": SCALARS})

step = st.fixed_dictionaries({}, optional={"run": SCALARS, "env": ENV_BLOCK, "with": ENV_BLOCK, "uses": SCALARS,
                                           "name": SCALARS})
job = st.fixed_dictionaries({}, optional={
    "environment": st.one_of(SCALARS, st.fixed_dictionaries({"name": SCALARS, "url": SCALARS})),
    "env": ENV_BLOCK, "steps": st.lists(step, max_size=3), "runs-on": SCALARS,
    "strategy": st.fixed_dictionaries({"matrix": st.dictionaries(st.sampled_from(["env", "target"]),
                                                                  st.lists(SCALARS, max_size=3), max_size=2)}),
    "script": st.one_of(SCALARS, st.lists(SCALARS, max_size=3)), "variables": ENV_BLOCK,
    "extends": st.one_of(SCALARS, st.lists(st.sampled_from([".base", "build", "deploy"]), max_size=2)),
    "docker": st.lists(st.fixed_dictionaries({"image": SCALARS}), max_size=1), "deployment": SCALARS})
workflow_tree = st.one_of(
    st.fixed_dictionaries({"jobs": st.dictionaries(st.sampled_from(["build", "deploy", "deploy-prod", "test"]), job,
                                                  max_size=3)},
                          optional={"env": ENV_BLOCK, "on": SCALARS, "name": SCALARS}),
    st.dictionaries(st.sampled_from([".base", "build", "deploy", "variables", "stages", "default", "include"]),
                    st.one_of(job, ENV_BLOCK), max_size=4),
    st.fixed_dictionaries({"pipelines": st.fixed_dictionaries({}, optional={
        "default": st.lists(st.fixed_dictionaries({"step": step | job}), max_size=2),
        "branches": st.dictionaries(st.sampled_from(["main", "**"]),
                                    st.lists(st.fixed_dictionaries({"step": job}), max_size=2), max_size=2)})},
                          optional={"definitions": ENV_BLOCK}),
    st.fixed_dictionaries({"version": SCALARS, "jobs": st.dictionaries(st.sampled_from(["build", "deploy"]), job,
                                                                       max_size=2),
                           "workflows": st.dictionaries(st.sampled_from(["main"]), st.fixed_dictionaries(
                               {"jobs": st.lists(st.one_of(SCALARS, st.dictionaries(
                                   st.sampled_from(["deploy"]), st.fixed_dictionaries(
                                       {}, optional={"context": SCALARS, "environment": ENV_BLOCK}), max_size=1)),
                                   max_size=2)}), max_size=1)}),
)

container = st.fixed_dictionaries({"name": SCALARS}, optional={"image": SCALARS, "env": ENV_BLOCK, "args": st.lists(
    SCALARS, max_size=2), "command": st.lists(SCALARS, max_size=2), "envFrom": st.lists(SCALARS, max_size=1)})
k8s_tree = st.fixed_dictionaries({
    "apiVersion": st.sampled_from(["v1", "apps/v1", "batch/v1", "x"]),
    "kind": st.sampled_from(["Deployment", "ConfigMap", "Secret", "Pod", "CronJob", "List", "StatefulSet", "x"]),
}, optional={
    "metadata": st.fixed_dictionaries({}, optional={"name": SCALARS, "namespace": SCALARS, "labels": ENV_BLOCK}),
    "data": ENV_BLOCK, "stringData": ENV_BLOCK,
    "spec": st.fixed_dictionaries({}, optional={
        "template": st.fixed_dictionaries({"spec": st.fixed_dictionaries({}, optional={
            "containers": st.lists(container, max_size=2), "initContainers": st.lists(container, max_size=1)})}),
        "containers": st.lists(container, max_size=2),
        "jobTemplate": st.fixed_dictionaries({"spec": st.fixed_dictionaries({"template": st.fixed_dictionaries(
            {"spec": st.fixed_dictionaries({"containers": st.lists(container, max_size=1)})})})})}),
    "items": st.lists(st.fixed_dictionaries({"kind": SCALARS, "data": ENV_BLOCK}), max_size=2),
})


@st.composite
def yaml_stream(draw, tree_strategy) -> bytes:
    docs = []
    for _ in range(draw(st.integers(1, 3))):
        tree = draw(with_anchors(tree_strategy))
        docs.append(render(draw, tree, 0).lstrip("\n").lstrip(" "))
    head = draw(st.sampled_from(["", "---\n", "%YAML 1.2\n---\n", "# comment\n"]))
    sep = draw(st.sampled_from(["\n---\n", "\n...\n---\n", "\n--- # doc\n"]))
    text = head + sep.join(docs) + draw(st.sampled_from(["", "\n", "\n..."]))
    if draw(st.booleans()):
        text = text.replace("\n", "\r\n")
    return text.encode("utf-8")


@FUZZ
@given(st.data())
def test_compose_contract(data):
    doc = data.draw(mutated(data.draw(yaml_stream(compose_tree))))
    path = data.draw(st.sampled_from(["compose.yaml", "docker-compose.prod.yml", "compose.override.yaml",
                                      "deploy/docker-compose.staging.yml"]))
    check_values(compose, doc, path)


@FUZZ
@given(st.data())
def test_workflows_contract(data):
    doc = data.draw(mutated(data.draw(yaml_stream(workflow_tree))))
    path = data.draw(st.sampled_from([".github/workflows/deploy.yml", ".gitlab-ci.yml", "ci/x.gitlab-ci.yaml",
                                      "repo/.circleci/config.yml", "bitbucket-pipelines.yml"]))
    check_values(workflows, doc, path)


@FUZZ
@given(st.data())
def test_kubernetes_contract(data):
    doc = data.draw(mutated(data.draw(yaml_stream(k8s_tree))))
    path = data.draw(st.sampled_from(["k8s/deployment.yaml", "overlays/production/cm.yaml", "charts/app/templates/d.yaml",
                                      "manifest.yml", "k8s/staging/secret.yaml"]))
    check_values(kubernetes, doc, path)


YAML_PATHS = [(compose, "compose.yaml"), (workflows, ".github/workflows/ci.yml"), (workflows, ".gitlab-ci.yml"),
              (kubernetes, "k8s/prod/app.yaml")]


@settings(max_examples=60 * SCALE, deadline=None)
@given(st.integers(1, 9), st.integers(2, 12), st.sampled_from(YAML_PATHS))
def test_yaml_alias_fanout_is_bounded(levels, width, target):
    """Billion-laughs shapes of any size: ExtractError or values, never a hang or MemoryError."""
    module, path = target
    lines = ["a0: &a0 [\"http://localhost:4111\"]"]
    for i in range(1, levels + 1):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * width) + "]")
    lines.append(f"services: {{web: {{environment: *a{levels}}}}}")
    lines.append(f"jobs: {{b: {{env: *a{levels}, script: *a{levels}}}}}")
    check_values(module, "\n".join(lines).encode(), path)


@settings(max_examples=30 * SCALE, deadline=None)
@given(st.integers(1, 20000), st.sampled_from(["[", "{a: ", "- ", "{\"a\": ["]), st.sampled_from(YAML_PATHS))
def test_yaml_deep_nesting(depth, opener, target):
    module, path = target
    if opener == "- ":
        depth = min(depth, 3000)
        doc = "".join("  " * i + "-\n" for i in range(depth)).encode()
    else:
        doc = (opener * depth).encode()
    check_values(module, doc, path)


# ---------------------------------------------------------------------------
# image config JSON
# ---------------------------------------------------------------------------
json_leaf = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), TEXT, URLS)
json_any = st.recursive(json_leaf, lambda c: st.lists(c, max_size=3) | st.dictionaries(TEXT, c, max_size=3),
                        max_leaves=10)
image_config = st.fixed_dictionaries({
    "architecture": st.sampled_from(["amd64", "arm64"]), "os": st.sampled_from(["linux", ""]),
    "config": st.fixed_dictionaries({}, optional={
        "Env": st.one_of(st.lists(st.one_of(st.builds(lambda k, v: f"{k}={v}", KEYS, URLS | TEXT), TEXT, json_any),
                                  max_size=4), json_any),
        "Labels": st.one_of(st.dictionaries(TEXT, URLS | TEXT, max_size=3), json_any),
        "Cmd": st.lists(TEXT, max_size=2), "Entrypoint": json_any}),
}, optional={"rootfs": json_any, "history": st.lists(st.fixed_dictionaries(
    {"created_by": st.one_of(URLS, TEXT).map(lambda s: f"/bin/sh -c #(nop) ENV API_URL={s}")}), max_size=3),
    "container_config": st.fixed_dictionaries({"Env": st.lists(TEXT, max_size=2)})})


@st.composite
def image_json(draw) -> bytes:
    doc = draw(image_config)
    text = json.dumps(doc, ensure_ascii=draw(st.booleans()), indent=draw(st.sampled_from([None, 0, 2])))
    if draw(st.booleans()):  # escape some characters the JSON way, as Docker does for <>&
        text = text.replace("/", "\\/").replace("<", "\\u003c").replace("&", "\\u0026")
    return text.encode("utf-8")


@FUZZ
@given(st.data())
def test_image_config_contract(data):
    doc = data.draw(mutated(data.draw(image_json())))
    path = data.draw(st.sampled_from(["config.json", "image.tar!/blobs/sha256/ab", "x.json"]))
    check_values(image, doc, path)
    with no_hang("image.config_values"):
        try:
            out = image.config_values(doc, path, Options())
        except ExtractError:
            out = []
    for v in out:
        assert 0 <= v.start <= v.end <= len(doc), v


@settings(max_examples=20 * SCALE, deadline=None)
@given(st.integers(1, 30000))
def test_image_config_deep_json(depth):
    doc = b'{"config": {"Env": ' + b"[" * depth + b"]" * depth + b"}}"
    check_values(image, doc, "config.json")
    check_values(image, b"[" * depth, "config.json")


# ---------------------------------------------------------------------------
# image tarballs
# ---------------------------------------------------------------------------
MEMBER_NAMES = st.one_of(st.sampled_from([
    "manifest.json", "index.json", "oci-layout", "repositories", "blobs/sha256/" + "a" * 64,
    "blobs/sha256/" + "b" * 64, "abc/layer.tar", "abc/json", "../escape", "/etc/passwd", "./manifest.json",
    "a/../../b", "dist/app.js", "dist/app.js.gz", ".env.production", "x" * 120, "dup", "dup"]),
    st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"], exclude_characters="\x00"),
            min_size=1, max_size=20))


def _tar(entries, fmt) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=fmt) as tf:
        for name, kind, payload, link in entries:
            info = tarfile.TarInfo(name)
            if kind == "file":
                info.size = len(payload)
                tf.addfile(info, io.BytesIO(payload))
            else:
                info.type = {"sym": tarfile.SYMTYPE, "hard": tarfile.LNKTYPE, "dir": tarfile.DIRTYPE,
                             "fifo": tarfile.FIFOTYPE, "chr": tarfile.CHRTYPE}[kind]
                info.linkname = link
                tf.addfile(info)
    return buf.getvalue()


@st.composite
def image_tar(draw, depth: int = 0) -> bytes:
    entries = []
    layer_names = []
    for _ in range(draw(st.integers(0, 5))):
        name = draw(MEMBER_NAMES)
        kind = draw(st.sampled_from(["file", "file", "file", "sym", "hard", "dir", "fifo", "chr"]))
        link = draw(st.sampled_from(["manifest.json", "../../etc/passwd", "/abs", "dup", "", "blobs/sha256/" + "a" * 64]))
        if kind == "file":
            choice = draw(st.sampled_from(["text", "json", "manifest", "gz", "layer"] if depth == 0 else
                                          ["text", "json", "gz"]))
            if choice == "text":
                payload = draw(st.one_of(URLS, TEXT)).encode()
            elif choice == "json":
                payload = draw(image_json())
            elif choice == "manifest":
                layer_names = draw(st.lists(MEMBER_NAMES, max_size=2))
                payload = json.dumps([{"Config": draw(MEMBER_NAMES), "Layers": layer_names,
                                       "RepoTags": ["x:latest"]}]).encode()
                if draw(st.booleans()):
                    payload = json.dumps({"schemaVersion": 2, "manifests": [
                        {"digest": "sha256:" + "a" * 64, "mediaType": "application/vnd.oci.image.manifest.v1+json"}]}
                    ).encode()
            elif choice == "gz":
                payload = gzip.compress(draw(st.one_of(URLS, TEXT)).encode() * draw(st.integers(1, 50)), mtime=0)
            else:
                payload = draw(image_tar(depth + 1))
                if draw(st.booleans()):
                    payload = gzip.compress(payload, mtime=0)
            payload = draw(mutated(payload, 2)) if draw(st.integers(0, 4)) == 0 else payload
        else:
            payload = b""
        entries.append((name, kind, payload, link))
    fmt = draw(st.sampled_from([tarfile.USTAR_FORMAT, tarfile.GNU_FORMAT, tarfile.PAX_FORMAT]))
    try:
        return _tar(entries, fmt)
    except ValueError:  # name too long / not encodable for USTAR
        return _tar(entries, tarfile.PAX_FORMAT)


@st.composite
def damaged_tar(draw) -> bytes:
    raw = draw(image_tar())
    if draw(st.booleans()):
        raw = gzip.compress(raw, mtime=0)
    how = draw(st.sampled_from(["intact", "truncate", "mutate", "both"]))
    if how in ("truncate", "both"):
        raw = raw[:draw(st.integers(0, len(raw)))]
    if how in ("mutate", "both"):
        raw = draw(mutated(raw, 3))
    return raw


@settings(max_examples=300 * SCALE, deadline=None, suppress_health_check=list(HealthCheck))
@given(damaged_tar(), st.sampled_from(["app.tar", "app.tar.gz", "image.tgz", "x"]))
def test_image_members_contract(raw, name):
    with no_hang("image.members"):
        try:
            for m in image.members(io.BytesIO(raw), Limits(), name):
                assert isinstance(m.data, bytes)
                if m.config:
                    check_values(image, m.data, m.path)
        except ExtractError:
            pass


@settings(max_examples=60 * SCALE, deadline=None)
@given(st.integers(1, 64), st.booleans())
def test_image_members_small_limits(kib, gz):
    """Tight limits turn into ExtractError or skipped members, never another exception."""
    raw = _tar([("manifest.json", "file", b"[]", ""), ("dist/a.js", "file", b"http://localhost:4111 " * 5000, ""),
                ("abc/layer.tar", "file", _tar([("a.js", "file", b"\0" * 200000, "")], tarfile.GNU_FORMAT), "")],
               tarfile.GNU_FORMAT)
    if gz:
        raw = gzip.compress(raw, mtime=0)
    with no_hang("image.members"):
        try:
            list(image.members(io.BytesIO(raw), Limits(max_decoded=kib << 10, max_ratio=20), "x.tar"))
        except ExtractError:
            pass


# ---------------------------------------------------------------------------
# urls.parse_at
# ---------------------------------------------------------------------------
URL_PIECES = st.sampled_from([
    b"http://", b"https://", b"HTTP://", b"ws://", b"//", b"http:\\/\\/", b"http:\\u002F\\u002F", b"http%3A%2F%2F",
    b"localhost", b"127.0.0.1", b"[::1]", b"[", b"]", b"0x7f.1", b"2130706433", b"0177.0.0.1", b"api.wondertwin.dev",
    b":4111", b":", b":99999999999999999999", b":-1", b"/twins/stripe", b"?a=b", b"#f", b"@", b"user:pw@", b"%",
    b"%zz", b"%41", b"\\u00", b"\\x41", b"\\", b"'", b'"', b"`", b" ", b"\n", b"\x00", b"\xff", b"\xc3\xa9", b".",
    b"xn--", b"-", b"\xe2\x80\x8b", b"[fe80::1%25eth0]", b"[::ffff:127.0.0.1]", b"1.2.3.4.5", b"256.0.0.1"])


@settings(max_examples=400 * SCALE, deadline=None)
@given(st.lists(st.one_of(URL_PIECES, st.binary(max_size=4)), max_size=14), st.data())
def test_parse_at_never_raises(pieces, data):
    buf = b"".join(pieces)
    start = data.draw(st.integers(0, len(buf)))
    view = data.draw(st.booleans())
    for pr in (False, True):
        with no_hang("urls.parse_at"):
            u = urls.parse_at(memoryview(buf) if view else buf, start, pr)
        if u is not None:
            assert start <= u.start <= u.end <= len(buf), (u, len(buf))
            u.normalized()
            u.normalized(redact=False)
            urls.is_loopback_host(u.host)
            urls.is_unspecified_host(u.host)


@settings(max_examples=200 * SCALE, deadline=None)
@given(st.binary(max_size=64), URLS, st.binary(max_size=64), st.data())
def test_parse_at_around_urls(before, url, after, data):
    buf = before + url.encode() + after
    start = data.draw(st.integers(0, len(buf)))
    for pr in (False, True):
        u = urls.parse_at(buf, start, pr)
        if u is not None:
            assert 0 <= u.start <= u.end <= len(buf)
    for host in (url, before.decode("latin-1"), after.decode("utf-8", "replace")):
        urls.is_loopback_host(host)
        urls.is_unspecified_host(host)


# ---------------------------------------------------------------------------
# reader.Opened
# ---------------------------------------------------------------------------
@st.composite
def encoded_file(draw) -> tuple[str, bytes]:
    body = draw(st.one_of(dotenv_doc(), st.binary(max_size=200), st.just(b"http://localhost:4111 " * 300)))
    enc = draw(st.sampled_from(["raw", "gzip", "zstd", "brotli", "utf16", "utf16be", "tar", "zlib"]))
    name = "dist/app.js"
    if enc == "gzip":
        body, name = gzip.compress(body, mtime=0), "dist/app.js.gz"
        if draw(st.booleans()):
            body += gzip.compress(b"second member", mtime=0)
    elif enc == "zstd":
        import zstandard
        body, name = zstandard.ZstdCompressor().compress(body), "dist/app.js.zst"
    elif enc == "brotli":
        import brotli
        body, name = brotli.compress(body), "dist/app.js.br"
    elif enc == "utf16":
        body = b"\xff\xfe" + body.decode("utf-8", "replace").encode("utf-16-le")
    elif enc == "utf16be":
        body = b"\xfe\xff" + body.decode("utf-8", "replace").encode("utf-16-be")
    elif enc == "tar":
        body, name = _tar([("a.js", "file", body, "")], tarfile.USTAR_FORMAT), "x.tar"
    elif enc == "zlib":
        body = zlib.compress(body)
    cut = draw(st.sampled_from(["intact", "truncate", "mutate"]))
    if cut == "truncate":
        body = body[:draw(st.integers(0, len(body)))]
    elif cut == "mutate":
        body = draw(mutated(body, 3))
    name = draw(st.sampled_from([name, name, "x.tar.gz", "x.br", "a.txt"]))
    return name, body


@settings(max_examples=300 * SCALE, deadline=None, suppress_health_check=list(HealthCheck))
@given(encoded_file(), st.sampled_from([Limits(), Limits(max_decoded=4096, max_ratio=5)]), st.sampled_from(["w", "t"]))
def test_reader_contract(named, limits, how):
    name, body = named
    with no_hang("reader.Opened"):
        try:
            opened = Opened(name, limits, data=body)
            if how == "w":
                for w in opened.windows():
                    assert w.base <= w.lo <= w.hi <= w.base + len(w.buf) or w.lo == w.hi, w
            else:
                out = opened.text(draw_limit := 1 << 20)
                assert out is None or isinstance(out, bytes)
                del draw_limit
        except (ReadError, NotText, IsArchive):
            pass
