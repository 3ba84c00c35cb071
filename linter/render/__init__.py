"""What GitOps applies, not only what is on disk: Helm charts rendered with the values the repository
gives them, kustomize overlays built (docs/architecture.md, step 5).

The engine calls four functions, and nothing else of this package:
- `claims_template(ws, rel, is_template)` while files are parsed: a file under a chart's
  `templates/` is never parsed as YAML (never SA001); it is linted through the chart's renders.
- `render_views(ws, files, cwd, config, project)` after parsing: renders every chart once with its
  defaults and once per values set that an Argo CD Application, Flux HelmRelease or the
  configuration applies, builds every kustomize overlay, and adds each rendered document to the
  workspace as a YAML source under a virtual path (`rendered:<n>:<template path>`), its objects
  tagged with a view (one per render or overlay build; `view_of`).
- `remap(findings, ws, target)` after the checks: moves every finding (and the target's source)
  from rendered text to the template, values file or overlay line behind it (origins.py).
- `view_of(source)`: the view of a source's objects (None for plain files).
Rendering needs a Helm engine (helm.py); without one, each chart gets one SA004 note.
"""

from __future__ import annotations

import os
import posixpath
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from linter import readlog
from linter.render.valuesets import TRIGGERS

if TYPE_CHECKING:
    from linter.config import Config
    from linter.discovery import DiscoveredFile
    from linter.model import Finding
    from linter.render.origins import RenderedText
    from linter.sources.yaml import YamlSource
    from linter.target import Target
    from linter.workspace import Workspace

__all__ = [
    "TRIGGERS",
    "claims_template",
    "remap",
    "render_views",
    "same_view",
    "source_place",
    "view_of",
]

KUSTOMIZATION_NAMES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
MAX_ROUNDS = 3  # charts whose Applications come from another chart's render: bounded


@dataclass
class RenderNote:
    """Something not rendered or not applied, reported as an SA004 note."""

    path: str
    line: int
    column: int
    variant: str
    fields: dict[str, str]


@dataclass
class RenderState:
    """Everything the render step made: rendered texts, the files behind them, notes."""

    rendered: dict[str, RenderedText] = field(default_factory=dict)
    texts: dict[str, str] = field(default_factory=dict)  # repository files origins point into
    notes: list[RenderNote] = field(default_factory=list)
    claimed: dict[str, list[str]] = field(default_factory=dict)  # chart folder -> template paths
    engine: str | None = None
    renders: int = 0
    cached: int = 0
    timings: list[tuple[str, float]] = field(default_factory=list)  # (chart or overlay, seconds)

    def note(self, path: str, line: int, variant: str, **fields: str) -> None:
        key = (path, line, variant, tuple(sorted(fields.items())))
        if any(
            (n.path, n.line, n.variant, tuple(sorted(n.fields.items()))) == key for n in self.notes
        ):
            return
        self.notes.append(RenderNote(path, line, 1, variant, fields))


def state_of(ws: Workspace) -> RenderState:
    state: RenderState | None = getattr(ws, "renders", None)
    if state is None:
        state = RenderState()
        ws.renders = state
    return state


# -- hook 1: parsing --------------------------------------------------------------------------------
def claims_template(ws: Workspace, rel: str, is_template: bool) -> bool:
    """Whether a YAML file is a chart template that only renders may lint (then it is not parsed).

    A template with actions always is; a plain file under `templates/` is when a Helm engine is
    there to render its chart (otherwise it is linted as it is, as before)."""
    from linter.render.charts import CHART_FILE, chart_of

    path = Path(os.path.normpath(Path(ws.root) / rel))
    folder = chart_of(path, Path(path.anchor))
    if folder is None:
        return False
    if not is_template and not (readlog.is_file(folder / CHART_FILE) and engine_available()):
        return False
    state_of(ws).claimed.setdefault(str(folder), []).append(rel)
    return True


def engine_available() -> bool:
    """Cheap: is there an engine to render with (without loading it)?"""
    import importlib.util
    import shutil

    from linter.render.helm import ENGINE_ENV

    choice = os.environ.get(ENGINE_ENV, "").strip().lower()
    if choice == "off":
        return False
    if choice in ("", "binary") and shutil.which("helm"):
        return True
    return choice in ("", "sdk") and importlib.util.find_spec("helm_python") is not None


