"""Kubernetes manifests (multi-document, `helm template` output) and Helm values files.

* Workloads (Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob, and
  `List` items): ``env[].value`` of containers, initContainers and
  ephemeralContainers; key = the env name. Their probes (liveness, readiness, startup)
  and lifecycle hooks (postStart, preStop): every scalar, role ``container-command``.
* ConfigMap ``data`` (and Secret ``stringData``): key = the data key. Secret ``data``
  is base64: each entry is decoded (bounded) into a Value over the base64 text with
  ``encoding="base64"``, which the scan scans as decoded text.
* Helm values files (``values.yaml``, ``values-<env>.yaml``, ``values.<env>.yaml``):
  every scalar leaf that looks like a URL or host; key = its dotted path
  (``stripe.baseUrl``, ``ingress.hosts[0].host``).

Environment of a document: its ``metadata.namespace`` (``shop-production`` →
production, ``*-staging`` → staging, ``dev*`` → development), else the path
(kustomize ``overlays/<env>/``; Helm ``values-<env>.yaml``), else None: the
file's environment applies (``base/`` too: a base is production when a production
overlay uses it, which only the scan of the whole tree can know).
"""
from __future__ import annotations

import functools
import posixpath
import re
from typing import TYPE_CHECKING

from ..environments import known, normalise
from .kind import Kind
from .values import Options, Value
from .yamlshape import is_scalar, text_of

if TYPE_CHECKING:
    import yaml

    from ..formats.yamlnodes import Tree, YamlText

_POD_SPEC = {
    "pod": ("spec",),
    "deployment": ("spec", "template", "spec"),
    "statefulset": ("spec", "template", "spec"),
    "daemonset": ("spec", "template", "spec"),
    "replicaset": ("spec", "template", "spec"),
    "replicationcontroller": ("spec", "template", "spec"),
    "job": ("spec", "template", "spec"),
    "cronjob": ("spec", "jobTemplate", "spec", "template", "spec"),
}
_CONTAINERS = ("initContainers", "containers", "ephemeralContainers")
_PROBES = ("livenessProbe", "readinessProbe", "startupProbe")
_HOOKS = ("postStart", "preStop")
CONTAINER_COMMAND = "container-command"  # the role of a value that is a command run inside the container
_HELM_VALUES = re.compile(r"^values(?:[-.](?P<env>[a-z0-9_-]+))?\.ya?ml$")
_OVERLAY = re.compile(r"(?:^|/)overlays/(?P<env>[^/]+)/")


@functools.cache
def _urlish() -> re.Pattern:
    """A scalar of a Helm values file that is a URL or a host: compiled for the first values file
    (~1.5 ms, which a run whose YAML is all manifests and workflows never needs)."""
    return re.compile(
        r"^\s*(?:[a-z][a-z0-9+.-]*://\S+|//\S+"
        r"|(?:localhost|\[[0-9a-f:.]+\]|[a-z0-9-]*[a-z][a-z0-9-]*(?:\.[a-z0-9-]+)+|\d{1,3}(?:\.\d{1,3}){3}"
        r"|[a-z0-9.-]+:\d{1,5})(?::\d{1,5})?(?:/\S*)?)\s*$",
        re.I,
    )


Env = tuple[str | None, str | None]


def values(data: bytes, path: str, options: Options) -> list[Value]:
    """Every env value, ConfigMap entry and (Helm values) URL-like leaf, with its environment."""
    from ..formats.yamlnodes import load, scalars

    doc = load(data)
    norm = path.replace("\\", "/")
    name = posixpath.basename(norm).lower()
    helm = _HELM_VALUES.match(name)
    file_env = _path_env(norm, name, helm)
    out: list[Value] = []
    for root in doc.roots:
        tree = doc.tree(root)
        if helm:
            for key, node in scalars(tree):
                if _urlish().match(node.value):
                    out.append(_value(doc, key, node, file_env))
        else:
            out += _manifest(doc, tree, file_env)
    return out


def _path_env(path: str, name: str, helm: re.Match | None) -> Env:
    """The environment the path names: kustomize overlay or Helm values file suffix."""
    if helm and helm.group("env"):
        return normalise(helm.group("env")), f"Helm values file `{name}`"
    m = None
    for m in _OVERLAY.finditer(path):
        pass  # the innermost overlay wins
    if m and known(m.group("env")):  # an overlay named for no environment (`us-east-1`): the file's applies
        return known(m.group("env")), f"kustomize overlay `overlays/{m.group('env')}`"
    return None, None


def namespace_env(namespace: str) -> str | None:
    """The environment a namespace names (`shop-production`, `prod-eu`, `dev-alice`), or None
    when it names none (the path's or the file's environment then applies)."""
    return known(namespace)


