"""Python sources: syntax-checked with the stdlib parser at load; libcst trees built on demand."""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from linter.sources.yamlscalar import LineIndex


class PythonSyntaxError(Exception):
    def __init__(self, message: str, line: int, column: int):
        super().__init__(message)
        self.message, self.line, self.column = message, line, column


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
        raise PythonSyntaxError(f"Python syntax error: {exc.msg}", line, col) from None
    except (RecursionError, MemoryError, ValueError) as exc:
        raise PythonSyntaxError(f"Python source cannot be parsed: {type(exc).__name__}", 1, 1) from None
    return PythonSource(path=path, text=text, tree=tree, file_text=text)
