"""SA203 run-config-schema: a run config the runtime's own schema reads differently (keys it
requires, drops or ignores; provider types its registry lacks)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

from yaml.nodes import MappingNode, Node, ScalarNode

from linter.checks import CheckContext
from linter.checks.runconfig import fact_gone, logical, providers, run_configs
from linter.knowledge import Fact, KnowledgeBase
from linter.model import Finding, Fix
from linter.sources import yaml as y
from linter.sources.yamledit import replace_node_fix
from linter.target import Runtime
from linter.versions import Version, try_parse
from linter.workspace import RunConfig


@cache
def _schema_index(directory: str) -> tuple[tuple[Version, str], ...]:
    out = []
    for p in Path(directory).glob("llamastack-*.json"):
        v = try_parse(p.stem.removeprefix("llamastack-"))
        if v is not None:
            out.append((v, str(p)))
    return tuple(sorted(out, key=lambda t: t[0]))


@cache
def _load_schema(path: str) -> dict[str, Any] | None:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def run_config_schema(kb: KnowledgeBase, runtime: Version) -> tuple[Version, dict[str, Any]] | None:
    """The generated schema that describes the runtime: its own release's, else (a fork build) the
    schema of the upstream release the knowledge base records it was cut from. A neighbouring
    release's schema never stands in: keys and provider types change by patch release."""
    from linter.resources import schemas_dir

    try:
        directory = schemas_dir() / "runconfig"
    except FileNotFoundError:
        return None
    generated = dict(_schema_index(str(directory)))
    for candidate in kb.schema_versions(runtime):
        version = Version.parse(candidate)
        path = generated.get(version)
        data = _load_schema(path) if path else None
        if data:
            return version, data
    return None


def schema_provider_types(schema: dict[str, Any]) -> dict[str, dict[str, dict[str, Any]]]:
    """api -> provider type -> info, for either layout the generator may write."""
    raw = schema.get("providers") or {}
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for key, value in raw.items():
        if not isinstance(value, dict):
            continue
        if "api" in value:  # {type: {"api", "config_schema"}}
            out.setdefault(str(value["api"]), {})[key] = value
        else:  # {api: {type: {...}}}
            out.setdefault(key, {}).update({t: i for t, i in value.items() if isinstance(i, dict)})
    return out


def run_config_schema_check(ctx: CheckContext) -> Iterator[Finding]:
    for rc, rt in run_configs(ctx):
        yield from _top_level(ctx, rc, rt)
        yield from _provider_problems(ctx, rc, rt)
        yield from _schema_problems(ctx, rc, rt)


def _top_level(ctx: CheckContext, rc: RunConfig, rt: Runtime) -> Iterator[Finding]:
    keys = {k.value: (k, v) for k, v in rc.root.value if isinstance(k, ScalarNode)}
    for fact in ctx.kb.topic("run_config_required"):
        if fact.present(rt.version) and fact.subject not in keys and rc.root.value:
            first = rc.root.value[0][0]
            yield ctx.finding(
                rc.path,
                rc.source.span(first),
                "required_key",
                logical=logical(rc, fact.subject),
                snippet=fact.subject,
                runtime=rt,
                key=fact.subject,
                since=fact.since,
                detail=fact.detail,
            )
    for fact in ctx.kb.topic("run_config_keys"):
        if fact.subject in keys and fact_gone(fact, rt.version):
            k, _ = keys[fact.subject]
            yield ctx.finding(
                rc.path,
                rc.source.span(k),
                "dropped_key",
                logical=logical(rc, fact.subject),
                snippet=fact.subject,
                runtime=rt,
                key=fact.subject,
                until=fact.until,
                replacement=fact.replacement or "",
            )


def _sqlite_stores(node: Node) -> Iterator[MappingNode]:
    for _, n in y.walk(node):
        if isinstance(n, MappingNode) and y.text(y.get(n, "type")) == "sqlite":
            yield n


def _rename_key_fix(rc: RunConfig, key: Node, new: str) -> Fix:
    return replace_node_fix(rc.source, key, new, f"rename the key to `{new}`", safe=True)


def _provider_problems(ctx: CheckContext, rc: RunConfig, rt: Runtime) -> Iterator[Finding]:
    kb = ctx.kb
    token, url, db_path, telemetry = (
        kb.fact("provider.milvus-token-required"),
        kb.fact("provider.vllm-url"),
        kb.fact("provider.kvstore-db-path"),
        kb.fact("provider.telemetry-api"),
    )
    if db_path.present(rt.version):
        for store in _sqlite_stores(rc.root):
            item = y.get_item(store, "path")
            if item is not None and y.get(store, "db_path") is None:
                yield ctx.finding(
                    rc.path,
                    rc.source.span(item[0]),
                    "kvstore_path",
                    logical=logical(rc, "kvstore.path"),
                    snippet="path",
                    runtime=rt,
                    fix=_rename_key_fix(rc, item[0], "db_path"),
                )
    tele = y.get_item(y.get(rc.root, "providers"), "telemetry")
    if tele is not None and y.seq(tele[1]) and fact_gone(telemetry, rt.version):
        yield ctx.finding(
            rc.path,
            rc.source.span(tele[0]),
            "telemetry_provider",
            logical=logical(rc, "providers.telemetry"),
            snippet="telemetry",
            runtime=rt,
            until=telemetry.until,
            replacement=telemetry.replacement or "",
        )
    for api, i, entry in providers(rc):
        ptype = y.text(y.get(entry, "provider_type"))
        config_item = y.get_item(entry, "config")
        config = config_item[1] if config_item else None
        where = f"providers.{api}[{i}].config"
        if ptype == "remote::milvus" and token.present(rt.version) and config_item is not None:
            if isinstance(config, MappingNode) and y.get_item(config, "token") is None:
                yield ctx.finding(
                    rc.path,
                    rc.source.span(config_item[0]),
                    "milvus_token",
                    logical=logical(rc, where),
                    snippet="token",
                    runtime=rt,
                    since=token.since,
                )
        if ptype == "remote::vllm" and fact_gone(url, rt.version):
            item = y.get_item(config, "url")
            if item is not None and y.get(config, "base_url") is None:
                yield ctx.finding(
                    rc.path,
                    rc.source.span(item[0]),
                    "vllm_url",
                    logical=logical(rc, where + ".url"),
                    snippet="url",
                    runtime=rt,
                    until=url.until,
                    fix=_rename_key_fix(rc, item[0], "base_url"),
                )


