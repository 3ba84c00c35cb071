"""Run-config layout moves between LlamaStack releases, applied to a ruamel.yaml round-trip tree.

`migrate_run_config(text, old, new)` applies, in version order, the steps of every boundary the
runtime crosses (rules/knowledge/migrations/*.yaml). Each step kind is one function below; a step
changes only what still has the old shape, so a migrated config comes back unchanged.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from linter.upgrade.data import Boundary, MigrationRules, Step, StoreMove, load_migrations
from linter.upgrade.roundtrip import RoundTrip, load
from linter.versions import Version

if TYPE_CHECKING:
    from ruamel.yaml.comments import CommentedMap

#: What makes two old store configs one backend: kind, new type, then the sorted (key, value) pairs
_BackendIdentity = tuple[str | tuple[str, str], ...]


@dataclass
class Change:
    """One thing the migration did to a run config."""

    boundary: str
    what: str


@dataclass
class Note:
    """Something the migration could not do, or that needs a person's attention."""

    boundary: str
    what: str
    docs: str


@dataclass
class LayoutResult:
    text: str
    changes: list[Change] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    # stores an earlier step of this migration added (id of the store mapping -> its change):
    # a later step that moves them reports one change, not two
    added: dict[int, Change] = field(default_factory=dict, repr=False, compare=False)


@dataclass
class _Ctx:
    """What a step function sees: the tree, its boundary, and where to say what it did."""

    data: Any
    boundary: Boundary
    result: LayoutResult

    def changed(self, what: str) -> None:
        self.result.changes.append(Change(self.boundary.id, what))

    def note(self, what: str) -> None:
        self.result.notes.append(Note(self.boundary.id, what, self.boundary.docs))


def migrate_run_config(
    text: str,
    old: Version,
    new: Version,
    rules: MigrationRules | None = None,
    pins: dict[str, str] | None = None,
) -> LayoutResult:
    """`text` (one run config document) moved from runtime `old` to runtime `new`.

    Text-level steps (the env substitution syntax, a rewrite inside scalars that keeps their
    quoting and escapes) run first, on the text; the structural steps then run, in version order,
    on one ruamel.yaml round-trip tree. `pins` ({module: version}) re-pins external provider
    modules (`module: pkg==X`) to the versions the new platform release ships. Raises
    RoundTripError when the text is not one YAML mapping ruamel.yaml can round-trip."""
    from linter.upgrade.roundtrip import RoundTripError

    rules = rules or load_migrations()
    boundaries = rules.crossed(old, new)
    result = LayoutResult(text=text)
    for boundary in boundaries:
        for step in boundary.steps:
            if step.op in TEXT_STEPS:
                result.text, count = TEXT_STEPS[step.op](result.text)
                if count:
                    result.changes.append(
                        Change(boundary.id, f"{count} environment substitution(s) rewritten")
                    )
    if pins:
        result.text, repinned = pin_modules_text(result.text, pins)
        result.changes += [Change("provider-pins", what) for what in repinned]
    structural = [b for b in boundaries if any(s.op in STEPS for s in b.steps)]
    if not structural:
        return result
    rt: RoundTrip = load(result.text)
    if not isinstance(rt.data, dict):
        raise RoundTripError("not a mapping")
    for boundary in structural:
        ctx = _Ctx(rt.data, boundary, result)
        for step in boundary.steps:
            if step.op in STEPS:
                STEPS[step.op](ctx, step)
    result.text = rt.render()
    gone = sorted(env_names(text) - env_names(result.text))
    if gone:
        result.notes.append(
            Note(
                structural[0].id,
                "environment variables the migrated config no longer reads: "
                + ", ".join(gone)
                + " (they configured settings that moved or went, see the other notes)",
                structural[0].docs,
            )
        )
    return result


_ENV_NAME = re.compile(r"\$\{env\.([A-Z0-9_]+)")


def env_names(text: str) -> set[str]:
    return set(_ENV_NAME.findall(text))


# -- tree helpers -----------------------------------------------------------------------------------
def _cmap() -> CommentedMap:
    from ruamel.yaml.comments import CommentedMap

    return CommentedMap()


