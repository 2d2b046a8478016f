"""What a fetched resource makes the browser load next, found without running JavaScript.

Each reference is `required` (the page cannot work without it: a script or stylesheet the HTML
names, a relative `import`) or a candidate (a path-like string in a bundle or a chunk manifest,
a source map): a required one that cannot be fetched makes the scan incomplete, a candidate
that is not served is only noted.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import urljoin as _urljoin
from urllib.parse import urlsplit

#: Resources worth fetching: what can hold a URL the app uses at run time.
FETCHED_EXT = re.compile(r"\.(?:m?js|cjs|css|json|webmanifest|map|html?|txt)$", re.I)
#: Well-known places bundlers publish chunk manifests; fetched when served, never required.
PROBES = ("/.vite/manifest.json", "/asset-manifest.json")

# `import("./chunk-x.js")`, `from "./x.js"`, `import "./x.js"`: relative module specifiers
_IMPORT = re.compile(rb"""(?:\bimport\s*\(\s*|\bfrom\s*|\bimport\s*)(["'`])(\.{1,2}/[^"'`\s]{1,300}?)\1""")
# any quoted path-like string ending in a fetched extension: __vite__mapDeps lists, Next's
# _buildManifest.js, webpack chunk maps written out, fetch("/config.json")
_STRING = re.compile(rb"""(["'`])((?:\.{0,2}/)?[A-Za-z0-9_@~.$-][A-Za-z0-9_@~./$+-]{0,300}\.(?:m?js|css|json))\1""")
_MAP = re.compile(rb"""[#@]\s*sourceMappingURL=([^\s'"*]+)\s*(?:\*/)?\s*$""")


def urljoin(base: str, ref: str) -> str:
    """urljoin that never raises: a malformed reference (`http://[::1`) is kept as written and
    dropped by the crawl, as a browser would fail to load it."""
    try:
        return _urljoin(base, ref)
    except ValueError:
        return ref


@dataclass(frozen=True)
class Ref:
    url: str
    required: bool
    why: str  # how it was found: `<script src>`, `import()`, …
    script: bool = False  # a script (a cross-origin one is first-party code on a CDN or third-party)


class _Html(HTMLParser):
    def __init__(self, base: str):
        super().__init__(convert_charrefs=True)
        self.base = base
        self.refs: list[Ref] = []

    def handle_starttag(self, tag: str, attrs) -> None:
        a = {k.lower(): (v or "") for k, v in attrs}
        if tag == "base" and a.get("href"):
            self.base = urljoin(self.base, a["href"].strip())
        elif tag == "script" and a.get("src"):
            self.refs.append(Ref(urljoin(self.base, a["src"].strip()), True, "<script src>", script=True))
        elif tag == "link" and a.get("href"):
            rel = set(a.get("rel", "").lower().split())
            href = urljoin(self.base, a["href"].strip())
            if rel & {"modulepreload", "stylesheet", "manifest"}:
                self.refs.append(Ref(href, True, f"<link rel={sorted(rel)[0]}>", script="modulepreload" in rel))
            elif "preload" in rel and a.get("as", "").lower() in ("script", "fetch", "style"):
                self.refs.append(Ref(href, True, "<link rel=preload>", script=a.get("as", "").lower() == "script"))


def html_refs(url: str, text: bytes) -> list[Ref]:
    p = _Html(url)
    try:
        p.feed(text.decode("utf-8", "replace"))
        p.close()
    except Exception:  # noqa: BLE001 - html.parser on hostile markup: keep what was found so far
        pass
    inline = b"".join(m.group(0) for m in re.finditer(rb"<script\b[^>]*>.*?</script>", text, re.S | re.I))
    return p.refs + js_refs(url, inline, inline=True)


def _bases(url: str, path: str) -> list[str]:
    """Where a bare `assets/x.js` in a bundle is resolved: below the importer's own directory that
    starts the same way (Vite's `assets/` under any `base`, Next's `static/` under `/_next/`),
    else the site root."""
    parts = urlsplit(url)
    root = f"{parts.scheme}://{parts.netloc}"
    first = path.split("/", 1)[0]
    segments = parts.path.split("/")
    if first and first in segments[:-1]:
        i = segments.index(first)
        return [root + "/".join(segments[:i]) + "/"]
    return [root + "/"]


# Vite: `const __vite__mapDeps=(i,m=__vite__mapDeps,d=(m.f||(m.f=["assets/Lazy-Ab12Cd34.js",…])))=>…`
_VITE_DEPS = re.compile(rb"__vite__mapDeps\s*=.{0,200}?\.f\s*=\s*\[([^\]]{0,200000})\]", re.S)
# webpack: `__webpack_require__.u = (chunkId) => "static/chunks/" + chunkId + "." + {…}[chunkId] + ".js"`
_WEBPACK_U = re.compile(rb"\.u\s*=\s*(?:function\s*\(\s*([A-Za-z_$][\w$]*)\s*\)\s*\{\s*return\s+|"
                        rb"\(?\s*([A-Za-z_$][\w$]*)\s*\)?\s*=>\s*)")
_WEBPACK_P = re.compile(rb"\.p\s*=\s*\"([^\"]*)\"")
_PAIR = re.compile(r"""(?:(\d+)|"([^"]*)"|'([^']*)'|([A-Za-z_$][\w$]*))\s*:\s*(?:"([^"]*)"|'([^']*)')""")


def _expression(text: str, i: int) -> str:
    """The JavaScript expression starting at ``i``: up to a `,` `;` or closing bracket at depth 0."""
    depth, quote, j = 0, "", i
    while j < len(text) and j - i < 200000:
        c = text[j]
        if quote:
            if c == "\\":
                j += 1
            elif c == quote:
                quote = ""
        elif c in "\"'`":
            quote = c
        elif c in "([{":
            depth += 1
        elif c in ")]}":
            if depth == 0:
                break
            depth -= 1
        elif c in ",;" and depth == 0:
            break
        j += 1
    return text[i:j]


def _split_plus(expr: str) -> list[str]:
    out, depth, quote, start = [], 0, "", 0
    for j, c in enumerate(expr):
        if quote:
            if c == quote and expr[j - 1] != "\\":
                quote = ""
        elif c in "\"'`":
            quote = c
        elif c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
        elif c == "+" and depth == 0:
            out.append(expr[start:j].strip())
            start = j + 1
    out.append(expr[start:].strip())
    return out


def webpack_chunks(text: bytes) -> list[str] | None:
    """The chunk files webpack's runtime can load, when its chunk-name function is plain data:
    string literals, the chunk id and `{id: "hash", …}[id]` maps (`({…}[id] || id)` too). None
    when there is no such function or it is anything else (then nothing is guessed)."""
    m = _WEBPACK_U.search(text)
    if not m:
        return None
    var = (m.group(1) or m.group(2)).decode()
    src = text[m.end():m.end() + 400000].decode("utf-8", "replace")
    parts = []
    ids: dict[str, None] = {}
    for part in _split_plus(_expression(src, 0)):
        p = part
        while p.startswith("(") and p.endswith(")"):
            p = p[1:-1].strip()
        if len(p) >= 2 and p[0] == p[-1] and p[0] in "\"'" and p[0] not in p[1:-1]:
            parts.append(("s", p[1:-1]))
        elif p == var:
            parts.append(("id", None))
        else:
            v = re.escape(var)
            mm = re.fullmatch(r"\(?\s*\{(.*)\}\s*\)?\s*\[\s*" + v + r"\s*\]\s*\)?(\s*\|\|\s*" + v + r")?", p, re.S)
            if not mm:
                return None
            table = {next(g for g in x.groups()[:4] if g is not None): (x.group(5) if x.group(5) is not None else x.group(6))
                     for x in _PAIR.finditer(mm.group(1))}
            ids.update(dict.fromkeys(table))
            parts.append(("map", (table, bool(mm.group(2)))))
    if not ids:
        return None
    out = []
    for chunk in ids:
        name = []
        for kind, v in parts:
            if kind == "s":
                name.append(v)
            elif kind == "id":
                name.append(chunk)
            elif chunk in v[0]:
                name.append(v[0][chunk])
            elif v[1]:
                name.append(chunk)
            else:
                break
        else:
            out.append("".join(name))
    return out


def js_refs(url: str, text: bytes, inline: bool = False) -> list[Ref]:
    """Relative imports (required), path-like strings (candidates) and the source map."""
    refs: list[Ref] = []
    seen: set[str] = set()

    def add(ref: Ref) -> None:
        if ref.url not in seen:
            seen.add(ref.url)
            refs.append(ref)

    for m in _IMPORT.finditer(text):
        add(Ref(urljoin(url, m.group(2).decode("utf-8", "replace")), True, "import", script=True))
    for m in _STRING.finditer(text):
        s = m.group(2).decode("utf-8", "replace")
        if "//" in s or "$" in s or s.startswith(("http", "node_modules")) or s.startswith(".") and s[1] not in "./":
            continue
        if s.startswith(("./", "../", "/")):
            add(Ref(urljoin(url, s), False, "a path in the code"))
        else:
            for base in _bases(url, s):
                add(Ref(urljoin(base, s), False, "a path in the code"))
    required: list[Ref] = []
    for m in _VITE_DEPS.finditer(text):
        for d in re.findall(rb"""["'`]([^"'`]+)["'`]""", m.group(1)):
            d = d.decode("utf-8", "replace")
            for base in ([url] if d.startswith(("./", "../", "/")) else _bases(url, d)):
                required.append(Ref(urljoin(base, d), True, "__vite__mapDeps", script=d.endswith(".js")))
    chunks = webpack_chunks(text)
    if chunks:
        p = _WEBPACK_P.search(text)
        public = urljoin(url, p.group(1).decode("utf-8", "replace")) if p and p.group(1) else url
        required += [Ref(urljoin(public, c), True, "webpack chunk map", script=c.endswith(".js")) for c in chunks]
    for r in required:  # the bundler's own list: the page needs these
        seen.discard(r.url)
        refs[:] = [x for x in refs if x.url != r.url]
        add(r)
    if not inline:
        m = _MAP.search(text[-4096:])
        if m and not m.group(1).startswith(b"data:"):
            add(Ref(urljoin(url, m.group(1).decode("utf-8", "replace")), False, "sourceMappingURL"))
    return refs


_CSS_REF = re.compile(rb"""(?:url\(\s*|@import\s+(?=["']))(["']?)([^"'()\s]{1,500})\1""")


def css_refs(url: str, text: bytes) -> list[Ref]:
    """A stylesheet's `@import` and `url()` references that can hold a URL the app uses (other
    stylesheets, JSON); images and fonts are not fetched."""
    out = []
    for m in _CSS_REF.finditer(text):
        ref = m.group(2).decode("utf-8", "replace")
        if not ref.startswith("data:") and FETCHED_EXT.search(ref.split("?", 1)[0].split("#", 1)[0]):
            out.append(Ref(urljoin(url, ref), True, "@import or url() in a stylesheet"))
    return out


def json_refs(url: str, text: bytes) -> list[Ref]:
    """A web app manifest's or a chunk manifest's paths (`file`, `css`, `dynamicImports`, …)."""
    return [Ref(r.url, False, "a path in a manifest") for r in js_refs(url, text, inline=True)]


_CSP_SOURCE_DIRECTIVES = ("connect-src", "default-src", "script-src", "frame-src", "img-src", "form-action")


def header_text(headers: list[tuple[str, str]]) -> str:
    """The response headers as scanned text. CSP source lists are spelled out as URLs, one a line,
    so a `connect-src` that allows `localhost:4111` or `twins.staging.yourco.com` is seen as the
    URL the page may call (a host without a scheme gets the scheme the browser would use)."""
    lines = [f"{k}: {v}" for k, v in headers if k.lower() not in ("set-cookie",)]
    for k, v in headers:
        if k.lower() not in ("content-security-policy", "content-security-policy-report-only"):
            continue
        for directive in v.split(";"):
            words = directive.split()
            if not words or words[0].lower() not in _CSP_SOURCE_DIRECTIVES:
                continue
            for source in words[1:]:
                if source.startswith("'") or source.endswith(":") or source == "*":
                    continue
                if "://" in source and not source.split("://", 1)[1].startswith("*."):
                    continue  # already a URL on the header's own line
                host = source.split("://", 1)[-1].lstrip("*.").rstrip("/") or source
                if "://" in source:
                    scheme = source.split("://", 1)[0]
                else:
                    name = host.split("/", 1)[0].rsplit(":", 1)[0].strip("[]")
                    scheme = "http" if name in ("localhost", "127.0.0.1", "::1", "0.0.0.0") else "https"
                lines.append(f"{k} {words[0].lower()}: {scheme}://{host}")
    return "\n".join(lines) + "\n"
