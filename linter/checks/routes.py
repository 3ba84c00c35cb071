"""SA304: HTTP routes and client SDK calls the runtime LlamaStack does not serve (LLAMASTACK.md §3).

URLs are read from string literals, f-strings and `+` concatenations with module string constants
(never from docstrings or text around the URL: the whole string must be a URL or a path), from
`curl` commands in shell scripts, and from llama-stack-client calls (`client.vector_dbs.register`).
Which routes a release serves, and what replaces them, is data in rules/knowledge/routes.yaml.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator

from linter.analysis.pycode import CodeUnit, attribute_chain, compiled_units, file_units
from linter.checks import CheckContext
from linter.checks.chunks import code_runtime
from linter.knowledge import Fact
from linter.model import Finding, Span
from linter.target import Runtime

ROUTE = re.compile(r"/v1(?:alpha|beta)?/[A-Za-z0-9_\-./{}]*")
URL_PREFIX = re.compile(r"^(?:https?://[^\s/]+|\{\}|\$\{?\w+\}?)?$")
CURL_URL = re.compile(r"(?:https?://[^\s/\"']+|\$\{?\w+\}?)(/v1(?:alpha|beta)?/[^\s\"'?#]*)")


def _served(facts: list[Fact], path: str, version) -> tuple[Fact | None, bool]:
    """(the most specific fact for `path`, whether any fact of that subject serves `version`)."""
    matches = [f for f in facts if path == f.subject or path.startswith(f.subject + "/")]
    if not matches:
        return None, True
    longest = max(len(f.subject) for f in matches)
    best = [f for f in matches if len(f.subject) == longest]
    return best[0], any(f.present(version) for f in best)


def _replacement(facts: list[Fact], fact: Fact, version) -> str:
    alternatives = [
        f.subject
        for f in facts
        if f.api == fact.api
        and f.subject != fact.subject
        and f.present(version)
        and not f.deprecated(version)
    ]
    if alternatives:
        return "use " + " or ".join(f"`{a}`" for a in alternatives)
    return f"use {fact.replacement}" if fact.replacement else "no replacement is served"


def _when(fact: Fact) -> str:
    if fact.since and fact.until:
        return f"served from {fact.since} to before {fact.until}"
    if fact.until:
        return f"removed in {fact.until}"
    return f"first served in {fact.since}"


def api_route_unavailable(ctx: CheckContext) -> Iterator[Finding]:
    runtime = code_runtime(ctx)
    if runtime is None:
        return
    routes = ctx.kb.topic("routes")
    calls = ctx.kb.topic("client_calls")
    for unit in file_units(ctx.ws) + compiled_units(ctx.ws):
        for start, end, path, via in _python_routes(unit, calls):
            yield from _judge(
                ctx,
                runtime,
                routes,
                unit.path,
                unit.span(start, end),
                path,
                via,
                f"{unit.where + ':' if unit.where else ''}{path}",
            )
    for shell in ctx.ws.other_sources:
        if getattr(shell, "kind", "shell") != "shell":
            continue  # dependency files (sources/textfile.py)
        for start, end, path in _curl_routes(shell.text):
            span = _text_span(shell.text, start, end)
            yield from _judge(ctx, runtime, routes, shell.path, span, path, "curl", path)


def _judge(ctx, runtime: Runtime, routes, file, span, path, via, logical) -> Iterator[Finding]:
    fact, served = _served(routes, path, runtime.version)
    if fact is None or served:
        return
    yield ctx.finding(
        file,
        span,
        logical=logical,
        snippet=path,
        runtime=runtime,
        route=fact.subject,
        via=via,
        when=_when(fact),
        replacement=_replacement(routes, fact, runtime.version),
    )


def _python_routes(unit: CodeUnit, calls: list[Fact]) -> Iterator[tuple[int, int, str, str]]:
    """(start, end, route, how it was written) for every URL and SDK call in the code."""
    tree = unit.tree
    constants = _module_constants(tree)
    parents = unit.parents
    sdk = "llama_stack_client" in unit.text or "LlamaStackClient" in unit.text
    for node in ast.walk(tree):
        if isinstance(node, (ast.Constant, ast.JoinedStr, ast.BinOp)) and _is_outermost(
            node, parents
        ):
            if _is_docstring(node, parents):
                continue
            text = _static_string(node, constants)
            if text is None:
                continue
            m = ROUTE.search(text)
            if m is None or not URL_PREFIX.match(text[: m.start()]):
                continue
            if any(c in text[m.end() :].split("?")[0] for c in " \n"):
                continue
            start, end = unit.node_range(node)
            yield start, end, _normalize(m.group(0)), "URL"
        elif sdk and isinstance(node, ast.Call):
            chain = attribute_chain(node.func)
            if not chain or len(chain) < 3 or "client" not in chain[0].lower():
                continue
            dotted = ".".join(chain[1:])
            for fact in calls:
                if dotted == fact.subject or dotted.startswith(fact.subject + "."):
                    start, end = unit.node_range(node.func)
                    yield start, end, fact.api or "", f"`{'.'.join(chain)}`"
                    break


def _normalize(path: str) -> str:
    return re.sub(r"\{[^}]*\}", "{}", path).rstrip("/") or path


def _is_outermost(node: ast.AST, parents: dict[int, ast.AST]) -> bool:
    parent = parents.get(id(node))
    if isinstance(parent, ast.JoinedStr):
        return False
    if isinstance(parent, ast.BinOp) and isinstance(parent.op, ast.Add):
        return False
    if isinstance(node, ast.BinOp) and not isinstance(node.op, ast.Add):
        return False
    return not (isinstance(node, ast.Constant) and not isinstance(node.value, str))


def _is_docstring(node: ast.AST, parents: dict[int, ast.AST]) -> bool:
    return isinstance(parents.get(id(node)), ast.Expr)


def _module_constants(tree: ast.Module) -> dict[str, str]:
    out = {}
    for stmt in tree.body:
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
            target = stmt.targets[0]
            if isinstance(target, ast.Name) and isinstance(stmt.value, ast.Constant):
                if isinstance(stmt.value.value, str):
                    out[target.id] = stmt.value.value
    return out


def _static_string(node: ast.AST, constants: dict[str, str]) -> str | None:
    """The string an expression builds; `{}` for parts only known at run time."""
    if isinstance(node, ast.Constant):
        return node.value if isinstance(node.value, str) else None
    if isinstance(node, ast.JoinedStr):
        parts = []
        for v in node.values:
            if isinstance(v, ast.Constant):
                parts.append(str(v.value))
            elif isinstance(v, ast.FormattedValue) and isinstance(v.value, ast.Name):
                parts.append(constants.get(v.value.id, "{}"))
            else:
                parts.append("{}")
        return "".join(parts)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left = _static_string(node.left, constants)
        right = _static_string(node.right, constants)
        if left is None and right is None:
            return None
        return (left if left is not None else "{}") + (right if right is not None else "{}")
    if isinstance(node, ast.Name):
        return constants.get(node.id, "{}")
    return None


def _curl_routes(text: str) -> Iterator[tuple[int, int, str]]:
    """URLs of `curl` commands (backslash-continued lines included); comments skipped."""
    in_curl = False
    pos = 0
    for line in text.splitlines(keepends=True):
        code = line.split("#", 1)[0] if not line.lstrip().startswith("#") else ""
        if re.search(r"(^|[\s;|&(])curl\s", code):
            in_curl = True
        if in_curl:
            for m in CURL_URL.finditer(code):
                yield pos + m.start(), pos + m.end(), _normalize(m.group(1))
        in_curl = in_curl and code.rstrip().endswith("\\")
        pos += len(line)


def _text_span(text: str, start: int, end: int) -> Span:
    from linter.positions import LineIndex

    lines = LineIndex(text, unicode_breaks=False)  # a shell script: lines end at \n only
    sl, sc = lines.position(start)
    el, ec = lines.position(end)
    return Span.of(sl, sc, el, ec)
