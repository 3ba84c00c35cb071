"""SA401, SA402: safety providers and shields the runtime cannot load; runtime wrappers.

SA401 asks the knowledge base (rules/knowledge/safety.yaml) when `module:` providers work and which
llama-stack each trustyai_fms release requires. SA402 reads ConfigMap-embedded `sitecustomize.py`
with the standard library's `ast` (never executing it).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator

from yaml.nodes import MappingNode, Node, ScalarNode

from linter.checks import CheckContext
from linter.checks.runconfig import logical, providers, run_configs
from linter.model import Applicability, Finding, Fix, RelatedLocation
from linter.sources import yaml as y
from linter.sources import yamledit
from linter.sources.yamledit import delete_range_edit, entry_line_range, replace_node_fix
from linter.target import Runtime
from linter.versions import Version, try_parse
from linter.workspace import K8sObject, RunConfig

REQ_RE = re.compile(r"^llama-stack\s*(?P<op>==|>=)?\s*(?P<version>\S+)?$")
COND_RE = re.compile(r"^\$\{env\.[A-Z0-9_]+:\+([^}]*)\}$")


# -- SA401 ----------------------------------------------------------------------------------------
def _requirement(ctx: CheckContext, package_version: Version) -> tuple[str, str] | None:
    """(operator, llama-stack version) the provider release requires, or None (unpinned/unknown)."""
    for fact in ctx.kb.topic("trustyai_fms"):
        if fact.present(package_version):
            m = REQ_RE.match(fact.subject)
            if m and m.group("op") and m.group("version"):
                return m.group("op"), m.group("version")
            return None
    return None


def _satisfies(runtime: Version, op: str, version: str) -> bool:
    want = Version.parse(version)
    have = runtime.public
    if op == "==":
        return have.release[:3] == want.release[:3] and have.pre == want.pre
    return not have < want


def _compatible_release(ctx: CheckContext, runtime: Version) -> str | None:
    """The trustyai_fms release to pin: the platform's own when it ships this runtime."""
    release = ctx.target.release
    if release and release.trustyai_fms and Version.parse(release.llamastack) == runtime:
        return release.trustyai_fms
    for fact in reversed(ctx.kb.topic("trustyai_fms")):
        m = REQ_RE.match(fact.subject)
        if (
            fact.since
            and m
            and m.group("op")
            and _satisfies(runtime, m.group("op"), m.group("version"))
        ):
            return fact.since
    return None


def _platform_ships(ctx: CheckContext, runtime: Version, package: str) -> bool:
    """RHOAI installs the provider, then llama-stack with --no-deps: its own pairing works."""
    release = ctx.target.release
    return bool(
        release and release.trustyai_fms == package and Version.parse(release.llamastack) == runtime
    )


def unsupported_safety_provider(ctx: CheckContext) -> Iterator[Finding]:
    module_fact = ctx.kb.fact("safety.provider-module")
    package = ctx.params.trustyai_package
    for rc, rt in run_configs(ctx):
        safety_ids: set[str] = set()
        for api, i, entry in providers(rc):
            if api != "safety":
                continue
            pid = _provider_id(y.text(y.get(entry, "provider_id")))
            if pid:
                safety_ids.add(pid)
            item = y.get_item(entry, "module")
            if item is None:
                continue
            where = logical(rc, f"providers.safety[{i}].module")
            module = y.text(item[1]) or ""
            if not module_fact.present(rt.version):
                yield ctx.finding(
                    rc.path,
                    rc.source.span(item[0]),
                    "module",
                    logical=where,
                    snippet=module,
                    runtime=rt,
                    module=module,
                    since=module_fact.since,
                )
                continue
            yield from _pinned(ctx, rc, rt, item[1], module, package, where)
        yield from _shields(ctx, rc, rt, safety_ids)


def _provider_id(value: str | None) -> str | None:
    """A provider id, resolving the `${env.X:+id}` conditional to the id it enables."""
    if not value:
        return None
    m = COND_RE.match(value)
    return m.group(1) if m else value


def _pinned(
    ctx: CheckContext,
    rc: RunConfig,
    rt: Runtime,
    node: Node,
    module: str,
    package: str,
    where: str,
) -> Iterator[Finding]:
    name, _, pin = module.partition("==")
    pinned = try_parse(pin)
    if name.strip() != package or pinned is None:
        return
    req = _requirement(ctx, pinned)
    if req is None or _satisfies(rt.version, *req) or _platform_ships(ctx, rt.version, pin):
        return
    better = _compatible_release(ctx, rt.version)
    fix = None
    if better is not None and better != pin and isinstance(node, ScalarNode):
        text = f"{package}=={better}"
        fix = replace_node_fix(rc.source, node, text, f"pin `{text}`", safe=False)
    yield ctx.finding(
        rc.path,
        rc.source.span(node),
        "requirement",
        logical=where,
        snippet=module,
        runtime=rt,
        module=module,
        package_version=pin,
        requirement=f"llama-stack{req[0]}{req[1]}",
        fix=fix,
    )


