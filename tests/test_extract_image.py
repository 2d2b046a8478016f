"""Container images: config JSON offsets, `docker save` / OCI tarballs read as streams, bounds."""
from __future__ import annotations

import gzip
import io
import json
import os
import tarfile

import pytest

from twinscan.extract.image import Member, config_values, is_image_config, is_image_tar, members
from twinscan.extract.values import ExtractError
from twinscan.reader import Limits

from .helpers import CONFIG, TWIN, digest, docker_save, oci_layout, tar_bytes


def _all(data: bytes, limits: Limits = Limits(), name: str = "app.tar"):
    it = members(io.BytesIO(data), limits, name)
    got = list(it)
    return got, it


# -- config JSON ----------------------------------------------------------------

def test_image_config_env_and_history_with_exact_offsets():
    data = json.dumps(CONFIG, indent=2).encode()
    assert is_image_config(data)
    vals = config_values(data, "config.json", None)
    got = [(v.key, v.value, data[v.start:v.end].decode(), v.environment) for v in vals]
    assert got[:3] == [
        ("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
         "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", None),
        ("VITE_STRIPE_BASE_URL", "http://localhost:4111", "http://localhost:4111", None),
        ("NGINX_VERSION", "1.25.3", "1.25.3", None),
    ]
    hist = [(v.key, v.value) for v in vals[3:]]
    assert ("history", "ENV VITE_STRIPE_BASE_URL=http://localhost:4111") in hist and len(hist) == 3


def test_docker_inspect_offsets_with_json_escapes():
    # docker inspect writes `&` as \u0026; some encoders escape `/` as `\/`.
    data = (b'[\n  {\n    "Id": "sha256:1",\n    "Config": {\n      "Env": [\n'
            b'        "A_\\u00e9=caf\\u00e9 \\ud83d\\ude00",\n'
            b'        "VITE_STRIPE_BASE_URL=http:\\/\\/localhost:4111\\/v1?a=1\\u0026b=2",\n'
            b'        "NEXT_PUBLIC_POSTHOG_HOST=https://api.wondertwin.dev/twins/posthog",\n'
            b'        "NOEQUALS"\n      ]\n    }\n  }\n]\n')
    assert is_image_config(data)
    vals = config_values(data, "inspect.json", None)
    assert [(v.key, v.value) for v in vals] == [
        ("A_é", "café 😀"),
        ("VITE_STRIPE_BASE_URL", "http://localhost:4111/v1?a=1&b=2"),
        ("NEXT_PUBLIC_POSTHOG_HOST", "https://api.wondertwin.dev/twins/posthog"),
    ]
    assert [data[v.start:v.end] for v in vals] == [
        b"caf\\u00e9 \\ud83d\\ude00",
        b"http:\\/\\/localhost:4111\\/v1?a=1\\u0026b=2",
        b"https://api.wondertwin.dev/twins/posthog",
    ]
    assert all(v.environment is None for v in vals)


def test_raw_utf8_offsets_are_bytes_not_characters():
    data = '{"config": {"Env": ["NOTE=héllo wörld", "X_ü=http://localhost:4111"]}}'.encode()
    vals = config_values(data, "c.json", None)
    assert [data[v.start:v.end].decode() for v in vals] == ["héllo wörld", "http://localhost:4111"]


def test_invalid_json_names_line_and_column():
    with pytest.raises(ExtractError, match=r"line 3, column 5"):
        config_values(b'{\n  "config": {"Env": []},\n    ]\n}', "c.json", None)


def test_is_image_config_is_a_cheap_sniff():
    assert not is_image_config(b'{"name": "pkg", "version": "1.0.0"}')
    assert not is_image_config(b"Config Env")
    assert is_image_config(b'\xef\xbb\xbf {"config": {}, "rootfs": {}}')


# -- tarballs -----------------------------------------------------------------------

def test_docker_save_tarball_yields_config_and_layer_files():
    data, layer_id = docker_save()
    assert is_image_tar(data[:8192], "app.tar")
    got, it = _all(data)
    configs = [m for m in got if m.config]
    files = {m.path: m for m in got if not m.config}
    assert len(configs) == 1 and configs[0].layer is None
    env = {v.key: v.value for v in config_values(configs[0].data, configs[0].path, None)}
    assert env["VITE_STRIPE_BASE_URL"] == "http://localhost:4111"
    js = files["app.tar!/usr/share/nginx/html/assets/index-abc.js"]
    assert js.data == TWIN and js.layer == f"{layer_id}/layer.tar" and js.note is None
    assert "app.tar!/usr/share/nginx/html/index.html" in files
    assert not any(".wh." in p for p in files)  # whiteouts skipped
    assert not any(p.endswith(("manifest.json", "repositories")) for p in files)
    assert it.skipped == [] and it.errors == []


