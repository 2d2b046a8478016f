"""The kustomize pre-pass reads kustomizations with the bounds every YAML kind has."""
from __future__ import annotations

from twinscan.classify import Classifier
from twinscan.prepass import kustomize_bases
from twinscan.reader import Limits
from twinscan.walk import Item

from .conftest import run_process


def _item(path: str, text: str) -> Item:
    data = text.encode()
    return Item(path, path, len(data), data)


def test_overlay_names_its_bases():
    bases = kustomize_bases([_item("k8s/overlays/stg/kustomization.yaml", "resources: [../../base]\nbases: [../../common]\n")],
                            Classifier(), Limits())
    assert bases["k8s/base"] == ("staging", "kustomize base used by the staging overlay `k8s/overlays/stg`")
    assert "k8s/common" in bases


def test_a_kustomization_past_the_yaml_bounds_is_not_read():
    """Nesting deeper than the project's bound (yamlnodes.MAX_DEPTH), which PyYAML alone would accept."""
    deep = "resources: [../../base]\nx: " + "[" * 300 + "]" * 300 + "\n"
    assert kustomize_bases([_item("k8s/overlays/stg/kustomization.yaml", deep)], Classifier(), Limits()) == {}


def test_a_kustomization_that_is_not_a_mapping_is_no_crash(tmp_path):
    overlay = tmp_path / "k8s" / "overlays" / "prod"
    overlay.mkdir(parents=True)
    (overlay / "kustomization.yaml").write_text("- ../../base\n- x\n")
    p = run_process(["k8s"], cwd=tmp_path)
    assert p.returncode == 0 and b"Traceback" not in p.stderr
