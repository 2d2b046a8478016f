"""The runtime guard: check the service URLs an app is about to use, with the scanner's rules.

    from twinscan.guard import check_services, assert_no_twins

    check_services({"stripe": settings.STRIPE_API_BASE, "posthog": os.environ.get("POSTHOG_HOST")})
    assert_no_twins(os.environ)          # every variable, as `twinscan env` checks it

Both raise :class:`TwinURLError`, naming the setting, the service and the rule,
when a value is one the scanner would block in a production ``.env`` file: the
same rules (``rules/*.yaml``, ``verify`` included), the same ``--twin-url``
patterns, and the same ``services`` check (a vendor setting whose host is not
one of the vendor's). An unset or empty value passes: the SDK then falls back
to the vendor.

One semantics for the three guards (this module, ``twinscan guard --emit ts`` and ``--emit go``):
**every setting handed to the guard is checked**, as the scanner checks every line of a
production ``.env`` file: the twin rules on every value, the ``services`` check on the values
of vendor keys (and of the services named to :func:`check_services`). Checking only vendor
keys was the alternative; it was rejected because

- a twin under a key no vendor list names (``PAYMENTS_API_URL``, an internal wrapper's
  ``BILLING_BASE``, a new SDK's variable) is exactly the miss the tool exists to prevent, and
  the list of vendor keys is finite while the ways to spell a setting are not;
- a guard narrower than the scanner would let an app start with an environment that
  ``twinscan env`` on the same variables fails: rules shared so that the two cannot disagree;
- the false alarms it would avoid are few: the twin rules match only http(s)/ws(s) URLs to
  loopback, 0.0.0.0, the Docker host gateway, WonderTwin's hosted twins, ``--twin-url`` hosts
  and ``*-twin`` service names, so ``DATABASE_URL=postgres://localhost/app``,
  ``REDIS_URL=redis://127.0.0.1``, ``AWS_LAMBDA_RUNTIME_API=127.0.0.1:9001`` and
  ``KUBERNETES_PORT=tcp://10.0.0.1:443`` pass. What remains (``OTEL_EXPORTER_OTLP_ENDPOINT=
  http://localhost:4318`` for a sidecar collector) the scanner blocks in the deploy config too,
  and the caller scopes the guard by what it hands it: pass the app's service settings rather
  than the whole environment.

The scope is the caller's choice, the verdict on each value is the scanner's.

Import cost: this module imports nothing beyond ``os`` at import time. The
first check loads ``compiled_rules.json`` (the YAML rules compiled ahead of
time, so no YAML parser runs at app start-up; a test proves it equals what the
YAML compiles to) and twinscan's stdlib-only matching modules. No YAML, click,
tree-sitter or Hyperscan is imported, unless ``config=`` names a YAML file.
"""
from __future__ import annotations

import os

__all__ = ["TwinURLError", "Violation", "Checker", "checker", "check_url", "find_twins", "check_services",
           "assert_no_twins", "compile_rules", "write_compiled_rules", "COMPILED_RULES"]

#: The YAML rules and vendor defaults compiled to JSON (regenerate: `python -m twinscan.guard`).
COMPILED_RULES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "compiled_rules.json")
COMPILED_VERSION = 1
SERVICE_RULE = "service-host-url"


class Violation:
    """One setting the scanner would block: which setting, which service, which rule."""

    __slots__ = ("name", "service", "rule", "title", "url", "host", "port", "fix", "detail")

    def __init__(self, name: str | None, service: str | None, rule: str, title: str, url: str,
                 host: str, port: int | None, fix: str, detail: str = ""):
        self.name = name  # the setting or service name the value was given under
        self.service = service  # the vendor it configures, when known
        self.rule = rule  # rule id: loopback-url, org-twin-url, service-host-url, …
        self.title = title
        self.url = url  # normalised, userinfo redacted
        self.host = host
        self.port = port
        self.fix = fix
        self.detail = detail

    def message(self) -> str:
        who = self.name or "value"
        if self.service and self.service != self.name:
            who += f" (service {self.service})"
        elif self.service:
            who = f"service {self.service}"
        what = "a twin URL" if self.rule != SERVICE_RULE else "not a host of the vendor"
        text = f"{who} resolves to {self.url}: {what} [rule {self.rule}: {self.title}]"
        if self.detail:
            text += f"; {self.detail}"
        fix = self.fix.strip().split("\n\n")[0].replace("\n", " ")
        return text + (f". Fix: {fix}" if fix else "")

    def as_dict(self) -> dict:
        return {k: getattr(self, k) for k in self.__slots__}

    def __repr__(self) -> str:
        return f"Violation({self.name!r}, rule={self.rule!r}, url={self.url!r})"


