"""The key-aware check: a vendor setting in production must name one of the vendor's hosts.

Services come from `rules/services/defaults.yaml` and `services:` in config
(which adds keys and hosts to a known vendor, or defines a new one). A value
of one of a service's keys, in a production target, whose host is not one of
its hosts is reported even when no twin pattern matches it.
"""
from __future__ import annotations

import re
from typing import Any, Callable, Iterable, NamedTuple


class Service(NamedTuple):
    name: str
    keys: frozenset[str]  # upper case
    hosts: tuple[str, ...]  # lower case; `*` is one or more DNS labels

    def allows(self, host: str) -> bool:
        return any(_host_matches(host, pattern) for pattern in self.hosts)


def _host_matches(host: str, pattern: str) -> bool:
    host = host.lower().rstrip(".")
    if pattern.startswith("*."):
        suffix = pattern[1:]
        return host.endswith(suffix) and len(host) > len(suffix)
    return host == pattern


class ServiceError(ValueError):
    """Invalid `services:` configuration."""


_KEY_WORD = re.compile(r"[A-Z0-9]+(?:_[A-Z0-9]+)*")


def key_pattern_keys(names: Iterable[str], prefixes: Iterable[str], suffixes: Iterable[str]) -> frozenset[str]:
    """Every key the pattern ``<prefix><NAME>_<SUFFIX>`` admits (upper case)."""
    return frozenset(f"{p}{n}_{x}" for n in names for p in prefixes for x in suffixes)


def _words(items: Any, what: str, where: str, empty_ok: bool = False) -> list[str]:
    if not isinstance(items, list) or not all(isinstance(i, str) and (i.strip() or empty_ok) for i in items):
        raise ServiceError(f"{where}: `{what}` must be a list of non-empty strings")
    out = [i.strip().upper() for i in items]
    for w in out:
        if w and not _KEY_WORD.fullmatch(w.rstrip("_")):
            raise ServiceError(f"{where}: `{what}`: {w!r} is not a variable-name part (letters, digits, `_`)")
    return out