# -- hook 2: rendering ------------------------------------------------------------------------------
def render_views(
    ws: Workspace, files: list[DiscoveredFile], cwd: Path, config: Config, project: Path | None
) -> None:
    """Render the charts and build the kustomize overlays of the linted tree into `ws`."""
    from linter.render.charts import find_charts

    names = [f for f in files if posixpath.basename(f.rel) in KUSTOMIZATION_NAMES]
    charts, incomplete = find_charts(files, cwd)
    claimed = getattr(ws, "renders", None) is not None
    if not charts and not incomplete and not names and not claimed:
        return  # a repository without charts or overlays pays for one pass over the file names
    state = state_of(ws)
    root = (project or cwd).absolute()
    from linter.discovery import display_path

    for folder in incomplete:
        shown = display_path(folder, cwd)
        state.note(f"{shown}/values.yaml", 1, "incomplete_chart", chart=shown)
    if charts:
        _render_charts(ws, state, charts, root, cwd, config)
    if names:
        from linter.render.kustomize import build_views

        build_views(ws, state, names, root, cwd)
    for path, text in state.texts.items():
        ws.file_texts.setdefault(path, text)


def _render_charts(
    ws: Workspace, state: RenderState, charts: list[Path], root: Path, cwd: Path, config: Config
) -> None:
    from linter.discovery import display_path
    from linter.render.chartrender import is_relevant
    from linter.render.charts import CHART_FILE
    from linter.render.helm import find_engine

    engine = find_engine()
    if engine is None:
        for folder in charts:
            if not is_relevant(ws, state, folder, cwd):
                continue  # nothing in it a rule looks for: nothing left unchecked
            shown = display_path(folder, cwd)
            count = len(state.claimed.get(str(folder), []))
            state.note(
                f"{shown}/{CHART_FILE}",
                1,
                "no_engine",
                chart=shown,
                templates=f"{count} template file{'s' if count != 1 else ''} that hold{'s' if count == 1 else ''}"
                " something stackalign checks"
                if count
                else "its templates",
            )
        return
    state.engine = engine.label
    from linter.render.chartrender import ChartRenderer

    ChartRenderer(ws, state, engine, charts, root, cwd, config).run(MAX_ROUNDS)


# -- hook 3: findings -------------------------------------------------------------------------------
def remap(findings: list[Finding], ws: Workspace, target: Target | None = None) -> list[Finding]:
    """Findings (and the target's source) moved from rendered text to the lines behind it."""
    state: RenderState | None = getattr(ws, "renders", None)
    if state is None or not state.rendered:
        return findings
    from linter.render.origins import Remapper

    remapper = Remapper(state.rendered, state.texts)
    if target is not None and target.source_path in state.rendered:
        rt = state.rendered[target.source_path]
        span = target.source_span
        assert span is not None  # set together with source_path
        start = rt.lines.index(span.start.line, span.start.column)
        place, _ = rt.place_of(start, start + 1)
        target.source_path, target.source_span = place.path, remapper.span(place)
        target.source = f"{place.path}:{target.source_span.start.line}"
    if target is not None:
        target.alternatives = [remapper._paths_in(a) for a in target.alternatives]
    return remapper.remap(findings)


def source_place(ws: Workspace, path: str, line: int) -> tuple[str, int]:
    """The repository file and line behind a line of a rendered text (itself for a plain file)."""
    state: RenderState | None = getattr(ws, "renders", None)
    rt = state.rendered.get(path) if state is not None else None
    if state is None or rt is None:
        return path, line
    from linter.render.origins import Remapper

    try:
        index = rt.lines.line_start(line)
    except IndexError:
        return path, line
    place, _ = rt.place_of(index, index)
    return place.path, Remapper(state.rendered, state.texts).span(place).start.line


def view_of(source: YamlSource | None) -> str | None:
    """The view (render or overlay build) a source's objects belong to; None for plain files."""
    while source is not None and source.parent is not None:
        source = source.parent
    return source.meta.get("view") if source is not None else None


def same_view(a: YamlSource | None, b: YamlSource | None) -> bool:
    """Whether objects of two sources can refer to each other: the same render or build, or one
    of them a plain file (a chart's CR may mount a ConfigMap the repository applies by itself)."""
    va, vb = view_of(a), view_of(b)
    return va is None or vb is None or va == vb


def timed(state: RenderState, what: str, started: float) -> None:
    state.timings.append((what, time.perf_counter() - started))
