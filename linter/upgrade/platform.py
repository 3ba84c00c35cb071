"""The upgrade itself and the platform-side migration, as text edits of the parsed files.

- the platform Subscription: `channel` (the prefix kept, except `eus-` where the new release has no
  EUS channel) and `startingCSV`, in Subscriptions and in kustomize patches that set them;
- each LlamaStackDistribution's `distribution.image`: retagged to the new release where its image
  family follows platform releases (rules/knowledge/migrations: `images`), else replaced by the
  new release's distribution name (`rh-dev`), the image it ships; `distribution.name` follows the
  platform by itself;
- the ConfigMap key the operator reads (`run.yaml` -> `config.yaml` from RHOAI 3.3), in
  ConfigMaps and kustomize configMapGenerators mounted by a LlamaStackDistribution's `userConfig`.

Nothing here changes bytes outside the scalar or key it edits.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from linter.render import view_of
from linter.sources import yaml as y
from linter.upgrade.data import MigrationRules
from linter.upgrade.servers import plain
from linter.versions import Version

if TYPE_CHECKING:
    from yaml.nodes import Node

    from linter.knowledge import KnowledgeBase, PlatformRelease
    from linter.workspace import K8sObject, Workspace

CR_KIND = "LlamaStackDistribution"


@dataclass(frozen=True)
class TextEdit:
    """Replace text[start:end] of one file (offsets into its decoded text) and say why."""

    path: str
    start: int
    end: int
    text: str
    what: str
    line: int = 0


@dataclass
class Manual:
    """Work the migration leaves to a person: where, what, why, and where to read about it."""

    path: str
    line: int
    what: str
    reason: str
    docs: str = ""


@dataclass
class Side:
    """One end of the upgrade: the platform release (if any) and the LlamaStack it ships."""

    platform: str | None  # rhoai | odh | None (a plain LlamaStack target)
    version: str
    release: PlatformRelease | None
    llamastack: Version | None

    @property
    def label(self) -> str:
        if self.platform is None:
            return f"LlamaStack {self.version}"
        return f"{self.platform.upper() if self.platform == 'rhoai' else 'ODH'} {self.version}"


def _edit(obj_source: y.YamlSource, node: Node, text: str, what: str) -> TextEdit:
    start, end = obj_source.offsets_of(node)
    line, _ = obj_source.file_lines.position(start)
    return TextEdit(obj_source.path, start, end, text, what, line)


def _quoted_like(node: Node, value: str) -> str:
    style = getattr(node, "style", None)
    return f"{style}{value}{style}" if style in ('"', "'") else value


# -- Subscription ---------------------------------------------------------------------------------
def subscription_edits(
    ws: Workspace, kb: KnowledgeBase, rules: MigrationRules, old: Side, new: Side
) -> tuple[list[TextEdit], list[Manual]]:
    if old.platform is None or new.platform != old.platform or new.release is None:
        return [], []
    platform = kb.platform(old.platform)
    if platform is None:
        return [], []
    edits: list[TextEdit] = []
    manual: list[Manual] = []
    for source, node, kind in _channel_nodes(ws, platform.operator_packages):
        value = y.text(node) or ""
        if kind == "channel":
            new_value = _new_channel(value, platform.channel_pattern, rules, old, new)
            if new_value is None and value and not re.fullmatch(platform.channel_pattern, value):
                line, _ = source.file_lines.position(source.file_offset(node.start_mark.index))
                manual.append(
                    Manual(
                        source.path,
                        line,
                        f"channel `{value}`",
                        f"the channel names no release: pin the channel of {new.label} "
                        f"(for example `{_channel_prefix(rules, new)}-{new.version}`) so that "
                        "the operator upgrades to it and no further",
                    )
                )
        else:
            new_value = _new_csv(value, platform.csv_prefixes, old, new)
        if new_value is not None and new_value != value:
            edits.append(
                _edit(source, node, _quoted_like(node, new_value), f"{kind} {value} -> {new_value}")
            )
            if old.version in posixpath.dirname(source.path):
                line = edits[-1].line
                manual.append(
                    Manual(
                        source.path,
                        line,
                        f"{kind} set to {new_value} in a folder named for {old.version}",
                        "rename the folder (and the kustomization that lists it) so that its "
                        "name says what it installs",
                    )
                )
    return edits, manual


def _channel_nodes(ws: Workspace, packages: list[str]) -> Iterator[tuple[y.YamlSource, Node, str]]:
    """(source, value node, "channel" | "startingCSV") in Subscriptions and their patches."""
    for sub in filter(plain, ws.objects_of("Subscription")):
        spec = sub.get("spec")
        if (y.text(y.get(spec, "name")) or sub.name) not in packages:
            continue
        for key in ("channel", "startingCSV"):
            node = y.get(spec, key)
            if node is not None and y.text(node):
                yield sub.source, node, key
    for source in ws.yaml_sources:
        if source.parent is not None or view_of(source) is not None:
            continue
        for doc in source.documents:
            for op in y.seq(doc):
                path = y.text(y.get(op, "path"))
                node = y.get(op, "value")
                if node is None or not y.text(node):
                    continue
                if path == "/spec/channel":
                    yield source, node, "channel"
                elif path == "/spec/startingCSV":
                    yield source, node, "startingCSV"


def _channel_prefix(rules: MigrationRules, new: Side, prefix: str = "stable") -> str:
    for rule in rules.channels:
        if rule.platform == new.platform and prefix == rule.eus_prefix:
            return prefix if new.version in rule.eus_releases else rule.otherwise
    return prefix


def _new_channel(
    value: str, pattern: str, rules: MigrationRules, old: Side, new: Side
) -> str | None:
    m = re.fullmatch(pattern, value)
    if not m or m.group("version") != old.version:
        return None
    start, end = m.span("version")
    prefix = value[:start].rstrip("-")
    prefix = _channel_prefix(rules, new, prefix) if prefix else prefix
    return f"{prefix}-{new.version}{value[end:]}" if prefix else new.version + value[end:]


def _new_csv(value: str, prefixes: list[str], old: Side, new: Side) -> str | None:
    for prefix in prefixes:
        m = re.fullmatch(re.escape(prefix) + r"\.(v?)(\d+)\.(\d+)(\.\d+.*)?", value)
        if m and f"{m.group(2)}.{m.group(3)}" == old.version:
            return f"{prefix}.{m.group(1)}{new.version}.0"
    return None


# -- LlamaStackDistribution image -----------------------------------------------------------------
def image_edits(
    ws: Workspace, kb: KnowledgeBase, rules: MigrationRules, old: Side, new: Side
) -> tuple[list[TextEdit], list[Manual]]:
    from linter.target import parse_image

    edits: list[TextEdit] = []
    manual: list[Manual] = []
    for cr in filter(plain, ws.objects_of(CR_KIND)):
        dist = cr.get("spec", "server", "distribution")
        item = y.get_item(dist, "image")
        if item is None or y.get(dist, "name") is not None:
            continue
        key, node = item
        ref = y.text(node) or ""
        if not ref:
            continue
        info = parse_image(ref, kb)
        family = getattr(info.family, "id", None)
        retag = next((r for r in rules.images if r.family == family), None)
        line, _ = cr.source.file_lines.position(cr.source.file_offset(node.start_mark.index))
        if retag is not None and info.tag and re.fullmatch(retag.tag, info.tag) and not info.digest:
            tag = _retag(retag.retag, new, info.tag.startswith("v") and retag.keep_v)
            if tag is None:
                manual.append(_pin(cr, line, ref, new))
            elif tag != info.tag:
                new_ref = f"{info.repository}:{tag}"
                edits.append(
                    _edit(
                        cr.source,
                        node,
                        _quoted_like(node, new_ref),
                        f"{cr.ref} image {ref} -> {new_ref}",
                    )
                )
            continue
        if retag is not None and info.digest:
            manual.append(_pin(cr, line, ref, new))
            continue
        names = new.release.distribution_names if new.release is not None else []
        if not names:
            manual.append(_pin(cr, line, ref, new))
            continue
        start = cr.source.file_offset(key.start_mark.index)
        end = cr.source.file_end_offset(node.end_mark.index)
        edits.append(
            TextEdit(
                cr.path,
                start,
                end,
                f"name: {names[0]}",
                f"{cr.ref} image {ref} -> distribution `{names[0]}` (what {new.label} ships)",
                line,
            )
        )
    return edits, manual


def _retag(template: str, new: Side, keep_v: bool) -> str | None:
    if "{platform}" in template:
        return template.format(platform=new.version) if new.platform else None
    if new.llamastack is None or new.llamastack.pre is not None:
        return None  # no upstream image of a pre-release fork build
    upstream = ".".join(str(p) for p in new.llamastack.release[:3])
    return ("v" if keep_v else "") + template.format(llamastack=upstream)


def _pin(cr: K8sObject, line: int, ref: str, new: Side) -> Manual:
    return Manual(
        cr.path,
        line,
        f"{cr.ref} image {ref}",
        f"the migration cannot tell which image of this repository runs {new.label}"
        + (f" (LlamaStack {new.llamastack})" if new.llamastack else "")
        + ": pin one, or use the distribution name the platform ships",
    )


# -- ConfigMap key --------------------------------------------------------------------------------
def config_key_edits(ws: Workspace, old: Side, new: Side) -> list[TextEdit]:
    """Rename the key of ConfigMaps a LlamaStackDistribution mounts, where the new operator reads
    another one (`run.yaml` -> `config.yaml`)."""
    if old.release is None or new.release is None:
        return []
    want, had = new.release.config_key, old.release.config_key
    if want == had:
        return []
    edits: list[TextEdit] = []
    mounted: set[str] = set()
    for cr in filter(plain, ws.objects_of(CR_KIND)):
        name = y.text(cr.get("spec", "server", "userConfig", "configMapName"))
        if name:
            mounted.add(name)
    for name in sorted(mounted):
        for cm in filter(plain, ws.configmaps_named(name)):
            keys = {k.value: k for k, _ in y.items(cm.get("data")) if y.is_scalar(k)}
            if had in keys and want not in keys:
                node = keys[had]
                edits.append(
                    _edit(
                        cm.source, node, _quoted_like(node, want), f"{cm.ref} key {had} -> {want}"
                    )
                )
        for k in filter(plain, ws.kustomizations()):
            for gen in y.seq(k.get("configMapGenerator")):
                if y.text(y.get(gen, "name")) != name:
                    continue
                for f in y.seq(y.get(gen, "files")):
                    spec = y.text(f) or ""
                    key, sep, rel = spec.partition("=")
                    if not sep:
                        key, rel = posixpath.basename(spec), spec
                    if key == had:
                        value = f"{want}={rel}"
                        edits.append(
                            _edit(
                                k.source,
                                f,
                                _quoted_like(f, value),
                                f"configMapGenerator {name}: key {had} -> {want}",
                            )
                        )
    return edits
