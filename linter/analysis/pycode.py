"""Python code the checks read: `.py` files and the programs embedded in compiled pipelines.

Both are `PythonSource`s; a `CodeUnit` adds what a check needs to report and fix in either: the
file span of an `ast` node (through the escape map for embedded programs) and a fix that turns a
new program text into an edit of the file (a minimal text edit in a `.py` file; the program scalar
re-emitted exactly as `kfp dsl compile` writes it in a compiled pipeline).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from linter.model import Applicability, Edit, Fix, Span
from linter.sources.compiled import CompiledProgram, reemit_program
from linter.sources.python import PythonSource

if TYPE_CHECKING:
    from linter.workspace import Workspace


@dataclass
class CodeUnit:
    """A Python module to inspect: a source file, or a component program inside a compiled pipeline."""

    source: PythonSource
    compiled: CompiledProgram | None = None

    @property
    def path(self) -> str:
        return self.source.path

    @property
    def text(self) -> str:
        return self.source.text

    @property
    def tree(self) -> ast.Module:
        return self.source.tree

    @property
    def parents(self) -> dict[int, ast.AST]:
        """Child id -> parent node, built once per program (several rules ask)."""
        parents = self.source.meta.get("_parents")
        if parents is None:
            parents = self.source.meta["_parents"] = parent_map(self.tree)
        return parents

    @property
    def where(self) -> str:
        """Logical prefix: the executor's program in a compiled pipeline, else empty."""
        return self.compiled.logical if self.compiled else ""

    # -- positions -------------------------------------------------------------------------------
    def index(self, lineno: int, col_offset: int) -> int:
        """Program index of an `ast` position (1-based line, UTF-8 byte column)."""
        starts = self.source.lines.starts
        start = starts[max(0, min(lineno - 1, len(starts) - 1))]
        end = starts[lineno] if lineno < len(starts) else len(self.text)
        line = self.text[start:end]
        if line.isascii():
            return start + col_offset
        return start + len(line.encode("utf-8")[:col_offset].decode("utf-8", "ignore"))

    def node_range(self, node: ast.expr | ast.stmt) -> tuple[int, int]:
        start = self.index(node.lineno, node.col_offset)
        end_line = getattr(node, "end_lineno", None) or node.lineno
        end_col = getattr(node, "end_col_offset", None)
        end = self.index(end_line, end_col) if end_col is not None else start
        return start, end

    def span(self, start: int, end: int) -> Span:
        return self.source.span_of_indices(start, end)

    def segment(self, node: ast.expr | ast.stmt) -> str:
        start, end = self.node_range(node)
        return self.text[start:end]

    # -- fixes -----------------------------------------------------------------------------------
    def fix(
        self,
        new_text: str,
        description: str,
        applicability: Applicability = Applicability.safe,
    ) -> Fix | None:
        """A fix that makes the program read `new_text` (None when it cannot be written back)."""
        if new_text == self.text:
            return None
        if self.compiled is None:
            start, end, text = minimal_edit(self.text, new_text)
            edit = Edit(
                path=self.path,
                start_offset=start,
                end_offset=end,
                span=self.span(start, end),
                text=text,
            )
            return Fix(applicability=applicability, description=description, edits=[edit])
        if self.compiled.decoded.style not in ('"', "'"):
            return None  # v1 literal blocks: report only
        start, end, text = reemit_program(self.compiled, new_text)
        lines = self.source.file_lines
        sl, sc = lines.position(start)
        el, ec = lines.position(end)
        edit = Edit(
            path=self.path,
            start_offset=start,
            end_offset=end,
            span=Span.of(sl, sc, el, ec),
            text=text,
        )
        return Fix(applicability=applicability, description=description, edits=[edit])


def minimal_edit(old: str, new: str) -> tuple[int, int, str]:
    """(start, end, text) such that old[:start] + text + old[end:] == new, with text minimal."""
    limit = min(len(old), len(new))
    prefix = 0
    while prefix < limit and old[prefix] == new[prefix]:
        prefix += 1
    suffix = 0
    while suffix < limit - prefix and old[len(old) - 1 - suffix] == new[len(new) - 1 - suffix]:
        suffix += 1
    return prefix, len(old) - suffix, new[prefix : len(new) - suffix]


def file_units(ws: Workspace) -> list[CodeUnit]:
    return [CodeUnit(src) for src in ws.python_sources]


def compiled_units(ws: Workspace) -> list[CodeUnit]:
    return [CodeUnit(p.program, p) for p in ws.compiled_programs()]


def replace_range(text: str, start: int, end: int, new: str) -> str:
    return text[:start] + new + text[end:]


# -- small ast helpers ------------------------------------------------------------------------------
def str_value(node: ast.AST | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def call_name(node: ast.Call) -> str:
    """`Chunk` for `Chunk(...)` and `x.Chunk(...)`."""
    func = node.func
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return ""


def attribute_chain(node: ast.AST) -> list[str] | None:
    """['client', 'vector_dbs', 'register'] for `client.vector_dbs.register`; None otherwise."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return parts[::-1]
    return None


def walk_with_parents(tree: ast.AST) -> Iterator[tuple[ast.AST, ast.AST | None]]:
    """Every node with its parent (iterative; deep trees do not recurse)."""
    stack: list[tuple[ast.AST, ast.AST | None]] = [(tree, None)]
    while stack:
        node, parent = stack.pop()
        yield node, parent
        children = list(ast.iter_child_nodes(node))
        stack.extend((c, node) for c in reversed(children))


def enclosing_function(parents: dict[int, ast.AST], node: ast.AST) -> str:
    """Name of the innermost function around `node` (empty at module level)."""
    cur = parents.get(id(node))
    while cur is not None:
        if isinstance(cur, (ast.FunctionDef, ast.AsyncFunctionDef)):
            return cur.name
        cur = parents.get(id(cur))
    return ""


def parent_map(tree: ast.AST) -> dict[int, ast.AST]:
    return {id(n): p for n, p in walk_with_parents(tree) if p is not None}
