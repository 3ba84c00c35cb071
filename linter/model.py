"""The shared vocabulary: positions, findings, fixes, the target. Checks produce these; reporters
consume them.

Plain dataclasses: they are made by our own code (never from user input), so they need no
validation, and importing them costs nothing at start-up.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING, TypedDict

if TYPE_CHECKING:
    from linter.knowledge import PlatformRelease
    from linter.versions import Version


class Level(str, Enum):
    error = "error"
    warning = "warning"
    note = "note"

    @property
    def rank(self) -> int:
        return _RANK[self.value]


_RANK = {"error": 3, "warning": 2, "note": 1}


class Applicability(str, Enum):
    """How far a fix can be trusted: `safe` keeps what the runtime does (--fix applies it),
    `unsafe` changes behaviour (only with --unsafe-fixes)."""

    safe = "safe"
    unsafe = "unsafe"

    def __str__(self) -> str:
        return self.value


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

    applicability: Applicability
    description: str
    edits: list[Edit]
    depends_on: str = ""  # the server whose LlamaStack version the new text is written for
    changes_server: str = ""  # the server whose image (so whose version) this fix changes

    def __post_init__(self) -> None:
        self.applicability = Applicability(self.applicability)  # ValueError for anything else


@dataclass(slots=True)
class RelatedLocation:
    """Another place that explains a finding (the CR that mounts a ConfigMap, ...)."""

    path: str
    span: Span
    message: str


class RuntimeSourceJson(TypedDict):
    """`runtime_source` of a finding in the JSON report and SARIF result properties."""

    version: str
    assumed: bool
    reason: str
    server: str | None
    path: str | None
    line: int | None
    via: str | None


@dataclass(frozen=True, slots=True)
class RuntimeSource:
    """Why a finding was judged against its LlamaStack version: the server, where its version was
    read, and how the finding's file reaches it (JSON `runtime_source`, SARIF result properties)."""

    version: str
    assumed: bool
    reason: str
    explanation: str
    server: str = ""
    path: str | None = None
    line: int | None = None
    via: str = ""

    def as_json(self) -> RuntimeSourceJson:
        return {
            "version": self.version,
            "assumed": self.assumed,
            "reason": self.reason,
            "server": self.server or None,
            "path": self.path,
            "line": self.line,
            "via": self.via or None,
        }


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
    runtime_source: RuntimeSource | None = None
    fix: Fix | None = None
    related: list[RelatedLocation] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # detail that would make the message long
    server: str = ""  # the server a finding is about (its image), e.g. LlamaStackDistribution/x
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

    def sort_key(self) -> tuple[str, int, int, str, str]:
        return (self.path, self.span.start.line, self.span.start.column, self.rule, self.message)


TARGET_KEYS = ("rhoai", "odh", "llamastack")


@dataclass
class Target:
    """The platform release the repository deploys to, and where that was read."""

    platform: str | None  # rhoai | odh | llamastack | None
    version: str | None
    source: str  # "--target", ".stackalign.yaml", "path:line", or "none"
    release: PlatformRelease | None = None
    llamastack: Version | None = None  # what the platform ships (or the explicit llamastack)
    note: str = ""
    alternatives: list[str] = field(default_factory=list)
    unknown: bool = False  # a target was given or detected but the knowledge base lacks it
    source_path: str | None = None
    source_span: Span | None = None

    @property
    def label(self) -> str:
        if not self.platform:
            return "no target"
        name = {"rhoai": "RHOAI", "odh": "ODH", "llamastack": "LlamaStack"}[self.platform]
        return f"{name} {self.version}"

    def as_json(self) -> dict[str, str | None]:
        return {
            "platform": self.platform,
            "version": self.version,
            "llamastack": str(self.llamastack) if self.llamastack else None,
            "source": self.source,
        }
