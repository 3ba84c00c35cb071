"""Repository context for a files-mode run (what pre-commit invokes), found with `git grep`.

Linting a few changed files still needs the repository's context: the Subscription that fixes the
target, the CR that names a ConfigMap, the component behind a compiled pipeline. Only files that
hold a trigger string of an enabled rule can be context (the prefilter skips the others anyway),
so instead of walking and reading every file in Python, one `git grep -l --fixed-strings` (C,
multi-threaded) lists the tracked ones, and untracked files that .gitignore does not ignore are
searched here. Anything git cannot answer (no repository, no git,
a rule that wants every file) returns None and the engine walks as usual.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from collections.abc import Callable
from pathlib import Path

from linter.discovery import (
    ALWAYS_SKIP_DIRS,
    KIND_BY_NAME,
    KIND_BY_SUFFIX,
    MAX_FILE_BYTES,
    DiscoveredFile,
    RealPaths,
    display_path,
    excluded,
    file_kind,
)

GIT_TIMEOUT_SECONDS = 30


def pathspecs(kind: str) -> list[str]:
    """git pathspecs for the files of one kind (`*` in a pathspec also matches `/`); suffixes in
    any case (`X.YAML`), as `file_kind` reads them."""
    specs = [f":(icase)*{suffix}" for suffix, k in KIND_BY_SUFFIX.items() if k == kind]
    for name, k in KIND_BY_NAME.items():
        if k == kind:
            specs += [name, f"*/{name}"]
    return specs


def context_files(
    project: Path,
    cwd: Path,
    triggers: dict[str, list[str]],
    exclude: list[str],
    requested: list[Path],
    overlay: dict[str, bytes] | None = None,
) -> list[DiscoveredFile] | None:
    """The requested files (explicit) plus every lintable file under `project` whose text holds a
    trigger (or whose fixed text is in `overlay`); None when git cannot tell (the caller then walks
    the repository)."""
    if any("" in ts for ts in triggers.values()) or not (project / ".git").exists():
        return None
    # `a&b` (a file holding both) is searched as `a`, the rarer string by convention (rule files
    # put it first); the prefilter applies the whole condition
    searched = {kind: sorted({t.split("&", 1)[0] for t in ts}) for kind, ts in triggers.items()}
    wanted = _walk_equivalent(project, cwd, exclude)
    listed = _git_grep_by_kind(project, searched, wanted)
    if listed is None:
        return None
    out: list[DiscoveredFile] = []
    seen: set[str] = set()
    real_of = RealPaths()
    for path in requested:
        path = path.absolute()
        real = real_of(str(path))
        kind = file_kind(path.name)
        if kind is not None and real not in seen:
            seen.add(real)
            out.append(DiscoveredFile(str(path), display_path(path, cwd), kind, True))
    extra = [wanted(display_path(Path(p), project)) for p in overlay or {}]
    for f in [*listed, *extra]:
        if f is None:
            continue
        real = real_of(f.fspath)
        if real not in seen:
            seen.add(real)
            out.append(f)
    return out


def grep_files(
    project: Path, cwd: Path, needles: list[str], exclude: list[str]
) -> list[DiscoveredFile] | None:
    """The project's YAML files (tracked, or untracked and not ignored) holding any of `needles`;
    None when git cannot tell."""
    if not needles or not (project / ".git").exists():
        return None
    return _git_grep_by_kind(project, {"yaml": needles}, _walk_equivalent(project, cwd, exclude))


def ignored_paths(root: Path) -> tuple[set[str], set[str]] | None:
    """The absolute paths of the untracked files and folders git ignores under `root`'s work tree
    (.gitignore, .git/info/exclude, the user's excludes file): (files, folders). None when `root`
    is not in a git work tree or git cannot tell."""
    top = next((d for d in (root, *root.parents) if (d / ".git").exists()), None)
    base = git_base(top) if top is not None else None
    if base is None or top is None:
        return None
    cmd = [*base, "ls-files", "-z", "--others", "--ignored", "--exclude-standard", "--directory"]
    try:
        done = subprocess.run(
            cmd, capture_output=True, env=git_env(), timeout=GIT_TIMEOUT_SECONDS, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if done.returncode != 0:
        return None
    files: set[str] = set()
    folders: set[str] = set()
    for name in done.stdout.decode("utf-8", "surrogateescape").split("\0"):
        if not name:
            continue
        path = os.path.normpath(os.path.join(top, name))
        if name.endswith("/"):
            folders.add(path + os.sep)
        else:
            files.add(path)
    return files, folders


def _walk_equivalent(
    project: Path, cwd: Path, exclude: list[str]
) -> Callable[[str], DiscoveredFile | None]:
    def wanted(rel: str) -> DiscoveredFile | None:
        """A listed path (relative to the project) that a walk would also have yielded."""
        parts = rel.split("/")
        kind = file_kind(parts[-1])
        if kind is None or ALWAYS_SKIP_DIRS.intersection(parts[:-1]):
            return None
        path = project / rel
        shown = display_path(path, cwd)
        if excluded(shown, exclude) or path.is_symlink():
            return None
        return DiscoveredFile(str(path), shown, kind, False)

    return wanted


def git_base(project: Path) -> list[str] | None:
    """`git -C project` with the repository's executable configuration switched off: no
    fsmonitor hook (a command the repository's own config can name), no colour, no pager, and
    the system configuration ignored (see also git_env). None when git is missing."""
    git = shutil.which("git")
    if git is None:
        return None
    return [
        git,
        "-C",
        str(project),
        "-c",
        "core.fsmonitor=false",
        "-c",
        "core.untrackedCache=false",
        "-c",
        "color.ui=never",
        "-c",
        "color.grep=never",
        "-c",
        "core.pager=cat",
        "-c",
        "diff.external=",
    ]


def git_env() -> dict[str, str]:
    """The environment of every git command stackalign runs: no system configuration, no prompts,
    no optional locks (git never writes to the user's repository), the C locale."""
    return {
        **os.environ,
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_OPTIONAL_LOCKS": "0",
        "GIT_TERMINAL_PROMPT": "0",
        "LC_ALL": "C",
    }


def _git_grep_by_kind(
    project: Path,
    triggers: dict[str, list[str]],
    wanted: Callable[[str], DiscoveredFile | None],
) -> list[DiscoveredFile] | None:
    """Files of each kind holding one of that kind's triggers; None when git is missing or any
    command fails. Tracked files: one `git grep` per kind; untracked ones (not ignored): listed by
    one `git ls-files --others` and searched here (they are few; asking `git grep --untracked`
    instead makes each grep walk the working tree, which costs more than the search). All the git
    commands run concurrently, with colour off whatever the user's git configuration says (escape
    codes around names would lose every file)."""
    base = git_base(project)
    if base is None:
        return None
    env = git_env()
    commands = [[*base, "ls-files", "-z", "--others", "--exclude-standard"]]
    for kind, needles in sorted(triggers.items()):
        specs = pathspecs(kind)
        if needles and specs:
            cmd = [*base, "grep", "--no-color", "-l", "-z", "--fixed-strings"]
            for needle in sorted(set(needles)):
                cmd += ["-e", needle]
            commands.append([*cmd, "--", *specs])
    procs = []
    try:
        for cmd in commands:
            procs.append(
                subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
            )
        outputs = [(p, p.communicate(timeout=GIT_TIMEOUT_SECONDS)[0]) for p in procs]
    except (OSError, subprocess.SubprocessError):
        for p in procs:
            p.kill()
        return None
    lists: list[list[str]] = []
    for i, (proc, stdout) in enumerate(outputs):
        # git grep exits 1 when nothing matched; anything else: not a usable repository
        if proc.returncode not in ((0,) if i == 0 else (0, 1)):
            return None
        lists.append([n for n in stdout.decode("utf-8", "surrogateescape").split("\0") if n])
    untracked, *grepped = lists
    found = [f for names in grepped for f in map(wanted, names) if f is not None]
    return found + _search_untracked(untracked, triggers, wanted)


def _search_untracked(
    names: list[str],
    triggers: dict[str, list[str]],
    wanted: Callable[[str], DiscoveredFile | None],
) -> list[DiscoveredFile]:
    """The untracked files a walk would yield that hold one of their kind's triggers, read as the
    engine reads them (regular files only, at most MAX_FILE_BYTES + 1 bytes)."""
    needles = {kind: [t.encode("utf-8") for t in ts] for kind, ts in triggers.items() if ts}
    out = []
    for name in names:
        f = wanted(name)
        if f is None or f.kind not in needles:
            continue
        try:
            if not stat.S_ISREG(os.lstat(f.fspath).st_mode):  # never open a FIFO or a device
                continue
            with open(f.fspath, "rb") as fh:
                data = fh.read(MAX_FILE_BYTES + 1)
        except OSError:
            continue
        if any(n in data for n in needles[f.kind]):
            out.append(f)
    return out
