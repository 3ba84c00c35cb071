"""One whole-repository lint shared by the processes of one `pre-commit run --all-files`.

pre-commit passes at most 128 KB of file names to one process, so a run over every file of a large
repository is a series of processes (4 for 11,000 short paths, 9 for the perf corpus), and each one
must read the whole repository for context: the deployment model does not depend on which files
are named. A files-mode run whose names fill half of such a batch (STORE_MIN_BYTES) therefore lints
the whole repository once, as `stackalign lint .` would, stores the result in the per-user cache,
and reports its own files' findings; any later files-mode run over the same repository state takes
its files' findings from the stored result. That is the same verdict by construction: a named
file's findings are those of a directory run (tests/test_files_mode_equivalence.py).

The key covers stackalign's code and version, the interpreter and parsing libraries, the rule pack
and knowledge base, the options and configuration (with the content of the rule and knowledge
files it adds), and the Helm engine. A stored result also records the state of the repository it
was computed from, which must match: git's listing (tracked files, and untracked ones .gitignore
does not ignore; it moves when a file appears or .gitignore changes), and the type, inode, size,
mtime and ctime of every path the run opened or probed (readlog.py: every file read, a file under a
chart that git ignores, a values file or overlay folder that does not exist yet, the git folder of
a linked work tree). A write to a file changes its ctime, which no tool can set back. A result is
stored only when none of those paths changed during the run or in the RACY_NS before it (a write
within one tick of the file system's clock could otherwise leave the same times), when no rule
failed, and when the repository has no submodule or nested work tree (git lists those as one
name, not their files); otherwise the entry records why, and later processes lint on their own
(after files that were changing have settled, one of them tries once more).

Used only where a files-mode run and a directory run see the same repository: the current folder
is the top of a git work tree and the project of the first named file (no `.stackalign.yaml`
nearer to it), .gitignore is respected, nothing is read from stdin, nothing is fixed, and every
named file is one git lists. Anything else runs as usual; so does everything with
STACKALIGN_NO_CACHE=1. When pre-commit runs batches side by side, one lints the whole repository,
the first other one lints its own files meanwhile, and the rest wait on a lock (at most
LOCK_WAIT_SECONDS) and are then served.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from linter import cache, readlog
from linter.discovery import display_path, file_kind, find_project_root
from linter.gitcontext import GIT_TIMEOUT_SECONDS, git_base, git_env

if TYPE_CHECKING:
    from linter.model import Finding, Span, Target
    from linter.options import Options, RunResult
    from linter.workspace import Workspace

#: bytes of file names (pre-commit's batches hold up to 128 KiB): a run naming this many lints
#: the whole repository and stores it, as more batches of the same pre-commit run are likely to
#: follow; a commit of a few hundred files in a large repository stays a files-mode run
STORE_MIN_BYTES = 64 * 1024
RACY_NS = 2_000_000_000
KIND = "run"
FORMAT = 1


def run_shared(opts: Options) -> RunResult:
    """`engine.run(opts)`, or for a files-mode run, its files' findings from the stored result
    of a whole-repository run over the same state (computed and stored here when many files are
    named). A run served from a stored result never imports the engine."""
    return shared_result(opts) or _run(opts)


def shared_result(opts: Options, fixing: bool = False) -> RunResult | None:
    """The named files' findings from a whole-repository run over the current state: stored by
    an earlier process, or linted and stored here when enough files are named. None when this
    run is not one to share (the caller runs as usual).

    `fixing` (the fix hook): no whole run when the cache holds a result for these options, of
    another state, stored less than REFIXED_SECONDS ago. Files changed since, most likely fixed
    by an earlier batch of the same hook, which may fix more: linting the whole repository once
    per batch would cost more than each batch's own run."""
    named = _named_files(opts)
    state = RepositoryState.start(opts) if named else None
    if named is None or state is None:
        return None
    if find_project_root(Path(opts.cwd, opts.paths[0]).parent) != state.top:
        return None  # files mode reads the context of the project of the first file named
    found, age = _lookup(state, opts, named)
    if found is not None:
        return None if isinstance(found, _Refused) else found
    refixed = fixing and age is not None and age < REFIXED_SECONDS
    if sum(len(p) + 1 for p in opts.paths) < STORE_MIN_BYTES or refixed:
        state.close()
        return None
    with _exclusive(state.key) as turn:
        if turn == ALONE:
            state.close()
            return None
        if turn == WAIT:  # another process of this pre-commit run linted the whole repository
            found, _ = _lookup(state, opts, named)
            state.close()  # if it stored nothing for this state: never a chain of whole runs
            return None if isinstance(found, _Refused) else found
        found, _ = _lookup(state, opts, named)  # stored while this process looked the first time
        if found is not None:
            state.close()
            return None if isinstance(found, _Refused) else found
        state.start_listing()
        listed = set(state.names() or [])
        if any(rel not in listed for rel in named):
            state.close()
            return None  # a named file git does not list: the whole run would not lint it
        whole = _whole_run(opts, state)
    return _restricted(whole, opts, named)