def _is_map(node: Any) -> bool:
    return isinstance(node, dict)


def _at(data: Any, dotted: str | None) -> Any:
    node = data
    for part in (dotted or "").split(".") if dotted else []:
        node = node.get(part) if _is_map(node) else None
    return node


def _index(m: Any, key: str) -> int:
    return list(m).index(key)


def _move_comment(src: Any, key: str, dst: Any, new_key: str) -> None:
    """Carry the comments ruamel keeps for `src[key]` over to `dst[new_key]`."""
    ca = getattr(src, "ca", None)
    if ca is None or key not in ca.items:
        return
    token = ca.items.pop(key)
    if getattr(dst, "ca", None) is not None:
        dst.ca.items[new_key] = token


def _rename(m: Any, old: str, new: str) -> bool:
    """Rename a key in place (same position, comments kept); False if not possible."""
    if old not in m or new in m:
        return False
    pos = _index(m, old)
    value = m.pop(old)
    m.insert(pos, new, value)
    _move_comment(m, old, m, new)
    return True


def _block(m: Any) -> Any:
    """A mapping that will get new keys: an empty `{}` becomes a block mapping."""
    fa = getattr(m, "fa", None)
    if fa is not None and not m:
        fa.set_block_style()
    return m


def _providers(data: Any, api: str | None = None) -> Iterator[tuple[str, Any]]:
    """(api, provider entry) for every provider mapping, of one API or all."""
    providers = data.get("providers")
    if not _is_map(providers):
        return
    for name, entries in providers.items():
        if api is not None and name != api:
            continue
        if isinstance(entries, list):
            for entry in entries:
                if _is_map(entry):
                    yield str(name), entry


def _scalar_like(old: Any, value: str) -> Any:
    """`value` in the same scalar style (quotes) as `old`."""
    cls = type(old)
    if cls is str:
        return value
    try:
        return cls(value)
    except Exception:  # noqa: BLE001 - a style class that needs more: plain
        return value


# -- env_syntax -------------------------------------------------------------------------------------
# the forms only the old syntax has: `${env.X:default}` (default not starting with = or +),
# `${env.X:}`, `${env.X+value}`; `${env.X:=d}` and `${env.X:+v}` are already the new forms
_LEGACY_DEFAULT = re.compile(r"\$\{env\.([A-Z0-9_]+):(?![=+])([^}]*)\}")
_LEGACY_CONDITIONAL = re.compile(r"\$\{env\.([A-Z0-9_]+)\+([^}]*)\}")


def new_env_syntax(value: str) -> str:
    value = _LEGACY_DEFAULT.sub(r"${env.\1:=\2}", value)
    return _LEGACY_CONDITIONAL.sub(r"${env.\1:+\2}", value)


def env_syntax_text(text: str) -> tuple[str, int]:
    """`text` with the old substitution forms rewritten inside scalar values (comments and keys
    untouched, quoting and escapes kept: the rewrite only inserts `=` or `:`), and how many."""
    from linter.sources.yaml import compose_all
    from linter.sources.yamledit import walk_scalars

    spans = []
    for doc in compose_all(text):
        for _, node, _ in walk_scalars(doc):
            start, end = node.start_mark.index, node.end_mark.index
            if "${env." in text[start:end]:
                spans.append((start, end))
    count = 0
    for start, end in sorted(set(spans), reverse=True):
        raw = text[start:end]
        new = new_env_syntax(raw)
        if new != raw:
            count += len(_LEGACY_DEFAULT.findall(raw)) + len(_LEGACY_CONDITIONAL.findall(raw))
            text = text[:start] + new + text[end:]
    return text, count