class TwinURLError(RuntimeError):
    """Raised when a setting a production app is about to use points at a twin."""

    def __init__(self, violations: list[Violation]):
        self.violations = list(violations)
        lines = [v.message() for v in self.violations]
        head = "twinscan guard: a service points at a twin" if len(lines) == 1 else \
            f"twinscan guard: {len(lines)} settings point at twins or non-vendor hosts"
        super().__init__(head + ":\n  - " + "\n  - ".join(lines))


# -- compiled rules -------------------------------------------------------------

def compile_rules() -> dict:
    """The built-in rules and vendor services as JSON-able data (reads the YAML; build time only).

    Every field of rulepack.Rule except ``examples`` (test data), tuples as lists.
    """
    import dataclasses

    from ..rulepack import load_builtin_rules
    from ..services import load_services

    rules = []
    for r in load_builtin_rules():
        d = {f.name: getattr(r, f.name) for f in dataclasses.fields(r) if f.name != "examples"}
        rules.append({k: list(v) if isinstance(v, tuple) else v for k, v in d.items()})
    services = {s.name: {"keys": sorted(s.keys), "hosts": list(s.hosts)} for s in load_services().values()}
    return {"version": COMPILED_VERSION, "generated_from": "rules/*.yaml and rules/services/defaults.yaml",
            "rules": rules, "services": services}


def write_compiled_rules(path: str = COMPILED_RULES) -> None:
    import json

    with open(path, "w", encoding="utf-8") as f:
        json.dump(compile_rules(), f, indent=1, sort_keys=True)
        f.write("\n")


_compiled_cache: dict | None = None


def compiled() -> dict:
    """The shipped compiled rules (read once)."""
    global _compiled_cache
    if _compiled_cache is None:
        import json

        with open(COMPILED_RULES, encoding="utf-8") as f:
            data = json.load(f)
        if data.get("version") != COMPILED_VERSION:
            raise RuntimeError(f"{COMPILED_RULES}: unsupported version {data.get('version')!r}")
        _compiled_cache = data
    return _compiled_cache


def builtin_rules() -> list:
    """rulepack.Rule objects from the compiled file (equal to rulepack.load_builtin_rules())."""
    from ..rulepack import Rule

    out = []
    for d in compiled()["rules"]:
        out.append(Rule(**{k: tuple(v) if isinstance(v, list) else v for k, v in d.items()}))
    return out


def ruleset(twin_urls=()) -> list:
    """The rules a scan runs (rulepack.build_ruleset), built from the compiled file."""
    from ..rulepack import build_ruleset

    return build_ruleset(twin_urls, builtin_rules())


def services(extra=None) -> dict:
    """Vendor services: compiled defaults merged with ``extra`` (services.load_services semantics).

    ``extra`` is the ``services:`` config mapping (``{"billing": {"keys": [...], "hosts": [...]}}``)
    or already-parsed ``services.Service`` objects.
    """
    from ..services import Service, parse_services

    out = {name: Service(name, frozenset(s["keys"]), tuple(s["hosts"])) for name, s in compiled()["services"].items()}
    if extra:
        for name, svc in extra.items():
            if not isinstance(svc, Service):
                svc = parse_services({name: svc}, "services")[str(name)]
            base = out.get(name)
            out[name] = svc if base is None else Service(name, base.keys | svc.keys, base.hosts + svc.hosts)
    return out


# -- the check ----------------------------------------------------------------------

