"""Read the URL at a candidate offset: decode bundler escapes, split, verify, redact."""
from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

MAX_URL = 2048
#: Bytes that may precede a protocol-relative `//host` (a string or attribute start).
PR_DELIMITERS = frozenset(b"\"'`(=, \t\r\n>[")
_AUTH = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~!$&*+=:@[]%")
_PATH = _AUTH | frozenset(b"/?#")
# JS/JSON escapes bundlers write inside URLs, lower-cased, and what they stand for.
_ESCAPES = (
    (b"\\/", "/"), (b"\\u002f", "/"), (b"\\x2f", "/"), (b"\\u0026", "&"), (b"\\x26", "&"),
    (b"\\u003d", "="), (b"\\x3d", "="), (b"\\u003f", "?"), (b"\\x3f", "?"), (b"\\u0023", "#"),
    (b"\\u003a", ":"), (b"\\x3a", ":"), (b"\\u0025", "%"),
)
# HTML character references that appear inside URLs in attribute values and text
# (`&amp;` between query parameters; `&#x2F;` and `&colon;` from escaping helpers).
_ENTITY = re.compile(rb"&(?:#0*([0-9]{1,7})|#x0*([0-9a-f]{1,6})|([a-z]{2,8}));")
_NAMED_ENTITIES = {b"amp": "&", b"sol": "/", b"colon": ":", b"equals": "=", b"quest": "?", b"num": "#",
                   b"percnt": "%", b"period": "."}
_HEX = frozenset(b"0123456789abcdefABCDEF")
_PERCENT_STOP = frozenset(b"&=+;")
_AUTH_CHARS = frozenset(chr(c) for c in _AUTH)
_PATH_CHARS = frozenset(chr(c) for c in _PATH)


@dataclass(frozen=True)
class URL:
    start: int  # offset of the first byte (scheme, or the first slash)
    end: int  # offset just past the last byte
    scheme: str  # "" for protocol-relative
    userinfo: str | None
    host: str  # lower case
    port: int | None
    path: str  # path, query and fragment, escapes decoded
    escaped: bool  # the text used JS/JSON escapes, HTML character references or percent-encoding
    encoding: str | None = None  # "percent", "html-entities" or "js-escapes" when decoded

    def normalized(self, redact: bool = True) -> str:
        auth = ""
        if self.userinfo is not None:
            auth = "***@" if redact else self.userinfo + "@"
        port = f":{self.port}" if self.port is not None else ""
        head = f"{self.scheme}://" if self.scheme else "//"
        return f"{head}{auth}{self.host}{port}{self.path}"


class _Reader:
    """Logical characters of a URL as written: JS/JSON escapes, HTML character references
    and (once the opener was percent-encoded) `%XX` decode to what they stand for."""

    def __init__(self, raw: bytes):
        self.raw, self.low = raw, raw.lower()
        self.percent = False
        self.kinds: set[str] = set()

    def at(self, i: int) -> tuple[str, int, str | None] | None:
        raw, low = self.raw, self.low
        if i >= len(raw):
            return None
        c = raw[i]
        if c == 0x5C:  # backslash; JSON inside a JSON string doubles it (`\\\\u002F`, `\\\\/`)
            j = i
            while j < len(raw) and raw[j] == 0x5C and j - i < 8:
                j += 1
            for esc, ch in _ESCAPES:
                if low.startswith(esc[1:], j):
                    return ch, j + len(esc) - 1, "js-escapes"
            return None
        if self.percent and c in _PERCENT_STOP:  # a raw delimiter of the text the URL is encoded in
            return None
        if c == 0x26:  # &
            m = _ENTITY.match(low, i)
            if m:
                if m.group(3) is not None:
                    ch = _NAMED_ENTITIES.get(m.group(3))
                else:
                    n = int(m.group(1)) if m.group(1) else int(m.group(2), 16)
                    ch = chr(n) if n < 0x110000 else None
                if ch is not None:
                    return ch, m.end(), "html-entities"
                return None  # `&quot;`, `&lt;`, …: the URL ends here
            return "&", i + 1, None
        if c == 0x25 and self.percent and raw[i + 1:i + 2] and raw[i + 1] in _HEX and raw[i + 2:i + 3] and raw[i + 2] in _HEX:
            return chr(int(raw[i + 1:i + 3], 16)), i + 3, "percent"
        return chr(c), i + 1, None

    def run(self, i: int, allowed: frozenset[str]) -> tuple[list[str], int, list[int]]:
        """Logical characters from ``i`` while they are in ``allowed`` (stopping at a
        template literal's `${`): the characters, the offset past them, and where each began."""
        raw = self.raw
        chars: list[str] = []
        starts: list[int] = []
        while i < len(raw) and raw[i:i + 2] != b"${":
            got = self.at(i)
            if got is None or got[0] not in allowed:
                break
            chars.append(got[0])
            starts.append(i)
            if got[2]:
                self.kinds.add(got[2])
            i = got[1]
        return chars, i, starts

    def take(self, i: int, want: str) -> int:
        """Offset past the logical character ``want`` at ``i``, or -1."""
        got = self.at(i)
        if got is None or got[0] != want:
            return -1
        if got[2]:
            self.kinds.add(got[2])
        return got[1]


