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
        if p.is_file() and p.suffix in suffixes and ".git" not in p.parts
    )


def _check(root: Path, target: dict[str, str]) -> int:
    whole = lint_dir(root, target=target)
    checked = 0
    for rel in _lintable(root):
        one = lint_dir(root, target=target, paths=[rel])
        assert _keys(one.findings) == _keys(whole.findings, rel), rel
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
