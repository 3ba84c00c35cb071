"""Every rule's own examples (Fixit-style): invalid ones give exactly the expected findings, valid
ones give none of the rule's findings, and `fixed` is the exact text after applying the fixes."""

from __future__ import annotations

import pytest

from linter.fixes import apply_edits, select_edits
from tests.helpers import lint_files, pack

CASES = [
    pytest.param(rule, i, ex, id=f"{rule.id}-{i}-{ex.kind}")
    for rule in pack()[1]
    for i, ex in enumerate(rule.examples)
]


@pytest.mark.parametrize("rule,index,example", CASES)
def test_rule_example(tmp_path, rule, index, example):
    result = lint_files(tmp_path, example.files, target=example.target)
    own = [f for f in result.findings if f.rule == rule.id]
    if example.kind == "valid":
        assert own == [], [f.message for f in own]
        return
    got = sorted((f.path, f.span.start.line, f.span.start.column) for f in own)
    want = sorted(
        (e.path, e.line, e.column) for e in example.expect if (e.rule or rule.id) == rule.id
    )
    assert got == want, [
        f"{f.path}:{f.span.start.line}:{f.span.start.column} {f.message}" for f in own
    ]
    for e in example.expect:
        match = [
            f
            for f in result.findings
            if (f.rule == (e.rule or rule.id))
            and f.path == e.path
            and f.span.start.line == e.line
            and f.span.start.column == e.column
        ]
        assert match, e
        f = match[0]
        if e.end_line is not None:
            assert (f.span.end.line, f.span.end.column) == (e.end_line, e.end_column)
        if e.message_contains:
            assert e.message_contains in f.message
    for f in own:  # what the rule file declares about its fixes holds for every finding
        if rule.fix.availability == "always":
            assert f.fix is not None, f.message
        if f.fix is not None:
            assert f.fix.applicability in rule.fix.applicability, (f.fix.applicability, rule.id)
    if example.fixed is not None:
        edits = select_edits(own, unsafe=example.unsafe)
        assert edits, "the example promises a fix"
        for path, expected in example.fixed.items():
            assert apply_edits(example.files[path], edits.get(path, [])) == expected
        if not example.unsafe:
            assert select_edits(own, unsafe=False)


def test_every_rule_has_invalid_and_valid_examples():
    for rule in pack()[1]:
        kinds = {ex.kind for ex in rule.examples}
        assert kinds == {"invalid", "valid"}, rule.id
