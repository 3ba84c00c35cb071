"""The upgrade as three lints and one change set.

1. `before`: lint under the current target (`--from`, else detected).
2. `upgraded`: the upgrade itself applied in memory (the Subscription channel and startingCSV, each
   LlamaStackDistribution's image) and linted under the new target: the deployment model then
   gives every server and every file its new runtime.
3. the migration, computed on the upgraded texts: the ConfigMap key, every run config whose
   runtime crosses a layout boundary (standalone files and ConfigMap block scalars), and the safe
   client renames of the findings the upgrade introduces; `migrated` lints all of it.

Only Options, run, RunResult and load_pack are used from the engine; overlays (absolute path ->
bytes) carry the edited files, as the lint fix loop does.
"""

from __future__ import annotations

import codecs
import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from linter.upgrade.data import MigrationRules, load_migrations
from linter.upgrade.embedded import indented, literal_block
from linter.upgrade.layout import Change, LayoutResult, Note, migrate_run_config
from linter.upgrade.platform import (
    Manual,
    Side,
    TextEdit,
    config_key_edits,
    image_edits,
    subscription_edits,
)
from linter.upgrade.servers import run_config_runtimes
from linter.versions import Version, try_parse

if TYPE_CHECKING:
    from yaml.nodes import ScalarNode

    from linter.engine import Options, RunResult
    from linter.knowledge import KnowledgeBase
    from linter.target import Target
    from linter.workspace import RunConfig


class UpgradeError(Exception):
    """The upgrade cannot be planned (no current target, an unknown new one)."""


@dataclass
class ConfigMigration:
    """What the layout migration did to one run config."""

    path: str
    label: str
    line: int
    runtime_before: str
    runtime_after: str
    changes: list[Change]
    notes: list[Note]


@dataclass
class FileChange:
    """One file of the change set: its bytes before and after, and why."""

    path: str  # relative to the working directory, with /
    abspath: str
    original: bytes
    new: bytes
    what: list[str] = field(default_factory=list)


@dataclass
class Upgrade:
    """Everything `stackalign upgrade` reports or writes."""

    old: Side
    new: Side
    before: RunResult
    upgraded: RunResult
    migrated: RunResult
    files: list[FileChange]
    configs: list[ConfigMigration]
    manual: list[Manual]
    rules: MigrationRules
    kb: KnowledgeBase

    @property
    def overlay(self) -> dict[str, bytes]:
        return {f.abspath: f.new for f in self.files}


def side_of(setting: dict[str, str], kb: KnowledgeBase, what: str) -> Side:
    """A target setting ({rhoai: 3.2} or {llamastack: 0.3.5}) as one end of the upgrade."""
    for platform in ("rhoai", "odh"):
        if platform in setting:
            version = str(setting[platform])
            release = kb.release(platform, version)
            if release is None:
                known = ", ".join(kb.known_releases(platform)) or "none"
                raise UpgradeError(
                    f"{what} {platform}={version}: not a release the knowledge base knows "
                    f"(known: {known})"
                )
            return Side(platform, release.version, release, Version.parse(release.llamastack))
    if "llamastack" in setting:
        version = str(setting["llamastack"]).lstrip("v")
        if try_parse(version) is None or version not in kb.llamastack_releases:
            closest = kb.closest_llamastack(version)
            raise UpgradeError(
                f"{what} llamastack={version}: not a LlamaStack release the knowledge base knows"
                + (f" (closest: {closest})" if closest else "")
            )
        return Side(None, version, None, Version.parse(version))
    raise UpgradeError(f"{what}: expected rhoai=X.Y or llamastack=X.Y.Z")


def side_of_target(target: Target, kb: KnowledgeBase) -> Side | None:
    """The current end, from the target a run resolved (None: none detected or unknown)."""
    if target.platform is None or target.unknown or target.version is None:
        return None
    if target.platform in ("rhoai", "odh"):
        return side_of({target.platform: target.version}, kb, "current target")
    return side_of({"llamastack": target.version}, kb, "current target")


def setting_of(side: Side) -> dict[str, str]:
    return {side.platform or "llamastack": side.version}


