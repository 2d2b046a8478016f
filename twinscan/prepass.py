"""Pre-pass: files whose environment another file decides, found before any file is scanned.

A compose file decides the environment of the env files it loads (`env_file:`); kustomize
overlays decide the environment of the bases they build on. Both the scan and the service
table (`twinscan services`) classify through `apply`, so they cannot disagree.
"""
from __future__ import annotations

import os
import re

from .classify import Classifier, PathRule, PrefixRule
from .extract.values import ExtractError, Options
from .reader import Limits, NotText, Opened, ReadError
from .walk import Item, sized

#: The kustomization file names kustomize reads, lower-cased (as `candidates` compares).
_KUSTOMIZATIONS = ("kustomization.yaml", "kustomization.yml", "kustomization")


def _too_big(item: Item) -> bool:
    """Larger than a config file a pre-pass reads (1 MiB); unreadable counts as too big (the
    scan reports it)."""
    try:
        return sized(item).size > (1 << 20)
    except OSError:
        return True


def candidates(items: list[Item]) -> list[Item]:
    """The items some pre-pass may read: on a tree of 50,000 chunks, none, found with one
    `endswith` each instead of a kind match per pass. The endings are the compose and systemd
    kinds' own (`Kind.tails`, a compression suffix allowed) and the kustomization names; each
    pass still applies its own exact test to what this keeps."""
    from .extract.kind import COMPRESSED
    from .extract.registry import kind_tails

    compose, systemd = kind_tails("compose"), kind_tails("systemd")
    if compose is None or systemd is None:  # a claim that ends in a wildcard: no cheap filter
        return list(items)
    suffixes = tuple({t + c for t in (*compose, *systemd, *_KUSTOMIZATIONS) for c in ("", *COMPRESSED)})
    longest = max(map(len, suffixes))
    # the last character first: a build's `.js`, `.css`, `.map`, `.html` end in none of these
    # (lowered as the whole path would be; a test per path was 60 ms of a 50,000-file tree)
    last = {t[-1] for t in suffixes}
    return [i for i in items if i.display[-1:].lower()[-1:] in last and i.display[-longest:].lower().endswith(suffixes)]


def env_file_targets(items: list[Item], classifier: Classifier, limits: Limits, options: Options,
                     within: list[Item] | None = None) -> dict[str, tuple[str, str]]:
    """Files named by `env_file:` in compose files: path -> (environment, reason).

    A compose file decides the environment of the env files it loads, so they
    are classified as part of its target (compose files are small; a file that
    cannot be parsed is reported when it is scanned). ``within``: the items to look at
    (:func:`candidates` of ``items``), when the caller has them.
    """
    from .extract import structured_values
    from .extract.registry import is_kind

    out: dict[str, tuple[str, str]] = {}

    for item in items if within is None else within:
        if not is_kind(item.display, "compose") or _too_big(item):
            continue
        target = classifier.classify(item.display)
        try:
            opened = Opened(item.fs_path, limits, data=item.data)
            values = structured_values("compose", opened.text() or b"", item.display, options) or []
        except (ReadError, NotText, ExtractError):
            continue
        for v in values:
            if v.key != "env_file":
                continue
            path = os.path.normpath(os.path.join(os.path.dirname(item.display), v.value))
            env = classifier.normalise(v.environment) if v.environment else target.environment
            out[path] = (env, f"loaded by `env_file:` in {item.display} ({target.reason if not v.environment else v.reason})")
    return out


_OVERLAY = re.compile(r"(?:^|/)overlays/([^/]+)/")


