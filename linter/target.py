"""The two version axes: the platform target and the LlamaStack runtime (README, "Two version axes").

Target: `--target` > config file > auto-detection (OLM Subscription, its kustomize channel patch).
Runtime: the LlamaStack version that will actually run, read from a CR's image when possible, else
the platform's shipped version, marked as assumed.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from yaml.nodes import Node

from linter.knowledge import ImageFamily, KnowledgeBase
from linter.model import TARGET_KEYS as TARGET_KEYS
from linter.model import Span
from linter.model import Target as Target
from linter.sources import yaml as y
from linter.versions import Version, try_parse
from linter.workspace import K8sObject, Workspace

if TYPE_CHECKING:
    from linter.config import TargetKey


@dataclass(frozen=True)
class Runtime:
    """The LlamaStack version a file is judged against, and why we believe it.

    `reason` says where the version comes from ("image X of LlamaStackDistribution Y", "RHOAI 2.25
    ships it"), `source` where that was read, `via` how the judged file reaches that server ("reads
    ConfigMap Z (userConfig)", "called at http://..."), `server` which server it is.
    """

    version: Version
    assumed: bool
    reason: str
    source: tuple[str, Span] | None = None
    via: str = ""
    server: str = ""

    @property
    def label(self) -> str:
        return f"{self.version} ({'assumed: ' if self.assumed else ''}{self.reason})"

    def reached(self, via: str) -> Runtime:
        """The same runtime, reached from a file in the way `via` says."""
        return replace(self, via=via)

    def explanation(self) -> str:
        """One line for every output: the version, why, where it was read, how it is reached."""
        where = f" ({self.source[0]}:{self.source[1].start.line})" if self.source else ""
        assumed = "assumed: " if self.assumed else ""
        via = f", {self.via}" if self.via else ""
        return f"LlamaStack {self.version}: {assumed}{self.reason}{where}{via}"


# -- target resolution ------------------------------------------------------------------------------
def target_from_setting(
    setting: Mapping[str, str] | Mapping[TargetKey, str], source: str, kb: KnowledgeBase
) -> Target | None:
    """A target given as {platform: release} or {llamastack: version} (CLI or config)."""
    if not setting:
        return None
    given: dict[str, str] = dict(setting.items())
    platform_keys = [k for k in setting if k in ("rhoai", "odh")]
    platform = platform_keys[0] if platform_keys else None
    ls = setting.get("llamastack")
    if platform:
        t = _platform_target(platform, str(given[platform]), source, kb)
        if ls:
            _override_llamastack(t, ls, kb)
            if t.release is None and not t.note:
                name = {"rhoai": "RHOAI", "odh": "ODH"}[platform]
                t.note = (
                    f"the knowledge base has no facts about {name} {t.version} itself (operator "
                    f"level, ConfigMap key); LlamaStack {ls}, as given, is the runtime"
                )
        return t
    if ls:
        t = Target(platform="llamastack", version=str(ls), source=source)
        _override_llamastack(t, ls, kb)
        return t
    return None


def _override_llamastack(t: Target, ls: str, kb: KnowledgeBase) -> None:
    v = try_parse(ls)
    if v is None or ls.lstrip("v") not in kb.llamastack_releases:
        t.unknown = True
        t.note = f"LlamaStack {ls} is not a release the knowledge base knows"
    t.llamastack = v


def _platform_target(platform: str, version: str, source: str, kb: KnowledgeBase) -> Target:
    release = kb.release(platform, version)
    t = Target(platform=platform, version=version, source=source, release=release)
    if release is None:
        t.unknown = True
    else:
        t.llamastack = Version.parse(release.llamastack)
    return t


@dataclass
class _Candidate:
    """A place that names a platform release (a Subscription, a channel patch)."""

    platform: str
    version: str | None
    rank: int  # 3 startingCSV, 2 versioned channel, 1 alias channel, 0 unresolvable channel
    path: str
    line: int
    column: int
    what: str
    note: str = ""
    span: Span | None = None


def detect_target(ws: Workspace, kb: KnowledgeBase) -> Target:
    candidates = _subscription_candidates(ws, kb) + _patch_candidates(ws, kb)
    if not candidates:
        return _platform_without_release(ws)
    candidates.sort(key=lambda c: (-c.rank, c.path, c.line))
    best = candidates[0]
    source = f"{best.path}:{best.line}"
    if best.version is None:
        t = Target(platform=best.platform, version=best.what, source=source, unknown=True)
        t.note = best.note
    else:
        t = _platform_target(best.platform, best.version, source, kb)
        t.note = best.note
    t.source_path, t.source_span = best.path, best.span
    seen = {(best.platform, best.version)}
    for c in candidates[1:]:
        if (c.platform, c.version) not in seen:
            seen.add((c.platform, c.version))
            t.alternatives.append(f"{c.platform} {c.version or c.what} ({c.path}:{c.line})")
    return t


def _platform_without_release(ws: Workspace) -> Target:
    """No Subscription names a release; a DataScienceCluster still shows that the repository
    deploys to OpenShift AI or Open Data Hub: an unknown target (SA002), never silence. Files
    holding one wait unparsed until this asks (engine.DETECTION_FALLBACK_TRIGGERS)."""
    ws.load_pending(lambda text: "DataScienceCluster" in text)
    for dsc in ws.objects_of("DataScienceCluster"):
        span = dsc.source.span(dsc.node)
        t = Target(
            platform=None,
            version=None,
            source=f"{dsc.path}:{span.start.line}",
            unknown=True,
            note=f"DataScienceCluster {dsc.name or '(unnamed)'} shows an OpenShift AI or Open Data "
            "Hub platform, but nothing in the repository names its release (no OLM Subscription "
            "to its operator)",
        )
        t.source_path, t.source_span = dsc.path, span
        return t
    return Target(platform=None, version=None, source="none")


def _subscription_candidates(ws: Workspace, kb: KnowledgeBase) -> list[_Candidate]:
    out = []
    for sub in ws.objects_of("Subscription"):
        spec = sub.get("spec")
        pkg = y.text(y.get(spec, "name")) or sub.name
        for platform in kb.platforms.values():
            if pkg not in platform.operator_packages:
                continue
            csv = y.get(spec, "startingCSV")
            c = _csv_candidate(platform.id, csv, sub.source, kb)
            if c:
                out.append(c)
            ch = y.get(spec, "channel")
            c = _channel_candidate(platform.id, ch, sub.source, kb)
            if c:
                out.append(c)
    return out


def _csv_candidate(
    pid: str, node: Node | None, source: y.YamlSource, kb: KnowledgeBase
) -> _Candidate | None:
    value = y.text(node)
    if node is None or not value:
        return None
    platform = kb.platform(pid)
    assert platform is not None  # pid is the id of one of kb.platforms
    for prefix in platform.csv_prefixes:
        m = re.fullmatch(re.escape(prefix) + r"\.v?(\d+)\.(\d+)(?:\.\d+.*)?", value)
        if m:
            span = source.span(node)
            return _Candidate(
                pid,
                f"{m.group(1)}.{m.group(2)}",
                3,
                source.path,
                span.start.line,
                span.start.column,
                value,
                f"startingCSV {value}",
                span,
            )
    return None


def _channel_candidate(
    pid: str, node: Node | None, source: y.YamlSource, kb: KnowledgeBase
) -> _Candidate | None:
    value = y.text(node)
    if node is None or not value:
        return None
    platform = kb.platform(pid)
    assert platform is not None  # pid is the id of one of kb.platforms
    span = source.span(node)
    m = re.fullmatch(platform.channel_pattern, value)
    if m:
        return _Candidate(
            pid,
            m.group("version"),
            2,
            source.path,
            span.start.line,
            span.start.column,
            value,
            f"channel {value}",
            span,
        )
    for alias in platform.channel_aliases:
        if alias.name == value:
            rank = 1 if alias.release else 0
            return _Candidate(
                pid,
                alias.release,
                rank,
                source.path,
                span.start.line,
                span.start.column,
                value,
                f"channel {value}: {alias.note}",
                span,
            )
    line = re.fullmatch(platform.channel_line_pattern or r"(?!)", value)
    if line:
        major = line.group("major")
        newest = [r.version for r in platform.releases if r.version.split(".")[0] == major]
        newest.sort(key=Version.parse)
        note = (
            f"channel {value} follows the newest {major}.x release; {newest[-1]} is the newest "
            f"{major}.x release in the knowledge base"
            if newest
            else f"channel {value} follows {platform.name} {major}.x, a line the knowledge base "
            "has no release facts for"
        )
        version = newest[-1] if newest else None
        rank = 1 if version else 0
        at = (source.path, span.start.line, span.start.column)
        return _Candidate(pid, version, rank, *at, value, note, span)
    at = (source.path, span.start.line, span.start.column)
    note = f"channel `{value}` names no {platform.name} release stackalign can read"
    return _Candidate(pid, None, 0, *at, value, note, span)


def _patch_candidates(ws: Workspace, kb: KnowledgeBase) -> list[_Candidate]:
    """JSON 6902 patches (`op: replace, path: /spec/channel`) of a platform's Subscription."""
    referenced = _patch_targets(ws, kb)
    out = []
    for source in ws.yaml_sources:
        if source.parent is not None:
            continue
        for doc in source.documents:
            for op in y.seq(doc):
                path = y.text(y.get(op, "path"))
                if path not in ("/spec/channel", "/spec/startingCSV"):
                    continue
                pid = referenced.get(source.path) or _platform_by_path(source.path, kb)
                if pid is None:
                    continue
                value = y.get(op, "value")
                if path == "/spec/channel":
                    c = _channel_candidate(pid, value, source, kb)
                else:
                    c = _csv_candidate(pid, value, source, kb)
                if c:
                    c.what = y.text(value) or ""
                    out.append(c)
    return out


def _patch_targets(ws: Workspace, kb: KnowledgeBase) -> dict[str, str]:
    """Patch files that a kustomization applies to a known operator's Subscription."""
    out: dict[str, str] = {}
    for k in ws.kustomizations():
        base = posixpath.dirname(k.source.path)
        for p in y.seq(k.get("patches")) + y.seq(k.get("patchesJson6902")):
            target = y.get(p, "target")
            if y.text(y.get(target, "kind")) != "Subscription":
                continue
            name = y.text(y.get(target, "name")) or ""
            rel = y.text(y.get(p, "path"))
            if not rel:
                continue
            for platform in kb.platforms.values():
                if name in platform.operator_packages:
                    out[posixpath.normpath(posixpath.join(base, rel))] = platform.id
    return out


def _platform_by_path(path: str, kb: KnowledgeBase) -> str | None:
    low = path.lower()
    for platform in kb.platforms.values():
        if any(marker in low for marker in platform.path_markers):
            return platform.id
    return None


# -- images and runtime ---------------------------------------------------------------------------
@dataclass
class ImageInfo:
    """An image reference, split, with the LlamaStack version its tag reveals."""

    ref: str
    repository: str
    tag: str | None
    digest: str | None
    family: ImageFamily | None = None
    llamastack: Version | None = None
    problem: str | None = None  # why the version cannot be read


_IMAGE_RE = re.compile(
    r"^(?P<repo>[^@\s]+?)(?::(?P<tag>[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}))?(?:@(?P<digest>[A-Za-z0-9]+:[0-9a-fA-F]+))?$"
)


def parse_image(ref: str, kb: KnowledgeBase) -> ImageInfo:
    m = _IMAGE_RE.match(ref.strip())
    if not m:
        return ImageInfo(ref, ref, None, None, problem="not an image reference")
    repo, tag, digest = m.group("repo"), m.group("tag"), m.group("digest")
    info = ImageInfo(ref, repo, tag, digest)
    found = kb.image_family(repo)
    if found is None:
        info.problem = "its repository is not one the knowledge base can read versions from"
        return info
    fam, tag_res = found
    info.family = fam
    if tag is None:
        info.problem = "no tag" + (
            " (pinned by an unknown digest)" if digest else " (means :latest)"
        )
        return info
    if tag in fam.floating_tags:
        info.problem = f"`:{tag}` is a floating tag"
        return info
    for rx in tag_res:
        tm = rx.match(tag)
        if not tm:
            continue
        groups = tm.groupdict()
        if groups.get("llamastack"):
            info.llamastack = try_parse(groups["llamastack"])
            return info
        if groups.get("platform") and fam.platform:
            release = kb.release(fam.platform, groups["platform"])
            if release is None:
                info.problem = f"tag names {fam.platform.upper()} {groups['platform']}, which the knowledge base does not know"
                return info
            info.llamastack = Version.parse(release.llamastack)
            return info
    info.problem = f"tag `{tag}` does not carry a version"
    return info


def cr_distribution(cr: K8sObject) -> tuple[Node | None, Node | None, Node | None]:
    dist = cr.get("spec", "server", "distribution")
    return dist, y.get(dist, "name"), y.get(dist, "image")


def default_runtime(target: Target) -> Runtime | None:
    if target.llamastack is None:
        return None
    if target.platform == "llamastack":
        return Runtime(target.llamastack, False, f"target LlamaStack {target.llamastack}")
    return Runtime(target.llamastack, True, f"{target.label} ships it")
