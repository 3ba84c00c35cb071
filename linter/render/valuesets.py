"""Which values the repository applies to each chart: one `ValuesSet` per Argo CD Application (or
ApplicationSet element), Flux HelmRelease and `.stackalign.yaml` `helm:` entry that names a chart of
this repository, each positioned so that a value found in a render points at the line that set it.

Argo CD (https://argo-cd.readthedocs.io/en/stable/user-guide/helm/): `spec.source` or each of
`spec.sources` with a `path` in this repository; `helm.valueFiles` (relative to that path, or
`$<ref>/...` for a `ref:` source of this repository), then `helm.values` (a YAML string), then
`helm.valuesObject`, then `helm.parameters`, later ones winning; the release is `helm.releaseName`
or the Application's name, the namespace `destination.namespace`. ApplicationSets: the template,
once per element of its `list` generators (`{{key}}` / `{{.key}}` replaced in paths and names).
Flux (https://fluxcd.io/flux/components/helm/helmreleases/): `spec.chart.spec.chart` as a path of
this repository, `valuesFrom` ConfigMaps found in the repository, then `spec.values`.
"A chart of this repository": the repository URL matches a `remote` of the repository's git
configuration, or, without one, the path names a chart folder here.
"""

from __future__ import annotations

import configparser
import posixpath
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from yaml.nodes import MappingNode, Node

from linter import readlog
from linter.render import values as v
from linter.render.origins import OVERRIDE
from linter.sources import yaml as y

if TYPE_CHECKING:
    from linter.config import Config
    from linter.workspace import K8sObject, Workspace

ARGO_KINDS = ("Application", "ApplicationSet")
FLUX_KIND = "HelmRelease"
# the rarer string first: pre-commit's git search looks for it (argoproj.io is in every Argo CD
# CRD and Workflow; `kind: Application` in few files)
TRIGGERS = ("kind: Application&argoproj.io", "kind: HelmRelease&helm.toolkit.fluxcd.io")


_GITOPS_KIND = re.compile(
    r"^kind:[ \t]*[\"']?(?:Application|ApplicationSet|HelmRelease)[\"']?[ \t]*(?:#.*)?\r?$",
    re.MULTILINE,
)


def may_name_a_chart(text: str, chart_names: set[str]) -> bool:
    """Whether a file kept by TRIGGERS (read, parsed only when charts render) may hold a GitOps
    object that names one of the charts: a document of that kind (not a CRD that only names the
    kind, like Argo CD's install manifests, megabytes each) that names a chart folder."""
    return (
        any(all(part in text for part in t.split("&")) for t in TRIGGERS)
        and _GITOPS_KIND.search(text) is not None
        and any(name in text for name in chart_names)
    )


_PLACEHOLDER = re.compile(r"\{\{-?\s*\.?([A-Za-z0-9_.\-]+)\s*-?\}\}")


@dataclass
class ValuesSet:
    """The values one GitOps object (or the configuration) applies to one chart."""

    chart: Path  # absolute chart folder
    label: str  # "values-prod.yaml from argocd/app.yaml:14"
    layers: list[v.Positioned]  # later wins
    release: str | None
    namespace: str | None
    where: tuple[str, int]  # (path, line) of the object that applies them
    missing: list[str] = field(default_factory=list)  # values files it names that are absent
    texts: dict[str, str] = field(default_factory=dict)  # values files read: path -> text

    def user_values(self) -> v.Positioned:
        """The layers merged among themselves (nulls kept: Helm applies them to the defaults)."""
        merged = v.empty()
        for layer in self.layers:
            merged = v.overlay(merged, layer, keep_nulls=True)
        return merged


@dataclass
class RepoContext:
    """Where the repository is and how to read its files (always inside it)."""

    root: Path  # absolute repository root (the project root, else the working directory)
    cwd: Path
    remotes: set[str]  # normalized git remote URLs ("" entries never)
    charts: set[Path]

    def display(self, p: Path) -> str:
        from linter.discovery import display_path

        return display_path(p, self.cwd)

    def inside(self, p: Path) -> bool:
        try:
            p.resolve().relative_to(self.root.resolve())
            return True
        except (ValueError, OSError):
            return False

    def is_this_repo(self, url: str | None, path: Path | None) -> bool:
        if url and self.remotes:
            return normalize_url(url) in self.remotes
        return path is not None and self.inside(path)


