"""Helm charts in the linted tree: where they are, which files they hold, what they depend on.

A chart is a folder with a `Chart.yaml`. A folder with `values.yaml` and a `templates/` folder but
no `Chart.yaml` is an incomplete chart: Helm cannot render it, and neither does stackalign (a note
says so). Local subcharts (`charts/<name>/`, `charts/<name>-<version>.tgz`) and `file://`
dependencies render with their parent; remote dependencies (`https://`, `oci://`, repository
aliases) are never fetched. Files are read here, not by Helm: a symlink never leads out of the
repository, `.helmignore` is honoured, and the sizes are bounded.
"""

from __future__ import annotations

import fnmatch
import io
import os
import posixpath
import tarfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from linter import readlog
from linter.discovery import ALWAYS_SKIP_DIRS, DiscoveredFile

MAX_CHART_FILES = 3_000
MAX_CHART_BYTES = 32 * 1024 * 1024
CHART_FILE = "Chart.yaml"
TEMPLATE_SUFFIXES = (".yaml", ".yml", ".json", ".tpl", ".txt")


@dataclass
class ChartFile:
    rel: str  # display path of the file in the repository ("" for a file inside a .tgz)
    name: str  # path inside the chart archive, e.g. `mychart/templates/cm.yaml`
    data: bytes


@dataclass
class Chart:
    """One chart folder with everything Helm would load for it."""

    rel: str  # display path of the chart folder
    abs: str
    name: str  # from Chart.yaml (archive and template names use it)
    files: list[ChartFile] = field(default_factory=list)
    remote_dependencies: list[str] = field(default_factory=list)  # "name (repository)"
    problems: list[str] = field(default_factory=list)  # why it cannot be rendered, if it cannot
    chart_yaml_rel: str = ""
    subchart_names: dict[str, str] = field(default_factory=dict)  # archive folder -> chart name

    def template_sources(self) -> dict[str, str]:
        """Template name as Helm reports it -> repository path, for every template file that can
        write output (Helm names a subchart by its Chart.yaml `name`, not by its folder)."""
        out = {}
        for f in self.files:
            if not f.rel:
                continue
            parts = f.name.split("/")
            if "templates" not in parts:
                continue
            base = parts[-1]
            if base.startswith("_") or base == "NOTES.txt":
                continue
            out[self.helm_name(f.name)] = f.rel
        return out

    def helm_name(self, name: str) -> str:
        """An archive name with each subchart folder replaced by that subchart's chart name."""
        parts = name.split("/")
        i = 1
        while i + 1 < len(parts):
            if parts[i] == "charts":
                folder = "/".join(parts[: i + 2])
                renamed = self.subchart_names.get(folder)
                if renamed:
                    parts[i + 1] = renamed
                i += 2
            else:
                i += 1
        return "/".join(parts)

    def archive(self, replace: dict[str, bytes] | None = None) -> bytes:
        """The chart as a gzipped tar, the format Helm loads (`replace`: other contents by name)."""
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w:gz", compresslevel=1) as tar:
            for f in self.files:
                data = replace.get(f.name, f.data) if replace else f.data
                info = tarfile.TarInfo(f.name)
                info.size = len(data)
                info.mode = 0o644
                tar.addfile(info, io.BytesIO(data))
        return buf.getvalue()


def find_charts(files: list[DiscoveredFile], cwd: Path) -> tuple[list[Path], list[Path]]:
    """Chart folders and incomplete chart folders among discovered files (absolute paths).

    Subcharts (a chart under another chart's `charts/`) render with their parent, not alone."""
    charts: set[Path] = set()
    values_dirs: set[Path] = set()
    template_dirs: set[Path] = set()
    for f in files:
        p = Path(f.fspath)
        if p.name == CHART_FILE:
            charts.add(p.parent)
        elif p.name in ("values.yaml", "values.yml"):
            values_dirs.add(p.parent)
        if "templates" in p.parts:
            parts = p.parts
            i = len(parts) - 1 - parts[::-1].index("templates")
            template_dirs.add(Path(*parts[:i]))
    complete = sorted(c for c in charts if not _is_subchart(c, charts))
    incomplete = sorted(d for d in (values_dirs & template_dirs) - charts)
    return complete, incomplete


def _is_subchart(folder: Path, charts: set[Path]) -> bool:
    return folder.parent.name == "charts" and folder.parent.parent in charts


def chart_of(path: Path, root: Path) -> Path | None:
    """The chart folder (complete or not) whose `templates/` holds `path`, if any."""
    parts = path.parts
    for i in range(len(parts) - 2, -1, -1):
        if parts[i] != "templates":
            continue
        folder = Path(*parts[:i])
        if not _inside(folder, root):
            return None
        if readlog.is_file(folder / CHART_FILE) or (
            readlog.is_file(folder / "values.yaml") or readlog.is_file(folder / "values.yml")
        ):
            return folder
    return None


def _inside(p: Path, root: Path) -> bool:
    try:
        p.relative_to(root)
        return True
    except ValueError:
        return False


