"""Sources: positioned representations of the files stackalign reads."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from linter.workspace import Workspace


def load_other(ws: Workspace, rel: str, kind: str, text: str) -> None:
    """Python and shell files: checked for syntax here, parsed further only by checks that need it."""
    if kind == "python":
        from linter.sources.python import PythonSyntaxError, load_python

        try:
            ws.python_sources.append(load_python(rel, text))
        except PythonSyntaxError as exc:
            from linter.workspace import ParseProblem

            variant = "newer_python" if exc.newer_grammar else "default"
            ws.problems.append(ParseProblem(rel, exc.message, exc.line, exc.column, variant))
    else:
        from linter.sources.shell import ShellSource

        ws.other_sources.append(ShellSource(rel, text))
