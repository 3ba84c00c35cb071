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

from linter.validation import STRICT, construct, container, meta, validate
from linter.validation import KnowledgeError as KnowledgeError
from linter.versions import Version, closest, in_range, try_parse

Component = Literal["llamastack", "operator", "trustyai_fms", "rhoai", "odh", "kfp"]


EVIDENCE = meta(min_length=1)

#: An upstream permalink a user can open: a line of a file at a tag or commit, a directory or file
#: at a ref (`tree/`), a commit, a pull request, or a page outside GitHub (vendor documentation).
PERMALINK = re.compile(
    r"https://github\.com/[\w.-]+/[\w.-]+/"
    r"(?:blob/(?:v?\d[\w.+-]*|[0-9a-f]{7,40})/[^#\s]+#L\d+(?:-L\d+)?"
    r"|tree/[^\s#]+|commit/[0-9a-f]{7,40}|pull/\d+)"
    r"|https://(?!github\.com/)[^\s]+"
)
#: A page of this repository, with an optional section anchor: `docs/knowledge.md#http-routes`.
REPOSITORY_PAGE = re.compile(r"(?:docs|rules|schemas|scripts|tests)/[\w./-]+(?:#[\w-]+)?")


@dataclass(frozen=True)
class Evidence:
    """Where a fact was verified: an upstream permalink, or a page of this repository (the section
    of docs/knowledge.md that explains it, or the script whose recorded output shows it)."""

    __pydantic_config__ = STRICT
    url: str | None = field(
        default=None,
        metadata=meta(
            "upstream permalink: github.com/<owner>/<repo>/blob/<tag or commit>/<path>#L<n>, "
            "a tree/, commit/ or pull/ URL, or a vendor documentation page"
        ),
    )
    doc: str | None = field(
        default=None,
        metadata=meta("a page of this repository, e.g. docs/knowledge.md#http-routes"),
    )
    quote: str | None = field(
        default=None,
        metadata=meta("text the linked line holds (scripts/verify_evidence.py checks it)"),
    )
    note: str | None = None

    def __post_init__(self) -> None:
        if not (self.url or self.doc):
            raise ValueError("evidence needs `url` (an upstream permalink) or `doc` (a page here)")
        if self.url is not None and not PERMALINK.fullmatch(self.url):
            raise ValueError(f"not an upstream permalink: {self.url!r}")
        if self.doc is not None and not REPOSITORY_PAGE.fullmatch(self.doc):
            raise ValueError(f"not a page of this repository: {self.doc!r}")
        if self.quote is not None and (self.url is None or "#L" not in self.url):
            raise ValueError("`quote` needs a `url` that names a line (#L<n>)")

    def __str__(self) -> str:
        return "; ".join(p for p in (self.url, self.doc, self.note) if p)


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
class ProviderConfigDifference:
    """A provider config class of a fork build that differs from the upstream release it was cut
    from: the keys the fork is known to read that the upstream class lacks."""

    __pydantic_config__ = STRICT
    api: str
    provider_type: str
    accepts: list[str] = field(metadata=meta(min_length=1))
    evidence: list[Evidence] = field(metadata=EVIDENCE)
    note: str = ""


@dataclass(frozen=True)
class ForkBuild:
    """A build of the opendatahub-io/llama-stack fork (`0.3.5+rhai0`): the upstream release whose
    code it carries, which stands in for the fork where the fork itself was never introspected."""

    __pydantic_config__ = STRICT
    version: str
    evidence: list[Evidence] = field(metadata=EVIDENCE)
    cut_from: str | None = field(
        default=None,
        metadata=meta("upstream release the build was cut from; none when cut from a branch"),
    )
    cut_from_commit: str | None = field(
        default=None, metadata=meta("upstream commit the build was cut from, when not a release")
    )
    note: str = ""
    provider_config_differences: list[ProviderConfigDifference] = container(list)


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
    channel_line_pattern: str | None = field(
        default=None,
        metadata=meta(
            "regex with a `major` group for channels that follow a major line (fast-3.x): the "
            "newest known release of that line"
        ),
    )
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
    marker: str = field(
        default="",
        metadata=meta("a literal part of every reference (the prefilter looks for it in files)"),
    )


