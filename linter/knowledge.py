"""The knowledge base: verified version facts, loaded from YAML data under rules/knowledge/.

Like pluto's versions.yaml, every fact is data: a thing, the component it belongs to, the version it
appeared in (`since`, inclusive), the version it went away in (`until`, exclusive), what replaces it,
and the evidence (repository, ref, path) it rests on. Rules ask questions such as "does LlamaStack
0.2.22 serve POST /v1/vector-dbs?"; no version number lives in Python code.
"""

from __future__ import annotations

import re
from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from linter.versions import Version, closest, in_range, try_parse

Component = Literal["llamastack", "operator", "trustyai_fms", "rhoai", "odh", "kfp"]


class Evidence(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    repo: str | None = None
    ref: str | None = None
    path: str | None = None
    doc: str | None = Field(default=None, description="Section of knowledge/LLAMASTACK.md")
    note: str | None = None

    @model_validator(mode="after")
    def _located(self) -> Evidence:
        if not (self.doc or (self.repo and self.ref)):
            raise ValueError("evidence needs `doc` or `repo` + `ref`")
        return self

    def __str__(self) -> str:
        parts = []
        if self.repo:
            where = f"{self.repo}@{self.ref}"
            if self.path:
                where += f":{self.path}"
            parts.append(where)
        if self.doc:
            parts.append(self.doc)
        return "; ".join(parts)


class Fact(BaseModel):
    """Something that exists in a component from `since` (inclusive) to `until` (exclusive)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str
    component: Component = "llamastack"
    subject: str
    method: list[str] = []
    api: str | None = None
    since: str | None = None
    until: str | None = None
    deprecated_since: str | None = None
    replacement: str | None = None
    detail: str = ""
    evidence: list[Evidence] = Field(min_length=1)

    @model_validator(mode="after")
    def _versions(self) -> Fact:
        for v in (self.since, self.until, self.deprecated_since):
            if v is not None and try_parse(v) is None:
                raise ValueError(f"{self.id}: not a version: {v!r}")
        return self

    def present(self, version: Version) -> bool:
        return in_range(version, self.since, self.until)

    def deprecated(self, version: Version) -> bool:
        return (
            self.deprecated_since is not None
            and self.present(version)
            and (not version < Version.parse(self.deprecated_since))
        )


class PlatformRelease(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    version: str
    llamastack: str = Field(description="LlamaStack version in the platform's own (rh-dev) image")
    llamastack_note: str = ""
    operator: str = Field(description="llama-stack-k8s-operator level (CRD fields, ConfigMap key)")
    crd: str | None = Field(default=None, description="key of the CRD schema under schemas/crd/")
    config_key: str
    trustyai_fms: str | None = None
    distribution_names: list[str]
    evidence: list[Evidence] = Field(min_length=1)


class ChannelAlias(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    name: str
    release: str | None = None
    note: str


class Platform(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    id: Literal["rhoai", "odh"]
    name: str
    operator_packages: list[str]
    csv_prefixes: list[str]
    channel_pattern: str = Field(description="regex with a `version` group, e.g. stable-2.25")
    channel_aliases: list[ChannelAlias] = []
    path_markers: list[str] = Field(
        default=[], description="path words that tie an unreferenced channel patch to this platform"
    )
    releases: list[PlatformRelease] = []
    note: str = ""


class ImageFamily(BaseModel):
    """How to read the LlamaStack version from an image reference of one repository family."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str
    repository: str = Field(description="regex matched against registry/path (no tag)")
    kind: Literal["upstream", "community", "midstream", "product", "base"]
    platform: Literal["rhoai", "odh"] | None = Field(
        default=None, description="platform whose release a `platform` tag group names"
    )
    description: str
    tag_patterns: list[str] = Field(
        default=[], description="regexes with a `llamastack` or a `platform` group"
    )
    floating_tags: list[str] = []
    evidence: list[Evidence] = Field(min_length=1)


class OperatorLevel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    version: str
    distributions: dict[str, str]
    evidence: list[Evidence] = Field(min_length=1)


class KnowledgeFile(BaseModel):
    """One YAML file under rules/knowledge/; the loader merges all of them."""

    model_config = ConfigDict(extra="forbid")
    llamastack_releases: list[str] = []
    platforms: list[Platform] = []
    images: list[ImageFamily] = []
    operator_levels: list[OperatorLevel] = []
    facts: dict[str, list[Fact]] = {}


class KnowledgeBase:
    """The merged, validated knowledge base with the queries rules need."""

    def __init__(self, files: list[KnowledgeFile]):
        self.llamastack_releases: list[str] = []
        self.platforms: dict[str, Platform] = {}
        self.images: list[ImageFamily] = []
        self.operator_levels: list[OperatorLevel] = []
        self.facts: dict[str, list[Fact]] = {}
        for f in files:
            self.llamastack_releases.extend(f.llamastack_releases)
            for p in f.platforms:
                self.platforms[p.id] = p
            self.images.extend(f.images)
            self.operator_levels.extend(f.operator_levels)
            for topic, facts in f.facts.items():
                self.facts.setdefault(topic, []).extend(facts)
        self.llamastack_releases.sort(key=Version.parse)
        self.operator_levels.sort(key=lambda o: Version.parse(o.version))
        ids = [fact.id for facts in self.facts.values() for fact in facts]
        dupes = {i for i in ids if ids.count(i) > 1}
        if dupes:
            raise ValueError(f"duplicate fact ids: {sorted(dupes)}")

    # -- platforms -------------------------------------------------------------------------------
    def platform(self, pid: str) -> Platform | None:
        return self.platforms.get(pid)

    def release(self, pid: str, version: str) -> PlatformRelease | None:
        p = self.platforms.get(pid)
        if p is None:
            return None
        want = try_parse(version)
        for r in p.releases:
            if r.version == version or (want is not None and Version.parse(r.version) == want):
                return r
        return None

    def known_releases(self, pid: str) -> list[str]:
        p = self.platforms.get(pid)
        return [r.version for r in p.releases] if p else []

    def closest_release(self, pid: str, version: str) -> str | None:
        return closest(version, self.known_releases(pid))

    def closest_llamastack(self, version: str) -> str | None:
        return closest(version, self.llamastack_releases)

    # -- facts -----------------------------------------------------------------------------------
    def topic(self, name: str) -> list[Fact]:
        return self.facts.get(name, [])

    def fact(self, fact_id: str) -> Fact:
        return self._by_id[fact_id]

    @cached_property
    def _by_id(self) -> dict[str, Fact]:
        return {f.id: f for facts in self.facts.values() for f in facts}

    def features_between(self, older: Version, newer: Version) -> list[Fact]:
        """LlamaStack features present in `newer` but not yet in `older` (for 'what is missing')."""
        return [
            f
            for f in self.topic("features")
            if f.component == "llamastack" and f.present(newer) and not f.present(older)
        ]

    def operator_level(self, version: str) -> OperatorLevel | None:
        v = try_parse(version)
        best = None
        for level in self.operator_levels:
            if v is not None and not v < Version.parse(level.version):
                best = level
        return best

    # -- images ----------------------------------------------------------------------------------
    @cached_property
    def _image_res(self) -> list[tuple[ImageFamily, re.Pattern, list[re.Pattern]]]:
        return [
            (fam, re.compile(fam.repository), [re.compile(t) for t in fam.tag_patterns])
            for fam in self.images
        ]

    def image_family(self, repository: str) -> tuple[ImageFamily, list[re.Pattern]] | None:
        for fam, rx, tags in self._image_res:
            if rx.fullmatch(repository):
                return fam, tags
        return None


def load_knowledge(directory: Path, extra: list[Path] | None = None) -> KnowledgeBase:
    from linter.yamlload import load_data_file

    files = []
    paths = sorted(directory.glob("*.yaml")) + list(extra or [])
    for path in paths:
        try:
            data = load_data_file(path)
            files.append(KnowledgeFile.model_validate(data or {}))
        except Exception as exc:  # pydantic.ValidationError: name the file
            raise KnowledgeError(f"{path}: {exc}") from exc
    return KnowledgeBase(files)


class KnowledgeError(Exception):
    pass
