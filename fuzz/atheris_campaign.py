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
import glob
import gzip
import io
import json
import os
import re
import sys
import tarfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, ROOT)

try:
    import atheris
except ImportError:  # pragma: no cover - documented in fuzz/README.md
    sys.exit("atheris is not installed: pip install atheris (Linux/macOS, CPython 3.8–3.11 wheels)")

with atheris.instrument_imports(include=["twinscan", "dotenv", "yaml", "pathspec"]):
    from twinscan import suppress, urls
    from twinscan.classify import Classifier
    from twinscan.config import ConfigError
    from twinscan.extract import (
        Hit,
        compose,
        dockerfile,
        dotenv,
        html,
        image,
        javascript,
        jsfold,
        kubernetes,
        sourcemap,
        workflows,
    )
    from twinscan.extract.sourcemap import SourceMapError
    from twinscan.extract.values import ExtractError, Options
    from twinscan.model import Finding
    from twinscan.reader import IsArchive, Limits, NotText, Opened, ReadError
    from twinscan.rulepack import build_ruleset
    from twinscan.scan import FileScanner, Settings
    from twinscan.walk import Item


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


# -- targets added with source maps, HTML context, library context and suppressions --------
_CONTEXTS = {"string", "template", "comment", "regex", "code", "value", "text", "attribute", "unknown",
             "comparison", "url-base", "dev-branch", "message", "computed"}


def sourcemap_target(data: bytes) -> None:
    """Mode byte, then: parse + validate + original() at fuzzed positions; locate_in_map at a
    fuzzed offset; find_map on a fuzzed tail with an in-memory read(). Only SourceMapError."""
    if len(data) < 5:
        return
    mode, a, b = data[0] % 3, int.from_bytes(data[1:3], "little"), int.from_bytes(data[3:5], "little")
    doc = data[5:]
    try:
        if mode == 0:
            smap = sourcemap.SourceMap.parse(doc, "app.js.map", base="dist/app.js.map")
            for line, col, text in ((a % 64 + 1, b % 256 + 1, None), (1, 1, doc[:b % 64]),
                                    (a % 4096 + 1, b + 1, doc[a % (len(doc) + 1):][:b % 300].decode("utf-8", "replace"))):
                m = smap.original(line, col, text)
                if m is not None:
                    assert m.line >= 1 and m.column >= 1, m
                    m.library
                    m.origin("app.js.map")
                smap.original(line, col, text, max_distance=2)
            smap.validate()
        elif mode == 1:
            loc = sourcemap.locate_in_map(doc, a % (len(doc) + 1))
            if loc is not None:
                assert isinstance(loc.key, str), loc
        else:  # the tail names a map; read() serves the bundle itself, the named file, or nothing
            cut = a % (len(doc) + 1)
            bundle, mapdata = doc[:cut], doc[cut:]
            files = {"dist/app.js": bundle, "dist/app.js.map": mapdata}
            name = ["x.map", "a%20b.map", "../m.map"][b % 3]
            files["dist/" + name] = mapdata

            def read(path: str):
                if b & 4 and path.endswith("other.map"):
                    raise OSError("unreadable")
                return files.get(path)
            notes: list[str] = []
            ref = sourcemap.find_map("dist/app.js", bundle[-8192:], read, notes=notes)
            if ref is not None:
                ref.load().validate()
    except SourceMapError:
        pass


def _hits(data: bytes, offsets: bytes, quietable: bool) -> list:
    """Hits like scan.FileScanner._raw builds: at every URL-looking offset, plus fuzzed ones."""
    starts = [m.start() for m in re.finditer(rb"(?i)https?:|//", data)][:32]
    starts += [int.from_bytes(offsets[i:i + 2], "little") % (len(data) + 1) for i in range(0, len(offsets) - 1, 2)]
    hits = []
    for k, s in enumerate(starts):
        u = urls.parse_at(data, s, data[s:s + 2] == b"//")
        e = u.end if u is not None else min(len(data), s + 1 + k % 40)
        prefix = data[max(0, s - 256):s]
        prefix = prefix[prefix.rfind(b"\n") + 1:]
        hit = Hit(s, e, prefix, after=data[e:e + 128].split(b"\n", 1)[0], quietable=quietable or bool(k & 1),
                  port_computed=data[s:e].endswith(b":") and data[e:e + 2] == b"${")
        if prefix[-1:] in (b'"', b"'", b"`"):
            hit.quote = prefix[-1:].decode()
            hit.comment_free = javascript.provably_not_in_comment(data, s, True) if k & 2 else bool(k & 4)
        hit.dev_marker = bool(k & 8)
        hits.append(hit)
    return hits