@dataclass(frozen=True)
class OperatorLevel:
    """A llama-stack-k8s-operator release and the distribution names it maps to images."""

    __pydantic_config__ = STRICT
    version: str
    distributions: dict[str, str]
    evidence: list[Evidence] = field(metadata=EVIDENCE)


@dataclass(frozen=True)
class ServerCommands:
    """How a container shows that it runs a LlamaStack server, and names its run config."""

    __pydantic_config__ = STRICT
    markers: list[str] = field(
        metadata=meta("text in a container's command or args that starts a LlamaStack server")
    )
    config_flags: list[str] = field(
        metadata=meta("options whose value is the run config path (`--config PATH`)")
    )
    positional_after: list[str] = field(
        metadata=meta("commands whose first positional argument is the run config path")
    )
    evidence: list[Evidence] = field(metadata=EVIDENCE)
    config_env: list[str] = container(list, "env vars whose value is the run config path")


@dataclass(frozen=True)
class ClientRelease:
    """A llama-stack-client release, its minor line, and whether it sends the version header."""

    __pydantic_config__ = STRICT
    release: str
    line: str = field(metadata=meta("the minor line whose probed release stands for it"))
    sends_header: bool = field(metadata=meta("sends X-LlamaStack-Client-Version by default"))


@dataclass(frozen=True)
class SkewPair:
    """One (server, client line) pair of the probe: what the server did with the client's calls."""

    __pydantic_config__ = STRICT
    client_line: str
    client: str = field(metadata=meta("the client release probed for this line"))
    with_check: Literal["accepted", "rejected"] = field(
        metadata=meta("every call with the version check on: rejected = HTTP 426")
    )
    failing_without_check: list[str] = container(
        list,
        "calls that fail across the skew with LLAMA_STACK_DISABLE_VERSION_CHECK set, where the"
        " server's own client line succeeds (`call (status)`)",
    )


@dataclass(frozen=True)
class SkewServer:
    """A server release the probe ran, and the runtimes (fork builds) it answers for."""

    __pydantic_config__ = STRICT
    version: str
    stands_for: list[str] = field(metadata=meta("runtimes this probed release answers for"))
    packages: dict[str, str | None]
    pairs: list[SkewPair]
    note: str = ""
    matching_client: str | None = field(
        default=None, metadata=meta("the client release of the server's own line to pin")
    )
    not_probed: list[str] = container(list, "calls this server could not be probed for, and why")
    any_value_disables: bool | None = field(
        default=None, metadata=meta("LLAMA_STACK_DISABLE_VERSION_CHECK=false disabled it too")
    )


@dataclass(frozen=True)
class ImageVersionCheck:
    """Whether a platform image (or a recorded build of it) sets LLAMA_STACK_DISABLE_VERSION_CHECK."""

    __pydantic_config__ = STRICT
    build: str = field(metadata=meta("the LlamaStack build the image installs"))
    disables: bool | None = field(metadata=meta("None: not verified"))
    evidence: list[Evidence] = field(metadata=EVIDENCE)
    platform: Literal["rhoai", "odh"] | None = None
    release: str | None = field(
        default=None, metadata=meta("platform release; None when the build's branch is unknown")
    )
    note: str = ""


@dataclass(frozen=True)
class ClientSkew:
    """The recorded client/server version-skew matrix (scripts/probe_client_skew.py)."""

    __pydantic_config__ = STRICT
    header: str
    disable_env: str
    run_date: str
    seconds: float
    data: str = field(metadata=meta("the raw results file, relative to the repository"))
    evidence: list[Evidence] = field(metadata=EVIDENCE)
    clients: list[ClientRelease]
    servers: list[SkewServer]
    images: list[ImageVersionCheck] = container(list)
    note: str = ""

    def server_for(self, runtime: str) -> SkewServer | None:
        """The probed server that answers for this runtime (an exact entry of `stands_for`)."""
        for server in self.servers:
            if runtime in server.stands_for:
                return server
        return None

    def client(self, release: str) -> ClientRelease | None:
        for c in self.clients:
            if c.release == release:
                return c
        return None


@dataclass
class KnowledgeFile:
    """One YAML file under rules/knowledge/; the loader merges all of them."""

    __pydantic_config__ = STRICT
    llamastack_releases: list[str] = container(list)
    platforms: list[Platform] = container(list)
    images: list[ImageFamily] = container(list)
    operator_levels: list[OperatorLevel] = container(list)
    server_commands: ServerCommands | None = None
    fork_builds: list[ForkBuild] = container(list)
    facts: dict[str, list[Fact]] = container(dict)
    client_skew: ClientSkew | None = None