def kustomize_bases(items: list[Item], classifier: Classifier, limits: Limits,
                    within: list[Item] | None = None) -> dict[str, tuple[str, str]]:
    """Directories that kustomize overlays build on, and files their generators read: path -> (environment, reason).

    A base is production when any production overlay uses it; otherwise it takes
    the environment of the overlays that do (a base only staging uses is staging).
    An overlay named for no environment (`overlays/us-east-1`) is what its own path
    classifies as (production unless config says otherwise), so adding region overlays
    never hides a twin. The env and property files a generator reads (`envs:`, `files:`)
    are the overlay's. The kustomization is read with the bounds every YAML kind has.
    ``within``: the items to look at (:func:`candidates` of ``items``), when the caller has them.
    """
    users: dict[str, list[tuple[str, str]]] = {}
    for item in items if within is None else within:
        name = os.path.basename(item.display)
        if name not in ("kustomization.yaml", "kustomization.yml", "Kustomization") or _too_big(item):
            continue
        m = _OVERLAY.search(item.display.replace("\\", "/"))
        if not m:
            continue
        from .environments import known  # only with an overlay: PyYAML is a pre-commit run's largest import
        from .extract.yamlshape import text_of
        from .formats.yamlnodes import load

        try:
            parsed = load(Opened(item.fs_path, limits, data=item.data).text() or b"")
            doc = parsed.tree(parsed.roots[0]) if parsed.roots else {}
        except (ReadError, NotText, ExtractError):  # unreadable or invalid: the file itself is reported when scanned
            continue
        if not isinstance(doc, dict):
            continue
        lists = [doc.get(k) for k in ("resources", "bases", "components")]
        refs = [r for entries in lists if isinstance(entries, list) for r in map(text_of, entries) if r]
        env = known(m.group(1)) or classifier.classify(item.display).environment
        here = os.path.dirname(item.display)
        for ref in refs:
            target = os.path.normpath(os.path.join(here, ref))
            if "overlays/" not in target.replace("\\", "/") + "/" and "://" not in ref:
                users.setdefault(target, []).append((env, here))
        for gen in ("configMapGenerator", "secretGenerator"):
            for entry in doc.get(gen) if isinstance(doc.get(gen), list) else ():
                for k in ("envs", "files", "env"):
                    names = entry.get(k) if isinstance(entry, dict) else None
                    for ref in map(text_of, names if isinstance(names, list) else [names]):
                        if ref:  # `files: [key=path]` names the file after the `=`
                            path = os.path.normpath(os.path.join(here, ref.rpartition("=")[2]))
                            users.setdefault("file:" + path, []).append((env, here))
    out = {}
    for base, envs in users.items():
        prod = [(e, o) for e, o in envs if classifier.is_production(e)]
        env, overlay = (prod or envs)[0]
        if base.startswith("file:"):
            out[base] = (env, f"read by a generator (`envs:`, `files:`) of the {env} kustomize overlay `{overlay}`")
        else:
            out[base] = (env, f"kustomize base used by the {env} overlay `{overlay}`")
    return out