def pin_modules_text(text: str, pins: dict[str, str]) -> tuple[str, list[str]]:
    """`module: pkg==X` values re-pinned to `pins[pkg]` (only the version characters change)."""
    from linter.sources.yaml import compose_all, get, items, seq

    edits: list[tuple[int, int, str, str]] = []
    for doc in compose_all(text):
        for _, entries in items(get(doc, "providers")):
            for entry in seq(entries):
                node = get(entry, "module")
                value = getattr(node, "value", None)
                if node is None or not isinstance(value, str) or "==" not in value:
                    continue
                module, _, version = value.partition("==")
                want = pins.get(module.strip())
                if want is None or not _older(version.strip(), want):
                    continue  # not pinned by us, env-driven, already there or newer
                raw = text[node.start_mark.index : node.end_mark.index]
                at = raw.rfind(version)
                if at < 0:
                    continue
                start = node.start_mark.index + at
                edits.append(
                    (start, start + len(version), want, f"`module: {value}` -> `{module}=={want}`")
                )
    done = []
    for start, end, want, what in sorted(edits, reverse=True):
        text = text[:start] + want + text[end:]
        done.append(what)
    return text, list(reversed(done))


def _older(version: str, want: str) -> bool:
    from linter.versions import try_parse

    have, target = try_parse(version), try_parse(want)
    return have is not None and target is not None and have < target


# -- storage ----------------------------------------------------------------------------------------
_STORE_TYPES = ("sqlite", "postgres", "redis", "mongodb")


def _provider_name(provider_type: str, remote_suffix: bool) -> str:
    kind, _, name = provider_type.partition("::")
    name = (name or kind).replace("-", "_").replace("::", "_")
    return f"{name}_remote" if kind == "remote" and remote_suffix else name


def _env_free(value: Any) -> bool:
    return isinstance(value, str) and bool(value) and "${" not in value


@dataclass
class _Backends:
    """The named backends the old store configs become (one per kind and connection)."""

    step: Step
    sqlite_dir: str
    named: dict[str, Any] = field(default_factory=dict)  # name -> backend config
    by_identity: dict[_BackendIdentity, str] = field(default_factory=dict)

    def backend_for(self, kind: str, old: Any) -> str:
        """The backend name an old store config (or None: the default) moves to."""
        old_type = str((old or {}).get("type") or "sqlite") if _is_map(old) else "sqlite"
        new_type = self.step.backend_types.get(kind, {}).get(old_type)
        if new_type is None:
            new_type = self.step.backend_types[kind]["sqlite"]
            old_type = "sqlite"
        if old_type == "sqlite":
            identity: _BackendIdentity = (kind, new_type)
        else:
            identity = (kind, new_type) + tuple(
                sorted(
                    (str(k), str(v))
                    for k, v in old.items()
                    if k not in ("type", "namespace", "table_name")
                )
            )
        if identity in self.by_identity:
            return self.by_identity[identity]
        default = self.step.backends[kind]
        name = default.name
        n = 1
        while name in self.named:
            n += 1
            name = f"{kind}_{old_type}" if n == 2 else f"{kind}_{old_type}_{n - 1}"
        config = _cmap()
        config["type"] = new_type
        if old_type == "sqlite":
            config["db_path"] = f"{self.sqlite_dir}/{default.sqlite_file}"
        else:
            for k, v in old.items():
                if k not in ("type", "namespace"):
                    config[k] = v
        self.named[name] = config
        self.by_identity[identity] = name
        return name


def _sqlite_paths(data: Any, step: Step, added: dict[int, Change]) -> list[str]:
    """db_path of every old sqlite store config (top level, then providers), in order."""
    out = []
    for move in step.stores:
        old = data.get(move.from_)
        if _is_map(old) and str(old.get("type") or "sqlite") == "sqlite" and old.get("db_path"):
            out.append(str(old["db_path"]))
    for move in step.providers:
        for _, entry in _providers(data, move.api):
            old = _at(entry.get("config"), move.from_)
            if id(old) in added:
                continue  # a store this migration added: no file holds data yet
            if _is_map(old) and str(old.get("type") or "sqlite") == "sqlite" and old.get("db_path"):
                out.append(str(old["db_path"]))
    return out


def _reference(move: StoreMove, backend: str, name: str, old: Any) -> Any:
    ref = _cmap()
    ref["backend"] = backend
    if move.kind == "kv":
        old_ns = old.get("namespace") if _is_map(old) else None
        ref["namespace"] = (
            str(old_ns) if _env_free(old_ns) else (move.namespace or "").format(name=name)
        )
    else:
        ref["table_name"] = move.table_name or name
    return ref


