"""The deployment model: which LlamaStack servers the repository runs, and which server reads each
run config and serves each client, built once per run from the whole repository.

- Servers: every LlamaStackDistribution, and every workload (Deployment, StatefulSet, Pod, Job,
  CronJob, Knative Service, a docker-compose service) whose container image is a LlamaStack
  distribution image or whose command starts a LlamaStack server, and every compose service
  built (`build:`) from a Containerfile whose last stage starts FROM such an image or installs
  llama-stack. Version: from the image (the knowledge base's image families), from a
  `llama-stack==X` pin the command or the Containerfile installs, from the platform for the
  operator's own distribution names; else unknown. A Containerfile no compose service builds is
  not a server: nothing in the repository says where it runs.
- Configs: a run config belongs to the servers that read it: a LlamaStackDistribution's
  `userConfig`, a ConfigMap volume mounted where the server's `--config` (or positional) path
  points (operator CRs via `podOverrides`, workloads via `volumes`), a compose bind mount; a
  kustomize configMapGenerator names the ConfigMap. A config no server reads is judged against the
  platform default, marked assumed.
- Clients (Python, compiled pipelines, shell): bound by the URLs they use (`<name>-service` in any
  form, Services and Routes that select a server's pods, compose service names, module constants,
  env defaults, pipeline parameter defaults, env values set in the repository's manifests). A
  client that names no server is bound to the repository's only server (or to all servers when
  they agree on the version), else to the platform default, marked assumed.

Checks ask the model (`runtimes_for_config`, `runtimes_for_code`, `servers`); they never pick a
runtime themselves. Every answer is a `Runtime` that says why.
"""

from __future__ import annotations

import posixpath
import re
import shlex
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import cached_property

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from linter.knowledge import KnowledgeBase
from linter.model import Span
from linter.render import view_of
from linter.sources import yaml as y
from linter.target import Runtime, Target, default_runtime, parse_image
from linter.versions import Version, try_parse
from linter.workspace import KUSTOMIZATION_FILES, K8sObject, RunConfig, Workspace

LLSD = CR_KIND = "LlamaStackDistribution"
#: Kubernetes kinds whose pod spec can run a LlamaStack server, and where their containers are
POD_SPEC_PATHS: dict[str, tuple[str, ...]] = {
    "Pod": ("spec",),
    "Deployment": ("spec", "template", "spec"),
    "StatefulSet": ("spec", "template", "spec"),
    "DaemonSet": ("spec", "template", "spec"),
    "ReplicaSet": ("spec", "template", "spec"),
    "DeploymentConfig": ("spec", "template", "spec"),
    "Job": ("spec", "template", "spec"),
    "CronJob": ("spec", "jobTemplate", "spec", "template", "spec"),
}
KNATIVE_API = "serving.knative.dev/"
ROUTE_API = "route.openshift.io"  # the API group of every OpenShift Route
COMPOSE_NAMES = re.compile(r"(^|/)(docker-)?compose(\.[\w-]+)?\.ya?ml$")
SERVICE_SUFFIX = "-service"  # the operator's Service for a LlamaStackDistribution <name>
CLUSTER_DOMAIN = ("svc", "cluster", "local")
URL_RE = re.compile(r"\bhttps?://([A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?)(?::(\d+))?")
#: `os.getenv("X")`, `os.environ["X"]`, `os.environ.get("X")`, `${X}` in shell
ENV_READ_RE = re.compile(
    r"""(?:getenv|environ\.get|environ\[)\(?\s*["']([A-Za-z_][A-Za-z0-9_]*)["']"""
    r"""|\$\{([A-Z_][A-Z0-9_]*)\}"""
)
#: env vars worth looking up in manifests: names that can hold a server's address
ENDPOINT_WORDS = ("URL", "ENDPOINT", "HOST", "BASE", "ADDR", "SERVER", "LLAMA", "STACK", "URI")
PIP_PIN_RE = re.compile(r"""(?<![\w.-])llama[-_]stack\s*==\s*([0-9][\w.+-]*)""")


