"""SA205 env-substitution-syntax: `${env.X:default}` against `${env.X:=default}`, by runtime."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

from yaml.nodes import ScalarNode

from linter.checks import CheckContext
from linter.checks.runconfig import logical, run_configs
from linter.model import Applicability, Edit, Finding, Fix
from linter.sources import yaml as y
from linter.sources.yamledit import char_map, walk_scalars

if TYPE_CHECKING:
    from linter.knowledge import Fact
    from linter.target import Runtime
    from linter.workspace import RunConfig

ENV_RE = re.compile(r"\$\{env\.([A-Z0-9_]+)([^}]*)\}")


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


def _form(op: str) -> str | None:
    """`new` (`:=`, `:+`), `old` (`:default`, `+value`) or None (no default, no conditional)."""
    if op.startswith((":=", ":+")):
        return "new"
    if op.startswith((":", "+")):
        return "old"
    return None


def env_substitution_syntax(ctx: CheckContext) -> Iterator[Finding]:
    new_fact = ctx.kb.fact("env.syntax-new")
    for rc in ctx.ws.run_configs:
        if not ctx.model.runtimes_for_config(rc):
            yield from _mixed(ctx, rc, new_fact)
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


def _mixed(ctx: CheckContext, rc: RunConfig, new_fact: Fact) -> Iterator[Finding]:
    """No runtime is known for this config, but it mixes both syntaxes: whatever LlamaStack reads
    it, one of the two forms fails silently. The forms used less often are reported."""
    uses: dict[str, list[tuple[y.NodePath, ScalarNode, int, re.Match[str]]]] = {
        "old": [],
        "new": [],
    }
    for path, node, col in walk_scalars(rc.root):
        if "${env." not in node.value:
            continue
        for m in ENV_RE.finditer(node.value):
            form = _form(m.group(2))
            if form:
                uses[form].append((path, node, col, m))
    if not uses["old"] or not uses["new"]:
        return
    minority = "old" if len(uses["old"]) <= len(uses["new"]) else "new"
    other = "new" if minority == "old" else "old"
    bound = new_fact.since or ""
    for path, node, col, m in uses[minority]:
        cmap = char_map(rc.source, node, col)
        if cmap is None:
            continue
        yield ctx.finding(
            rc.path,
            rc.source.span_of_indices(cmap[m.start()], cmap[m.end() - 1] + 1),
            f"mixed_{minority}",
            logical=logical(rc, y.dotted(path)),
            snippet=m.group(0),
            expr=m.group(0),
            var=m.group(1),
            count=str(len(uses[minority])),
            others=str(len(uses[other])),
            since=bound,
        )


def _env_finding(
    ctx: CheckContext,
    rc: RunConfig,
    rt: Runtime,
    node: ScalarNode,
    path: y.NodePath,
    m: re.Match[str],
    problem: tuple[str, int, str, str],
    cmap: list[int],
) -> Finding:
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
        fix=Fix(applicability=Applicability.safe, description=f"write `{fixed}`", edits=[edit]),
    )