class _Refused:
    """What `_lookup` returns when the stored entry says that this state is not shared."""


REFUSED = _Refused()
#: seconds during which a run that saw files change is not retried by the next process
RETRY_AFTER_CHANGES = 60
#: seconds during which the fix hook takes a stale result for its own batches' fixes (above)
REFIXED_SECONDS = 600


def _lookup(
    state: RepositoryState, opts: Options, named: list[str]
) -> tuple[RunResult | _Refused | None, float | None]:
    """(what the stored entry gives, its age in seconds; None without one). What it gives: the
    named files' findings if it was computed from this state; REFUSED when it says that this
    state is not shared (a submodule, a rule that failed, files that were changing); None when
    it does not apply."""
    stored = cache.load(state.key, KIND)
    if not isinstance(stored, dict) or stored.get("format") != FORMAT:
        return None, None
    if stored.get("key") != state.key:  # another entry's data under this name: not ours
        return None, None
    at = stored.get("at")
    age = time.time() - at if isinstance(at, (int, float)) else float("inf")
    if stored.get("refused") == CHANGING:
        # files that changed just before a run (the fix hook's fixes) have settled a moment
        # later: one more process may try; files that keep changing are left alone for a while
        settled = stored.get("settled_ns")
        if isinstance(settled, int) and settled <= time.time_ns() and not stored.get("retried"):
            state.retrying = True
            return None, age
        return (REFUSED if 0 <= age < RETRY_AFTER_CHANGES else None), age
    paths = stored.get("paths")
    state.start_listing()  # git lists while the paths are stat'ed
    if not (
        isinstance(paths, list)
        and digest(paths)[0] == stored.get("digest")
        and state.names_digest() == stored.get("names")
    ):
        return None, age
    if stored.get("refused"):
        return REFUSED, age
    return (_from_stored(stored.get("result"), opts, named) or REFUSED), age


#: what `_exclusive` gives the process: the whole run is its to do; another process does it and
#: this one waits for the result; or another does it, and this one lints its own files meanwhile
RUN, WAIT, ALONE = "run", "wait", "alone"


@contextmanager
def _exclusive(key: str) -> Iterator[str]:
    """The lock of one key, when pre-commit runs batches side by side: RUN for the process that
    holds it (it lints the whole repository), ALONE for the first process that finds it held (it
    lints its own files on a core that would otherwise idle), WAIT for the others (they wait for
    the result: it comes sooner than their own run would). Without fcntl (Windows) everybody
    runs; with a cache folder that cannot be written or a lock file others may write, everybody
    lints alone."""
    try:
        import fcntl

        folder = cache.folder() / "locks"
        folder.mkdir(parents=True, exist_ok=True)
        flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0)
        fd = os.open(folder / f"{KIND}-{key}.lock", flags, 0o600)
    except ImportError:  # no fcntl (Windows): whoever comes lints the whole repository
        yield RUN
        return
    except OSError:  # nothing can be stored either: each process lints its own files
        yield ALONE
        return
    helper = folder / f"{KIND}-{key}.alone"
    if not cache.trusted(os.fstat(fd)):  # a lock file somebody else can hold or write
        os.close(fd)
        yield ALONE
        return
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            if _first_to_find_it_held(helper):
                yield ALONE
                return
            deadline = time.monotonic() + LOCK_WAIT_SECONDS
            while time.monotonic() < deadline:  # then go on: waiting costs more than linting
                time.sleep(0.02)
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except OSError:
                    continue
            yield WAIT
            return
        _remove(helper)  # left by an earlier run that stopped half-way
        try:
            yield RUN
        finally:
            _remove(helper)
    finally:
        os.close(fd)  # releases the lock