class KnowledgeBase:
    """The merged, validated knowledge base with the queries rules need."""

    def __init__(self, files: list[KnowledgeFile]):
        self.llamastack_releases: list[str] = []
        self.platforms: dict[str, Platform] = {}
        self.images: list[ImageFamily] = []
        self.operator_levels: list[OperatorLevel] = []
        self.fork_builds: list[ForkBuild] = []
        self.facts: dict[str, list[Fact]] = {}
        self.server_commands: ServerCommands | None = None
        self.client_skew: ClientSkew | None = None
        for f in files:
            self.server_commands = f.server_commands or self.server_commands
            self.client_skew = f.client_skew or self.client_skew
            self.llamastack_releases.extend(f.llamastack_releases)
            for p in f.platforms:
                self.platforms[p.id] = p
            self.images.extend(f.images)
            self.operator_levels.extend(f.operator_levels)
            self.fork_builds.extend(f.fork_builds)
            for topic, facts in f.facts.items():
                self.facts.setdefault(topic, []).extend(facts)
        self.llamastack_releases.sort(key=Version.parse)
        self.operator_levels.sort(key=lambda o: Version.parse(o.version))
        ids = [fact.id for facts in self.facts.values() for fact in facts]
        dupes = {i for i in ids if ids.count(i) > 1}
        if dupes:
            raise ValueError(f"duplicate fact ids: {sorted(dupes)}")
        for build in self.fork_builds:
            for v in (build.version, build.cut_from):
                if v is not None and v not in self.llamastack_releases:
                    raise ValueError(f"fork build {build.version}: {v} is not a known release")
            if build.cut_from is not None and Version.parse(build.cut_from).local:
                raise ValueError(f"fork build {build.version}: cut_from must be upstream")

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

    # -- fork builds -----------------------------------------------------------------------------
    def fork_build(self, version: Version) -> ForkBuild | None:
        """The recorded fork build with this version (`0.3.5+rhai0`), if any."""
        return self._fork_builds.get(version)

    @cached_property
    def _fork_builds(self) -> dict[Version, ForkBuild]:
        return {Version.parse(b.version): b for b in self.fork_builds}

    def schema_versions(self, version: Version) -> list[str]:
        """Releases whose generated run-config schema describes `version`, best first: its own,
        then (for a fork build) the upstream release it was cut from. Never a neighbour: a
        release's schema stands only for itself."""
        out = [str(version)]
        build = self.fork_build(version)
        if build is not None and build.cut_from is not None:
            out.append(build.cut_from)
        return out

    def fork_accepted_keys(self, version: Version, api: str, provider_type: str) -> set[str]:
        """Config keys a fork build is known to read beyond its upstream release's class."""
        build = self.fork_build(version)
        if build is None:
            return set()
        return {
            key
            for d in build.provider_config_differences
            if d.api == api and d.provider_type == provider_type
            for key in d.accepts
        }

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
    def _image_res(self) -> list[tuple[ImageFamily, re.Pattern[str], list[re.Pattern[str]]]]:
        return [
            (fam, re.compile(fam.repository), [re.compile(t) for t in fam.tag_patterns])
            for fam in self.images
        ]

    def image_family(self, repository: str) -> tuple[ImageFamily, list[re.Pattern[str]]] | None:
        for fam, rx, tags in self._image_res:
            if rx.fullmatch(repository):
                return fam, tags
        return None


def load_knowledge(directory: Path, extra: list[Path] | None = None) -> KnowledgeBase:
    from linter.yamlload import load_builtin_file, load_data_file

    files = []
    builtin = sorted(directory.glob("*.yaml"))
    for path in builtin + list(extra or []):
        try:
            if path in builtin:  # stackalign's own facts: the test suite validates them
                files.append(construct(KnowledgeFile, load_builtin_file(path) or {}))
            else:
                files.append(validate(KnowledgeFile, load_data_file(path) or {}))
        except Exception as exc:  # name the file and each bad key, never the content
            from linter.validation import error_lines

            raise KnowledgeError("\n".join([f"{path}:", *error_lines(exc)])) from exc
    return KnowledgeBase(files)
