"""The migration rules (rules/knowledge/migrations/*.yaml), validated like the knowledge base.

A boundary is a LlamaStack version at which the run-config layout changes; its steps say what moves
where. A step applies to a run config whose runtime crosses the boundary (from < version <= to).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Literal

from linter.knowledge import EVIDENCE, Evidence
from linter.validation import STRICT, container, meta, validate
from linter.versions import Version, try_parse

StepOp = Literal[
    "env_syntax",
    "storage",
    "move_keys",
    "rename_key",
    "rename_item_keys",
    "rename_api",
    "api_to_setting",
    "rename_provider_key",
    "drop_key",
    "drop_api",
    "rename_provider_type",
    "manual_keys",
    "add_provider_store",
]


@dataclass(frozen=True)
class StoreMove:
    """A store config that becomes a reference to a named backend (`storage` step)."""

    __pydantic_config__ = STRICT
    kind: Literal["kv", "sql"]
    from_: str = field(metadata=meta("key of the old store config", alias="from"))
    store: str | None = field(default=None, metadata=meta("storage.stores key (top level)"))
    api: str | None = field(default=None, metadata=meta("providers of this API (provider stores)"))
    to: str | None = field(default=None, metadata=meta("dotted key of the reference in config"))
    namespace: str | None = None
    table_name: str | None = None
    required_for: list[str] = container(
        list, "provider types that get the reference when their config has no store"
    )
    remote_suffix: bool = field(
        default=False, metadata=meta("`{name}` of a remote:: provider ends in `_remote`")
    )


@dataclass(frozen=True)
class Backend:
    __pydantic_config__ = STRICT
    name: str
    sqlite_file: str


@dataclass(frozen=True)
class Step:
    """One layout move; which fields it reads depends on `op` (linter/upgrade/layout.py)."""

    __pydantic_config__ = STRICT
    op: StepOp
    keys: list[str] = container(list)
    key: str | None = None
    into: str | None = None
    at: str | None = None
    from_: str | None = field(default=None, metadata=meta(alias="from"))
    to: str | None = None
    renames: dict[str, str] = container(dict)
    api: str | None = None
    provider_types: list[str] = container(list)
    setting: str | None = None
    value: dict[str, Any] = container(dict)
    reason: str = ""
    caveat: str = ""
    file: str = field(default="", metadata=meta("sqlite file name template: {name}"))
    backend_types: dict[str, dict[str, str]] = container(dict)
    backends: dict[str, Backend] = container(dict)
    default_sqlite_dir: str = ""
    stores: list[StoreMove] = container(list)
    providers: list[StoreMove] = container(list)


@dataclass(frozen=True)
class Boundary:
    """A LlamaStack version whose run-config layout differs from the one before it."""

    __pydantic_config__ = STRICT
    id: str
    version: str
    summary: str
    docs: str
    evidence: list[Evidence] = field(metadata=EVIDENCE)
    steps: list[Step] = container(list)

    def __post_init__(self) -> None:
        if try_parse(self.version) is None:
            raise ValueError(f"{self.id}: not a version: {self.version!r}")

    def crossed(self, old: Version, new: Version) -> bool:
        """True when a runtime moving from `old` to `new` crosses this boundary."""
        at = Version.parse(self.version)
        return old < at and not new < at


@dataclass(frozen=True)
class ImageRetag:
    """How an image family follows a platform upgrade: a new tag from a template."""

    __pydantic_config__ = STRICT
    family: str
    tag: str = field(metadata=meta("regex: tags of this form are retagged"))
    retag: str = field(metadata=meta("template: {platform}, {llamastack}"))
    keep_v: bool = False


@dataclass(frozen=True)
class ChannelRule:
    """Which OLM channel prefixes exist for which releases of a platform."""

    __pydantic_config__ = STRICT
    platform: str
    eus_releases: list[str]
    eus_prefix: str
    otherwise: str
    evidence: list[Evidence] = field(metadata=EVIDENCE)


@dataclass(frozen=True)
class ProviderPin:
    """An external provider module the platform pins per release (`module: pkg==X`)."""

    __pydantic_config__ = STRICT
    module: str
    release_field: str = field(metadata=meta("the PlatformRelease field holding its version"))
    evidence: list[Evidence] = field(metadata=EVIDENCE)


@dataclass(frozen=True)
class RouteRename:
    __pydantic_config__ = STRICT
    from_: str = field(metadata=meta(alias="from"))
    to: str
    since: str


@dataclass(frozen=True)
class ClientRules:
    __pydantic_config__ = STRICT
    route_renames: list[RouteRename] = container(list)
    fix_rules: list[str] = container(list)


@dataclass(frozen=True)
class ManualNote:
    """Why a finding left after the migration is manual work, and where to read about it."""

    __pydantic_config__ = STRICT
    rule: str
    contains: str
    reason: str
    docs: str


@dataclass(frozen=True)
class MigrationFile:
    """One file under rules/knowledge/migrations/; the loader merges all of them."""

    __pydantic_config__ = STRICT
    boundaries: list[Boundary] = container(list)
    images: list[ImageRetag] = container(list)
    channels: list[ChannelRule] = container(list)
    provider_pins: list[ProviderPin] = container(list)
    clients: ClientRules | None = None
    manual: list[ManualNote] = container(list)


@dataclass
class MigrationRules:
    """Every migration file merged, boundaries in version order."""

    boundaries: list[Boundary]
    images: list[ImageRetag]
    channels: list[ChannelRule]
    provider_pins: list[ProviderPin]
    route_renames: list[RouteRename]
    fix_rules: list[str]
    manual: list[ManualNote]

    def crossed(self, old: Version, new: Version) -> list[Boundary]:
        return [b for b in self.boundaries if b.crossed(old, new)]

    def boundary(self, boundary_id: str) -> Boundary:
        return next(b for b in self.boundaries if b.id == boundary_id)


def migrations_dir() -> Path:
    from linter.resources import knowledge_dir

    return knowledge_dir() / "migrations"


@cache
def load_migrations(directory: Path | None = None) -> MigrationRules:
    """The merged migration rules; a bad file raises MigrationDataError naming it."""
    from linter.yamlload import load_data_file

    files: list[MigrationFile] = []
    for path in sorted((directory or migrations_dir()).glob("*.yaml")):
        try:
            files.append(validate(MigrationFile, load_data_file(path) or {}))
        except Exception as exc:  # pydantic.ValidationError, a YAML error: name the file
            raise MigrationDataError(f"{path}: {exc}") from exc
    boundaries = sorted(
        (b for f in files for b in f.boundaries), key=lambda b: Version.parse(b.version)
    )
    return MigrationRules(
        boundaries=boundaries,
        images=[i for f in files for i in f.images],
        channels=[c for f in files for c in f.channels],
        provider_pins=[p for f in files for p in f.provider_pins],
        route_renames=[r for f in files if f.clients for r in f.clients.route_renames],
        fix_rules=[r for f in files if f.clients for r in f.clients.fix_rules],
        manual=[m for f in files for m in f.manual],
    )


class MigrationDataError(Exception):
    pass
