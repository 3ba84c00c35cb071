"""The shared vocabulary: positions, findings, fixes. Checks produce these; reporters consume them.

Plain dataclasses: they are made by our own code (never from user input), so they need no
validation, and importing them costs nothing at start-up.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from enum import Enum


class Level(str, Enum):
    error = "error"
    warning = "warning"
    note = "note"

    @property
    def rank(self) -> int:
        return _RANK[self.value]


_RANK = {"error": 3, "warning": 2, "note": 1}


@dataclass(frozen=True, slots=True)
class Position:
    """1-based line and column (columns count Unicode code points)."""

    line: int
    column: int


@dataclass(frozen=True, slots=True)
class Span:
    """A region of one file: start inclusive, end exclusive (like SARIF's endColumn)."""

    start: Position
    end: Position

    @classmethod
    def of(cls, line: int, column: int, end_line: int, end_column: int) -> Span:
        return cls(Position(line, column), Position(end_line, end_column))


@dataclass(frozen=True, slots=True)
class Edit:
    """Replace the text between two offsets of one file (character offsets into the decoded text)."""

    path: str
    start_offset: int
    end_offset: int
    span: Span
    text: str


@dataclass(slots=True)
class Fix:
    """Edits that resolve a finding; `unsafe` ones change behaviour and need --unsafe-fixes."""

    applicability: str  # "safe" or "unsafe"
    description: str
    edits: list[Edit]

    def __post_init__(self) -> None:
        if self.applicability not in ("safe", "unsafe"):
            raise ValueError(f"fix applicability must be safe or unsafe: {self.applicability!r}")


@dataclass(slots=True)
class RelatedLocation:
    """Another place that explains a finding (the CR that mounts a ConfigMap, ...)."""

    path: str
    span: Span
    message: str


@dataclass(slots=True)
class Finding:
    """One problem at one place of one file, as every output format reports it."""

    rule: str
    name: str
    level: Level
    message: str
    path: str
    span: Span
    logical_location: str = ""
    snippet: str = ""
    target: str = ""
    runtime: str = ""
    fix: Fix | None = None
    related: list[RelatedLocation] = field(default_factory=list)
    suppressed: str | None = None  # justification when suppressed in source

    def __post_init__(self) -> None:
        if not isinstance(self.level, Level):
            self.level = Level(self.level)

    @property
    def fingerprint(self) -> str:
        """Stable across line shifts: rule, path, logical location and normalized snippet."""
        snippet = " ".join(self.snippet.split())
        key = "\x1f".join((self.rule, self.path, self.logical_location, snippet))
        # surrogatepass: a file name that is not UTF-8 (lone surrogates, PEP 383) hashes too
        return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:32]

    def sort_key(self) -> tuple:
        return (self.path, self.span.start.line, self.span.start.column, self.rule, self.message)
