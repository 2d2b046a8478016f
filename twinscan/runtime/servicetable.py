"""`twinscan services`: every configured vendor × every environment a repository deploys to.

What an app's admin "services" debug page shows at run time, before deploy:
for each service (rules/services/defaults.yaml plus `services:` in config) and
each environment found in env files, compose files, Kubernetes overlays and
Helm values, and CI workflow jobs, the URL the service's settings resolve to
and whether that is a twin, another host, the real vendor, or unset (the SDK
falls back to the vendor).

Values come from the scanner's own extractors (extract/*.py), environments
from classify.py (plus kustomize bases and compose `env_file:` as in a scan),
and each value's verdict from twinscan.guard (the scanner's rules, verified
equal on a table of URLs). Kustomize overlays are rendered (twinscan/kustomize.py)
so an overlay's row shows what its build deploys. The table never contradicts a
scan of the same files: a value the scan blocks where the table would show
something else (a base an overlay overrides, text no extractor reads as a value)
is kept, or taken from the scan's own run, in the row the scan judges it in.
"""
from __future__ import annotations

import html
import json
import os
import re
from dataclasses import dataclass, field

#: Cell statuses, worst first.
STATUSES = ("twin", "other-host", "deferred", "vendor", "unset")
LABEL = {"twin": "TWIN", "other-host": "OTHER HOST", "deferred": "set at deploy", "vendor": "vendor", "unset": "unset"}
MARK = {"twin": "❌", "other-host": "⚠️", "deferred": "❔", "vendor": "✅", "unset": "⚪"}
SKIPPED_ENVIRONMENTS = ("example",)  # .env.example and friends are documentation, not deployed
_PRECEDENCE_LOCAL = (".local",)


@dataclass
class Setting:
    service: str
    environment: str
    key: str
    value: str
    url: str | None  # the endpoint, userinfo redacted; None when unset or interpolated
    status: str
    rule: str | None  # the rule that blocks it, for twin and other-host
    path: str
    line: int
    reason: str  # why this environment
    #: Set when the deploy tool's build of this environment replaces this value (a kustomize
    #: overlay's patch): the setting still counts, because the scan judges the file as deployed.
    overridden: str | None = None

    def as_dict(self) -> dict:
        return dict(self.__dict__)


@dataclass
class Cell:
    service: str
    environment: str
    production: bool
    settings: list[Setting] = field(default_factory=list)

    @property
    def status(self) -> str:
        if not self.settings:
            return "unset"
        return min((s.status for s in self.settings), key=STATUSES.index)

    @property
    def resolved(self) -> Setting | None:
        """The setting that wins: what the deploy tool's build sets (a value a kustomize overlay
        overrides loses), then env-file precedence (`.env.production.local` > `.env.production` >
        `.env.local` > `.env`), deploy manifests as mode-specific; the worst verdict on a tie."""
        if not self.settings:
            return None
        return min(self.settings, key=lambda s: (s.overridden is not None, _precedence(s.path), STATUSES.index(s.status),
                                                 s.path, s.line))

    @property
    def shown(self) -> Setting | None:
        """The setting the cell shows: the resolved one, or, when a setting the build overrides is
        worse (the scan still judges its file as deployed), that one, so the cell says what the scan says."""
        r = self.resolved
        if r is None or r.status == self.status:
            return r
        return min((s for s in self.settings if s.status == self.status), key=lambda s: (_precedence(s.path), s.path, s.line))

    @property
    def blocking(self) -> bool:
        return self.production and self.status in ("twin", "other-host")


def _precedence(path: str) -> int:
    name = os.path.basename(path).lower()
    if name == ".env":
        return 3
    if name == ".env.local":
        return 2
    return 0 if name.endswith(".local") else 1


@dataclass
class Table:
    services: list[str]
    environments: list[str]
    cells: dict[tuple[str, str], Cell]
    errors: list[tuple[str, str]]  # (path, message): files that could not be read or parsed
    files: int
    notes: list[tuple[str, str]] = field(default_factory=list)  # (path, what a deploy build did not apply)

    @property
    def blocking(self) -> list[Cell]:
        return [c for c in self.cells.values() if c.blocking]

    @property
    def exit_code(self) -> int:
        return 1 if self.blocking else (3 if self.errors else 0)


def _endpoint_url(value: str) -> str | None:
    import re

    from ..services import endpoint

    ep = endpoint(value)
    return re.sub(r"(//)[^/@\s]+@", r"\1***@", ep.url) if ep else None


