"""SA201-SA205: a LlamaStack run config judged against the runtime that will read it.

Every verdict comes from a knowledge-base fact (rules/knowledge/runconfig.yaml) or from the JSON
Schema generated from the real release (schemas/runconfig/llamastack-<version>.json).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from linter.checks import CheckContext
from linter.checks.runtime import runtime_for_run_config
from linter.knowledge import Fact
from linter.model import Edit, Finding, Fix
from linter.sources import yaml as y
from linter.sources.yamlscalar import ScalarDecodeError, decode_scalar
from linter.target import Runtime
from linter.versions import Version, try_parse
from linter.workspace import RunConfig

MILVUS_TYPES = ("remote::milvus", "inline::milvus")
ENV_RE = re.compile(r"\$\{env\.([A-Z0-9_]+)([^}]*)\}")


# -- shared helpers -------------------------------------------------------------------------------
def run_configs(ctx: CheckContext) -> Iterator[tuple[RunConfig, Runtime]]:
    for rc in ctx.ws.run_configs:
        runtime = runtime_for_run_config(ctx, rc)
        if runtime is not None:
            yield rc, runtime


def logical(rc: RunConfig, path: str) -> str:
    return f"{rc.label}:{path}" if rc.label else path


def providers(rc: RunConfig) -> Iterator[tuple[str, int, MappingNode]]:
    """(api, index, provider entry) for every provider of the run config."""
    for api_node, entries in y.items(y.get(rc.root, "providers")):
        for i, entry in enumerate(y.seq(entries)):
            if isinstance(entry, MappingNode):
                yield str(api_node.value), i, entry


def fact_gone(fact: Fact, version: Version) -> bool:
    """The fact ended before `version` (an `until` bound at or below it)."""
    return fact.until is not None and not version < Version.parse(fact.until)


def replace_node_fix(rc: RunConfig, node: Node, text: str, description: str, safe: bool) -> Fix:
    return Fix(
        applicability="safe" if safe else "unsafe",
        description=description,
        edits=[rc.source.edit(node.start_mark.index, node.end_mark.index, text)],
    )


def entry_line_range(src: y.YamlSource, key: Node, value: Node) -> tuple[int, int] | None:
    """Source-text range covering a block mapping entry's lines and the comments right above it.

    None when the key does not start its line (flow style, or first key after `- `).
    """
    text = src.text
    line_start = text.rfind("\n", 0, key.start_mark.index) + 1
    if text[line_start : key.start_mark.index].strip():
        return None
    indent = key.start_mark.index - line_start
    start = line_start
    while start > 0:
        prev = text.rfind("\n", 0, start - 1) + 1
        line = text[prev : start - 1]
        if line.strip().startswith("#") and len(line) - len(line.lstrip()) == indent:
            start = prev
        else:
            break
    end = y.trim_end(text, key.end_mark.index, value.end_mark.index)
    nl = text.find("\n", end)
    return start, (nl + 1 if nl >= 0 else len(text))


def delete_range_edit(src: y.YamlSource, path: str, start: int, end: int) -> Edit:
    """Delete whole lines: `start`/`end` are line starts in the source text (end may be its end)."""
    file_start = _file_line_start(src, src.file_offset(start))
    if end < len(src.text):
        file_end = _file_line_start(src, src.file_offset(end))
    else:
        file_end = src.file_end_offset(end)
    file_start = _keep_missing_final_newline(src.file_text, file_start, file_end)
    return Edit(
        path=path,
        start_offset=file_start,
        end_offset=file_end,
        span=src.span_of_indices(start, max(start, end - 1)),
        text="",
    )


def _keep_missing_final_newline(text: str, start: int, end: int) -> int:
    """Deleting the last lines of a file without a final newline: take the line break before them
    too, so that the file still ends without one (keeps the trailing-newline state)."""
    if end < len(text) or text.endswith("\n") or start == 0 or text[start - 1] != "\n":
        return start
    start -= 1
    return start - 1 if start > 0 and text[start - 1] == "\r" else start


def _file_line_start(src: y.YamlSource, offset: int) -> int:
    """Back over the indentation (a block scalar's, for embedded sources) to the line start."""
    text = src.file_text
    i = offset
    while i > 0 and text[i - 1] in " \t":
        i -= 1
    return i if i == 0 or text[i - 1] == "\n" else offset


def walk_scalars(node: Node, parent_col: int = -1) -> Iterator[tuple[tuple, ScalarNode, int]]:
    """(path, scalar, column of the enclosing block collection) for every scalar value."""
    stack: list[tuple[tuple, Node, int]] = [((), node, parent_col)]
    seen: set[int] = set()
    while stack:
        path, n, col = stack.pop()
        if id(n) in seen or len(seen) > y.MAX_NODES_PER_WALK:
            continue
        seen.add(id(n))
        if isinstance(n, ScalarNode):
            yield path, n, col
        elif isinstance(n, MappingNode):
            here = col if n.flow_style else n.start_mark.column
            for k, v in reversed(n.value):
                key = k.value if isinstance(k, ScalarNode) else "?"
                stack.append((path + (key,), v, here))
        elif isinstance(n, SequenceNode):
            here = col if n.flow_style else n.start_mark.column
            for i in range(len(n.value) - 1, -1, -1):
                stack.append((path + (i,), n.value[i], here))


def char_map(src: y.YamlSource, node: ScalarNode, parent_col: int) -> list[int] | None:
    """Index in src.text of each character of the scalar's value (plus one past the end)."""
    text, start, end, value = src.text, node.start_mark.index, node.end_mark.index, node.value
    if not node.style and text[start:end] == value:
        return list(range(start, end + 1))
    if node.style in ('"', "'") and text[start + 1 : end - 1] == value:
        return list(range(start + 1, end))
    try:
        dec = decode_scalar(text, start, parent_col)
    except ScalarDecodeError:
        return None
    return list(dec.src) if dec.value == value else None


# -- generated run-config schemas ----------------------------------------------------------------
@cache
def _schema_index(directory: str) -> tuple[tuple[Version, str], ...]:
    out = []
    for p in Path(directory).glob("llamastack-*.json"):
        v = try_parse(p.stem.removeprefix("llamastack-"))
        if v is not None:
            out.append((v, str(p)))
    return tuple(sorted(out, key=lambda t: t[0]))


@cache
def _load_schema(path: str) -> dict | None:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def run_config_schema(runtime: Version) -> tuple[Version, dict] | None:
    """The schema of the nearest release at or below the runtime on the same minor line."""
    from linter.resources import schemas_dir

    try:
        directory = schemas_dir() / "runconfig"
    except FileNotFoundError:
        return None
    best = None
    for v, path in _schema_index(str(directory)):
        if v.minor_line == runtime.minor_line and not runtime < v:
            best = (v, path)
    if best is None:
        return None
    data = _load_schema(best[1])
    return (best[0], data) if data else None


def schema_provider_types(schema: dict) -> dict[str, dict[str, dict]]:
    """api -> provider type -> info, for either layout the generator may write."""
    raw = schema.get("providers") or {}
    out: dict[str, dict[str, dict]] = {}
    for key, value in raw.items():
        if not isinstance(value, dict):
            continue
        if "api" in value:  # {type: {"api", "config_schema"}}
            out.setdefault(str(value["api"]), {})[key] = value
        else:  # {api: {type: {...}}}
            out.setdefault(key, {}).update({t: i for t, i in value.items() if isinstance(i, dict)})
    return out


# -- SA201 ----------------------------------------------------------------------------------------
def run_config_version(ctx: CheckContext) -> Iterator[Finding]:
    string_fact = ctx.kb.fact("run-config.version-string")
    for rc, rt in run_configs(ctx):
        item = y.get_item(rc.root, "version")
        if item is None or not isinstance(item[1], ScalarNode):
            continue
        node = item[1]
        wants_string = string_fact.present(rt.version)
        proper = "'2'" if wants_string else "2"
        value = node.value
        if wants_string and y.is_plain_int(node):
            variant, level = "unquoted", None
        elif value.strip() != "2":
            variant, level = "meaningless", "warning"
        else:
            continue
        yield ctx.finding(
            rc.path,
            rc.source.span(node),
            variant,
            logical=logical(rc, "version"),
            snippet=f"version: {value}",
            runtime=rt,
            level=level,
            value=value,
            proper=proper,
            fix=replace_node_fix(rc, node, proper, f"write `version: {proper}`", safe=True),
        )


# -- SA202 ----------------------------------------------------------------------------------------
def milvus_schema_override(ctx: CheckContext) -> Iterator[Finding]:
    keys = set(ctx.params.get("keys", []))
    passthrough = set(ctx.params.get("passthrough", []))
    extra_allow = ctx.kb.fact("milvus.extra-allow")
    for rc, rt in run_configs(ctx):
        for api, i, entry in providers(rc):
            ptype = y.text(y.get(entry, "provider_type"))
            config = y.get(entry, "config")
            if ptype not in MILVUS_TYPES or not isinstance(config, MappingNode):
                continue
            flagged = [
                (k, v)
                for k, v in config.value
                if isinstance(k, ScalarNode) and k.value in keys and k.value not in passthrough
            ]
            remaining = len(config.value) - len(flagged)
            for k, v in flagged:
                rng = entry_line_range(rc.source, k, v) if remaining else None
                fix = None
                if rng is not None:
                    fix = Fix(
                        applicability="safe",
                        description=f"delete `{k.value}` (LlamaStack never reads it)",
                        edits=[delete_range_edit(rc.source, rc.path, *rng)],
                    )
                yield ctx.finding(
                    rc.path,
                    rc.source.span(k),
                    "default" if extra_allow.present(rt.version) else "dropped",
                    logical=logical(rc, f"providers.{api}[{i}].config.{k.value}"),
                    snippet=f"{k.value}",
                    runtime=rt,
                    key=k.value,
                    provider_type=ptype,
                    fix=fix,
                )


# -- SA203 ----------------------------------------------------------------------------------------
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
    return replace_node_fix(rc, key, new, f"rename the key to `{new}`", safe=True)


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
    found = run_config_schema(rt.version)
    known_types = schema_provider_types(found[1]) if found else {}
    facts = {(f.api, f.subject): f for f in ctx.kb.topic("provider_types")}
    for api, i, entry in providers(rc):
        type_node = y.get(entry, "provider_type")
        ptype = y.text(type_node)
        if not ptype or _external(rc, entry) or api == "telemetry":
            continue
        fact = facts.get((api, ptype))
        registry = _registry(found, rt.version)
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


def _registry(found: tuple[Version, dict] | None, runtime: Version) -> dict[str, list] | None:
    """The full provider registry of the schema's release, only when it is the runtime's release."""
    if found is None or found[0].release != runtime.release or found[0].pre != runtime.pre:
        return None
    registry = found[1].get("registry")
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
    info: dict,
    schema_version: Version,
) -> Iterator[Finding]:
    config = y.get(entry, "config")
    schema = info.get("config_schema") or {}
    props = schema.get("properties")
    if info.get("extra", "ignore") != "ignore" or not isinstance(props, dict):
        return
    if not isinstance(config, MappingNode) or schema.get("additionalProperties") is True:
        return
    if rt.version.local:
        # A fork build (0.3.5+rhai0) carries backports the upstream schema lacks: RHOAI 3.2's own
        # default config sets remote::bedrock `api_key`, absent from upstream 0.3.5's config class.
        return
    handled = set(ctx.params.get("handled_keys", []))
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
            provider_type=y.text(y.get(entry, "provider_type")),
            schema_version=str(schema_version),
        )