def _external(rc: RunConfig, entry: MappingNode) -> bool:
    return (
        y.get(entry, "module") is not None or y.get(rc.root, "external_providers_dir") is not None
    )


def _schema_problems(ctx: CheckContext, rc: RunConfig, rt: Runtime) -> Iterator[Finding]:
    found = run_config_schema(ctx.kb, rt.version)
    known_types = schema_provider_types(found[1]) if found else {}
    facts = {(f.api, f.subject): f for f in ctx.kb.topic("provider_types")}
    for api, i, entry in providers(rc):
        type_node = y.get(entry, "provider_type")
        ptype = y.text(type_node)
        if type_node is None or not ptype or _external(rc, entry) or api == "telemetry":
            continue
        fact = facts.get((api, ptype))
        registry = _registry(found)
        if registry is not None and api in registry:
            unknown = ptype not in registry[api]
        else:
            unknown = fact is not None and not fact.present(rt.version)
        if unknown:
            since = (
                fact.since if fact and fact.since and rt.version < Version.parse(fact.since) else ""
            )
            yield ctx.finding(
                rc.path,
                rc.source.span(type_node),
                "unknown_provider_type",
                logical=logical(rc, f"providers.{api}[{i}].provider_type"),
                snippet=ptype,
                runtime=rt,
                provider_type=ptype,
                api=api,
                why=_why_type(fact, rt.version, since, found[0] if found else None),
            )
            continue
        if found and ptype in known_types.get(api, {}):
            yield from _ignored_config_keys(
                ctx, rc, rt, api, i, entry, known_types[api][ptype], found[0]
            )
    if found:
        yield from _ignored_top_level(ctx, rc, rt, found)


def _schema_label(schema_version: Version, runtime: Version) -> str:
    """`0.3.5`, or for a fork build `0.3.5, the release 0.3.5+rhai0 was cut from`."""
    if schema_version == runtime:
        return str(schema_version)
    return f"{schema_version}, the release {runtime} was cut from"


def _registry(found: tuple[Version, dict[str, Any]] | None) -> dict[str, list[str]] | None:
    """The full in-tree provider registry of the schema's release."""
    registry = found[1].get("registry") if found else None
    return registry if isinstance(registry, dict) else None


def _why_type(
    fact: Fact | None, version: Version, since: str, schema_version: Version | None
) -> str:
    if fact is not None and since:
        return f"it appeared in {since}"
    if fact is not None and fact.until:
        repl = f"; use {fact.replacement}" if fact.replacement else ""
        return f"it was removed in {fact.until}{repl}"
    return f"the provider registry of LlamaStack {schema_version} has no such type"


def _ignored_config_keys(
    ctx: CheckContext,
    rc: RunConfig,
    rt: Runtime,
    api: str,
    i: int,
    entry: MappingNode,
    info: dict[str, Any],
    schema_version: Version,
) -> Iterator[Finding]:
    config = y.get(entry, "config")
    schema = info.get("config_schema") or {}
    props = schema.get("properties")
    if info.get("extra", "ignore") != "ignore" or not isinstance(props, dict):
        return
    if not isinstance(config, MappingNode) or schema.get("additionalProperties") is True:
        return
    ptype = y.text(y.get(entry, "provider_type")) or ""
    handled = set(ctx.params.handled_keys) | ctx.kb.fork_accepted_keys(rt.version, api, ptype)
    for k, _ in config.value:
        if not isinstance(k, ScalarNode) or k.value in props or k.value in handled:
            continue
        yield ctx.finding(
            rc.path,
            rc.source.span(k),
            "ignored_config_key",
            logical=logical(rc, f"providers.{api}[{i}].config.{k.value}"),
            snippet=k.value,
            runtime=rt,
            key=k.value,
            provider_type=ptype,
            schema_version=_schema_label(schema_version, rt.version),
        )


def _ignored_top_level(
    ctx: CheckContext, rc: RunConfig, rt: Runtime, found: tuple[Version, dict[str, Any]]
) -> Iterator[Finding]:
    props = (found[1].get("run_config") or {}).get("properties")
    if not isinstance(props, dict):
        return
    by_fact = {
        f.subject for f in ctx.kb.topic("run_config_keys") + ctx.kb.topic("run_config_required")
    }
    for k, _ in rc.root.value:
        if isinstance(k, ScalarNode) and k.value not in props and k.value not in by_fact:
            yield ctx.finding(
                rc.path,
                rc.source.span(k),
                "ignored_top_level",
                logical=logical(rc, k.value),
                snippet=k.value,
                runtime=rt,
                key=k.value,
                schema_version=_schema_label(found[0], rt.version),
            )
