"""Fetch a site as a browser loads it (without running JavaScript) and hand every resource to
the scanner as an item whose display path is its URL.

Fetched bodies are mirrored into a private temporary directory (URL path → file path) so the
scanner reads them as it reads a build directory: a served `sourceMappingURL` map sits next to
its bundle and gives findings their original source location. The directory is removed when
the scan ends.
"""
from __future__ import annotations

import heapq
import os
import posixpath
import shutil
import tempfile
import time
import weakref
from dataclasses import dataclass, field, fields
from typing import Callable, Mapping
from urllib.parse import unquote, urldefrag, urlsplit

from ..classify import COMPRESSED, Classifier, artifact_kind
from ..model import FileError, FileResult, Skipped, Target
from ..walk import Item
from . import is_url, url_path
from .fetch import Fetcher, origin_of
from .refs import FETCHED_EXT, PROBES, Ref, css_refs, header_text, html_refs, js_refs, json_refs

#: A cross-origin script whose path looks like a bundler's output is the app's own code on a CDN.
_FIRST_PARTY_DIRS = ("/assets/", "/_next/", "/static/", "/chunks/", "/js/", "/build/", "/dist/")


_DEFAULT_REASON = Classifier().classify("x").reason  # "every path named is a production target"


@dataclass(frozen=True)
class SiteClassifier(Classifier):
    """A file scan's classifier, judging a URL by its path, with the kind taken from what the
    server said (Content-Type) when the URL's name does not say it (`/`, `/config?v=3`)."""

    kinds: Mapping[str, str] = field(default_factory=dict, hash=False, compare=False)

    def classify(self, path: str, head: bytes | None = None) -> Target:
        if not is_url(path):
            return super().classify(path, head)
        t = super().classify(url_path(path), head)
        kind = self.kinds.get(path) or t.kind
        reason = t.reason
        if reason == _DEFAULT_REASON:
            reason = "every resource a site serves is a production target"
        return t if (kind, reason) == (t.kind, t.reason) else Target(kind, t.environment, t.production, reason)


def _kind(url: str, content_type: str) -> str:
    path = unquote(urlsplit(url).path)
    by_name = artifact_kind(path) if FETCHED_EXT.search(path) else None
    ctype = content_type.split(";", 1)[0].strip().lower()
    if by_name and by_name != "text":
        return by_name
    if "html" in ctype:
        return "html"
    if "javascript" in ctype or ctype == "text/ecmascript":
        return "javascript"
    if ctype.endswith("json"):
        return "image"
    return by_name or "text"


def _first_party(url: str) -> bool:
    from ..decide import logical_path

    path = urlsplit(url).path
    return logical_path(path) != path or any(d in path for d in _FIRST_PARTY_DIRS)


@dataclass
class Site:
    """What the crawl produced: items to scan, plus what could not be fetched."""

    origins: list[str]
    items: list[Item] = field(default_factory=list)
    kinds: dict[str, str] = field(default_factory=dict)
    errors: list[FileError] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    tmp: str = ""
    cleanup: Callable[[], None] | None = field(default=None, repr=False)  # removes the mirror, once

    def classifier(self, base: Classifier) -> SiteClassifier:
        return SiteClassifier(**{f.name: getattr(base, f.name) for f in fields(Classifier)}, kinds=dict(self.kinds))

    def finish(self, result) -> None:
        """After the scan: the scanned origin's own absolute URLs (and those of an --allow-host)
        are the site, not a twin (a site under test on http://127.0.0.1:8080 names itself); fetch
        errors join the result;
        the mirror is removed."""
        own = set(self.origins)
        for r in result.files:
            r.findings = [f for f in r.findings if not ("://" in f.url and origin_of(f.url) in own)]
        result.files.append(FileResult(self.origins[0], errors=list(self.errors), skipped=list(self.skipped)))
        if self.cleanup is not None:
            self.cleanup()


def _origin_or_none(host: str) -> str | None:
    """An --allow-host value as an origin (`cdn.example.com` → `https://cdn.example.com`)."""
    host = host.strip().rstrip("/")
    if "://" in host:
        return origin_of(host)
    name = host.rsplit(":", 1)[0] if host.count(":") == 1 else host
    scheme = "http" if name in ("localhost", "127.0.0.1", "[::1]") else "https"
    return origin_of(f"{scheme}://{host}") if host else None


def _mirror_path(tmp: str, index: int, url: str, taken: set[str]) -> str:
    """A file under ``tmp`` for ``url``: its path segments, never `..`, `/` → `index.html`."""
    path = posixpath.normpath("/" + unquote(urlsplit(url).path))
    parts = [p[:200].replace("\0", "_").replace(os.sep, "_") for p in path.split("/") if p not in ("", ".", "..")]
    if not parts or urlsplit(url).path.endswith("/"):
        parts.append("index.html")
    if parts[-1].lower().endswith(COMPRESSED):
        parts[-1] += "_"  # decoded already: the reader must not decompress it again
    base = os.path.join(tmp, str(index))
    out = os.path.join(base, *parts)
    n = 0
    while out in taken or os.path.isdir(out):
        n += 1
        out = os.path.join(tmp, f"{index}-{n}", *parts)
    taken.add(out)
    return out