def plan_upgrade(opts: Options, to: dict[str, str], frm: dict[str, str] | None) -> Upgrade:
    from linter.engine import load_pack, run

    kb, _ = load_pack(opts)
    rules = load_migrations()
    new = side_of(to, kb, "--to")
    if frm:
        side_of(frm, kb, "--from")  # a clear message for an unknown release, before any lint
    base = replace(opts, target=dict(frm or {}), overlay=None)
    before = run(base)
    old = side_of_target(before.target, kb)
    if old is None:
        raise UpgradeError(
            "cannot tell what this repository runs now"
            + (
                f" ({before.target.label}: not in the knowledge base)"
                if before.target.platform
                else ""
            )
            + ": pass --from rhoai=X.Y (or llamastack=X.Y.Z)"
        )
    ws = before.workspace
    # 1. the upgrade itself: Subscription and server images
    sub, sub_manual = subscription_edits(ws, kb, rules, old, new)
    img, img_manual = image_edits(ws, kb, rules, old, new)
    texts = dict(ws.file_texts)
    files: dict[str, FileChange] = {}
    manual = sub_manual + img_manual
    _apply(opts.cwd, texts, sub + img, files, manual)
    upgraded = run(replace(opts, target=setting_of(new), overlay=_overlay(files)))
    # 2. the migration, on the upgraded texts
    uws = upgraded.workspace
    texts = dict(uws.file_texts)
    edits = config_key_edits(uws, old, new)
    rc_edits, configs, rc_manual = _run_config_edits(before, upgraded, kb, rules, texts, new)
    manual += rc_manual
    known = {f.fingerprint for f in before.findings}
    introduced = [f for f in upgraded.findings if f.fingerprint not in known]
    from linter.upgrade.clients import client_edits

    edits += rc_edits + client_edits(introduced, texts, rules, new.llamastack)
    _apply(opts.cwd, texts, edits, files, manual)
    changed = [f for f in files.values() if f.new != f.original]
    migrated = run(replace(opts, target=setting_of(new), overlay=_overlay(files)))
    return Upgrade(
        old=old,
        new=new,
        before=before,
        upgraded=upgraded,
        migrated=migrated,
        files=sorted(changed, key=lambda f: f.path),
        configs=configs,
        manual=manual,
        rules=rules,
        kb=kb,
    )


def _overlay(files: dict[str, FileChange]) -> dict[str, bytes]:
    return {f.abspath: f.new for f in files.values()}


# -- applying edits ---------------------------------------------------------------------------------
def _apply(
    cwd: Path,
    texts: dict[str, str],
    edits: list[TextEdit],
    files: dict[str, FileChange],
    manual: list[Manual],
) -> None:
    """Apply edits (offsets into `texts`) file by file; a file whose edits overlap or would not
    parse again is left as it was, with a manual-work item."""
    from linter.fixes import reparses

    by_path: dict[str, list[TextEdit]] = {}
    for e in edits:
        by_path.setdefault(e.path, []).append(e)
    for rel, file_edits in sorted(by_path.items()):
        file_edits.sort(key=lambda e: (e.start, e.end))
        if any(a.end > b.start for a, b in zip(file_edits, file_edits[1:], strict=False)):
            manual.append(
                Manual(
                    rel,
                    file_edits[0].line,
                    "overlapping migration edits",
                    "migrate this file by hand",
                )
            )
            continue
        text = texts.get(rel)
        if text is None:
            continue
        newline = "\r\n" if text.count("\r\n") * 2 > text.count("\n") else "\n"
        new_text = text
        for e in reversed(file_edits):
            piece = (
                e.text if newline == "\n" else e.text.replace("\r\n", "\n").replace("\n", "\r\n")
            )
            new_text = new_text[: e.start] + piece + new_text[e.end :]
        problem = reparses(rel, new_text)
        if problem is not None:
            manual.append(
                Manual(
                    rel,
                    file_edits[0].line,
                    "the migration of this file",
                    f"the result would not parse ({problem}); migrate it by hand",
                )
            )
            continue
        abspath = str((cwd / rel).absolute())
        change = files.get(abspath)
        if change is None:
            try:
                raw = Path(abspath).read_bytes()
            except OSError as exc:
                manual.append(Manual(rel, 1, "this file", f"cannot read it: {exc}"))
                continue
            change = files[abspath] = FileChange(rel.replace(os.sep, "/"), abspath, raw, raw)
        bom = codecs.BOM_UTF8 if change.original.startswith(codecs.BOM_UTF8) else b""
        change.new = bom + new_text.encode("utf-8")
        change.what += [e.what for e in file_edits]
        texts[rel] = new_text


# -- run configs ----------------------------------------------------------------------------------
def _run_config_edits(
    before: RunResult,
    upgraded: RunResult,
    kb: KnowledgeBase,
    rules: MigrationRules,
    texts: dict[str, str],
    new: Side,
) -> tuple[list[TextEdit], list[ConfigMigration], list[Manual]]:
    from linter.upgrade.roundtrip import RoundTripError

    old_rts = run_config_runtimes(before, kb)
    new_rts = run_config_runtimes(upgraded, kb)
    edits: list[TextEdit] = []
    configs: list[ConfigMigration] = []
    manual: list[Manual] = []
    for key, after in new_rts.items():
        prior = old_rts.get(key)
        if prior is None or prior.runtime is None or after.runtime is None:
            continue
        old_v, new_v = prior.runtime.version, after.runtime.version
        pins = _pins(rules, new, new_v)
        if not rules.crossed(old_v, new_v) and not _pinned_differently(after.config, pins):
            continue
        rc = after.config
        line = rc.source.span(rc.root).start.line
        where = f"{rc.label or 'run config'}"
        try:
            edit, result = _migrate_one(rc, texts, old_v, new_v, rules, pins)
        except (RoundTripError, _CannotMigrate) as exc:
            manual.append(
                Manual(
                    rc.path,
                    line,
                    where,
                    f"not migrated ({exc}): move it to the layout of LlamaStack {new_v} by hand",
                )
            )
            continue
        if edit is not None:
            edits.append(edit)
        if not (result.changes or result.notes):
            continue  # already in the new layout
        configs.append(
            ConfigMigration(
                rc.path,
                rc.label,
                line,
                prior.runtime.label,
                after.runtime.label,
                result.changes,
                result.notes,
            )
        )
    return edits, configs, manual