def _manifest(doc: YamlText, tree: Tree, file_env: Env) -> list[Value]:
    if not isinstance(tree, dict):
        return []
    kind = (text_of(tree.get("kind")) or "").lower()
    if kind.endswith("list") and isinstance(tree.get("items"), list):
        return [v for item in tree["items"] for v in _manifest(doc, item, file_env)]
    env = file_env
    meta = tree.get("metadata")
    ns = text_of(meta.get("namespace")) if isinstance(meta, dict) else None
    if ns and namespace_env(ns):
        env = (namespace_env(ns), f"namespace `{ns}`")
    out: list[Value] = []
    if kind == "kustomization" or "configMapGenerator" in tree or "secretGenerator" in tree:
        out += _generator_literals(doc, tree, env)
    if kind in ("configmap", "secret"):
        data = tree.get("data" if kind == "configmap" else "stringData")
        for key, node in data.items() if isinstance(data, dict) else ():
            if is_scalar(node):
                out.append(_value(doc, key, node, env))
    if kind == "secret" and isinstance(tree.get("data"), dict):
        for key, node in tree["data"].items():
            if is_scalar(node) and (v := _secret_value(doc, key, node, env)) is not None:
                out.append(v)
    spec: Tree = tree
    for step in _POD_SPEC.get(kind, ("-",)):
        spec = spec.get(step) if isinstance(spec, dict) else None
    for group in _CONTAINERS if isinstance(spec, dict) else ():
        containers = spec.get(group)
        for c in containers if isinstance(containers, list) else ():
            entries = c.get("env") if isinstance(c, dict) else None
            for e in entries if isinstance(entries, list) else ():
                if isinstance(e, dict) and is_scalar(e.get("value")) and text_of(e.get("name")):
                    out.append(_value(doc, text_of(e["name"]) or "", e["value"], env))
            out += _container_commands(doc, c, env)
    return out


def _container_commands(doc: YamlText, container: Tree, env: Env) -> list[Value]:
    """Every scalar of a container's probes and lifecycle hooks (`exec.command`, `httpGet`
    host/path/scheme/headers, `grpc`, `tcpSocket`): the kubelet runs them inside the
    container or against the pod's own address, so a loopback URL there is the container
    itself (role ``container-command``), not where the app sends its API calls."""
    if not isinstance(container, dict):
        return []
    name = text_of(container.get("name"))
    of = f" of container `{name}`" if name else ""
    out: list[Value] = []
    for field in _PROBES:
        node = container.get(field)
        if isinstance(node, dict):
            out += _leaves(doc, field, node, env, f"`{field}`{of} (the kubelet runs it inside the container)")
    hooks = container.get("lifecycle")
    for hook in _HOOKS if isinstance(hooks, dict) else ():
        node = hooks.get(hook)
        if isinstance(node, dict):
            out += _leaves(doc, f"lifecycle.{hook}", node, env,
                           f"`lifecycle.{hook}` hook{of} (runs inside the container)")
    return out


def _leaves(doc: YamlText, key: str, tree: Tree, env: Env, why: str) -> list[Value]:
    out: list[Value] = []
    stack: list[tuple[str, Tree]] = [(key, tree)]
    while stack:
        path, node = stack.pop()
        if is_scalar(node):
            start, end = doc.span(node)
            out.append(Value(path, node.value, start, end, env[0], env[1], role=CONTAINER_COMMAND, role_reason=why))
        elif isinstance(node, dict):
            stack += [(f"{path}.{k}", v) for k, v in node.items()]
        elif isinstance(node, list):
            stack += [(f"{path}[{i}]", v) for i, v in enumerate(node)]
    return out


def _generator_literals(doc: YamlText, tree: dict, env: Env) -> list[Value]:
    """kustomize `configMapGenerator` / `secretGenerator` `literals: [KEY=value]`: key = KEY, with
    the overlay's environment (the kustomization's own path)."""
    out: list[Value] = []
    for gen in ("configMapGenerator", "secretGenerator"):
        entries = tree.get(gen)
        for entry in entries if isinstance(entries, list) else ():
            literals = entry.get("literals") if isinstance(entry, dict) else None
            for node in literals if isinstance(literals, list) else ():
                if not is_scalar(node) or "=" not in node.value:
                    continue
                key, _, value = node.value.partition("=")
                s = node.start_mark.index + (1 if node.style in ('"', "'") else 0)
                raw = doc.text[s:s + len(node.value)]
                if raw != node.value:  # escapes or folding: the whole literal is the value
                    out.append(_value(doc, key.strip(), node, env))
                    continue
                at = s + len(key) + 1
                out.append(Value(key.strip(), value, doc.byte(at), doc.byte(at + len(value)), env[0], env[1]))
    return out


MAX_SECRET = 1 << 20  # the API server refuses a Secret larger than 1 MiB


def _secret_value(doc: YamlText, key: str, node: yaml.ScalarNode, env: Env) -> Value | None:
    """A Secret ``data`` entry decoded from base64; None when it is not base64 (the API
    server would refuse it) or larger than a Secret can be."""
    import base64
    import binascii

    text = "".join(node.value.split())
    if not text or len(text) > MAX_SECRET * 4 // 3 + 4:
        return None
    try:
        decoded = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return None
    start, end = doc.span(node)
    return Value(key, decoded.decode("utf-8", "replace"), start, end, env[0], env[1], encoding="base64")


def _value(doc: YamlText, key: str, node: yaml.ScalarNode, env: Env) -> Value:
    start, end = doc.span(node)
    return Value(key, node.value, start, end, env[0], env[1])


#: Any YAML no other kind claims: Kubernetes manifests, `helm template` output, Helm values.
#: The commit hook checks only YAML where deploy configuration lives (an OpenAPI spec's
#: `servers: [{url: http://localhost:8080}]` is not a deploy).
_DEPLOY_DIRS = "k8s,kube,kubernetes,manifests,deploy,deployment,deployments,charts,helm,kustomize,overlays,argocd"
def overlay_env(path: str) -> tuple[str, str] | None:
    """(environment, reason) of a file in a kustomize overlay named for an environment."""
    env, why = _path_env(path, posixpath.basename(path).lower(), None)
    return (env, why) if env is not None and why is not None else None


KIND = Kind("kubernetes", globs=("*.{yml,yaml}",), values=values, label="yaml", name_env="stem", path_env=overlay_env,
            hook=("values*.{yml,yaml}", "kustomization*.{yml,yaml}", f"{{{_DEPLOY_DIRS}}}/**/*.{{yml,yaml}}"))
