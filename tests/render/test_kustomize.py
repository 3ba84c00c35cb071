"""kustomize overlays built in Python (linter/render/kustomize.py): positions in overlays and bases,
and, where `kubectl` is installed, the same objects as `kubectl kustomize` builds."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from linter.fixes import apply_edits, select_edits
from linter.render.kustomize import Builder, Emitter
from tests.helpers import lint_dir, write_files

BASE_CM = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: llama-stack-config
data:
  run.yaml: |
    version: '2'
    image_name: remote-vllm
    apis: [vector_io]
    providers:
      vector_io:
      - provider_id: milvus
        provider_type: remote::milvus
        config:
          uri: ${env.MILVUS_ENDPOINT}
          token: ${env.MILVUS_TOKEN:=}
          auto_id: true
"""
BASE_LSD = """\
apiVersion: llamastack.io/v1alpha1
kind: LlamaStackDistribution
metadata:
  name: llama-stack
spec:
  server:
    containerSpec:
      name: llama-stack
    distribution:
      image: docker.io/llamastack/distribution-starter:0.2.22
    userConfig:
      configMapName: llama-stack-config
"""
DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: playground
spec:
  template:
    spec:
      containers:
      - name: ui
        image: quay.io/example/playground:1.0
        envFrom:
        - configMapRef: {name: llama-stack-config}
      volumes:
      - name: cfg
        configMap:
          name: llama-stack-config
"""
OVERLAY = """\
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - ../../base
namespace: rag-prod
namePrefix: prod-
configurations:
  - images-config.yaml
images:
  - name: docker.io/llamastack/distribution-starter
    newTag: 0.3.0
patches:
  - target: {kind: Deployment, name: playground}
    patch: |-
      - op: replace
        path: /spec/template/spec/containers/0/image
        value: quay.io/example/playground:2.0
"""
IMAGES_CONFIG = """\
images:
  - kind: LlamaStackDistribution
    path: spec/server/distribution/image