def _set_dotted(config: Any, dotted: str, value: Any, pos: int | None) -> None:
    parts = dotted.split(".")
    node = config
    for part in parts[:-1]:
        child = node.get(part)
        if not _is_map(child):
            child = _cmap()
            if pos is not None and pos <= len(node):
                node.insert(pos, part, child)
            else:
                node[part] = child
        node, pos = child, None
    if pos is not None and pos <= len(node):
        node.insert(pos, parts[-1], value)
    else:
        node[parts[-1]] = value


def _storage(ctx: _Ctx, step: Step) -> None:
    data = ctx.data
    old_top = [m for m in step.stores if m.from_ in data]
    old_provider = [
        (move, api, entry)
        for move in step.providers
        for api, entry in _providers(data, move.api)
        if _is_map(entry.get("config"))
        and _at(entry.get("config"), move.from_) is not None
        and not _is_reference(_at(entry.get("config"), move.from_))
    ]
    missing_required = [
        (move, api, entry)
        for move in step.providers
        for api, entry in _providers(data, move.api)
        if str(entry.get("provider_type")) in move.required_for
        and _at(entry.get("config"), move.to) is None
        and (not _is_map(entry.get("config")) or move.from_ not in entry.get("config"))
    ]
    needs_storage = "storage" not in data
    if not (old_top or old_provider or missing_required or needs_storage):
        return
    paths = _sqlite_paths(data, step, ctx.result.added)
    image = str(data.get("image_name") or "distribution")
    dirs = [posixpath.dirname(p) for p in paths if posixpath.dirname(p)]
    sqlite_dir = dirs[0] if dirs else step.default_sqlite_dir.replace("{image_name}", image)
    backends = _Backends(step, sqlite_dir)
    existing = _at(data, "storage.backends")
    if _is_map(existing):
        for name, cfg in existing.items():
            backends.named[str(name)] = cfg

    # top-level stores
    stores = _cmap()
    for move in step.stores:
        old = data.get(move.from_)
        backend = backends.backend_for(move.kind, old if _is_map(old) else None)
        stores[move.store] = _reference(move, backend, move.store or "", old)
    position = min((_index(data, m.from_) for m in old_top), default=None)
    for move in old_top:
        data.pop(move.from_)
    if old_top:
        ctx.changed(
            "top-level "
            + ", ".join(f"`{m.from_}`" for m in old_top)
            + " -> `storage.backends` + `storage.stores`"
        )

    # provider stores
    moved: list[str] = []
    for move, api, entry in old_provider:
        config = entry["config"]
        old = _at(config, move.from_)
        fresh = id(old) in ctx.result.added  # added by an earlier step: one change, not two
        if fresh:
            ctx.result.changes.remove(ctx.result.added.pop(id(old)))
        pos = _index(config, move.from_) if move.from_ in config else None
        config.pop(move.from_)
        backend = backends.backend_for(move.kind, old)
        name = _provider_name(str(entry.get("provider_type") or api), move.remote_suffix)
        _set_dotted(config, move.to or move.from_, _reference(move, backend, name, old), pos)
        what = f"`{move.to}` added" if fresh else f"`{move.from_}` -> `{move.to}`"
        moved.append(f"{api} {entry.get('provider_type')}: {what} (on `{backend}`)")
    for move, api, entry in missing_required:
        config = entry.get("config")
        if not _is_map(config):
            config = entry["config"] = _cmap()
        _block(config)
        if _at(config, move.to) is not None:
            continue
        backend = backends.backend_for(move.kind, None)
        name = _provider_name(str(entry.get("provider_type") or api), move.remote_suffix)
        _set_dotted(config, move.to or move.from_, _reference(move, backend, name, None), None)
        moved.append(f"{api} {entry.get('provider_type')}: `{move.to}` added (required)")
    for line in moved:
        ctx.changed(line)

    storage = data.get("storage")
    if not _is_map(storage):
        storage = _cmap()
        if position is None:
            keys = list(data)
            position = keys.index("providers") + 1 if "providers" in keys else len(keys)
        data.insert(position, "storage", storage)
    named = storage.get("backends")
    if not _is_map(named):
        named = _cmap()
        storage.insert(0, "backends", named)
    for name, cfg in backends.named.items():
        if name not in named:
            named[name] = cfg
    have = storage.get("stores")
    if not _is_map(have):
        storage["stores"] = stores
    else:
        for key, ref in stores.items():
            if key not in have and any(m.store == key and m.from_ for m in old_top):
                have[key] = ref
    if needs_storage and not old_top:
        ctx.changed("`storage` added (required): backends and stores")
    if paths and step.caveat:
        ctx.note(f"{step.caveat} (old store files: {', '.join(paths)})")


