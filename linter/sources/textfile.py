"""Dependency files kept as text: requirements*.txt, pyproject.toml, setup.cfg, Containerfiles and
notebooks. Nothing is parsed at load time; the checks that want them read the text with its line
index (see linter/analysis/requirements.py), so a repository full of them costs a read at most."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from linter.positions import LineIndex

#: The file kinds (linter/discovery.py) this source holds.
TEXT_KINDS = ("requirements", "pyproject", "setupcfg", "containerfile", "notebook")


@dataclass
class TextSource:
    """A file of one of TEXT_KINDS: its path, kind and text, and its lines (\\n, \\r\\n, \\r)."""

    path: str
    kind: str
    text: str

    @cached_property
    def lines(self) -> LineIndex:
        return LineIndex(self.text, unicode_breaks=False)
