"""Selecting rules never changes a rule's verdicts: `--select R` reports exactly R's findings of a
full run, for every rule, because what is read, parsed and modelled (servers, configs, clients,
the target) does not depend on the selection."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.conftest import corpus_wide
from tests.helpers import lint_dir, pack

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared" / "corpus"
RULES = [r.id for r in pack()[1]]
TREES = [  # (tree, target, does a full run find anything)
    pytest.param(REPO / "examples" / "story", {}, True, id="story"),
    pytest.param(REPO / "examples" / "clean", {}, False, id="clean"),
    pytest.param(REPO / "tests" / "data" / "deployment", {}, True, id="deployment-scenarios"),
]
CORPORA = [
    pytest.param(SHARED / "dev", {"rhoai": "2.25"}, id="dev-2.25"),
    pytest.param(SHARED / "dev", {"rhoai": "3.2"}, id="dev-3.2"),
    pytest.param(SHARED / "gitops", {}, id="gitops"),
]


def _keys(findings) -> list[tuple]:
    return sorted(
        (f.rule, f.path, f.span.start.line, f.span.start.column, f.message, f.runtime)
        for f in findings
    )


def _check(root: Path, target: dict[str, str], tmp_path: Path) -> int:
    copy = tmp_path / "tree"
    shutil.copytree(root, copy, ignore=shutil.ignore_patterns(".git"))
    whole = lint_dir(copy, target=target)
    assert not whole.errors, whole.errors
    for rule in RULES:
        alone = lint_dir(copy, target=target, select=[rule])
        assert not alone.errors, (rule, alone.errors)
        want = [f for f in whole.findings if f.rule == rule]
        assert _keys(alone.findings) == _keys(want), rule
    return len(whole.findings)


@pytest.mark.parametrize("root,target,finds", TREES)
def test_select_gives_each_rule_its_findings_of_a_full_run(tmp_path, root, target, finds):
    assert (_check(root, target, tmp_path) > 0) == finds


@pytest.mark.parametrize("root,target", CORPORA)
def test_select_invariance_on_the_corpora(tmp_path, root, target):
    if not root.is_dir():
        pytest.skip(corpus_wide(root))
    assert _check(root, target, tmp_path) > 0
