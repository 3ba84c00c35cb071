"""Finding the files to lint: walk, exclude, stay inside the root, and the byte prefilter."""

from __future__ import annotations

import codecs
import errno
import fnmatch
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

KIND_BY_SUFFIX = {
    ".yaml": "yaml",
    ".yml": "yaml",
    ".py": "python",
    ".sh": "shell",
    ".bash": "shell",
    ".ipynb": "notebook",
}
#: Every file kind: the YAML/Python/shell sources and the text kinds of sources/textfile.py.
FILE_KINDS = (
    "yaml",
    "python",
    "shell",
    "requirements",
    "pyproject",
    "setupcfg",
    "containerfile",
    "notebook",
)
KIND_BY_NAME = {
    "Kustomization": "yaml",
    # dependency declarations (text sources, read only when an enabled rule has triggers for them)
    "pyproject.toml": "pyproject",
    "setup.cfg": "setupcfg",
    "Containerfile": "containerfile",
    "Dockerfile": "containerfile",
}
#: Dependency files named by pattern (matched against the file name, case-sensitively).
KIND_BY_PATTERN = (
    ("requirements*.txt", "requirements"),
    ("*-requirements.txt", "requirements"),
    ("*_requirements.txt", "requirements"),
    ("Containerfile.*", "containerfile"),
    ("Dockerfile.*", "containerfile"),
    ("*.Containerfile", "containerfile"),
    ("*.Dockerfile", "containerfile"),
    ("*.containerfile", "containerfile"),
    ("*.dockerfile", "containerfile"),
)
#: Larger files are SA001 findings, never read whole. The largest real manifest seen is 3.7 MB.
MAX_FILE_BYTES = 10 * 1024 * 1024
ALWAYS_SKIP_DIRS = {".git", ".hg", ".svn", "__pycache__", ".tox", ".nox", ".venv", "node_modules"}


@dataclass(frozen=True, slots=True)
class DiscoveredFile:
    """A file to read: where it is, how it is shown, its kind, and whether it was named."""

    fspath: str  # absolute, as reached (not resolved); a string: a Path per file costs a walk 30 %
    rel: str  # display path, relative to the working directory, with '/'
    kind: str  # one of FILE_KINDS
    explicit: bool  # named on the command line

    @property
    def path(self) -> Path:
        return Path(self.fspath)


@dataclass
class Skipped:
    """A path the walk did not lint, and why (a symlink, an unreadable folder, ...)."""

    rel: str
    reason: str


def file_kind(name: str) -> str | None:
    if name in KIND_BY_NAME:
        return KIND_BY_NAME[name]
    kind = KIND_BY_SUFFIX.get(os.path.splitext(name)[1].lower())
    if kind is None and ("requirements" in name or "ontainerfile" in name or "ockerfile" in name):
        for pattern, pattern_kind in KIND_BY_PATTERN:
            if fnmatch.fnmatchcase(name, pattern):
                return pattern_kind
    return kind


def overlay_key(path: Path | str) -> str:
    """The key of a file in the fix overlay (and of stdin content): its absolute path with `.` and
    `..` resolved lexically, as the walk spells a file (`lint --fix ../repo` must find the bytes
    it fixed under the name it reads)."""
    return os.path.normpath(os.path.abspath(path))


class RealPaths:
    """os.path.realpath with every folder resolved once: a run asks about thousands of files in
    hundreds of nested folders, and realpath stats every component of every path it is given.
    A component that is a symlink (or `.`/`..`) is resolved by realpath itself; any other is
    its resolved parent plus its name. For one run: the answers are not refreshed."""

    def __init__(self) -> None:
        self.known: dict[str, str] = {}

    def __call__(self, path: str) -> str:
        path = os.path.abspath(path) if not os.path.isabs(path) else path
        pending: list[str] = []  # the path and its ancestors not resolved yet, innermost first
        at = path
        while at not in self.known:
            parent, name = os.path.split(at)
            if not name or parent == at:  # `/`, or a path ending in a separator
                self.known[at] = os.path.realpath(at)
                break
            pending.append(at)
            at = parent
        for at in reversed(pending):
            parent, name = os.path.split(at)
            candidate = os.path.join(self.known[parent], name)
            if name in (".", "..") or os.path.islink(candidate):
                candidate = os.path.realpath(candidate)
            self.known[at] = candidate
        return self.known[path]


