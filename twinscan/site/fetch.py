"""One bounded, polite HTTP client for a site scan (stdlib only).

Redirects are followed by hand, so each hop is checked against the allowed hosts and the
`--header` values go only to the origin they were given for. Content-Encoding (gzip, br,
zstd) is decoded by the scanner's own reader, under the same size and ratio limits as a file.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

from .. import __version__

USER_AGENT = f"twinscan/{__version__} (+post-deploy check)"
MAX_REDIRECTS = 5
_DEFAULT_PORTS = {"http": 80, "https": 443}
_ENCODING_SUFFIX = {"gzip": ".gz", "x-gzip": ".gz", "br": ".br", "zstd": ".zst"}


def origin_of(url: str) -> str:
    """`https://app.example.com` (default port left out) for any URL on that origin."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if ":" in host:
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:
        port = None
    return f"{scheme}://{host}" + (f":{port}" if port and port != _DEFAULT_PORTS.get(scheme) else "")


@dataclass
class Response:
    url: str  # the final URL, after redirects
    status: int  # 0: no HTTP response (timeout, refused, cap)
    reason: str  # why it failed; "" when status is 200
    headers: list[tuple[str, str]] = field(default_factory=list)
    content_type: str = ""
    body: bytes = b""  # decoded (Content-Encoding removed)

    @property
    def ok(self) -> bool:
        return self.status == 200 and not self.reason


class FetchError(Exception):
    pass


@dataclass
class Fetcher:
    allowed: set[str]  # origins and host[:port] names a request may go to
    headers: dict[str, list[tuple[str, str]]]  # origin -> (name, value) from --header
    limits: object  # reader.Limits: decoding limits for Content-Encoding
    timeout: float = 15.0  # seconds per request
    max_bytes: int = 100 << 20  # bytes downloaded (on the wire) for the whole scan
    deadline: float = 0.0  # time.monotonic() after which nothing more is fetched
    downloaded: int = 0
    requests: int = 0

    def allows(self, url: str) -> bool:
        o = origin_of(url)
        host = o.split("://", 1)[1]
        return o in self.allowed or host in self.allowed or host.rsplit(":", 1)[0] in self.allowed

    def get(self, url: str) -> Response:
        """GET ``url``; redirects followed within the allowed hosts. Never raises for HTTP or
        network trouble: a Response with status 0 or non-200 and a reason says what went wrong."""
        for _ in range(MAX_REDIRECTS + 1):
            r = self._once(url)
            if r.status in (301, 302, 303, 307, 308):
                location = next((v for k, v in r.headers if k.lower() == "location"), "")
                if not location:
                    return Response(url, r.status, f"HTTP {r.status} redirect without a Location", r.headers)
                try:
                    target = urljoin(url, location)
                    _ = urlsplit(target).port  # raises ValueError on a bad port
                except ValueError:
                    return Response(url, r.status, f"HTTP {r.status} redirect to an invalid URL: not followed", r.headers)
                if urlsplit(target).scheme not in ("http", "https"):
                    return Response(url, r.status, f"HTTP {r.status} redirect to a non-HTTP URL: not followed", r.headers)
                if not self.allows(target):
                    return Response(url, r.status, f"HTTP {r.status} redirect to another origin ({origin_of(target)}): "
                                    "not followed (name it with --allow-host to follow it)", r.headers)
                url = target
                continue
            return r
        return Response(url, 0, f"more than {MAX_REDIRECTS} redirects: not followed further")

    def _once(self, url: str) -> Response:
        import http.client

        remaining = self.deadline - time.monotonic() if self.deadline else self.timeout
        if remaining <= 0:
            return Response(url, 0, "not fetched: the --max-time limit was reached")
        if self.downloaded >= self.max_bytes:
            return Response(url, 0, f"not fetched: the --max-bytes limit ({self.max_bytes >> 20} MiB) was reached")
        parts = urlsplit(url)
        try:
            port = parts.port
        except ValueError:
            return Response(url, 0, "invalid port in the URL")
        host = parts.hostname or ""
        cls = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        headers = {"User-Agent": USER_AGENT, "Accept-Encoding": "gzip, br, zstd", "Accept": "*/*"}
        for name, value in self.headers.get(origin_of(url), ()):
            headers[name] = value  # only to the origin it was given for; never logged
        timeout = min(self.timeout, remaining)
        self.requests += 1
        conn = cls(host, port, timeout=timeout)
        try:
            t0 = time.monotonic()
            conn.request("GET", path, headers=headers)
            resp = conn.getresponse()
            raw_headers = [(k, v) for k, v in resp.getheaders()]
            ctype = resp.getheader("Content-Type", "") or ""
            encoding = (resp.getheader("Content-Encoding", "") or "").strip().lower()
            if resp.status != 200:
                return Response(url, resp.status, f"HTTP {resp.status} {resp.reason}".rstrip(), raw_headers, ctype)
            budget = self.max_bytes - self.downloaded
            chunks, got = [], 0
            while True:
                if time.monotonic() - t0 > timeout:
                    raise TimeoutError()
                chunk = resp.read(min(1 << 16, budget - got + 1))
                if not chunk:
                    break
                chunks.append(chunk)
                got += len(chunk)
                if got > budget:
                    self.downloaded = self.max_bytes
                    return Response(url, 0, f"not fully fetched: the --max-bytes limit ({self.max_bytes >> 20} MiB) "
                                    "was reached", raw_headers, ctype)
            self.downloaded += got
            body = b"".join(chunks)
        except TimeoutError:  # socket.timeout is TimeoutError since 3.10
            cap = "--request-timeout" if timeout == self.timeout else "the --max-time limit was reached"
            return Response(url, 0, f"timed out after {timeout:.3g} s ({cap})")
        except (OSError, http.client.HTTPException) as exc:
            why = getattr(exc, "strerror", None) or type(exc).__name__
            if isinstance(exc, OSError) and exc.args and isinstance(exc.args[0], str):
                why = exc.args[0]
            return Response(url, 0, f"cannot fetch: {why}")
        finally:
            conn.close()
        if encoding and encoding != "identity":
            try:
                body = self._decode(body, encoding)
            except FetchError as exc:
                return Response(url, 200, str(exc), raw_headers, ctype)
        return Response(url, 200, "", raw_headers, ctype, body)

    def _decode(self, body: bytes, encoding: str) -> bytes:
        """Content-Encoding removed by the scanner's reader, with --max-decoded-size and --max-ratio."""
        from ..reader import IsArchive, NotText, Opened, ReadError

        suffix = _ENCODING_SUFFIX.get(encoding)
        if suffix is None:
            raise FetchError(f"Content-Encoding {encoding!r} is not supported (gzip, br, zstd are)")
        try:
            opened = Opened(f"response{suffix}", self.limits, data=body, text_expected=True)
            if opened.decoding not in ("gzip", "brotli", "zstd"):
                raise FetchError(f"Content-Encoding {encoding} but the body is not {encoding} data")
            text = opened.text(self.limits.max_decoded)
        except (ReadError, NotText, IsArchive) as exc:
            raise FetchError(f"Content-Encoding {encoding}: {exc}") from None
        if text is None:
            raise FetchError(f"Content-Encoding {encoding}: expands past the {self.limits.max_decoded >> 20} MiB "
                             "limit (--max-decoded-size)")
        return text
