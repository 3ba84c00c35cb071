"""What the engine knows about the repository after parsing: files, Kubernetes objects, run configs.

Built once per run from the parsed sources; checks read it and never parse anything themselves.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from yaml.nodes import MappingNode, Node

from linter.sources import yaml as y

if TYPE_CHECKING:
    from linter.render import RenderState
    from linter.sources.compiled import CompiledProgram
    from linter.sources.python import PythonSource
    from linter.sources.shell import ShellSource
    from linter.sources.textfile import TextSource

EMBEDDED_SUFFIXES = (".yaml", ".yml")
#: the run config's own file name (a ConfigMap key of that name that does not parse is SA001)
RUN_YAML = "run.yaml"
KUSTOMIZATION_FILES = ("kustomization.yaml", "kustomization.yml", "Kustomization")


@dataclass
class K8sObject:
    """A Kubernetes object found in a YAML document, with its identity."""

    source: y.YamlSource
    node: MappingNode
    kind: str
    api_version: str
    name: str
    namespace: str | None

    @property
    def ref(self) -> str:
        return f"{self.kind}/{self.name}" if self.name else self.kind

    def get(self, *keys: str) -> Node | None:
        return y.get_path(self.node, *keys)

    @property
    def path(self) -> str:
        return self.source.path


@dataclass
class RunConfig:
    """A LlamaStack run config (run.yaml / config.yaml), wherever it lives."""

    source: y.YamlSource
    root: MappingNode
    label: str  # logical location prefix
    configmap: K8sObject | None = None  # the ConfigMap that embeds it
    configmap_key: str | None = None
    generator: tuple[str, str, str] | None = None  # (kustomization path, configmap name, key)

    @property
    def path(self) -> str:
        return self.source.path

    @property
    def configmap_name(self) -> str | None:
        if self.configmap is not None:
            return self.configmap.name
        return self.generator[1] if self.generator else None


@dataclass
class ParseProblem:
    """A file (or embedded document) that could not be read or parsed (SA001)."""

    path: str
    message: str
    line: int
    column: int
    variant: str = "default"  # SA001 message variant: default | template | newer_python


@dataclass
class Workspace:
    """Everything parsed in one run: sources, Kubernetes objects, run configs, problems."""

    root: str
    yaml_sources: list[y.YamlSource] = field(default_factory=list)
    objects: list[K8sObject] = field(default_factory=list)
    run_configs: list[RunConfig] = field(default_factory=list)
    problems: list[ParseProblem] = field(default_factory=list)
    python_sources: list[PythonSource] = field(default_factory=list)
    other_sources: list[ShellSource | TextSource] = field(default_factory=list)
    file_texts: dict[str, str] = field(default_factory=dict)
    raw_bytes: dict[str, bytes] = field(default_factory=dict)  # the bytes decoded into file_texts
    files_seen: int = 0
    files_parsed: int = 0
    pending: dict[str, str] = field(default_factory=dict)  # read, not parsed yet (lazy rules)
    renders: RenderState | None = None  # Helm renders and kustomize builds
    #: files mode: whether findings in a file (display path) are reported; None: every file
    reports: Callable[[str], bool] | None = None
    _programs: dict[int, list[CompiledProgram]] = field(default_factory=dict, repr=False)

    def may_report(self, source: y.YamlSource) -> bool:
        """Whether findings in this YAML source (or a document embedded in it) can be reported:
        in files mode, only those of the named files and of rendered views (their findings move
        to template and values lines). Checks whose findings on a source depend on nothing but
        that source and the deployment model skip the others: the context is read for the model,
        not to be judged."""
        while source.parent is not None:
            source = source.parent
        if self.reports is None or source.meta.get("view") is not None:
            return True
        return self.reports(source.path)

    def compiled_programs(self, everything: bool = False) -> list[CompiledProgram]:
        """Programs embedded in compiled KFP pipelines, decoded and parsed once per run."""
        from linter.sources.compiled import find_programs

        out: list[CompiledProgram] = []
        for s in self.yaml_sources:
            if not everything and not self.may_report(s):
                # files mode: a pipeline of the context is never reported on, and the checks read
                # a program for findings in its own file only (decoding and parsing programs is
                # the costliest step of a one-file run)
                continue
            if id(s) not in self._programs:
                self._programs[id(s)] = find_programs(s)
            out.extend(self._programs[id(s)])
        return out

    def add_yaml_text(self, rel: str, text: str) -> None:
        """Parse one YAML file into the workspace (a parse error becomes an SA001 problem)."""
        from linter.sources.yaml import YamlParseError, parse_file, template_action

        self.files_parsed += 1
        try:
            source = parse_file(rel, text)
        except YamlParseError as exc:
            action = template_action(text, None)
            if action is None:
                self.problems.append(ParseProblem(rel, exc.message, exc.line, exc.column))
            elif not _claimed_by_chart(self, rel, True):
                self._template_problem(
                    rel,
                    text,
                    action,
                    f"; the YAML parser stops at {exc.line}:{exc.column}: {exc.message}",
                )
            return
        action = template_action(text, source.documents)
        if _claimed_by_chart(self, rel, action is not None):
            return
        if action is not None:
            self._template_problem(rel, text, action, "")
            return
        self.add_yaml(source)

    def _template_problem(self, rel: str, text: str, action: tuple[str, int], extra: str) -> None:
        from linter.positions import LineIndex

        line, col = LineIndex(text).position(action[1])
        reason = f"`{action[0]}` at line {line}{extra}"
        self.problems.append(ParseProblem(rel, reason, line, col, variant="template"))

    def load_pending(self, accept: Callable[[str], bool]) -> None:
        """Parse the files kept for lazy rules whose text `accept` approves."""
        for rel in [r for r, text in self.pending.items() if accept(text)]:
            self.add_yaml_text(rel, self.pending.pop(rel))

    def objects_of(self, kind: str) -> list[K8sObject]:
        return [o for o in self.objects if o.kind == kind]

    def configmaps_named(self, name: str) -> list[K8sObject]:
        return [o for o in self.objects if o.kind == "ConfigMap" and o.name == name]

    # -- building ----------------------------------------------------------------------------------
    def add_yaml(self, source: y.YamlSource) -> None:
        self.yaml_sources.append(source)
        for doc in source.documents:
            obj = k8s_object(source, doc)
            if obj is not None:
                self.objects.append(obj)
                if obj.kind == "ConfigMap":
                    self._add_configmap_configs(obj)
            elif isinstance(doc, MappingNode) and _looks_like_run_config(doc):
                self.run_configs.append(RunConfig(source=source, root=doc, label=""))

    def _add_configmap_configs(self, cm: K8sObject) -> None:
        data = cm.get("data")
        if not isinstance(data, MappingNode):
            return  # no entries
        for key_node, value in y.items(data):
            key = key_node.value
            if not isinstance(key, str) or not key.endswith(EMBEDDED_SUFFIXES):
                continue
            if not y.is_scalar(value) or "\n" not in (value.value or ""):
                continue
            label = f"{cm.ref}:data.{key}"
            try:
                child = cm.source.embedded(value, data.start_mark.column, label)
            except y.YamlParseError as exc:
                if key == RUN_YAML or _mentions_run_config(value.value):
                    self.problems.append(
                        ParseProblem(cm.path, f"{label}: {exc.message}", exc.line, exc.column)
                    )
                continue
            for doc in child.documents:
                if isinstance(doc, MappingNode) and _looks_like_run_config(doc):
                    self.run_configs.append(
                        RunConfig(
                            source=child, root=doc, label=label, configmap=cm, configmap_key=key
                        )
                    )

    def link_generators(self) -> None:
        """kustomize configMapGenerator `files:` entries name run.yaml files: link them."""
        by_path = {rc.source.path: rc for rc in self.run_configs if rc.source.parent is None}
        for obj in self.objects:
            if obj.kind != "Kustomization":
                continue
            base = posixpath.dirname(obj.source.path)
            for gen in y.seq(obj.get("configMapGenerator")):
                name = y.text(y.get(gen, "name")) or ""
                for f in y.seq(y.get(gen, "files")):
                    spec = y.text(f) or ""
                    key, _, rel = spec.partition("=") if "=" in spec else ("", "", spec)
                    target = posixpath.normpath(posixpath.join(base, rel))
                    key = key or posixpath.basename(rel)
                    rc = by_path.get(target)
                    if rc is not None and rc.generator is None:
                        rc.generator = (obj.source.path, name, key)

    def kustomizations(self) -> list[K8sObject]:
        return [o for o in self.objects if o.kind == "Kustomization"]


def _claimed_by_chart(ws: Workspace, rel: str, is_template: bool) -> bool:
    """A file under a Helm chart's templates/ is linted through the chart's renders
    (linter/render/), never as raw YAML, so never SA001."""
    if "templates" not in rel:
        return False
    from linter.render import claims_template

    return claims_template(ws, rel, is_template)


def k8s_object(source: y.YamlSource, doc: Node) -> K8sObject | None:
    """The Kubernetes object a document is (it has a `kind`), or None."""
    if not isinstance(doc, MappingNode):
        return None
    kind = y.text(y.get(doc, "kind"))
    if not kind and posixpath.basename(source.path) in KUSTOMIZATION_FILES:
        kind = "Kustomization"  # kustomize accepts files without apiVersion/kind
    if not kind:
        return None
    meta = y.get(doc, "metadata")
    return K8sObject(
        source=source,
        node=doc,
        kind=kind,
        api_version=y.text(y.get(doc, "apiVersion")) or "",
        name=y.text(y.get(meta, "name")) or "",
        namespace=y.text(y.get(meta, "namespace")),
    )


def objects_in(source: y.YamlSource) -> list[K8sObject]:
    return [o for o in (k8s_object(source, d) for d in source.documents) if o is not None]


def _looks_like_run_config(doc: MappingNode) -> bool:
    keys = {k.value for k, _ in doc.value if y.is_scalar(k)}
    return "providers" in keys and ("apis" in keys or "image_name" in keys or "version" in keys)


def _mentions_run_config(text: str) -> bool:
    """A text meant as a run config: it names providers (the one key every run config has)."""
    return "providers:" in text
