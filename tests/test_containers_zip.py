"""Containers twinscan opens in memory (zip, jar, asar, xz, bzip2, doubly compressed streams)
and the ones it cannot (7z, rar, encrypted or unsupported zip members): exit 0 must mean every
file in a production target was read."""
from __future__ import annotations

import bz2
import gzip
import io
import lzma
import shutil
import zipfile
from pathlib import Path

import pytest

from .conftest import cli, cli_json, scan_all_engines
from .helpers import tar_bytes

ASAR = Path(__file__).parent / "data" / "electron" / "app.asar"

#: An AWS Lambda deploy package: the handler bundle (esbuild) and a dependency.
HANDLER = (b'"use strict";var r=process.env.STRIPE_API_BASE??"http://localhost:4111";'
           b'exports.handler=async e=>{const s=await fetch(`${r}/v1/charges`,{method:"POST"});return s.json()};\n')


def zip_bytes(files: dict[str, bytes], method=zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", method) as z:
        for name, data in files.items():
            z.writestr(name, data)
    return buf.getvalue()


def lambda_package() -> bytes:
    return zip_bytes({"index.js": HANDLER, "node_modules/uuid/package.json": b'{"name":"uuid","version":"9.0.1"}'})


_scan_all_engines = scan_all_engines  # one definition, in conftest


def _blocking(doc):
    return {(f["path"], f["url"]) for f in doc["findings"] if f["blocking"]}


def test_lambda_function_zip_members_are_scanned_and_block(tmp_path):
    (tmp_path / "function.zip").write_bytes(lambda_package())
    code, doc = _scan_all_engines([tmp_path / "function.zip"])
    assert code == 1
    assert _blocking(doc) == {(f"{tmp_path}/function.zip!/index.js", "http://localhost:4111")}
    assert doc["errors"] == []


def test_the_same_zip_in_a_staging_run_is_reported_not_blocking(tmp_path):
    (tmp_path / "function.zip").write_bytes(lambda_package())
    code, doc = _scan_all_engines(["--environment", "staging", tmp_path])
    assert code == 0
    assert [(f["path"].rsplit("/", 2)[-2:], f["blocking"]) for f in doc["findings"]] == [
        (["function.zip!", "index.js"], False)]


def test_a_release_dist_zip_with_a_tarball_inside_is_read_to_the_bottom(tmp_path):
    site = tar_bytes([("site/assets/index-DeyCErs_.js", b'const n=`https://api.wondertwin.dev/twins/stripe`;')])
    (tmp_path / "dist.zip").write_bytes(zip_bytes({"README.txt": b"shop 2.3.0", "site.tar.gz": gzip.compress(site)}))
    code, doc = _scan_all_engines([tmp_path])
    assert code == 1
    assert _blocking(doc) == {(f"{tmp_path}/dist.zip!/site.tar.gz!/site/assets/index-DeyCErs_.js",
                               "https://api.wondertwin.dev/twins/stripe")}


def test_jar_and_war_are_zips(tmp_path):
    props = b"spring.application.name=shop\nstripe.api-base=http://localhost:4111\n"
    (tmp_path / "shop.jar").write_bytes(zip_bytes({"META-INF/MANIFEST.MF": b"Manifest-Version: 1.0\n",
                                                   "BOOT-INF/classes/application.properties": props}))
    (tmp_path / "shop.war").write_bytes(zip_bytes({"WEB-INF/classes/application.properties": props}))
    code, doc = cli_json([tmp_path])
    assert code == 1
    assert {p.rsplit("/", 1)[-1] for p, _ in _blocking(doc)} == {"application.properties"}
    assert {p.split("!/")[0].rsplit("/", 1)[-1] for p, _ in _blocking(doc)} == {"shop.jar", "shop.war"}


def test_a_zip_bomb_is_refused_by_the_ratio_limit(tmp_path):
    (tmp_path / "function.zip").write_bytes(zip_bytes({"index.js": b"\0" * (8 << 20)}))
    code, doc = cli_json([tmp_path])
    assert code == 3
    [err] = doc["errors"]
    assert err["path"].endswith("function.zip") and "function.zip!/index.js expands more than 200:1" in err["message"]


def test_a_zip_member_past_max_decoded_size_is_not_read(tmp_path):
    import os

    (tmp_path / "dist.zip").write_bytes(zip_bytes({"big.js": os.urandom(1 << 20) * 2}, zipfile.ZIP_STORED))
    code, doc = cli_json(["--max-decoded-size", "1", tmp_path])
    assert code == 3
    assert "dist.zip!/big.js: 2 MiB is larger than the 1 MiB limit (--max-decoded-size)" in doc["errors"][0]["message"]


def _patch(data: bytes, field: int, value: int) -> bytes:
    """Set a 2-byte field of the only member in both of its headers: ``field`` is its offset
    in the central directory entry (the local header has it 2 bytes earlier)."""
    b = bytearray(data)
    local, central = b.find(b"PK\x03\x04"), b.find(b"PK\x01\x02")
    b[local + field - 2:local + field] = value.to_bytes(2, "little")
    b[central + field:central + field + 2] = value.to_bytes(2, "little")
    return bytes(b)


FLAGS, METHOD = 8, 10


def test_an_encrypted_member_makes_the_scan_incomplete(tmp_path):
    data = zip_bytes({"index.js": b"\x8a\x13" * 40}, zipfile.ZIP_STORED)
    (tmp_path / "function.zip").write_bytes(_patch(data, FLAGS, 0x1))  # traditional PKWARE encryption
    code, doc = cli_json([tmp_path])
    assert code == 3
    assert "function.zip!/index.js: encrypted; twinscan cannot read it" in doc["errors"][0]["message"]


def test_an_unsupported_compression_method_makes_the_scan_incomplete(tmp_path):
    (tmp_path / "dist.zip").write_bytes(_patch(zip_bytes({"app.js": b"x" * 100}, zipfile.ZIP_STORED), METHOD, 9))
    code, doc = cli_json([tmp_path])
    assert code == 3
    assert "dist.zip!/app.js: compression method 9 (Deflate64) is not supported" in doc["errors"][0]["message"]


def test_a_corrupt_zip_is_an_error_not_a_traceback(tmp_path):
    (tmp_path / "function.zip").write_bytes(lambda_package()[:200])
    r = cli([tmp_path])
    assert r.exit_code == 3
    assert "function.zip" in r.output and "Traceback" not in r.output


@pytest.mark.parametrize("name,head,what", [
    ("release.7z", b"7z\xbc\xaf'\x1c\x00\x04", "7-Zip archive"),
    ("release.rar", b"Rar!\x1a\x07\x01\x00", "RAR archive"),
])
def test_containers_twinscan_cannot_open_make_the_scan_incomplete(tmp_path, name, head, what):
    (tmp_path / name).write_bytes(head + b"\x00" * 64)
    code, doc = cli_json([tmp_path])
    assert code == 3
    assert doc["errors"][0]["message"] == f"{what}: a container twinscan cannot open, so its files were not scanned"
    code, doc = cli_json(["--environment", "staging", tmp_path])
    assert code == 0 and doc["errors"][0]["production"] is False  # a warning outside production


def test_media_fonts_pdf_and_wasm_stay_binary_skips(tmp_path):
    files = {"logo.png": b"\x89PNG\r\n\x1a\n" + b"\0" * 32, "inter.woff2": b"wOF2" + b"\0" * 32,
             "terms.pdf": b"%PDF-1.7\n" + b"\0" * 32, "app.wasm": b"\0asm\x01\0\0\0" + b"\0" * 32}
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    r = cli(["-v", tmp_path])
    assert r.exit_code == 0
    for what in ("PNG image", "WOFF2 font", "PDF document", "WebAssembly module"):
        assert f"binary: {what}" in r.output


def test_a_real_electron_asar(tmp_path):
    shutil.copy(ASAR, tmp_path / "app.asar")
    code, doc = _scan_all_engines(["-v", tmp_path])
    assert code == 1
    assert _blocking(doc) == {(f"{tmp_path}/app.asar!/dist/renderer.js", "https://api.wondertwin.dev/twins/stripe")}
    assert any("app.asar!/node_modules/sharp/build/sharp.node: unpacked" in s["reason"] for s in doc["skipped"])
    code, doc = _scan_all_engines(["--environment", "development", tmp_path])
    assert code == 0 and [f["blocking"] for f in doc["findings"]] == [False]


def test_a_truncated_asar_is_an_error(tmp_path):
    (tmp_path / "app.asar").write_bytes(ASAR.read_bytes()[:-20])
    code, doc = cli_json([tmp_path])
    assert code == 1  # the renderer, read before the cut, still blocks; a blocking finding wins
    assert "app.asar!/package.json: the archive ends before this file does" in doc["errors"][0]["message"]


@pytest.mark.parametrize("suffix,compress", [(".xz", lzma.compress), (".bz2", bz2.compress)])
def test_xz_and_bzip2_siblings(tmp_path, suffix, compress):
    (tmp_path / "assets").mkdir()
    js = b'const n=`http://localhost:4111`;fetch(`${n}/v1/charges`);\n'
    (tmp_path / "assets" / f"index-DeyCErs_.js{suffix}").write_bytes(compress(js) + compress(b"//# end\n"))
    (tmp_path / f".env.production{suffix}").write_bytes(compress(b"VITE_POSTHOG_HOST=http://localhost:4112\n"))
    code, doc = _scan_all_engines([tmp_path])
    assert code == 1
    got = {(f["path"].rsplit("/", 1)[-1], f["key"], f["context"]) for f in doc["findings"] if f["blocking"]}
    assert got == {(f"index-DeyCErs_.js{suffix}", "n", "template"),
                   (f".env.production{suffix}", "VITE_POSTHOG_HOST", "value")}
    code, doc = _scan_all_engines(["--environment", "staging", tmp_path])
    assert code == 0 and len(doc["findings"]) == 2


def test_truncated_xz_is_an_error(tmp_path):
    (tmp_path / "app.js.xz").write_bytes(lzma.compress(b'x="http://localhost:4111";' * 1000)[:-30])
    code, doc = cli_json([tmp_path])
    assert code in (1, 3) and "xz data" in doc["errors"][0]["message"]


def test_gzip_of_gzip_is_decoded_twice(tmp_path):
    js = b'const n="https://api.wondertwin.dev/twins/posthog";\n'
    (tmp_path / "app.js.gz").write_bytes(gzip.compress(gzip.compress(js)))
    code, doc = _scan_all_engines([tmp_path])
    assert code == 1
    assert _blocking(doc) == {(f"{tmp_path}/app.js.gz!/app.js", "https://api.wondertwin.dev/twins/posthog")}
    code, doc = _scan_all_engines(["--environment", "staging", tmp_path])
    assert code == 0 and len(doc["findings"]) == 1


def test_nesting_past_the_depth_limit_is_incomplete_not_skipped(tmp_path):
    data = HANDLER
    for i in range(5):
        data = zip_bytes({f"layer{i}.zip" if i else "index.js": data})
    (tmp_path / "function.zip").write_bytes(data)
    code, doc = cli_json([tmp_path])
    assert code == 3
    assert "nested 4 deep (the limit is 3): not opened" in doc["errors"][0]["message"]


def test_a_tar_xz_release_is_read_as_a_tarball(tmp_path):
    site = tar_bytes([("dist/index.html", b'<meta name="api" content="http://localhost:4111">')])
    (tmp_path / "site.tar.xz").write_bytes(lzma.compress(site))
    code, doc = cli_json([tmp_path])
    assert code == 1 and _blocking(doc) == {(f"{tmp_path}/site.tar.xz!/dist/index.html", "http://localhost:4111")}
