"""The artifact kinds, listed once. Classification and dispatch derive from this list.

Each name is a module of this package exposing ``KIND`` (see kind.py); order is claim
order: the first kind that claims a path is its kind (compose and workflow YAML before
Kubernetes, which claims any YAML). A path no kind claims is ``text``. A kind module
imports nothing heavy at module level (PyYAML, tree-sitter, tomllib are imported by its
extractor), so classifying a path stays cheap. Adding a kind is adding its module here.

Classifying needs only each kind's claims, not its module: importing the 23 kind modules was
a quarter of a pre-commit run on three files (issue 14). What :func:`kind_of`, :func:`kind_tails`
and :func:`is_structured` read is a table (:func:`claims`) computed from the KINDs once and kept
in the user cache directory, keyed by the sizes and modification times of this package's
source files, as Python keys its bytecode; a kind module is imported when its kind is asked
for (:func:`get`): its sniff, its extractor, its annotator.
"""
from __future__ import annotations

import functools
import importlib
import re
from typing import Callable

from .kind import Claim, Kind, normalise_path

MODULES = (
    "dotenv", "dockerfile", "compose", "workflows", "fly", "netlify", "wrangler", "heroku", "render", "vercel",
    "systemd", "serverless", "terraform", "sam", "cloudrun", "ecs",  # deploy platforms (generic names claimed by content)
    "kubernetes", "nginx",
    "javascript", "html", "sourcemap", "image", "text",
)
FALLBACK = "text"


@functools.lru_cache(maxsize=1)
def kinds() -> tuple[Kind, ...]:
    return tuple(get(name) for name in MODULES)


@functools.lru_cache(maxsize=None)
def get(name: str) -> Kind:
    """The kind called *name* (KeyError for an unknown kind); imports its module only."""
    if name not in MODULES:
        raise KeyError(name)
    kind = importlib.import_module(f"{__package__}.{name}").KIND
    if kind.name != name:
        raise AssertionError(f"extract/{name}.py declares kind {kind.name!r}: a kind is named after its module")
    return kind


def claims_of(all_kinds: tuple[Kind, ...]) -> tuple[Claim, ...]:
    """The claim table of *all_kinds*, in claim order: the reference the cache keeps."""
    return tuple(k.claim() for k in all_kinds)


@functools.lru_cache(maxsize=1)
def claims() -> tuple[Claim, ...]:
    """The claim table of every kind: from the cache when this package's sources have not
    changed since it was written, else from the kind modules (and then cached)."""
    from .claimcache import locate, read, write

    key, path = locate()
    table = read(path, key, MODULES) if path is not None else None
    if table is None:
        table = claims_of(kinds())
        if path is not None:
            write(path, key, table)
    return table


@functools.lru_cache(maxsize=None)
def _path_chain(start: int) -> re.Pattern | None:
    """The path claims of the kinds from *start* on, as one expression with a group per kind
    (``k<index>``), alternatives in claim order, `fullmatch`ed on the whole normalised path
    (claims by directory, such as `.github/workflows/`). With :func:`_name_chain`, the lower kind
    index of the two matches is the first kind whose globs claim the path and whose excludes do
    not take it back; sniffs are left to :func:`kind_of`. ``Kind.claims`` stays the reference;
    a test compares the two."""
    paths = [f"(?P<k{index}>{claim.path_rx})" for index, claim in enumerate(claims()[start:], start)
             if claim.path_rx is not None]
    return re.compile("|".join(paths), re.DOTALL) if paths else None


@functools.lru_cache(maxsize=1024)
def _name_chain(start: int, ext: str) -> re.Pattern | None:
    """The name claims of the kinds from *start* on, as :func:`_path_chain` joins path claims
    (`fullmatch`ed on the base name; most claims), keeping only the kinds whose claims can end
    a name whose extension is *ext* (:func:`_may_end`): for `chunk.3f9a.js`, five kinds instead
    of twenty-three, and none of the `*.yaml` alternatives that scan the name to its end and back.
    Two matches per file instead of two per kind: classifying was a third of the per-file cost
    of a 50,000-file tree."""
    names = [f"(?P<k{index}>{claim.name_rx})" for index, claim in enumerate(claims()[start:], start)
             if claim.name_rx is not None and _may_end(claim.tails, ext)]
    return re.compile("|".join(names), re.DOTALL) if names else None


def _may_end(tails: tuple[str, ...] | None, ext: str) -> bool:
    """Whether a name whose extension (after its last `.`; the whole name without one) is *ext*
    can end with one of *tails* (None: any ending). A tail with a `.` fixes the extension;
    one without must end it."""
    if tails is None:
        return True
    for tail in tails:
        dot = tail.rfind(".")
        if tail[dot + 1:] == ext if dot >= 0 else ext.endswith(tail):
            return True
    return False


@functools.lru_cache(maxsize=None)
def _path_folders(start: int, structured: bool = False) -> tuple[str, ...] | None:
    """The literal folders one of which every path claimed by path holds (Kind.path_folders) for
    the kinds from *start* on (*structured*: the structured ones only), or None when some kind's
    path claims have none."""
    out: list[str] = []
    for claim in claims()[start:]:
        if claim.path_rx is not None and (claim.structured or not structured):
            if claim.folders is None:
                return None
            out += claim.folders
    return tuple(out)