def parse_at(buf: bytes | memoryview, start: int, protocol_relative: bool) -> URL | None:
    """Parse the URL beginning at ``start``; None when it is not a URL there."""
    raw = bytes(buf[start:start + MAX_URL])
    r = _Reader(raw)
    low = r.low
    if protocol_relative:
        if start == 0 or buf[start - 1] not in PR_DELIMITERS:
            return None
        scheme, i = "", 0
    else:
        n = 0
        while n < 6 and n < len(low) and 0x61 <= low[n] <= 0x7A:
            n += 1
        if n == 0:
            return None
        scheme = low[:n].decode("ascii")
        if low.startswith(b"%3a", n):
            r.percent = True
        i = r.take(n, ":")
        if i < 0:
            return None
    for _ in range(2):
        i = r.take(i, "/")
        if i < 0:
            return None
    # authority: up to the next separator, '?' or '#', or a character no URL has
    auth, i, _ = r.run(i, _AUTH_CHARS)
    authority = "".join(auth)
    userinfo = None
    if "@" in authority:
        userinfo, authority = authority.rsplit("@", 1)
    hostport = authority.lower()
    port = None
    if hostport.startswith("["):
        close = hostport.find("]")
        if close < 0:
            return None
        host, rest = hostport[:close + 1], hostport[close + 1:]
        if rest.startswith(":") and rest[1:].isdigit():
            port = int(rest[1:])
    else:
        host, _, p = hostport.partition(":")
        if p.isdigit():
            port = int(p)
    if not host:
        return None
    # path, query and fragment, decoding escapes; stop at `${` (template literal)
    out, i, ends = r.run(i, _PATH_CHARS)
    while out and out[-1] in ".,:;!?":
        out.pop()
        i = ends.pop()
    path = "".join(out)
    kinds = r.kinds
    encoding = next((k for k in ("percent", "html-entities", "js-escapes") if k in kinds), None)
    return URL(start, start + i, scheme, userinfo, host, port, path, bool(kinds), encoding)


def _ipv4_value(host: str) -> int | None:
    """inet_aton-style: 127.1, 2130706433, 0x7f000001, 127.0.1."""
    parts = host.rstrip(".").split(".")
    if not 1 <= len(parts) <= 4:
        return None
    nums = []
    for p in parts:
        try:
            nums.append(int(p, 16) if p.startswith("0x") else int(p, 10))
        except ValueError:
            return None
    *head, last = nums
    if any(n > 255 for n in head) or last >= 256 ** (4 - len(head)):
        return None
    value = 0
    for n in head:
        value = value * 256 + n
    return value * 256 ** (4 - len(head)) + last


def is_loopback_host(host: str) -> bool:
    h = host.rstrip(".")
    if h == "localhost" or h.endswith(".localhost") or h == "localhost.localdomain":
        return True
    if h.startswith("["):
        try:
            ip = ipaddress.IPv6Address(h.strip("[]"))
        except ValueError:
            return False
        return ip.is_loopback or bool(ip.ipv4_mapped and ip.ipv4_mapped.is_loopback)
    v = _ipv4_value(h)
    return v is not None and v >> 24 == 127


def is_unspecified_host(host: str) -> bool:
    if host.startswith("["):
        try:
            return ipaddress.IPv6Address(host.strip("[]")).is_unspecified
        except ValueError:
            return False
    return host.rstrip(".") == "0.0.0.0"


VERIFY = {"loopback": is_loopback_host, "unspecified": is_unspecified_host}

#: WonderTwin's default local ports.
TWIN_PORTS = range(4111, 4117)
