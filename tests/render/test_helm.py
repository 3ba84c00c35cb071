"""Helm charts rendered with the real engine and linted, with positions in templates and values
files (linter/render/). The charts are real ones vendored under tests/data/render (MANIFEST.md)."""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

import pytest

from linter.fixes import apply_edits, select_edits
from tests.helpers import cli_in, lint_dir

DATA = Path(__file__).parent.parent / "data" / "render"
AI_CHART = DATA / "ai-architecture-charts" / "llama-stack" / "helm"
LLS_CHART = DATA / "lls-operator-demo" / "charts" / "llama-stack-operator-instance"

helm_python = pytest.importorskip(
    "helm_python", reason="the `stackalign[helm]` extra is not installed"
)


def _lint_json(root: Path, *args: str) -> tuple[int, dict]:
    result = cli_in(root, "lint", "--format", "json", *args)
    return result.exit_code, json.loads(result.output)


def _by_rule(report: dict, rule: str) -> list[dict]:
    return [f for f in report["findings"] if f["rule"] == rule]


def _where(f: dict) -> tuple[str, int, int]:
    return f["path"], f["line"], f["column"]


@pytest.fixture
def ai_repo(tmp_path: Path) -> Path:
    shutil.copytree(AI_CHART, tmp_path / "charts" / "llama-stack")
    return tmp_path


def test_lsd_image_comes_from_values(ai_repo: Path) -> None:
    """The chart's LlamaStackDistribution takes its image from values.yaml: the finding is on the
    tag in values.yaml, the template line and the repository are related locations."""
    (ai_repo / "operator.yaml").write_text("managedByOperator: true\n")
    (ai_repo / ".stackalign.yaml").write_text(
        'target: {rhoai: "2.25"}\nhelm:\n  values: [operator.yaml]\n'
    )
    result = cli_in(ai_repo, "lint", "--format", "sarif")
    code, sarif = result.exit_code, json.loads(result.output)
    run = sarif["runs"][0]
    sa102 = [r for r in run["results"] if r["ruleId"] == "SA102"]
    assert len(sa102) == 1
    loc = sa102[0]["locations"][0]["physicalLocation"]
    assert loc["artifactLocation"]["uri"] == "charts/llama-stack/values.yaml"
    # `  tag: "0.6.1"`: the value inside the quotes
    assert (loc["region"]["startLine"], loc["region"]["startColumn"]) == (33, 9)
    assert (loc["region"]["endLine"], loc["region"]["endColumn"]) == (33, 14)
    related = {
        (
            r["physicalLocation"]["artifactLocation"]["uri"],
            r["physicalLocation"]["region"]["startLine"],
        )
        for r in sa102[0].get("relatedLocations", [])
    }
    # the template expression that writes the tag, and the repository that is part of the image
    assert ("charts/llama-stack/templates/llamastackdistribution.yaml", 33) in related
    assert ("charts/llama-stack/values.yaml", 31) in related
    assert (
        "rendered from charts/llama-stack with operator.yaml from .stackalign.yaml"
        in sa102[0]["message"]["text"]
    )
    assert code == 1


