"""SA101-SA104: the image or distribution a LlamaStackDistribution runs, against the target."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, TypedDict

from yaml.nodes import Node

from linter.analysis.deployment import CR_KIND
from linter.checks import CheckContext
from linter.model import Applicability, Finding, Fix
from linter.sources import yaml as y
from linter.target import ImageInfo, cr_distribution, parse_image
from linter.workspace import K8sObject

if TYPE_CHECKING:
    from typing import Unpack


def _images(ctx: CheckContext) -> Iterator[tuple[K8sObject, Node, ImageInfo]]:
    for cr in ctx.ws.objects_of(CR_KIND):
        _, _, image_node = cr_distribution(cr)
        image = y.text(image_node)
        if image_node is not None and image:
            yield cr, image_node, parse_image(image, ctx.kb)


def _platform_fix(ctx: CheckContext, cr: K8sObject) -> Fix | None:
    """Replace `image: X` with the platform's own distribution name (unsafe: changes what runs)."""
    release = ctx.target.release
    if release is None or not release.distribution_names:
        return None
    dist, name_node, _ = cr_distribution(cr)
    item = y.get_item(dist, "image")
    if item is None or name_node is not None:
        return None
    key, value = item
    name = release.distribution_names[0]
    return Fix(
        applicability=Applicability.unsafe,
        description=f"use `name: {name}`, the image {ctx.target.label} ships",
        edits=[cr.source.edit(key.start_mark.index, value.end_mark.index, f"name: {name}")],
        changes_server=f"{CR_KIND}/{cr.name}",
    )


class _ImageFindingArgs(TypedDict, total=False):
    """What SA101-SA103 add to an image finding: a fix, notes and their message fields."""

    fix: Fix | None
    notes: list[str]
    image_version: str
    image_line: str
    shipped: str
    shipped_line: str
    problem: str | None
    family: str
    lacks_count: str
    kind: str


def _image_finding(
    ctx: CheckContext,
    cr: K8sObject,
    node: Node,
    info: ImageInfo,
    variant: str = "default",
    **fields: Unpack[_ImageFindingArgs],
) -> Finding:
    """A finding on `spec.server.distribution.image` of one CR (shared by SA101-SA103)."""
    return ctx.finding(
        cr.path,
        cr.source.span(node),
        variant,
        logical=f"{cr.ref}:spec.server.distribution.image",
        snippet=info.ref,
        server=f"{CR_KIND}/{cr.name}",
        image=info.ref,
        **fields,
    )


def image_version_mismatch(ctx: CheckContext) -> Iterator[Finding]:
    shipped = ctx.target.llamastack
    if shipped is None:
        return
    for cr, node, info in _images(ctx):
        if info.llamastack is None or info.llamastack.minor_line == shipped.minor_line:
            continue
        yield _image_finding(
            ctx,
            cr,
            node,
            info,
            image_version=str(info.llamastack),
            image_line=info.llamastack.line_label,
            shipped=str(shipped),
            shipped_line=shipped.line_label,
            fix=_platform_fix(ctx, cr),
        )


def image_unverifiable(ctx: CheckContext) -> Iterator[Finding]:
    for cr, node, info in _images(ctx):
        if info.llamastack is not None:
            continue
        variant = "unknown_repository" if info.family is None else "default"
        yield _image_finding(
            ctx,
            cr,
            node,
            info,
            variant,
            problem=info.problem,
            family=getattr(info.family, "description", ""),
        )
    for server in ctx.model.servers:  # workloads and compose services that run LlamaStack
        if server.kind == CR_KIND or server.version is not None:
            continue
        node = server.image_node if server.image_node is not None else server.node
        yield ctx.finding(
            server.path,
            server.span(node),
            "workload",
            logical=f"{server.ref}:image",
            snippet=server.image or server.ref,
            server=server.ref,
            image=server.image or "(no image)",
            workload=server.label,
            problem=server.problem or "",
        )


def image_behind_platform(ctx: CheckContext) -> Iterator[Finding]:
    shipped = ctx.target.llamastack
    if shipped is None:
        return
    for cr, node, info in _images(ctx):
        v = info.llamastack
        if v is None or v.minor_line != shipped.minor_line or not v < shipped.public:
            continue
        missing = ctx.kb.features_between(v, shipped)
        notes = [f"{v} lacks: " + "; ".join(f.subject for f in missing)] if missing else []
        yield _image_finding(
            ctx,
            cr,
            node,
            info,
            notes=notes,
            image_version=str(v),
            shipped=str(shipped),
            lacks_count=str(len(missing)),
            kind=info.family.kind if info.family else "",
            fix=_platform_fix(ctx, cr),
        )


def distribution_name(ctx: CheckContext) -> Iterator[Finding]:
    release = ctx.target.release
    for cr in ctx.ws.objects_of(CR_KIND):
        dist, name_node, image_node = cr_distribution(cr)
        name = y.text(name_node)
        if dist is None or name_node is None or not name:  # `name` is read below `dist`
            continue
        logical = f"{cr.ref}:spec.server.distribution"
        if y.text(image_node):
            yield ctx.finding(
                cr.path,
                cr.source.span(dist),
                "both",
                logical=logical,
                snippet=name,
                name=name,
            )
            continue
        if release is not None and name not in release.distribution_names:
            yield ctx.finding(
                cr.path,
                cr.source.span(name_node),
                logical=logical + ".name",
                snippet=name,
                name=name,
                allowed=", ".join(release.distribution_names),
            )
