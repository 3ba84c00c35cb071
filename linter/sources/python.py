"""Python sources: syntax-checked with the stdlib parser at load; libcst trees built on demand."""

from __future__ import annotations

import ast
import sys
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from linter.sources.yamlscalar import LineIndex

#: Deepest syntax tree accepted: checks walk expressions recursively (a 1,500-term `"a" + "b" + ...`
#: parses, then exhausts Python's recursion limit). Real programs stay under 30 levels.
MAX_AST_DEPTH = 500
#: Syntax errors name the grammar they were found with: newer syntax (3.12 f-strings) needs a newer
#: Python to run stackalign.
_GRAMMAR = f"Python {sys.version_info.major}.{sys.version_info.minor}"


class PythonSyntaxError(Exception):
    def __init__(self, message: str, line: int, column: int, newer_grammar: bool = False):
        super().__init__(message)
        self.message, self.line, self.column = message, line, column
        #: the running Python cannot parse it, a newer grammar can (3.12 f-strings on 3.11)
        self.newer_grammar = newer_grammar


@dataclass
class PythonSource:
    """A Python program: a file, or a program embedded in a compiled pipeline (`parent` set)."""

    path: str
    text: str
    tree: ast.Module
    file_text: str
    offsets: list[int] | None = None  # program index -> file index (embedded programs)
    end_offsets: list[int] | None = None
    label: str = ""
    meta: dict[str, Any] = field(default_factory=dict)

    @cached_property
    def lines(self) -> LineIndex:
        return LineIndex(self.text)

    @cached_property
    def file_lines(self) -> LineIndex:
        return LineIndex(self.file_text) if self.offsets is not None else self.lines

    @cached_property
    def cst(self):
        """The libcst module wrapped with position metadata (imported only when needed)."""
        import libcst
        from libcst.metadata import MetadataWrapper

        return MetadataWrapper(libcst.parse_module(self.text), unsafe_skip_copy=True)


def load_python(path: str, text: str) -> PythonSource:
    try:
        tree = ast.parse(text, filename=path)
    except SyntaxError as exc:
        line = exc.lineno or 1
        col = (exc.offset or 1) if exc.offset and exc.offset > 0 else 1
        message = f"{_GRAMMAR} syntax error: {exc.msg}"
        raise PythonSyntaxError(message, line, col, _newer_grammar_parses(text)) from None
    except (RecursionError, MemoryError, ValueError) as exc:
        reason = "nesting too deep" if isinstance(exc, RecursionError) else type(exc).__name__
        raise PythonSyntaxError(f"Python source cannot be parsed: {reason}", 1, 1) from None
    deep = _too_deep(tree, MAX_AST_DEPTH)
    if deep is not None:
        raise PythonSyntaxError(
            f"Python syntax tree deeper than {MAX_AST_DEPTH} levels (the limit)",
            getattr(deep, "lineno", 1),
            getattr(deep, "col_offset", 0) + 1,
        )
    return PythonSource(path=path, text=text, tree=tree, file_text=text)


def _newer_grammar_parses(text: str) -> bool:
    """Whether libcst, whose grammar follows newer Python releases than the one running, parses
    what `ast` refused: then the file most likely targets a newer Python (PEP 701 f-strings, ...),
    rather than being broken. Only asked after a syntax error (libcst is imported here)."""
    try:
        import libcst

        libcst.parse_module(text)
    except Exception:  # noqa: BLE001 - any failure: the file is not valid Python for libcst either
        return False
    return True


def _too_deep(tree: ast.AST, limit: int) -> ast.AST | None:
    """The innermost positioned node at a depth over `limit` (iterative: never recurses itself)."""
    stack: list[tuple[ast.AST, int, ast.AST]] = [(tree, 1, tree)]
    children = ast.iter_child_nodes
    while stack:
        node, depth, located = stack.pop()
        if hasattr(node, "lineno"):
            located = node
        if depth > limit:
            return located
        stack.extend((c, depth + 1, located) for c in reversed(list(children(node))))
    return None