def test_argo_value_files_retag_the_image(ai_repo: Path) -> None:
    """An Argo CD Application whose valueFiles set a 0.3 tag, on RHOAI 2.25: SA101 on the values
    line, named after the Application; the chart's default render is reported too."""
    (ai_repo / "environments").mkdir()
    (ai_repo / "environments" / "values-prod.yaml").write_text(
        "managedByOperator: true\n"
        "image:\n"
        "  repository: docker.io/llamastack/distribution-starter\n"
        "  tag: 0.3.0\n"
    )
    (ai_repo / "argocd").mkdir()
    (ai_repo / "argocd" / "llama-stack-app.yaml").write_text(
        "apiVersion: argoproj.io/v1alpha1\n"
        "kind: Application\n"
        "metadata:\n"
        "  name: llama-stack\n"
        "  namespace: openshift-gitops\n"
        "spec:\n"
        "  project: default\n"
        "  destination: {server: https://kubernetes.default.svc, namespace: rag}\n"
        "  source:\n"
        "    repoURL: https://github.com/example/gitops.git\n"
        "    path: charts/llama-stack\n"
        "    targetRevision: main\n"
        "    helm:\n"
        "      valueFiles:\n"
        "        - ../../environments/values-prod.yaml\n"
    )
    code, report = _lint_json(ai_repo, "--target", "rhoai=2.25")
    sa101 = _by_rule(report, "SA101")
    assert [_where(f) for f in sa101] == [("environments/values-prod.yaml", 4, 8)]
    assert (sa101[0]["end_line"], sa101[0]["end_column"]) == (4, 13)
    assert sa101[0]["message"].endswith(
        "[rendered from charts/llama-stack with ../../environments/values-prod.yaml from argocd/llama-stack-app.yaml:14]"
    )
    assert code == 1


def test_milvus_configmap_template_findings_at_template_lines(tmp_path: Path) -> None:
    """A ConfigMap template with `{{- if }}` blocks around a remote Milvus config holding
    `auto_id`/`id_field`, and `${env.X:=}` defaults, on a 0.2.8 image: every finding is on the
    template's own line and column, and a fix edits the template."""
    chart = tmp_path / "charts" / "llama-stack-operator-instance"
    shutil.copytree(LLS_CHART, chart)
    (tmp_path / "values-milvus.yaml").write_text(
        "distribution:\n"
        "  image: quay.io/redhat-et/llama:vllm-milvus-0.2.8\n"
        "rag:\n"
        "  milvus:\n"
        "    inline: false\n"
        "    remote: true\n"
    )
    (tmp_path / ".stackalign.yaml").write_text(
        'target: {rhoai: "2.25"}\nhelm:\n  values: [values-milvus.yaml]\n  release: demo\n'
    )
    code, report = _lint_json(tmp_path)
    cm = "charts/llama-stack-operator-instance/templates/configmap.yaml"
    sa202 = sorted(_where(f) for f in _by_rule(report, "SA202"))
    assert sa202 == [(cm, 75, 11), (cm, 76, 11)]
    sa205 = sorted(_where(f) for f in _by_rule(report, "SA205"))
    # `${env.X:=...}` in the safety and eval blocks (each inside `{{- if ... }}`, enabled by
    # default) and in tool_runtime: syntax 0.2.8 does not know; braintrust and telemetry are off
    assert sa205 == [
        (cm, line, col)
        for line, col in ((89, 31), (90, 28), (110, 22), (111, 23), (155, 20), (160, 20))
    ]
    assert [_where(f) for f in _by_rule(report, "SA401")] == [(cm, 87, 11)]
    image = _by_rule(report, "SA103")
    assert [_where(f) for f in image] == [("values-milvus.yaml", 2, 10)]
    assert code == 1

    # the auto_id fix deletes the template's own line
    from linter.config import load_config
    from linter.engine import Options, run

    cfg = load_config(tmp_path / ".stackalign.yaml")
    result = run(Options(paths=["."], cwd=tmp_path, config=cfg, select=["SA202"]))
    edits = select_edits(result.findings, unsafe=True)
    text = (chart / "templates" / "configmap.yaml").read_text()
    fixed = apply_edits(text, edits[cm])
    assert "auto_id" not in fixed and "id_field" not in fixed
    assert fixed.splitlines() == [
        ln for ln in text.splitlines() if "auto_id" not in ln and "id_field" not in ln
    ]