def test_gzipped_docker_save_is_read_too():
    data, _ = docker_save()
    gz = gzip.compress(data)
    assert is_image_tar(gz[:8192], "app.tar.gz")
    got, it = _all(gz, name="app.tar.gz")
    assert "app.tar.gz!/usr/share/nginx/html/assets/index-abc.js" in [m.path for m in got]
    assert any(m.config for m in got)


def test_oci_layout_blobs_before_index():
    data, layer_digest = oci_layout()
    assert is_image_tar(data[:8192], "image.tar")
    got, it = _all(data, name="image.tar")
    cfg = [m for m in got if m.config]
    assert len(cfg) == 1 and cfg[0].path == f"image.tar!/blobs/sha256/{digest(json.dumps(CONFIG).encode())}"
    files = [(m.path, m.layer) for m in got if not m.config]
    assert ("image.tar!/usr/share/nginx/html/assets/index-abc.js", f"sha256:{layer_digest}") in files
    assert not any("blobs/" in p for p, _ in files)  # the manifest blob is metadata, not a file
    assert it.errors == []


def test_zstd_layer():
    import zstandard  # a hard dependency (pyproject.toml): never skipped

    layer = zstandard.ZstdCompressor().compress(tar_bytes([("app/main.js", TWIN)]))
    data = tar_bytes([("oci-layout", b"{}"), ("blobs/sha256/" + digest(layer), layer)])
    got, it = _all(data)
    assert [(m.path, m.data) for m in got] == [("app.tar!/app/main.js", TWIN)]


def test_plain_tar_is_one_implicit_layer():
    data = tar_bytes([("dist/assets/app.js", TWIN), ("dist/index.html", b"<html>")])
    assert not is_image_tar(data[:8192], "dist.tar")
    got, it = _all(data, name="dist.tar")
    assert [(m.path, m.layer, m.config) for m in got] == [
        ("dist.tar!/dist/assets/app.js", None, False), ("dist.tar!/dist/index.html", None, False)]


def test_truncated_tarball_raises_after_partial_members():
    data, _ = oci_layout()
    # cut inside the config blob: the layer before it was read completely
    cut = data.index(b'"architecture"') + 20
    it = members(io.BytesIO(data[:cut]), Limits(), "app.tar")
    got = []
    with pytest.raises(ExtractError, match="truncated tar archive"):
        for m in it:
            got.append(m)
    assert "app.tar!/usr/share/nginx/html/assets/index-abc.js" in [m.path for m in got]


