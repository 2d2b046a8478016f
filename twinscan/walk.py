"""Walk the named paths: regular files only, excludes applied, symlink loops never followed.

A symbolic link inside a walked directory is part of the artifact when it stays inside the
tree that was named (`dist/latest -> v2/`): it is followed like any file or directory. A link
that leaves the tree (`dist/x -> /proc/self/environ`, `-> ../../secrets`) is never read
unless --follow-symlinks asks for it; it is reported as not scanned, which makes a
production scan incomplete. Loops are detected either way.
"""
from __future__ import annotations

import operator
import os
import stat
from dataclasses import dataclass, field
from typing import Iterator, NamedTuple, Sequence

from .globs import gitignore_spec

#: Directories skipped inside a walked tree unless --no-default-excludes:
#: dependencies and caches are not what a deploy ships as built output.
DEFAULT_EXCLUDE_DIRS = frozenset({".git", ".hg", ".svn", "node_modules", "__pycache__", ".venv", ".tox"})
DEFAULT_EXCLUDE_PATHS = (".next/cache",)  # by path suffix


#: The size of a file the walk found by its directory entry alone: a stat per file was most of
#: the walk of a 50,000-file tree (issue 14); the scan learns the size from the open file.
UNKNOWN_SIZE = -1


class Item(NamedTuple):
    """A file to scan. A tuple, not a frozen dataclass: the walk of a 50,000-file tree makes one
    per file, and a frozen dataclass's __init__ cost four times as much."""

    display: str  # the path as the user named it, joined with the path inside
    fs_path: str
    size: int  # UNKNOWN_SIZE until someone asks (see sized())
    data: bytes | None = None  # standard input, read into memory


#: The walk makes one Item per file (50,000 for a tree of chunks): built as the tuple it is, it
#: costs ~0.1 µs instead of ~0.2 through the NamedTuple's generated __new__ (issue 14).
_new = tuple.__new__
_NAME = operator.attrgetter("name")


def sized(item: Item) -> Item:
    """*item* with its size known (a stat when the walk did not take one). Raises OSError."""
    if item.size >= 0:
        return item
    return Item(item.display, item.fs_path, os.stat(item.fs_path).st_size, item.data)


@dataclass(frozen=True)
class Note:
    """Something the walk met instead of a file to scan: a dangling link, a FIFO, an unreadable directory."""

    path: str
    reason: str
    error: bool = False  # True: could not be read (counts toward an incomplete scan)
    read_elsewhere: bool = False  # True: its content is scanned under another path (a link loop)


