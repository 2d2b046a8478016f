"""`twinscan services` never contradicts a scan of the same tree, on every multi-environment fixture.

For every (service, production environment) a scan blocks, the table's cell blocks (a twin, or a
host the vendor does not use); every twin or other host the table shows in a production row sits
where the scan blocks, and every twin in another row where the scan reports a finding.
"""
from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from .conftest import ROOT, cli, cli_json
from .test_extract_compose import COMPOSE, OVERRIDE
from .test_extract_dockerfile import VITE
from .test_extract_fly import FLY
from .test_extract_kubernetes import HELM
from .test_services_table import FILES as TABLE_REPO
from .test_workflows_kubernetes import BITBUCKET, CIRCLECI, MANIFESTS, WORKFLOW

_BASE_DEPLOYMENT = MANIFESTS.split("---")[0].replace("namespace: shop-staging", "labels: {app: web}")


def _kustomize(production_kustomization: str, *, base_posthog: str = "https://eu.i.posthog.com", **extra: str) -> dict:
    """A base (Deployment + ConfigMap) with staging and production overlays, as kustomize's own examples lay it out."""
    return {
        "k8s/base/kustomization.yaml": "resources:\n  - deployment.yaml\n  - configmap.yaml\n",
        "k8s/base/deployment.yaml": _BASE_DEPLOYMENT.replace("http://stripe-twin.shop-staging.svc:4111", "https://api.stripe.com"),
        "k8s/base/configmap.yaml": ("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app-config\ndata:\n"
                                    f"  POSTHOG_HOST: {base_posthog}\n  LOG_LEVEL: info\n"),
        "k8s/overlays/staging/kustomization.yaml": "resources:\n  - ../../base\nnamespace: shop-staging\n",
        "k8s/overlays/production/kustomization.yaml": production_kustomization,
        **extra,
    }


TWIN = "http://host.docker.internal:4111/posthog"
HEAD = "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nnamespace: shop-production\nresources:\n  - ../../base\n"
CM_PATCH = f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app-config\ndata:\n  POSTHOG_HOST: {TWIN}\n"
JSON_OPS = f"- op: replace\n  path: /data/POSTHOG_HOST\n  value: {TWIN}\n"
ENV_PATCH = ("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n    spec:\n"
             f"      containers:\n        - name: web\n          env:\n            - name: POSTHOG_HOST\n              value: {TWIN}\n")


def _indent(text: str, n: int) -> str:
    return "".join(" " * n + line + "\n" for line in text.splitlines())


#: Production overlays that set POSTHOG_HOST to a twin, each the way one kustomize feature does:
#: (files, path and line of the twin as written).
KUSTOMIZE = {
    "patches-inline-strategic-merge": (_kustomize(
        HEAD + "patches:\n  - target:\n      kind: ConfigMap\n      name: app-config\n    patch: |-\n" + _indent(CM_PATCH, 6)),
        "k8s/overlays/production/kustomization.yaml", 16),
    "patches-path-strategic-merge": (_kustomize(HEAD + "patches:\n  - path: posthog.yaml\n",
                                                **{"k8s/overlays/production/posthog.yaml": CM_PATCH}),
                                     "k8s/overlays/production/posthog.yaml", 6),
    "patches-inline-json6902": (_kustomize(
        HEAD + "patches:\n  - target: {kind: ConfigMap, name: app-config}\n    patch: |-\n" + _indent(JSON_OPS, 6)),
        "k8s/overlays/production/kustomization.yaml", 11),
    "patchesJson6902-file": (_kustomize(
        HEAD + "patchesJson6902:\n  - target: {version: v1, kind: ConfigMap, name: app-config}\n    path: posthog.yaml\n",
        **{"k8s/overlays/production/posthog.yaml": JSON_OPS}), "k8s/overlays/production/posthog.yaml", 3),
    "patchesStrategicMerge-file": (_kustomize(HEAD + "patchesStrategicMerge:\n  - posthog.yaml\n",
                                              **{"k8s/overlays/production/posthog.yaml": CM_PATCH}),
                                   "k8s/overlays/production/posthog.yaml", 6),
    "patches-deployment-env": (_kustomize(HEAD + "patches:\n  - path: env.yaml\n",
                                          **{"k8s/overlays/production/env.yaml": ENV_PATCH}),
                               "k8s/overlays/production/env.yaml", 12),
    "configMapGenerator-merge-literal": (_kustomize(
        HEAD + f"configMapGenerator:\n  - name: app-config\n    behavior: merge\n    literals:\n      - POSTHOG_HOST={TWIN}\n"),
        "k8s/overlays/production/kustomization.yaml", 10),
    "configMapGenerator-replace-envs": (_kustomize(
        HEAD + "configMapGenerator:\n  - name: app-config\n    behavior: replace\n    envs: [.env]\n",
        **{"k8s/overlays/production/.env": f"# the twin, by mistake\nPOSTHOG_HOST={TWIN}\n"}),
        "k8s/overlays/production/.env", 2),
}