def test_truncated_at_a_header_boundary_is_still_truncated():
    data = tar_bytes([("a.js", TWIN), ("b.js", TWIN)])
    with tarfile.open(fileobj=io.BytesIO(data)) as tf:
        infos = tf.getmembers()
        first_end = infos[0].offset_data + 512 * ((infos[0].size + 511) // 512)
    it = members(io.BytesIO(data[:first_end + 300]), Limits(), "x.tar")
    got = []
    with pytest.raises(ExtractError, match="truncated tar archive"):
        for m in it:
            got.append(m.path)
    assert got == ["x.tar!/a.js"]


def test_truncated_inside_a_layer():
    data, _ = docker_save()
    with tarfile.open(fileobj=io.BytesIO(data)) as tf:
        lt = next(i for i in tf.getmembers() if i.name.endswith("layer.tar"))
    cut = lt.offset_data + lt.size // 2
    with pytest.raises(ExtractError, match="truncated tar archive"):
        list(members(io.BytesIO(data[:cut]), Limits(), "app.tar"))


@pytest.mark.slow
def test_layer_bomb_is_stopped_and_reported():
    big = tar_bytes([("usr/share/zeros.js", b"\0" * (40 << 20)), ("after.js", TWIN)])
    layer = gzip.compress(big, 9)
    assert len(layer) < (1 << 20)
    data = tar_bytes([("oci-layout", b"{}"), ("blobs/sha256/" + digest(layer), layer),
                 ("dist/ok.js", TWIN)])
    got, it = _all(data, Limits(max_decoded=256 << 20, max_ratio=200))
    assert len(it.errors) == 1 and "expands more than 200:1" in it.errors[0]
    assert [m.path for m in got] == ["app.tar!/dist/ok.js"]  # the scan goes on after the layer
    # the same layer against a size cap
    got, it = _all(data, Limits(max_decoded=8 << 20, max_ratio=10 ** 9))
    assert "past the 8 MiB limit" in it.errors[0]


def test_oversized_member_is_skipped_with_reason():
    # a large regular file outside any layer: skipped, the next member is still read
    data = tar_bytes([("dist/big.js", b"x" * (3 << 20)), ("dist/small.js", TWIN)])
    got, it = _all(data, Limits(max_decoded=2 << 20, max_ratio=10 ** 9))
    assert [m.path for m in got] == ["app.tar!/dist/small.js"]
    assert it.skipped == ["app.tar!/dist/big.js: 3 MiB is larger than the 2 MiB limit"] and it.errors == []
    # inside a layer: the member is skipped, and the layer total (same cap) then stops the layer
    layer = gzip.compress(tar_bytes([("big.js", b"x" * (3 << 20)), ("small.js", TWIN)]))
    data = tar_bytes([("oci-layout", b"{}"), ("blobs/sha256/" + digest(layer), layer), ("z.js", TWIN)])
    got, it = _all(data, Limits(max_decoded=2 << 20, max_ratio=10 ** 9))
    assert [m.path for m in got] == ["app.tar!/z.js"]
    assert len(it.skipped) == 1 and "app.tar!/big.js (layer sha256:" in it.skipped[0]
    assert len(it.errors) == 1 and "past the 2 MiB limit" in it.errors[0]


@pytest.mark.slow
def test_outer_gzip_bomb_raises_after_members_read():
    data = gzip.compress(tar_bytes([("a.js", TWIN), ("zeros", b"\0" * (50 << 20)), ("b.js", TWIN)]))
    it = members(io.BytesIO(data), Limits(), "app.tar.gz")
    assert next(it).path == "app.tar.gz!/a.js"
    with pytest.raises(ExtractError, match="expands more than 200:1"):
        next(it)


def test_corrupt_layer_is_an_error_and_the_scan_goes_on():
    layer = gzip.compress(tar_bytes([("app/main.js", TWIN)]))[:-30]
    data = tar_bytes([("oci-layout", b"{}"), ("blobs/sha256/" + digest(layer), layer), ("z.js", TWIN)])
    got, it = _all(data)
    assert [m.path for m in got] == ["app.tar!/z.js"]
    assert len(it.errors) == 1 and "gzip data is truncated" in it.errors[0]


def test_not_a_tar():
    with pytest.raises(ExtractError, match="not a readable tar archive"):
        list(members(io.BytesIO(b"hello world" * 100), Limits(), "x.tar"))


def _special(name, kind, target=""):
    ti = tarfile.TarInfo(name)
    ti.type = kind
    ti.linkname = target
    if kind in (tarfile.CHRTYPE, tarfile.BLKTYPE):
        ti.devmajor, ti.devminor = 1, 3
    return ti


def test_hostile_names_are_never_written(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    work = tmp_path / "work"
    work.mkdir()
    abs_target = str(tmp_path / "abs-evil")
    entries = [
        ("../evil", b"evil http://localhost:4111"),
        (abs_target, b"absolute"),
        ("./usr/share/ok.js", TWIN),
        ("usr/share/ok.js", b"second copy"),
        _special("link-out", tarfile.SYMTYPE, "../../etc/passwd"),
        _special("hard", tarfile.LNKTYPE, "usr/share/ok.js"),
        _special("dev-null", tarfile.CHRTYPE),
        _special("fifo", tarfile.FIFOTYPE),
        ("a/../../escape.js", b"x"),
    ]
    layer = gzip.compress(tar_bytes(entries))
    data = tar_bytes(entries + [("oci-layout", b"{}"), ("blobs/sha256/" + digest(layer), layer)])

    def listing():
        return sorted(os.path.relpath(os.path.join(d, f), tmp_path.parent)
                      for d, ds, fs in os.walk(tmp_path.parent) for f in fs + ds)

    before = listing()
    monkeypatch.chdir(work)
    got, it = _all(data, name="hostile.tar")
    assert listing() == before

    outer = [(m.path, m.note) for m in got if m.layer is None]
    inner = [(m.path, m.note) for m in got if m.layer]
    abs_display = abs_target.lstrip("/")
    expected = [
        ("hostile.tar!/../evil", "`..` in the name"),
        (f"hostile.tar!/{abs_display}", "absolute name"),
        ("hostile.tar!/usr/share/ok.js", None),
        ("hostile.tar!/usr/share/ok.js", "duplicate name"),
        ("hostile.tar!/a/../../escape.js", "`..` in the name"),
    ]
    assert outer == expected and inner == expected  # links, devices, fifos: never yielded
    assert all(isinstance(m, Member) and not m.path.startswith("/") for m in got)