def _is_reference(node: Any) -> bool:
    """A store that is already a reference to a named backend (the new layout)."""
    if not _is_map(node):
        return False
    if "backend" in node:
        return True
    return bool(node) and all(_is_reference(v) for v in node.values())


# -- moves and renames ------------------------------------------------------------------------------
def _move_keys(ctx: _Ctx, step: Step) -> None:
    data = ctx.data
    present = [k for k in step.keys if k in data]
    if not present or not step.into:
        return
    target = data.get(step.into)
    if not _is_map(target):
        target = _cmap()
        data.insert(_index(data, present[0]), step.into, target)
    moved = []
    for key in present:
        if key in target:
            ctx.note(f"both top-level `{key}` and `{step.into}.{key}`: merge them by hand")
            continue
        value = data.pop(key)
        target[key] = value
        _move_comment(data, key, target, key)
        moved.append(key)
    if moved:
        ctx.changed(", ".join(f"`{k}`" for k in moved) + f" moved under `{step.into}`")


def _rename_key(ctx: _Ctx, step: Step) -> None:
    node = _at(ctx.data, step.at)
    if _is_map(node) and step.from_ and step.to and _rename(node, step.from_, step.to):
        ctx.changed(f"`{step.at}.{step.from_}` -> `{step.at}.{step.to}`")


def _rename_item_keys(ctx: _Ctx, step: Step) -> None:
    items = _at(ctx.data, step.at)
    if not isinstance(items, list):
        return
    done = 0
    for item in items:
        if _is_map(item):
            for old, new in step.renames.items():
                done += _rename(item, old, new)
    if done:
        renames = ", ".join(f"`{a}` -> `{b}`" for a, b in step.renames.items())
        ctx.changed(f"{step.at}: {renames}")


def _rename_api(ctx: _Ctx, step: Step) -> None:
    data = ctx.data
    old, new = step.from_ or "", step.to or ""
    apis = data.get("apis")
    changed = False
    if isinstance(apis, list) and old in apis:
        i = apis.index(old)
        if new in apis:
            del apis[i]
        else:
            apis[i] = _scalar_like(apis[i], new)
        changed = True
    providers = data.get("providers")
    if _is_map(providers) and _rename(providers, old, new):
        changed = True
    if changed:
        ctx.changed(f"API `{old}` -> `{new}`")


def _api_to_setting(ctx: _Ctx, step: Step) -> None:
    data = ctx.data
    api = step.api or ""
    apis = data.get("apis")
    providers = data.get("providers")
    listed = isinstance(apis, list) and api in apis
    configured = _is_map(providers) and api in providers
    if not (listed or configured):
        return
    if listed:
        apis.remove(api)
    if configured:
        providers.pop(api)
    if step.setting and step.setting not in data:
        value = _cmap()
        for k, v in step.value.items():
            value[k] = v
        data[step.setting] = value
        ctx.changed(f"`{api}` API and provider -> top-level `{step.setting}`")
    else:
        ctx.changed(f"`{api}` API and provider removed")
    if configured and step.caveat:
        ctx.note(step.caveat)


def _rename_provider_key(ctx: _Ctx, step: Step) -> None:
    for api, entry in list(_providers(ctx.data, step.api)):
        if str(entry.get("provider_type")) not in step.provider_types:
            continue
        config = entry.get("config")
        if _is_map(config) and step.from_ and step.to and _rename(config, step.from_, step.to):
            ctx.changed(f"{api} {entry.get('provider_type')}: `{step.from_}` -> `{step.to}`")