FIXTURES = {
    "services-table-repo": TABLE_REPO,
    "workflow-jobs": {".github/workflows/deploy.yml": WORKFLOW},
    "ci-pipelines": {".circleci/config.yml": CIRCLECI, "bitbucket-pipelines.yml": BITBUCKET},
    "namespaces": {"k8s/web.yaml": MANIFESTS},
    "kustomize-base-twin-overridden": _kustomize(
        HEAD + "patches:\n  - path: posthog.yaml\n", base_posthog="http://localhost:4112",
        **{"k8s/overlays/production/posthog.yaml": CM_PATCH.replace(TWIN, "https://eu.i.posthog.com")}),
    "kustomize-staging-inline-patch": _kustomize(HEAD, **{"k8s/overlays/staging/kustomization.yaml": (
        "resources:\n  - ../../base\npatches:\n  - target: {kind: ConfigMap, name: app-config}\n    patch: |-\n"
        + _indent(JSON_OPS.replace(TWIN, "https://api.wondertwin.dev/twins/posthog"), 6))}),
    **{f"kustomize-{name}": files for name, (files, _, _) in KUSTOMIZE.items()},
    "helm-values": {"chart/values.yaml": HELM.replace("https://api.wondertwin.dev/twins/stripe", "https://api.stripe.com"),
                    "chart/values-staging.yaml": HELM,
                    "chart/values-production.yaml": HELM.replace("localhost:4112", "eu.i.posthog.com")},
    "dockerfile-stages": {"Dockerfile": VITE.decode()},
    "compose-env-file": {"compose.yaml": COMPOSE.decode(), "compose.override.yaml": OVERRIDE.decode(),
                         ".env": "STRIPE_API_BASE=https://api.stripe.com\n",
                         ".env.production": "POSTHOG_HOST=http://localhost:4112\n",
                         "worker.env": "VITE_POSTHOG_HOST=https://eu.i.posthog.com\n"},
    "fly": {"fly.toml": FLY, "fly.staging.toml": FLY},
}


def _write(root: Path, files: dict) -> Path:
    for name, text in files.items():
        p = root / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    return root


def _tree(tmp_path, name: str) -> Path:
    if name == "assembled-repo":  # fixtures/repos: the kustomize, compose, workflow and env files of a real app
        return Path(shutil.copytree(ROOT / "fixtures" / "repos" / "overlay", tmp_path / "repo"))
    return _write(tmp_path, FIXTURES[name])


def _structured(path: Path) -> bool:
    from twinscan.classify import artifact_kind
    from twinscan.extract import STRUCTURED

    return artifact_kind(str(path), lambda: path.read_bytes()[:4096]) in STRUCTURED


def table_and_scan(tree: Path) -> tuple[dict, dict]:
    r = cli(["services", "--format", "json"], cwd=tree)
    assert r.exit_code in (0, 1, 3), r.output
    table = json.loads(r.output)
    code, scan = cli_json(["."], cwd=tree)
    assert code in (0, 1, 3)
    return table, scan


