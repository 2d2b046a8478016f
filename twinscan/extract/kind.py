"""What an artifact kind declares: the files it claims, and how its hits get key and context.

Each kind is one module in this package whose ``KIND = Kind(...)`` says

* which files it claims: exact base names and globs (``*.env``, ``compose.*.yaml``), or path
  globs with a ``/`` (``.github/workflows/**/*.yml``), all matched case-insensitively
  against the path without a compression suffix; ``exclude`` globs take files back;
  ``sniff`` (first bytes → bool) settles a generic name by content when the caller can
  give the head of the file, and a claim with a sniff is skipped when it cannot;
* ``values``: the structured extractor (``values(data, path, options) -> list[Value]``,
  see values.py), for kinds whose files assign values with environments;
* ``annotate``: key and context of hits when there are no values (JavaScript, HTML, text);
* ``hook``: the globs of the files a commit hook should check, when narrower than the claim
  (a Kubernetes manifest is any YAML, but only YAML where deploy configuration lives is
  deploy configuration); empty for build output;
* ``name_env``: whether a file name such as `config.staging.json` names the file's environment
  (kinds whose extractor reads environments from the name or content themselves say no);
* ``path_env``: the environment a file's directories name, for kinds laid out per environment
  (a kustomize overlay `overlays/staging/`).

The registry (``twinscan.extract.registry``) lists the kind modules once, in claim order.
This module imports nothing heavy: classification imports every KIND.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable, NamedTuple

COMPRESSED = (".gz", ".br", ".zst", ".xz", ".bz2")
_SPECIAL = set(".^$+()[]|\\")


def base_name(path: str) -> str:
    """The file name, lower case, without a compression suffix (`app.js.gz` → `app.js`)."""
    name = path[path.replace("\\", "/").rfind("/") + 1:].lower()
    if not name.endswith(COMPRESSED):  # one C call for the common case (every file of a tree)
        return name
    for ext in COMPRESSED:
        if name.endswith(ext) and len(name) > len(ext):
            return name[: -len(ext)]
    return name


def normalise_path(path: str) -> str:
    """The path as claims see it: `/` separators, lower case, no compression suffix."""
    p = path.replace("\\", "/").lower()
    if not p.endswith(COMPRESSED):  # one C call for the common case (every file of a tree)
        return p
    for ext in COMPRESSED:
        if p.endswith(ext) and len(p) - len(ext) > p.rfind("/") + 1:
            return p[: -len(ext)]
    return p


def glob_regex(glob: str) -> str:
    """A claim glob as a regular expression on a path (Python `re`, as pre-commit uses):
    `*` is any run of characters but `/`, `?` one of them, `**/` any directories, `{a,b}`
    either alternative (not nested). A glob with no `/` is a base name; either way it is
    anchored at a path component."""
    out = []
    i = 0
    while i < len(glob):
        if glob[i] == "{":  # {yml,yaml}: one of the alternatives
            end = glob.index("}", i)
            out.append("(?:" + "|".join(glob_regex(a)[len("(?:^|/)"):-1] for a in glob[i + 1:end].split(",")) + ")")
            i = end + 1
        elif glob.startswith("**/", i):
            out.append("(?:[^/]+/)*")
            i += 3
        elif glob[i] == "*":
            out.append("[^/]*")
            i += 1
        elif glob[i] == "?":
            out.append("[^/]")
            i += 1
        else:
            out.append("\\" + glob[i] if glob[i] in _SPECIAL else glob[i])
            i += 1
    return "(?:^|/)" + "".join(out) + "$"


def _braces(glob: str) -> list[str]:
    """A glob with its `{a,b}` alternatives spelled out (not nested, as glob_regex reads them)."""
    i = glob.find("{")
    if i < 0:
        return [glob]
    end = glob.index("}", i)
    return [a for alt in glob[i + 1:end].split(",") for a in _braces(glob[:i] + alt + glob[end + 1:])]


def _name(glob: str) -> str:
    """A base-name claim glob as an expression that `fullmatch`es a base name."""
    return glob_regex(glob.lower())[len("(?:^|/)"):-1]


def _anywhere(glob: str) -> str:
    """A claim glob as an expression that `fullmatch`es a whole normalised path: anchored at any
    path component, as :func:`glob_regex` is with `search`."""
    return "(?:.*/)?" + _name(glob)


class _Matcher:
    """Globs compiled for speed: base-name globs by one `fullmatch` on the name, path globs
    (with a `/`) by a search on the path (classification runs once per file of a tree)."""

    def __init__(self, globs: tuple[str, ...]) -> None:
        globs = tuple(g.lower() for g in globs)  # paths are matched lower-cased
        names = [glob_regex(g)[len("(?:^|/)"):-1] for g in globs if "/" not in g]
        paths = [glob_regex(g) for g in globs if "/" in g]
        self.names = re.compile("|".join(names)) if names else None
        self.paths = re.compile("|".join(f"(?:{p})" for p in paths)) if paths else None

    def __call__(self, path: str, name: str) -> bool:
        return bool(self.names is not None and self.names.fullmatch(name)
                    or self.paths is not None and self.paths.search(path))


class Claim(NamedTuple):
    """What classifying needs of a kind (:meth:`Kind.claim`), plain data that JSON keeps as it
    is: the registry reads a table of these from the user cache instead of importing the kinds."""
    name: str
    name_rx: str | None  # Kind.claim_regexes
    path_rx: str | None
    sniff: bool  # the claim is settled by the file's head (the kind's module is imported to sniff)
    tails: tuple[str, ...] | None  # Kind.tails
    structured: bool
    folders: tuple[str, ...] | None  # Kind.path_folders


@dataclass(frozen=True)
class Kind:
    """A kind of artifact: the files it claims (by name, path or first bytes) and the module that reads them."""

    name: str  # the kind, equal to its module's name
    globs: tuple[str, ...] = ()  # claimed files: base-name globs, or path globs with a `/`
    exclude: tuple[str, ...] = ()  # globs taken back from the claim
    sniff: Callable[[bytes], bool] | None = None  # generic names: claimed only when the head says so
    values: Callable | None = None  # structured extractor
    annotate: Callable | None = None  # key/context of hits without values
    hook: tuple[str, ...] | None = None  # commit-hook globs; None: the claim itself
    label: str = ""  # how messages name the format ("cannot parse as …"); default: the name
    #: the file name names the file's environment: "part" (`config.staging.json`, `settings.dev.yaml`),
    #: "stem" (also a file named after the environment alone: `config/staging.json`), "" (no).
    name_env: str = ""
    #: the environment the path's directories give every file of the kind, or None: a file in a kustomize
    #: overlay `overlays/staging/` is staging, including what no extracted value covers (an inline patch).
    path_env: Callable[[str], tuple[str, str] | None] | None = None
    _claim: _Matcher | None = field(default=None, init=False, repr=False, compare=False)
    _exclude: _Matcher | None = field(default=None, init=False, repr=False, compare=False)


    def claim_regexes(self) -> tuple[str | None, str | None]:
        """:meth:`claims` without the sniff as two expressions, either may be None: one whose
        `fullmatch` on the base name claims by name, one whose `fullmatch` on the normalised path
        (lower case, `/`) claims by path. The registry joins each kind's, in claim order, to
        classify a path with two matches instead of two per kind."""
        names = [_name(g) for g in self.globs if "/" not in g]
        paths = [_anywhere(g) for g in self.globs if "/" in g]
        if any("/" in g for g in self.exclude):  # a path exclude: the whole claim is judged on the path
            paths, names = [_anywhere(g) for g in self.globs], []
        name_rx = path_rx = None
        if names:
            skip = "".join(f"(?!(?:{_name(g)})$)" for g in self.exclude)
            name_rx = skip + "(?:" + "|".join(names) + ")"
        if paths:
            skip = "(?!(?:" + "|".join(_anywhere(g) for g in self.exclude) + ")$)" if self.exclude else ""
            path_rx = skip + "(?:" + "|".join(paths) + ")"
        return name_rx, path_rx

    def claim(self) -> Claim:
        return Claim(self.name, *self.claim_regexes(), self.sniff is not None, self.tails(), self.structured,
                     self.path_folders())

    def path_folders(self) -> tuple[str, ...] | None:
        """For each glob of the path expression of :meth:`claim_regexes`, a run of its literal
        characters up to a `/` (`.github/workflows/`, `nginx/`, `.service.d/`) that every path it
        claims holds; None when a glob has none. () without a path expression. A path holding
        none of them is not claimed by path, and needs no match (most files of a tree)."""
        path_globs = self.globs if any("/" in g for g in self.exclude) else [g for g in self.globs if "/" in g]
        out: list[str] = []
        for glob in path_globs:
            for alt in _braces(glob.lower()):
                runs = [r[:r.rfind("/") + 1] for r in re.split(r"[*?\[\]]", alt) if "/" in r]
                if not runs:
                    return None
                out.append(max(runs, key=len))
        return tuple(dict.fromkeys(out))

    def tails(self) -> tuple[str, ...] | None:
        """The literal endings every path this kind claims has (`.service`, `.conf`), or None
        when a glob ends in a wildcard: a reject in one `endswith` before matching the globs."""
        out: list[str] = []
        for glob in self.globs:
            for alt in _braces(glob.lower()):
                tail = alt[max(alt.rfind(c) for c in "*?]/") + 1:]
                if not tail or alt.endswith("/"):
                    return None
                out.append(tail)
        return tuple(out) or None

    @property
    def structured(self) -> bool:
        return self.values is not None

    @property
    def hook_globs(self) -> tuple[str, ...]:
        return self.globs if self.hook is None else self.hook

    def claims(self, path: str, head: Callable[[], bytes] | None = None) -> bool:
        """Whether this kind claims *path* (display path; compression suffix ignored)."""
        return self.claims_normalised(normalise_path(path), head)

    def claims_normalised(self, p: str, head: Callable[[], bytes] | None = None) -> bool:
        """:meth:`claims` for a path already passed through :func:`normalise_path`."""
        if self._claim is None:  # compiled on first use: classifying goes through the registry's joined expressions
            object.__setattr__(self, "_claim", _Matcher(self.globs))
            object.__setattr__(self, "_exclude", _Matcher(self.exclude))
        name = p[p.rfind("/") + 1:]
        if not self._claim(p, name) or self._exclude(p, name):  # type: ignore[misc]
            return False
        if self.sniff is not None:
            return head is not None and self.sniff(head())
        return True
