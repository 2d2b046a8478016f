"""nginx configuration (issue 12, "Sidecars, agents and proxies"): `proxy_pass`, `upstream`
servers, `fastcgi_pass` and `grpc_pass` are proxy upstreams (role `proxy`); other directives are
plain values; `#` starts a comment. The config follows nginx's documentation examples
(ngx_http_upstream_module, ngx_http_proxy_module, the official image's default.conf)."""
from __future__ import annotations

import pytest

from twinscan.classify import artifact_kind
from twinscan.extract.nginx import values
from twinscan.extract.values import Options

from .conftest import cli_json

NGINX = """\
user  nginx;
worker_processes  auto;

events {
    worker_connections  1024;
}

http {
    upstream backend {
        server backend1.example.com       weight=5;
        server 127.0.0.1:8080       max_fails=3 fail_timeout=30s;
        server unix:/tmp/backend3;
    }

    server {
        listen       80;
        server_name  shop.example.com;
        return 301 https://shop.example.com$request_uri;
    }

    server {
        listen 443 ssl;
        server_name shop.example.com;

        location / {
            proxy_pass http://127.0.0.1:3000;  # was http://localhost:4111 before the twin moved to CI
            proxy_set_header Host $host;
        }

        location /api/ {
            proxy_pass http://backend;
        }

        location /legacy/ {
            proxy_pass http://localhost:8000/uri/;
        }

        # location /stripe/ { proxy_pass http://localhost:4111; }

        location ~ \\.php$ {
            fastcgi_pass 127.0.0.1:9000;
            fastcgi_param SCRIPT_FILENAME "/scripts$fastcgi_script_name";
        }

        location /grpc.Health/ {
            grpc_pass grpc://127.0.0.1:50051;
        }

        location /status {
            return 302 "https://status.yourco.com/#http://localhost:4111";
        }
    }
}
"""


def _by_text(data: bytes):
    return {data[v.start:v.end].decode(): v for v in values(data, "nginx/nginx.conf", Options())}


def test_upstream_arguments_are_proxies_and_other_arguments_plain_values():
    data = NGINX.encode()
    found = _by_text(data)
    for text, key in [("http://127.0.0.1:3000", "proxy_pass"), ("http://backend", "proxy_pass"),
                      ("http://localhost:8000/uri/", "proxy_pass"), ("127.0.0.1:9000", "fastcgi_pass"),
                      ("grpc://127.0.0.1:50051", "grpc_pass"), ("127.0.0.1:8080", "upstream backend"),
                      ("backend1.example.com", "upstream backend"), ("unix:/tmp/backend3", "upstream backend")]:
        assert (found[text].key, found[text].role) == (key, "proxy"), text
        assert "proxy upstream" in found[text].role_reason
    assert (found["max_fails=3"].role, found["weight=5"].role) == (None, None)
    assert (found["https://shop.example.com$request_uri"].key, found["https://shop.example.com$request_uri"].role) == ("return", None)
    assert found["/scripts$fastcgi_script_name"].value == "/scripts$fastcgi_script_name"  # inside the quotes
    assert found["/scripts$fastcgi_script_name"].role is None
    assert not [t for t in found if t.startswith("http://localhost:4111")]  # comments hold no value
    assert all(v.environment is None for v in found.values())


def test_tokenizer_quotes_escapes_variables_and_stray_braces():
    data = b'set $a "x \\" ${b}y";\nlocation /a { proxy_pass http://${up}:80; }\n}\nreturn 200 \'open'
    found = values(data, "nginx.conf", Options())
    assert [(v.key, v.value) for v in found] == [
        ("set", "$a"), ("set", 'x " ${b}y'), ("location", "/a"), ("proxy_pass", "http://${up}:80"), ("return", "200"),
        ("return", "open")]
    assert [v.role for v in found if v.key == "proxy_pass"] == ["proxy"]


@pytest.mark.parametrize("path, kind", [
    ("nginx.conf", "nginx"), ("deploy/nginx/nginx.conf", "nginx"), ("nginx/default.conf", "nginx"),
    ("nginx/conf.d/app.conf", "nginx"), ("docker/nginx/templates/default.conf.template", "nginx"),
    ("etc/nginx/conf.d/shop.conf", "nginx"), ("sites-available/shop", "nginx"), ("sites-enabled/default", "nginx"),
    ("default.conf", "nginx"),
    ("app.conf", "text"), ("config/redis.conf", "text"), ("supervisord.conf", "text"), ("conf/app.conf", "text"),
])
def test_claim_is_narrow(path, kind):
    assert artifact_kind(path) == kind


def test_nginx_through_the_cli(tmp_path):
    (tmp_path / "nginx").mkdir()
    (tmp_path / "nginx" / "nginx.conf").write_text(NGINX)
    code, report = cli_json([tmp_path / "nginx" / "nginx.conf"])
    found = {(f["line"], f["url"]): f for f in report["findings"]}
    for at in [(26, "http://127.0.0.1:3000"), (35, "http://localhost:8000/uri/")]:
        assert (found[at]["key"], found[at]["role"], found[at]["blocking"]) == ("proxy_pass", "proxy", False), at
    assert "nginx `proxy_pass`" in found[(26, "http://127.0.0.1:3000")]["reason"]
    comment = found[(26, "http://localhost:4111")]
    assert (comment["context"], comment["key"], comment["blocking"]) == ("comment", None, False)  # not `was`
    commented_out = found[(38, "http://localhost:4111")]
    assert (commented_out["context"], commented_out["blocking"]) == ("comment", False)
    fragment = found[(50, "http://localhost:4111")]
    assert (fragment["context"], fragment["blocking"]) == ("url-fragment", False)
    assert all(f["production"] for f in report["findings"]) and code == 0


def test_nginx_upstream_with_twin_evidence_keeps_blocking(tmp_path):
    (tmp_path / "nginx.conf").write_text(
        "events {}\nhttp {\n  server {\n    location /api/stripe/ { proxy_pass http://localhost:4111/; }\n"
        "    location /pay/ { proxy_pass http://127.0.0.1:8080/stripe/; }\n  }\n}\n")
    code, report = cli_json([tmp_path / "nginx.conf"])
    seen = {f["url"]: (f["role"], f["blocking"]) for f in report["findings"]}
    assert seen == {"http://localhost:4111/": ("proxy", True), "http://127.0.0.1:8080/stripe/": ("proxy", True)}
    assert code == 1