def assert_agree(tree: Path) -> tuple[dict, dict]:
    """The table never contradicts the scan (see the module docstring)."""
    from twinscan.services import ServiceIndex, load_services

    table, scan = table_and_scan(tree)
    cells = {(c["service"], c["environment"]): c for c in table["cells"]}
    production = {e["name"] for e in table["environments"] if e["production"]}
    at: dict[tuple[str, int], set[tuple[str, str]]] = {}  # place -> {(service, environment)} the table puts there
    keys: dict[str, str] = {}
    for c in table["cells"]:
        for s in c["settings"]:
            at.setdefault((os.path.normpath(s["path"]), s["line"]), set()).add((c["service"], c["environment"]))
            keys[s["key"]] = c["service"]
    index = ServiceIndex(load_services().values())
    blocked, reported = set(), set()
    for f in scan["findings"]:
        place = (os.path.normpath(f["path"]), f["line"])
        (blocked if f["blocking"] else reported).add(place)
        if not f["blocking"] or not _structured(tree / place[0]):
            continue  # a twin in source code is a scan finding, not a setting of an environment
        services = {svc for svc, _ in at.get(place, ())}
        known = index.service_for(f["key"]) if f["key"] else None
        svc = keys.get(f["key"]) or (known.name if known else None)
        services |= {svc} if svc else set()
        for name in services:
            cell = cells.get((name, f["environment"]))
            assert cell is not None and cell["blocking"], (
                f"the scan blocks {name} in {f['environment']} at {place}, the table says {cell and cell['status']}")
    for c in table["cells"]:
        for s in c["settings"]:
            if s["status"] not in ("twin", "other-host"):
                continue
            place = (os.path.normpath(s["path"]), s["line"])
            if c["environment"] in production:
                assert place in blocked, f"the table blocks {c['service']} in {c['environment']} at {place}; the scan does not"
            elif s["status"] == "twin":  # another host than the vendor's is judged in production only
                assert place in blocked | reported, f"the table shows a twin at {place} the scan does not report"
    assert (table["summary"]["blocking"] > 0) <= (scan["summary"]["blocking"] > 0 if "blocking" in scan["summary"]
                                                  else any(f["blocking"] for f in scan["findings"]))
    return table, scan


@pytest.mark.parametrize("name", [*FIXTURES, "assembled-repo"])
def test_table_agrees_with_the_scan(tmp_path, name):
    assert_agree(_tree(tmp_path, name))


@pytest.mark.parametrize("name", KUSTOMIZE)
def test_production_row_shows_what_the_overlay_patches(tmp_path, name):
    """The issue's case and its siblings: the base ConfigMap says PostHog, the production overlay's
    patch (inline or file, strategic merge or JSON 6902, generator merge/replace) says a twin."""
    files, path, line = KUSTOMIZE[name]
    table, scan = assert_agree(_write(tmp_path, files))
    cells = {(c["service"], c["environment"]): c for c in table["cells"]}
    prod = cells[("posthog", "production")]
    assert (prod["status"], prod["url"], prod["blocking"]) == ("twin", TWIN, True)
    shown = [s for s in prod["settings"] if s["status"] == "twin"]
    assert [(s["path"], s["line"]) for s in shown] == [(path, line)]
    assert "kustomize build of `k8s/overlays/production`" in shown[0]["reason"]
    staging = cells[("posthog", "staging")]
    assert (staging["status"], staging["url"]) == ("vendor", "https://eu.i.posthog.com")
    assert [(s["path"], s["line"]) for s in staging["settings"]] == [("k8s/base/configmap.yaml", 6)]
    assert table["summary"]["exit_code"] == 1
    assert any(f["blocking"] and (os.path.normpath(f["path"]), f["line"]) == (path, line) for f in scan["findings"])


def test_the_issues_overlay_in_text(tmp_path):
    files, _, _ = KUSTOMIZE["patches-inline-strategic-merge"]
    r = cli(["services", "--used"], cwd=_write(tmp_path, files))
    assert r.exit_code == 1
    assert (f"  production   TWIN {TWIN} [docker-host-url]  (POSTHOG_HOST in k8s/overlays/production/kustomization.yaml:16"
            in r.output)
    assert "  staging      vendor https://eu.i.posthog.com  (POSTHOG_HOST in k8s/base/configmap.yaml:6)" in r.output


