"""Sources: positioned representations of the files stackalign reads."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from linter.workspace import ParseProblem, Workspace


def load_other(ws: Workspace, rel: str, kind: str, text: str) -> None:
    """Python, shell and dependency files: Python is checked for syntax here; everything is parsed
    further only by the checks that need it."""
    if kind == "python":
        from linter.sources.python import PythonSyntaxError, load_python

        try:
            ws.python_sources.append(load_python(rel, text))
        except PythonSyntaxError as exc:
            from linter.workspace import ParseProblem

            variant = "newer_python" if exc.newer_grammar else "default"
            ws.problems.append(ParseProblem(rel, exc.message, exc.line, exc.column, variant))
    elif kind == "shell":
        from linter.sources.shell import ShellSource

        ws.other_sources.append(ShellSource(rel, text))
    else:
        from linter.sources.textfile import TextSource

        if kind == "notebook":
            problem = _notebook_problem(rel, text)
            if problem is not None:
                ws.problems.append(problem)
                return
        ws.other_sources.append(TextSource(rel, kind, text))


def _notebook_problem(rel: str, text: str) -> ParseProblem | None:
    """A notebook that is not JSON (SA001), positioned where the JSON parser stops."""
    import json

    from linter.workspace import ParseProblem

    try:
        json.loads(text)
    except (ValueError, RecursionError) as exc:
        line, col = getattr(exc, "lineno", 1), getattr(exc, "colno", 1)
        return ParseProblem(
            rel, f"notebook is not JSON: {getattr(exc, 'msg', type(exc).__name__)}", line, col
        )
    return None
