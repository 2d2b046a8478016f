"""Read the URL at a candidate offset: decode bundler escapes, split, verify, redact."""
from __future__ import annotations

import ipaddress
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
_SEPS = (b"/", b"\\/", b"\\u002f", b"\\x2f")


@dataclass(frozen=True)
class URL:
    start: int  # offset of the first byte (scheme, or the first slash)
    end: int  # offset just past the last byte
    scheme: str  # "" for protocol-relative
    userinfo: str | None
    host: str  # lower case
    port: int | None
    path: str  # path, query and fragment, escapes decoded
    escaped: bool  # the text used JS/JSON escapes

    def normalized(self, redact: bool = True) -> str:
        auth = ""
        if self.userinfo is not None:
            auth = "***@" if redact else self.userinfo + "@"
        port = f":{self.port}" if self.port is not None else ""
        head = f"{self.scheme}://" if self.scheme else "//"
        return f"{head}{auth}{self.host}{port}{self.path}"


def _sep(low: bytes, i: int) -> int:
    for s in _SEPS:
        if low.startswith(s, i):
            return i + len(s)
    return -1


def parse_at(buf: bytes | memoryview, start: int, protocol_relative: bool) -> URL | None:
    """Parse the URL beginning at ``start``; None when it is not a URL there."""
    raw = bytes(buf[start:start + MAX_URL])
    low = raw.lower()
    if protocol_relative:
        if start == 0 or buf[start - 1] not in PR_DELIMITERS:
            return None
        scheme, i = "", 0
    else:
        colon = low.find(b":", 0, 6)
        if colon <= 0:
            return None
        scheme, i = low[:colon].decode("ascii", "replace"), colon + 1
    escaped = False
    for _ in range(2):
        j = _sep(low, i)
        if j < 0:
            return None
        escaped |= j - i > 1
        i = j
    # authority: up to the next separator, '?' or '#', or a byte no URL has
    a0 = i
    while i < len(raw) and raw[i] in _AUTH and not (raw[i] == 0x24 and raw[i + 1:i + 2] == b"{"):
        i += 1
    authority = raw[a0:i].decode("latin-1")
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
    out: list[str] = []
    while i < len(raw):
        c = raw[i]
        if c == 0x5C:  # backslash
            for esc, ch in _ESCAPES:
                if low.startswith(esc, i):
                    out.append(ch)
                    i += len(esc)
                    escaped = True
                    break
            else:
                break
            continue
        if c == 0x24 and raw[i + 1:i + 2] == b"{":
            break
        if c not in _PATH:
            break
        out.append(chr(c))
        i += 1
    path = "".join(out)
    while path and path[-1] in ".,:;!?":
        path = path[:-1]
        i -= 1
    return URL(start, start + i, scheme, userinfo, host, port, path, escaped)


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
