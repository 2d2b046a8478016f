"""twinscan/kustomize.py: overlays rendered as `kustomize build` renders them, each value at the line it was written."""
from __future__ import annotations

import os

import pytest

from twinscan import kustomize

BASE = {
    "base/kustomization.yaml": "resources: [deployment.yaml, configmap.yaml]\n",
    "base/deployment.yaml": (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  labels: {app: web}\nspec:\n  template:\n"
        "    spec:\n      containers:\n        - name: web\n          image: shop/web\n          env:\n"
        "            - name: STRIPE_API_BASE\n              value: https://api.stripe.com\n"
        "            - name: LOG_LEVEL\n              value: info\n"
        "        - name: proxy\n          image: envoy\n"),
    "base/configmap.yaml": ("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app-config\ndata:\n"
                            "  POSTHOG_HOST: https://eu.i.posthog.com\n  SENTRY_DSN: https://k@o1.ingest.sentry.io/1\n"),
}


def _build(tmp_path, overlay: str, **files) -> dict:
    for name, text in {**BASE, "overlay/kustomization.yaml": overlay, **files}.items():
        p = tmp_path / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    old = os.getcwd()
    os.chdir(tmp_path)
    try:
        b = kustomize.build("overlay/kustomization.yaml")
        return {v.key: (v.value, v.origin.path, v.origin.line, v.environment) for v in kustomize.rendered_values(b)} | {
            "_notes": b.notes, "_names": sorted(n for r in b.resources for n in r.names)}
    finally:
        os.chdir(old)


def test_base_as_it_is(tmp_path):
    got = _build(tmp_path, "resources: [../base]\n")
    assert got["STRIPE_API_BASE"] == ("https://api.stripe.com", "base/deployment.yaml", 14, None)
    assert got["POSTHOG_HOST"] == ("https://eu.i.posthog.com", "base/configmap.yaml", 6, None)


def test_strategic_merge_merges_containers_and_env_by_name_and_null_deletes(tmp_path):
    patch = ("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  template:\n    spec:\n"
             "      containers:\n        - name: web\n          env:\n            - name: STRIPE_API_BASE\n"
             "              value: http://localhost:4111\n            - name: NEW_URL\n              value: https://x.example\n"
             "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: app-config}\ndata:\n  SENTRY_DSN: null\n")
    got = _build(tmp_path, "resources: [../base]\npatches:\n  - path: p.yaml\n", **{"overlay/p.yaml": patch})
    assert got["STRIPE_API_BASE"] == ("http://localhost:4111", "overlay/p.yaml", 11, None)
    assert got["LOG_LEVEL"][1] == "base/deployment.yaml"  # the other env entries stay
    assert got["NEW_URL"][0] == "https://x.example" and "SENTRY_DSN" not in got


def test_patch_delete_directive_and_label_selector(tmp_path):
    patch = ("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: ignored}\nspec:\n  template:\n    spec:\n"
             "      containers:\n        - name: web\n          env:\n            - name: STRIPE_API_BASE\n"
             "              $patch: delete\n")
    got = _build(tmp_path, "resources: [../base]\npatches:\n  - target: {labelSelector: app=web}\n    path: p.yaml\n",
                 **{"overlay/p.yaml": patch})
    assert "STRIPE_API_BASE" not in got and "LOG_LEVEL" in got


def test_json6902_add_to_an_env_list_inline_with_its_line(tmp_path):
    overlay = ("resources: [../base]\npatchesJson6902:\n  - target: {group: apps, version: v1, kind: Deployment, name: web}\n"
               "    patch: |\n      - op: add\n        path: /spec/template/spec/containers/0/env/-\n"
               "        value: {name: ANALYTICS_URL, value: 'http://localhost:4112'}\n"
               "      - op: remove\n        path: /spec/template/spec/containers/0/env/1\n")
    got = _build(tmp_path, overlay)
    assert "LOG_LEVEL" not in got
    assert got["ANALYTICS_URL"][:3] == ("http://localhost:4112", "overlay/kustomization.yaml", 7)


def test_generators_namespace_prefix_and_components(tmp_path):
    overlay = ("resources: [../base]\ncomponents: [../twins]\nnamespace: shop-prod\nnamePrefix: prod-\n"
               "configMapGenerator:\n  - name: app-config\n    behavior: merge\n    literals:\n"
               "      - SENTRY_DSN=https://k@o1.ingest.sentry.io/2\n"
               "secretGenerator:\n  - name: keys\n    envs: [keys.env]\n")
    component = ("apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\npatches:\n"
                 "  - target: {kind: ConfigMap}\n    patch: |-\n      - op: replace\n        path: /data/POSTHOG_HOST\n"
                 "        value: https://api.wondertwin.dev/twins/posthog\n")
    got = _build(tmp_path, overlay, **{"twins/kustomization.yaml": component,
                                       "overlay/keys.env": "# keys\nSTRIPE_WEBHOOK_URL=https://hooks.example/stripe\n"})
    assert got["SENTRY_DSN"] == ("https://k@o1.ingest.sentry.io/2", "overlay/kustomization.yaml", 9, "production")
    assert got["POSTHOG_HOST"] == ("https://api.wondertwin.dev/twins/posthog", "twins/kustomization.yaml", 8, "production")
    assert got["STRIPE_WEBHOOK_URL"][1:3] == ("overlay/keys.env", 2)
    assert "prod-web" in got["_names"] and "web" in got["_names"]