def _annotate_target(module, mode_bits: int):
    def one(data: bytes) -> None:
        if len(data) < 3:
            return
        n = 2 * (data[0] % 8)
        offsets, doc = data[1:1 + n], data[1 + n:]
        hits = _hits(doc, offsets, bool(data[0] & mode_bits))
        module.annotate(hits, lambda limit=None: doc)
        if module is javascript:  # `"http://" + "localhost:4111"` folding, as scan._folded calls it
            for f in jsfold.folded_strings(doc, [h.offset for h in hits]):
                assert 0 <= f.start <= f.end <= len(doc) and isinstance(f.value, str), f
        for h in hits:
            if h.context not in _CONTEXTS:
                raise AssertionError(f"unknown context {h.context!r} for {h!r}")
            assert h.key is None or isinstance(h.key, str), h
    return one


def urls_encoded_target(data: bytes) -> None:
    """parse_at at a fuzzed offset, then the decoded URL must re-parse to itself (idempotence of
    the percent / HTML-entity / multi-backslash reader) and stay inside the buffer."""
    if len(data) < 2:
        return
    buf = data[1:]
    start = data[0] % (len(buf) + 1)
    for pr in (False, True):
        u = urls.parse_at(buf, start, pr)
        if u is None:
            continue
        if not (0 <= u.start < u.end <= len(buf)):
            raise AssertionError(f"URL outside the buffer: {u!r} for {len(buf)} bytes")
        if u.port is not None:
            assert 0 <= u.port, u
        text = u.normalized(redact=False)
        urls.is_loopback_host(u.host)
        urls.is_unspecified_host(u.host)
        again = urls.parse_at(b" " + text.encode("utf-8", "surrogatepass"), 1, not u.scheme)
        assert again is not None, (u, text)


def _fdp_text(fdp, n: int) -> str:
    return fdp.ConsumeUnicodeNoSurrogates(fdp.ConsumeIntInRange(0, n))


_URL_PATTERNS = ["", "http://localhost:4111/*", "*wondertwin.dev/twins/*", "//LOCALHOST:4111/v1?x=1&amp;y"]
_PATH_PATTERNS = ["", "dist/assets/index-DeyCErs_.js", "dist/**/*.map", "[dist]/a[b"]
_RULE_IDS = ["loopback-url", "wondertwin-hosted-url", "org-twin-url", "no-such-rule"]


def suppress_target(data: bytes) -> None:
    """Random `ignore:` entries through parse_ignore (only ConfigError), then apply() to random
    findings (nothing may raise; every finding comes out exactly once)."""
    import datetime

    fdp = atheris.FuzzedDataProvider(data)
    value = []
    for _ in range(fdp.ConsumeIntInRange(0, 4)):
        if fdp.ConsumeIntInRange(0, 15) == 0:
            value.append(_fdp_text(fdp, 8))
            continue
        entry = {}
        for key in ("rule", "url", "path", "reason", "expires", "other"):
            kind = fdp.ConsumeIntInRange(0, 7)
            if kind == 0 or (key == "other" and kind != 7):
                continue
            if key == "rule" and kind < 5:
                entry[key] = _RULE_IDS[kind % len(_RULE_IDS)]
            elif key == "expires" and kind == 1:
                entry[key] = datetime.date(2000 + fdp.ConsumeIntInRange(0, 60), 1 + fdp.ConsumeIntInRange(0, 11), 1)
            elif key == "expires" and kind == 2:  # YYYY-MM-DD-shaped, valid or not
                entry[key] = "%04d-%02d-%02d " % (fdp.ConsumeIntInRange(0, 9999), fdp.ConsumeIntInRange(0, 99),
                                                  fdp.ConsumeIntInRange(0, 99))
            elif key == "url" and kind < 4:
                entry[key] = _URL_PATTERNS[kind] + _fdp_text(fdp, 6)
            elif key == "path" and kind < 4:
                entry[key] = _PATH_PATTERNS[kind] + _fdp_text(fdp, 6)
            elif kind == 6:
                entry[key] = [fdp.ConsumeInt(2)] if fdp.ConsumeBool() else fdp.ConsumeInt(4)
            else:
                entry[key] = _fdp_text(fdp, 40)
        value.append(entry)
    where = ["twinscan.yml", "cfg/.twinscan.yaml", "", "/"][fdp.ConsumeIntInRange(0, 3)]
    try:
        entries = suppress.parse_ignore(value if fdp.ConsumeIntInRange(0, 31) else value[:1] and value[0], where)
    except ConfigError:
        return
    findings = []
    for i in range(fdp.ConsumeIntInRange(0, 4)):
        url = _fdp_text(fdp, 60)
        findings.append(Finding(rule=_RULE_IDS[i % 3], severity="high", confidence="high", path=_fdp_text(fdp, 40),
                                line=1, column=1, end_column=2, match=url, url=url, host="localhost", port=None,
                                key=None, context="string", environment="production", production=True,
                                blocking=True, reason="r", snippet=url))
    baseline = None
    if fdp.ConsumeBool():
        fps = {suppress.baseline_fingerprint(f, "/work")[0]: {"first_seen": "2026-01-01"} for f in findings[:1]}
        fps[_fdp_text(fdp, 10)] = {}
        baseline = suppress.Baseline(".twinscan-baseline.json", "/work", fps)
    out = suppress.apply(findings, entries, baseline, today=datetime.date(2026, 1, 1))
    assert len(out.active) + len(out.suppressed) == len(findings), out