def systemd_targets(items: list[Item], classifier: Classifier, limits: Limits,
                    within: list[Item] | None = None) -> dict[str, tuple[str, str]]:
    """systemd units, their drop-ins and the files their `EnvironmentFile=` loads: path ->
    (environment, reason), the environment of the whole unit.

    A drop-in (`api.service.d/override.conf`) applies after its unit, so the unit's
    environment is read from the unit and its drop-ins together: the unit's name, else the
    last `APP_ENV=`/`ENVIRONMENT=`/… assignment (extract/systemd.py), else the directory
    layout, else the unit file's own classification. An `EnvironmentFile=` path is found in
    the tree: relative to the unit, or an absolute path matched by its tail
    (`/etc/shop/api.env` → `deploy/etc/shop/api.env`), or by its name beside the unit.
    ``within``: the items that may be units (:func:`candidates` of ``items``), when the caller has them.
    """
    if within is not None and not within:  # no candidate: nothing to import either (a pre-commit run)
        return {}
    from .extract.platformenv import dir_env, name_env
    from .extract.registry import is_kind
    from .extract.systemd import assigned_env, settings, unit_name

    units: dict[tuple[str, str], list[tuple[Item, list]]] = {}
    for item in items if within is None else within:
        if not is_kind(item.display, "systemd") or _too_big(item):
            continue
        try:
            found = settings(Opened(item.fs_path, limits, data=item.data).text() or b"")
        except (ReadError, NotText):
            continue
        norm = item.display.replace("\\", "/")
        home = os.path.dirname(os.path.dirname(norm)) if not norm.endswith(".service") else os.path.dirname(norm)
        units.setdefault((home, unit_name(norm)), []).append((item, found))
    if not units:
        return {}
    by_display = {i.display.replace("\\", "/"): i.display for i in items}
    out: dict[str, tuple[str, str]] = {}
    for (home, unit), files in units.items():
        files.sort(key=lambda f: (not f[0].display.endswith(".service"), os.path.basename(f[0].display)))
        assigned: dict[str, str] = {}
        for _, found in files:
            assigned.update(t.split("=", 1) for s, t, _, _ in found if s == "Environment")
        named = name_env(unit, (".service",))
        by_value = assigned_env(assigned)
        layout = dir_env(files[0][0].display)
        if named:
            env, why = named[0], f"unit name `{unit}`"
        elif by_value:
            env, why = by_value[0], f"{by_value[1]} in unit `{unit}` and its drop-ins"
        elif layout:
            env, why = layout[0], f"{layout[1]} of unit `{unit}`"
        else:
            target = classifier.classify(files[0][0].display)
            env, why = target.environment, target.reason
        env = classifier.normalise(env)
        for item, found in files:
            if by_value and not named:
                out[item.display] = (env, why)
            for s, ref, _, _ in found:
                ref = ref.lstrip("-")
                if s != "EnvironmentFile" or not ref or "%" in ref:
                    continue
                path = _unit_ref(ref, home, by_display)
                if path:
                    out[path] = (env, f"loaded by `EnvironmentFile=` of unit `{unit}` in {item.display} ({why})")
    return out


def _unit_ref(ref: str, home: str, by_display: dict[str, str]) -> str | None:
    """The walked file an `EnvironmentFile=` path names, or a relative one that exists."""
    if not ref.startswith("/"):
        path = os.path.normpath(os.path.join(home, ref)).replace("\\", "/")
        return by_display.get(path, path if os.path.isfile(path) else None)
    tail = ref.lstrip("/")
    for norm, display in by_display.items():
        if norm == tail or norm.endswith("/" + tail):
            return display
    beside = os.path.join(home, os.path.basename(ref)).replace("\\", "/") if home else os.path.basename(ref)
    return by_display.get(beside)




def apply(items: list[Item], classifier: Classifier, limits: Limits, options: Options) -> tuple[list[Item], Classifier]:
    """The items to scan (env files a compose file loads from outside the walk added) and a
    classifier that knows what the pre-pass found. `--environment` speaks for the whole run."""
    from dataclasses import replace

    if classifier.environment:
        return items, classifier
    within = candidates(items)
    found = kustomize_bases(items, classifier, limits, within)
    files = {k[len("file:"):]: v for k, v in found.items() if k.startswith("file:")}
    bases = {k: v for k, v in found.items() if not k.startswith("file:")}
    if files:
        classifier = replace(classifier, rules=(PathRule(files), *classifier.rules))
    if bases:
        classifier = replace(classifier, rules=(*classifier.rules, PrefixRule(bases), PathRule(bases)))
    units = systemd_targets(items, classifier, limits, within)
    if units:
        known = {i.display for i in items}
        for path in units:
            if path not in known and os.path.isfile(path):  # a relative `EnvironmentFile=` outside the walk
                items.append(Item(path, path, os.path.getsize(path)))
                within += candidates(items[-1:])
        classifier = replace(classifier, rules=(PathRule(units), *classifier.rules))
    refs = env_file_targets(items, classifier, limits, options, within)
    if refs:
        known = {i.display for i in items}
        for path in refs:
            if path not in known and os.path.isfile(path):  # a referenced file outside what was walked
                items.append(Item(path, path, os.path.getsize(path)))
        classifier = replace(classifier, rules=(PathRule(refs), *classifier.rules))
    return items, classifier
