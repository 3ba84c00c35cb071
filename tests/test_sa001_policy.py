"""One SA001 policy, named or walked: a file is parsed when it holds a trigger of a rule or is a
run config (by content, or a ConfigMap that embeds `run.yaml`); what it then cannot parse is SA001
at the exact position, inside the outer file for an embedded document."""

from __future__ import annotations

import pytest

from tests.helpers import lint_dir, write_files

BROKEN_CM = (
    "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata:\n"
    "  run.yaml: |\n    version: 2\n    providers: [unclosed\n"
)


@pytest.mark.parametrize("paths", [None, ["cm.yaml"]], ids=["walked", "named"])
def test_an_embedded_run_yaml_that_does_not_parse_is_sa001_at_its_position(tmp_path, paths):
    write_files(tmp_path, {"cm.yaml": BROKEN_CM})
    result = lint_dir(tmp_path, paths=paths)
    [f] = result.findings
    assert (f.rule, f.path, f.span.start.line, f.span.start.column) == ("SA001", "cm.yaml", 7, 16)
    assert f.message == (
        "cannot lint this file: ConfigMap/x:data.run.yaml: did not find expected ',' or ']' "
        "(while parsing a flow sequence)"
    )


@pytest.mark.parametrize("paths", [None, ["other.yaml", "script.py"]], ids=["walked", "named"])
def test_files_with_nothing_for_stackalign_are_not_parsed_named_or_walked(tmp_path, paths):
    """yamllint's and check-yaml's job: a broken file that no rule has a reason to read."""
    write_files(tmp_path, {"other.yaml": "a: [1, 2\n", "script.py": "def f(:\n"})
    result = lint_dir(tmp_path, paths=paths)
    assert result.findings == [] and result.parsed == 0