@dataclass(eq=False)
class Server:
    """One LlamaStack server the repository runs, and what it reveals about its version."""

    kind: str  # LlamaStackDistribution | Deployment | ... | compose
    name: str
    namespace: str | None
    path: str
    source: y.YamlSource
    node: Node  # the object (or compose service) that defines it
    image: str | None = None
    image_node: Node | None = None
    version: Version | None = None
    version_reason: str = ""  # where the version comes from
    version_node: Node | None = None
    problem: str | None = None  # why the version is unknown
    labels: dict[str, str] = field(default_factory=dict)  # pod labels (workloads)
    env: dict[str, str] = field(default_factory=dict)
    # (volume source name: a ConfigMap name or a compose host path, key or None, path in container)
    mounts: list[tuple[str, str | None, str]] = field(default_factory=list)
    config_path: str | None = None  # the run config path its command names
    service_names: set[str] = field(default_factory=set)  # first DNS label it answers on
    route_hosts: set[str] = field(default_factory=set)
    ports: set[str] = field(default_factory=set)  # published ports (compose: localhost)
    obj: K8sObject | None = None

    @property
    def ref(self) -> str:
        return f"{self.kind}/{self.name}"

    @property
    def label(self) -> str:
        return f"{self.kind} {self.name}"

    def span(self, node: Node | None = None) -> Span:
        return self.source.span(node if node is not None else (self.image_node or self.node))


@dataclass(frozen=True)
class Binding:
    """A file bound to a server (None: the platform default), and why."""

    server: Server | None
    why: str


