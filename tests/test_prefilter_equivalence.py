"""The speed-ups (byte prefilter, lazy parsing of compiled pipelines) never change the findings:
linting with them equals parsing every file, on the real corpus."""

from __future__ import annotations

import pytest

from tests.helpers import lint_dir

CASES = [
    ("corpus/dev", {"rhoai": "2.25"}),
    ("corpus/dev", {"rhoai": "3.3"}),
    ("corpus/perf/llamastack__llama-stack", {"rhoai": "3.4"}),
    ("corpus/perf/redhat-ai-services__ai-accelerator", {}),
    ("knowledge/data/kfp", {"rhoai": "3.2"}),
]


def _keys(result, rules=None):
    """Every finding but SA001 (below) and SA004: SA004 says which charts and overlays holding a
    prefilter-kept file were not rendered or built, and without the prefilter every file is kept."""
    return sorted(
        (f.rule, f.path, f.span.start.line, f.span.start.column, f.message)
        for f in result.findings
        if f.rule not in ("SA001", "SA004")
    )


def _sa001(result):
    return {(f.path, f.message) for f in result.findings if f.rule == "SA001"}


@pytest.mark.parametrize("folder,target", CASES, ids=[f"{c[0]}@{c[1]}" for c in CASES])
def test_prefilter_changes_no_finding(shared, folder, target):
    root = shared / folder
    fast = lint_dir(root, target=target)
    full = lint_dir(root, target=target, prefilter=False)
    assert full.parsed > fast.parsed  # the full run really parsed more
    assert _keys(fast) == _keys(full)
    # files the prefilter skips are not parsed, so only they can add SA001 in the full run
    assert _sa001(fast) <= _sa001(full)
    skipped = {p for p, _ in _sa001(full) - _sa001(fast)}
    assert not skipped & set(fast.workspace.file_texts)
