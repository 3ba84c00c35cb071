"""SA301/SA302 `stored_chunk_id` in chunk payloads and SA305 an int chunk id (docs/knowledge.md#chunks).

The Python is read with `ast` (positions from the parser, so comments, docstrings and text inside
other strings are never findings); fixes are computed with libcst, which keeps the formatting, and
written back as a minimal edit of a `.py` file or as the re-emitted program scalar of a compiled
pipeline (SA302: the fixed YAML equals what `kfp dsl compile` writes for the fixed component).
Which facts apply depends on the runtime: version boundaries come from rules/knowledge/chunks.yaml.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypedDict, TypeVar

from linter.analysis.pycode import (
    CodeUnit,
    call_name,
    compiled_units,
    enclosing_function,
    file_units,
    replace_range,
    str_value,
)
from linter.checks import CheckContext
from linter.model import Finding, Fix
from linter.target import Runtime

if TYPE_CHECKING:
    import libcst as cst

    _Item = TypeVar("_Item", cst.BaseDictElement, cst.Arg)  # a Dict's entry, a Call's argument

KEY = "stored_chunk_id"
NEW_KEY = "chunk_id"
CHUNK_MARKERS = ("vector_io", "vector-io", "Chunk")
CHUNK_CLASSES = ("Chunk", "EmbeddedChunk")


def code_runtimes(ctx: CheckContext, unit: CodeUnit) -> list[Runtime]:
    """The runtimes of the servers this code calls (the deployment model binds the file by the
    URLs it names; a compiled pipeline by its whole YAML, where parameter defaults live)."""
    text = ctx.ws.file_texts.get(unit.path, unit.text) if unit.compiled else unit.text
    return ctx.model.runtimes_for_code(unit.path, text)


@dataclass
class KeyUse:
    """One `stored_chunk_id` key: its literal or keyword node and how it can be fixed."""

    node: ast.expr | ast.keyword  # the key string, the keyword, or the subscript's slice
    start: int  # program range of the key token itself
    end: int
    container: ast.AST | None  # the Dict / Call holding it (None for a subscript assignment)
    has_chunk_id: bool  # the same payload already has `chunk_id`


# -- SA301 / SA302 ----------------------------------------------------------------------------------
def stored_chunk_id(ctx: CheckContext) -> Iterator[Finding]:
    yield from _stored_chunk_id(ctx, file_units(ctx.ws))


def stored_chunk_id_compiled(ctx: CheckContext) -> Iterator[Finding]:
    yield from _stored_chunk_id(ctx, compiled_units(ctx.ws))


def _stored_chunk_id(ctx: CheckContext, units: list[CodeUnit]) -> Iterator[Finding]:
    for unit in units:
        if KEY not in unit.text:
            continue
        runtimes: list[Runtime | None] = [*code_runtimes(ctx, unit)]
        for runtime in runtimes or [None]:
            yield from _stored_chunk_id_in(ctx, unit, runtime)


def _stored_chunk_id_in(
    ctx: CheckContext, unit: CodeUnit, runtime: Runtime | None
) -> Iterator[Finding]:
    variant, facts = _chunk_variant(ctx, runtime)
    parents = unit.parents
    for use in _key_uses(unit):
        function = enclosing_function(parents, use.node)
        fix = _key_fix(unit, use, variant)
        yield ctx.finding(
            unit.path,
            unit.span(use.start, use.end),
            variant,
            logical=_logical(unit, function),
            snippet=unit.text[use.start : use.end],
            runtime=runtime,
            fix=fix,
            function=function or "<module>",
            component=_component(unit, function),
            **facts,
        )


class _ChunkFacts(TypedDict):
    """Message fields of every SA301/SA302 finding: the versions of the chunk id facts."""

    id_since: str
    alias_since: str
    alias_until: str
    required_since: str


def _chunk_variant(ctx: CheckContext, runtime: Runtime | None) -> tuple[str, _ChunkFacts]:
    kb = ctx.kb
    id_field = kb.fact("chunk.id-field")
    alias = kb.fact("chunk.stored-chunk-id-alias")
    required = kb.fact("chunk.id-required")
    facts = _ChunkFacts(
        id_since=id_field.since or "",
        alias_since=alias.since or "",
        alias_until=alias.until or "",
        required_since=required.since or "",
    )
    if runtime is None:
        return "no_runtime", facts
    if required.present(runtime.version):
        return "rejected", facts
    if alias.present(runtime.version):
        return "alias", facts
    if not id_field.present(runtime.version):
        return "ignored", facts
    return "alias", facts


def _logical(unit: CodeUnit, function: str) -> str:
    where = f"{unit.where}:" if unit.where else ""
    return f"{where}{function or '<module>'}.{KEY}"


def _component(unit: CodeUnit, function: str) -> str:
    if unit.compiled is not None:
        return f"{unit.compiled.executor} ({unit.compiled.function or function})"
    return function or "<module>"


def _mentions_chunks(unit: CodeUnit) -> bool:
    return any(m in unit.text for m in CHUNK_MARKERS)


def _key_uses(unit: CodeUnit) -> Iterator[KeyUse]:
    chunky = _mentions_chunks(unit)
    for node in ast.walk(unit.tree):
        if isinstance(node, ast.Dict):
            keys = [str_value(k) for k in node.keys]
            if KEY not in keys or not (chunky or "content" in keys):
                continue
            for key in node.keys:
                if key is not None and str_value(key) == KEY:
                    start, end = unit.node_range(key)
                    yield KeyUse(key, start, end, node, NEW_KEY in keys)
        elif isinstance(node, ast.Call):
            name = call_name(node)
            if name not in CHUNK_CLASSES and not (name == "dict" and chunky):
                continue
            names = [k.arg for k in node.keywords]
            for kw in node.keywords:
                if kw.arg == KEY:
                    start = unit.index(kw.lineno, kw.col_offset)
                    yield KeyUse(kw, start, start + len(KEY), node, NEW_KEY in names)
        elif isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign)) and chunky:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if isinstance(target, ast.Subscript) and str_value(target.slice) == KEY:
                    start, end = unit.node_range(target.slice)
                    yield KeyUse(target.slice, start, end, None, False)


def _key_fix(unit: CodeUnit, use: KeyUse, variant: str) -> Fix | None:
    """Rename to `chunk_id` (from the id field on, or unknown runtime); remove where it is ignored."""
    remove = variant == "ignored" or use.has_chunk_id
    if remove:
        if use.container is None:
            return None
        new_text = _remove_with_libcst(unit, use)
        description = (
            f"remove `{KEY}` (the payload already has `{NEW_KEY}`)"
            if use.has_chunk_id
            else f"remove `{KEY}`, which this runtime ignores"
        )
        return unit.fix(new_text, description) if new_text is not None else None
    token = unit.text[use.start : use.end]
    new_token = token.replace(KEY, NEW_KEY, 1)
    return unit.fix(
        replace_range(unit.text, use.start, use.end, new_token),
        f"rename `{KEY}` to the public `{NEW_KEY}`",
    )


def _remove_with_libcst(unit: CodeUnit, use: KeyUse) -> str | None:
    """The program with the dict element or keyword argument removed (libcst keeps formatting)."""
    import libcst as cst
    from libcst.metadata import PositionProvider

    line, col = unit.source.lines.position(use.start)
    wrapper = unit.source.cst
    positions = wrapper.resolve(PositionProvider)

    def at_key(node: cst.CSTNode) -> bool:
        pos = positions.get(node)
        return pos is not None and (pos.start.line, pos.start.column + 1) == (line, col)

    def without(items: Sequence[_Item], is_key: Callable[[_Item], bool]) -> list[_Item] | None:
        """The sequence without the matching item; the last one keeps the removed one's comma."""
        for i, item in enumerate(items):
            if is_key(item):
                rest = list(items[:i]) + list(items[i + 1 :])
                if i == len(items) - 1 and rest:
                    rest[-1] = rest[-1].with_changes(comma=item.comma)
                return rest
        return None

    class Remove(cst.CSTTransformer):
        done = False

        def leave_Dict(self, original: cst.Dict, updated: cst.Dict) -> cst.Dict:
            rest = without(updated.elements, lambda e: hasattr(e, "key") and at_key_of(original, e))
            if rest is None:
                return updated
            Remove.done = True
            return updated.with_changes(elements=rest)

        def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.Call:
            rest = without(updated.args, lambda a: a.keyword is not None and at_key_of(original, a))
            if rest is None:
                return updated
            Remove.done = True
            return updated.with_changes(args=rest)

    def at_key_of(original: cst.Dict | cst.Call, item: cst.BaseDictElement | cst.Arg) -> bool:
        """`item` (of the updated node) matches the key at the finding's position."""
        items = original.elements if isinstance(original, cst.Dict) else original.args
        for orig in items:
            if orig.deep_equals(item):
                if isinstance(orig, cst.DictElement):
                    node: cst.CSTNode | None = orig.key
                elif isinstance(orig, cst.Arg):
                    node = orig.keyword
                else:
                    continue  # `**mapping` has no key
                if node is not None and at_key(node):
                    return True
        return False

    try:
        new_module = wrapper.module.visit(Remove())
    except Exception:  # libcst refuses an edit it cannot express: report without a fix
        return None
    if not Remove.done:
        return None
    return _with_lost_tail(unit.text, wrapper.module.code, new_module.code)


