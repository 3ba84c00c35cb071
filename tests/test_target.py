from __future__ import annotations

import pytest

from linter.target import parse_image, target_from_setting
from tests.helpers import lint_dir, lint_files, pack
from tests.shared_subset import data_roots

SUB = """apiVersion: operators.coreos.com/v1alpha1
kind: Subscription
metadata:
  name: rhods-operator
  namespace: redhat-ods-operator
spec:
  name: rhods-operator
  channel: {channel}
"""


@pytest.mark.parametrize(
    "channel,version,llamastack",
    [
        ("stable-2.25", "2.25", "0.2.22"),
        ("eus-2.25", "2.25", "0.2.22"),
        ("stable-3.0", "3.0", "0.3.0rc3+rhai0"),
        ("fast", "3.4", "0.7.1+rhaiv.1"),
        ("stable-3.3", "3.3", "0.4.2.1+rhai0"),
    ],
)
def test_channel_detection(tmp_path, channel, version, llamastack):
    r = lint_files(tmp_path, {"ops/sub.yaml": SUB.format(channel=channel)})
    assert (r.target.platform, r.target.version) == ("rhoai", version)
    assert str(r.target.llamastack) == llamastack
    assert r.target.source == "ops/sub.yaml:8"


def test_starting_csv_wins_over_channel(tmp_path):
    text = SUB.format(channel="fast") + "  startingCSV: rhods-operator.2.23.1\n"
    r = lint_files(tmp_path, {"sub.yaml": text})
    assert (r.target.version, r.target.source) == ("2.23", "sub.yaml:9")
    assert str(r.target.llamastack) == "0.2.14"


def test_cli_target_beats_detection(tmp_path):
    r = lint_files(
        tmp_path, {"sub.yaml": SUB.format(channel="stable-2.25")}, target={"rhoai": "3.2"}
    )
    assert (r.target.version, r.target.source) == ("3.2", "--target")


def test_unknown_eus_channel_is_sa002_with_closest(tmp_path):
    r = lint_files(tmp_path, {"sub.yaml": SUB.format(channel="eus-2.16")})
    sa002 = [f for f in r.findings if f.rule == "SA002"]
    assert len(sa002) == 1 and (sa002[0].span.start.line, sa002[0].span.start.column) == (8, 12)
    assert "closest known release is 2.22" in sa002[0].message


def test_unknown_cli_target_is_sa002(tmp_path):
    r = lint_files(tmp_path, {"a.yaml": "kind: ConfigMap\n"}, target={"rhoai": "2.9"})
    assert [f.rule for f in r.findings] == ["SA002"]
    assert "closest known release is 2.22" in r.findings[0].message


def test_json_patch_referenced_by_kustomization(tmp_path):
    files = {
        "op/kustomization.yaml": "resources:\n  - https://example.invalid/base\npatches:\n  - target:\n      kind: Subscription\n      name: rhods-operator\n    path: patch.yaml\n",
        "op/patch.yaml": "- op: replace\n  path: /spec/channel\n  value: stable-3.2\n",
    }
    r = lint_files(tmp_path, files)
    assert (r.target.version, r.target.source) == ("3.2", "op/patch.yaml:3")


def test_llamastack_target(tmp_path):
    kb, _ = pack()
    t = target_from_setting({"llamastack": "0.2.22"}, "--target", kb)
    assert t.platform == "llamastack" and str(t.llamastack) == "0.2.22" and not t.unknown


@pytest.mark.parametrize(
    "ref,version,problem",
    [
        ("docker.io/llamastack/distribution-starter:0.2.22", "0.2.22", None),
        ("llamastack/distribution-remote-vllm:0.3.0", "0.3.0", None),
        ("quay.io/redhat-et/llama:vllm-milvus-0.2.8", "0.2.8", None),
        ("quay.io/redhat-et/llama:2-27-2025", None, "does not carry a version"),
        ("quay.io/opendatahub/llama-stack:rhoai-v2.25-latest", "0.2.22", None),
        ("quay.io/opendatahub/llama-stack:odh", None, "floating"),
        ("registry.redhat.io/rhoai/odh-llama-stack-core-rhel9:v3.3", "0.4.2.1+rhai0", None),
        ("registry.redhat.io/rhoai/odh-llama-stack-core-rhel9@sha256:13ec5c9b96a9", None, "digest"),
        ("quay.io/ai-on-openshift/llama-stack-rhoai-ubi9:0.2.2", None, "repository"),
    ],
)
def test_parse_image(ref, version, problem):
    info = parse_image(ref, pack()[0])
    assert (str(info.llamastack) if info.llamastack else None) == version
    if problem:
        assert problem in info.problem


# Real repositories of corpus/dev: (repository, release, where it is named, the other releases
# named). The vendored subset holds every file of them that names a platform release
# (tests/data/shared); with ../shared present the whole repositories give the same target.
CORPUS = [
    (
        "redhat-ai-services__ai-accelerator",
        "2.25",
        "components/operators/openshift-ai/operator/overlays/eus-2.25/patch-channel.yaml:3",
        [
            "rhoai 3.4 (components/operators/openshift-ai/operator/overlays/stable-3.4/patch-channel.yaml:3)"
        ],
    ),
    (
        "redhat-cop__gitops-catalog",
        "2.8",
        "openshift-ai/operator/overlays/eus-2.8/patch-channel.yaml:3",
        [
            "rhoai 3.4 (openshift-ai/operator/overlays/fast/patch-channel.yaml:3)",
            "rhoai patch-me-see-overlays-dir (openshift-ai/operator/base/subscription.yaml:7)",
        ],
    ),
    (
        "rrbanda__rhoai-deploy-gitops",
        "beta",
        "components/operators/rhoai-operator/patch-channel.yaml:3",
        [],
    ),
]


@pytest.mark.parametrize("root", data_roots())
@pytest.mark.parametrize("repo,version,source,alternatives", CORPUS, ids=[c[0] for c in CORPUS])
def test_corpus_detection(root, repo, version, source, alternatives):
    r = lint_dir(root / "corpus/dev" / repo)
    assert (r.target.platform, r.target.version, r.target.source) == ("rhoai", version, source)
    assert r.target.alternatives == alternatives
