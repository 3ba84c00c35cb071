"""Files mode (what pre-commit runs: `stackalign lint <file>...`) takes its context from the
repository through shortcuts: `git grep` instead of a walk, untracked files searched apart,
conjunctive triggers searched by their first part, Python sources skipped unless a given file is a
compiled pipeline. None of them may change a finding: linting one file reports exactly what
linting the whole repository reports for that file."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from linter.engine import NOT_READ
from tests.helpers import lint_dir

REPO = Path(__file__).resolve().parent.parent
GIT = shutil.which("git")


def _keys(findings, path: str | None = None) -> list[tuple]:
    return sorted(
        (f.rule, f.path, f.span.start.line, f.span.start.column, f.message)
        for f in findings
        if path is None or f.path == path
    )


def _repository(src: Path, dest: Path, git: bool) -> Path:
    shutil.copytree(src, dest, ignore=shutil.ignore_patterns(".git"))
    if git:
        env = {"GIT_CONFIG_GLOBAL": "/dev/null", "GIT_CONFIG_SYSTEM": "/dev/null"}
        subprocess.run(["git", "init", "-q"], cwd=dest, check=True, env=env)
        # half the files tracked, half untracked: both ways into the context are exercised
        files = sorted(p.relative_to(dest).as_posix() for p in dest.rglob("*") if p.is_file())
        subprocess.run(["git", "add", "--", *files[::2]], cwd=dest, check=True, env=env)
    else:
        (dest / ".stackalign.yaml").write_text("exclude: []\n", encoding="utf-8")  # the root
    return dest


def _lintable(root: Path) -> list[str]:
    suffixes = (".yaml", ".yml", ".py", ".sh")
    return sorted(
        p.relative_to(root).as_posix()
        for p in root.rglob("*")
        if p.is_file() and p.suffix.lower() in suffixes and ".git" not in p.parts
    )


def _check(root: Path, target: dict[str, str]) -> int:
    whole = lint_dir(root, target=target)
    checked = 0
    for rel in _lintable(root):
        one = lint_dir(root, target=target, paths=[rel])
        assert _keys(one.findings) == _keys(whole.findings, rel), rel
        if one.target.source != NOT_READ:  # not looked for when the file holds nothing to check
            assert one.target.label == whole.target.label, rel
        checked += 1
    return checked


@pytest.mark.skipif(GIT is None, reason="git is not installed")
@pytest.mark.parametrize("git", [True, False], ids=["git", "walk"])
def test_story_one_file_equals_whole_repository(tmp_path, git):
    root = _repository(REPO / "examples" / "story", tmp_path / "story", git)
    assert _check(root, {}) >= 10


CORPUS = [
    ("opendatahub-io__rag", {"rhoai": "2.25"}),
    ("opendatahub-io__llama-stack-demos", {"rhoai": "3.3"}),
    ("redhat-ai-services__ai-accelerator", {}),
    ("rrbanda__rhoai-deploy-gitops", {}),
    ("gymnatics__llamastack-demo", {"rhoai": "2.22"}),
]


@pytest.mark.skipif(GIT is None, reason="git is not installed")
@pytest.mark.parametrize("name,target", CORPUS, ids=[c[0] for c in CORPUS])
def test_corpus_one_file_equals_whole_repository(shared, tmp_path, name, target):
    root = _repository(shared / "corpus" / "dev" / name, tmp_path / name, git=True)
    assert _check(root, target) >= 1


RENAMES = [  # no eager trigger left: only SA303's lazy ones (`kfp`, `ephemeral_component`) select
    ("llama_stack_client", "acme_client"),
    ("LlamaStackClient", "AcmeClient"),
    ("llamastack_url", "acme_url"),
    ("vector_db_id", "store_id"),
    ("vector_io", "store_io"),
    ("chunk_id", "piece_id"),
]


@pytest.mark.skipif(GIT is None, reason="git is not installed")
def test_files_only_lazy_rules_select_are_context_too(tmp_path):
    from linter.resources import rules_dir
    from linter.rulepack import load_rule_file

    rule = load_rule_file(rules_dir() / "SA303-compiled-pipeline-stale.yaml")
    example = next(e for e in rule.examples if e.kind == "invalid")
    src = tmp_path / "src"
    for name, text in example.files.items():
        for old, new in RENAMES:
            text = text.replace(old, new)
        (src / name).parent.mkdir(parents=True, exist_ok=True)
        (src / name).write_text(text, encoding="utf-8")
    root = _repository(src, tmp_path / "repo", git=True)
    whole = lint_dir(root, target=example.target)
    assert [(f.rule, f.path) for f in whole.findings] == [("SA303", "pipeline.yaml")]
    assert _check(root, example.target) == 2


# -- named files that hold nothing to check: no context is read ------------------------------------
UNRELATED = "apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {name: data}\n"


def _story_with(tmp_path: Path, files: dict[str, str]) -> Path:
    root = _repository(REPO / "examples" / "story", tmp_path / "story", git=True)
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    subprocess.run(["git", "add", "-A"], cwd=root, check=True)
    return root


@pytest.mark.skipif(GIT is None, reason="git is not installed")
def test_a_named_file_with_nothing_to_check_reads_no_context(tmp_path):
    """pre-commit on a commit that touches no LlamaStack file: nothing is parsed, the target is
    not looked for (the story's Subscription would say RHOAI 2.25)."""
    root = _story_with(tmp_path, {"storage/pvc.yaml": UNRELATED})
    one = lint_dir(root, paths=["storage/pvc.yaml"])
    assert (one.findings, one.parsed, one.files) == ([], 0, 1)
    assert (one.target.platform, one.target.source) == (None, NOT_READ)


@pytest.mark.skipif(GIT is None, reason="git is not installed")
@pytest.mark.parametrize(
    "extra,named",
    [
        # a kustomization may patch anything it lists
        ({"storage/kustomization.yaml": "resources: [pvc.yaml]\n"}, "storage/kustomization.yaml"),
        # a file another YAML file names (a resource of an overlay, a values file of an Application)
        ({"storage/kustomization.yaml": "resources: [pvc.yaml]\n"}, "storage/pvc.yaml"),
        # a file of a Helm chart renders with the chart
        (
            {"charts/web/Chart.yaml": "apiVersion: v2\nname: web\nversion: 0.1.0\n"},
            "charts/web/pvc.yaml",
        ),
    ],
    ids=["kustomization", "named-by-an-overlay", "in-a-chart"],
)
def test_a_named_file_a_render_may_read_gets_its_context(tmp_path, extra, named):
    root = _story_with(
        tmp_path, {"storage/pvc.yaml": UNRELATED, "charts/web/pvc.yaml": UNRELATED, **extra}
    )
    one = lint_dir(root, paths=[named])
    assert one.target.label == "RHOAI 2.25"
    assert one.parsed > 0