"""


def _repo(tmp: Path) -> Path:
    write_files(
        tmp,
        {
            "base/cm.yaml": BASE_CM,
            "base/lsd.yaml": BASE_LSD,
            "base/deployment.yaml": DEPLOYMENT,
            "base/kustomization.yaml": "resources: [cm.yaml, lsd.yaml, deployment.yaml]\n",
            "overlays/prod/kustomization.yaml": OVERLAY,
            "overlays/prod/images-config.yaml": IMAGES_CONFIG,
        },
    )
    return tmp


def test_overlay_retag_is_sa101_at_new_tag(tmp_path: Path) -> None:
    result = lint_dir(_repo(tmp_path), target={"rhoai": "2.25"})
    sa101 = [f for f in result.findings if f.rule == "SA101"]
    assert [(f.path, f.span.start.line, f.span.start.column, f.span.end.column) for f in sa101] == [
        ("overlays/prod/kustomization.yaml", 11, 13, 18)
    ]
    related = [(r.path, r.span.start.line, r.message) for r in sa101[0].related]
    assert ("base/lsd.yaml", 10, "the image in the base") in related
    assert sa101[0].message.endswith("[built by kustomize overlay overlays/prod]")
    assert sa101[0].fix is None  # `name: rh-dev` would replace base and overlay text at once
    assert "no automatic fix" in sa101[0].message


def test_base_findings_are_reported_once_and_fix_the_base(tmp_path: Path) -> None:
    """The overlay's copy of the base ConfigMap holds the same findings as the base itself: they
    are reported once, at the base line, with a fix that edits the base."""
    root = _repo(tmp_path)
    result = lint_dir(root, target={"rhoai": "2.25"}, select=["SA202"])
    assert [(f.path, f.span.start.line, f.span.start.column) for f in result.findings] == [
        ("base/cm.yaml", 17, 11)
    ]
    edits = select_edits(result.findings, unsafe=False)
    fixed = apply_edits(BASE_CM, edits["base/cm.yaml"])
    assert fixed == BASE_CM.replace("          auto_id: true\n", "")


def test_overlay_view_binds_its_own_objects(tmp_path: Path) -> None:
    """In the overlay, the ConfigMap is `prod-llama-stack-config`, while the CR's userConfig still
    names `llama-stack-config` (kustomize does not rewrite custom resource fields). The view holds
    the objects of files a rule looks at: the Deployment's file has no trigger, so it is left out
    (the kubectl comparison below builds everything)."""
    root = _repo(tmp_path)
    result = lint_dir(root, target={"rhoai": "2.25"})
    views = {}
    for obj in result.workspace.objects:
        view = obj.source.meta.get("view")
        if view:
            views.setdefault(view, []).append((obj.kind, obj.name, obj.namespace))
    assert sorted(views["kustomize:overlays/prod"]) == [
        ("ConfigMap", "prod-llama-stack-config", "rag-prod"),
        ("LlamaStackDistribution", "prod-llama-stack", "rag-prod"),
    ]


def _build(root: Path, overlay: str) -> list[dict]:
    texts: dict[str, str] = {}
    builder = Builder(root, root, texts)
    emitter = Emitter(texts)
    for obj in builder.build(root / overlay):
        emitter.document(obj)
    return [d for d in yaml.safe_load_all(emitter.text()) if d]


def _key(doc: dict) -> tuple[str, str]:
    return doc["kind"], doc["metadata"]["name"]


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl (kustomize) is not installed")
def test_same_objects_as_kubectl_kustomize(tmp_path: Path) -> None:
    root = _repo(tmp_path)
    mine = sorted(_build(root, "overlays/prod"), key=_key)
    out = subprocess.run(
        ["kubectl", "kustomize", str(root / "overlays" / "prod")],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout
    theirs = sorted((d for d in yaml.safe_load_all(out) if d), key=_key)
    assert json.dumps(mine, sort_keys=True) == json.dumps(theirs, sort_keys=True)


def test_strategic_merge_patch_and_generator_replace(tmp_path: Path) -> None:
    write_files(
        tmp_path,
        {
            "base/cm.yaml": BASE_CM,
            "base/lsd.yaml": BASE_LSD,
            "base/kustomization.yaml": "resources: [cm.yaml, lsd.yaml]\n",
            "dev/kustomization.yaml": (
                "resources: [../base]\n"
                "patchesStrategicMerge: [lsd-patch.yaml]\n"
                "configMapGenerator:\n"
                "  - name: llama-stack-config\n"
                "    behavior: replace\n"
                "    files: [run.yaml]\n"
            ),
            "dev/lsd-patch.yaml": (
                "apiVersion: llamastack.io/v1alpha1\nkind: LlamaStackDistribution\n"
                "metadata: {name: llama-stack}\nspec:\n  server:\n    distribution:\n"
                "      image: quay.io/redhat-et/llama:vllm-milvus-0.2.8\n"
            ),
            "dev/run.yaml": (
                "version: 2\nimage_name: remote-vllm\napis: [vector_io]\nproviders:\n  vector_io:\n"
                "  - provider_id: milvus\n    provider_type: remote::milvus\n    config:\n"
                "      uri: ${env.MILVUS_ENDPOINT}\n      token: ${env.MILVUS_TOKEN:=}\n"
            ),
        },
    )
    result = lint_dir(tmp_path, target={"rhoai": "2.25"}, select=["SA103", "SA201", "SA205"])
    got = sorted((f.rule, f.path, f.span.start.line, f.span.start.column) for f in result.findings)
    # the patch's image (0.2.8) runs the generated run.yaml of the overlay: unquoted `version: 2`
    # and `${env.X:=}` are wrong for 0.2.8, reported in dev/run.yaml; the base's run config is
    # judged against the base image (0.2.22): its quoted '2' and `:=` are right there
    assert got == [
        ("SA103", "dev/lsd-patch.yaml", 7, 14),
        ("SA201", "dev/run.yaml", 1, 10),
        ("SA205", "dev/run.yaml", 10, 14),
    ]


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl (kustomize) is not installed")
def test_patch_and_generator_match_kubectl(tmp_path: Path) -> None:
    test_strategic_merge_patch_and_generator_replace(tmp_path)
    (tmp_path / "dev" / "kustomization.yaml").write_text(
        (tmp_path / "dev" / "kustomization.yaml").read_text()
        + "generatorOptions: {disableNameSuffixHash: true}\n"
    )
    mine = sorted(_build(tmp_path, "dev"), key=_key)
    out = subprocess.run(
        ["kubectl", "kustomize", str(tmp_path / "dev")],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout
    theirs = sorted((d for d in yaml.safe_load_all(out) if d), key=_key)
    assert json.dumps(mine, sort_keys=True) == json.dumps(theirs, sort_keys=True)