_SCANNER = None
_SCAN_NAMES = ["dist/assets/index-B4nyrpZJ.js", "dist/index.html", "dist/assets/index-B4nyrpZJ.js.map",
               "dist/manifest.json", "build/static/js/main.89dfa379.js", "out/server/app/page.html",
               "dist/app.mjs", "public/data.json"]


def scan_target(data: bytes) -> None:
    """The whole FileScanner on an in-memory file named *.js/*.html/*.map/*.json: it catches
    every exception and reports "internal error" — that report is the crash."""
    global _SCANNER
    if _SCANNER is None:
        _SCANNER = FileScanner(Settings(rules=build_ruleset(("https://twins.example.dev",)),
                                        classifier=Classifier(), engine="re"))
    name, doc = _pick(data, _SCAN_NAMES)
    res = _SCANNER.scan(Item(name, name, len(doc), doc))
    for e in res.errors:
        if "internal error" in e.message:
            raise AssertionError(f"{name}: {e.message}")
    for f in res.findings:
        assert 0 <= f.offset <= len(doc) and f.line >= 1 and f.context in _CONTEXTS | {"source-map"}, f


TARGETS.update({"sourcemap": sourcemap_target, "html": _annotate_target(html, 1 << 6),
                "js-library": _annotate_target(javascript, 1 << 6), "urls-encoded": urls_encoded_target,
                "suppress": suppress_target, "scan": scan_target})


_B64C = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
_SOURCES = ["webpack://app/./src/api.ts", "../../node_modules/axios/lib/adapters/xhr.js",
            "node_modules/.pnpm/@sentry+browser@11.12.0/node_modules/@sentry/browser/build/esm/index.js",
            "node_modules/.pnpm/posthog-js@1.449.2_react@19/x.js", "node_modules/.vite/deps/socket__io-client.js",
            "node_modules/.vite/deps/chunk-ABCD.js", "node_modules/.vite/deps/@sentry_browser.js",
            "file:///home/u/app/src/main.ts", "/abs/src/x.js", "C:\\\\app\\\\node_modules\\\\@scope\\\\pkg\\\\i.js", None]


def _vlq(n: int) -> str:
    v = (-n << 1) | 1 if n < 0 else n << 1
    out = ""
    while True:
        d, v = v & 31, v >> 5
        out += _B64C[d | (32 if v else 0)]
        if not v:
            return out


