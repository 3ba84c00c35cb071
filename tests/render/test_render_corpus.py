"""The rendered trees of ../shared/corpus/gitops (5 repositories, 20 charts) against a reviewed list.

tests/data/render_expected.tsv names, per repository and target, every finding that comes from a
Helm render or a kustomize build (and every SA004 note), each with the LLAMASTACK.md section that
justifies it; rule `-` marks a repository with none. The findings must be exactly those, and no
template is ever SA001. Skipped where ../shared/corpus/gitops is absent, or without a Helm engine.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from pathlib import Path

import pytest

from tests.helpers import lint_dir

TSV = Path(__file__).parent.parent / "data" / "render_expected.tsv"
pytest.importorskip("helm_python", reason="the `stackalign[helm]` extra is not installed")


def _rows() -> dict[tuple[str, str], list[dict[str, str]]]:
    lines = [ln for ln in TSV.read_text(encoding="utf-8").splitlines() if not ln.startswith("#")]
    names = ["repo", "target", "rule", "path", "line", "column", "justification"]
    out: dict[tuple[str, str], list[dict[str, str]]] = defaultdict(list)
    for row in csv.DictReader(lines, fieldnames=names, delimiter="\t"):
        assert row["justification"].startswith("§"), row
        out[(row["repo"], row["target"])].append(row)
    return out


CASES = sorted(_rows().items())


def _rendered(f) -> bool:
    return f.rule == "SA004" or "[rendered from " in f.message or "[built by kustomize" in f.message


@pytest.mark.parametrize("key,rows", CASES, ids=[f"{r}@{t}" for (r, t), _ in CASES])
def test_rendered_findings(shared, key, rows):
    repo, target = key
    root = shared / "corpus" / "gitops" / repo
    if not root.is_dir():
        pytest.skip(f"{repo} is not in the corpus")
    platform, _, version = target.partition("=")
    result = lint_dir(root, target={platform: version})
    got = sorted(
        (f.rule, f.path, f.span.start.line, f.span.start.column)
        for f in result.findings
        if _rendered(f)
    )
    want = sorted(
        (r["rule"], r["path"], int(r["line"]), int(r["column"])) for r in rows if r["rule"] != "-"
    )
    assert got == want
    templates = [f for f in result.findings if f.rule == "SA001" and "/templates/" in f.path]
    assert templates == []
