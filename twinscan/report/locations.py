"""Paths as the CI formats need them: relative to the repository, archives split.

CI systems attach a path to a file of the repository, so paths are written relative to
the repository root (:func:`root`): ``$GITHUB_WORKSPACE``, ``$CI_PROJECT_DIR``, else the git
top level, whichever holds the working directory (else the working directory itself). Run
from ``frontend/``, ``dist/app.js`` is written ``frontend/dist/app.js``.

A file inside a container image tarball is reported as ``image.tar!/app/.env``; the
part before ``!/`` is a file on disk, the rest a member of it.
"""
from __future__ import annotations

import os
import posixpath

from ..site import is_url

ARCHIVE_SEP = "!/"


def split_archive(path: str) -> tuple[str, str | None]:
    """``image.tar!/app/.env`` -> (``image.tar``, ``app/.env``); a plain path -> (path, None)."""
    outer, sep, inner = path.partition(ARCHIVE_SEP)
    return (outer, inner) if sep and outer else (path, None)


def _inside(base: str, path: str) -> bool:
    try:
        return os.path.commonpath([base, path]) == base
    except ValueError:  # another drive on Windows
        return False


def _git_top(start: str) -> str | None:
    d = start
    while True:
        if os.path.exists(os.path.join(d, ".git")):
            return d
        parent = os.path.dirname(d)
        if parent == d:
            return None
        d = parent


def root() -> str:
    """The directory CI paths are relative to: ``$GITHUB_WORKSPACE``, ``$CI_PROJECT_DIR`` or the
    git top level, the first that holds the working directory; else the working directory."""
    cwd = os.getcwd()
    for env in ("GITHUB_WORKSPACE", "CI_PROJECT_DIR"):
        value = os.environ.get(env)
        if value:
            base = os.path.realpath(value)
            if _inside(base, os.path.realpath(cwd)):
                return _logical(cwd, os.path.realpath(cwd), base)
    top = _git_top(cwd)
    return top if top is not None else cwd


def _logical(cwd: str, real_cwd: str, real_base: str) -> str:
    """``real_base`` seen from ``cwd`` (which may be reached through a symlink): the ancestor
    of ``cwd`` that is as many levels up as ``real_base`` is above ``real_cwd``."""
    depth = 0 if real_cwd == real_base else os.path.relpath(real_cwd, real_base).count(os.sep) + 1
    base = cwd
    for _ in range(depth):
        base = os.path.dirname(base)
    return base


def _inside_cwd(path: str) -> str | None:
    """``path`` relative to :func:`root` (``/`` separated), or None when outside it."""
    try:
        cwd = root()
        absolute = os.path.abspath(path)
        if not _inside(cwd, absolute):
            return None
        rel = os.path.relpath(absolute, cwd)
    except (OSError, ValueError):  # vanished cwd; another drive on Windows
        return None
    return rel.replace(os.sep, "/")


def _relative(outer: str) -> str | None:
    if outer.startswith("<"):  # <stdin>
        return outer
    rel = _inside_cwd(outer)
    return None if rel in ("", ".") else rel


def display_path(path: str) -> str:
    """The path CI systems match against repository files: relative to :func:`root` when the
    file is inside it, otherwise absolute (``/`` separated)."""
    if is_url(path):  # a site scan's resource: the URL it was fetched from
        return path
    outer, inner = split_archive(path)
    rel = _relative(outer)
    if rel is None:
        rel = os.path.abspath(outer).replace(os.sep, "/")
    return rel if inner is None else rel + ARCHIVE_SEP + inner


def display_paths():
    """:func:`display_path` for one report: each path is resolved once however many findings
    it has (finding the repository root costs a walk up the directory tree)."""
    memo: dict[str, str] = {}

    def display(path: str) -> str:
        shown = memo.get(path)
        if shown is None:
            shown = memo[path] = display_path(path)
        return shown

    return display


def _encode(path: str) -> str:
    """Percent-encode every segment: only RFC 3986 unreserved characters stay literal. A name
    that is not UTF-8 keeps its own bytes (``caf\xe9.js`` -> ``caf%E9.js``)."""
    from urllib.parse import quote  # here, not at the top: roles.py imports this module for root(), in every worker

    from .present import raw_bytes

    return "/".join(quote(raw_bytes(seg), safe="") for seg in path.split("/"))


def artifact_uri(path: str) -> tuple[str, bool]:
    """(URI, relative?) for a reported path.

    Relative URIs are relative to :func:`root` (SARIF's ``%SRCROOT%``); a file outside it gets an
    absolute ``file://`` URI. The ``!`` of an archive member is encoded
    as ``%21`` like every other reserved character, so the URI is one valid reference.
    """
    if is_url(path):  # a site scan's resource: the URL is the artifact's location
        return path, False
    outer, inner = split_archive(path)
    rel = _relative(outer)
    if rel is not None:
        return _encode(rel if inner is None else rel + ARCHIVE_SEP + inner), True
    absolute = os.path.abspath(outer).replace(os.sep, "/")
    if not absolute.startswith("/"):  # C:/x -> /C:/x
        absolute = "/" + absolute
    from urllib.parse import quote

    from .present import raw_bytes

    uri = "file://" + quote(raw_bytes(absolute), safe="/")
    if inner is not None:
        uri += "%21/" + _encode(inner)
    return uri, False


def source_path(origin_path: str, map_path: str, finding_path: str) -> str:
    """Where a source map's source lives, as a path: resolved against the map's directory
    (or the built file's, for an inline map). ``webpack://app/./src/x.js`` keeps its
    scheme-less tail (``app/src/x.js``)."""
    p = origin_path
    if "://" in p:
        p = p.split("://", 1)[1]
        return posixpath.normpath(p.lstrip("/")) or origin_path
    if p.startswith("/"):
        return p
    base = finding_path if map_path.startswith("<") else map_path
    return posixpath.normpath(posixpath.join(posixpath.dirname(base.replace(os.sep, "/")), p))