def _gen_map(fdp, depth: int) -> dict:
    """A structurally valid-ish map whose every field may be wrong in a fuzzed way."""
    m: dict = {"version": 3 if fdp.ConsumeIntInRange(0, 15) else fdp.ConsumeIntInRange(0, 4)}
    if depth and fdp.ConsumeIntInRange(0, 3) == 0:
        secs, line = [], 0
        for _ in range(fdp.ConsumeIntInRange(0, 3)):
            line += fdp.ConsumeIntInRange(-1, 40)
            sec = {"offset": {"line": line, "column": fdp.ConsumeIntInRange(-1, 200)}, "map": _gen_map(fdp, depth - 1)}
            if fdp.ConsumeIntInRange(0, 15) == 0:
                sec["url"] = "x.map"
            secs.append(sec)
        m["sections"] = secs
        return m
    n = fdp.ConsumeIntInRange(0, 4)
    m["sources"] = [(_SOURCES[fdp.ConsumeIntInRange(0, len(_SOURCES) - 1)] if fdp.ConsumeBool()
                     else _fdp_text(fdp, 30)) for _ in range(n)]
    if fdp.ConsumeBool():
        m["sourceRoot"] = [_fdp_text(fdp, 12), "", "/", 7, None][fdp.ConsumeIntInRange(0, 4)]
    m["names"] = [_fdp_text(fdp, 8) for _ in range(fdp.ConsumeIntInRange(0, 3))]
    if fdp.ConsumeBool():
        m["sourcesContent"] = [(_fdp_text(fdp, 80) + "\U0001F600\\n" * fdp.ConsumeIntInRange(0, 2)) if fdp.ConsumeBool()
                               else None for _ in range(n + fdp.ConsumeIntInRange(-1, 1))]
    lines = []
    for _ in range(fdp.ConsumeIntInRange(0, 80)):
        segs = []
        for _ in range(fdp.ConsumeIntInRange(0, 4)):
            width = [1, 4, 5, 4][fdp.ConsumeIntInRange(0, 3)]
            big = fdp.ConsumeIntInRange(0, 31) == 0
            segs.append("".join(_vlq(fdp.ConsumeIntInRange(-(1 << 32) if big else -3, (1 << 32) if big else 40))
                                for _ in range(width)))
        lines.append(",".join(segs))
    mappings = ";".join(lines)
    if fdp.ConsumeIntInRange(0, 15) == 0 and mappings:  # one corrupted character
        i = fdp.ConsumeIntInRange(0, len(mappings) - 1)
        mappings = mappings[:i] + fdp.PickValueInList(["=", "é", "-", " ", "g"]) + mappings[i + 1:]
    m["mappings"] = mappings
    return m