def crawl(urls: list[str], classifier: Classifier, limits, *, allow_hosts=(), headers=(), max_resources=1000,
          max_bytes=200 << 20, max_time=300.0, request_timeout=20.0) -> Site:
    origins = list(dict.fromkeys(origin_of(u) for u in urls))
    allowed = set(origins) | {h.strip().lower().rstrip("/") for h in allow_hosts}
    allowed |= {h.split("://", 1)[1] for h in list(allowed) if "://" in h}
    per_origin: dict[str, list[tuple[str, str]]] = {}
    for origin, name, value in headers:
        for o in ([origin_of(origin)] if origin else origins):
            per_origin.setdefault(o, []).append((name, value))
    secrets = sorted({v for values in per_origin.values() for _, v in values if v}, key=len, reverse=True)
    fetcher = Fetcher(allowed=allowed, headers=per_origin, limits=limits, timeout=request_timeout,
                      max_bytes=max_bytes, deadline=time.monotonic() + max_time)
    site = Site(origins=origins + [o for o in map(_origin_or_none, allow_hosts) if o],
                tmp=tempfile.mkdtemp(prefix="twinscan-site-"))
    site.cleanup = weakref.finalize(site, shutil.rmtree, site.tmp, True)  # also if the scan itself fails
    production = lambda u: classifier.classify(url_path(u)).production  # noqa: E731
    queue: list[tuple[int, int, Ref]] = []
    counter = [0]

    def push(ref: Ref) -> None:
        counter[0] += 1
        heapq.heappush(queue, (0 if ref.required else 1, counter[0], ref))

    for u in urls:
        push(Ref(u, True, "named on the command line"))
    for o in origins:
        for p in PROBES:
            push(Ref(o + p, False, "probe"))
    try:
        seen: set[str] = set()
        taken: set[str] = set()
        index = {o: i for i, o in enumerate(origins)}
        fetched = 0
        while queue:
            ref = heapq.heappop(queue)[2]
            try:
                url = urldefrag(ref.url)[0]
                if url in seen or urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).hostname:
                    continue
                _ = urlsplit(url).port  # raises ValueError on a bad port
            except ValueError:  # `http://[::1` in a page: not a URL a browser would load either
                continue
            seen.add(url)
            if not fetcher.allows(url):
                if ref.script and _first_party(url):
                    site.errors.append(FileError(url, f"first-party script on another host ({ref.why}): not fetched; "
                                                      "name the host with --allow-host to scan it", production(url)))
                elif ref.script:
                    site.skipped.append(Skipped(url, "third-party script on another host: not fetched"))
                continue
            if not ref.required and ref.why != "probe" and not FETCHED_EXT.search(urlsplit(url).path):
                continue
            if fetched >= max_resources:
                if ref.required:
                    why = f"not fetched: --max-resources {max_resources} reached"
                    site.errors.append(FileError(url, why, production(url)))
                continue
            fetched += 1
            r = fetcher.get(url)
            if not r.ok:
                if ref.required:
                    site.errors.append(FileError(url, r.reason, production(url)))
                elif ref.why != "probe" or r.status not in (404, 410):
                    site.skipped.append(Skipped(url, f"{r.reason} ({ref.why}): not scanned"))
                continue
            final = urldefrag(r.url)[0]
            seen.add(final)
            kind = _kind(final, r.content_type)
            if ref.why == "probe" and kind == "html":
                continue  # a single-page app answers every path with its page
            o = origin_of(final)
            fs_path = _mirror_path(site.tmp, index.setdefault(o, len(index)), final, taken)
            os.makedirs(os.path.dirname(fs_path), exist_ok=True)
            with open(fs_path, "wb") as f:
                f.write(r.body)
            site.items.append(Item(final, fs_path, len(r.body)))
            site.kinds[final] = kind
            if any("://" in v for _, v in r.headers):
                text = header_text(r.headers)
                for secret in secrets:  # a server that echoes the auth header must not put it in a report
                    text = text.replace(secret, "[--header value]")
                text = text.encode("utf-8")
                display = f"{final}#headers"
                site.items.append(Item(display, display, len(text), text))
                site.kinds[display] = "text"
            found: list[Ref] = []
            if kind == "html":
                found = html_refs(final, r.body)
            elif kind == "javascript":
                found = js_refs(final, r.body)
            elif kind == "image":
                found = json_refs(final, r.body)
            elif urlsplit(final).path.endswith(".css") or "css" in r.content_type.lower():
                found = css_refs(final, r.body)
            for x in found:
                push(x)
    except BaseException:  # an interrupt or a bug: leave no copy of the site behind
        shutil.rmtree(site.tmp, ignore_errors=True)
        raise
    return site
