"""Google Cloud Run services: the Knative service YAML `gcloud run services replace` deploys.

A YAML file is a Cloud Run service when its head says `apiVersion: serving.knative.dev/v1`
(the name `service.yaml` alone is any project's); every document of kind `Service` counts.
Values: `spec.template.spec.containers[].env[].value` (and `initContainers`); key = the
env name. Values from `valueFrom.secretKeyRef` are Secret Manager references, not values.

Environment of a service, first that says one:
1. its labels (`metadata.labels` or `spec.template.metadata.labels`): `env`,
   `environment`, `stage`, `tier` (`env: staging`);
2. its own name (`metadata.name: api-staging`), as Cloud Run names a service per environment,
   then its `metadata.namespace` (the project, or a Knative namespace);
3. the file name or directory (`service-staging.yaml`, `deploy/staging/service.yaml`);
otherwise None: the file's environment applies (production: `gcloud run services replace`
deploys what it is given).
"""
from __future__ import annotations

import re

from .kind import Kind
from .platformenv import path_env, word_env
from .values import Options, Value
from .yamlshape import is_scalar, text_of

_KNATIVE = re.compile(rb"^[ \t]*[\"']?apiVersion[\"']?[ \t]*:[ \t]*[\"']?serving\.knative\.dev/v1", re.M)
_LABELS = ("env", "environment", "stage", "tier", "cloud.googleapis.com/environment")


def sniff(head: bytes) -> bool:
    return _KNATIVE.search(head) is not None


def _labels_env(meta: object, where: str) -> tuple[str, str] | None:
    labels = meta.get("labels") if isinstance(meta, dict) else None
    for key in _LABELS:
        value = text_of(labels.get(key)) if isinstance(labels, dict) else None
        env = word_env(value) if value else None
        if env:
            return env, f"Cloud Run service label `{key}: {value}` ({where})"
    return None


def service_env(tree: dict, path: str) -> tuple[str | None, str | None]:
    """The environment of one Knative Service document, and why."""
    meta = tree.get("metadata")
    template = tree.get("spec", {}).get("template") if isinstance(tree.get("spec"), dict) else None
    found = _labels_env(meta, "metadata.labels") or _labels_env(
        template.get("metadata") if isinstance(template, dict) else None, "spec.template.metadata.labels")
    if found:
        return found
    name = text_of(meta.get("name")) if isinstance(meta, dict) else None
    env = word_env(name) if name else None
    if env:
        return env, f"Cloud Run service `metadata.name: {name}`"
    namespace = text_of(meta.get("namespace")) if isinstance(meta, dict) else None
    env = word_env(namespace) if namespace else None
    if env:  # Knative on Kubernetes, or a Cloud Run project named per environment (`shop-staging`)
        return env, f"Cloud Run service `metadata.namespace: {namespace}`"
    named = path_env(path, (".yaml", ".yml"))
    if named:
        return named[0], f"{named[1]} of the Cloud Run service"
    return None, None


def values(data: bytes, path: str, options: Options | None = None) -> list[Value]:
    from ..formats.yamlnodes import load

    doc = load(data)
    out: list[Value] = []
    for root in doc.roots:
        tree = doc.tree(root)
        if not isinstance(tree, dict) or (text_of(tree.get("kind")) or "") != "Service":
            continue
        if not (text_of(tree.get("apiVersion")) or "").startswith("serving.knative.dev/"):
            continue
        env, reason = service_env(tree, path)
        spec = tree.get("spec")
        for step in ("template", "spec"):
            spec = spec.get(step) if isinstance(spec, dict) else None
        for group in ("containers", "initContainers"):
            containers = spec.get(group) if isinstance(spec, dict) else None
            for c in containers if isinstance(containers, list) else ():
                entries = c.get("env") if isinstance(c, dict) else None
                for e in entries if isinstance(entries, list) else ():
                    if isinstance(e, dict) and is_scalar(e.get("value")) and text_of(e.get("name")):
                        start, end = doc.span(e["value"])
                        out.append(Value(text_of(e["name"]) or "", e["value"].value, start, end, env, reason))
    return out


KIND = Kind("cloudrun", globs=("*.{yaml,yml}",), sniff=sniff, values=values, label="Cloud Run service", name_env="stem",
            hook=("service.{yaml,yml}", "service-*.{yaml,yml}", "service.*.{yaml,yml}", "*-service.{yaml,yml}", "cloudrun*.{yaml,yml}",
                  "cloud-run*.{yaml,yml}"))