def test_what_is_not_applied_is_a_note(tmp_path):
    overlay = ("resources: [../base, 'https://github.com/acme/deploy//base?ref=v2']\nhelmCharts: [{name: redis}]\n"
               "patches:\n  - target: {kind: ConfigMap, name: nothing-here}\n    patch: |-\n"
               "      - {op: replace, path: /data/X, value: y}\n")
    got = _build(tmp_path, overlay)
    notes = [m for _, m in got["_notes"]]
    assert "remote resource `https://github.com/acme/deploy//base?ref=v2` is not fetched" in notes
    assert "`helmCharts` is not applied by twinscan" in notes
    assert got["POSTHOG_HOST"][0] == "https://eu.i.posthog.com"  # a patch that matches nothing changes nothing


@pytest.mark.parametrize("overlay,message", [
    ("resources: [../overlay]\n", "kustomizations build on each other in a cycle"),
    ("resources: [../missing]\n", "resource `../missing` does not exist"),
    ("- just a list\n", "a kustomization is a mapping"),
    ("a: &a [*a, *a]\nb: [\n", "invalid YAML"),
])
def test_unbuildable_kustomizations_raise_a_clear_error(tmp_path, overlay, message):
    with pytest.raises(kustomize.KustomizeError) as e:
        _build(tmp_path, overlay)
    assert message in str(e.value)


def test_bounded_nesting(tmp_path):
    for i in range(kustomize.MAX_DEPTH + 2):
        d = tmp_path / f"k{i}"
        d.mkdir()
        (d / "kustomization.yaml").write_text(f"resources: [../k{i + 1}]\n" if i <= kustomize.MAX_DEPTH else "resources: []\n")
    with pytest.raises(kustomize.KustomizeError, match=f"nested deeper than {kustomize.MAX_DEPTH}"):
        kustomize.build(str(tmp_path / "k0" / "kustomization.yaml"))


_BASE = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
spec:
  template:
    spec:
      containers:
        - name: api
          image: shop/api:1.0
          env:
            - name: STRIPE_BASE_URL
              value: https://api.stripe.com
"""
_INLINE_PATCH = """\
resources:
  - ../../base
patches:
  - target:
      kind: Deployment
      name: api
    patch: |-
      - op: replace
        path: /spec/template/spec/containers/0/env/0/value
        value: http://localhost:4111
"""


def test_an_inline_patch_in_a_staging_overlay_is_staging_for_the_scan_and_the_table(tmp_path):
    """The patch text is no extracted value, so its hit was judged by the file's path alone and
    blocked as production; the overlay's directory names its environment for the whole file."""
    import json

    from .conftest import cli, cli_json

    for rel, text in {"k8s/base/deployment.yaml": _BASE, "k8s/base/kustomization.yaml": "resources:\n  - deployment.yaml\n",
                      "k8s/overlays/staging/kustomization.yaml": _INLINE_PATCH,
                      "k8s/overlays/production/kustomization.yaml": "resources:\n  - ../../base\n"}.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    code, doc = cli_json(["."], cwd=tmp_path)
    [f] = doc["findings"]
    assert code == 0 and f["environment"] == "staging" and not f["blocking"], f
    assert "kustomize overlay `overlays/staging`" in f["reason"]
    r = cli(["services", "--format", "json", "."], cwd=tmp_path)
    cells = {(c["service"], c["environment"]): c for c in json.loads(r.stdout)["cells"]}
    assert r.exit_code == 0
    assert cells[("stripe", "production")]["status"] == "vendor"
    assert cells[("stripe", "staging")]["status"] == "twin"

    (tmp_path / "k8s/overlays/production/kustomization.yaml").write_text(_INLINE_PATCH)
    code, doc = cli_json(["."], cwd=tmp_path)
    assert code == 1 and [f["environment"] for f in doc["findings"] if f["blocking"]] == ["production"]
    r = cli(["services", "--format", "json", "."], cwd=tmp_path)
    cells = {(c["service"], c["environment"]): c for c in json.loads(r.stdout)["cells"]}
    assert r.exit_code == 1 and cells[("stripe", "production")]["status"] == "twin"