def _ignored_top_level(
    ctx: CheckContext, rc: RunConfig, rt: Runtime, found: tuple[Version, dict]
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
                schema_version=str(found[0]),
            )


# -- SA204 ----------------------------------------------------------------------------------------
def _registered(root: MappingNode, name: str) -> list[Node]:
    return y.seq(y.get(root, name)) + y.seq(y.get_path(root, "registered_resources", name))


def _int(node: Node | None) -> int | None:
    value = y.text(node)
    return int(value) if value is not None and value.strip().isdigit() else None


def embedding_dimension_mismatch(ctx: CheckContext) -> Iterator[Finding]:
    for rc, rt in run_configs(ctx):
        models: dict[str, Node] = {}
        for i, m in enumerate(_registered(rc.root, "models")):
            model_id = y.text(y.get(m, "model_id"))
            if y.text(y.get(m, "model_type")) != "embedding" or not model_id:
                continue
            models[model_id] = m
            if y.get_path(m, "metadata", "embedding_dimension") is None:
                yield ctx.finding(
                    rc.path,
                    rc.source.span(y.get_item(m, "model_id")[1]),
                    "model_lacks_dimension",
                    logical=logical(rc, f"models[{i}]"),
                    snippet=model_id,
                    runtime=rt,
                    model=model_id,
                )
        for store_list in ("vector_dbs", "vector_stores"):
            for j, store in enumerate(_registered(rc.root, store_list)):
                yield from _store_mismatch(ctx, rc, rt, store, models, f"{store_list}[{j}]")