def _with_lost_tail(text: str, round_trip: str, new_code: str) -> str | None:
    """libcst drops the final line break of a file whose lines end with a lone CR: put back what
    its round trip of the unchanged program lost at the end (None if it lost anything else)."""
    if round_trip == text:
        return new_code
    return new_code + text[len(round_trip) :] if text.startswith(round_trip) else None


# -- SA305 ------------------------------------------------------------------------------------------
def chunk_id_not_string(ctx: CheckContext) -> Iterator[Finding]:
    for unit in file_units(ctx.ws) + compiled_units(ctx.ws):
        if NEW_KEY not in unit.text:
            continue
        for runtime in code_runtimes(ctx, unit):
            yield from _chunk_id_not_string_in(ctx, unit, runtime)


def _chunk_id_not_string_in(
    ctx: CheckContext, unit: CodeUnit, runtime: Runtime
) -> Iterator[Finding]:
    kb = ctx.kb
    is_string = kb.fact("chunk.id-is-string")
    if not is_string.present(runtime.version):
        return
    promoted = kb.fact("chunk.metadata-id-promoted")
    parents = unit.parents
    scopes: dict[int, dict[str, str]] = {}
    for value, where in _chunk_id_values(unit.tree, parents):
        if where == "metadata" and not promoted.present(runtime.version):
            continue
        scope = _scope(value, parents)
        if id(scope) not in scopes:
            scopes[id(scope)] = _int_names(scope)
        kind = _int_kind(value, scopes[id(scope)], parents)
        if kind is None:
            continue
        function = enclosing_function(parents, value)
        start, end = unit.node_range(value)
        segment = unit.text[start:end]
        fix = unit.fix(
            replace_range(unit.text, start, end, f"str({segment})"),
            f"wrap the id in `str(...)`: `str({segment})`",
        )
        yield ctx.finding(
            unit.path,
            unit.span(start, end),
            where,
            logical=f"{unit.where + ':' if unit.where else ''}{function or '<module>'}."
            f"{'metadata.' if where == 'metadata' else ''}{NEW_KEY}",
            snippet=segment,
            runtime=runtime,
            fix=fix,
            value=segment,
            kind=kind,
            since=is_string.since or "",
            promoted_until=promoted.until or "",
        )