#: `${VAR:?message}` / `${VAR?message}`: the error compose and the shell print when VAR is unset,
#: never a value the app gets (a default, `${VAR:-default}`, is one and stays).
_REQUIRED = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*):?\?[^}]*\}")


def verdict(checker, key: str, value: str) -> tuple[str, str | None, str | None]:
    """(status, rule, url) of one vendor setting, by the scanner's rules."""
    value = _REQUIRED.sub(r"${\1}", value)
    violations = checker.check(value, key=key)
    url = _endpoint_url(value)
    if violations:
        v = violations[0]
        return ("other-host" if v.rule == "service-host-url" else "twin"), v.rule, v.url
    if not value.strip():
        return "unset", None, None
    if url is None:
        return "deferred", None, None  # `${VAR}`, `{{ … }}`: known only at deploy time
    return "vendor", None, url


def build(paths, cfg, twin_urls=(), all_services: bool = True) -> Table:
    """Walk ``paths`` and tabulate every service's setting in every environment found."""
    from .. import extract, prepass
    from ..classify import Classifier
    from ..extract.values import ExtractError, Options
    from ..reader import Limits, NotText, Opened, ReadError
    from ..services import ServiceIndex, load_services
    from ..walk import Walker
    from .guard import checker as guard_checker

    services = load_services(cfg.services)
    index = ServiceIndex(services.values())
    check = guard_checker([*cfg.twin_urls, *twin_urls], cfg.services)
    classifier = Classifier.from_globs(cfg.environments, production_environments=cfg.production_environments)
    walker = Walker(excludes=cfg.exclude, ignore_files=cfg.ignore_files, respect_gitignore=cfg.respect_gitignore,
                    follow_symlinks=cfg.follow_symlinks)
    items = list(walker.walk(list(paths)))
    unclassified = classifier
    items, classifier = prepass.apply(items, classifier, Limits(), Options())  # as scan.run

    deployed = _deployed_judge(cfg)
    found: list[Setting] = []
    environments: dict[str, bool] = {}
    errors = [(n.path, n.reason) for n in walker.notes if n.error]
    files = 0
    rendered, built, patch_values, notes = _kustomize_settings(items, classifier, index, check)
    for st in rendered:
        environments.setdefault(st.environment, classifier.is_production(st.environment))
    for item in items:
        target = classifier.classify(item.display, classifier.head_of(item.fs_path, item.data))  # app.json: by content
        if target.kind not in extract.STRUCTURED:
            continue
        try:
            data = Opened(item.fs_path, Limits(), data=item.data).text(extract.MAX_STRUCTURED)
            values = extract.structured_values(target.kind, data or b"", item.display, Options()) or []
        except (ReadError, ExtractError) as exc:
            errors.append((item.display, str(exc)))
            continue
        except NotText:
            continue
        if not values and target.kind != "dotenv":
            continue  # a YAML or JSON file that deploys nothing
        files += 1
        if target.kind == "dotenv" and target.environment not in SKIPPED_ENVIRONMENTS:
            environments.setdefault(target.environment, target.production)
        for v in values:
            env = classifier.normalise(v.environment) if v.environment else target.environment
            if env in SKIPPED_ENVIRONMENTS or not deployed(item.display, v.role, v.role_reason):
                continue
            if v.context in extract.INERT_CONTEXTS:
                continue  # `${VAR:?message}`'s message, a comment: never a value the app gets, nor blocked
            environments.setdefault(env, classifier.is_production(env))
            svc = index.service_for(v.key)
            if svc is None or v.context == "default" and v.value == "":
                continue
            status, rule, url = verdict(check, v.key, v.value)
            line = data.count(b"\n", 0, v.start) + 1 if data else 1
            reason = v.reason if v.environment else target.reason
            found.append(Setting(svc.name, env, v.key, v.value, url, status, rule, item.display, line, reason))

    found += _patches_as_scanned(patch_values, found, classifier, index, check)
    found = _with_builds(found, rendered, built)
    found = [s for s in found if deployed(s.path, None, None)]
    configs = [i for i in items if classifier.classify(i.display, Classifier.head_of(i.fs_path, i.data)).kind
               in extract.STRUCTURED]
    found += _what_the_scan_blocks(configs, cfg, twin_urls, unclassified, index, found)
    for st in found:
        environments.setdefault(st.environment, classifier.is_production(st.environment))
    used = {s.service for s in found}
    names = [n for n in services if all_services or n in used]
    envs = sorted(environments, key=lambda e: (not environments[e], e))  # production environments first
    cells = {(n, e): Cell(n, e, environments[e]) for n in names for e in envs}
    for s in found:
        if (s.service, s.environment) in cells:
            cells[(s.service, s.environment)].settings.append(s)
    return Table(names, envs, cells, errors, files, notes)


