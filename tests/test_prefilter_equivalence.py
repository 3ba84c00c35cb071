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


def test_conjunctive_triggers_put_their_rarest_string_first(shared):
    """`a&b`: pre-commit's context search (git grep) looks for `a` only, then reads every file
    holding it; `a` must be the rarest part on the perf corpus (SA306's `install&...` once made
    every pre-commit run read 1,465 files of it to find 1)."""
    import os

    from linter.discovery import file_kind
    from linter.engine import Options, _prefilter, load_pack

    kb, rules = load_pack(Options())
    _, triggers, lazy = _prefilter(rules, kb, Options())
    texts: dict[str, list[bytes]] = {kind: [] for kind in (*triggers, *lazy)}
    for folder, _, names in os.walk(shared / "corpus" / "perf"):
        for name in names:
            kind = file_kind(name)
            if kind in texts:
                with open(os.path.join(folder, name), "rb") as fh:
                    texts[kind].append(fh.read())
    assert len(texts["yaml"]) > 5000
    wrong = []
    for kind in texts:
        for t in sorted(set(triggers.get(kind, []) + lazy.get(kind, []))):
            parts = t.split("&")
            if len(parts) < 2:
                continue
            counts = [sum(p.encode() in data for data in texts[kind]) for p in parts]
            if counts[0] > min(counts):
                wrong.append(f"{kind}: {t} {counts}")
    assert wrong == [], "\n".join(wrong)