def display_path(path: Path | str, cwd: Path | str) -> str:
    """`path` relative to `cwd`, with `/` separators (`..` parts when it lies outside). Called
    once per file of a run: plain string operations for the common case, a file under `cwd`."""
    p, base = os.fspath(path), os.fspath(cwd)
    if os.sep == "/":
        if p == base:
            return "."
        prefix = base if base.endswith("/") else base + "/"
        rest = p[len(prefix) :]
        if (
            p.startswith(prefix)
            and rest
            and not rest.endswith(("/", "/.", "/.."))
            and not any(part in ("", ".", "..") for part in rest.split("/"))
        ):
            return rest
    try:
        return Path(p).relative_to(base).as_posix()
    except ValueError:
        return Path(os.path.relpath(p, base)).as_posix()


def excluded(rel: str, patterns: Iterable[str]) -> bool:
    for pat in patterns:
        pat = pat.rstrip("/")
        if fnmatch.fnmatch(rel, pat) or fnmatch.fnmatch(rel, pat + "/*"):
            return True
        if "/" not in pat and any(fnmatch.fnmatch(part, pat) for part in rel.split("/")):
            return True
    return False


def discover(
    roots: list[Path],
    cwd: Path,
    exclude: list[str],
    skipped: list[Skipped],
    respect_gitignore: bool = False,
) -> Iterator[DiscoveredFile]:
    """Yield lintable files under `roots` once each (a file named and also inside a named folder
    too); never leave a root through a symlink; skip what git ignores when asked."""
    seen: set[str] = set()
    for root in roots:
        root = Path(os.path.normpath(root.absolute()))
        if root.is_file() or (root.is_symlink() and not root.is_dir()):
            rel = display_path(root, cwd)
            kind = file_kind(root.name)
            real = os.path.realpath(root)
            if kind and real not in seen:
                seen.update((real, str(root)))
                yield DiscoveredFile(str(root), rel, kind, True)
            elif kind is None:
                skipped.append(Skipped(rel, "not a YAML, Python or shell file"))
            continue
        if not root.is_dir():
            skipped.append(Skipped(display_path(root, cwd), "no such file or directory"))
            continue
        ignored = None
        if respect_gitignore:
            from linter.gitcontext import ignored_paths

            ignored = ignored_paths(root)
        yield from _walk(root, cwd, exclude, skipped, seen, ignored)