def test_suppression_comment_in_template_and_values(tmp_path: Path) -> None:
    chart = tmp_path / "charts" / "llama-stack-operator-instance"
    shutil.copytree(LLS_CHART, chart)
    cm = chart / "templates" / "configmap.yaml"
    cm.write_text(
        cm.read_text().replace(
            "          auto_id: true\n",
            "          auto_id: true  # stackalign: ignore[SA202] schema is ours\n",
        )
    )
    (tmp_path / "values-milvus.yaml").write_text(
        "distribution:\n"
        "  image: quay.io/redhat-et/llama:vllm-milvus-0.2.8  # stackalign: ignore[SA103] demo image\n"
        "rag: {milvus: {inline: false, remote: true}}\n"
    )
    (tmp_path / ".stackalign.yaml").write_text(
        'target: {rhoai: "2.25"}\nhelm: {values: [values-milvus.yaml]}\n'
    )
    _, report = _lint_json(tmp_path)
    active = [
        (f["rule"], f["line"])
        for f in report["findings"]
        if f["rule"] in ("SA202", "SA103", "SA003") and not f.get("suppressed")
    ]
    assert active == [("SA202", 76)]


def test_no_engine_one_note_per_chart_exit_0(
    ai_repo: Path, monkeypatch: pytest.MonkeyPatch, tmp_path_factory
) -> None:
    """Without a Helm engine, a chart is one SA004 note (never SA001) and the exit code is 0."""
    empty_bin = tmp_path_factory.mktemp("bin")
    monkeypatch.setenv("PATH", str(empty_bin))
    monkeypatch.setitem(sys.modules, "helm_python", None)  # import helm_python -> ImportError
    monkeypatch.setattr(
        "importlib.util.find_spec",
        lambda name, *a, **k: None if name == "helm_python" else _find_spec(name, *a, **k),
    )
    code, report = _lint_json(ai_repo, "--target", "rhoai=2.25")
    rules = [(f["rule"], f["path"], f["line"]) for f in report["findings"]]
    assert rules == [("SA004", "charts/llama-stack/Chart.yaml", 1)]
    assert "no Helm engine is installed" in report["findings"][0]["message"]
    assert code == 0


def _find_spec(name, *a, **k):
    import importlib.machinery

    return importlib.machinery.PathFinder.find_spec(name)


