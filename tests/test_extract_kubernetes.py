"""Kubernetes manifests and Helm values: each value carries its document's environment."""
from __future__ import annotations

import pytest

from twinscan.extract import kubernetes
from twinscan.extract.values import ExtractError, Options, Value

MANIFEST = """\
# rendered by helm template shop ./chart
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop-staging
spec:
  template:
    spec:
      initContainers:
        - name: migrate
          env:
            - name: STRIPE_API_BASE
              value: "https://api.wondertwin.dev/twins/stripe"
      containers:
        - name: web
          image: shop/web:1.4.2
          env:
            - name: VITE_STRIPE_BASE_URL
              value: http://localhost:4111
            - name: DB_PASSWORD
              valueFrom: {secretKeyRef: {name: db, key: password}}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop-production
  annotations: {note: "déployé ☕"}
spec:
  template:
    spec:
      containers:
        - name: web
          env:
            - name: VITE_STRIPE_BASE_URL
              value: 'http://localhost:4111'
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: web-config
  namespace: prod
data:
  POSTHOG_HOST: http://127.0.0.1:4112
  nginx.conf: |
    server {
      location /api { proxy_pass http://localhost:4111; }
    }
---
apiVersion: batch/v1
kind: CronJob
metadata:
  name: nightly
spec:
  jobTemplate:
    spec:
      template:
        spec:
          containers:
            - name: report
              env:
                - {name: REPORT_URL, value: "http://host.docker.internal:4113"}
"""

HELM = """\
replicaCount: 2
image:
  repository: shop/web
  tag: "1.4.2"
stripe:
  baseUrl: https://api.wondertwin.dev/twins/stripe
  timeoutSeconds: 30
posthog:
  host: localhost:4112
ingress:
  hosts:
    - host: staging.shop.example.com
      paths: ["/"]
"""


def _values(data: bytes, path: str) -> list[Value]:
    found = kubernetes.values(data, path, Options())
    for v in found:
        if "\n" not in v.value:
            assert data[v.start:v.end].decode() == v.value, v
    return found


def test_multi_document_namespaces_decide_the_environment():
    data = MANIFEST.encode()
    found = _values(data, "k8s/rendered.yaml")
    got = [(v.key, v.value, v.environment, v.reason) for v in found]
    assert got == [
        ("STRIPE_API_BASE", "https://api.wondertwin.dev/twins/stripe", "staging", "namespace `shop-staging`"),
        ("VITE_STRIPE_BASE_URL", "http://localhost:4111", "staging", "namespace `shop-staging`"),
        ("VITE_STRIPE_BASE_URL", "http://localhost:4111", "production", "namespace `shop-production`"),
        ("POSTHOG_HOST", "http://127.0.0.1:4112", "production", "namespace `prod`"),
        ("nginx.conf", "server {\n  location /api { proxy_pass http://localhost:4111; }\n}\n", "production",
         "namespace `prod`"),
        ("REPORT_URL", "http://host.docker.internal:4113", None, None),  # the file's environment applies
    ]
    prod = found[2]
    assert data[prod.start - 1:prod.end + 1] == b"'http://localhost:4111'"  # inside the quotes, in bytes
    conf = found[4]
    assert data[conf.start:conf.end] == b"server {\n      location /api { proxy_pass http://localhost:4111; }\n    }"


def test_overlay_path_and_base():
    doc = b"kind: ConfigMap\ndata:\n  API: http://localhost:4111\n"
    (v,) = _values(doc, "deploy/overlays/staging/configmap.yaml")
    assert (v.environment, v.reason) == ("staging", "kustomize overlay `overlays/staging`")
    (v,) = _values(doc, "deploy/overlays/prod/configmap.yaml")
    assert v.environment == "production"
    (v,) = _values(doc, "deploy/base/configmap.yaml")
    assert (v.environment, v.reason) == (None, None)
    (v,) = _values(b"kind: ConfigMap\nmetadata: {namespace: dev-alice}\ndata:\n  API: x\n", "deploy/overlays/prod/cm.yaml")
    assert (v.environment, v.reason) == ("development", "namespace `dev-alice`")  # the namespace is more specific


def test_helm_values_file_emits_url_like_leaves_by_dotted_path():
    data = HELM.encode()
    found = _values(data, "chart/values-staging.yaml")
    assert [(v.key, v.value) for v in found] == [
        ("stripe.baseUrl", "https://api.wondertwin.dev/twins/stripe"),
        ("posthog.host", "localhost:4112"),
        ("ingress.hosts[0].host", "staging.shop.example.com"),
    ]
    assert {(v.environment, v.reason) for v in found} == {("staging", "Helm values file `values-staging.yaml`")}
    (prod,) = [v for v in _values(data, "chart/values.production.yaml") if v.key == "posthog.host"]
    assert prod.environment == "production"
    assert {v.environment for v in _values(data, "chart/values.yaml")} == {None}


def test_invalid_yaml_names_the_line():
    bad = MANIFEST.replace("  name: web-config\n", "  name: web-config: oops\n").encode()
    line = MANIFEST.splitlines().index("  name: web-config") + 1
    with pytest.raises(ExtractError, match=f"line {line}:"):
        kubernetes.values(bad, "k8s/rendered.yaml", Options())


def test_billion_laughs_is_refused():
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    prev = "a"
    for name in "bcdefghi":
        lines.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]")
        prev = name
    bomb = ("\n".join(lines) + "\n").encode()
    with pytest.raises(ExtractError, match="alias bomb"):
        kubernetes.values(bomb, "chart/values-prod.yaml", Options())
