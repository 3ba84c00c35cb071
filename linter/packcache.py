"""A per-user cache of validated data (pickled): the rule pack and knowledge base, keyed by the stamps
of their files, and configuration files, keyed by their content.

Never required: any problem reading or writing the cache falls back to loading the YAML data.
Set STACKALIGN_NO_CACHE=1 to disable it; the location follows XDG_CACHE_HOME.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import tempfile
from pathlib import Path
from typing import Any

from linter import __version__


def _dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "stackalign"


def key(folders: list[Path], files: list[Path], content: str = "") -> str | None:
    """A key over stackalign's version, the path, size and mtime of every file (and of every YAML
    file under `folders`), and `content`; None when caching is off or a file cannot be read."""
    if os.environ.get("STACKALIGN_NO_CACHE"):
        return None
    h = hashlib.sha256(__version__.encode())
    h.update(content.encode("utf-8", "surrogatepass"))
    try:
        paths = sorted(p for d in folders for p in d.rglob("*.yaml")) + list(files)
        for p in paths:
            st = p.stat()
            h.update(f"{p}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
    except OSError:
        return None
    return h.hexdigest()[:32]


def load(k: str | None, kind: str = "pack") -> Any:
    if k is None:
        return None
    try:
        with open(_dir() / f"{kind}-{k}.pickle", "rb") as fh:
            return pickle.load(fh)  # our own file, written below; never user input
    except Exception:
        return None


def store(k: str | None, value: Any, kind: str = "pack") -> None:
    if k is None:
        return
    tmp = None
    try:
        d = _dir()
        d.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=d, suffix=".tmp")
        with os.fdopen(fd, "wb") as fh:
            pickle.dump(value, fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, d / f"{kind}-{k}.pickle")
    except Exception:
        if tmp is not None:  # never leave a half-written temp file in the cache
            try:
                os.unlink(tmp)
            except OSError:
                pass