def _store_mismatch(
    ctx: CheckContext, rc: RunConfig, rt: Runtime, store: Node, models: dict[str, Node], where: str
) -> Iterator[Finding]:
    model_id = y.text(y.get(store, "embedding_model"))
    dim_node = y.get(store, "embedding_dimension")
    model = models.get(model_id or "")
    if model is None or dim_node is None:
        return
    want = _int(y.get_path(model, "metadata", "embedding_dimension"))
    got = _int(dim_node)
    if want is None or got is None or want == got:
        return
    store_id = y.text(y.get(store, "vector_db_id")) or y.text(y.get(store, "vector_store_id")) or ""
    yield ctx.finding(
        rc.path,
        rc.source.span(dim_node),
        logical=logical(rc, where + ".embedding_dimension"),
        snippet=f"{store_id}:{got}",
        runtime=rt,
        store=store_id,
        dimension=str(got),
        model=model_id,
        model_dimension=str(want),
        fix=replace_node_fix(
            rc, dim_node, str(want), f"use the model's dimension {want}", safe=False
        ),
    )


# -- SA205 ----------------------------------------------------------------------------------------
def _env_problem(op: str, new_syntax: bool) -> tuple[str, int, str, str] | None:
    """(variant, offset in the operator text, inserted text, deleted text) or None when fine.

    `op` is what follows the variable name inside `${env.NAME...}`.
    """
    if not op:
        return None
    if new_syntax:
        if op.startswith(":") and op[1:2] not in ("=", "+"):
            return "old_default", 1, "=", ""
        if op.startswith("+"):
            return "old_conditional", 0, ":", ""
        return None
    if op.startswith(":="):
        return "new_default", 1, "", "="
    if op.startswith(":+"):
        return "new_conditional", 0, "", ":"
    return None