class DeploymentModel:
    """Servers, and the runtime each run config and client is judged against."""

    def __init__(
        self,
        ws: Workspace,
        kb: KnowledgeBase,
        target: Target,
        search: Callable[[list[str]], list[K8sObject]] | None = None,
        read: Callable[[str], y.YamlSource | None] | None = None,
        read_text: Callable[[str], str | None] | None = None,
    ):
        self.ws, self.kb, self.target = ws, kb, target
        #: a YAML file of the repository by path (kustomizations), read only for the model
        self._read = read or (lambda rel: None)
        #: any file's text by path (the Containerfile a compose service is built from)
        self._read_text = read_text or (lambda rel: None)
        #: more objects from the repository, found by text (Services, Routes, manifests setting a
        #: client's env var): never linted, only read for the model
        self._search = search or (lambda needles: [])
        self._searched: set[str] = set()
        self.extra_objects: list[K8sObject] = []
        self.servers: list[Server] = []
        self._by_object: dict[int, Server] = {}
        self._find_servers()
        self._resolve_namespaces()
        self._services_found = False  # Services and Routes: looked for when a client needs them
        self._config_cache: dict[int, list[Binding]] = {}
        self._user_configs: dict[int, tuple[str | None, str | None]] = {}
        self._client_cache: dict[str, list[Binding]] = {}

    # -- servers -----------------------------------------------------------------------------------
    def _find_servers(self) -> None:
        for obj in self.ws.objects:
            if obj.kind == LLSD:
                self._add(self._llsd(obj))
            elif obj.kind in POD_SPEC_PATHS or (
                obj.kind == "Service" and obj.api_version.startswith(KNATIVE_API)
            ):
                for server in self._workload(obj):
                    self._add(server)
        for source in self.ws.yaml_sources:
            if source.parent is None and COMPOSE_NAMES.search(source.path):
                for server in self._compose(source):
                    self._add(server)

    def _add(self, server: Server | None) -> None:
        if server is None:
            return
        self.servers.append(server)
        if server.obj is not None:
            self._by_object[id(server.obj.node)] = server

    def server_by_ref(self, ref: str) -> Server | None:
        return next((s for s in self.servers if s.ref == ref), None)

    def server_of(self, obj: K8sObject) -> Server | None:
        return self._by_object.get(id(obj.node))

    def _llsd(self, cr: K8sObject) -> Server:
        dist = cr.get("spec", "server", "distribution")
        image_node = y.get(dist, "image")
        name_node = y.get(dist, "name")
        server = Server(
            kind=LLSD,
            name=cr.name,
            namespace=cr.namespace,
            path=cr.path,
            source=cr.source,
            node=cr.node,
            obj=cr,
            image=y.text(image_node),
            image_node=image_node,
            service_names={f"{cr.name}{SERVICE_SUFFIX}"},
        )
        container = cr.get("spec", "server", "containerSpec")
        server.env = _env(y.get(container, "env"))
        pod = cr.get("spec", "server", "podOverrides")
        server.mounts = _mounts(y.get(pod, "volumes"), y.get(pod, "volumeMounts"))
        server.config_path = self._config_arg(
            _words(y.get(container, "command")) + _words(y.get(container, "args")), server.env
        )
        if server.image:
            self._version_from_image(server, server.image, image_node)
        else:
            name = y.text(name_node)
            release = self.target.release
            if name and release is not None and name in release.distribution_names:
                server.version = Version.parse(release.llamastack)
                server.version_reason = f"distribution {name} on {self.target.label}"
                server.version_node = name_node
            elif name and any(
                name in r.distribution_names for p in self.kb.platforms.values() for r in p.releases
            ):
                server.problem = (
                    f"`{name}` is the platform's own distribution, and no target says which "
                    "platform release runs it"
                )
            else:
                server.problem = f"distribution `{name}` names no image the knowledge base knows"
        return server

    def _workload(self, obj: K8sObject) -> Iterator[Server]:
        spec_path = POD_SPEC_PATHS.get(obj.kind, ("spec", "template", "spec"))
        pod = obj.get(*spec_path)
        pod_meta = y.get_path(obj.node, *spec_path[:-1], "metadata")  # a Pod's own metadata
        labels = _labels(y.get(pod_meta, "labels"))
        for container in y.seq(y.get(pod, "containers")):
            image_node = y.get(container, "image")
            image = y.text(image_node)
            words = _words(y.get(container, "command")) + _words(y.get(container, "args"))
            command = " ".join(words)
            info = parse_image(image, self.kb) if image else None
            by_image = info is not None and info.family is not None
            if not by_image and not self._runs_server(command):
                continue
            server = Server(
                kind="Service" if obj.kind == "Service" else obj.kind,
                name=obj.name,
                namespace=obj.namespace,
                path=obj.path,
                source=obj.source,
                node=obj.node,
                obj=obj,
                image=image,
                image_node=image_node,
                labels=labels,
                env=_env(y.get(container, "env")),
                mounts=_mounts(y.get(pod, "volumes"), y.get(container, "volumeMounts")),
            )
            server.config_path = self._config_arg(words, server.env)
            if obj.kind == "Service":  # Knative: the service name and its cluster-local host
                server.service_names.add(obj.name)
            self._version(server, image, image_node, container, command)
            yield server
            return  # one server per workload (its first LlamaStack container)

    def _compose(self, source: y.YamlSource) -> Iterator[Server]:
        for doc in source.documents:
            for key, service in y.items(y.get(doc, "services")):
                if not isinstance(service, MappingNode):
                    continue
                image_node = y.get(service, "image")
                image = y.text(image_node)
                command_node = y.get(service, "command")
                words = _words(command_node) + _words(y.get(service, "entrypoint"))
                command = " ".join(words)
                info = parse_image(image, self.kb) if image else None
                # built from a Containerfile, unless the image it is tagged with says the version
                built = (
                    self._built_from(source.path, service)
                    if not (info is not None and info.family is not None)
                    else None
                )
                if (
                    not (info is not None and info.family is not None)
                    and not self._runs_server(command)
                    and built is None
                ):
                    continue
                name = str(key.value)
                server = Server(
                    kind="compose",
                    name=name,
                    namespace=None,
                    path=source.path,
                    source=source,
                    node=service,
                    image=image,
                    image_node=image_node,
                    env=_compose_env(y.get(service, "environment")),
                )
                server.config_path = self._config_arg(words, server.env)
                server.service_names = {name, y.text(y.get(service, "container_name")) or name}
                base = posixpath.dirname(source.path)
                for vol in y.seq(y.get(service, "volumes")):
                    host, _, inside = (y.text(vol) or "").partition(":")
                    if host.startswith((".", "/")) and inside:
                        rel = posixpath.normpath(posixpath.join(base, host))
                        server.mounts.append((rel, None, inside.split(":")[0]))
                for port in y.seq(y.get(service, "ports")):
                    published = (y.text(port) or "").rsplit(":", 1)[0].rsplit(":", 1)[-1]
                    if published.isdigit():
                        server.ports.add(published)
                if built is not None:
                    self._version_from_build(server, built, y.get(service, "build"))
                else:
                    self._version(server, image, image_node, service, command)
                yield server

    def _built_from(self, compose_path: str, service: MappingNode) -> _Build | None:
        """The LlamaStack image a compose service is built from (`build:`, its Containerfile's
        last stage), or a llama-stack pin that stage installs; None when neither is there."""
        build = y.get(service, "build")
        if isinstance(build, ScalarNode):
            context, named = y.text(build), None
        elif isinstance(build, MappingNode):  # the context defaults to the compose file's folder
            context = y.text(y.get(build, "context")) or "."
            named = y.text(y.get(build, "dockerfile"))
        else:
            return None
        if not context or "://" in context or context.startswith("git@"):  # not in the repository
            return None
        folder = posixpath.normpath(posixpath.join(posixpath.dirname(compose_path), context))
        for name in [named] if named else ["Containerfile", "Dockerfile"]:
            rel = posixpath.normpath(posixpath.join(folder, name))
            text = self._read_text(rel)
            if text is None:
                continue
            stage = final_stage(text)
            if stage is None:
                return None
            image, line, body = stage
            info = parse_image(image, self.kb)
            pin = PIP_PIN_RE.search(body)
            if info.family is None and pin is None and not self._runs_server(body):
                return None
            return _Build(rel, line, image, pin.group(1) if pin else None)
        return None

    def _version_from_build(self, server: Server, built: _Build, node: Node | None) -> None:
        server.image = server.image or built.image
        server.version_node = node
        if built.pin is not None and try_parse(built.pin) is not None:
            server.version = Version.parse(built.pin)
            server.version_reason = (
                f"llama-stack=={built.pin} installed by {built.path} (built by {server.label})"
            )
            return
        self._version_from_image(server, built.image, None)
        if server.version is not None:
            server.version_reason = (
                f"{built.path}:{built.line} builds {server.label} FROM {built.image}"
            )
            server.version_node = node
        else:
            server.problem = f"{built.path}:{built.line}: {server.problem}"

    def _runs_server(self, command: str) -> bool:
        commands = self.kb.server_commands
        return bool(commands and any(m in command for m in commands.markers))

    def _config_arg(self, words: list[str], env: dict[str, str] | None = None) -> str | None:
        """The run config path a server command names (`--config P`, `llama stack run P`), or its
        environment (`LLAMA_STACK_CONFIG`, read by the uvicorn factory)."""
        commands = self.kb.server_commands
        if commands is None:
            return None
        for name in commands.config_env:
            if env and env.get(name):
                return env[name]
        tokens = [t for w in words for t in _split(w)]
        for i, tok in enumerate(tokens):
            for flag in commands.config_flags:
                if tok == flag and i + 1 < len(tokens):
                    return tokens[i + 1]
                if tok.startswith(flag + "="):
                    return tok.split("=", 1)[1]
        joined = " ".join(tokens)
        for marker in commands.positional_after:
            at = joined.find(marker)
            if at < 0:
                continue
            rest = joined[at + len(marker) :].split()
            for tok in rest:
                if tok.startswith("-"):
                    break
                if tok.endswith((".yaml", ".yml")):
                    return tok
        return None

    def _version(
        self,
        server: Server,
        image: str | None,
        image_node: Node | None,
        container: Node,
        command: str,
    ) -> None:
        if image:
            self._version_from_image(server, image, image_node)
            if server.version is not None:
                return
        pin = PIP_PIN_RE.search(command)
        if pin and try_parse(pin.group(1)) is not None:
            server.version = Version.parse(pin.group(1))
            server.version_reason = f"llama-stack=={pin.group(1)} installed by {server.label}"
            server.version_node = y.get(container, "command") or y.get(container, "args")
            server.problem = None
        elif server.problem is None:
            server.problem = "its command starts LlamaStack from an image that names no version"

    def _version_from_image(self, server: Server, image: str, node: Node | None) -> None:
        info = parse_image(image, self.kb)
        if info.llamastack is not None:
            server.version = info.llamastack
            server.version_reason = f"image of {server.label}"
            server.version_node = node
        else:
            server.problem = info.problem or "its image does not reveal a version"

    # -- where servers answer ----------------------------------------------------------------------
    def _resolve_namespaces(self) -> None:
        """A server without `metadata.namespace` takes the namespace of the kustomization that
        includes its file (kustomize's `namespace:`)."""
        for server in self.servers:
            if server.namespace is None and server.obj is not None:
                server.namespace = self._kustomize_namespace(server.path)

    @cached_property
    def _kustomizations(self) -> dict[str, K8sObject | None]:
        return {posixpath.dirname(k.path): k for k in self.ws.kustomizations()}

    def _kustomization_at(self, directory: str) -> K8sObject | None:
        """The kustomization of a folder: parsed with the repository, or read for the model."""
        if directory not in self._kustomizations:
            found = None
            for name in KUSTOMIZATION_FILES:
                source = self._read(posixpath.join(directory, name) if directory else name)
                if source is None:
                    continue
                for doc in source.documents:
                    if isinstance(doc, MappingNode):
                        found = K8sObject(source, doc, "Kustomization", "", "", None)
                        break
                break
            self._kustomizations[directory] = found
        return self._kustomizations[directory]

    def _kustomize_namespace(self, path: str) -> str | None:
        """The `namespace:` of the nearest kustomization whose resources reach `path`."""
        target = path
        directory = posixpath.dirname(path)
        while True:
            k = self._kustomization_at(directory)
            if k is not None and self._lists(k, directory, target):
                ns = y.text(k.get("namespace"))
                if ns:
                    return ns
                target = directory  # a parent kustomization may include this one
            if directory in ("", ".", "/"):
                return None
            parent = posixpath.dirname(directory)
            if parent == directory:
                return None
            directory = parent

    @staticmethod
    def _lists(k: K8sObject, directory: str, target: str) -> bool:
        for entry in y.seq(k.get("resources")) + y.seq(k.get("bases")):
            rel = y.text(entry)
            if rel and posixpath.normpath(posixpath.join(directory, rel)) == target:
                return True
        return False

    def find_services(self) -> None:
        """Services that select a workload server's pods, and Routes to any server's Service:
        the hosts a client may call a server on. Once, and only when a client's URL is matched
        (servers_at) or the graph shows the hosts: finding them can mean a search of the whole
        repository."""
        if self._services_found:
            return
        self._services_found = True
        workloads = [s for s in self.servers if s.labels]
        needles = sorted({v for s in workloads for v in s.labels.values()})
        needles += sorted({n for s in self.servers for n in s.service_names if s.kind == LLSD})
        if not needles:
            return
        # one search: the files naming a pod label or an operator Service, and every Route (a
        # Route names a Service that may only be found by this search)
        objects = self.ws.objects + self.more_objects([*needles, ROUTE_API])
        for obj in objects:
            if obj.kind != "Service" or obj.api_version.startswith(KNATIVE_API):
                continue
            selector = _labels(obj.get("spec", "selector"))
            if not selector:
                continue
            for s in workloads:
                if (
                    _same_namespace(obj.namespace, s.namespace)
                    and selector.items() <= s.labels.items()
                ):
                    s.service_names.add(obj.name)
        for obj in objects:
            if obj.kind != "Route":
                continue
            to = y.text(obj.get("spec", "to", "name"))
            host = y.text(obj.get("spec", "host"))
            if not to or not host:
                continue
            for s in self.servers:
                if to in s.service_names and _same_namespace(obj.namespace, s.namespace):
                    s.route_hosts.add(host.lower())

    def more_objects(self, needles: Iterable[str]) -> list[K8sObject]:
        """Objects of files holding any of `needles` (each needle searched once per run). Only
        those: what an earlier search for other needles found is not returned, so an answer
        never depends on which question was asked first (the order of a run's files)."""
        needles = [n for n in needles if n]
        fresh = sorted({n for n in needles if n not in self._searched})
        if fresh:
            self._searched.update(fresh)
            known = {id(o.node) for o in self.ws.objects + self.extra_objects}
            for obj in self._search(fresh):
                if id(obj.node) not in known:
                    known.add(id(obj.node))
                    self.extra_objects.append(obj)
        return [o for o in self.extra_objects if any(n in o.source.text for n in needles)]

    def servers_at(self, host: str, port: str | None) -> list[Server]:
        """The servers a URL host (and port) reaches."""
        self.find_services()
        host = host.lower().rstrip(".")
        out = []
        for s in self.servers:
            if host in s.route_hosts or _host_matches(host, s.service_names, s.namespace):
                out.append(s)
            elif s.kind == "compose" and host in ("localhost", "127.0.0.1") and port in s.ports:
                out.append(s)
        return out

    # -- runtimes ----------------------------------------------------------------------------------
    def server_runtime(self, server: Server) -> Runtime | None:
        """The server's own LlamaStack; an operator CR whose image reveals nothing falls back to
        the platform's (assumed), as the operator on that platform pairs with it."""
        if server.version is not None:
            node = server.version_node
            return Runtime(
                version=server.version,
                assumed=False,
                reason=server.version_reason,
                source=(server.path, server.source.span(node)) if node is not None else None,
                server=server.ref,
            )
        if server.kind == LLSD:
            fallback = default_runtime(self.target)
            if fallback is not None:
                return Runtime(
                    version=fallback.version,
                    assumed=True,
                    reason=f"{server.label}: {server.problem}; {fallback.reason}",
                    source=(server.path, server.span()),
                    server=server.ref,
                )
        return None

    def _runtimes(self, bindings: list[Binding]) -> list[Runtime]:
        """One runtime per distinct version (servers that agree are one verdict)."""
        out: dict[Version, Runtime] = {}
        for b in bindings:
            if b.server is None:
                rt = default_runtime(self.target)
                if rt is not None:
                    rt = rt.reached(b.why)
            else:
                rt = self.server_runtime(b.server)
                if rt is not None:
                    rt = rt.reached(b.why)
            if rt is not None and rt.version not in out:
                out[rt.version] = rt
        return list(out.values())

    # -- configs -----------------------------------------------------------------------------------
    def config_bindings(self, rc: RunConfig) -> list[Binding]:
        key = id(rc.root)
        if key not in self._config_cache:
            found = list(self._readers(rc))
            if not found:
                found = [Binding(None, "no server in the repository reads this run config")]
            self._config_cache[key] = found
        return self._config_cache[key]

    def runtimes_for_config(self, rc: RunConfig) -> list[Runtime]:
        return self._runtimes(self.config_bindings(rc))

    def _readers(self, rc: RunConfig) -> Iterator[Binding]:
        """Servers of the config's own view (a Helm render, a kustomize build) read it; a rendered
        config no server of its view reads may be read by the plain files' servers."""
        view = view_of(rc.source)
        found = list(self._readers_in(rc, [s for s in self.servers if view_of(s.source) == view]))
        if not found and view is not None:
            found = list(
                self._readers_in(rc, [s for s in self.servers if view_of(s.source) is None])
            )
        yield from found

    def _readers_in(self, rc: RunConfig, servers: list[Server]) -> Iterator[Binding]:
        name = rc.configmap_name
        for s in servers:
            if name and s.kind == LLSD and s.obj is not None:
                user_name, user_ns = self._user_config(s)
                if user_name == name and _same_namespace(
                    user_ns or s.namespace, self._configmap_namespace(rc)
                ):
                    yield Binding(s, f"reads ConfigMap {name} through userConfig")
                    continue
            why = self._mounted(s, rc, name) if s.mounts else None
            if why:
                yield Binding(s, why)

    def _user_config(self, s: Server) -> tuple[str | None, str | None]:
        """The ConfigMap (name, namespace) a LlamaStackDistribution's userConfig names, read once
        per server (every run config of the repository asks every server)."""
        key = id(s)
        if key not in self._user_configs:
            assert s.obj is not None
            user = s.obj.get("spec", "server", "userConfig")
            ns = y.text(y.get(user, "configMapNamespace"))
            self._user_configs[key] = (user_config_name(s.obj), ns)
        return self._user_configs[key]

    def _configmap_namespace(self, rc: RunConfig) -> str | None:
        if rc.configmap is not None:
            return rc.configmap.namespace or self._kustomize_namespace(rc.configmap.path)
        return None

    def _mounted(self, s: Server, rc: RunConfig, name: str | None) -> str | None:
        for volume, item, mount in s.mounts:
            if s.kind == "compose":
                if rc.source.parent is None and volume == rc.path:
                    return self._read_at(s, mount, f"bind-mounted at {mount}")
                continue
            if not name or volume != name:
                continue
            key = rc.configmap_key or (rc.generator[2] if rc.generator else None)
            if item is not None and key is not None and item != key:
                continue  # subPath / items mount another key
            path = mount if item is not None else posixpath.join(mount, key or "")
            return self._read_at(s, path, f"ConfigMap {name} mounted at {path}")
        return None

    @staticmethod
    def _read_at(s: Server, path: str, why: str) -> str | None:
        if s.config_path is None:
            return why
        if posixpath.normpath(s.config_path) == posixpath.normpath(path):
            return f"{why}, passed as its run config"
        return None  # mounted, but the command reads another file

    # -- clients -----------------------------------------------------------------------------------
    def client_bindings(self, path: str, text: str) -> list[Binding]:
        if path not in self._client_cache:
            self._client_cache[path] = self._bind_client(text)
        return self._client_cache[path]

    def runtimes_for_code(self, path: str, text: str) -> list[Runtime]:
        return self._runtimes(self.client_bindings(path, text))

    def runtimes_for_url(self, url: str) -> list[Runtime]:
        """The runtimes of the servers one URL names (empty: it names none of them)."""
        bindings: dict[int, Binding] = {}
        for shown, host, port in _urls(url):
            for s in self.servers_at(host, port):
                bindings.setdefault(id(s), Binding(s, f"called at {shown}"))
        return self._runtimes(list(bindings.values()))

    def _bind_client(self, text: str) -> list[Binding]:
        found: dict[int, Binding] = {}
        for url, host, port in _urls(text):
            for s in self.servers_at(host, port):
                found.setdefault(id(s), Binding(s, f"called at {url}"))
        if not found:
            for name, value, where in self._env_values(_env_reads(text)):
                for url, host, port in _urls(value):
                    for s in self.servers_at(host, port):
                        found.setdefault(id(s), Binding(s, f"called at {url} ({name} in {where})"))
        if found:
            return list(found.values())
        return self._fallback()

    def _fallback(self) -> list[Binding]:
        identities = {(s.kind, s.name) for s in self.servers}
        if len(identities) == 1:  # one server, perhaps in several renders or overlays
            return [
                Binding(s, f"{s.label} is the repository's only LlamaStack server")
                for s in self.servers
            ]
        versions = {s.version for s in self.servers}
        if self.servers and len(versions) == 1 and None not in versions:
            return [Binding(self.servers[0], "every LlamaStack server of the repository runs it")]
        why = (
            "no server of the repository is named by this file"
            if self.servers
            else "the repository runs no LlamaStack server"
        )
        return [Binding(None, why)]

    def _env_values(self, names: set[str]) -> Iterator[tuple[str, str, str]]:
        """(name, value, where) for every value the repository's manifests give these env vars."""
        if not names:
            return
        objects = self.ws.objects + self.more_objects(sorted(names))
        for obj in objects:
            for _, node in y.walk(obj.node):
                if not isinstance(node, MappingNode):
                    continue
                name = y.text(y.get(node, "name"))
                value = y.text(y.get(node, "value"))
                if name in names and value:
                    yield name, value, f"{obj.ref}, {obj.path}"
            if obj.kind == "ConfigMap":
                for k, v in y.items(obj.get("data")):
                    if isinstance(k, ScalarNode) and k.value in names and y.text(v):
                        yield k.value, y.text(v) or "", f"{obj.ref}, {obj.path}"
        for s in self.servers:
            if s.kind == "compose":
                for name in names & s.env.keys():
                    yield name, s.env[name], f"{s.label}, {s.path}"


