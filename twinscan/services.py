"""The key-aware check: a vendor setting in production must name one of the vendor's hosts.

Services come from `rules/services/defaults.yaml` and `services:` in config
(which adds keys and hosts to a known vendor, or defines a new one). A value
of one of a service's keys, in a production target, whose host is not one of
its hosts is reported even when no twin pattern matches it.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import Any, Iterable

from .rulepack import rules_dir


@dataclass(frozen=True)
class Service:
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


def parse_services(data: Any, where: str) -> dict[str, Service]:
    if not isinstance(data, dict):
        raise ServiceError(f"{where}: `services` must map a service name to its `keys` and `hosts`")
    out = {}
    for name, spec in data.items():
        if not isinstance(spec, dict) or set(spec) - {"keys", "hosts"}:
            raise ServiceError(f"{where}: service `{name}` takes only `keys` and `hosts`")
        keys, hosts = spec.get("keys", []), spec.get("hosts", [])
        for field, items in (("keys", keys), ("hosts", hosts)):
            if not isinstance(items, list) or not all(isinstance(i, str) and i.strip() for i in items):
                raise ServiceError(f"{where}: `services.{name}.{field}` must be a list of non-empty strings")
        for h in hosts:
            if not re.fullmatch(r"(?:\*\.)?[a-z0-9-]+(?:\.[a-z0-9-]+)*", h.lower()):
                raise ServiceError(f"{where}: `services.{name}.hosts`: {h!r} is not a host or `*.domain` glob")
        out[str(name)] = Service(str(name), frozenset(k.upper() for k in keys), tuple(h.lower() for h in hosts))
    return out


def load_services(extra: dict[str, Service] | None = None) -> dict[str, Service]:
    """Shipped defaults, merged with config: keys and hosts add to a known vendor."""
    import yaml

    path = os.path.join(rules_dir(), "services", "defaults.yaml")
    with open(path, encoding="utf-8") as f:
        services = parse_services(yaml.load(f, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)), path)  # noqa: S506
    for name, svc in (extra or {}).items():
        base = services.get(name)
        services[name] = svc if base is None else Service(name, base.keys | svc.keys, base.hosts + svc.hosts)
    return services


@dataclass(frozen=True)
class Endpoint:
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


class ServiceIndex:
    def __init__(self, services: Iterable[Service]):
        self.by_key: dict[str, Service] = {}
        for svc in services:
            for key in svc.keys:
                self.by_key[key] = svc
        self.keywords = tuple(k.lower().encode() for k in self.by_key)

    def mentioned_in(self, data: bytes) -> bool:
        low = data.lower()
        return any(k in low for k in self.keywords)

    def service_for(self, key: str) -> Service | None:
        return self.by_key.get(key.upper())