@dataclass
class Walker:
    """The files under the named paths, in a stable order, minus excludes, ignore files and (optionally) .gitignore."""

    excludes: Sequence[str] = ()
    ignore_files: Sequence[tuple[str, Sequence[str]]] = ()  # (directory, patterns) from .twinscanignore
    respect_gitignore: bool = False
    follow_symlinks: bool = False  # also follow links that leave the named tree
    default_excludes: bool = True
    notes: list[Note] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._exclude = None
        self._ignores: list = []
        if self.excludes or self.ignore_files or self.respect_gitignore:
            self._exclude = gitignore_spec(self.excludes)
            self._ignores = [(os.path.abspath(d), self._lenient(p)) for d, p in self.ignore_files]

    def _lenient(self, lines: list[str]):
        """An ignore file's patterns as git reads them: a line that is not a valid pattern
        (`[z-a]`, a trailing `\\`) is skipped, never a crash. Skipping it scans more, not less."""
        try:
            return gitignore_spec(lines)
        except Exception:  # noqa: BLE001 - pathspec raises several types for one bad line
            return gitignore_spec([line for line in lines if glob_problem(line) is None or
                                                      line.lstrip().startswith("#") or not line.strip()])

    def _ignored(self, abspath: str, rel: str, name: str, is_dir: bool, git: list) -> bool:
        if is_dir and self.default_excludes and (
            name in DEFAULT_EXCLUDE_DIRS or any(("/" + rel).endswith("/" + p) for p in DEFAULT_EXCLUDE_PATHS)
        ):
            return True
        suffix = "/" if is_dir else ""
        if self._exclude is not None and rel and self._exclude.match_file(rel + suffix):
            return True
        for base, spec in self._ignores + git:
            if abspath.startswith(base + os.sep) and spec.match_file(os.path.relpath(abspath, base).replace(os.sep, "/") + suffix):
                return True
        return False

    def walk(self, roots: Sequence[str]) -> Iterator[Item]:
        for root in roots:
            yield from self._walk_root(root)

    def _walk_root(self, root: str) -> Iterator[Item]:
        try:
            st = os.stat(root)  # named paths are followed
        except FileNotFoundError:
            self.notes.append(Note(root, "no such file or directory", error=True))
            return
        except OSError as exc:
            self.notes.append(Note(root, f"cannot access: {exc.strerror}", error=True))
            return
        if stat.S_ISREG(st.st_mode):
            yield Item(os.path.normpath(root), root, st.st_size)
            return
        if not stat.S_ISDIR(st.st_mode):
            self.notes.append(Note(root, "not a regular file (FIFO, socket or device): not opened"))
            return
        git = self._gitignores_above(root) if self.respect_gitignore else []
        self._tree = os.path.realpath(root)
        yield from self._walk_dir(root, root, "", {(st.st_dev, st.st_ino)}, git)

    def _leaves_tree(self, link: str) -> str | None:
        """The target of a link that resolves outside the named tree (as the link says it), else None."""
        real = os.path.realpath(link)
        if real == self._tree or real.startswith(self._tree.rstrip(os.sep) + os.sep):
            return None
        try:
            return os.readlink(link)
        except OSError:
            return real

    def _gitignores_above(self, root: str) -> list:
        out = []
        d = os.path.abspath(root)
        while True:
            if os.path.exists(os.path.join(d, ".gitignore")) and d != os.path.abspath(root):
                out.append(self._load_gitignore(d))
            if os.path.exists(os.path.join(d, ".git")) or os.path.dirname(d) == d:
                break
            d = os.path.dirname(d)
        return [g for g in out if g]

    def _load_gitignore(self, d: str):
        d = os.path.abspath(d)
        try:
            with open(os.path.join(d, ".gitignore"), encoding="utf-8", errors="replace") as f:
                return (d, self._lenient(f.read().splitlines()))
        except OSError:
            return None

    def _walk_dir(self, root: str, path: str, rel: str, ancestors: set, git: list) -> Iterator[Item]:
        if self.respect_gitignore:
            g = self._load_gitignore(path) if os.path.exists(os.path.join(path, ".gitignore")) else None
            git = git + [g] if g else git
        try:
            with os.scandir(path) as it:
                entries = sorted(it, key=_NAME)
        except OSError as exc:
            self.notes.append(Note(os.path.normpath(path), f"cannot list directory: {exc.strerror}", error=True))
            return
        # the display path of every entry is this directory's plus its name (a name holds no `/`
        # and is never `.` or `..`): one normpath per directory, not one per file
        here = os.path.normpath(os.path.join(root, rel)) if rel else os.path.normpath(root)
        prefix = "" if here == "." else here if here.endswith(os.sep) else here + os.sep  # os.path.join's rule
        checks = self._exclude is not None or self._ignores or git  # else only directories are ever ignored
        for entry in entries:
            name = entry.name
            display = prefix + name
            try:  # a regular file by its directory entry (no stat): most entries of a build
                plain = entry.is_file(follow_symlinks=False)
            except OSError:
                plain = False
            if plain:
                if checks and self._ignored(os.path.abspath(entry.path), f"{rel}/{name}" if rel else name, name, False, git):
                    continue
                yield _new(Item, (display, entry.path, UNKNOWN_SIZE, None))  # Item(…) without its Python-level __new__
                continue
            try:
                st = entry.stat(follow_symlinks=True)
                outside = self._leaves_tree(entry.path) if entry.is_symlink() and not self.follow_symlinks else None
            except FileNotFoundError:
                self.notes.append(Note(display, "dangling symbolic link" if entry.is_symlink() else "vanished during the walk"))
                continue
            except OSError as exc:
                self.notes.append(Note(display, f"cannot access: {exc.strerror}", error=True))
                continue
            erel = f"{rel}/{name}" if rel else name
            is_dir = stat.S_ISDIR(st.st_mode)
            if (checks or is_dir) and self._ignored(os.path.abspath(entry.path), erel, name, is_dir, git):
                continue
            if outside is not None:  # never opened: it could be /proc/self/environ or a file outside the build
                self.notes.append(Note(display, f"symbolic link to {outside}, outside the scanned tree: not read "
                                                "(--follow-symlinks reads it)", error=True))
                continue
            if is_dir:
                key = (st.st_dev, st.st_ino)
                if key in ancestors:
                    self.notes.append(Note(display, "symbolic link loop: not followed again", read_elsewhere=True))
                    continue
                yield from self._walk_dir(root, entry.path, erel, ancestors | {key}, git)
            elif stat.S_ISREG(st.st_mode):
                yield Item(display, entry.path, st.st_size)
            else:
                self.notes.append(Note(display, "not a regular file (FIFO, socket or device): not opened"))


def glob_problem(pattern: str) -> str | None:
    """Why ``pattern`` is not a usable gitignore-syntax glob (it would match nothing, or does
    not compile), or None. Git silently ignores such lines; an `--exclude` or `ignore:` entry
    that does nothing must be an error, not a surprise.

    `**` next to other characters (`a/**b`) is valid: git reads it as `*`.
    """
    if not pattern.strip():
        return "is empty"
    if pattern.startswith("#"):
        return "starts with `#`, which gitignore syntax reads as a comment (write `\\#` for a literal #)"
    body = pattern.removeprefix("!")
    if not body.strip() or not body.strip("/"):
        return "names no path"
    i = 0
    while i < len(body):
        c = body[i]
        if c == "\\":
            if i == len(body) - 1:
                return "ends with a lone `\\` (write `\\\\` for a literal backslash)"
            i += 2
            continue
        if c == "[":
            j = i + 1
            if j < len(body) and body[j] in "!^":
                j += 1
            if j < len(body) and body[j] == "]":  # a `]` first in the class is literal
                j += 1
            members = []
            while j < len(body) and body[j] != "]":
                if body[j] == "\\" and j + 1 < len(body):
                    j += 1
                members.append(body[j])
                j += 1
            if j >= len(body):
                return "has a `[` that is never closed (write `\\[` for a literal bracket)"
            for k in range(1, len(members) - 1):
                if members[k] == "-" and members[k - 1] > members[k + 1]:
                    return f"has the character range `{members[k - 1]}-{members[k + 1]}`, which is backwards"
            i = j + 1
            continue
        i += 1

    try:
        spec = gitignore_spec([pattern])
    except Exception:  # noqa: BLE001 - pathspec raises several types; the message below is ours
        return "is not valid gitignore syntax"
    if not any(getattr(p, "include", None) is not None for p in spec.patterns):
        return "matches no path"
    return None