# -- helpers ------------------------------------------------------------------------------------
def user_config_name(cr: K8sObject) -> str | None:
    """The ConfigMap a LlamaStackDistribution's `userConfig` names."""
    return y.text(cr.get("spec", "server", "userConfig", "configMapName"))


def _split(word: str) -> list[str]:
    try:
        return shlex.split(word)
    except ValueError:
        return word.split()


def _words(node: Node | None) -> list[str]:
    if isinstance(node, SequenceNode):
        return [y.text(n) or "" for n in node.value if isinstance(n, ScalarNode)]
    text = y.text(node)
    return [text] if text else []


def _labels(node: Node | None) -> dict[str, str]:
    """A label map; for a Deployment's selector, its `matchLabels` (a Service's is plain)."""
    match = y.get(node, "matchLabels")
    node = match if match is not None else node
    return {
        str(k.value): y.text(v) or ""
        for k, v in y.items(node)
        if isinstance(k, ScalarNode) and isinstance(v, ScalarNode)
    }


def _env(node: Node | None) -> dict[str, str]:
    out = {}
    for entry in y.seq(node):
        name, value = y.text(y.get(entry, "name")), y.text(y.get(entry, "value"))
        if name and value is not None:
            out[name] = value
    return out


def _compose_env(node: Node | None) -> dict[str, str]:
    if isinstance(node, MappingNode):
        return {str(k.value): y.text(v) or "" for k, v in node.value if isinstance(k, ScalarNode)}
    out = {}
    for item in y.seq(node):
        name, _, value = (y.text(item) or "").partition("=")
        if name:
            out[name] = value
    return out


