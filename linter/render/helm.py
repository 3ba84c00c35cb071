"""Rendering charts with the real Helm engine: a `helm` binary on PATH, else the `helm-python-sdk`
package (Helm's Go SDK through ctypes: `pip install 'stackalign[helm]'`). Nothing else renders.

Each render runs twice, on the chart as written and on a copy whose template text carries markers
(see gotemplate.py); the marked output, markers removed, must equal the plain output, or the plain
output is used with line-level positions only. Results are kept in the per-user cache, keyed by the
chart's files, the values, the release, the namespace and the engine's version, so a second run
does not load the engine at all. No network: remote dependencies are never fetched, `lookup`
returns nothing (no cluster), and the binary runs with empty Helm home folders.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

from linter import HELM_ENGINE_ENV, HELM_TEMP_PREFIX
from linter.render import gotemplate
from linter.render.charts import Chart

ENGINE_ENV = HELM_ENGINE_ENV
BINARY_TIMEOUT_SECONDS = 60
CACHE_KIND = "render"
FORMAT = "1"  # bump when what is cached changes shape


class RenderError(Exception):
    """The engine refused the chart or its values (its own message)."""


class Engine(Protocol):
    @property
    def label(self) -> str: ...

    def render(
        self, chart: Chart, archive: bytes, values: dict[str, Any], release: str, namespace: str
    ) -> dict[str, str]: ...


@dataclass
class SdkEngine:
    """helm-python-sdk: `Chart.load_archive(...).render(...)`, offline by design. The package
    (and its 75 MB library) is imported on the first render, so that a run whose renders all
    come from the cache never loads it."""

    version: str
    label: str = ""
    _module: Any = None

    def __post_init__(self) -> None:
        self.label = f"helm-python-sdk {self.version}"

    def render(
        self, chart: Chart, archive: bytes, values: dict[str, Any], release: str, namespace: str
    ) -> dict[str, str]:
        if self._module is None:
            try:
                import helm_python  # the optional extra `stackalign[helm]`
            except (ImportError, OSError) as exc:
                raise RenderError(f"cannot load helm-python-sdk: {exc}") from None
            self._module = helm_python
        helm = self._module
        try:
            with _go_log_silenced(), helm.Chart.load_archive(archive) as loaded:
                return dict(loaded.render(values, name=release, namespace=namespace))
        except helm.HelmError as exc:
            raise RenderError(_first_line(str(exc))) from None


@contextlib.contextmanager
def _go_log_silenced() -> Iterator[None]:
    """Helm's Go code logs warnings (`Dependencies are handled in Chart.yaml since apiVersion
    "v2"`) straight to file descriptor 2, past Python's sys.stderr: they would land between
    stackalign's own lines (and in a pre-commit hook's output). Point fd 2 at /dev/null while the
    library renders; `helm template` (the binary) has its stderr captured the same way."""
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):
        yield
        return
    try:
        with open(os.devnull, "wb") as null:
            os.dup2(null.fileno(), 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


@dataclass
class BinaryEngine:
    """`helm template`, with the chart written to a temporary folder."""

    path: str
    label: str = ""

    def __post_init__(self) -> None:
        try:
            out = subprocess.run(
                [self.path, "version", "--short"],
                capture_output=True,
                text=True,
                timeout=BINARY_TIMEOUT_SECONDS,
                env=_helm_env(tempfile.gettempdir()),
                check=False,
            )
            version = out.stdout.strip() or "unknown version"
        except (OSError, subprocess.TimeoutExpired):
            version = "unknown version"
        self.label = f"helm {version} ({self.path})"

    def render(
        self, chart: Chart, archive: bytes, values: dict[str, Any], release: str, namespace: str
    ) -> dict[str, str]:
        import io
        import tarfile

        with tempfile.TemporaryDirectory(prefix=HELM_TEMP_PREFIX) as tmp:
            with tarfile.open(fileobj=io.BytesIO(archive), mode="r:gz") as tar:
                for member in tar.getmembers():
                    target = os.path.realpath(os.path.join(tmp, "chart", member.name))
                    if not target.startswith(os.path.realpath(tmp) + os.sep) or not member.isfile():
                        continue
                    os.makedirs(os.path.dirname(target), exist_ok=True)
                    src = tar.extractfile(member)
                    with open(target, "wb") as fh:
                        fh.write(src.read() if src else b"")
            values_file = os.path.join(tmp, "values.json")
            with open(values_file, "w", encoding="utf-8") as fh:
                json.dump(values, fh)
            chart_dir = os.path.join(tmp, "chart", chart.name)
            cmd = [self.path, "template", release, chart_dir, "--namespace", namespace]
            cmd += ["--values", values_file]
            try:
                out = subprocess.run(
                    cmd,
                    capture_output=True,
                    text=True,
                    timeout=BINARY_TIMEOUT_SECONDS,
                    env=_helm_env(tmp),
                    check=False,
                )
            except subprocess.TimeoutExpired:
                raise RenderError(
                    f"helm template took longer than {BINARY_TIMEOUT_SECONDS} s"
                ) from None
            except OSError as exc:
                raise RenderError(f"cannot run {self.path}: {exc}") from None
            if out.returncode != 0:
                raise RenderError(_first_line(out.stderr.replace("Error: ", "", 1)))
            return split_template_output(out.stdout)


def _helm_env(tmp: str) -> dict[str, str]:
    """An environment in which helm reads no user configuration, plugin or repository cache."""
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "LANG", "LC_ALL", "TMPDIR")}
    for var in ("HELM_CACHE_HOME", "HELM_CONFIG_HOME", "HELM_DATA_HOME", "HELM_PLUGINS"):
        env[var] = os.path.join(tmp, var.lower())
    env["KUBECONFIG"] = os.path.join(tmp, "no-kubeconfig")
    env["HOME"] = tmp
    return env


def split_template_output(stdout: str) -> dict[str, str]:
    """`helm template` output (`---\\n# Source: chart/templates/x.yaml\\n...`) per template."""
    out: dict[str, list[str]] = {}
    current: str | None = None
    for chunk in stdout.split("\n---\n" if not stdout.startswith("---\n") else "---\n"):
        if not chunk.strip():
            continue
        body = chunk
        if body.startswith("---\n"):
            body = body[4:]
        if body.startswith("# Source: "):
            head, _, body = body.partition("\n")
            current = head[len("# Source: ") :].strip()
        if current is None:
            continue
        out.setdefault(current, []).append(body)
    return {name: "---\n" + "\n---\n".join(parts) for name, parts in out.items()}