def _first_to_find_it_held(helper: Path) -> bool:
    try:
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
        os.close(os.open(helper, flags, 0o600))
    except OSError:
        return False
    return True


def _remove(path: Path) -> None:
    try:
        path.unlink()
    except OSError:
        pass


#: a lock held longer than this (a stopped or hung process) is not waited for any more: the
#: waiting process lints on its own
LOCK_WAIT_SECONDS = 120


def _run(opts: Options) -> RunResult:
    from linter.engine import run

    return run(opts)


def _named_files(opts: Options) -> list[str] | None:
    """The display paths of the named files stackalign lints (of a lintable kind, not excluded),
    or None when the run is not one that may be shared (a folder named, stdin, a fix). A named
    path of a lintable kind that is not a file is not among the files git lists: it is caught
    there, without a stat per name here."""
    from linter.config import Config, config_selects

    if opts.overlay or not opts.respect_gitignore or not opts.prefilter:
        return None
    cfg = opts.config or Config()
    exclude = list(opts.exclude) + list(cfg.exclude)
    base = os.path.abspath(opts.cwd)
    out: list[str] = []
    for p in opts.paths:
        path = os.path.join(base, p)
        if "/." in path or "//" in path:  # pre-commit's names are clean: normalize the others
            path = os.path.normpath(path)
        rel = display_path(path, base)
        if file_kind(os.path.basename(path)) is None:
            if rel == "." or not os.path.isfile(path):
                return None  # a folder: a directory run
            continue
        if rel.startswith("../"):
            return None
        if config_selects(rel, True, exclude, cfg.include):
            out.append(rel)
    return out


class RepositoryState:
    """The key of a shared run at the top of a git work tree, and what git lists there (tracked
    files, and untracked ones that are not ignored), asked for in the background: the listing
    and the digest of the stored paths cost about the same, and run side by side."""

    def __init__(self, top: Path, key: str, base: list[str]):
        self.top, self.key, self._base = top, key, base
        self.started_ns = time.time_ns()
        self.retrying = False  # the stored entry is a refusal whose changing files have settled
        self._listing: subprocess.Popen[bytes] | None = None
        self._names: list[str] | None = None

    @classmethod
    def start(cls, opts: Options) -> RepositoryState | None:
        top = Path(os.path.abspath(opts.cwd))
        base = git_base(top)
        if base is None or not (top / ".git").exists():
            return None
        content = json.dumps(
            {
                "format": FORMAT,
                "top": str(top),
                "options": _options_json(opts),
            },
            sort_keys=True,
        )
        folders, files, text = _key_inputs()
        key = cache.key(folders, files, content=content + text)
        return None if key is None else cls(top, key, base)

    def start_listing(self) -> None:
        """Start git's listing (once)."""
        if self._listing is not None:
            return
        cmd = [*self._base, "ls-files", "-z", "--cached", "--others", "--exclude-standard"]
        try:
            self._listing = subprocess.Popen(
                cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=git_env()
            )
        except OSError:
            self._names = None

    def names(self) -> list[str] | None:
        """The listed paths (relative, sorted, without stackalign's own cache if it lies in the
        work tree); None when git failed."""
        proc = self._listing
        if proc is None or proc.returncode is not None:
            return self._names
        try:
            out, _ = proc.communicate(timeout=GIT_TIMEOUT_SECONDS)
        except subprocess.SubprocessError:
            self.close()
            return None
        if proc.returncode == 0:
            own = _own_cache_prefix(self.top)
            text = out.decode("utf-8", "surrogateescape")
            self._names = sorted({n for n in text.split("\0") if n and not n.startswith(own)})
        return self._names

    def names_digest(self) -> str | None:
        names = self.names()
        if names is None:
            return None
        return hashlib.sha256("\0".join(names).encode(errors="surrogatepass")).hexdigest()

    def close(self) -> None:
        """Never leave git running."""
        if self._listing is not None and self._listing.returncode is None:
            self._listing.kill()
            self._listing.communicate()