def _mounts(volumes: Node | None, mounts: Node | None) -> list[tuple[str, str | None, str]]:
    """(ConfigMap name, key or None, path) for each ConfigMap volume mounted into the container.

    A `subPath` mount is one key at exactly its path; `items` map keys to paths under the mount."""
    by_volume: dict[str, tuple[str, dict[str, str]]] = {}
    for vol in y.seq(volumes):
        cm = y.get(vol, "configMap")
        name = y.text(y.get(cm, "name"))
        if name:
            items = {
                y.text(y.get(i, "key")) or "": y.text(y.get(i, "path")) or ""
                for i in y.seq(y.get(cm, "items"))
            }
            by_volume[y.text(y.get(vol, "name")) or ""] = (name, items)
    out: list[tuple[str, str | None, str]] = []
    for m in y.seq(mounts):
        volume = by_volume.get(y.text(y.get(m, "name")) or "")
        path = y.text(y.get(m, "mountPath"))
        if volume is None or not path:
            continue
        config_map, keys = volume
        sub = y.text(y.get(m, "subPath"))
        if sub:
            key = next((k for k, p in keys.items() if p == sub), sub)
            out.append((config_map, key, path))
        elif keys:
            for key, rel in keys.items():
                out.append((config_map, key, posixpath.join(path, rel)))
        else:
            out.append((config_map, None, path))
    return out