@functools.lru_cache(maxsize=4096)
def _may_claim_folder(start: int, folder: str, structured: bool = False) -> bool:
    """Whether a path in *folder* (with its final `/`) holds one of :func:`_path_folders`: one
    answer per directory, not per file. Each of them ends with a `/`, so it lies in the folder."""
    folders = _path_folders(start, structured)
    return folders is None or any(f in folder for f in folders)


def kind_of(path: str, head: Callable[[], bytes] | None = None) -> str:
    """The kind of the file at *path*: the first kind that claims it, else text.
    *head* gives the file's first bytes, for kinds that claim a generic name by content;
    without it a claim that needs a sniff is passed over.

    The name is matched against the kinds that can claim its extension only, and the path
    against the path claims only in a directory that holds one of their literal folders: the
    answer of matching every claim, at ~2 µs instead of ~6 for a file of a 50,000-chunk tree (a test
    compares it with each kind's own claim on every fixture path)."""
    p = normalise_path(path)
    slash = p.rfind("/")
    name = p[slash + 1:]
    dot = name.rfind(".")
    ext = name[dot + 1:] if dot >= 0 else name
    start = 0
    table = claims()
    while True:
        by_name = _name_chain(start, ext)
        m = by_name.fullmatch(name) if by_name is not None else None
        index = _INDEX[m.lastgroup] if m is not None else len(table)  # type: ignore[index]
        by_path = _path_chain(start)
        m = by_path.fullmatch(p) if by_path is not None and _may_claim_folder(start, p[:slash + 1]) else None
        if m is not None:
            index = min(index, _INDEX[m.lastgroup])  # type: ignore[index]
        if index == len(table):
            return FALLBACK
        claim = table[index]
        if not claim.sniff or (head is not None and get(claim.name).sniff(head())):  # type: ignore[misc]
            return claim.name
        start = index + 1


def may_be_structured(path: str) -> bool:
    """Whether :func:`kind_of` could name a structured kind (:func:`is_structured`) for *path*:
    False when no structured kind's claim takes its name or its path, whatever kinds come first
    or their sniffs say. One match of the structured kinds' claims instead of :func:`kind_of`
    for most files of a tree of chunks, whose clean files need only this answer (issue 14)."""
    p = normalise_path(path)
    slash = p.rfind("/")
    name = p[slash + 1:]
    dot = name.rfind(".")
    by_name = _structured_names(name[dot + 1:] if dot >= 0 else name)
    if by_name is not None and by_name.fullmatch(name):
        return True
    by_path = _structured_paths()
    return by_path is not None and _may_claim_folder(0, p[:slash + 1], True) and by_path.fullmatch(p) is not None


@functools.lru_cache(maxsize=1024)
def _structured_names(ext: str) -> re.Pattern | None:
    """The name claims of the structured kinds that can end a name whose extension is *ext*, as one expression."""
    names = [claim.name_rx for claim in claims() if claim.structured and claim.name_rx is not None and _may_end(claim.tails, ext)]
    return re.compile("|".join(f"(?:{n})" for n in names), re.DOTALL) if names else None


@functools.lru_cache(maxsize=None)
def _structured_paths() -> re.Pattern | None:
    """The path claims of the structured kinds, as one expression."""
    paths = [claim.path_rx for claim in claims() if claim.structured and claim.path_rx is not None]
    return re.compile("|".join(f"(?:{p})" for p in paths), re.DOTALL) if paths else None


#: A group name of :func:`_name_chain` and :func:`_path_chain` (``k<index>``) → the index: a dict look-up per file, not an int() parse.
_INDEX = {f"k{i}": i for i in range(len(MODULES))}


def is_kind(path: str, name: str) -> bool:
    """Whether *path* is of kind *name* (without a sniff): the kind's own claim first, which
    rules out almost every file of a tree for the price of one match (the pre-passes ask this
    of every walked file)."""
    tails = kind_tails(name)
    if tails is not None and not normalise_path(path).endswith(tails):
        return False
    return get(name).claims(path) and kind_of(path) == name


@functools.lru_cache(maxsize=None)
def kind_tails(name: str) -> tuple[str, ...] | None:
    """The literal endings of every path kind *name* claims (:meth:`Kind.tails`), or None."""
    return _claim(name).tails


@functools.lru_cache(maxsize=None)
def is_structured(name: str) -> bool:
    """Whether the kind's files assign values that carry environments (it has an extractor)."""
    try:
        return _claim(name).structured
    except KeyError:
        return False


def _claim(name: str) -> Claim:
    """The claim of the kind called *name* (KeyError for an unknown kind)."""
    for claim in claims():
        if claim.name == name:
            return claim
    raise KeyError(name)


def label(name: str) -> str:
    """How messages name a kind's format ("cannot parse as …")."""
    try:
        return get(name).label or name
    except KeyError:
        return name