def test_renders_are_cached(
    ai_repo: Path, tmp_path_factory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The second run takes every render from the per-user cache (the engine is not called)."""
    monkeypatch.setenv("STACKALIGN_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
    first = lint_dir(ai_repo, target={"rhoai": "2.25"})
    second = lint_dir(ai_repo, target={"rhoai": "2.25"})
    assert first.workspace.renders.renders == second.workspace.renders.renders == 1
    assert (first.workspace.renders.cached, second.workspace.renders.cached) == (0, 1)
    assert [f.message for f in first.findings] == [f.message for f in second.findings]


def test_chart_free_repository_renders_nothing(tmp_path: Path) -> None:
    (tmp_path / "cm.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n")
    result = lint_dir(tmp_path)
    assert result.workspace.renders is None


def test_template_outside_a_chart_is_still_sa001(tmp_path: Path) -> None:
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "cr.yaml").write_text(
        "apiVersion: llamastack.io/v1alpha1\nkind: LlamaStackDistribution\nmetadata:\n  name: {{ .Values.name }}\n"
    )
    result = lint_dir(tmp_path)
    assert [(f.rule, f.span.start.line) for f in result.findings] == [("SA001", 4)]


SERVICE_CHART = {
    "Chart.yaml": "apiVersion: v2\nname: web\nversion: 0.1.0\n",
    "values.yaml": "image: nginx:1.27\n",
    "templates/deploy.yaml": (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  template:\n"
        "    spec:\n      containers:\n        - name: web\n          image: {{ .Values.image }}\n"
    ),
}


def _write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)


def test_a_chart_without_anything_a_rule_reads_is_not_rendered_with_its_defaults(
    tmp_path: Path,
) -> None:
    _write(tmp_path / "charts" / "web", SERVICE_CHART)
    result = lint_dir(tmp_path)
    assert result.workspace.renders.renders == 0
    assert result.findings == []


def test_an_application_renders_any_chart_with_its_values(tmp_path: Path) -> None:
    """The chart holds nothing a rule reads, the values the Application gives it do: rendered
    with those values (a LlamaStack image on a generic Deployment chart), not with its defaults."""
    _write(tmp_path / "charts" / "web", SERVICE_CHART)
    _write(
        tmp_path,
        {
            "envs/prod.yaml": "image: docker.io/llamastack/distribution-starter:latest\n",
            "apps/web.yaml": (
                "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: {name: web}\n"
                "spec:\n  source:\n    path: charts/web\n    helm:\n"
                "      valueFiles: [../../envs/prod.yaml]\n"
            ),
        },
    )
    result = lint_dir(tmp_path, target={"rhoai": "2.25"})
    assert result.workspace.renders.renders == 1
    assert [(f.rule, f.path, f.span.start.line) for f in result.findings] == [
        ("SA102", "envs/prod.yaml", 1)
    ]


def test_a_crd_that_names_the_application_kind_is_not_parsed(tmp_path: Path) -> None:
    """Argo CD's install manifests (megabytes each) hold the Application CRD: `argoproj.io` and an
    indented `kind: Application`; they are read but never parsed, even beside a chart."""
    _write(tmp_path / "charts" / "web", SERVICE_CHART)
    crd = (
        "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\n"
        "metadata: {name: applications.argoproj.io}\nspec:\n  group: argoproj.io\n"
        "  names:\n    kind: Application\n    plural: applications\n"
        "  # the web chart is an example\n"
    )
    _write(tmp_path, {"install.yaml": crd})
    result = lint_dir(tmp_path)
    assert "install.yaml" not in {s.path for s in result.workspace.yaml_sources}


def test_helm_go_log_lines_never_reach_the_terminal(tmp_path: Path, capfd) -> None:
    """Helm's loader logs `Warning: Dependencies are handled in Chart.yaml since apiVersion "v2"`
    for a v2 chart with a requirements.yaml, from Go, on file descriptor 2."""
    from linter.render.charts import load_chart
    from linter.render.helm import SdkEngine, find_engine

    chart_dir = tmp_path / "charts" / "web"
    _write(chart_dir, {**SERVICE_CHART, "requirements.yaml": "dependencies: []\n"})
    engine = find_engine()
    if not isinstance(engine, SdkEngine):
        pytest.skip("a helm binary is on PATH: its stderr is captured by subprocess")
    chart = load_chart(chart_dir, tmp_path, tmp_path)
    out = engine.render(chart, chart.archive(), {}, "web", "default")
    assert "web/templates/deploy.yaml" in out
    captured = capfd.readouterr()
    assert captured.err == ""


@pytest.mark.skipif(sys.platform != "linux", reason="file names that are not UTF-8: POSIX bytes")
def test_a_chart_file_name_that_is_not_utf8_renders(tmp_path: Path, monkeypatch) -> None:
    """Found by the fuzzer: a chart holding `caf\\xe9.yaml` (Latin-1 bytes in the name) made the
    render's cache key raise UnicodeEncodeError, an internal error for the whole repository."""
    monkeypatch.setenv("STACKALIGN_NO_CACHE", "1")
    chart = tmp_path / "charts" / "milvus"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: milvus\nversion: 0.1.0\n")
    (chart / "values.yaml").write_text("image: quay.io/redhat-et/llama:vllm-milvus-0.2.8\n")
    template = (
        "apiVersion: llamastack.io/v1alpha1\nkind: LlamaStackDistribution\nmetadata: {name: x}\n"
        "spec:\n  server:\n    distribution:\n      image: {{ .Values.image }}\n"
    )
    (chart / "templates" / "llsd.yaml").write_text(template)
    odd = os.fsdecode(b"caf\xe9.yaml")
    (chart / odd).write_text("x: 1\n")
    (chart / "templates" / os.fsdecode(b"l\xe9.yaml")).write_text(template)
    code, report = _lint_json(tmp_path, "--target", "rhoai=2.25")
    assert code == 1  # a finding
    assert [(f["rule"], *_where(f)) for f in report["findings"]] == [
        ("SA103", "charts/milvus/values.yaml", 1, 8)
    ]