def sourcemap_gen_target(data: bytes) -> None:
    """Generated maps (index maps, sources under node_modules/.pnpm/.vite, emoji in sourcesContent,
    long and big VLQs, many lines): parse, original() on many lines (checkpoints, line cache),
    validate(), library_of() of every source, locate_in_map() at fuzzed offsets. Only SourceMapError."""
    fdp = atheris.FuzzedDataProvider(data)
    doc = json.dumps(_gen_map(fdp, 2), ensure_ascii=fdp.ConsumeBool()).encode("utf-8", "surrogatepass")
    for src in _SOURCES[:-1]:
        sourcemap.library_of(src)
    try:
        smap = sourcemap.SourceMap.parse(doc, "gen.map", base="dist/gen.js.map")
        for _ in range(fdp.ConsumeIntInRange(0, 24)):
            line, col = fdp.ConsumeIntInRange(1, 120), fdp.ConsumeIntInRange(1, 300)
            text = fdp.PickValueInList([None, "\U0001F600" * (col // 2) + "a" * col, b"\xf0\x9f\x98\x80" * col])
            m = smap.original(line, col, text, max_distance=fdp.PickValueInList([None, 2]))
            if m is not None:
                assert m.line >= 1 and m.column >= 1, m
                m.library
        smap.validate()
    except SourceMapError:
        pass
    try:
        for _ in range(3):
            sourcemap.locate_in_map(doc, fdp.ConsumeIntInRange(0, max(0, len(doc) - 1)))
    except SourceMapError:
        pass


TARGETS["sourcemap-gen"] = sourcemap_gen_target


# -- seeds: near-valid samples so the fuzzer starts inside each format ----------------------
def _tar(entries) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.GNU_FORMAT) as tf:
        for name, payload in entries:
            info = tarfile.TarInfo(name)
            info.size = len(payload)
            tf.addfile(info, io.BytesIO(payload))
    return buf.getvalue()


_URLISH = re.compile(rb"(?i)localhost|127\.0\.0\.1|wondertwin|sourceMappingURL|https?:")


def _windows(data: bytes, size: int, most: int) -> list[bytes]:
    """Slices of a real file around its URL-ish spots (the whole file when it is small)."""
    if len(data) <= size:
        return [data]
    out = []
    for m in _URLISH.finditer(data):
        a = max(0, m.start() - size // 2)
        if out and a < out[-1][0] + size:
            continue
        out.append((a, data[a:a + size]))
        if len(out) >= most:
            break
    return [w for _, w in out] or [data[:size]]


def _fixtures(patterns, size: int = 16384, most: int = 3) -> list[tuple[str, bytes]]:
    out = []
    for pat in patterns:
        for path in sorted(glob.glob(os.path.join(ROOT, "fixtures", pat), recursive=True)):
            if os.path.isfile(path):
                with open(path, "rb") as fh:
                    data = fh.read()
                out += [(path, w) for w in _windows(data, size, most)]
    return out


def fixture_seeds(target: str) -> list[bytes]:
    """Seeds from the real fixtures (fixtures/builds/**, fixtures/libraries/*) for the newer targets."""
    if target == "sourcemap":
        maps = _fixtures(["builds/**/*.map"], 60000, 1)
        out = []
        for _, m in maps:
            out += [b"\x00\x05\x00\x10\x00" + m, b"\x01\x40\x01\x00\x00" + m]
        for path, js in _fixtures(["builds/**/*.js"], 4096, 1)[:12]:
            out.append(b"\x02" + len(js).to_bytes(2, "little")[:2] + b"\x00\x00" + js + b"\n//# sourceMappingURL=x.map\n{}")
        inline = b"var a=1;\n//# sourceMappingURL=data:application/json;base64,eyJ2ZXJzaW9uIjozLCJzb3VyY2VzIjpbImEuanMiXSwibWFwcGluZ3MiOiJBQUFBIn0="
        return out + [b"\x02\xff\xff\x00\x00" + inline,
                      b'\x00\x01\x00\x01\x00{"version":3,"sections":[{"offset":{"line":0,"column":0},"map":'
                      b'{"version":3,"sources":["node_modules/axios/lib/a.js"],"names":["x"],"mappings":"AAAAA,CAAC;;ECAA"}}]}']
    if target == "html":
        return [b"\x03\x10\x00\x80\x00\x00\x01" + d for _, d in _fixtures(["builds/**/*.html"], 16384, 2)]
    if target == "js-library":
        libs = _fixtures(["libraries/*/**/*.js"], 8192, 4) + _fixtures(["builds/*-twin-local/**/*.js"], 8192, 1)
        hand = [b'if(u==="http://localhost:4111"||u.startsWith("http://127.0.0.1"))x();',
                b'const b=new URL(p,location.href||"http://localhost");',
                b'process.env.NODE_ENV!=="production"&&console.warn("see http://localhost:4111/docs");',
                b'const s=`http://localhost:${port}/x`;throw new Error("http://localhost:4111 down")',
                b'var a="http://localhost:"+"4111"+"/v1",b=("https://api.wonder"+("twin.dev/twins/"))+"stripe";',
                b'__DEV__?"http://localhost:4111":"https://api.example.com"']
        return [b"\x41\x00\x00" + d for _, d in libs] + [b"\x40" + h for h in hand]
    if target == "urls-encoded":
        return [b"\x00http%3A%2F%2Flocalhost%3A4111%2Fv1&x=1", b"\x00http&#x3a;&#x2F;&#x2F;localhost:4111&amp;q",
                b"\x00http:\\\\/\\\\/127.0.0.1:4111\\\\u002Fa", b"\x00https&colon;&sol;&sol;api.wondertwin.dev&sol;twins",
                b"\x01 //[::1]:4111/x?y#z", b"\x00http://u:p@localhost:${port}/x", b"\x00http:\\x2f\\x2flocalhost"]
    if target == "sourcemap-gen":
        return [bytes(range(256)) * 4, bytes(range(255, -1, -1)) * 4, b"\x07" * 1024]
    if target == "suppress":
        return [b"\x02\x03\x04localhost/*\x05reason\x01" * 4, bytes(range(256))]
    if target == "scan":
        files = _fixtures(["builds/**/*.js", "builds/**/*.html", "builds/**/*.map", "builds/**/*.json"], 16384, 1)
        out = []
        for path, d in files:
            i = next((k for k, n in enumerate(_SCAN_NAMES) if os.path.splitext(n)[1] == os.path.splitext(path)[1]), 0)
            out.append(bytes([i]) + d)
        return out[:200]
    return []


def seeds(target: str) -> list[bytes]:
    if target in ("sourcemap", "sourcemap-gen", "html", "js-library", "urls-encoded", "suppress", "scan"):
        return fixture_seeds(target)
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
        for i, s in enumerate(seeds(args.target)[:400]):
            with open(os.path.join(corpus, f"seed-{i}"), "wb") as fh:
                fh.write(s)
    flags = [sys.argv[0], corpus, f"-max_total_time={args.seconds}", f"-timeout={args.timeout}",
             f"-rss_limit_mb={args.rss_limit_mb}", f"-artifact_prefix={crashers}/", "-max_len=65536",
             "-print_final_stats=1"] + [r for r in args.rest if r.startswith("-")]
    atheris.Setup(flags, TARGETS[args.target])
    atheris.Fuzz()


if __name__ == "__main__":
    main()