class Checker:
    """The scanner's verdict on single values, compiled once."""

    def __init__(self, twin_urls=(), service_config=None):
        from ..engine import ReEngine, build_expressions
        from ..services import ServiceIndex

        self.twin_urls = tuple(twin_urls)
        self.rules = ruleset(self.twin_urls)
        self.exprs = build_expressions(self.rules)
        self.engine = ReEngine(self.exprs, self.rules)
        self.services = services(service_config)
        self.index = ServiceIndex(self.services.values())
        self.service_rule = next(r for r in builtin_rules() if r.check == "services")

    def twins(self, value: str) -> list:
        """(rule, urls.URL) for every twin URL in ``value``, as the scanner's byte pass finds them in
        ``KEY=value`` (the ``=`` lets a protocol-relative ``//localhost`` count, as in an env file)."""
        from ..engine import confirm

        buf = b"=" + value.encode("utf-8", "surrogateescape")
        found, _ = confirm(self.engine, self.exprs, self.rules, buf, 0, len(buf))
        return found

    def service(self, name: str | None = None, key: str | None = None):
        """The vendor a service name (``stripe``) or a setting key (``VITE_STRIPE_BASE_URL``) configures."""
        if name is not None:
            svc = self.services.get(name) or self.services.get(name.lower())
            if svc is not None:
                return svc
        return self.index.service_for(key) if key else None

    def check(self, value, *, key: str | None = None, service: str | None = None) -> list[Violation]:
        """Violations for one value given as setting ``key`` and/or for vendor ``service``.

        Empty and unset (None) values pass: the SDK falls back to the vendor.
        """
        if value is None:
            return []
        if not isinstance(value, str):
            raise TypeError(f"{key or service}: expected a string URL, got {type(value).__name__}")
        svc = self.service(service, key)
        name = key or service
        hits = self.twins(value)
        if hits:
            return [Violation(name, svc.name if svc else service, r.id, r.title, u.normalized(), u.host, u.port, r.fix)
                    for r, u in hits]
        if svc is None:
            return []
        from ..services import endpoint

        ep = endpoint(value)
        if ep is None or svc.allows(ep.host):
            return []
        import re

        r = self.service_rule
        return [Violation(name, svc.name, r.id, r.title, re.sub(r"(//)[^/@\s]+@", r"\1***@", ep.url), ep.host, ep.port,
                          r.fix, f"{svc.name}'s production hosts are {', '.join(svc.hosts)}")]


_checkers: dict = {}


def checker(twin_urls=(), service_config=None, config: str | None = None) -> Checker:
    """A cached Checker. ``config`` is a twinscan config file (twinscan.yaml, pyproject.toml) whose
    ``twin_urls`` and ``services`` add to the arguments."""
    import json

    cache_key = (tuple(twin_urls), json.dumps(service_config, sort_keys=True, default=repr), config)
    c = _checkers.get(cache_key)
    if c is None:
        twin_urls, service_config = list(twin_urls), dict(service_config or {})
        if config:
            from ..config import load_file

            cfg = load_file(config)
            twin_urls += cfg.twin_urls
            for name, svc in cfg.services.items():
                service_config.setdefault(name, svc)
        c = _checkers[cache_key] = Checker(twin_urls, service_config)
    return c


def check_url(url, *, key: str | None = None, service: str | None = None, twin_urls=(), service_config=None,
              config: str | None = None) -> list[Violation]:
    """What the scanner would block for this value under ``key`` in a production env file; [] when fine."""
    return checker(twin_urls, service_config, config).check(url, key=key, service=service)


def _walk(settings, prefix: str = ""):
    """(name, key, value) for every string in a settings mapping, nested dicts and lists included."""
    items = settings.items() if hasattr(settings, "items") else enumerate(settings)
    for k, v in items:
        name = f"{prefix}.{k}" if prefix else str(k)
        if isinstance(v, str) or v is None:
            yield name, str(k), v
        elif hasattr(v, "items") or isinstance(v, (list, tuple)):
            yield from _walk(v, name)


def find_twins(settings, *, by: str = "key", twin_urls=(), service_config=None, config: str | None = None) -> list[Violation]:
    """Violations in a mapping of settings, every one of them (see the module docstring: the twin rules on
    every value, the services check on vendor keys). ``by="key"``: keys are setting names
    (``VITE_STRIPE_BASE_URL``, Django/Flask settings, ``os.environ``); ``by="service"``: keys are service
    names (``stripe``)."""
    if by not in ("key", "service"):
        raise ValueError("by must be 'key' or 'service'")
    c = checker(twin_urls, service_config, config)
    out = []
    for name, key, value in _walk(settings):
        if by == "service":
            out += c.check(value, service=key)
        else:
            for v in c.check(value, key=key):
                v.name = name
                out.append(v)
    return out


def check_services(services_map, *, twin_urls=(), service_config=None, config: str | None = None) -> None:
    """Raise TwinURLError when a service URL (``{"stripe": url, …}``) is a twin or not the vendor's."""
    violations = find_twins(services_map, by="service", twin_urls=twin_urls, service_config=service_config,
                            config=config)
    if violations:
        raise TwinURLError(violations)


def assert_no_twins(settings=None, *, twin_urls=(), service_config=None, config: str | None = None) -> None:
    """Raise TwinURLError when any setting (default: ``os.environ``) holds a value the scanner blocks."""
    violations = find_twins(os.environ if settings is None else settings, twin_urls=twin_urls,
                            service_config=service_config, config=config)
    if violations:
        raise TwinURLError(violations)


if __name__ == "__main__":  # regenerate compiled_rules.json from the YAML rules
    write_compiled_rules()
    print(f"wrote {COMPILED_RULES}")