def _walk(
    root: Path,
    cwd: Path,
    exclude: list[str],
    skipped: list[Skipped],
    seen: set[str],
    ignored: tuple[set[str], set[str]] | None = None,
) -> Iterator[DiscoveredFile]:
    """Walk with plain strings (a Path per file costs more than the prefilter does)."""
    ignored_files, ignored_dirs = ignored or (set(), set())
    real_root = os.path.realpath(root)
    root_rel = display_path(root, cwd)
    prefix = "" if root_rel == "." else root_rel + "/"
    outside = root_rel.startswith("..")  # a folder above cwd: paths may pass back through cwd
    stack: list[tuple[str, str]] = [(str(root), prefix)]
    while stack:
        d, rel_dir = stack.pop()
        try:
            with os.scandir(d) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError as exc:
            skipped.append(
                Skipped(rel_dir.rstrip("/") or ".", f"cannot list directory: {exc.strerror}")
            )
            continue
        subdirs = []
        if outside:
            rel_dir = os.path.relpath(d, cwd).replace(os.sep, "/") + "/"
            rel_dir = "" if rel_dir == "./" else rel_dir
        for e in entries:
            name = e.name
            rel = rel_dir + name
            try:
                is_link = e.is_symlink()
                is_dir = os.path.isdir(e.path) if is_link else e.is_dir(follow_symlinks=False)
            except OSError:
                is_dir, is_link = False, True
            if is_dir:
                if name in ALWAYS_SKIP_DIRS or (exclude and excluded(rel, exclude)):
                    continue
                if ignored_dirs and e.path + os.sep in ignored_dirs:
                    continue
                if is_link:  # linted at its real place, or outside the folder: never followed
                    real = os.path.realpath(e.path)
                    reason = (
                        "linked folder is linted where it lives"
                        if _inside(real, real_root)
                        else "symlink leaves the linted folder"
                    )
                    skipped.append(Skipped(rel, reason))
                    continue
                subdirs.append((e.path, rel + "/"))
                continue
            kind = file_kind(name)
            if kind is None or (exclude and excluded(rel, exclude)):
                continue
            if (ignored_files and e.path in ignored_files) or (seen and e.path in seen):
                continue
            if is_link:
                if not os.path.exists(e.path):
                    skipped.append(Skipped(rel, _broken_link(e.path)))
                    continue
                real = os.path.realpath(e.path)
                inside = _inside(real, real_root)
                reason = (
                    "linked file is linted where it lives"
                    if inside
                    else "symlink leaves the linted folder"
                )
                skipped.append(Skipped(rel, reason))
                continue
            yield DiscoveredFile(e.path, rel, kind, False)
        stack.extend(reversed(subdirs))


def _broken_link(path: str) -> str:
    try:
        os.stat(path)
    except OSError as exc:
        return "symlink loop" if exc.errno == errno.ELOOP else "dangling symlink"
    return "dangling symlink"


def _inside(real: str, real_root: str) -> bool:
    return real == real_root or real.startswith(real_root.rstrip(os.sep) + os.sep)


def find_project_root(start: Path) -> Path | None:
    """The nearest folder holding `.git` or `.stackalign.yaml` (the repository root)."""
    start = start.absolute()
    for d in [start, *start.parents]:
        if (d / ".git").exists() or (d / ".stackalign.yaml").is_file():
            return d
    return None


class Prefilter:
    """One cheap pass over bytes: does a file hold any trigger of an enabled rule of its kind?

    A trigger is a string, or several joined by `&` that must all occur. Triggers of `lazy` rules
    select files that are kept unparsed until a check asks for them. Triggers are grouped by their
    first string, so each distinct string is searched for at most once per file.
    """

    def __init__(
        self, triggers_by_kind: dict[str, list[str]], lazy: dict[str, list[str]] | None = None
    ):
        self.groups: dict[str, list[tuple[bytes, list[tuple[tuple[bytes, ...], bool]]]]] = {}
        for kind in set(triggers_by_kind) | set(lazy or {}):
            by_first: dict[bytes, list[tuple[tuple[bytes, ...], bool]]] = {}
            for is_lazy, ts in (
                (False, triggers_by_kind.get(kind, [])),
                (True, (lazy or {}).get(kind, [])),
            ):
                for t in sorted(set(ts)):
                    parts = tuple(p.encode("utf-8") for p in t.split("&"))
                    by_first.setdefault(parts[0], []).append((parts[1:], is_lazy))
            self.groups[kind] = sorted(by_first.items())

    def reads(self, kind: str) -> bool:
        """Whether any enabled rule has triggers for this kind (else its files are never read)."""
        return bool(self.groups.get(kind))

    def wants(self, kind: str, data: bytes) -> str | None:
        """ "eager", "lazy" or None."""
        if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            # UTF-16 text holds no UTF-8 trigger: look in its decoded text (it becomes SA001)
            data = data.decode("utf-16", "replace").encode("utf-8", "replace")
        lazy = False
        for first, rests in self.groups.get(kind, ()):
            if first not in data:
                continue
            for rest, is_lazy in rests:
                if all(part in data for part in rest):
                    if not is_lazy:
                        return "eager"
                    lazy = True
        return "lazy" if lazy else None
