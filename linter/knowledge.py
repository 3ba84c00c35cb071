"""The knowledge base: verified version facts, loaded from YAML data under rules/knowledge/.

Like pluto's versions.yaml, every fact is data: a thing, the component it belongs to, the version it
appeared in (`since`, inclusive), the version it went away in (`until`, exclusive), what replaces it,
and the evidence (repository, ref, path) it rests on. Rules ask questions such as "does LlamaStack
0.2.22 serve POST /v1/vector-dbs?"; no version number lives in Python code.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Literal

from linter.validation import STRICT, container, meta, validate
from linter.versions import Version, closest, in_range, try_parse

Component = Literal["llamastack", "operator", "trustyai_fms", "rhoai", "odh", "kfp"]


EVIDENCE = meta(min_length=1)


@dataclass(frozen=True)
class Evidence:
    """Where a fact was verified: a file at a ref of a repository, or a LLAMASTACK.md section."""

    __pydantic_config__ = STRICT
    repo: str | None = None
    ref: str | None = None
    path: str | None = None
    doc: str | None = field(default=None, metadata=meta("Section of knowledge/LLAMASTACK.md"))
    note: str | None = None

    def __post_init__(self) -> None:
        if not (self.doc or (self.repo and self.ref)):
            raise ValueError("evidence needs `doc` or `repo` + `ref`")

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


@dataclass(frozen=True)
class Fact:
    """Something that exists in a component from `since` (inclusive) to `until` (exclusive)."""

    __pydantic_config__ = STRICT
    id: str
    subject: str
    evidence: list[Evidence] = field(metadata=EVIDENCE)
    component: Component = "llamastack"
    method: list[str] = container(list)
    api: str | None = None
    since: str | None = None
    until: str | None = None
    deprecated_since: str | None = None
    replacement: str | None = None
    detail: str = ""

    def __post_init__(self) -> None:
        for v in (self.since, self.until, self.deprecated_since):
            if v is not None and try_parse(v) is None:
                raise ValueError(f"{self.id}: not a version: {v!r}")

    def present(self, version: Version) -> bool:
        return in_range(version, self.since, self.until)

    def deprecated(self, version: Version) -> bool:
        return (
            self.deprecated_since is not None
            and self.present(version)
            and (not version < Version.parse(self.deprecated_since))
        )


@dataclass(frozen=True)
class PlatformRelease:
    """One release of a platform: the LlamaStack and operator it ships, and their evidence."""

    __pydantic_config__ = STRICT
    version: str
    llamastack: str = field(
        metadata=meta("LlamaStack version in the platform's own (rh-dev) image")
    )
    operator: str = field(
        metadata=meta("llama-stack-k8s-operator level (CRD fields, ConfigMap key)")
    )
    config_key: str
    distribution_names: list[str]
    evidence: list[Evidence] = field(metadata=EVIDENCE)
    llamastack_note: str = ""
    crd: str | None = field(default=None, metadata=meta("key of the CRD schema under schemas/crd/"))
    trustyai_fms: str | None = None


@dataclass(frozen=True)
class ChannelAlias:
    """An OLM channel that names no version (`fast`, `stable`), and what it meant."""

    __pydantic_config__ = STRICT
    name: str
    note: str
    release: str | None = None


@dataclass(frozen=True)
class Platform:
    """RHOAI or Open Data Hub: how a repository names it (OLM packages, channels) and its releases."""

    __pydantic_config__ = STRICT
    id: Literal["rhoai", "odh"]
    name: str
    operator_packages: list[str]
    csv_prefixes: list[str]
    channel_pattern: str = field(metadata=meta("regex with a `version` group, e.g. stable-2.25"))
    channel_aliases: list[ChannelAlias] = container(list)
    path_markers: list[str] = container(
        list, "path words that tie an unreferenced channel patch to this platform"
    )
    releases: list[PlatformRelease] = container(list)
    note: str = ""


@dataclass(frozen=True)
class ImageFamily:
    """How to read the LlamaStack version from an image reference of one repository family."""

    __pydantic_config__ = STRICT
    id: str
    repository: str = field(metadata=meta("regex matched against registry/path (no tag)"))
    kind: Literal["upstream", "community", "midstream", "product", "base"]
    description: str
    evidence: list[Evidence] = field(metadata=EVIDENCE)
    platform: Literal["rhoai", "odh"] | None = field(
        default=None, metadata=meta("platform whose release a `platform` tag group names")
    )
    tag_patterns: list[str] = container(list, "regexes with a `llamastack` or a `platform` group")
    floating_tags: list[str] = container(list)


@dataclass(frozen=True)
class OperatorLevel:
    """A llama-stack-k8s-operator release and the distribution names it maps to images."""

    __pydantic_config__ = STRICT
    version: str
    distributions: dict[str, str]
    evidence: list[Evidence] = field(metadata=EVIDENCE)


@dataclass
class KnowledgeFile:
    """One YAML file under rules/knowledge/; the loader merges all of them."""

    __pydantic_config__ = STRICT
    llamastack_releases: list[str] = container(list)
    platforms: list[Platform] = container(list)
    images: list[ImageFamily] = container(list)
    operator_levels: list[OperatorLevel] = container(list)
    facts: dict[str, list[Fact]] = container(dict)


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
            files.append(validate(KnowledgeFile, data or {}))
        except Exception as exc:  # name the file and each bad key, never the content
            from linter.validation import error_lines

            raise KnowledgeError("\n".join([f"{path}:", *error_lines(exc)])) from exc
    return KnowledgeBase(files)


class KnowledgeError(Exception):
    pass
