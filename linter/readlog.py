"""The paths a run opens or probes, recorded while a whole-repository lint is being stored for
reuse (runcache.py). Besides the files git lists, a run reads files under a Helm chart that
.gitignore ignores (downloaded subcharts) and the folders it scans for them, the repository's
.git/config (its remotes), and it probes for files that may not exist (a values file an Argo CD
Application names, a Containerfile). The reuse is sound only if none of them changed, so each one
is part of the reused result's key.

Opened files are recorded by an audit hook (PEP 578: every `open()` of the process, whatever
module does it); a probe of a file that may be absent, and a chart folder scanned (a file added
there counts even if git ignores it), call `note`. The directory walk's folders need no record:
what it finds is what git lists, and the listing is part of the key. Outside a recording, both
are one test of a global."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

_paths: set[str] | None = None
_hooked = False


def note(path: str | os.PathLike[str]) -> None:
    """Record a probed path (absolute) if a recording is active."""
    if _paths is not None:
        _paths.add(os.path.abspath(path))


def _audit(event: str, args: tuple[Any, ...]) -> None:
    if _paths is None or event != "open" or not args:
        return
    path = args[0]
    if isinstance(path, bytes):
        path = os.fsdecode(path)
    if isinstance(path, str):
        _paths.add(os.path.abspath(path))


@contextmanager
def recording() -> Iterator[set[str]]:
    """Record every path opened or noted into the set it yields, until the block ends."""
    global _paths, _hooked
    if not _hooked:  # an audit hook cannot be removed: one per process, idle outside recordings
        sys.addaudithook(_audit)
        _hooked = True
    previous, _paths = _paths, set()
    try:
        yield _paths
    finally:
        _paths = previous


def is_file(path: str | os.PathLike[str]) -> bool:
    """`os.path.isfile`, noted: a probe for a file that may appear later (even one git ignores)."""
    note(path)
    return os.path.isfile(path)


def is_dir(path: str | os.PathLike[str]) -> bool:
    """`os.path.isdir`, noted: a folder that may appear later (even one git ignores)."""
    note(path)
    return os.path.isdir(path)
