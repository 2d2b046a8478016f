"""Read the URL at a candidate offset: decode bundler escapes, split, verify, redact."""
from __future__ import annotations

import re
from dataclasses import dataclass

MAX_URL = 2048
#: Bytes that may precede a protocol-relative `//host` (a string or attribute start, or the
#: end of a template substitution: `${location.protocol}//localhost:4111`).
PR_DELIMITERS = frozenset(b"\"'`(=, \t\r\n>[}")
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
#: Sentence punctuation that ends a URL rather than belonging to it (`)` never enters one).
_TRAILING = ".,:;!?"


@dataclass(frozen=True)
class URL:
    """A URL found in the bytes, split into its parts, with its offsets."""

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


_PLAIN_RUNS: dict[tuple[frozenset[str], bool], re.Pattern[bytes]] = {}


def _plain_run(allowed: frozenset[str], percent: bool) -> re.Pattern[bytes]:
    """An expression matching a run of bytes that :meth:`_Reader.at` reads as themselves and
    ``allowed`` holds (possibly empty)."""
    rx = _PLAIN_RUNS.get((allowed, percent))
    if rx is None:
        keep = sorted(c for c in allowed if ord(c) < 0x80 and c not in "\\&%$"
                      and not (percent and ord(c) in _PERCENT_STOP))
        rx = re.compile(b"[" + b"".join(re.escape(c.encode()) for c in keep) + b"]*" if keep else b"")
        _PLAIN_RUNS[(allowed, percent)] = rx
    return rx


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
        template literal's `${`): the characters, the offset past them, and where each began.

        A stretch of plain ASCII bytes (no `\\`, `&`, `%` or `$`, none that stops a percent-encoded
        URL) is its own characters, one byte each: it is taken by one match, and :meth:`at` reads
        only what may decode (URL parsing was a fifth of the cost of a hit, issue 14)."""
        raw = self.raw
        chars: list[str] = []
        starts: list[int] = []
        plain = _plain_run(allowed, self.percent)
        while i < len(raw) and raw[i:i + 2] != b"${":
            j = plain.match(raw, i).end()
            if j > i:
                chars += raw[i:j].decode("ascii")
                starts += range(i, j)
                i = j
                continue
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
    auth, i, auth_starts = r.run(i, _AUTH_CHARS)
    if "]" in auth and "[" not in auth:  # `]` only closes an IPv6 literal: elsewhere it ends the URL
        k = auth.index("]")
        i = auth_starts[k]
        del auth[k:], auth_starts[k:]
    nxt = r.at(i) if i < len(raw) else None
    if raw[i:i + 2] != b"${" and (nxt is None or nxt[0] not in _PATH_CHARS):
        # the URL ends with its authority: sentence punctuation after it is not part of it
        # (`see http://localhost:4111.`), as linkifiers read it; `localhost:${port}` goes on
        while auth and auth[-1] in _TRAILING:
            auth.pop()
            i = auth_starts.pop()
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
    while out and (out[-1] in _TRAILING or (out[-1] == "]" and "[" not in out)):
        out.pop()
        i = ends.pop()
    path = "".join(out)
    kinds = r.kinds
    encoding = next((k for k in ("percent", "html-entities", "js-escapes") if k in kinds), None)
    return URL(start, start + i, scheme, userinfo, host, port, path, bool(kinds), encoding)


#: A host written as a number: ``parse_ipv4`` says so with this instead of an address.
INVALID = -1
_RADIX_DIGITS = {10: frozenset("0123456789"), 16: frozenset("0123456789abcdef"), 8: frozenset("01234567")}


def _ipv4_number(part: str) -> int | None:
    """The WHATWG URL "IPv4 number parser": decimal, `0x` hex, leading-`0` octal; None on failure."""
    if not part:
        return None
    radix = 10
    if len(part) >= 2 and part[:2] in ("0x", "0X"):
        part, radix = part[2:], 16
    elif len(part) >= 2 and part[0] == "0":
        part, radix = part[1:], 8
    if not part:
        return 0
    if not set(part.lower()) <= _RADIX_DIGITS[radix]:
        return None
    return int(part, radix)


def _ends_in_a_number(host: str) -> bool:
    parts = host.split(".")
    if parts[-1] == "":
        if len(parts) == 1:
            return False
        parts.pop()
    last = parts[-1]
    return (last != "" and last.isascii() and last.isdigit()) or _ipv4_number(last) is not None


def parse_ipv4(host: str) -> int | None:
    """The host as the WHATWG URL parser (browsers, Node's ``new URL``) reads it: the IPv4 address
    as an integer; None when the host is a domain name; ``INVALID`` when it ends in a number but is
    no IPv4 address (``127.0.0.09``, ``foo.127``: the URL fails to parse).

    Each dot-separated part is decimal, ``0x`` hex or leading-``0`` octal, and the last part fills
    the remaining bytes: ``0177.0.0.1``, ``0x7f.1``, ``017700000001`` and ``2130706433`` are all
    127.0.0.1. tests/data/whatwg_ipv4.json records what Node answers for each of ~400 hosts.
    """
    if not host or not _ends_in_a_number(host):
        return None
    parts = host.split(".")
    if parts[-1] == "" and len(parts) > 1:
        parts.pop()
    if len(parts) > 4:
        return INVALID
    nums = []
    for p in parts:
        n = _ipv4_number(p)
        if n is None:
            return INVALID
        nums.append(n)
    *head, last = nums
    if any(n > 255 for n in head) or last >= 256 ** (5 - len(nums)):
        return INVALID
    value = last
    for i, n in enumerate(head):
        value += n * 256 ** (3 - i)
    return value


#: Wildcard-DNS services that answer with the address written in the name
#: (`127.0.0.1.nip.io`, `app-127-0-0-1.sslip.io`, `7f000001.nip.io`, `--1.sslip.io`).
IP_IN_NAME_DOMAINS = ("nip.io", "sslip.io")
#: Names whose every subdomain resolves to 127.0.0.1 (public DNS, no local setup).
LOOPBACK_DOMAINS = ("localtest.me", "lvh.me")
_DOTTED_OR_DASHED = re.compile(r"(?:^|[.-])(\d{1,3})[.-](\d{1,3})[.-](\d{1,3})[.-](\d{1,3})$")
_HEX_LABEL = re.compile(r"(?:^|[.-])([0-9a-f]{8})$")


def _ip_in_name_is_loopback(name: str) -> bool:
    """What nip.io / sslip.io answer for ``name`` (the part before the domain) is a loopback address."""
    m = _DOTTED_OR_DASHED.search(name)
    if m:
        octets = [int(g) for g in m.groups()]
        return all(o <= 255 for o in octets) and octets[0] == 127
    m = _HEX_LABEL.search(name)
    if m:
        return int(m.group(1), 16) >> 24 == 127
    label = name.rsplit(".", 1)[-1]
    if "--" in label or label.count("-") >= 2:  # sslip.io's IPv6 form: `--1` is ::1
        import ipaddress  # only for an IPv6 form: a cold run with none never pays the import

        try:
            ip = ipaddress.IPv6Address(label.replace("-", ":"))
        except ValueError:
            return False
        return ip.is_loopback or bool(ip.ipv4_mapped and ip.ipv4_mapped.is_loopback)
    return False


def is_loopback_host(host: str) -> bool:
    h = host.rstrip(".")
    if h == "localhost" or h.endswith(".localhost") or h == "localhost.localdomain":
        return True
    if h.startswith("["):
        import ipaddress

        try:
            ip = ipaddress.IPv6Address(h.strip("[]"))
        except ValueError:
            return False
        return ip.is_loopback or bool(ip.ipv4_mapped and ip.ipv4_mapped.is_loopback)
    for d in LOOPBACK_DOMAINS:
        if h == d or h.endswith("." + d):
            return True
    for d in IP_IN_NAME_DOMAINS:
        if h.endswith("." + d):
            return _ip_in_name_is_loopback(h[:-len(d) - 1])
    v = parse_ipv4(host)
    return v is not None and v != INVALID and v >> 24 == 127


def is_unspecified_host(host: str) -> bool:
    if host.startswith("["):
        import ipaddress

        try:
            return ipaddress.IPv6Address(host.strip("[]")).is_unspecified
        except ValueError:
            return False
    return host.rstrip(".") == "0.0.0.0"


VERIFY = {"loopback": is_loopback_host, "unspecified": is_unspecified_host}

#: WonderTwin's default local ports.
TWIN_PORTS = range(4111, 4117)
