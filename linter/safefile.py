"""Reading files that a repository or a command line names (configuration, extra rule and
knowledge files, baselines): regular files only, never blocking, bounded, and for a repository's
own references, inside the repository.

A FIFO would block `open()` forever and `/dev/zero` never ends, so a file is opened without
blocking, checked with `fstat` on the open descriptor (no window between check and read) and read
up to a limit. See docs/security.md.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

MIB = 1024 * 1024


class UnsafeFile(Exception):
    """A file that stackalign refuses to read; the message says why (never the file's content)."""


def read_regular_file(path: Path, limit: int) -> bytes:
    """The bytes of `path`, if it is a regular file of at most `limit` bytes; else UnsafeFile."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        raise UnsafeFile(f"cannot read: {exc.strerror or exc}") from None
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise UnsafeFile(f"not a regular file ({_kind(mode)})")
        chunks = []
        size = 0
        while size <= limit:
            chunk = os.read(fd, min(limit + 1 - size, MIB))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except OSError as exc:
        raise UnsafeFile(f"cannot read: {exc.strerror or exc}") from None
    finally:
        os.close(fd)
    if size > limit:
        raise UnsafeFile(f"larger than the {_size(limit)} limit")
    return b"".join(chunks)


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a named pipe"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a file"


def _size(limit: int) -> str:
    return f"{limit // MIB} MiB" if limit >= MIB and limit % MIB == 0 else f"{limit:,}-byte"


def inside(path: Path, root: Path) -> bool:
    """Whether `path`, with every symlink resolved, is `root` (resolved) or inside it."""
    real, real_root = os.path.realpath(path), os.path.realpath(root)
    return real == real_root or real.startswith(real_root.rstrip(os.sep) + os.sep)


def repository_reference(root: Path, base: Path, reference: str) -> Path:
    """The file that `reference` (a path written in a repository's configuration, relative to the
    folder `base` of that file) names, resolved; UnsafeFile unless it stays inside `root` (no
    absolute path, no `..` out of it, no symlink out of it) and outside its `.git` folder (which
    can hold credentials, e.g. the token actions/checkout keeps in `.git/config`)."""
    if not reference.strip():
        raise UnsafeFile("empty path")
    if os.path.isabs(reference) or reference.startswith("~"):
        raise UnsafeFile(
            "an absolute path; a repository's configuration may only name files inside it "
            "(relative to the configuration file)"
        )
    target = base / reference
    if not inside(target, root):
        raise UnsafeFile("leaves the repository (through `..` or a symlink); not read")
    real = Path(os.path.realpath(target))
    rel = os.path.relpath(real, os.path.realpath(root))
    if ".git" in Path(rel).parts:
        raise UnsafeFile("inside the repository's .git folder; not read")
    return real
