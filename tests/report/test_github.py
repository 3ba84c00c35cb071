"""`--format github`: workflow-command annotations, escaped as @actions/core escapes them."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from linter.cli import cli
from linter.model import Finding, Level, Span
from linter.report import github
from tests.helpers import lint_dir, write_files

STORY = Path(__file__).resolve().parents[2] / "examples" / "story"


def finding(**kw) -> Finding:
    base = {
        "rule": "SA202",
        "name": "milvus-schema-override",
        "level": Level.warning,
        "message": "LlamaStack 0.2.22 never reads `auto_id`",
        "path": "gitops/run.yaml",
        "span": Span.of(4, 7, 4, 14),
    }
    base.update(kw)
    return Finding(**base)


def test_one_line_annotation_with_columns():
    assert github.annotation(finding()) == (
        "::warning file=gitops/run.yaml,line=4,col=7,endLine=4,endColumn=14,title=SA202"
        "::LlamaStack 0.2.22 never reads `auto_id`"
    )


def test_levels_map_to_workflow_commands():
    assert github.annotation(finding(level=Level.error)).startswith("::error ")
    assert github.annotation(finding(level=Level.note)).startswith("::notice ")


def test_multi_line_region_has_no_columns():
    line = github.annotation(finding(span=Span.of(4, 7, 6, 2)))
    assert line.startswith("::warning file=gitops/run.yaml,line=4,endLine=6,title=SA202::")


def test_message_escaping():
    line = github.annotation(finding(message="100% sure\r\nnext line: a, b"))
    assert line.endswith("::100%25 sure%0D%0Anext line: a, b")


def test_property_escaping():
    line = github.annotation(finding(path="a,b:c%d\ne.yaml"))
    assert "file=a%2Cb%3Ac%25d%0Ae.yaml," in line


def test_escape_functions_match_actions_core():
    assert github.escape_data("%\r\n:,") == "%25%0D%0A:,"
    assert github.escape_property("%\r\n:,") == "%25%0D%0A%3A%2C"


def test_finding_about_the_run_has_no_file():
    line = github.annotation(finding(path=".", span=Span.of(1, 1, 1, 1), message="a: b"))
    assert line == "::warning title=SA202::a: b"


def test_suppressed_findings_are_not_annotated():
    out = github.render([finding(), finding(span=Span.of(9, 1, 9, 2), suppressed="ok")])
    assert out.count("\n") == 1 and "line=4," in out


def test_empty_output_without_findings():
    assert github.render([]) == ""


def test_cli_format_github(tmp_path, monkeypatch):
    write_files(
        tmp_path,
        {
            "lsd.yaml": (
                "apiVersion: llamastack.io/v1alpha1\nkind: LlamaStackDistribution\n"
                "metadata:\n  name: llama\nspec:\n  server:\n    distribution:\n"
                "      image: docker.io/llamastack/distribution-starter:0.3.0\n"
            )
        },
    )
    monkeypatch.chdir(tmp_path)
    out = CliRunner().invoke(cli, ["lint", "--target", "rhoai=2.25", "--format", "github", "."])
    assert out.exit_code == 1
    assert out.output.startswith(
        "::error file=lsd.yaml,line=8,col=14,endLine=8,endColumn=61,title=SA101::image "
    )


def test_story_snapshot(snapshot):
    snapshot.snapshot_dir = Path(__file__).parent / "snapshots"
    result = lint_dir(STORY)
    text = github.render(result.findings)
    assert text.startswith("::")
    snapshot.assert_match(text, "story.github.txt")


def test_findings_beyond_githubs_limit_per_kind_are_counted_and_listed_as_log_lines():
    """GitHub keeps 10 annotations of each kind per step: 12 warnings become one annotation that
    says 3 are not annotated, 9 annotations, and 3 plain lines; the 3 errors all fit."""
    warnings = [finding(span=Span.of(i, 1, i, 2)) for i in range(1, 13)]
    errors = [
        finding(level=Level.error, path="e.yaml", span=Span.of(i, 1, i, 2)) for i in (1, 2, 3)
    ]
    lines = github.render(errors + warnings).splitlines()
    assert lines[0] == (
        "::warning title=stackalign::stackalign found 12 warnings; GitHub keeps 10 warning "
        "annotations per step, so 3 warnings are not annotated: this step's log lists them after "
        "the annotations (RULE [level] path:line:column: message)"
    )
    assert [line.split(",", 2)[:2] for line in lines[1:4]] == [
        ["::error file=e.yaml", f"line={i}"] for i in (1, 2, 3)
    ]
    assert [line.split(",", 2)[1] for line in lines[4:13]] == [f"line={i}" for i in range(1, 10)]
    assert lines[13:] == [
        f"SA202 [warning] gitops/run.yaml:{i}:1: LlamaStack 0.2.22 never reads `auto_id`"
        for i in (10, 11, 12)
    ]
    assert github.annotated_counts(["error"] * 3 + ["warning"] * 12) == {
        "error": 3,
        "warning": 9,
        "note": 0,
    }


def test_ten_of_a_kind_fit():
    out = github.render([finding(level=Level.note, span=Span.of(i, 1, i, 2)) for i in range(1, 11)])
    assert out.count("::notice file=") == 10 and "title=stackalign" not in out


def test_a_log_line_never_becomes_a_workflow_command():
    many = [finding(span=Span.of(i, 1, i, 2)) for i in range(1, 11)]
    odd = finding(path="::error::x.yaml", message="a\n::warning::b\r\nc")
    line = github.render([*many, odd]).splitlines()[-1]
    assert line == "SA202 [warning] ::error::x.yaml:4:7: a\\n::warning::b\\r\\nc"
