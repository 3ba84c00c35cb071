"""A per-user cache of plain data (JSON): validated configuration files keyed by their content,
Helm renders keyed by chart files, values and engine. JSON, never pickle: nothing read from the
cache can run code.

Never required: any problem reading or writing the cache falls back to doing the work. Set
STACKALIGN_NO_CACHE=1 to disable it. It lives in STACKALIGN_CACHE_DIR if set, else in
$XDG_CACHE_HOME/stackalign (~/.cache/stackalign); it keeps the newest KEEP files of each kind.
"""

from __future__ import annotations

import hashlib
import json
import os
from functools import lru_cache
from pathlib import Path
from typing import Any

from linter import __version__

KEEP = 16  # files of each kind kept (configurations, rule packs: one per version or project)
#: Helm renders: one per chart and values set, so a repository can need hundreds; bounded by size
KEEP_BY_KIND = {"render": 4096}
MAX_BYTES_BY_KIND = {"render": 256 * 1024 * 1024}


@lru_cache(maxsize=1)
def _code_digest() -> str:
    """stackalign's own modules (path, size, mtime): a changed class or loader (in a checkout,
    where the version does not move) never meets data written by the old code. Once per process:
    a run that renders a hundred charts asks for a hundred keys."""
    package = os.path.dirname(os.path.abspath(__file__))
    h = hashlib.sha256()
    for d, _, files in sorted(os.walk(package)):
        if "__pycache__" in d or "_data" in d:
            continue
        for f in sorted(files):
            if f.endswith(".py"):
                p = os.path.join(d, f)
                st = os.stat(p)
                h.update(f"{p}\0{st.st_size}\0{st.st_mtime_ns}\n".encode(errors="surrogatepass"))
    return h.hexdigest()


def folder() -> Path:
    """Where the cache lives (it need not exist yet)."""
    if os.environ.get("STACKALIGN_CACHE_DIR"):
        return Path(os.environ["STACKALIGN_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "stackalign"


def key(folders: list[Path], files: list[Path], content: str = "") -> str | None:
    """A key over stackalign's version and code, the path, size and mtime of every file (and of
    every YAML file under `folders`), and `content`; None when caching is off or a file cannot
    be read."""
    if os.environ.get("STACKALIGN_NO_CACHE"):
        return None
    h = hashlib.sha256(__version__.encode())
    h.update(content.encode("utf-8", "surrogatepass"))
    try:
        h.update(_code_digest().encode())
        for p in [*sorted(p for d in folders for p in d.rglob("*.yaml")), *files]:
            st = os.stat(p)
            h.update(f"{p}\0{st.st_size}\0{st.st_mtime_ns}\n".encode(errors="surrogatepass"))
    except OSError:
        return None
    return h.hexdigest()[:32]


def load(k: str | None, kind: str) -> Any:
    """The data stored under `k`, or None."""
    if k is None:
        return None
    try:
        with open(folder() / f"{kind}-{k}.json", encoding="utf-8") as fh:
            if not trusted(os.fstat(fh.fileno())):
                return None
            return json.load(fh)
    except Exception:
        return None


def trusted(st: os.stat_result) -> bool:
    """Cached data is used without validation: only read a file this user wrote and nobody else
    can write (a configuration forged by another user would otherwise be taken as valid)."""
    getuid = getattr(os, "getuid", None)  # POSIX; elsewhere the per-user folder is the guard
    return getuid is None or (st.st_uid == getuid() and not st.st_mode & 0o022)


def store(k: str | None, value: Any, kind: str) -> None:
    if k is None:
        return
    tmp = None
    try:
        d = folder()
        d.mkdir(parents=True, exist_ok=True)
        import tempfile

        fd, tmp = tempfile.mkstemp(dir=d, suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(value, fh)
        os.replace(tmp, d / f"{kind}-{k}.json")
        tmp = None
        _prune(d, kind)
    except Exception:
        if tmp is not None:  # never leave a half-written temp file in the cache
            try:
                os.unlink(tmp)
            except OSError:
                pass


_pruned: set[str] = set()  # kinds pruned by this process


def _prune(d: Path, kind: str) -> None:
    """Keep the newest files of one kind (KEEP, or KEEP_BY_KIND and MAX_BYTES_BY_KIND), once per
    process and kind: old versions, old configurations, renders of charts long changed."""
    if kind in _pruned:
        return
    _pruned.add(kind)
    files = []
    for p in d.glob(f"{kind}-*.json"):
        try:
            st = p.stat()
        except OSError:
            continue
        files.append((st.st_mtime_ns, st.st_size, p))
    keep, budget = KEEP_BY_KIND.get(kind, KEEP), MAX_BYTES_BY_KIND.get(kind)
    total = 0
    for i, (_, size, p) in enumerate(sorted(files, reverse=True)):
        total += size
        if i < keep and (budget is None or total <= budget):
            continue
        try:
            p.unlink()
        except OSError:
            pass
