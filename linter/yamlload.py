"""Loading the project's own data files (rule pack, knowledge base) as plain Python data.

Uses libyaml through PyYAML with the same YAML 1.2 core resolver as linted files (so `2.25` stays a
float, `yes` a string); measured 4x faster than ruamel.yaml's safe loader on the rule pack.

Extra rule and knowledge files come from a repository's configuration, so they get the limits of
linted YAML: a regular file of at most MAX_DATA_FILE_BYTES, at most MAX_NODES_PER_WALK nodes once
aliases are expanded (what validation visits), and errors that never quote the file's content.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from linter.safefile import MIB, UnsafeFile, read_regular_file

if TYPE_CHECKING:
    from linter.sources.yaml import PositionedLoader

MAX_DATA_FILE_BYTES = 4 * MIB  # the largest bundled data file is about 22 KB


class DataFileError(Exception):
    """A data file that cannot be read or parsed; the message names a position, not content."""


@lru_cache(maxsize=1)
def _data_loader() -> type[PositionedLoader]:
    from linter.sources.yaml import PositionedLoader

    return PositionedLoader  # a SafeLoader: plain data only, tags never construct objects


def load_data_text(text: str) -> Any:
    import yaml

    from linter.sources.yaml import MAX_NODES_PER_WALK, expanded_size

    loader = _data_loader()(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        if expanded_size(node) is None:
            raise DataFileError(
                f"more than {MAX_NODES_PER_WALK:,} YAML nodes once aliases are expanded "
                "(the limit for linted YAML too)"
            )
        return loader.construct_document(node)
    except yaml.YAMLError as exc:
        raise DataFileError(yaml_problem(exc)) from None
    except RecursionError:
        raise DataFileError("nesting too deep to load") from None
    finally:
        loader.dispose()


def read_data_text(path: Path) -> str:
    """A data file's text: a regular file, at most MAX_DATA_FILE_BYTES, UTF-8."""
    try:
        data = read_regular_file(path, MAX_DATA_FILE_BYTES)
    except UnsafeFile as exc:
        raise DataFileError(str(exc)) from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DataFileError(f"not UTF-8 (byte offset {exc.start})") from None


def load_data_file(path: Path) -> Any:
    return load_data_text(read_data_text(path))


_QUOTED = re.compile(r"'[^'\n]*'|\"[^\"\n]*\"")


def yaml_problem(exc: Exception) -> str:
    """A YAML error as `problem at line L, column C`, with any quoted text of the file (a tag, a
    character, a key) elided: a repository's configuration must not make stackalign print the
    content of a file it names."""
    problem = getattr(exc, "problem", None) or getattr(exc, "reason", None) or "invalid YAML"
    context = getattr(exc, "context", None)
    if context and getattr(exc, "problem", None):
        problem = f"{problem} ({context})"
    problem = _QUOTED.sub("'…'", str(problem))[:120]
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    if mark is not None:
        return f"not valid YAML at line {mark.line + 1}, column {mark.column + 1}: {problem}"
    return f"not valid YAML: {problem}"


#: stackalign's own data files of this process, by path, taken from one cache entry (each handed
#: out once: the loaders build objects from it, and a second load of the pack reads it again)
_builtin: dict[str, Any] = {}


def load_builtin_file(path: Path) -> Any:
    """A data file shipped with stackalign (rule pack, knowledge base): the same data as
    `load_data_file`, but all of them are parsed together once and kept in the per-user cache
    as JSON, keyed by every file's path, size and mtime and by stackalign's code. A warm start
    reads one JSON file instead of parsing every YAML file of the pack."""
    from linter import cache
    from linter.resources import rules_dir

    name, root = str(path), rules_dir()
    if root not in path.parents:  # a test's or a fork's folder: read as it is
        return load_data_file(path)
    if name not in _builtin:
        key = cache.key([root], [], "builtin-data")
        stored = cache.load(key, kind="builtin")
        if isinstance(stored, dict):
            _builtin.update(stored)
        if name not in _builtin:
            loaded = {str(p): load_data_file(p) for p in sorted(root.rglob("*.yaml"))}
            if all(_json_exact(v) for v in loaded.values()):
                cache.store(key, loaded, kind="builtin")
            _builtin.update(loaded)
    return _builtin.pop(name) if name in _builtin else load_data_file(path)


def _json_exact(value: Any) -> bool:
    """Whether JSON gives `value` back unchanged (no dates, no keys that are not strings)."""
    import json

    try:
        return bool(json.loads(json.dumps(value)) == value)
    except (TypeError, ValueError):
        return False