def test_a_base_twin_the_production_overlay_overrides_still_counts_where_the_scan_blocks_it(tmp_path):
    """kustomize deploys PostHog to production, but the scan judges the base as production (a production
    overlay uses it) and blocks its twin: the table says so, and names the value the build deploys."""
    table, _ = assert_agree(_tree(tmp_path, "kustomize-base-twin-overridden"))
    cells = {(c["service"], c["environment"]): c for c in table["cells"]}
    prod = cells[("posthog", "production")]
    assert prod["status"] == "twin" and prod["url"] == "http://localhost:4112"
    by_path = {s["path"]: s for s in prod["settings"]}
    assert by_path["k8s/overlays/production/posthog.yaml"]["status"] == "vendor"
    assert by_path["k8s/overlays/production/posthog.yaml"]["overridden"] is None
    assert by_path["k8s/base/configmap.yaml"]["overridden"] == (
        "the production build sets POSTHOG_HOST at k8s/overlays/production/posthog.yaml:6")
    assert cells[("posthog", "staging")]["status"] == "twin"  # the staging overlay deploys the base as it is
    text = cli(["services", "--used"], cwd=tmp_path).output
    assert "overridden: the production build sets POSTHOG_HOST at k8s/overlays/production/posthog.yaml:6" in text


def test_compose_override_does_not_change_the_production_row(tmp_path):
    table, _ = assert_agree(_tree(tmp_path, "compose-env-file"))
    cells = {(c["service"], c["environment"]): c for c in table["cells"]}
    assert all(s["path"] != "compose.override.yaml" for c in table["cells"] if c["production"] for s in c["settings"])
    assert any(s["path"] == "compose.override.yaml" for s in cells[("stripe", "development")]["settings"])


def test_kustomizations_that_cannot_be_built_are_notes_not_crashes(tmp_path):
    files = _kustomize(HEAD + "  - https://github.com/acme/k8s//base?ref=v1\n", **{
        "k8s/overlays/cycle/kustomization.yaml": "resources: [../../a]\n",
        "k8s/a/kustomization.yaml": "resources: [../b]\n",
        "k8s/b/kustomization.yaml": "resources: [../a]\n",
        "k8s/overlays/missing/kustomization.yaml": "resources: [../../nowhere]\n",
    })
    r = cli(["services", "--format", "json"], cwd=_write(tmp_path, files))
    doc = json.loads(r.output)
    notes = " | ".join(f"{n['path']}: {n['message']}" for n in doc["notes"])
    assert "remote resource `https://github.com/acme/k8s//base?ref=v1` is not fetched" in notes
    assert "resource `../../nowhere` does not exist" in notes
    assert "k8s/a: kustomizations build on each other in a cycle" in notes
    assert r.exit_code == 0 and "Traceback" not in r.output


def _zoo_rows() -> list[dict]:
    """Twin-zoo rows whose files are deploy configuration the table reads (platform kinds included):
    plain text files only (no images, compression or UTF-16), each an agreement fixture."""
    from twinscan.classify import artifact_kind
    from twinscan.extract import STRUCTURED

    from .test_zoo import MUST_BLOCK, MUST_PASS

    rows = []
    for row in [*MUST_BLOCK, *MUST_PASS]:
        if any(k in row for k in ("image", "compress", "encoding", "args")):
            continue
        names = [row["file"], *(row.get("files") or {})]
        heads = {row["file"]: row.get("content") or "", **(row.get("files") or {})}
        if any(artifact_kind(n, lambda n=n: heads[n].encode()[:4096]) in STRUCTURED for n in names):
            rows.append(row)
    return rows


ZOO_ROWS = _zoo_rows()


@pytest.mark.slow
@pytest.mark.parametrize("row", ZOO_ROWS, ids=[r["id"] for r in ZOO_ROWS])
def test_table_agrees_with_the_scan_on_the_zoo(tmp_path, row):
    files = {row["file"]: row.get("content") or "", **(row.get("files") or {})}
    if row.get("config"):
        files["twinscan.yaml"] = row["config"]
    (tmp_path / ".git").mkdir()
    assert_agree(_write(tmp_path, files))
