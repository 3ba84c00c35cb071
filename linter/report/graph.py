"""`stackalign graph`: the deployment model as data, text, Graphviz dot or Mermaid.

Servers with their LlamaStack version and where it was read, the run configs each server reads and
the clients that call it, every edge with its evidence. The JSON is the model; the other formats
draw it.
"""

from __future__ import annotations

import json
import re
from typing import TypedDict

from linter.analysis.deployment import Binding, DeploymentModel, Server
from linter.render import source_place
from linter.target import default_runtime


class PlatformData(TypedDict):
    label: str
    llamastack: str | None
    source: str


class ServerData(TypedDict):
    id: str
    kind: str
    name: str
    namespace: str | None
    path: str
    line: int
    image: str | None
    version: str | None
    version_reason: str | None
    problem: str | None
    runtime: str | None
    hosts: list[str]


class EdgeData(TypedDict):
    """A binding: the server (its `id`; None for the platform default), its runtime, why."""

    server: str | None
    runtime: str | None
    why: str


class ConfigData(TypedDict):
    id: str
    path: str
    line: int
    label: str
    readers: list[EdgeData]


class ClientData(TypedDict):
    id: str
    path: str
    servers: list[EdgeData]


class ModelData(TypedDict):
    """The JSON of `stackalign graph --format json`."""

    platform: PlatformData | None
    servers: list[ServerData]
    configs: list[ConfigData]
    clients: list[ClientData]


def model_data(model: DeploymentModel) -> ModelData:
    """The model as plain data: platform, servers, configs and clients with their bindings."""
    target = model.target
    platform: PlatformData | None = None
    if target.platform:
        platform = {
            "label": target.label,
            "llamastack": str(target.llamastack) if target.llamastack else None,
            "source": target.source,
        }
    model.find_services()  # the hosts each server answers on
    servers = [_server(model, s) for s in model.servers]
    configs: list[ConfigData] = []
    for rc in model.ws.run_configs:
        path, line = source_place(model.ws, rc.path, rc.source.span(rc.root).start.line)
        configs.append(
            {
                "id": f"{rc.path}:{line}",
                "path": path,
                "line": line,
                "label": rc.label or rc.path,
                "readers": [_edge(model, b) for b in model.config_bindings(rc)],
            }
        )
    clients: list[ClientData] = []
    for path, text in _client_texts(model):
        clients.append(
            {
                "id": path,
                "path": path,
                "servers": [_edge(model, b) for b in model.client_bindings(path, text)],
            }
        )
    return {"platform": platform, "servers": servers, "configs": configs, "clients": clients}


def _client_texts(model: DeploymentModel) -> list[tuple[str, str]]:
    """Files that talk to LlamaStack: they use its client, call a route, or name a server."""
    ws = model.ws
    out = {src.path: src.text for src in ws.python_sources}
    for prog in ws.compiled_programs(everything=True):  # the graph shows every client
        out[prog.path] = ws.file_texts.get(prog.path, "")
    for shell in ws.other_sources:
        out[shell.path] = shell.text
    return sorted((p, t) for p, t in out.items() if _is_client(model, p, t))


def _is_client(model: DeploymentModel, path: str, text: str) -> bool:
    if any(m in text for m in ("llama_stack", "LlamaStack", "/v1/")):
        return True
    return any(b.why.startswith("called at") for b in model.client_bindings(path, text))


def _server(model: DeploymentModel, s: Server) -> ServerData:
    runtime = model.server_runtime(s)
    path, line = source_place(model.ws, s.path, s.span().start.line)
    suffix = f".{s.namespace}.svc.cluster.local" if s.namespace and s.kind != "compose" else ""
    hosts = sorted(n + suffix for n in s.service_names) + sorted(s.route_hosts)
    return {
        "id": s.ref,
        "kind": s.kind,
        "name": s.name,
        "namespace": s.namespace,
        "path": path,
        "line": line,
        "image": s.image,
        "version": str(s.version) if s.version else None,
        "version_reason": s.version_reason or None,
        "problem": s.problem,
        "runtime": runtime.label if runtime else None,
        "hosts": hosts,
    }


def _edge(model: DeploymentModel, b: Binding) -> EdgeData:
    if b.server is None:
        rt = default_runtime(model.target)
        return {"server": None, "runtime": rt.label if rt else None, "why": b.why}
    rt = model.server_runtime(b.server)
    return {"server": b.server.ref, "runtime": rt.label if rt else None, "why": b.why}


# -- renderings ---------------------------------------------------------------------------------
def render(model: DeploymentModel, fmt: str) -> str:
    data = model_data(model)
    if fmt == "json":
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    if fmt == "dot":
        return _dot(data)
    if fmt == "mermaid":
        return _mermaid(data)
    return _text(data)


