#!/usr/bin/env python3
"""Coverage-guided fuzzing of twinscan's extractor entry points with atheris (issue 6).

Run outside the unit suite; see fuzz/README.md. One target per run:

    python fuzz/atheris_campaign.py TARGET [--seconds N] [--jobs J] [-- extra libFuzzer flags]

Each target feeds the fuzzer's bytes to one entry point and checks its contract:

* dotenv, dockerfile, compose, workflows, kubernetes, image-config:
  ``values(data, path, options)`` returns Values with 0 <= start <= end <= len(data)
  and raises nothing but ExtractError (the path, and for Dockerfiles --docker-target,
  are chosen from the first input byte so every file-name branch is reached);
* image-tar: ``image.members(fileobj, Limits(), name)`` raises nothing but ExtractError
  (config members are also run through ``image.values``);
* urls: ``urls.parse_at`` never raises and returns a URL inside the buffer;
* reader: ``reader.Opened(name, limits, data=...).windows()/text()`` raise only
  ReadError/NotText/IsArchive.

Any other exception, a hang (-timeout, default 10 s) or memory blow-up (-rss_limit_mb,
default 2048) is a crasher: libFuzzer writes it to fuzz/crashers/<target>/. The corpus
grows in fuzz/corpus/<target>/ (git-ignored), seeded from built-in near-valid samples.
Reproduce one crasher:  python fuzz/atheris_campaign.py TARGET fuzz/crashers/TARGET/crash-…
"""
from __future__ import annotations

import argparse
import gzip
import io
import json
import os
import sys
import tarfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, ROOT)

try:
    import atheris
except ImportError:  # pragma: no cover - documented in fuzz/README.md
    sys.exit("atheris is not installed: pip install atheris (Linux/macOS, CPython 3.8–3.11 wheels)")

with atheris.instrument_imports(include=["twinscan", "dotenv", "yaml"]):
    from twinscan import urls
    from twinscan.extract import compose, dockerfile, dotenv, image, kubernetes, workflows
    from twinscan.extract.values import ExtractError, Options
    from twinscan.reader import IsArchive, Limits, NotText, Opened, ReadError


def _check(out, data: bytes) -> None:
    assert isinstance(out, list), type(out)
    for v in out:
        if not (0 <= v.start <= v.end <= len(data)):
            raise AssertionError(f"bad offsets {v!r} for {len(data)} bytes")


def _pick(data: bytes, choices):
    """First byte selects a variant (path, options); the rest is the document."""
    if not data:
        return choices[0], data
    return choices[data[0] % len(choices)], data[1:]


PATHS = {
    "dotenv": [".env", ".env.production", ".env.development"],
    "dockerfile": [("Dockerfile", None), ("Dockerfile.prod", "prod"), ("dev.Dockerfile", "build"), ("Dockerfile", "0")],
    "compose": ["compose.yaml", "docker-compose.prod.yml", "compose.override.yaml"],
    "workflows": [".github/workflows/deploy.yml", ".gitlab-ci.yml", "repo/.circleci/config.yml",
                  "bitbucket-pipelines.yml"],
    "kubernetes": ["k8s/deployment.yaml", "overlays/production/cm.yaml", "charts/app/templates/d.yaml"],
    "image-config": ["config.json"],
}
MODULES = {"dotenv": dotenv, "dockerfile": dockerfile, "compose": compose, "workflows": workflows,
           "kubernetes": kubernetes, "image-config": image}


def values_target(name: str):
    module = MODULES[name]

    def one(data: bytes) -> None:
        choice, doc = _pick(data, PATHS[name])
        if name == "dockerfile":
            path, target = choice
            options = Options(docker_target=target)
        else:
            path, options = choice, Options()
        try:
            out = module.values(doc, path, options)
        except ExtractError:
            return
        _check(out, doc)
    return one


def image_tar(data: bytes) -> None:
    name, raw = _pick(data, ["app.tar", "app.tar.gz", "x"])
    try:
        for m in image.members(io.BytesIO(raw), Limits(max_decoded=8 << 20, max_ratio=200), name):
            if m.config:
                try:
                    _check(image.values(m.data, m.path, Options()), m.data)
                except ExtractError:
                    pass
    except ExtractError:
        pass


def url_target(data: bytes) -> None:
    if len(data) < 2:
        return
    start = int.from_bytes(data[:2], "little") % (len(data) - 1)
    buf = data[2:]
    start = min(start, len(buf))
    for pr in (False, True):
        u = urls.parse_at(buf, start, pr)
        if u is not None:
            if not (0 <= u.start <= u.end <= len(buf)):
                raise AssertionError(f"URL outside the buffer: {u!r} for {len(buf)} bytes")
            u.normalized()
            urls.is_loopback_host(u.host)
            urls.is_unspecified_host(u.host)


def reader_target(data: bytes) -> None:
    name, raw = _pick(data, ["dist/app.js", "dist/app.js.gz", "dist/app.js.br", "dist/app.js.zst", "x.tar.gz"])
    limits = Limits(max_decoded=1 << 20, max_ratio=50)
    try:
        opened = Opened(name, limits, data=raw)
        for _ in opened.windows():
            pass
        Opened(name, limits, data=raw).text(1 << 20)
    except (ReadError, NotText, IsArchive):
        pass