def _chunk_id_values(tree: ast.AST, parents: dict[int, ast.AST]) -> Iterator[tuple[ast.expr, str]]:
    """(value, 'metadata' | 'chunk') for every `chunk_id` given in chunk metadata or a chunk."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Dict):
            keys = [str_value(k) for k in node.keys]
            if NEW_KEY not in keys:
                continue
            where = _dict_role(node, keys, parents)
            if where is None:
                continue
            for key, value in zip(node.keys, node.values, strict=True):
                if str_value(key) == NEW_KEY:
                    yield value, where
        elif isinstance(node, ast.Call) and call_name(node) in CHUNK_CLASSES:
            for kw in node.keywords:
                if kw.arg == NEW_KEY:
                    yield kw.value, "chunk"
        elif isinstance(node, ast.Assign):
            for target in node.targets:
                if (
                    isinstance(target, ast.Subscript)
                    and str_value(target.slice) == NEW_KEY
                    and _is_metadata_expr(target.value)
                ):
                    yield node.value, "metadata"


def _dict_role(node: ast.Dict, keys: list[str | None], parents: dict[int, ast.AST]) -> str | None:
    parent = parents.get(id(node))
    if isinstance(parent, ast.Dict):
        for key, value in zip(parent.keys, parent.values, strict=True):
            if value is node and str_value(key) == "metadata":
                return "metadata"
    if isinstance(parent, ast.keyword) and parent.arg == "metadata":
        return "metadata"
    if isinstance(parent, ast.Assign) and any(_is_metadata_expr(t) for t in parent.targets):
        return "metadata"
    if "content" in keys:
        return "chunk"
    return None


def _is_metadata_expr(node: ast.AST) -> bool:
    if isinstance(node, ast.Name):
        return "metadata" in node.id.lower()
    if isinstance(node, ast.Subscript):
        return str_value(node.slice) == "metadata"
    if isinstance(node, ast.Attribute):
        return node.attr == "metadata"
    return False


def _is_int_constant(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and type(node.value) is int


def _scope(node: ast.AST, parents: dict[int, ast.AST]) -> ast.AST:
    """The innermost function around `node`, else the module."""
    cur = parents.get(id(node))
    while cur is not None:
        if isinstance(cur, (ast.FunctionDef, ast.AsyncFunctionDef)):
            return cur
        parent = parents.get(id(cur))
        if parent is None:
            return cur
        cur = parent
    return node


def _int_names(tree: ast.AST) -> dict[str, str]:
    """Names bound as an `enumerate` index or a `range` loop variable in one scope.

    A `for` statement's binding wins over a comprehension's: comprehension variables do not leak
    out of the comprehension (Python 3), so a same-named `for` variable is the one used after it.
    """
    out: dict[str, str] = {}
    from_for: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.For, ast.comprehension)):
            target, it = node.target, node.iter
            if not isinstance(it, ast.Call):
                continue
            name = call_name(it)
            is_for = isinstance(node, ast.For)
            bound = None
            if name == "enumerate" and isinstance(target, ast.Tuple) and target.elts:
                first = target.elts[0]
                if isinstance(first, ast.Name):
                    bound = (first.id, "an `enumerate` index")
            elif name == "range" and isinstance(target, ast.Name):
                bound = (target.id, "a `range` loop variable")
            if bound and (is_for or bound[0] not in from_for):
                out[bound[0]] = bound[1]
                if is_for:
                    from_for.add(bound[0])
    return out


def _int_kind(value: ast.AST, ints: dict[str, str], parents: dict[int, ast.AST]) -> str | None:
    if isinstance(value, ast.Constant):
        if isinstance(value.value, int) and not isinstance(value.value, bool):
            return "an int literal"
        return None
    if (
        isinstance(value, ast.Call)
        and call_name(value) in ("int", "len")
        and isinstance(value.func, ast.Name)
    ):
        return f"`{value.func.id}(...)`"
    if isinstance(value, ast.Name) and value.id in ints:
        return ints[value.id]
    if isinstance(value, ast.BinOp) and isinstance(value.op, (ast.Add, ast.Sub, ast.Mult)):
        left = _int_kind(value.left, ints, parents)
        right = _int_kind(value.right, ints, parents)
        if left and (right or _is_int_constant(value.right)):
            return left
        if right and _is_int_constant(value.left):
            return right
    return None