def _what_the_scan_blocks(items, cfg, twin_urls, classifier, index, found: list[Setting]) -> list[Setting]:
    """Settings for what a scan of the same configuration files blocks and the table has not
    tabulated at that place in that environment: a vendor key the extractors do not read as a value
    (`env_variables:` of an App Engine `app.yaml`, an `echo KEY=… >> .env` in a Dockerfile `RUN`,
    a kustomize patch read as text). The scan's own run decides, so the table cannot say less."""
    from ..rulepack import build_ruleset, load_builtin_rules
    from ..scan import Settings, run

    if not items:
        return []
    service_rule = next((r for r in load_builtin_rules() if r.check == "services"), None)
    settings = Settings(rules=build_ruleset([*cfg.twin_urls, *twin_urls]), classifier=classifier, jobs=1,
                        services=index, service_rule=service_rule, roles=cfg.roles, strict=cfg.strict)
    result = run(list(items), settings)
    at: dict[tuple[str, int], set[str]] = {}
    have = set()
    for s in found:
        at.setdefault((os.path.normpath(s.path), s.line), set()).add(s.service)
        if s.status in ("twin", "other-host"):
            have.add((s.service, s.environment, os.path.normpath(s.path), s.line))
    out = []
    for f in result.findings:
        if not f.blocking:
            continue
        place = (os.path.normpath(f.path), f.line)
        svc = index.service_for(f.key) if f.key else None
        for name in at.get(place, set()) | ({svc.name} if svc else set()):
            if (name, f.environment, *place) in have:
                continue
            have.add((name, f.environment, *place))
            status = "other-host" if f.rule == "service-host-url" else "twin"
            out.append(Setting(name, f.environment, f.key or "", f.match, f.url, status, f.rule, f.path, f.line,
                               f"{f.reason} (the scan's verdict on this file, which the table reads no value from here)"))
    return out


def _deployed_judge(cfg):
    """Whether a setting at a path (with the role its extractor gave it) is deployed as the app's
    setting, as the scan's roles judge it: a file or value whose role lets no twin evidence through
    (an example, a test, documentation) is not a setting of any environment, and the scan does not
    block it. `strict` (no roles) keeps every setting, as the scan then blocks every one."""
    from .. import roles

    if getattr(cfg, "strict", False):
        return lambda path, role, reason: True
    book = getattr(cfg, "roles", None) or roles.builtin()

    def deployed(path: str, role: str | None, reason: str | None) -> bool:
        given = roles.Role(role, reason or role) if role else None
        r = roles.resolve(book, path=path, context="value", key=None, value_role=given, library=None, services=None)
        return r.name == roles.SERVICE or book.info(r.name).evidence_blocks

    return deployed


def _kustomize_settings(items, classifier, index, check) -> tuple[list[Setting], set[str], list, list[tuple[str, str]]]:
    """Every setting of every kustomize build (one per overlay: a kustomization no other one builds
    on), in the environment of the overlay's kustomization file (as a scan classifies it) unless the
    rendered namespace names one; the files those builds read; what could not be built or applied."""
    from .. import kustomize
    from ..reader import Limits

    out: list[Setting] = []
    built: set[str] = set()
    written: dict[tuple[str, int], tuple[str, str]] = {}  # (path, line) -> (key, value) a patch writes
    notes: list[tuple[str, str]] = []
    limits = Limits()
    names = [i.display for i in items if os.path.basename(i.display) in kustomize.NAMES]
    for root in kustomize.roots(names, limits):
        overlay = os.path.dirname(root) or "."
        target = _overlay_target(classifier, root)
        try:
            b = kustomize.build(root, limits)
        except kustomize.KustomizeError as exc:
            notes.append((root, f"not built, its files are tabulated one by one: {exc}"))
            continue
        notes += b.notes
        built |= b.files
        for key, node in b.patch_values:
            o = b.origin(node)
            if o is not None:
                written.setdefault((o.path, o.line), (key, node.value))
        for v in kustomize.rendered_values(b):
            env = classifier.normalise(v.environment) if v.environment else target.environment
            svc = index.service_for(v.key)
            if env in SKIPPED_ENVIRONMENTS or svc is None:
                continue
            status, rule, url = verdict(check, v.key, v.value)
            why = v.reason or target.reason
            out.append(Setting(svc.name, env, v.key, v.value, url, status, rule, v.origin.path, v.origin.line,
                               f"{why} (kustomize build of `{overlay}`, {v.origin.how})"))
    return out, built, sorted((p, n, k, v) for (p, n), (k, v) in written.items()), notes