def _text(data: ModelData) -> str:
    out = []
    p = data["platform"]
    if p:
        ships = f" ships LlamaStack {p['llamastack']}" if p["llamastack"] else ""
        out.append(f"Platform: {p['label']} (from {p['source']}){ships}")
    else:
        out.append("Platform: none detected")
    # server id (None: the platform default) -> its configs and clients, each with the edge
    by_server: dict[str | None, _ServerUsers] = {}
    for config in data["configs"]:
        for e in config["readers"]:
            by_server.setdefault(e["server"], _ServerUsers(configs=[], clients=[]))
            by_server[e["server"]]["configs"].append((config, e))
    for client in data["clients"]:
        for e in client["servers"]:
            by_server.setdefault(e["server"], _ServerUsers(configs=[], clients=[]))
            by_server[e["server"]]["clients"].append((client, e))
    for s in data["servers"]:
        ns = f" (namespace {s['namespace']})" if s["namespace"] else ""
        version = f"LlamaStack {s['version']}" if s["version"] else "LlamaStack version unknown"
        out.append("")
        out.append(f"{s['kind']} {s['name']}{ns}: {version}  [{s['path']}:{s['line']}]")
        if s["version_reason"]:
            out.append(f"  version: {s['version_reason']}")
        if s["problem"]:
            out.append(f"  unknown because: {s['problem']}")
        if s["hosts"]:
            out.append(f"  answers at: {', '.join(s['hosts'])}")
        slot = by_server.get(s["id"], _ServerUsers(configs=[], clients=[]))
        for config, e in slot["configs"]:
            out.append(
                f"  run config {config['label']} [{config['path']}:{config['line']}]: {e['why']}"
            )
        for client, e in slot["clients"]:
            out.append(f"  serves {client['path']}: {e['why']}")
    rest = by_server.get(None)
    if rest and (rest["configs"] or rest["clients"]):
        out.append("")
        runtime = (rest["configs"] or rest["clients"])[0][1]["runtime"]
        out.append(f"Platform default: {runtime or 'none (no target)'}")
        for config, e in rest["configs"]:
            out.append(
                f"  config {config['label']} [{config['path']}:{config['line']}]: {e['why']}"
            )
        for client, e in rest["clients"]:
            out.append(f"  client {client['path']}: {e['why']}")
    return "\n".join(out) + "\n"


class _ServerUsers(TypedDict):
    configs: list[tuple[ConfigData, EdgeData]]
    clients: list[tuple[ClientData, EdgeData]]


def _node_id(prefix: str, text: str) -> str:
    return prefix + "_" + re.sub(r"[^A-Za-z0-9_]", "_", text)


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _dot(data: ModelData) -> str:
    out = ["digraph stackalign {", "  rankdir=LR;", '  node [fontname="Helvetica"];']
    default = _node_id("platform", "default")
    used_default = False
    for s in data["servers"]:
        version = s["version"] or "unknown"
        label = f"{s['kind']}\\n{s['name']}\\nLlamaStack {version}"
        out.append(f"  {_node_id('s', s['id'])} [shape=box, label={_quote(label)}];")
    for c in data["configs"]:
        out.append(f"  {_node_id('c', c['id'])} [shape=note, label={_quote(c['label'])}];")
        for e in c["readers"]:
            src = _node_id("s", e["server"]) if e["server"] else default
            used_default |= e["server"] is None
            edge = f"{src} -> {_node_id('c', c['id'])}"
            out.append(f"  {edge} [label={_quote(e['why'])}];")
    for k in data["clients"]:
        out.append(f"  {_node_id('k', k['id'])} [shape=ellipse, label={_quote(k['path'])}];")
        for e in k["servers"]:
            dst = _node_id("s", e["server"]) if e["server"] else default
            used_default |= e["server"] is None
            edge = f"{_node_id('k', k['id'])} -> {dst}"
            out.append(f"  {edge} [label={_quote(e['why'])}];")
    if used_default:
        p = data["platform"]
        label = f"platform default\\n{p['label'] if p else 'no target'}"
        out.insert(3, f"  {default} [shape=box, style=dashed, label={_quote(label)}];")
    out.append("}")
    return "\n".join(out) + "\n"


def _mermaid_text(text: str) -> str:
    return '"' + text.replace('"', "#quot;") + '"'


def _mermaid(data: ModelData) -> str:
    out = ["flowchart LR"]
    default = _node_id("platform", "default")
    used_default = False
    for s in data["servers"]:
        version = s["version"] or "unknown"
        label = f"{s['kind']} {s['name']}<br/>LlamaStack {version}"
        out.append(f"  {_node_id('s', s['id'])}[{_mermaid_text(label)}]")
    for c in data["configs"]:
        out.append(f"  {_node_id('c', c['id'])}[/{_mermaid_text(c['label'])}/]")
        for e in c["readers"]:
            src = _node_id("s", e["server"]) if e["server"] else default
            used_default |= e["server"] is None
            out.append(f"  {src} -->|{_mermaid_text(e['why'])}| {_node_id('c', c['id'])}")
    for k in data["clients"]:
        out.append(f"  {_node_id('k', k['id'])}({_mermaid_text(k['path'])})")
        for e in k["servers"]:
            dst = _node_id("s", e["server"]) if e["server"] else default
            used_default |= e["server"] is None
            out.append(f"  {_node_id('k', k['id'])} -->|{_mermaid_text(e['why'])}| {dst}")
    if used_default:
        p = data["platform"]
        label = f"platform default: {p['label'] if p else 'no target'}"
        out.insert(1, f"  {default}[{_mermaid_text(label)}]")
    return "\n".join(out) + "\n"