def normalize_url(url: str) -> str:
    u = url.strip().lower()
    u = re.sub(r"^[a-z+]+://", "", u)
    u = re.sub(r"^[^@/]+@", "", u)
    if re.match(r"^[^/]+:(?!\d+/)", u):  # scp-like git@host:org/repo
        u = u.replace(":", "/", 1)
    u = re.sub(r":\d+/", "/", u)
    return u.rstrip("/").removesuffix(".git")


def git_remotes(root: Path) -> set[str]:
    """Remote URLs from the repository's git configuration (read as text; git is not run)."""
    git = root / ".git"
    config = None
    try:
        if git.is_dir():
            config = git / "config"
        elif git.is_file():
            line = git.read_text(encoding="utf-8").strip()
            if line.startswith("gitdir:"):
                gitdir = (root / line[len("gitdir:") :].strip()).resolve()
                common = gitdir / "commondir"
                if common.is_file():
                    gitdir = (gitdir / common.read_text(encoding="utf-8").strip()).resolve()
                config = gitdir / "config"
        if config is None or not config.is_file():
            return set()
        parser = configparser.RawConfigParser(strict=False)
        parser.read_string(config.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, configparser.Error):
        return set()
    out = set()
    for section in parser.sections():
        if section.startswith("remote ") and parser.has_option(section, "url"):
            out.add(normalize_url(parser.get(section, "url")))
    return out


# -- reading values files ---------------------------------------------------------------------------
def read_values_file(
    ctx: RepoContext, path: Path, message: str, priority: int
) -> tuple[v.Positioned | None, str, str | None]:
    """(values, display path, text) of a values file of the repository; None when it is absent,
    outside the repository or not YAML."""
    rel = ctx.display(path)
    if not ctx.inside(path) or not readlog.is_file(path):
        return None, rel, None
    try:
        text = path.read_text(encoding="utf-8-sig")
        source = y.parse_file(rel, text)
    except (OSError, UnicodeDecodeError, y.YamlParseError):
        return None, rel, None
    doc = source.documents[0] if source.documents else None
    return v.from_node(source, doc, priority, message), rel, text


def _line(source: y.YamlSource, node: Node) -> int:
    return source.span(node).start.line


# -- Argo CD ----------------------------------------------------------------------------------------
def argo_values_sets(obj: K8sObject, ctx: RepoContext) -> list[ValuesSet]:
    """Values sets of an Application, or of each element of an ApplicationSet."""
    if "argoproj.io" not in (obj.api_version or ""):
        return []
    if obj.kind == "Application":
        return _application(obj, obj.get("spec"), {}, ctx)
    template_spec = y.get_path(obj.node, "spec", "template", "spec")
    elements: list[dict[str, str]] = []
    for gen in y.seq(y.get_path(obj.node, "spec", "generators")):
        for el in y.seq(y.get_path(gen, "list", "elements")):
            elements.append(
                {str(k.value): y.text(val) or "" for k, val in y.items(el) if y.is_scalar(val)}
            )
    out: list[ValuesSet] = []
    for params in elements or [{}]:
        out.extend(_application(obj, template_spec, params, ctx))
    return out


def _subst(text: str | None, params: dict[str, str]) -> str | None:
    if text is None or "{{" not in text:
        return text
    missing = False

    def sub(m: re.Match[str]) -> str:
        nonlocal missing
        key = m.group(1)
        if key in params:
            return params[key]
        missing = True
        return m.group(0)

    out = _PLACEHOLDER.sub(sub, text)
    return None if missing else out


def _application(
    obj: K8sObject, spec: Node | None, params: dict[str, str], ctx: RepoContext
) -> list[ValuesSet]:
    if not isinstance(spec, MappingNode):
        return []
    sources = [s for s in [y.get(spec, "source")] if s is not None] + y.seq(y.get(spec, "sources"))
    refs: dict[str, Path] = {}
    for s in sources:
        ref = y.text(y.get(s, "ref"))
        if ref and ctx.is_this_repo(_subst(y.text(y.get(s, "repoURL")), params), ctx.root):
            refs[ref] = ctx.root
    namespace = _subst(y.text(y.get_path(spec, "destination", "namespace")), params)
    name = _subst(obj.name, params) or obj.name
    out = []
    for s in sources:
        path = _subst(y.text(y.get(s, "path")), params)
        if not path:
            continue
        chart = (ctx.root / path).resolve()
        if chart not in ctx.charts or not ctx.is_this_repo(
            _subst(y.text(y.get(s, "repoURL")), params), chart
        ):
            continue
        helm = y.get(s, "helm")
        release = _subst(y.text(y.get(helm, "releaseName")), params) or name
        vs = _argo_helm(obj, helm, chart, refs, params, ctx)
        vs.release, vs.namespace = release, namespace
        out.append(vs)
    return out


