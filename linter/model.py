"""The shared vocabulary: positions, findings, fixes. Checks produce these; reporters consume them."""

from __future__ import annotations

import hashlib
from enum import Enum

from pydantic import BaseModel, ConfigDict, Field


class Level(str, Enum):
    error = "error"
    warning = "warning"
    note = "note"

    @property
    def rank(self) -> int:
        return {"error": 3, "warning": 2, "note": 1}[self.value]


class Position(BaseModel):
    """1-based line and column (columns count Unicode code points)."""

    model_config = ConfigDict(frozen=True)
    line: int
    column: int


class Span(BaseModel):
    """A region of one file: start inclusive, end exclusive (like SARIF's endColumn)."""

    model_config = ConfigDict(frozen=True)
    start: Position
    end: Position

    @classmethod
    def of(cls, line: int, column: int, end_line: int, end_column: int) -> Span:
        return cls(
            start=Position(line=line, column=column), end=Position(line=end_line, column=end_column)
        )


class Edit(BaseModel):
    """Replace the text between two offsets of one file (character offsets into the decoded text)."""

    model_config = ConfigDict(frozen=True)
    path: str
    start_offset: int
    end_offset: int
    span: Span
    text: str


class Fix(BaseModel):
    applicability: str = Field(pattern="^(safe|unsafe)$")
    description: str
    edits: list[Edit]


class RelatedLocation(BaseModel):
    path: str
    span: Span
    message: str


class Finding(BaseModel):
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
    related: list[RelatedLocation] = []
    suppressed: str | None = None  # justification when suppressed in source

    @property
    def fingerprint(self) -> str:
        """Stable across line shifts: rule, path, logical location and normalized snippet."""
        snippet = " ".join(self.snippet.split())
        key = "\x1f".join((self.rule, self.path, self.logical_location, snippet))
        return hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]

    def sort_key(self) -> tuple:
        return (self.path, self.span.start.line, self.span.start.column, self.rule, self.message)
