"""SA304: HTTP routes and client calls the runtime LlamaStack does not serve (docs/knowledge.md#http-routes).

URLs are read from string literals, f-strings, `+` concatenations with module string constants and
`urllib.parse.urljoin(base, path)` (never from docstrings or text around the URL: the whole string
must be a URL or a path), from `curl` commands in shell scripts, from llama-stack-client calls
(`client.vector_dbs.register`, `client.alpha.agents.create`), and from OpenAI-compatible clients
pointed at a LlamaStack server (`openai.OpenAI(base_url=...)`, LangChain `ChatOpenAI`,
LlamaIndex `OpenAILike`): the route such a client requests is its base URL plus the endpoint of
the call or wrapper. Which routes a release serves, and what replaces them, is data in
rules/knowledge/routes.yaml.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass

from linter.analysis.pycode import CodeUnit, attribute_chain, compiled_units, file_units
from linter.checks import CheckContext
from linter.checks.chunks import code_runtimes
from linter.knowledge import Fact
from linter.model import Finding, Span
from linter.target import Runtime
from linter.versions import Version

ROUTE = re.compile(r"/v1(?:alpha|beta)?/[A-Za-z0-9_\-./{}]*")
URL_PREFIX = re.compile(r"^(?:https?://[^\s/]+|\{\}|%s|\$\{?\w+\}?)?$")
CURL_URL = re.compile(r"(?:https?://[^\s/\"']+|\$\{?\w+\}?)(/v1(?:alpha|beta)?/[^\s\"'?#]*)")
#: an OpenAI-compatible base URL's path: a LlamaStack API prefix (`/v1`, `/v1/openai/v1`)
OPENAI_BASE = re.compile(
    r"^(?P<prefix>(?:https?://[^\s/]+|\{\}|\$\{?\w+\}?)?)(?P<path>/v1(?:/[A-Za-z0-9_./-]*)?)/?$"
)

#: OpenAI-compatible client constructors -> the endpoint every request of theirs goes to; None when
#: the methods called on the client decide (the openai SDK's OpenAI / AsyncOpenAI).
OPENAI_CLIENTS: dict[str, str | None] = {
    "OpenAI": None,
    "AsyncOpenAI": None,
    "ChatOpenAI": "/chat/completions",  # langchain_openai
    "OpenAIEmbeddings": "/embeddings",  # langchain_openai
    "OpenAILike": "/completions",  # llama_index; is_chat_model=True: /chat/completions
}
#: keyword arguments that carry the base URL (openai, LangChain and its alias, LlamaIndex)
BASE_URL_KEYWORDS = ("base_url", "openai_api_base", "api_base")
#: openai SDK resources -> the endpoint under the base URL they request
OPENAI_RESOURCES = {
    "chat.completions": "/chat/completions",
    "completions": "/completions",
    "embeddings": "/embeddings",
    "responses": "/responses",
    "vector_stores": "/vector_stores",
    "beta.vector_stores": "/vector_stores",
    "files": "/files",
    "moderations": "/moderations",
    "models": "/models",
    "batches": "/batches",
}


@dataclass(frozen=True)
class RouteUse:
    """A route the code requests: where (program range), which path, and how it was written."""

    start: int
    end: int
    path: str
    via: str
    endpoint: str = ""  # for an OpenAI-compatible client: the endpoint appended to its base URL
    base: str = ""  # the URL before the route, when the code names it (`http://host:8321`)


def _served(facts: list[Fact], path: str, version: Version) -> tuple[Fact | None, bool]:
    """(the most specific fact for `path`, whether any fact of that subject serves `version`)."""
    matches = [f for f in facts if path == f.subject or path.startswith(f.subject + "/")]
    if not matches:
        return None, True
    longest = max(len(f.subject) for f in matches)
    best = [f for f in matches if len(f.subject) == longest]
    return best[0], any(f.present(version) for f in best)


def _alternatives(facts: list[Fact], fact: Fact, version: Version) -> list[str]:
    return [
        f.subject
        for f in facts
        if f.api == fact.api
        and f.subject != fact.subject
        and f.present(version)
        and not f.deprecated(version)
    ]


def _replacement(facts: list[Fact], fact: Fact, version: Version, endpoint: str = "") -> str:
    alternatives = _alternatives(facts, fact, version)
    if endpoint:
        bases = [a.removesuffix(endpoint) for a in alternatives if a.endswith(endpoint)]
        if bases:
            return "point the client's base URL at " + " or ".join(f"`<server>{b}`" for b in bases)
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
    routes = ctx.kb.topic("routes")
    calls = ctx.kb.topic("client_calls")
    for unit in file_units(ctx.ws) + compiled_units(ctx.ws):
        uses = list(_python_routes(unit, calls))
        if not uses:
            continue
        in_file = code_runtimes(ctx, unit)
        for use in uses:
            # a URL that names its server is judged against that server only
            named = ctx.model.runtimes_for_url(use.base) if "://" in use.base else []
            for runtime in named or in_file:
                yield from _judge(
                    ctx,
                    runtime,
                    routes,
                    unit.path,
                    unit.span(use.start, use.end),
                    use,
                    f"{unit.where + ':' if unit.where else ''}{use.path}",
                )
    for shell in ctx.ws.other_sources:
        if getattr(shell, "kind", "shell") != "shell":
            continue  # dependency files (sources/textfile.py)
        curls = list(_curl_routes(shell.text))
        if not curls:
            continue
        for runtime in ctx.model.runtimes_for_code(shell.path, shell.text):
            for start, end, path in curls:
                span = _text_span(shell.text, start, end)
                yield from _judge(
                    ctx, runtime, routes, shell.path, span, RouteUse(start, end, path, "curl"), path
                )


def _judge(
    ctx: CheckContext,
    runtime: Runtime,
    routes: list[Fact],
    file: str,
    span: Span,
    use: RouteUse,
    logical: str,
) -> Iterator[Finding]:
    fact, served = _served(routes, use.path, runtime.version)
    if fact is None or served:
        return
    yield ctx.finding(
        file,
        span,
        logical=logical,
        snippet=use.path,
        runtime=runtime,
        route=fact.subject,
        via=use.via,
        when=_when(fact),
        replacement=_replacement(routes, fact, runtime.version, use.endpoint),
    )


def _python_routes(unit: CodeUnit, calls: list[Fact]) -> Iterator[RouteUse]:
    """Every URL, llama-stack-client call and OpenAI-compatible client request in the code."""
    tree = unit.tree
    constants = _module_constants(tree)
    parents = unit.parents
    sdk = "llama_stack_client" in unit.text or "LlamaStackClient" in unit.text
    consumed: set[int] = set()  # nodes read as part of a larger construct (urljoin, base URL)
    clients = _openai_clients(tree, constants)
    for client in clients.values():
        consumed.update(id(n) for n in ast.walk(client.base_node))
    yield from _openai_requests(unit, tree, clients)
    for node in ast.walk(tree):
        if id(node) in consumed:
            continue
        if isinstance(node, ast.Call) and _is_urljoin(node):
            text = _urljoin_string(node, constants)
            consumed.update(id(n) for n in ast.walk(node) if n is not node)
            use = _url_use(unit, node, text, "`urljoin`")
            if use is not None:
                yield use
            continue
        if isinstance(node, (ast.Constant, ast.JoinedStr, ast.BinOp)) and _is_outermost(
            node, parents
        ):
            if _is_docstring(node, parents):
                continue
            use = _url_use(unit, node, _static_string(node, constants), "URL")
            if use is not None:
                yield use
        elif sdk and isinstance(node, ast.Call):
            chain = attribute_chain(node.func)
            if not chain or len(chain) < 3 or "client" not in chain[0].lower():
                continue
            dotted = ".".join(chain[1:])
            for fact in calls:
                if dotted == fact.subject or dotted.startswith(fact.subject + "."):
                    start, end = unit.node_range(node.func)
                    yield RouteUse(start, end, fact.api or "", f"`{'.'.join(chain)}`")
                    break


def _url_use(unit: CodeUnit, node: ast.expr, text: str | None, via: str) -> RouteUse | None:
    """The route a whole string names, when the string is a URL or a path and nothing else."""
    if text is None:
        return None
    m = ROUTE.search(text)
    if m is None or not URL_PREFIX.match(text[: m.start()]):
        return None
    if any(c in text[m.end() :].split("?")[0] for c in " \n"):
        return None
    start, end = unit.node_range(node)
    return RouteUse(start, end, _normalize(m.group(0)), via, base=text[: m.start()])


# -- urljoin ----------------------------------------------------------------------------------------
def _is_urljoin(node: ast.Call) -> bool:
    chain = attribute_chain(node.func)
    return chain is not None and chain[-1] == "urljoin" and len(node.args) >= 2


def _urljoin_string(node: ast.Call, constants: dict[str, str]) -> str | None:
    """What `urljoin(base, url)` returns, with `{}` for parts only known at run time (RFC 3986
    reference resolution: an absolute URL wins, `/path` keeps the base's origin, a relative path
    replaces the base's last segment)."""
    base = _static_string(node.args[0], constants)
    ref = _static_string(node.args[1], constants)
    if ref is None:
        return None
    base = "{}" if base is None else base
    if re.match(r"^https?://", ref):
        return ref
    origin = re.match(r"^(?:https?://[^/]+|\{\})", base)
    if ref.startswith("/"):
        return (origin.group(0) if origin else "{}") + ref
    path = base[origin.end() :] if origin else base
    if not path:  # a bare origin: its path is "/"
        return base + "/" + ref
    return base[: base.rfind("/") + 1] + ref


# -- OpenAI-compatible clients ----------------------------------------------------------------------
@dataclass(frozen=True)
class OpenAIClient:
    """An OpenAI-compatible client constructed with a base URL the code spells out."""

    name: str  # the constructor: OpenAI, ChatOpenAI, ...
    call: ast.Call
    base_node: ast.expr  # the base-URL argument
    base_path: str  # its path: /v1, /v1/openai/v1
    endpoint: str | None  # the endpoint of every request, or None (the calls decide)


def _openai_client(call: ast.Call, constants: dict[str, str]) -> OpenAIClient | None:
    chain = attribute_chain(call.func)
    name = chain[-1] if chain else ""
    if name not in OPENAI_CLIENTS:
        return None
    for kw in call.keywords:
        if kw.arg not in BASE_URL_KEYWORDS:
            continue
        m = OPENAI_BASE.match(_static_string(kw.value, constants) or "")
        if m is None:
            return None
        endpoint = OPENAI_CLIENTS[name]
        if name == "OpenAILike" and any(
            k.arg == "is_chat_model" and isinstance(k.value, ast.Constant) and k.value.value is True
            for k in call.keywords
        ):
            endpoint = "/chat/completions"
        return OpenAIClient(name, call, kw.value, m.group("path").rstrip("/"), endpoint)
    return None


def _openai_clients(tree: ast.Module, constants: dict[str, str]) -> dict[int, OpenAIClient]:
    """Every OpenAI-compatible client constructor with a readable base URL, by call node id."""
    out = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            client = _openai_client(node, constants)
            if client is not None:
                out[id(node)] = client
    return out


def _openai_requests(
    unit: CodeUnit, tree: ast.Module, clients: dict[int, OpenAIClient]
) -> Iterator[RouteUse]:
    """The routes OpenAI-compatible clients request: a wrapper's own endpoint at its base URL; for
    an openai SDK client the resources called on the name it is assigned to (`oai.chat.completions
    .create` -> base + /chat/completions), else its base URL as a route prefix."""
    names: dict[str, list[OpenAIClient]] = {}
    for node in ast.walk(tree):
        if isinstance(node, (ast.Assign, ast.AnnAssign)) and id(node.value) in clients:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                chain = attribute_chain(target)
                if chain:
                    names.setdefault(".".join(chain), []).append(clients[id(node.value)])
    called: set[int] = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        chain = attribute_chain(node.func)
        if not chain:
            continue
        for name, owners in names.items():
            parts = name.split(".")
            if chain[: len(parts)] != parts or len(owners) != 1 or owners[0].endpoint:
                continue
            endpoint = _resource_endpoint(chain[len(parts) :])
            if endpoint is None:
                continue
            client = owners[0]
            called.add(id(client.call))
            start, end = unit.node_range(node.func)
            via = f"`{'.'.join(chain)}` (an {client.name} client at `{client.base_path}`)"
            yield RouteUse(start, end, client.base_path + endpoint, via, endpoint)
    for client in clients.values():
        if client.endpoint is None and id(client.call) in called:
            continue
        start, end = unit.node_range(client.base_node)
        endpoint = client.endpoint or ""
        via = f"`{client.name}({_base_keyword(client)}=...)`"
        yield RouteUse(start, end, client.base_path + endpoint, via, endpoint)


def _resource_endpoint(attributes: list[str]) -> str | None:
    """`['chat', 'completions', 'create']` -> `/chat/completions`."""
    for length in (2, 1):
        key = ".".join(attributes[:length])
        if len(attributes) > length and key in OPENAI_RESOURCES:
            return OPENAI_RESOURCES[key]
    return None


def _base_keyword(client: OpenAIClient) -> str:
    return next(kw.arg or "" for kw in client.call.keywords if kw.value is client.base_node)


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


def _static_string(node: ast.AST | None, constants: dict[str, str]) -> str | None:
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