TARGETS = {**{n: values_target(n) for n in MODULES}, "image-tar": image_tar, "urls": url_target,
           "reader": reader_target}


# -- seeds: near-valid samples so the fuzzer starts inside each format ----------------------
def _tar(entries) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.GNU_FORMAT) as tf:
        for name, payload in entries:
            info = tarfile.TarInfo(name)
            info.size = len(payload)
            tf.addfile(info, io.BytesIO(payload))
    return buf.getvalue()


def seeds(target: str) -> list[bytes]:
    cfg = json.dumps({"architecture": "amd64", "os": "linux", "config": {
        "Env": ["PATH=/usr/bin", "VITE_API_URL=http://localhost:4111"], "Labels": {"a": "https://api.wondertwin.dev/x"}},
        "history": [{"created_by": "/bin/sh -c #(nop) ENV API_URL=http://localhost:4111"}]}).encode()
    layer = _tar([("app/dist/index.js", b'fetch("http://localhost:4111/v1")'), ("app/.env.production", b"A=http://127.0.0.1:4112\n")])
    img = _tar([("manifest.json", json.dumps([{"Config": "cfg.json", "Layers": ["abc/layer.tar"]}]).encode()),
                ("cfg.json", cfg), ("abc/layer.tar", layer), ("../evil", b"x"), ("/abs", b"y")])
    s = {
        "dotenv": [b"VITE_STRIPE_BASE_URL=http://localhost:4111\nexport B='x'\nC=\"${D:-http://127.0.0.1:4112}\" # c\r\n"],
        "dockerfile": [b"# escape=`\nFROM node:20 AS build\nARG API=http://localhost:4111\nENV A=${API} \\\n  B=\"x y\"\n"
                       b"FROM nginx AS prod\nCOPY --from=build /a /b\nENV C http://localhost:4111\n"],
        "compose": [b"x-env: &e\n  API: http://localhost:4111\nservices:\n  web:\n    image: x\n    environment:\n"
                    b"      <<: *e\n      B: ${B:-http://127.0.0.1}\n  api:\n    environment: [\"A=http://localhost:4111\"]\n"],
        "workflows": [b"on: push\njobs:\n  deploy:\n    environment: production\n    env:\n      API: http://localhost:4111\n"
                      b"    steps:\n      - run: curl http://localhost:4111\n        env: {X: y}\n",
                      b".base:\n  variables: {A: http://localhost:4111}\ndeploy:\n  extends: .base\n  environment: production\n"
                      b"  script: [\"echo $A\"]\n"],
        "kubernetes": [b"apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: a, namespace: prod}\nspec:\n  template:\n"
                       b"    spec:\n      containers:\n        - name: a\n          env:\n            - name: API\n"
                       b"              value: http://localhost:4111\n---\napiVersion: v1\nkind: ConfigMap\ndata: {A: x}\n"],
        "image-config": [cfg],
        "image-tar": [b"\x00" + img, b"\x01" + gzip.compress(img, mtime=0)],
        "urls": [b"\x05\x00const a=`http://localhost:4111/x`", b"\x03\x00a=\"//api.wondertwin.dev/twins/stripe\"",
                 b"\x00\x00http:\\/\\/[::1]:4111\\u002Fx"],
        "reader": [b"\x00var a='http://localhost:4111'", b"\x01" + gzip.compress(b"http://localhost:4111 " * 100, mtime=0),
                   b"\x00\xff\xfe" + "http://localhost:4111".encode("utf-16-le")],
    }[target]
    if target in PATHS and target != "image-tar":  # prefix the variant byte
        s = [bytes([i]) + x for x in s for i in range(len(PATHS[target]))]
    return s


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("target", choices=sorted(TARGETS))
    ap.add_argument("--seconds", type=int, default=120, help="time budget (libFuzzer -max_total_time)")
    ap.add_argument("--timeout", type=int, default=10, help="seconds for one input before it counts as a hang")
    ap.add_argument("--rss-limit-mb", type=int, default=2048)
    ap.add_argument("rest", nargs="*", help="crasher files to reproduce, or extra libFuzzer flags after --")
    args = ap.parse_args()

    crashers = os.path.join(HERE, "crashers", args.target)
    corpus = os.path.join(HERE, "corpus", args.target)
    os.makedirs(crashers, exist_ok=True)
    os.makedirs(corpus, exist_ok=True)
    files = [r for r in args.rest if not r.startswith("-")]
    if files:  # reproduce: run the inputs once, outside libFuzzer, with a normal traceback
        for f in files:
            with open(f, "rb") as fh:
                data = fh.read()
            print(f"{f}: {data!r}"[:2000])
            TARGETS[args.target](data)
        print("no contract violation")
        return
    if not os.listdir(corpus):
        for i, s in enumerate(seeds(args.target)):
            with open(os.path.join(corpus, f"seed-{i}"), "wb") as fh:
                fh.write(s)
    flags = [sys.argv[0], corpus, f"-max_total_time={args.seconds}", f"-timeout={args.timeout}",
             f"-rss_limit_mb={args.rss_limit_mb}", f"-artifact_prefix={crashers}/", "-max_len=65536",
             "-print_final_stats=1"] + [r for r in args.rest if r.startswith("-")]
    atheris.Setup(flags, TARGETS[args.target])
    atheris.Fuzz()


if __name__ == "__main__":
    main()