def _drop_key(ctx: _Ctx, step: Step) -> None:
    if step.key and step.key in ctx.data:
        ctx.data.pop(step.key)
        ctx.changed(f"top-level `{step.key}` removed: {step.reason}")


def _drop_api(ctx: _Ctx, step: Step) -> None:
    apis = ctx.data.get("apis")
    if isinstance(apis, list) and step.api in apis:
        apis.remove(step.api)
        ctx.changed(f"API `{step.api}` removed from `apis`")


def _rename_provider_type(ctx: _Ctx, step: Step) -> None:
    for api, entry in list(_providers(ctx.data, step.api)):
        value = entry.get("provider_type")
        if str(value) == step.from_ and step.to:
            entry["provider_type"] = _scalar_like(value, step.to)
            ctx.changed(f"{api} `{step.from_}` -> `{step.to}`")


def _manual_keys(ctx: _Ctx, step: Step) -> None:
    """Keys the new runtime ignores and no rule can carry over: say so, change nothing."""
    for api, entry in _providers(ctx.data, step.api):
        config = entry.get("config")
        if str(entry.get("provider_type")) not in step.provider_types or not _is_map(config):
            continue
        found = [k for k in step.keys if k in config]
        if found:
            keys = ", ".join(f"`{k}`" for k in found)
            ctx.note(
                f"{api} {entry.get('provider_id')} ({entry.get('provider_type')}): {keys} ignored: {step.reason}"
            )


def _add_provider_store(ctx: _Ctx, step: Step) -> None:
    """Give providers that keep no store yet a sqlite one next to the config's other stores."""
    key = step.key or "kvstore"
    for api, entry in list(_providers(ctx.data, step.api)):
        ptype = str(entry.get("provider_type"))
        config = entry.get("config")
        if ptype not in step.provider_types:
            continue
        if _is_map(config) and (key in config or "persistence" in config):
            continue  # has its store (or the newer layout's reference)
        if not _is_map(config):
            config = entry["config"] = _cmap()
        _block(config)
        store = _cmap()
        store["type"] = "sqlite"
        name = _provider_name(ptype, remote_suffix=True)
        store["db_path"] = f"{_sqlite_dir(ctx.data, step)}/{step.file.format(name=name)}"
        config[key] = store
        ctx.changed(f"{api} {ptype}: `{key}` added ({store['db_path']})")
        ctx.result.added[id(store)] = ctx.result.changes[-1]


def _sqlite_dir(data: Any, step: Step) -> str:
    """Where the config keeps its sqlite stores: the folder of the first `db_path` that names one."""
    for _, node in _all_maps(data):
        path = node.get("db_path")
        if isinstance(path, str) and str(node.get("type") or "sqlite") == "sqlite":
            folder = posixpath.dirname(path)
            if folder:
                return folder
    image = str(data.get("image_name") or "distribution")
    return (
        step.default_sqlite_dir.replace("{image_name}", image) or "~/.llama/distributions/" + image
    )


def _all_maps(node: Any) -> Iterator[tuple[int, Any]]:
    stack = [node]
    while stack:
        n = stack.pop(0)
        if _is_map(n):
            yield 0, n
            stack.extend(n.values())
        elif isinstance(n, list):
            stack.extend(n)


TEXT_STEPS: dict[str, Callable[[str], tuple[str, int]]] = {"env_syntax": env_syntax_text}
STEPS: dict[str, Callable[[_Ctx, Step], None]] = {
    "storage": _storage,
    "move_keys": _move_keys,
    "rename_key": _rename_key,
    "rename_item_keys": _rename_item_keys,
    "rename_api": _rename_api,
    "api_to_setting": _api_to_setting,
    "rename_provider_key": _rename_provider_key,
    "drop_key": _drop_key,
    "drop_api": _drop_api,
    "rename_provider_type": _rename_provider_type,
    "manual_keys": _manual_keys,
    "add_provider_store": _add_provider_store,
}