def _overlay_target(classifier, kustomization: str):
    """The environment of an overlay: what the Kubernetes extractor gives a manifest in its
    directory (`overlays/<env>/`), else what the scan classifies its kustomization file as."""
    from dataclasses import replace

    from ..extract.kubernetes import _path_env

    norm = kustomization.replace("\\", "/")
    env, reason = _path_env(norm, os.path.basename(norm).lower(), None)
    target = classifier.classify(kustomization)
    if env:
        env = classifier.normalise(env)
        return replace(target, environment=env, production=classifier.is_production(env), reason=reason)
    return target


def _patches_as_scanned(written, found: list[Setting], classifier, index, check) -> list[Setting]:
    """A patch's values where the scan reads no structured value: the scan judges that text by its
    file's path (an inline patch in `overlays/staging/kustomization.yaml`, a JSON 6902 patch file),
    and the table must not say less than the scan."""
    have = {(os.path.normpath(s.path), s.line) for s in found}
    out = []
    for path, line, key, value in written:
        svc = index.service_for(key)
        if svc is None or (os.path.normpath(path), line) in have:
            continue
        target = classifier.classify(path)
        if target.environment in SKIPPED_ENVIRONMENTS:
            continue
        status, rule, url = verdict(check, key, value)
        out.append(Setting(svc.name, target.environment, key, value, url, status, rule, path, line,
                           f"a kustomize patch, which a scan reads by its file's path: {target.reason}"))
    return out


def _with_builds(found: list[Setting], rendered: list[Setting], built: set[str]) -> list[Setting]:
    """The settings of files a kustomize build reads are replaced by the build's: a file's own
    setting stays only when no build sets that place in its environment. If a build of that
    environment sets the key elsewhere (an overlay's patch), it is marked overridden but kept,
    because the scan judges the file as deployed in that environment."""
    places = {(s.service, s.environment, s.key, os.path.normpath(s.path), s.line) for s in rendered}
    keys: dict[tuple[str, str, str], Setting] = {}
    for s in rendered:
        keys.setdefault((s.service, s.environment, s.key), s)
    out = list({(s.service, s.environment, s.key, s.path, s.line): s for s in rendered}.values())
    for s in found:
        path = os.path.normpath(s.path)
        if path not in built:
            out.append(s)
        elif (s.service, s.environment, s.key, path, s.line) not in places:
            by = keys.get((s.service, s.environment, s.key))
            if by is not None:
                s.overridden = f"the {s.environment} build sets {s.key} at {by.path}:{by.line}"
            out.append(s)
    return out


# -- rendering -------------------------------------------------------------------

def _cell_text(c: Cell) -> str:
    r = c.shown
    if r is None:
        return "unset (vendor default)"
    text = f"{LABEL[c.status]} {r.url or r.value or ''}".rstrip()
    if r.rule:
        text += f" [{r.rule}]"
    if r.overridden:
        text += f" (overridden: {r.overridden}; counted because a scan judges this file as {r.environment}: {r.reason})"
    return text


def render_text(t: Table) -> str:
    out = []
    width = max([len(e) for e in t.environments] + [11])
    for name in t.services:
        out.append(name)
        for env in t.environments:
            c = t.cells[(name, env)]
            r = c.shown
            where = f"  ({r.key} in {r.path}:{r.line}" + (f", +{len(c.settings) - 1} more" if len(c.settings) > 1 else "") + ")" if r else ""
            flag = "  BLOCKING" if c.blocking else ""
            out.append(f"  {env:<{width}}  {_cell_text(c)}{where}{flag}")
    for path, msg in t.errors:
        out.append(f"error: {path}: {msg}")
    for path, msg in t.notes:
        out.append(f"note: {path}: {msg}")
    n = len(t.blocking)
    out.append(f"{len(t.services)} services · {len(t.environments)} environments · {t.files} files · "
               f"{n} blocking" + (f" · {len(t.errors)} unreadable" if t.errors else ""))
    return "\n".join(out) + "\n"