def _argo_helm(
    obj: K8sObject,
    helm: Node | None,
    chart: Path,
    refs: dict[str, Path],
    params: dict[str, str],
    ctx: RepoContext,
) -> ValuesSet:
    src = obj.source
    where_node = y.get_item(helm, "valueFiles") or y.get_item(helm, "values") or None
    line = _line(src, where_node[0]) if where_node else _line(src, obj.node)
    layers: list[v.Positioned] = []
    named: list[str] = []
    missing: list[str] = []
    texts: dict[str, str] = {}
    for f in y.seq(y.get(helm, "valueFiles")):
        spec = _subst(y.text(f), params)
        if not spec:
            continue
        if spec.startswith("$"):
            ref, _, rest = spec[1:].partition("/")
            base = refs.get(ref)
            if base is None:
                missing.append(spec)
                continue
            target = (base / rest).resolve()
        else:
            target = (chart / spec).resolve()
        msg = f"set in {spec} (valueFiles of {obj.ref})"
        layer, rel, text = read_values_file(ctx, target, msg, OVERRIDE)
        if layer is None:
            missing.append(spec)
            continue
        layers.append(layer)
        named.append(posixpath.basename(rel) if spec.startswith("$") else spec)
        texts[rel] = text or ""
    values_node = y.get(helm, "values")
    if helm is not None and y.is_scalar(values_node) and (values_node.value or "").strip():
        try:
            child = src.embedded(
                values_node, helm.start_mark.column, f"{obj.ref}:spec.source.helm.values"
            )
            doc = child.documents[0] if child.documents else None
            layers.append(v.from_node(child, doc, OVERRIDE, f"set in helm.values of {obj.ref}"))
            named.append("helm.values")
        except y.YamlParseError:
            missing.append("helm.values (not YAML)")
    obj_node = y.get(helm, "valuesObject")
    if isinstance(obj_node, MappingNode):
        layers.append(
            v.from_node(src, obj_node, OVERRIDE, f"set in helm.valuesObject of {obj.ref}")
        )
        named.append("helm.valuesObject")
    for p in y.seq(y.get(helm, "parameters")):
        pname = y.text(y.get(p, "name"))
        value_node = y.get(p, "value")
        keys = v.set_path(pname or "")
        if keys is None or not y.is_scalar(value_node):
            continue
        force = y.text(y.get(p, "forceString")) == "true"
        value = v.typed_set_value(value_node.value, force)
        leaf_pos = v.from_node(
            src, value_node, OVERRIDE, f"set by helm.parameters {pname} of {obj.ref}"
        )
        layers.append(v.single(keys, value, leaf_pos.prov))
        named.append(f"parameter {pname}")
    what = ", ".join(named) if named else "no values of its own"
    return ValuesSet(
        chart=chart,
        label=f"{what} from {src.path}:{line}",
        layers=layers,
        release=None,
        namespace=None,
        where=(src.path, line),
        missing=missing,
        texts=texts,
    )


# -- Flux -------------------------------------------------------------------------------------------
def flux_values_sets(obj: K8sObject, ws: Workspace, ctx: RepoContext) -> list[ValuesSet]:
    if obj.kind != FLUX_KIND or "helm.toolkit.fluxcd.io" not in (obj.api_version or ""):
        return []
    chart_path = y.text(obj.get("spec", "chart", "spec", "chart"))
    if not chart_path:
        return []
    chart = (ctx.root / chart_path).resolve()
    if chart not in ctx.charts:
        return []
    src = obj.source
    layers: list[v.Positioned] = []
    named: list[str] = []
    missing: list[str] = []
    namespace = obj.namespace
    for ref in y.seq(obj.get("spec", "valuesFrom")):
        kind = y.text(y.get(ref, "kind"))
        name = y.text(y.get(ref, "name")) or ""
        key = y.text(y.get(ref, "valuesKey")) or "values.yaml"
        target_path = y.text(y.get(ref, "targetPath"))
        if kind != "ConfigMap":
            missing.append(f"{kind} {name} (not read: stackalign reads no Secrets)")
            continue
        layer = _configmap_values(ws, name, namespace, key, target_path, obj.ref)
        if layer is None:
            missing.append(f"ConfigMap {name} key {key}")
            continue
        layers.append(layer)
        named.append(f"ConfigMap {name}")
    values_node = obj.get("spec", "values")
    if isinstance(values_node, MappingNode):
        layers.append(v.from_node(src, values_node, OVERRIDE, f"set in spec.values of {obj.ref}"))
        named.append("spec.values")
    target_ns = y.text(obj.get("spec", "targetNamespace"))
    release = y.text(obj.get("spec", "releaseName")) or (
        f"{target_ns}-{obj.name}" if target_ns else obj.name
    )
    line = _line(src, obj.node)
    return [
        ValuesSet(
            chart=chart,
            label=f"{', '.join(named) or 'no values of its own'} from {src.path}:{line}",
            layers=layers,
            release=release,
            namespace=target_ns or namespace,
            where=(src.path, line),
            missing=missing,
        )
    ]


