"""SA303: a compiled pipeline embeds a component that differs from the component's current source.

The expected program text is rebuilt the way KFP does (docs/knowledge.md#kubeflow-pipelines) without importing
anything: the `FunctionDef` and its first decorator from `ast`, `inspect.getblock` from there,
`textwrap.dedent` (which also empties whitespace-only lines), then everything before the first
line that starts with `def` dropped. It is compared with the program from its `def` line on.
"""

from __future__ import annotations

import ast
import inspect
import itertools
import posixpath
import textwrap
import tokenize
from collections.abc import Iterator

from linter.analysis.pycode import CodeUnit, compiled_units, file_units
from linter.checks import CheckContext
from linter.model import Finding, RelatedLocation, Span
from linter.sources.compiled import CompiledProgram


def kfp_function_source(text: str, func: ast.FunctionDef) -> str:
    """What `_get_function_source_definition` gives for `func` (KFP component_factory.py)."""
    lines = text.splitlines(keepends=True)
    first = min([d.lineno for d in func.decorator_list] + [func.lineno])
    try:
        block = inspect.getblock(lines[first - 1 :])
    except (tokenize.TokenError, IndentationError, SyntaxError):
        block = lines[first - 1 : func.end_lineno or func.lineno]
    code = textwrap.dedent("".join(block))
    kept = itertools.dropwhile(lambda line: not line.startswith("def"), code.split("\n"))
    return "\n".join(kept)


def _functions(unit: CodeUnit) -> dict[str, ast.FunctionDef]:
    """Module-level functions (the last definition of a name wins, as at import)."""
    return {n.name: n for n in unit.tree.body if isinstance(n, ast.FunctionDef)}


def compiled_pipeline_stale(ctx: CheckContext) -> Iterator[Finding]:
    sources = [(u, _functions(u)) for u in file_units(ctx.ws)]
    # Compiled pipelines are parsed only when the repository defines one of their functions.
    names = {name for _, funcs in sources for name in funcs}
    ctx.ws.load_pending(lambda text: any(name in text for name in names))
    by_file: dict[str, list[CompiledProgram]] = {}
    for unit in compiled_units(ctx.ws):
        prog = unit.compiled
        if prog is not None and prog.kfp_format == "v2" and prog.function:
            by_file.setdefault(prog.path, []).append(prog)
    for path, programs in by_file.items():
        home = _home_sources(path, programs, sources)
        if not home:
            continue  # the components' sources are not in this repository
        for prog in programs:
            yield from _judge(ctx, prog, home)


def _home_sources(
    path: str,
    programs: list[CompiledProgram],
    sources: list[tuple[CodeUnit, dict[str, ast.FunctionDef]]],
) -> list[tuple[CodeUnit, dict[str, ast.FunctionDef]]]:
    """The .py files defining any of this pipeline's functions, nearest to the YAML first."""
    names = {p.function for p in programs}
    home = [(u, fns) for u, fns in sources if names & set(fns)]
    here = posixpath.dirname(path)
    home.sort(key=lambda s: (_distance(here, posixpath.dirname(s[0].path)), s[0].path))
    return home


def _distance(a: str, b: str) -> int:
    pa, pb = [p for p in a.split("/") if p], [p for p in b.split("/") if p]
    common = 0
    for x, y in zip(pa, pb, strict=False):
        if x != y:
            break
        common += 1
    return len(pa) + len(pb) - 2 * common


def _judge(
    ctx: CheckContext,
    prog: CompiledProgram,
    home: list[tuple[CodeUnit, dict[str, ast.FunctionDef]]],
) -> Iterator[Finding]:
    start = prog.def_index
    if start is None:
        return
    body = prog.program.text[start:]
    compiled = body.removesuffix("\n")
    candidates = [(u, fns[prog.function]) for u, fns in home if prog.function in fns]
    logical = f"{prog.logical}:{prog.function}"
    if not candidates:
        unit = home[0][0]
        yield ctx.finding(
            prog.path,
            prog.span(start, start + len(f"def {prog.function}")),
            "missing",
            logical=logical,
            snippet=f"def {prog.function}",
            executor=prog.executor,
            function=prog.function,
            source=unit.path,
            related=[
                RelatedLocation(
                    path=unit.path,
                    span=Span.of(1, 1, 1, 1),
                    message="the pipeline's other components are defined here",
                )
            ],
        )
        return
    judged = []
    for unit, func in candidates:
        expected = kfp_function_source(unit.text, func)
        if expected == compiled:
            return  # fresh
        judged.append((unit, func, expected))
    unit, func, expected = judged[0]
    yield _stale_finding(ctx, prog, start, compiled, unit, func, expected, logical)


def _stale_finding(
    ctx: CheckContext,
    prog: CompiledProgram,
    start: int,
    compiled: str,
    unit: CodeUnit,
    func: ast.FunctionDef,
    expected: str,
    logical: str,
) -> Finding:
    got_lines, want_lines = compiled.split("\n"), expected.split("\n")
    n = next(
        (i for i, (a, b) in enumerate(zip(got_lines, want_lines, strict=False)) if a != b),
        min(len(got_lines), len(want_lines)),
    )
    got = got_lines[n] if n < len(got_lines) else ""
    offset = start + sum(len(line) + 1 for line in got_lines[:n]) + len(got) - len(got.lstrip())
    want = want_lines[n] if n < len(want_lines) else ""
    end = offset + len(got.strip())
    py_line = func.lineno + n
    margin = func.col_offset
    variant = "cosmetic" if _same_ast(compiled, expected) else "default"
    py_span = Span.of(py_line, 1 + (margin if want else 0), py_line, 1 + margin + len(want))
    return ctx.finding(
        prog.path,
        prog.span(offset, max(end, offset)),
        variant,
        logical=logical,
        snippet=got.strip(),
        executor=prog.executor,
        function=prog.function,
        source=unit.path,
        source_line=str(py_line),
        compiled_line=got.strip() or "(end of function)",
        source_text=want.strip() or "(end of function)",
        related=[
            RelatedLocation(
                path=unit.path,
                span=py_span,
                message=f"current source of `{prog.function}`: {want.strip() or '(end of function)'}",
            )
        ],
    )


def _same_ast(a: str, b: str) -> bool:
    try:
        return ast.dump(ast.parse(textwrap.dedent(a))) == ast.dump(ast.parse(textwrap.dedent(b)))
    except (SyntaxError, ValueError, RecursionError):
        return False
