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
from .walk import Item


def env_file_targets(items: list[Item], classifier: Classifier, limits: Limits, options: Options) -> dict[str, tuple[str, str]]:
    """Files named by `env_file:` in compose files: path -> (environment, reason).

    A compose file decides the environment of the env files it loads, so they
    are classified as part of its target (compose files are small; a file that
    cannot be parsed is reported when it is scanned).
    """
    from .classify import artifact_kind
    from .extract import structured_values

    out: dict[str, tuple[str, str]] = {}

    for item in items:
        if artifact_kind(item.display) != "compose" or item.size > (1 << 20):
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


def kustomize_bases(items: list[Item], classifier: Classifier, limits: Limits) -> dict[str, tuple[str, str]]:
    """Directories that kustomize overlays build on: dir -> (environment, reason).

    A base is production when any production overlay uses it; otherwise it takes
    the environment of the overlays that do (a base only staging uses is staging).
    The kustomization is read with the bounds every YAML kind has (depth, aliases).
    """
    from .environments import normalise
    from .extract.yamlshape import text_of
    from .formats.yamlnodes import load

    users: dict[str, list[tuple[str, str]]] = {}
    for item in items:
        name = os.path.basename(item.display)
        m = _OVERLAY.search(item.display.replace("\\", "/"))
        if name not in ("kustomization.yaml", "kustomization.yml", "Kustomization") or not m or item.size > (1 << 20):
            continue
        try:
            parsed = load(Opened(item.fs_path, limits, data=item.data).text() or b"")
            doc = parsed.tree(parsed.roots[0]) if parsed.roots else {}
        except (ReadError, NotText, ExtractError):  # unreadable or invalid: the file itself is reported when scanned
            continue
        lists = [doc.get(k) for k in ("resources", "bases", "components")] if isinstance(doc, dict) else []
        refs = [r for entries in lists if isinstance(entries, list) for r in map(text_of, entries) if r]
        env = normalise(m.group(1))
        for ref in refs:
            target = os.path.normpath(os.path.join(os.path.dirname(item.display), ref))
            if "overlays/" not in target.replace("\\", "/") + "/" and "://" not in ref:
                users.setdefault(target, []).append((env, os.path.dirname(item.display)))
    out = {}
    for base, envs in users.items():
        prod = [(e, o) for e, o in envs if classifier.is_production(e)]
        env, overlay = (prod or envs)[0]
        out[base] = (env, f"kustomize base used by the {env} overlay `{overlay}`")
    return out




def apply(items: list[Item], classifier: Classifier, limits: Limits, options: Options) -> tuple[list[Item], Classifier]:
    """The items to scan (env files a compose file loads from outside the walk added) and a
    classifier that knows what the pre-pass found. `--environment` speaks for the whole run."""
    from dataclasses import replace

    if classifier.environment:
        return items, classifier
    bases = kustomize_bases(items, classifier, limits)
    if bases:
        classifier = replace(classifier, rules=(*classifier.rules, PrefixRule(bases), PathRule(bases)))
    refs = env_file_targets(items, classifier, limits, options)
    if refs:
        known = {i.display for i in items}
        for path in refs:
            if path not in known and os.path.isfile(path):  # a referenced file outside what was walked
                items.append(Item(path, path, os.path.getsize(path)))
        classifier = replace(classifier, rules=(PathRule(refs), *classifier.rules))
    return items, classifier
