"""Render every chart of the tree with each values set that applies to it, into the workspace.

One render per (chart, values set): the chart's defaults always, plus every values set found
(valuesets.py). An Application that is itself the output of a render (an app-of-apps chart) is
read from that render and may add values sets in a later round (at most `rounds`).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING

from linter.render import RenderState, timed
from linter.render import values as v
from linter.render.charts import CHART_FILE, Chart, load_chart
from linter.render.helm import Engine, RenderError, render_chart
from linter.render.helmmap import Template, rendered_texts, template_files
from linter.render.origins import DEFAULT_VALUE, Place, RenderedText
from linter.render.valuesets import (
    ARGO_KINDS,
    FLUX_KIND,
    RepoContext,
    ValuesSet,
    argo_values_sets,
    config_values_sets,
    flux_values_sets,
    git_remotes,
    may_name_a_chart,
)
from linter.sources import yaml as y

if TYPE_CHECKING:
    from linter.config import Config
    from linter.workspace import K8sObject, Workspace

DEFAULT_RELEASE = "release-name"  # what `helm template` calls a release without a name
DEFAULT_NAMESPACE = "default"


class ChartRenderer:
    def __init__(
        self,
        ws: Workspace,
        state: RenderState,
        engine: Engine,
        charts: list[Path],
        root: Path,
        cwd: Path,
        config: Config | None,
    ) -> None:
        self.ws = ws
        self.state = state
        self.engine = engine
        self.config = config
        resolved = {c.resolve(): c for c in charts}
        self.by_resolved = resolved
        self.ctx = RepoContext(root, cwd, git_remotes(root), set(resolved))
        self.root = root
        self.cwd = cwd
        self.loaded: dict[Path, Chart] = {}
        self.templates: dict[Path, dict[str, Template]] = {}
        # (chart folder,) or (chart folder, values set label, release, namespace): rendered
        self.done: set[tuple[Path] | tuple[Path, str, str | None, str | None]] = set()
        self.seen_objects: set[int] = set()

    def run(self, rounds: int) -> None:
        # Argo CD Applications and Flux HelmReleases were read but not parsed (lazy triggers):
        # parse those that may name a chart worth rendering (an Argo CD install manifest holds
        # the Application CRD, megabytes that name no chart of the repository)
        names = {folder.name for folder in self.by_resolved}
        self.ws.load_pending(lambda text: may_name_a_chart(text, names))
        # with its defaults: a chart that holds something a rule looks for (rendering a chart of
        # Services and Secrets finds nothing); with the values a GitOps object gives: any chart
        pending: list[tuple[Path, ValuesSet | None]] = [
            (c, None) for c in sorted(self.by_resolved) if self.relevant(c)
        ]
        pending += [(s.chart, s) for s in self._sets(self.ws.objects)]
        pending += (
            [(s.chart, s) for s in config_values_sets(self.config, self.ctx)] if self.config else []
        )
        for _ in range(rounds):
            if not pending:
                break
            before = len(self.ws.objects)
            for chart, vset in pending:
                self._render(chart, vset)
            pending = [(s.chart, s) for s in self._sets(self.ws.objects[before:])]

    def relevant(self, folder: Path) -> bool:
        """Whether a chart holds anything a rule looks for: a template or values file the
        prefilter kept (rendering a chart of Services and Secrets would find nothing)."""
        return is_relevant(self.ws, self.state, self.by_resolved[folder], self.cwd)

    def _sets(self, objects: list[K8sObject]) -> list[ValuesSet]:
        out: list[ValuesSet] = []
        for obj in objects:
            if id(obj) in self.seen_objects:
                continue
            self.seen_objects.add(id(obj))
            if obj.kind in ARGO_KINDS:
                out.extend(argo_values_sets(obj, self.ctx))
            elif obj.kind == FLUX_KIND:
                out.extend(flux_values_sets(obj, self.ws, self.ctx))
        return out

    def _chart(self, folder: Path) -> Chart:
        chart = self.loaded.get(folder)
        if chart is None:
            chart = self.loaded[folder] = load_chart(self.by_resolved[folder], self.root, self.cwd)
            self.templates[folder] = template_files(chart)
            for f in chart.files:
                if f.rel and (
                    f.rel in set(chart.template_sources().values()) or _is_values_file(f.name)
                ):
                    try:
                        self.state.texts.setdefault(f.rel, f.data.decode("utf-8"))
                    except UnicodeDecodeError:
                        pass
            if chart.remote_dependencies:
                self.state.note(
                    chart.chart_yaml_rel,
                    _line_of(chart, "dependencies:"),
                    "remote_dependencies",
                    chart=chart.rel,
                    dependencies=", ".join(chart.remote_dependencies),
                )
        return chart

    def _render(self, folder: Path, vset: ValuesSet | None) -> None:
        key = (folder, vset.label, vset.release, vset.namespace) if vset else (folder,)
        if key in self.done:
            return
        self.done.add(key)
        started = time.perf_counter()
        chart = self._chart(folder)
        if chart.problems:
            self.state.note(
                chart.chart_yaml_rel or f"{chart.rel}/{CHART_FILE}",
                1,
                "render_failed",
                chart=chart.rel,
                render="with its defaults",
                reason="; ".join(chart.problems),
            )
            return
        helm_cfg = getattr(self.config, "helm", None) if self.config else None
        release = (
            (vset.release if vset else None)
            or getattr(helm_cfg, "release", None)
            or DEFAULT_RELEASE
        )
        namespace = (
            (vset.namespace if vset else None)
            or getattr(helm_cfg, "namespace", None)
            or DEFAULT_NAMESPACE
        )
        user = vset.user_values() if vset else v.empty()
        where = vset.label if vset else "the chart's default values"
        if vset is not None:
            for path, text in vset.texts.items():
                self.state.texts.setdefault(path, text)
            for missing in vset.missing:
                self.state.note(
                    vset.where[0],
                    vset.where[1],
                    "values_missing",
                    chart=chart.rel,
                    file=missing,
                    render=where,
                )
        try:
            output = render_chart(self.engine, chart, user.data, release, namespace)
        except RenderError as exc:
            path, line = vset.where if vset else (chart.chart_yaml_rel, 1)
            self.state.note(
                path,
                line,
                "render_failed",
                chart=chart.rel,
                render=f"with {where}",
                reason=str(exc),
            )
            return
        self.state.renders += 1
        self.state.cached += output.cached
        number = self.state.renders
        label = f"rendered from {chart.rel} with {where}"
        view = f"helm:{chart.rel}#{number}"
        scopes = _scopes(chart, user)
        for rt in rendered_texts(
            chart, output, self.templates[folder], scopes, label, view, number
        ):
            self.state.rendered[rt.virtual_path] = rt
            self._add(rt)
        timed(self.state, f"helm {chart.rel} ({where})", started)

    def _add(self, rt: RenderedText) -> None:
        from linter.workspace import ParseProblem

        try:
            source = y.parse_file(rt.virtual_path, rt.text)
        except y.YamlParseError as exc:
            self.ws.problems.append(
                ParseProblem(
                    rt.virtual_path,
                    f"the rendered output is not YAML: {exc.message}",
                    exc.line,
                    exc.column,
                )
            )
            return
        source.meta["view"] = rt.view
        source.meta["rendered"] = rt.label
        self.ws.add_yaml(source)


def is_relevant(ws: Workspace, state: RenderState, folder: Path, cwd: Path) -> bool:
    from linter.discovery import display_path

    if str(folder) in state.claimed:
        return True
    prefix = display_path(folder, cwd).rstrip("/") + "/"
    return any(rel.startswith(prefix) for rel in ws.file_texts)


def _is_values_file(name: str) -> bool:
    parts = name.split("/")
    return parts[-1] in ("values.yaml", "values.yml") and (len(parts) == 2 or parts[-3] == "charts")


def _line_of(chart: Chart, needle: str) -> int:
    for f in chart.files:
        if f.rel == chart.chart_yaml_rel:
            text = f.data.decode("utf-8", errors="replace")
            i = text.find(needle)
            return text.count("\n", 0, i) + 1 if i >= 0 else 1
    return 1


def _defaults(chart: Chart, values_name: str) -> v.Positioned:
    for f in chart.files:
        if f.name == values_name and f.rel:
            try:
                source = y.parse_file(f.rel, f.data.decode("utf-8-sig"))
            except (UnicodeDecodeError, y.YamlParseError):
                return v.empty()
            doc = source.documents[0] if source.documents else None
            return v.from_node(source, doc, DEFAULT_VALUE, f"default in {f.rel}")
    return v.empty()


def _scopes(chart: Chart, user: v.Positioned) -> dict[str, v.Positioned]:
    """Template-name prefix -> the values its templates see, with provenance (subcharts see
    their own defaults under the parent's `<subchart>:` values)."""
    parent = v.overlay(_defaults(chart, f"{chart.name}/values.yaml"), user, keep_nulls=False)
    out = {f"{chart.name}/": parent}
    for folder, name in chart.subchart_names.items():
        sub = _defaults(chart, f"{folder}/values.yaml")
        given = v.at_path(parent, (name,))
        if given is not None and isinstance(given.data, dict):
            sub = v.overlay(sub, given, keep_nulls=False)
        out[chart.helm_name(folder) + "/"] = sub
    return out


def place_of_chart(chart: Chart) -> Place:
    return Place(chart.chart_yaml_rel, 0, 0)
