"""A real HTTP server on the loopback interface for site-scan tests: serves a build directory
(and routes a test adds), records every request, and always stops (use it as a context manager).
Nothing here talks to a non-loopback address."""
from __future__ import annotations

import gzip
import os
import shutil
import string
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

_TYPES = {".html": "text/html; charset=utf-8", ".js": "text/javascript", ".json": "application/json",
          ".map": "application/json", ".css": "text/css", ".rsc": "text/x-component", ".txt": "text/plain"}


class SiteServer:
    """`with SiteServer(root) as s:` serves ``root`` on http://127.0.0.1:<ephemeral port>.

    ``mounts``: URL prefix -> directory (Next serves `.next/static/` at `/_next/static/`).
    ``routes``: exact path -> (status, headers, body) or a callable(handler) -> that tuple.
    ``headers``: added to every response (a CSP written by the platform).
    ``gzip``: paths sent with Content-Encoding: gzip when the client accepts it.
    ``require``: (name, value) every request must carry, else 401 (a gated staging site).
    """

    def __init__(self, root=None, mounts=None, routes=None, headers=None, gzip=(), require=None, index="index.html"):
        self.root = Path(root) if root else None
        self.mounts = {k: Path(v) for k, v in (mounts or {}).items()}
        self.routes = dict(routes or {})
        self.headers = dict(headers or {})
        self.gzip = set(gzip)
        self.require = require
        self.index = index
        self.requests: list[tuple[str, dict]] = []
        self._server = None
        self._thread = None

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> "SiteServer":
        site = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802
                site.requests.append((self.path, {k.lower(): v for k, v in self.headers.items()}))
                status, headers, body = site._answer(self)
                if body is None:
                    return
                path = self.path.split("?", 1)[0]
                if status == 200 and path in site.gzip and "gzip" in self.headers.get("Accept-Encoding", ""):
                    body = gzip.compress(body)
                    headers = {**headers, "Content-Encoding": "gzip"}
                self.send_response(status)
                for k, v in {**site.headers, **headers}.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                try:
                    self.wfile.write(body)
                except OSError:
                    pass  # the client gave up (timeout test)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)

    def _answer(self, h):
        path = h.path.split("?", 1)[0]
        if self.require and h.headers.get(self.require[0]) != self.require[1]:
            return 401, {"Content-Type": "text/plain"}, b"authentication required\n"
        if path in self.routes:
            r = self.routes[path]
            return r(h) if callable(r) else r
        for prefix, d in self.mounts.items():
            if path.startswith(prefix):
                return self._file(d, path[len(prefix):] or self.index)
        if self.root is not None:
            return self._file(self.root, path.lstrip("/") or self.index)
        return 404, {"Content-Type": "text/plain"}, b"not found\n"

    @staticmethod
    def _file(root: Path, rel: str):
        p = (root / rel).resolve()
        if not str(p).startswith(str(root.resolve())) or not p.is_file():
            return 404, {"Content-Type": "text/plain"}, b"not found\n"
        return 200, {"Content-Type": _TYPES.get(p.suffix, "application/octet-stream")}, p.read_bytes()


def slow(seconds: float, body: bytes = b"", ctype: str = "text/javascript"):
    """A route that answers after ``seconds`` (a resource that hits the per-request timeout)."""
    def answer(h):
        time.sleep(seconds)
        return 200, {"Content-Type": ctype}, body
    return answer


def redirect(location: str, status: int = 302):
    return status, {"Location": location, "Content-Type": "text/plain"}, b""


def entrypoint(build: Path, out: Path, environ: dict[str, str]) -> Path:
    """What an nginx image's docker-entrypoint does: copy the build and render every
    `*.template` with the container's environment (`envsubst`): the twin is not in the build,
    only in what the server serves."""
    shutil.copytree(build, out)
    for tpl in out.rglob("*.template"):
        text = string.Template(tpl.read_text()).safe_substitute(environ)
        tpl.with_suffix("").write_text(text)
        os.remove(tpl)
    return out