def env_substitution_syntax(ctx: CheckContext) -> Iterator[Finding]:
    new_fact = ctx.kb.fact("env.syntax-new")
    for rc, rt in run_configs(ctx):
        new_syntax = new_fact.present(rt.version)
        for path, node, col in walk_scalars(rc.root):
            if "${env." not in node.value:
                continue
            cmap = None
            for m in ENV_RE.finditer(node.value):
                problem = _env_problem(m.group(2), new_syntax)
                if problem is None:
                    continue
                cmap = cmap or char_map(rc.source, node, col)
                if cmap is None:
                    break
                yield _env_finding(ctx, rc, rt, node, path, m, problem, cmap)


def _env_finding(ctx, rc, rt, node, path, m, problem, cmap) -> Finding:
    variant, at, insert, delete = problem
    src = rc.source
    op_start = m.start(2) + at
    expr = m.group(0)
    fixed = (
        expr[: m.start(2) - m.start() + at]
        + insert
        + expr[m.start(2) - m.start() + at + len(delete) :]
    )
    raw = cmap[op_start]
    edit = Edit(
        path=rc.path,
        start_offset=src.file_offset(raw),
        end_offset=src.file_offset(raw) + len(delete),
        span=src.span_of_indices(raw, raw + len(delete)),
        text=insert,
    )
    return ctx.finding(
        rc.path,
        src.span_of_indices(cmap[m.start()], cmap[m.end() - 1] + 1),
        variant,
        logical=logical(rc, y.dotted(path)),
        snippet=expr,
        runtime=rt,
        expr=expr,
        fixed=fixed,
        var=m.group(1),
        fix=Fix(applicability="safe", description=f"write `{fixed}`", edits=[edit]),
    )