def render_json(t: Table) -> str:
    return json.dumps({
        "version": 1,
        "services": t.services,
        "environments": [{"name": e, "production": t.cells[(t.services[0], e)].production if t.services else False}
                         for e in t.environments],
        "cells": [{"service": c.service, "environment": c.environment, "production": c.production,
                   "status": c.status, "blocking": c.blocking,
                   "url": (c.shown.url if c.shown else None),
                   "settings": [s.as_dict() for s in c.settings]} for c in t.cells.values()],
        "errors": [{"path": p, "message": m} for p, m in t.errors],
        "notes": [{"path": p, "message": m} for p, m in t.notes],
        "summary": {"blocking": len(t.blocking), "files": t.files, "exit_code": t.exit_code},
    }, indent=2) + "\n"


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(t: Table) -> str:
    out = ["## twinscan: services per environment", "", "Production environments in bold. Unset: the SDK falls back to the vendor.", ""]
    if not t.environments:
        return "\n".join(out + ["No environment found (no env file, compose file, manifest or workflow job).", ""])
    out.append("| service | " + " | ".join(f"**{_md(e)}**" if t.cells[(t.services[0], e)].production else _md(e)
                                           for e in t.environments) + " |")
    out.append("|---" * (len(t.environments) + 1) + "|")
    for name in t.services:
        cells = []
        for env in t.environments:
            c = t.cells[(name, env)]
            r = c.shown
            if r is None:
                cells.append(f"{MARK['unset']} unset")
                continue
            cell = f"{MARK[c.status]} {LABEL[c.status]}"
            if r.url:
                cell += f" `{_md(r.url)}`"
            if r.rule:
                cell += f" ({r.rule})"
            cell += f"<br><sub>{_md(r.key)} · {_md(r.path)}:{r.line}</sub>"
            cells.append(cell)
        out.append(f"| **{_md(name)}** | " + " | ".join(cells) + " |")
    out.append("")
    n = len(t.blocking)
    out.append(f"**{n} blocking** (a production environment resolves a service to a twin or a host the vendor does not use)."
               if n else "No production environment resolves a service to a twin.")
    for path, msg in t.errors:
        out.append(f"- could not read `{_md(path)}`: {_md(msg)}")
    return "\n".join(out) + "\n"


_CSS = """body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#1f2328}table{border-collapse:collapse}
th,td{border:1px solid #d0d7de;padding:.4em .6em;vertical-align:top;text-align:left}th{background:#f6f8fa}
.twin,.other-host{background:#ffebe9}.vendor{background:#dafbe1}.unset{color:#57606a}.deferred{background:#fff8c5}
code{font-size:12px}small{color:#57606a;display:block}"""


def render_html(t: Table) -> str:
    e = html.escape
    head = "".join(f"<th>{e(env)}{'<small>production</small>' if t.cells[(t.services[0], env)].production else ''}</th>"
                   for env in t.environments) if t.services else ""
    rows = []
    for name in t.services:
        tds = []
        for env in t.environments:
            c = t.cells[(name, env)]
            r = c.shown
            if r is None:
                tds.append('<td class="unset">unset<small>vendor default</small></td>')
                continue
            body = f"<b>{e(LABEL[c.status])}</b>" + (f" <code>{e(r.url)}</code>" if r.url else "")
            body += f"<small>{e(r.rule + ' · ') if r.rule else ''}{e(r.key)} · {e(r.path)}:{r.line}</small>"
            for other in c.settings:
                if other is not r:
                    body += f"<small>also {e(other.key)}={e(other.url or other.value)} in {e(other.path)}:{other.line}</small>"
            tds.append(f'<td class="{c.status}" title="{e(r.reason)}">{body}</td>')
        rows.append(f"<tr><th>{e(name)}</th>{''.join(tds)}</tr>")
    errors = "".join(f"<li>{e(p)}: {e(m)}</li>" for p, m in t.errors)
    return (f"<!doctype html>\n<html lang=en><meta charset=utf-8><title>twinscan: services</title><style>{_CSS}</style>\n"
            f"<h1>Services per environment</h1><p>{len(t.blocking)} blocking · {t.files} files</p>\n"
            f"<table><tr><th>service</th>{head}</tr>\n" + "\n".join(rows) + "</table>\n"
            + (f"<ul>{errors}</ul>" if errors else "") + "\n</html>\n")


RENDERERS = {"text": render_text, "json": render_json, "markdown": render_markdown, "html": render_html}