def _first_line(message: str) -> str:
    lines = [ln.strip() for ln in message.strip().splitlines() if ln.strip()]
    text = lines[0] if lines else "the engine gave no reason"
    return text if len(text) <= 400 else text[:397] + "..."


def find_engine() -> Engine | None:
    """The Helm engine to use, or None (rendering is then skipped, with one note per chart)."""
    choice = os.environ.get(ENGINE_ENV, "").strip().lower()
    if choice == "off":
        return None
    if choice in ("", "binary"):
        path = shutil.which("helm")
        if path:
            return BinaryEngine(path)
    if choice in ("", "sdk"):
        import importlib.util
        from importlib import metadata

        try:
            if importlib.util.find_spec("helm_python") is None:
                return None
            return SdkEngine(metadata.version("helm-python-sdk"))
        except (ImportError, ValueError, metadata.PackageNotFoundError):
            return None
    return None


# -- one render, with markers ----------------------------------------------------------------------
@dataclass
class RenderOutput:
    """What one render of one chart produced, per template name."""

    texts: dict[str, str]  # template name -> rendered text (what Helm wrote)
    markers: dict[str, list[tuple[int, int]]]  # template name -> (output index, marker number)
    sites: list[gotemplate.MarkerSite]
    unmarked: list[str] = field(default_factory=list)  # templates whose positions are line-level
    engine: str = ""
    cached: bool = False


def render_chart(
    engine: Engine, chart: Chart, values: dict[str, Any], release: str, namespace: str
) -> RenderOutput:
    """Render `chart` (plain and marked), from the cache when this exact render was done before."""
    from linter import cache
    from linter.validation import construct

    key = _cache_key(engine, chart, values, release, namespace)
    cached = cache.load(key, kind=CACHE_KIND) if key else None
    if isinstance(cached, dict):
        try:
            output = construct(RenderOutput, cached)
            output.cached = True
            return output
        except (TypeError, ValueError, KeyError):
            pass
    plain = engine.render(chart, chart.archive(), values, release, namespace)
    sites: list[gotemplate.MarkerSite] = []
    marked_files = _marked_templates(chart, sites)
    marked: dict[str, str] = {}
    if marked_files:
        try:
            marked = engine.render(chart, chart.archive(marked_files), values, release, namespace)
        except RenderError:
            marked = {}
    output = RenderOutput(texts={}, markers={}, sites=sites, engine=engine.label)
    for name, text in plain.items():
        stripped, found = gotemplate.strip_markers(marked.get(name, ""))
        if found and stripped == text:
            output.markers[name] = found
        else:
            output.unmarked.append(name)
        output.texts[name] = text
    cache.store(key, dataclasses.asdict(output), kind=CACHE_KIND)
    return output


def _marked_templates(chart: Chart, sites: list[gotemplate.MarkerSite]) -> dict[str, bytes]:
    """Archive name -> marked template bytes (none if the chart's text uses the marker chars)."""
    out: dict[str, bytes] = {}
    sources = set(chart.template_sources().values())
    for f in chart.files:
        if f.rel not in sources:
            continue
        try:
            text = f.data.decode("utf-8")
        except UnicodeDecodeError:
            continue
        if gotemplate.has_marker_chars(text):
            return {}
        try:
            out[f.name] = gotemplate.instrument(chart.helm_name(f.name), text, sites).encode()
        except gotemplate.TemplateSyntaxError:
            continue  # the engine will report it on the plain render
    return out


def _cache_key(
    engine: Engine, chart: Chart, values: dict[str, Any], release: str, namespace: str
) -> str | None:
    from linter import cache

    h = hashlib.sha256()
    # names and values may hold lone surrogates (file names that are not UTF-8, YAML escapes)
    h.update(f"{FORMAT}\0{engine.label}\0{release}\0{namespace}\0".encode(errors="surrogatepass"))
    h.update(json.dumps(values, sort_keys=True, default=str).encode())
    for f in sorted(chart.files, key=lambda f: f.name):
        h.update(f"\0{f.name}\0{len(f.data)}\0".encode(errors="surrogatepass"))
        h.update(f.data)
    return cache.key([], [], h.hexdigest())
