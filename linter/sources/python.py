"""Python sources: syntax-checked with the stdlib parser at load; libcst trees built on demand."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

from linter.positions import LineIndex, MappedText

if TYPE_CHECKING:
    from libcst.metadata import MetadataWrapper

#: Deepest syntax tree accepted: checks walk expressions recursively (a 1,500-term `"a" + "b" + ...`
#: parses, then exhausts Python's recursion limit). Real programs stay under 30 levels.
MAX_AST_DEPTH = 500
#: Most syntax tree nodes accepted: every Python check walks the tree, and a fix builds a libcst
#: tree of it (a 2 MB list literal of 700,000 nodes took 20 s and 1 GB). Real programs stay far
#: below: a 3,000-line module has about 30,000 nodes. The same figure bounds a YAML walk.
MAX_AST_NODES = 200_000
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
class PythonSource(MappedText):
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
        return LineIndex(self.text, unicode_breaks=False)  # as Python (and `ast`) counts lines

    @cached_property
    def file_lines(self) -> LineIndex:
        return LineIndex(self.file_text) if self.offsets is not None else self.lines

    @cached_property
    def cst(self) -> MetadataWrapper:
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
        raise PythonSyntaxError(message, line, col, _newer_grammar_parses(text, exc)) from None
    except (RecursionError, MemoryError, ValueError) as exc:
        reason = "nesting too deep" if isinstance(exc, RecursionError) else type(exc).__name__
        raise PythonSyntaxError(f"Python source cannot be parsed: {reason}", 1, 1) from None
    deep = _too_deep(tree, MAX_AST_DEPTH, MAX_AST_NODES)
    if deep is not None:
        node, reason = deep
        raise PythonSyntaxError(
            reason, getattr(node, "lineno", 1), getattr(node, "col_offset", 0) + 1
        )
    return PythonSource(path=path, text=text, tree=tree, file_text=text)


#: What Python 3.12 added to the grammar, as the line where an older parser stops shows it: PEP 701
#: f-strings (the error message says "f-string"), PEP 695 `type X = ...` and `def f[T]()`.
_PEP_695 = re.compile(r"^\s*(type\s+\w+|(async\s+)?def\s+\w+\s*\[|class\s+\w+\s*\[)")
_NEWER_GRAMMAR_SECONDS = 10
#: libcst's parser is quadratic on long expressions (a 10,000-term sum: 2 minutes) and recursive on
#: nesting: files past these bounds are not asked about (real programs stay far below them)
_PROBE_MAX_CHARS = 256 * 1024
_PROBE_MAX_LINE_TOKENS = 2_000
_PROBE_MAX_DEPTH = 100


def _newer_grammar_parses(text: str, error: SyntaxError) -> bool:
    """Whether a file this Python refused is valid for Python 3.12 (then it targets a newer Python
    rather than being broken). Asked only on Python < 3.12, for an error that 3.12 syntax explains,
    of libcst (whose grammar has 3.12) in a child process with a time limit: its native parser is
    slow on long expressions and can overflow its stack, and neither may stall or kill the run."""
    if sys.version_info >= (3, 12) or len(text) > _PROBE_MAX_CHARS:
        return False
    lines = text.splitlines()
    where = lines[error.lineno - 1] if error.lineno and 0 < error.lineno <= len(lines) else ""
    if not (error.msg or "").startswith("f-string") and not _PEP_695.match(where):
        return False
    if not _small_expressions(text):
        return False
    probe = "import sys, libcst; libcst.parse_module(sys.stdin.read())"
    try:
        done = subprocess.run(
            [sys.executable, "-c", probe],
            input=text.encode("utf-8", "surrogatepass"),
            capture_output=True,
            timeout=_NEWER_GRAMMAR_SECONDS,
        )
    except (OSError, subprocess.SubprocessError):
        return False
    return done.returncode == 0


def _small_expressions(text: str) -> bool:
    """No logical line over _PROBE_MAX_LINE_TOKENS tokens, no bracket nesting over
    _PROBE_MAX_DEPTH (the stdlib tokenizer reads 3.12 f-strings as strings and names)."""
    import io
    import tokenize

    count = depth = 0
    try:
        for tok in tokenize.generate_tokens(io.StringIO(text).readline):
            count = 0 if tok.type == tokenize.NEWLINE else count + 1
            if tok.type == tokenize.OP and tok.string in "([{":
                depth += 1
            elif tok.type == tokenize.OP and tok.string in ")]}":
                depth -= 1
            if count > _PROBE_MAX_LINE_TOKENS or depth > _PROBE_MAX_DEPTH:
                return False
    except (tokenize.TokenError, SyntaxError, ValueError, RecursionError):
        return False
    return True


def _too_deep(tree: ast.AST, limit: int, max_nodes: int) -> tuple[ast.AST, str] | None:
    """The innermost positioned node at a depth over `limit`, or the node past `max_nodes`, with
    why (iterative: never recurses itself); None when the tree is within both."""
    stack: list[tuple[ast.AST, int, ast.AST]] = [(tree, 1, tree)]
    children = ast.iter_child_nodes
    count = 0
    while stack:
        node, depth, located = stack.pop()
        count += 1
        if hasattr(node, "lineno"):
            located = node
        if depth > limit:
            return located, f"Python syntax tree deeper than {limit} levels (the limit)"
        if count > max_nodes:
            return located, f"Python syntax tree of more than {max_nodes:,} nodes (the limit)"
        stack.extend((c, depth + 1, located) for c in reversed(list(children(node))))
    return None
