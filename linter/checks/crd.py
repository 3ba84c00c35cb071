"""SA206, SA207: LlamaStackDistribution resources against the target operator's CRD and ConfigMap key.

Field availability comes from the CRD schemas generated from the real CRDs (schemas/crd/<crd>.json,
a flat `fields` list per operator level); the knowledge base (rules/knowledge/crd.yaml) says when
each field appeared upstream, for messages.
"""

from __future__ import annotations

import json
import posixpath
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import TypedDict

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from linter.analysis.deployment import CR_KIND, user_config_name
from linter.checks import CheckContext
from linter.model import Applicability, Finding, Fix, RelatedLocation
from linter.render import same_view
from linter.sources import yaml as y
from linter.workspace import K8sObject

CONFIG_KEYS = ("run.yaml", "config.yaml")


# -- SA206 ----------------------------------------------------------------------------------------
def user_config_key(ctx: CheckContext) -> Iterator[Finding]:
    release = ctx.target.release
    if release is None:
        return
    want = release.config_key
    for cr in ctx.ws.objects_of(CR_KIND):
        name = user_config_name(cr)
        ref_node = cr.get("spec", "server", "userConfig", "configMapName")
        if not name or ref_node is None:  # the name is that node's text
            continue
        related = [
            RelatedLocation(
                path=cr.path,
                span=cr.source.span(ref_node),
                message=f"{cr.ref} mounts ConfigMap {name}",
            )
        ]
        for cm in ctx.ws.configmaps_named(name):
            if not same_view(
                cr.source, cm.source
            ):  # a rendered CR mounts its own render's ConfigMap
                continue
            yield from _configmap_key(ctx, cm, want, related)
        for gen_obj, gen in _generators(ctx, name):
            yield from _generator_key(ctx, gen_obj, gen, name, want, related)


class _KeyFields(TypedDict):
    """Message fields of every SA206 finding."""

    key: str
    expected: str
    operator: str


def _fields(ctx: CheckContext, want: str, key: str) -> _KeyFields:
    release = ctx.target.release
    return {"key": key, "expected": want, "operator": release.operator if release else ""}


def _configmap_key(
    ctx: CheckContext, cm: K8sObject, want: str, related: list[RelatedLocation]
) -> Iterator[Finding]:
    data = cm.get("data")
    keys = {k.value: k for k, _ in y.items(data) if isinstance(k, ScalarNode)}
    if want in keys or not keys:
        return
    other = next((keys[k] for k in CONFIG_KEYS if k in keys), None)
    if other is None:
        yield ctx.finding(
            cm.path,
            cm.source.span(_data_key(cm)),
            "no_config",
            logical=f"{cm.ref}:data",
            snippet=",".join(sorted(keys)),
            related=related,
            name=cm.name,
            **_fields(ctx, want, ""),
        )
        return
    yield ctx.finding(
        cm.path,
        cm.source.span(other),
        logical=f"{cm.ref}:data.{other.value}",
        snippet=other.value,
        related=related,
        name=cm.name,
        fix=_rename(cm.source, other.start_mark.index, other.end_mark.index, want, other.style),
        **_fields(ctx, want, other.value),
    )


def _data_key(cm: K8sObject) -> Node:
    """The `data` key of a ConfigMap whose `data` mapping was read."""
    item = y.get_item(cm.node, "data")
    assert item is not None  # the caller found `data` through cm.get("data")
    return item[0]


def _rename(src: y.YamlSource, start: int, end: int, text: str, style: str | None) -> Fix:
    quoted = f"{style}{text}{style}" if style in ('"', "'") else text
    return Fix(
        applicability=Applicability.safe,
        description=f"rename the key to `{text}`",
        edits=[src.edit(start, end, quoted)],
    )


def _generators(ctx: CheckContext, name: str) -> Iterator[tuple[K8sObject, Node]]:
    for k in ctx.ws.kustomizations():
        for gen in y.seq(k.get("configMapGenerator")):
            if y.text(y.get(gen, "name")) == name:
                yield k, gen


