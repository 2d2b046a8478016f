"""Builders shared by several test modules: image tarballs, zip and asar archives, source-map VLQ.

They lived in one test module and were imported from its privates by others; a test module
imports helpers from here (or from conftest.py), never from another test module.
"""
from __future__ import annotations

import gzip
import hashlib
import io
import json
import tarfile
from pathlib import Path


def doc_page(name: str) -> str:
    """The text of a reference page in ``docs/`` (the README links there; the tests read its examples)."""
    return (Path(__file__).resolve().parent.parent / "docs" / name).read_text(encoding="utf-8")


#: A bundle line with a local twin, as a layer file or a tar member.
TWIN = b'const base="http://localhost:4111/v1";fetch(base+"/charges")\n'

#: An image config as `docker save` writes it: a twin in `Env` and in a build step's history.
CONFIG = {
    "architecture": "amd64",
    "os": "linux",
    "config": {
        "Env": [
            "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            "VITE_STRIPE_BASE_URL=http://localhost:4111",
            "NGINX_VERSION=1.25.3",
        ],
        "Cmd": ["nginx", "-g", "daemon off;"],
    },
    "rootfs": {"type": "layers", "diff_ids": ["sha256:" + "0" * 64]},
    "history": [
        {"created_by": "/bin/sh -c #(nop) ADD file:abc in / "},
        {"created_by": "ENV VITE_STRIPE_BASE_URL=http://localhost:4111", "empty_layer": True},
        {"created_by": "COPY dist /usr/share/nginx/html # buildkit"},
    ],
}

#: The layer files of the default image: an nginx site whose bundle holds TWIN.
LAYER_FILES = {
    "usr/share/nginx/html/index.html": b"<script src=/assets/index-abc.js></script>",
    "usr/share/nginx/html/assets/index-abc.js": TWIN,
    "etc/.wh.old.conf": b"",
}


def zip_bytes(files: dict, method: int = 8) -> bytes:
    """A zip archive (deflate by default) of name -> bytes."""
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", method) as z:
        for name, data in files.items():
            z.writestr(name, data)
    return buf.getvalue()


def asar_bytes(files: dict) -> bytes:
    """An Electron asar archive as @electron/asar writes it: a size pickle (uint32 4, header
    size), a header pickle (payload size, JSON length, the JSON padded to 4 bytes), then the
    files at the offsets (decimal strings) the JSON file table gives."""
    import struct

    table: dict = {"files": {}}
    body = b""
    for name, data in files.items():
        node = table
        *dirs, base = name.split("/")
        for d in dirs:
            node = node["files"].setdefault(d, {"files": {}})
        node["files"][base] = {"size": len(data), "offset": str(len(body))}
        body += data
    js = json.dumps(table, separators=(",", ":")).encode()
    padded = js + b"\0" * (-len(js) % 4)
    header = struct.pack("<II", len(padded) + 4, len(js)) + padded
    return struct.pack("<II", 4, len(header)) + header + body


def tar_bytes(entries, fmt=tarfile.PAX_FORMAT) -> bytes:
    """entries: (name, bytes) regular files, or TarInfo objects (links, devices …)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=fmt) as tf:
        for e in entries:
            if isinstance(e, tarfile.TarInfo):
                tf.addfile(e)
            else:
                name, data = e
                ti = tarfile.TarInfo(name)
                ti.size = len(data)
                ti.mode = 0o644
                tf.addfile(ti, io.BytesIO(data))
    return buf.getvalue()


def digest(b: bytes) -> str:
    return hashlib.sha256(b).hexdigest()


def layer(files: dict[str, bytes] | None = None) -> bytes:
    """A gzip layer tarball holding `files` (default: LAYER_FILES)."""
    return gzip.compress(tar_bytes(list((LAYER_FILES if files is None else files).items())))


def docker_save(files: dict[str, bytes] | None = None, config: dict | None = None) -> tuple[bytes, str]:
    """A `docker save` tarball (legacy layout) of one image; returns (tar, layer id)."""
    cfg = json.dumps(CONFIG if config is None else config, indent=2).encode()
    layer_id = "a" * 64
    manifest = json.dumps([{"Config": f"{digest(cfg)}.json", "RepoTags": ["web:1"],
                            "Layers": [f"{layer_id}/layer.tar"]}]).encode()
    tar = tar_bytes([
        (f"{layer_id}/VERSION", b"1.0"),
        (f"{layer_id}/layer.tar", layer(files)),  # a gzip layer under a legacy name
        (f"{digest(cfg)}.json", cfg),
        ("manifest.json", manifest),
        ("repositories", b'{"web":{"1":"x"}}'),
    ])
    return tar, layer_id


def oci_layout(files: dict[str, bytes] | None = None, config: dict | None = None) -> tuple[bytes, str]:
    """An OCI image layout tarball (what `docker save` 25+ writes); returns (tar, layer digest)."""
    cfg = json.dumps(CONFIG if config is None else config).encode()
    lay = layer(files)
    manifest = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                           "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                                      "digest": "sha256:" + digest(cfg), "size": len(cfg)},
                           "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                                       "digest": "sha256:" + digest(lay), "size": len(lay)}]}).encode()
    index = json.dumps({"schemaVersion": 2, "manifests": [{"digest": "sha256:" + digest(manifest)}]}).encode()
    tar = tar_bytes([
        ("oci-layout", b'{"imageLayoutVersion": "1.0.0"}'),
        ("blobs/sha256/" + digest(lay), lay),  # blobs before the index, as `docker save` 25+ writes
        ("blobs/sha256/" + digest(cfg), cfg),
        ("blobs/sha256/" + digest(manifest), manifest),
        ("index.json", index),
        ("manifest.json", b"[]"),
    ])
    return tar, digest(lay)


# -- source maps ----------------------------------------------------------------
B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


def vlq(v: int) -> str:
    """One source-map Base64 VLQ number."""
    v = (-v << 1) | 1 if v < 0 else v << 1
    out = ""
    while True:
        d, v = v & 31, v >> 5
        out += B64[d | (32 if v else 0)]
        if not v:
            return out