class _CannotMigrate(Exception):
    pass


def _pins(rules: MigrationRules, new: Side, runtime: Version) -> dict[str, str]:
    """Provider modules to re-pin in a config that runs on the new release's own LlamaStack."""
    if new.release is None or new.llamastack is None or runtime != new.llamastack:
        return {}
    out = {}
    for pin in rules.provider_pins:
        version = getattr(new.release, pin.release_field, None)
        if version:
            out[pin.module] = str(version)
    return out


def _pinned_differently(rc: RunConfig, pins: dict[str, str]) -> bool:
    from linter.sources import yaml as y

    for _, entries in y.items(y.get(rc.root, "providers")):
        for entry in y.seq(entries):
            module, _, version = (y.text(y.get(entry, "module")) or "").partition("==")
            want = pins.get(module.strip())
            have, target = try_parse(version.strip()), try_parse(want)
            if have is not None and target is not None and have < target:
                return True
    return False


def _migrate_one(
    rc: RunConfig,
    texts: dict[str, str],
    old: Version,
    new: Version,
    rules: MigrationRules,
    pins: dict[str, str],
) -> tuple[TextEdit | None, LayoutResult]:
    file_text = texts[rc.path]
    if rc.source.parent is None:
        if len(rc.source.documents) != 1:
            raise _CannotMigrate("a run config in a file of several YAML documents")
        lf, crlf = _as_lf(file_text)
        result = migrate_run_config(lf, old, new, rules, pins)
        if result.text == lf:
            return None, result
        new_text = result.text.replace("\n", "\r\n") if crlf else result.text
        what = f"{rc.path}: run config migrated to LlamaStack {new}"
        return TextEdit(rc.path, 0, len(file_text), new_text, what, 1), result
    node = _configmap_value(rc)
    block = literal_block(file_text, node) if node is not None else None
    if block is None:
        raise _CannotMigrate(f"{rc.label} is not a literal block scalar (`|`)")
    result = migrate_run_config(rc.source.text.replace("\r\n", "\n"), old, new, rules, pins)
    if result.text == rc.source.text.replace("\r\n", "\n"):
        return None, result
    new_raw = indented(result.text, block)
    check = file_text[: block.start] + new_raw + file_text[block.end :]
    if _embedded_value(check, rc) != result.text.rstrip("\n"):
        raise _CannotMigrate(f"{rc.label}: the rewritten block would not read back the same")
    line = rc.source.span(rc.root).start.line
    what = f"{rc.label} migrated to LlamaStack {new}"
    return TextEdit(rc.path, block.start, block.end, new_raw, what, line), result


def _as_lf(text: str) -> tuple[str, bool]:
    crlf = text.count("\r\n")
    if not crlf:
        if "\r" in text:
            raise _CannotMigrate("line breaks other than \\n and \\r\\n")
        return text, False
    if crlf != text.count("\n") or text.count("\r") != crlf:
        raise _CannotMigrate("mixed line endings")
    return text.replace("\r\n", "\n"), True


def _configmap_value(rc: RunConfig) -> ScalarNode | None:
    from linter.sources import yaml as y

    if rc.configmap is None or rc.configmap_key is None:
        return None
    value = y.get(rc.configmap.get("data"), rc.configmap_key)
    return value if y.is_scalar(value) else None  # a run config is only read from a scalar


def _embedded_value(file_text: str, rc: RunConfig) -> str | None:
    """The value of the ConfigMap key in `file_text` (the same document), without final breaks."""
    from linter.sources import yaml as y
    from linter.sources.yaml import YamlParseError, compose_all

    try:
        docs = compose_all(file_text)
    except YamlParseError:
        return None
    cm, key = rc.configmap, rc.configmap_key
    assert cm is not None and key is not None  # called for a ConfigMap's run config only
    for doc in docs:
        meta = y.get(doc, "metadata")
        if y.text(y.get(doc, "kind")) == "ConfigMap" and y.text(y.get(meta, "name")) == cm.name:
            value = y.text(y.get(y.get(doc, "data"), key))
            return value.replace("\r\n", "\n").rstrip("\n") if value is not None else None
    return None
