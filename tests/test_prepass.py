"""The kustomize pre-pass reads kustomizations with the bounds every YAML kind has."""
from __future__ import annotations

import pytest

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


def test_the_prepass_filter_keeps_every_file_a_pass_reads():
    """`candidates` (one `endswith` per walked file) keeps whatever the compose, systemd and
    kustomize passes would read, including compressed and upper-case names, and drops chunks."""
    from twinscan.extract.registry import is_kind
    from twinscan.prepass import candidates

    read = ["docker-compose.yml", "deploy/Compose.PROD.YAML", "ops/docker-compose.yaml.gz", "etc/systemd/api.service",
            "etc/systemd/api.service.d/override.conf", "k8s/overlays/prod/kustomization.yaml",
            "k8s/overlays/prod/kustomization.yml", "k8s/overlays/prod/Kustomization", "units/API.SERVICE.br"]
    kept = {i.display for i in candidates([Item(p, p, 1) for p in [*read, "dist/00001.abcdef.js", "a/b.json"]])}
    assert kept == set(read)
    assert all(is_kind(p, "compose") or is_kind(p, "systemd") or p.endswith(("Kustomization", "yml", "yaml")) for p in read)


@pytest.mark.parametrize("count", [10, 500])
def test_candidates_keep_every_config_file_a_pass_may_read(count):
    """The one-search filter keeps what a test per path keeps, on a short list and on a long one
    (names with newlines, upper case and compression suffixes included)."""
    from twinscan.extract.kind import COMPRESSED
    from twinscan.extract.registry import kind_tails
    from twinscan.prepass import _KUSTOMIZATIONS, candidates
    from twinscan.walk import Item

    names = ["docker-compose.yml", "deploy/COMPOSE.YAML", "app.service", "x.conf.gz", "Kustomization",
             "k8s/kustomization.yml", "a.js", "b.yml\n.js", "c.js\nx.yml", "yml", ".env", "site/index.html"]
    items = [Item(f"d{i}/{names[i % len(names)]}", f"d{i}/{names[i % len(names)]}", 1) for i in range(count)]
    tails = (*kind_tails("compose"), *kind_tails("systemd"), *_KUSTOMIZATIONS)
    suffixes = tuple(t + c for t in tails for c in ("", *COMPRESSED))
    expected = [i for i in items if i.display.lower().endswith(suffixes)]
    assert candidates(items) == expected and len(expected) >= count // 3