def load_chart(folder: Path, root: Path, cwd: Path) -> Chart:
    """Read a chart folder (and its `file://` dependencies) into memory."""
    from linter.discovery import display_path

    rel = display_path(folder, cwd)
    chart = Chart(rel=rel, abs=str(folder), name=folder.name)
    meta = _chart_meta(folder / CHART_FILE)
    if meta is None:
        chart.problems.append(f"{rel}/{CHART_FILE} is not a readable YAML mapping")
        return chart
    chart.name = str(meta.get("name") or folder.name)
    chart.chart_yaml_rel = f"{rel}/{CHART_FILE}"
    budget = [MAX_CHART_FILES, MAX_CHART_BYTES]
    _read_tree(chart, folder, chart.name, root, cwd, budget)
    _name_subcharts(chart)
    present = _present_subcharts(chart)
    for dep in meta.get("dependencies") or []:
        if not isinstance(dep, dict):
            continue
        name = str(dep.get("name") or "")
        repo = str(dep.get("repository") or "")
        alias = str(dep.get("alias") or name)
        if repo.startswith("file://"):
            target = (folder / repo[len("file://") :]).resolve()
            if not _inside(target, root.resolve()) or not readlog.is_file(target / CHART_FILE):
                chart.problems.append(
                    f"dependency {name} ({repo}) is not a chart in the repository"
                )
                continue
            if name in present or alias in present:
                continue
            _read_tree(chart, target, f"{chart.name}/charts/{alias}", root, cwd, budget)
        elif name not in present and alias not in present:
            chart.remote_dependencies.append(
                f"{name} {dep.get('version') or ''} ({repo})".replace("  ", " ")
            )
    if budget[0] < 0 or budget[1] < 0:
        chart.problems.append(
            f"more than {MAX_CHART_FILES:,} files or {MAX_CHART_BYTES // (1024 * 1024)} MiB"
        )
    return chart


def _chart_meta(path: Path) -> dict[str, Any] | None:
    try:
        return _chart_yaml(path.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError):
        return None


def _chart_yaml(text: str) -> dict[str, Any] | None:
    """A Chart.yaml's first document as plain data; None when it does not parse, is no mapping,
    or expands past the limit of linted YAML (an alias bomb: 9 anchors of 9 aliases are 43
    million nodes once converted)."""
    from linter.config import _node_data
    from linter.sources.yaml import YamlParseError, compose_all, expanded_size

    try:
        docs = compose_all(text)
    except YamlParseError:
        return None
    if not docs or expanded_size(docs[0]) is None:
        return None
    data = _node_data(docs[0])
    return data if isinstance(data, dict) else None


def _name_subcharts(chart: Chart) -> None:

    for f in chart.files:
        parts = f.name.split("/")
        if len(parts) >= 4 and parts[-1] == CHART_FILE and parts[-3] == "charts":
            try:
                data = _chart_yaml(f.data.decode("utf-8-sig"))
            except UnicodeDecodeError:
                continue
            if data and data.get("name"):
                chart.subchart_names["/".join(parts[:-1])] = str(data["name"])


def _present_subcharts(chart: Chart) -> set[str]:
    """Names of subcharts shipped under `charts/` (folders, or `name-version.tgz` archives)."""
    prefix = f"{chart.name}/charts/"
    out: set[str] = set()
    for f in chart.files:
        if not f.name.startswith(prefix):
            continue
        first = f.name[len(prefix) :].split("/", 1)[0]
        if first.endswith(".tgz"):
            out.add(first[: -len(".tgz")].rsplit("-", 1)[0])
        else:
            out.add(first)
    return out


def _read_tree(
    chart: Chart, folder: Path, prefix: str, root: Path, cwd: Path, budget: list[int]
) -> None:
    from linter.discovery import display_path

    ignore = _helmignore(folder)
    real_root = os.path.realpath(root)
    stack = [(str(folder), "")]
    while stack:
        d, inner = stack.pop()
        readlog.note(d)  # a file added here later (git-ignored or not) changes the render
        try:
            with os.scandir(d) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError:
            continue
        for e in entries:
            rel_inner = inner + e.name
            if e.name in ALWAYS_SKIP_DIRS or _ignored(rel_inner, e.is_dir(), ignore):
                continue
            real = os.path.realpath(e.path)
            if not (real == real_root or real.startswith(real_root.rstrip(os.sep) + os.sep)):
                continue  # a symlink out of the repository is never followed
            if e.is_dir():
                stack.append((e.path, rel_inner + "/"))
                continue
            if not e.is_file():
                continue
            budget[0] -= 1
            try:
                size = e.stat().st_size
            except OSError:
                continue
            budget[1] -= size
            if budget[0] < 0 or budget[1] < 0:
                return
            try:
                with open(e.path, "rb") as fh:
                    data = fh.read()
            except OSError:
                continue
            chart.files.append(
                ChartFile(display_path(Path(e.path), cwd), f"{prefix}/{rel_inner}", data)
            )


def _helmignore(folder: Path) -> list[str]:
    try:
        text = (folder / ".helmignore").read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return []
    return [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.strip().startswith("#")]


def _ignored(rel: str, is_dir: bool, patterns: list[str]) -> bool:
    """`.helmignore` (https://helm.sh/docs/chart_template_guide/helm_ignore_file/): globs on the
    path or its base name, a trailing `/` for folders, `!` to negate."""
    ignored = False
    for pat in patterns:
        negate = pat.startswith("!")
        p = pat[1:] if negate else pat
        dir_only = p.endswith("/")
        p = p.rstrip("/")
        if dir_only and not is_dir:
            continue
        target = rel if "/" in p.lstrip("/") else posixpath.basename(rel)
        if fnmatch.fnmatch(target, p.lstrip("/")):
            ignored = not negate
    return ignored