def _generator_key(
    ctx: CheckContext,
    k: K8sObject,
    gen: Node,
    name: str,
    want: str,
    related: list[RelatedLocation],
) -> Iterator[Finding]:
    entries: list[tuple[str, Node, str, str]] = []  # (key, node, raw, kind)
    for f in y.seq(y.get(gen, "files")):
        spec = y.text(f) or ""
        key = spec.partition("=")[0] if "=" in spec else posixpath.basename(spec)
        entries.append((key, f, spec, "files"))
    for lit in y.seq(y.get(gen, "literals")):
        spec = y.text(lit) or ""
        entries.append((spec.partition("=")[0], lit, spec, "literals"))
    keys = [e[0] for e in entries]
    if want in keys or not entries:
        return
    match = next((e for e in entries if e[0] in CONFIG_KEYS), None)
    if match is None:
        return
    key, node, spec, kind = match
    if kind != "files" or not isinstance(node, ScalarNode):
        return
    new_spec = f"{want}={spec.partition('=')[2]}" if "=" in spec else f"{want}={spec}"
    fix = None
    if y.text(node) == spec and not node.style:
        fix = _rename(k.source, node.start_mark.index, node.end_mark.index, new_spec, None)
    yield ctx.finding(
        k.path,
        k.source.span(node),
        "generator",
        logical=f"{k.ref}:configMapGenerator[{name}]",
        snippet=spec,
        related=related,
        name=name,
        fix=fix,
        **_fields(ctx, want, key),
    )


# -- SA207 ----------------------------------------------------------------------------------------
@cache
def crd_fields(crd: str) -> tuple[frozenset[str], tuple[str, ...]] | None:
    """(known field paths, open paths) of a generated CRD schema, or None when absent."""
    from linter.resources import schemas_dir

    try:
        path = schemas_dir() / "crd" / f"{crd}.json"
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError, FileNotFoundError):
        return None
    return frozenset(data.get("fields", [])), tuple(data.get("open_fields", []))


def _spec_paths(node: Node, prefix: str) -> Iterator[tuple[str, Node]]:
    """(CRD field path, key node) for each key under `node`, outermost first, lists as `[]`.

    Iterative, and each node is entered once (aliases too), within the walk budget: an alias bomb
    or 1,000-deep nesting stays linear.
    """
    stack: list[tuple[Node | None, str, Node | None]] = [(node, prefix, None)]
    seen: set[int] = set()
    while stack:
        n, path, key = stack.pop()
        if key is not None:
            yield path, key
            continue
        if id(n) in seen or len(seen) >= y.MAX_NODES_PER_WALK:
            continue
        seen.add(id(n))
        if isinstance(n, MappingNode):
            for k, v in reversed(n.value):
                if isinstance(k, ScalarNode):
                    sub = f"{path}.{k.value}"
                    stack.append((v, sub, None))
                    stack.append((None, sub, k))
        elif isinstance(n, SequenceNode):
            stack.extend((item, path + "[]", None) for item in reversed(n.value))


def _covered(path: str, fields: frozenset[str], open_fields: tuple[str, ...]) -> bool:
    if path in fields:
        return True
    parts = path.split(".")
    for i in range(len(parts) - 1, 0, -1):
        parent = ".".join(parts[:i])
        if parent in open_fields or parent + ".*" in fields:
            return True
    return False


def cr_field_unavailable(ctx: CheckContext) -> Iterator[Finding]:
    release = ctx.target.release
    if release is None or not release.crd:
        return
    known = crd_fields(release.crd)
    if known is None:
        return
    fields, open_fields = known
    added = {f.subject: f for f in ctx.kb.topic("crd_fields")}
    for cr in ctx.ws.objects_of(CR_KIND):
        spec = cr.get("spec")
        if spec is None:
            continue
        reported: list[str] = []
        for path, key in _spec_paths(spec, "spec"):
            if any(path.startswith(r + ".") or path.startswith(r + "[]") for r in reported):
                continue
            if _covered(path, fields, open_fields):
                continue
            reported.append(path)
            fact = added.get(path.replace("[]", ""))
            yield ctx.finding(
                cr.path,
                cr.source.span(key),
                "default" if fact else "unknown",
                logical=f"{cr.ref}:{path}",
                snippet=path,
                field=path,
                since=fact.since if fact else "",
                detail=(fact.detail if fact else ""),
                operator=release.operator,
                crd=release.crd,
            )