def digest(paths: list[str]) -> tuple[str, int]:
    """A digest of the state (type, inode, size, mtime, ctime) of each path (and of a symbolic
    link's target), and the newest ctime among them. One lstat per path: a served run's main
    cost."""
    lstat, newest = os.lstat, 0
    states: list[tuple[str | int, ...]] = []
    for path in paths:
        try:
            st = lstat(path)
            if stat.S_ISLNK(st.st_mode):
                states.append(_state(path, st))
                st = os.stat(path)
        except (OSError, ValueError):
            states.append((path,))
            continue
        states.append(_state(path, st))
        newest = max(newest, st.st_ctime_ns)  # the kernel sets it; touch cannot
    text = repr(states).encode("utf-8", "surrogatepass")
    return hashlib.sha256(text).hexdigest(), newest


def _state(path: str, st: os.stat_result) -> tuple[str | int, ...]:
    return (path, st.st_mode, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


def _own_cache_prefix(top: Path) -> str:
    """The cache folder relative to `top` with a trailing `/` (a CI job may keep it in the work
    tree); a string no path starts with when it lies elsewhere."""
    rel = display_path(os.path.abspath(cache.folder()), top)
    return "\0" if rel == "." or rel.startswith("../") else rel + "/"


def _options_json(opts: Options) -> dict[str, Any]:
    return {
        "target": opts.target,
        "select": opts.select,
        "ignore": opts.ignore,
        "exclude": opts.exclude,
        "config": repr(opts.config),  # every setting (a test checks that it is deterministic)
        "added": _added_pack_digest(opts),
    }


def _added_pack_digest(opts: Options) -> str:
    """The content of the rule and knowledge files the configuration adds (small files, hashed
    whole: their times could be set back)."""
    from linter.safefile import MIB, UnsafeFile, read_regular_file

    cfg = opts.config
    h = hashlib.sha256()
    if cfg is not None and cfg.path:
        base = Path(cfg.path).parent
        for rel in [*cfg.rule_files, *cfg.knowledge_files]:
            try:  # never blocking, bounded (a FIFO named by a hostile configuration)
                data = read_regular_file(base / rel, 4 * MIB)
            except (UnsafeFile, ValueError):
                data = b"-"
            h.update(f"{rel}\0{len(data)}\0".encode(errors="surrogatepass") + data)
    return h.hexdigest()


def _key_inputs() -> tuple[list[Path], list[Path], str]:
    """cache.key's folders, files (by path, size and mtime) and text, beside the options: the
    rule pack, knowledge base and schemas that ship with stackalign; the interpreter and the
    parsing libraries (which syntax parses, what PyYAML and libcst make of a file); the Helm
    engine a render would use (the binary, the SDK's module, STACKALIGN_HELM). All found without
    importing or starting them."""
    import importlib.util
    import shutil
    import sys

    from linter import HELM_ENGINE_ENV
    from linter.resources import rules_dir, schemas_dir

    files = sorted(p for p in schemas_dir().rglob("*") if p.is_file())
    for name in ("yaml", "libcst", "helm_python"):
        spec = importlib.util.find_spec(name)
        if spec is not None and spec.origin:
            files.append(Path(spec.origin))
    helm = shutil.which("helm")
    if helm:
        files.append(Path(os.path.realpath(helm)))  # an upgrade moves the link's target
    text = "\0".join([sys.version, sys.executable, sys.prefix, os.environ.get(HELM_ENGINE_ENV, "")])
    return [rules_dir()], files, text


# -- the whole run, stored --------------------------------------------------------------------------
def _whole_run(opts: Options, state: RepositoryState) -> RunResult:
    """Lint the whole repository, and store the result when it may be reused (see the module's
    docstring), or else why not, so that the next processes do not try again."""
    with readlog.recording() as read:
        result = _run(replace(opts, paths=["."]))
    names, names_digest = state.names(), state.names_digest()
    if names is None or names_digest is None:
        return result
    top = str(state.top)
    paths = _dependencies(read, top)
    hexdigest, newest = digest(paths)
    entry: dict[str, Any] = {"format": FORMAT, "key": state.key, "names": names_digest}
    entry["paths"] = paths
    entry |= {"digest": hexdigest, "at": time.time()}
    if newest >= state.started_ns - RACY_NS:
        entry = {"format": FORMAT, "key": state.key, "refused": CHANGING, "at": time.time()}
        entry |= {"settled_ns": newest + RACY_NS, "retried": state.retrying}
    elif result.errors:
        entry["refused"] = "a rule failed"
    elif any(n.endswith("/") for n in names):  # git does not list the files in it
        entry["refused"] = "a nested work tree"
    elif _in_submodule(paths, top, set(names)):
        entry["refused"] = "a submodule"
    else:
        entry["result"] = _as_json(result)
    cache.store(state.key, entry, KIND)
    return result


#: why a whole run was not stored: a path changed during the run or just before it
CHANGING = "files were changing"


def _dependencies(read: set[str], top: str) -> list[str]:
    """The paths the whole run read whose state its result depends on: every path of the
    repository, and outside it (the git folder of a linked work tree) all but Python's and
    stackalign's own files (in the key: _key_inputs, the code digest), stackalign's cache,
    the temporary folders of Helm renders and the kernel's pseudo-files. Compiled modules are
    never part of it: importing a module during the run may write one."""
    import sys
    import tempfile

    from linter import HELM_TEMP_PREFIX

    inside = top + os.sep
    own_inside = os.path.join(top, _own_cache_prefix(Path(top)))
    package = os.path.dirname(os.path.abspath(__file__))
    own = [str(cache.folder()), "/dev", "/proc", "/sys", package]
    own += [sys.prefix, sys.base_prefix, sys.exec_prefix]
    prefixes = tuple(o.rstrip(os.sep) + os.sep for o in own)
    prefixes += (os.path.join(tempfile.gettempdir(), HELM_TEMP_PREFIX),)
    out = []
    for p in read:
        if "__pycache__" in p or p.endswith(".pyc"):
            continue
        if p.startswith(inside):
            if not p.startswith(own_inside):
                out.append(p)
        elif p not in own and not p.startswith(prefixes):
            out.append(p)
    return sorted(out)


def _in_submodule(paths: list[str], top: str, names: set[str]) -> bool:
    """Whether the run read a file inside a submodule: git lists the submodule itself (a folder
    name), not the files of its work tree."""
    prefix = top + os.sep
    listed = {prefix + n for n in names}
    for path in paths:
        if path in listed or not path.startswith(prefix):
            continue
        parts = path[len(prefix) :].split(os.sep)
        if any("/".join(parts[:i]) in names for i in range(1, len(parts))):
            return True
    return False


def _as_json(result: RunResult) -> dict[str, Any]:
    t = result.target
    return {
        "findings": [asdict(f) for f in result.findings],
        "files": result.linted,
        "parsed": result.parsed,
        "target": {
            "platform": t.platform,
            "version": t.version,
            "source": t.source,
            "llamastack": str(t.llamastack) if t.llamastack else None,
            "note": t.note,
            "alternatives": t.alternatives,
            "unknown": t.unknown,
            "source_path": t.source_path,
            "source_span": asdict(t.source_span) if t.source_span else None,
        },
    }


def _restricted(whole: RunResult, opts: Options, named: list[str]) -> RunResult | None:
    """The whole run's result as a files-mode run over `named` reports it; None when a named file
    is one the whole run did not lint (a file in a folder a walk skips)."""
    listed = set(whole.linted)
    if any(rel not in listed for rel in named):
        return None
    shown = set(named)
    findings = [f for f in whole.findings if _reported(f.path, shown)]
    texts = {p: t for p, t in whole.workspace.file_texts.items() if p in shown}
    return replace(
        whole, findings=findings, files=len(shown), skipped=[], workspace=_workspace(opts, texts)
    )


class QuotedTexts:
    """What a report reads of a served run's workspace: the texts of the files with findings.
    A served run has no parsed workspace, and importing the real one loads PyYAML (a third of a
    served run's start-up); the command line's reporters read `file_texts` and nothing else."""

    def __init__(self, root: str, file_texts: dict[str, str]):
        self.root, self.file_texts = root, file_texts


def _reported(path: str, named: set[str]) -> bool:
    """Whether files mode reports a finding at `path` (engine.Scope.reports for named files):
    in a named file, or about the repository as a whole."""
    return path in named or path == "."


def _workspace(opts: Options, texts: dict[str, str]) -> Workspace:
    return cast("Workspace", QuotedTexts(str(opts.cwd), texts))


# -- a stored result, read back ---------------------------------------------------------------------
def _from_stored(data: Any, opts: Options, named: list[str]) -> RunResult | None:
    """The stored whole run's findings in the named files; None when one of them is a file the
    whole run did not lint, or the data is not of the expected shape."""
    from linter.options import RunResult, load_rules_of, select_rules

    started = time.perf_counter()
    try:
        listed = set(data["files"])
        if any(rel not in listed for rel in named):
            return None
        shown = set(named)
        findings = [_finding(f) for f in data["findings"] if _reported(f["path"], shown)]
        target = _target(data["target"])
        parsed = int(data["parsed"])
    except (KeyError, TypeError, ValueError, AttributeError):
        return None
    texts = _read_texts(Path(opts.cwd), {f.path for f in findings} - {"."})
    return RunResult(
        findings=findings,
        target=target,
        rules=select_rules(load_rules_of(opts), opts),
        workspace=_workspace(opts, texts),
        skipped=[],
        files=len(shown),
        parsed=parsed,
        timings=[("whole-repository result (shared, cache)", time.perf_counter() - started)],
    )


def _read_texts(cwd: Path, paths: set[str]) -> dict[str, str]:
    """The text of each file with a finding, for the report's source lines (their state is the
    one the digest just matched)."""
    from linter.sources.decode import decode_bytes

    out: dict[str, str] = {}
    for rel in paths:
        try:
            with open(cwd / rel, "rb") as fh:
                text, _ = decode_bytes(fh.read())
        except (OSError, ValueError):
            continue
        if text is not None:
            out[rel] = text
    return out


def _span(d: dict[str, Any]) -> Span:
    from linter.model import Span

    return Span.of(d["start"]["line"], d["start"]["column"], d["end"]["line"], d["end"]["column"])


def _finding(d: dict[str, Any]) -> Finding:
    from linter.model import Edit, Finding, Fix, RelatedLocation, RuntimeSource

    d = dict(d)
    d["span"] = _span(d["span"])
    if d.get("runtime_source"):
        d["runtime_source"] = RuntimeSource(**d["runtime_source"])
    if d.get("fix"):
        fix = dict(d["fix"])
        fix["edits"] = [Edit(**{**e, "span": _span(e["span"])}) for e in fix["edits"]]
        d["fix"] = Fix(**fix)
    d["related"] = [RelatedLocation(**{**r, "span": _span(r["span"])}) for r in d["related"]]
    return Finding(**d)


def _target(d: dict[str, Any]) -> Target:
    """The stored target (its `release`, the knowledge base's record, is what checks read: a
    report never needs it, and a served run does not load the knowledge base)."""
    from linter.model import Target
    from linter.versions import Version

    d = dict(d)
    span = d.pop("source_span")
    ls = d.pop("llamastack")
    t = Target(**d)
    t.source_span = _span(span) if span else None
    t.llamastack = Version.parse(ls) if ls else None
    return t