def _configmap_values(
    ws: Workspace, name: str, namespace: str | None, key: str, target_path: str | None, who: str
) -> v.Positioned | None:
    for cm in ws.configmaps_named(name):
        if namespace and cm.namespace and cm.namespace != namespace:
            continue
        data = cm.get("data")
        item = y.get_item(data, key)
        if data is None or item is None or not y.is_scalar(item[1]):
            continue
        node = item[1]
        msg = f"set in ConfigMap {name} key {key} (valuesFrom of {who})"
        if target_path:
            keys = v.set_path(target_path)
            if keys is None:
                return None
            leaf = v.from_node(cm.source, node, OVERRIDE, msg)
            return v.single(keys, node.value, leaf.prov)
        try:
            child = cm.source.embedded(node, data.start_mark.column, f"{cm.ref}:data.{key}")
        except y.YamlParseError:
            return None
        doc = child.documents[0] if child.documents else None
        return v.from_node(child, doc, OVERRIDE, msg)
    return None


# -- .stackalign.yaml --------------------------------------------------------------------------------
def config_values_sets(cfg: Config, ctx: RepoContext) -> list[ValuesSet]:
    """`helm: {values: [...], set: {...}, release, namespace, charts: [globs]}`: one more values set
    for each chart it names (every chart when `charts` is absent)."""
    helm = getattr(cfg, "helm", None)
    if helm is None or (not helm.values and not helm.set):
        return []
    cfg_path = Path(cfg.path) if cfg.path else ctx.root / ".stackalign.yaml"
    base = cfg_path.parent
    shown = ctx.display(cfg_path)
    layers: list[v.Positioned] = []
    named: list[str] = []
    missing: list[str] = []
    texts: dict[str, str] = {}
    for spec in helm.values:
        layer, rel, text = read_values_file(
            ctx, (base / spec).resolve(), f"set in {spec} (helm.values of {shown})", OVERRIDE
        )
        if layer is None:
            missing.append(spec)
            continue
        layers.append(layer)
        named.append(spec)
        texts[rel] = text or ""
    set_nodes = _config_set_nodes(cfg_path, shown)
    for name, value in helm.set.items():
        keys = v.set_path(name)
        if keys is None:
            continue
        src_node = set_nodes.get(name)
        prov = None
        if src_node is not None:
            positioned = v.from_node(
                src_node[0], src_node[1], OVERRIDE, f"set by helm.set.{name} of {shown}"
            )
            value, prov = positioned.data, positioned.prov
        layers.append(v.single(keys, value, prov))
        named.append(f"set {name}")
    from linter.discovery import excluded

    out = []
    for chart in sorted(ctx.charts):
        rel = (
            posixpath.normpath(str(chart.relative_to(ctx.root.resolve())).replace("\\", "/"))
            if ctx.inside(chart)
            else ""
        )
        if helm.charts and not excluded(rel, helm.charts):
            continue
        out.append(
            ValuesSet(
                chart=chart,
                label=f"{', '.join(named)} from {shown}",
                layers=layers,
                release=helm.release,
                namespace=helm.namespace,
                where=(shown, 1),
                missing=missing,
                texts=texts,
            )
        )
    return out


def _config_set_nodes(path: Path, shown: str) -> dict[str, tuple[y.YamlSource, Node]]:
    try:
        source = y.parse_file(shown, path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, y.YamlParseError):
        return {}
    doc = source.documents[0] if source.documents else None
    return {str(k.value): (source, val) for k, val in y.items(y.get_path(doc, "helm", "set"))}