def parse_key_pattern(data: Any, where: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """``key_pattern: {prefixes: [...], suffixes: [...]}`` of rules/services/defaults.yaml."""
    if not isinstance(data, dict) or set(data) != {"prefixes", "suffixes"}:
        raise ServiceError(f"{where}: `key_pattern` needs `prefixes` and `suffixes`")
    return (tuple(_words(data["prefixes"], "key_pattern.prefixes", where, empty_ok=True)),
            tuple(_words(data["suffixes"], "key_pattern.suffixes", where)))


def parse_services(data: Any, where: str, key_pattern: tuple | None = None) -> dict[str, Service]:
    """Services from a mapping (the shipped defaults or `services:` in config). A service's
    ``names`` add every key of the key pattern (``key_pattern``: prefixes and suffixes;
    default: the shipped ones)."""
    if not isinstance(data, dict):
        raise ServiceError(f"{where}: `services` must map a service name to its `keys` and `hosts`")
    out = {}
    for name, spec in data.items():
        if not isinstance(spec, dict) or set(spec) - {"keys", "hosts", "names"}:
            raise ServiceError(f"{where}: service `{name}` takes only `keys`, `hosts` and `names`")
        keys, hosts = spec.get("keys", []), spec.get("hosts", [])
        for field, items in (("keys", keys), ("hosts", hosts)):
            if not isinstance(items, list) or not all(isinstance(i, str) and i.strip() for i in items):
                raise ServiceError(f"{where}: `services.{name}.{field}` must be a list of non-empty strings")
        for h in hosts:
            if not re.fullmatch(r"(?:\*\.)?[a-z0-9-]+(?:\.[a-z0-9-]+)*", h.lower()):
                raise ServiceError(f"{where}: `services.{name}.hosts`: {h!r} is not a host or `*.domain` glob")
        all_keys = frozenset(k.upper() for k in keys)
        if spec.get("names"):
            names = _words(spec["names"], f"services.{name}.names", where)
            prefixes, suffixes = key_pattern if key_pattern is not None else default_key_pattern()
            all_keys |= key_pattern_keys(names, prefixes, suffixes)
        out[str(name)] = Service(str(name), all_keys, tuple(h.lower() for h in hosts))
    return out


def _defaults() -> tuple[dict, str]:
    from . import shipped

    return shipped.load("services/defaults.yaml"), shipped.path_of("services/defaults.yaml")


_key_pattern_cache: tuple | None = None


def default_key_pattern() -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The shipped ``key_pattern`` (prefixes, suffixes)."""
    global _key_pattern_cache
    if _key_pattern_cache is None:
        data, path = _defaults()
        if not isinstance(data, dict):
            raise ServiceError(f"{path}: must be a mapping")
        _key_pattern_cache = parse_key_pattern(data.get("key_pattern"), path)
    return _key_pattern_cache


def load_services(extra: dict[str, Service] | None = None) -> dict[str, Service]:
    """Shipped defaults, merged with config: keys and hosts add to a known vendor."""
    data, path = _defaults()
    if not isinstance(data, dict):
        raise ServiceError(f"{path}: must be a mapping")
    data = dict(data)
    pattern = parse_key_pattern(data.pop("key_pattern", None), path)
    services = parse_services(data, path, pattern)
    for name, svc in (extra or {}).items():
        base = services.get(name)
        services[name] = svc if base is None else Service(name, base.keys | svc.keys, base.hosts + svc.hosts)
    return services


class Endpoint(NamedTuple):
    host: str
    port: int | None
    url: str  # normalised for the report


def endpoint(value: str) -> Endpoint | None:
    """The host a setting points at: a URL, `host:port`, or a bare host; None when it names none."""
    v = value.strip().strip("\"'")
    if not v or "${" in v or "{{" in v or "$(" in v:
        return None  # unset, or interpolated at deploy time: the parts are checked on their own
    m = re.match(r"^(?:(?P<scheme>[a-z][a-z0-9+.-]*):(?=//))?(?://)?(?:[^/@\s]*@)?(?P<host>\[[^\]]*\]|[^/:?#\s]+)(?::(?P<port>\d{1,5}))?", v, re.I)
    if not m or not re.fullmatch(r"\[[0-9a-fA-F:.]+\]|[A-Za-z0-9._-]+", m.group("host")):
        return None
    host = m.group("host").lower()
    port = int(m.group("port")) if m.group("port") else None
    scheme = (m.group("scheme") or "").lower()
    rest = v[m.end():]
    url = f"{scheme + ':' if scheme else ''}//{host}{':' + str(port) if port else ''}{rest}"
    return Endpoint(host, port, url)


def sibling_keys(key: str, what: str) -> list[str]:
    """Keys that may hold the ``what`` (PROTOCOL, PORT) of the host a key names, nearest first:
    `VITE_STRIPE_API_HOST` -> `VITE_STRIPE_API_PROTOCOL`, `VITE_STRIPE_PROTOCOL`."""
    words = key.upper().split("_")
    return ["_".join(words[:i] + [what]) for i in range(len(words) - 1, max(0, len(words) - 3), -1)]


def complete(ep: Endpoint | None, key: str, lookup: Callable[[str], str | None]) -> Endpoint | None:
    """A scheme-less endpoint with the scheme of a sibling ``…_PROTOCOL`` key and, when it has no
    port, the port of a sibling ``…_PORT`` key (``lookup`` reads a key of the same file and scope)."""
    if ep is None or not ep.url.startswith("//"):
        return ep
    scheme = next((v for v in map(lookup, sibling_keys(key, "PROTOCOL")) if v), None)
    if scheme is not None:
        scheme = scheme.strip().strip("\"'").rstrip(":/").lower()
        if not re.fullmatch(r"[a-z][a-z0-9+.-]{0,15}", scheme):
            scheme = None
    port = ep.port
    if port is None:
        raw = next((v for v in map(lookup, sibling_keys(key, "PORT")) if v), None)
        raw = raw.strip().strip("\"'") if raw else ""
        if raw.isdigit() and 0 < int(raw) < 65536:
            port = int(raw)
    if scheme is None and port == ep.port:
        return ep
    rest = ep.url[2 + len(ep.host):]
    if port != ep.port:
        rest = f":{port}{rest}"
    return Endpoint(ep.host, port, f"{scheme + ':' if scheme else ''}//{ep.host}{rest}")


class ServiceIndex:
    def __init__(self, services: Iterable[Service]):
        self.by_key: dict[str, Service] = {}
        for svc in services:
            for key in svc.keys:
                self.by_key[key] = svc
        self._keywords: tuple[bytes, ...] | None = None

    @property
    def keywords(self) -> tuple[bytes, ...]:
        """The fewest key substrings every key contains one of (keys expand from patterns:
        `VITE_STRIPE_URL` contains `STRIPE_URL`, so only the shorter is searched): each key,
        shortest first, unless it contains a key already kept."""
        if self._keywords is None:
            # 1,500 keys × the kept words, compared in Python, was 9 ms of a cold run (34 ms before
            # that): instead each kept word is looked for once in all the longer keys joined,
            # by bytes.find (~3 ms). A match marks the key it lies within.
            from bisect import bisect_right

            keys = sorted(sorted({k.lower().encode() for k in self.by_key}), key=len)
            joined = b"\n".join(keys)
            starts, at = [], 0
            for k in keys:
                starts.append(at)
                at += len(k) + 1
            taken = bytearray(len(keys))  # holds a kept word
            kept: list[bytes] = []
            for i, k in enumerate(keys):
                if taken[i]:
                    continue
                kept.append(k)
                at = joined.find(k, starts[i] + len(k))
                while at >= 0:
                    j = bisect_right(starts, at) - 1
                    if at + len(k) <= starts[j] + len(keys[j]):  # within key j, not across a separator
                        taken[j] = 1
                    at = joined.find(k, at + 1)
            self._keywords = tuple(kept)
        return self._keywords

    def mentioned_in(self, data: bytes) -> bool:
        low = data.lower()
        return any(k in low for k in self.keywords)

    def service_for(self, key: str) -> Service | None:
        return self.by_key.get(key.upper())