def _shields(
    ctx: CheckContext, rc: RunConfig, rt: Runtime, safety_ids: set[str]
) -> Iterator[Finding]:
    lists = [
        ("shields", y.get_item(rc.root, "shields")),
        (
            "registered_resources.shields",
            y.get_item(y.get(rc.root, "registered_resources"), "shields"),
        ),
    ]
    for where, item in lists:
        if item is None:
            continue
        shields = y.seq(item[1])
        for j, shield in enumerate(shields):
            pid_node = y.get(shield, "provider_id")
            raw = y.text(pid_node)
            pid = _provider_id(raw)
            if pid_node is None or not pid or "${" in pid or pid in safety_ids:
                continue
            fix = None
            if len(shields) > 1:
                rng = _item_range(rc, shield)
                if rng is not None:
                    fix = Fix(
                        applicability=Applicability.unsafe,
                        description=f"remove shield `{pid}`",
                        edits=[delete_range_edit(rc.source, rc.path, *rng)],
                    )
            yield ctx.finding(
                rc.path,
                rc.source.span(pid_node),
                "shield_provider",
                logical=logical(rc, f"{where}[{j}].provider_id"),
                snippet=raw or "",
                runtime=rt,
                shield=y.text(y.get(shield, "shield_id")) or "",
                provider=pid,
                configured=", ".join(sorted(safety_ids)) or "none",
                fix=fix,
            )


def _item_range(rc: RunConfig, item: Node) -> tuple[int, int] | None:
    """Source range of a block sequence item (`- ...` lines)."""
    text = rc.source.text
    dash = text.rfind("-", 0, item.start_mark.index)
    line_start = yamledit.line_start(text, dash)  # after LF, CRLF or a lone CR
    if dash < 0 or text[line_start:dash].strip() or not isinstance(item, MappingNode):
        return None
    first_key = item.value[0][0] if item.value else None
    if first_key is None:
        return None
    rng = entry_line_range(rc.source, item.value[-1][0], item.value[-1][1])
    end = rng[1] if rng else None
    return (line_start, end) if end is not None else None


# -- SA402 ----------------------------------------------------------------------------------------
def _patched_modules(code: str, modules: tuple[str, ...]) -> list[str]:
    """Modules of `modules` that the program imports and then assigns attributes on."""
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError, RecursionError):
        return []
    bound: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.name.split(".")[0] in modules:
                    bound[(a.asname or a.name).split(".")[0]] = a.name
        elif isinstance(node, ast.ImportFrom) and node.module:
            if node.module.split(".")[0] in modules:
                for a in node.names:
                    bound[a.asname or a.name] = f"{node.module}.{a.name}"
    patched = []
    for node in ast.walk(tree):
        targets = []
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, (ast.AugAssign, ast.AnnAssign)):
            targets = [node.target]
        for t in targets:
            base = t
            while isinstance(base, ast.Attribute):
                base = base.value
            if isinstance(t, ast.Attribute) and isinstance(base, ast.Name) and base.id in bound:
                patched.append(bound[base.id])
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "setattr"
        ):
            if node.args and isinstance(node.args[0], ast.Name) and node.args[0].id in bound:
                patched.append(bound[node.args[0].id])
    return sorted(set(patched))


def _mounts(ctx: CheckContext, cm_name: str) -> list[RelatedLocation]:
    """Where a ConfigMap is mounted (`...configMap: {name: X}` in any object): one walk per run."""
    index = ctx.cache.get("configmap_mounts")
    if index is None:
        index = ctx.cache["configmap_mounts"] = {}
        for obj in ctx.ws.objects:
            for path, node in y.walk(obj.node):
                if path and path[-1] == "configMap":
                    index.setdefault(y.text(y.get(node, "name")), []).append((obj, node))
    return [
        RelatedLocation(
            path=obj.path,
            span=obj.source.span(node),
            message=f"{obj.ref} mounts ConfigMap {cm_name}",
        )
        for obj, node in index.get(cm_name, [])
    ]


def runtime_wrapper(ctx: CheckContext) -> Iterator[Finding]:
    modules = tuple(ctx.params.modules)
    file_names = tuple(ctx.params.file_names)
    for cm in ctx.ws.objects_of("ConfigMap"):
        data = cm.get("data")
        if not isinstance(data, MappingNode):
            continue  # no entries
        for key, value in y.items(data):
            if not isinstance(key, ScalarNode) or key.value not in file_names:
                continue
            patched = _patched_modules(y.text(value) or "", modules)
            if not patched:
                continue
            yield ctx.finding(
                cm.path,
                cm.source.span(key),
                logical=f"{cm.ref}:data.{key.value}",
                snippet=key.value,
                related=_mounts(ctx, cm.name),
                name=cm.name,
                file=key.value,
                patched=", ".join(patched),
                fix=_remove_wrapper(cm, data, key, value),
            )


def _remove_wrapper(cm: K8sObject, data: MappingNode, key: Node, value: Node) -> Fix | None:
    src = cm.source
    if len(data.value) > 1:
        rng = entry_line_range(src, key, value)
        if rng is None:
            return None
        edits = [delete_range_edit(src, cm.path, *rng)]
    else:
        data_item = y.get_item(cm.node, "data")
        assert data_item is not None  # `data` was read through cm.get("data")
        data_key = data_item[0]
        end = y.trim_end(src.text, key.start_mark.index, value.end_mark.index)
        edits = [src.edit(data_key.start_mark.index, end, "data: {}")]
    return Fix(
        applicability=Applicability.unsafe,
        description=f"remove the `{key.value}` wrapper",
        edits=edits,
    )
