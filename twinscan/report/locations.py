"""Paths as the CI formats need them: relative to the working directory, archives split.

A file inside a container image tarball is reported as ``image.tar!/app/.env``; the
part before ``!/`` is a file on disk, the rest a member of it.
"""
from __future__ import annotations

import os
import posixpath
from urllib.parse import quote

from ..site import is_url

ARCHIVE_SEP = "!/"


def split_archive(path: str) -> tuple[str, str | None]:
    """``image.tar!/app/.env`` -> (``image.tar``, ``app/.env``); a plain path -> (path, None)."""
    outer, sep, inner = path.partition(ARCHIVE_SEP)
    return (outer, inner) if sep and outer else (path, None)


def _inside_cwd(path: str) -> str | None:
    """``path`` relative to the working directory (``/`` separated), or None when outside it."""
    try:
        cwd = os.getcwd()
        absolute = os.path.abspath(path)
        if os.path.commonpath([cwd, absolute]) != cwd:
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
    """The path CI systems match against repository files: relative to the working directory
    when the file is inside it, otherwise absolute (``/`` separated)."""
    if is_url(path):  # a site scan's resource: the URL it was fetched from
        return path
    outer, inner = split_archive(path)
    rel = _relative(outer)
    if rel is None:
        rel = os.path.abspath(outer).replace(os.sep, "/")
    return rel if inner is None else rel + ARCHIVE_SEP + inner


def _encode(path: str) -> str:
    """Percent-encode every segment: only RFC 3986 unreserved characters stay literal."""
    return "/".join(quote(seg, safe="") for seg in path.split("/"))


def artifact_uri(path: str) -> tuple[str, bool]:
    """(URI, relative?) for a reported path.

    Relative URIs are relative to the working directory (SARIF's ``%SRCROOT%``); a file
    outside it gets an absolute ``file://`` URI. The ``!`` of an archive member is encoded
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
    uri = "file://" + quote(absolute, safe="/")
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