def _same_namespace(a: str | None, b: str | None) -> bool:
    return a is None or b is None or a == b


def _host_matches(host: str, names: set[str], namespace: str | None) -> bool:
    """`name`, `name.ns`, `name.ns.svc`, `name.ns.svc.cluster.local` (the namespace must agree
    when both are known)."""
    labels = host.split(".")
    if labels[0] not in names:
        return False
    rest = labels[1:]
    if not rest:
        return True
    if namespace is not None and rest[0] != namespace:
        return False
    return list(CLUSTER_DOMAIN[: len(rest) - 1]) == rest[1:]


def _urls(text: str) -> Iterator[tuple[str, str, str | None]]:
    for m in URL_RE.finditer(text):
        yield m.group(0), m.group(1), m.group(2)


def _env_reads(text: str) -> set[str]:
    names = {a or b for a, b in ENV_READ_RE.findall(text)}
    return {n for n in names if n and any(w in n.upper() for w in ENDPOINT_WORDS)}


@dataclass(frozen=True)
class _Build:
    """What a compose service's Containerfile reveals: its path, the FROM line of the last stage,
    that stage's base image, and a llama-stack version the stage pins (pip install)."""

    path: str
    line: int
    image: str
    pin: str | None


def final_stage(text: str) -> tuple[str, int, str] | None:
    """(base image, its FROM line, the text of the stages it is built from) of a Containerfile's
    last stage: a stage built on an earlier one (`FROM builder`) is followed to that stage's base
    (and that stage's text is included: a pin may be installed there), and `${ARG}` in a FROM
    takes the default of an `ARG` declared before the first FROM. None without a usable FROM."""
    from linter.sources.containerfile import instructions

    args: dict[str, str] = {}
    stages: list[tuple[str, str | None, int, list[str]]] = []  # image, alias, line, texts
    for ins in instructions(text):
        rest = ins.joined.partition(" ")[2]
        if ins.keyword == "FROM":
            tokens = [t for t in rest.split() if not t.startswith("--")]
            if not tokens:
                return None
            alias = tokens[2] if len(tokens) >= 3 and tokens[1].upper() == "AS" else None
            stages.append((tokens[0], alias, ins.line, [ins.joined]))
        elif stages:  # the instruction with its heredocs (a pip install may be there)
            stages[-1][3].append(text[ins.start - len(ins.keyword) : ins.end])
        elif ins.keyword == "ARG" and "=" in rest:
            name, _, value = rest.strip().partition("=")
            args[name.strip()] = value.strip().strip("\"'")
    if not stages:
        return None
    aliases = {alias.lower(): i for i, (_, alias, _, _) in enumerate(stages) if alias}
    image, _, line, last = stages[-1]
    texts = list(last)
    for _ in range(len(stages)):  # follow `FROM <stage>` to its base, at most once per stage
        i = aliases.get(image.lower())
        if i is None:
            break
        image, _, line, earlier = stages[i]
        texts += earlier
    image = re.sub(r"\$\{?(\w+)\}?", lambda m: args.get(m.group(1), m.group(0)), image)
    if "$" in image or "\\" in image:
        return None
    return image, line, "\n".join(texts)
