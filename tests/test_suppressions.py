"""Suppressions: every form, where each applies, what they leave in the output, and SA003."""

from __future__ import annotations

import json

from click.testing import CliRunner

from linter.cli import cli
from linter.suppressions import scan
from tests.helpers import lint_files, pack

T = {"rhoai": "2.25"}
FLOATING = "quay.io/opendatahub/llama-stack:odh"  # SA102: a floating tag


def lsd(image_line: str, above: str = "", name: str = "llama", annotations: str = "") -> str:
    meta = f"metadata:\n  name: {name}\n" + (
        f"  annotations:\n{annotations}" if annotations else ""
    )
    return (
        "apiVersion: llamastack.io/v1alpha1\nkind: LlamaStackDistribution\n"
        + meta
        + "spec:\n  server:\n    distribution:\n"
        + above
        + f"      image: {image_line}\n"
    )


def by_rule(result, rule: str) -> list:
    return [f for f in result.findings if f.rule == rule]


def active(result) -> list:
    return [(f.rule, f.path, f.span.start.line) for f in result.findings if f.suppressed is None]


# -- YAML comments ----------------------------------------------------------------------------------
def test_trailing_comment_suppresses_its_line_with_the_reason(tmp_path):
    r = lint_files(
        tmp_path,
        {"lsd.yaml": lsd(f"{FLOATING}  # stackalign: ignore[SA102] mirror pins it")},
        target=T,
    )
    [f] = by_rule(r, "SA102")
    assert f.suppressed == "mirror pins it"
    assert active(r) == []


def test_comment_on_the_line_above(tmp_path):
    above = "      # stackalign: ignore[SA102] mirror pins it\n"
    r = lint_files(tmp_path, {"lsd.yaml": lsd(FLOATING, above)}, target=T)
    [f] = by_rule(r, "SA102")
    assert f.suppressed == "mirror pins it"
    assert active(r) == []


def test_stacked_comments_above_one_line(tmp_path):
    above = (
        "      # stackalign: ignore[SA101] reviewed\n"
        "      # stackalign: ignore[SA102] mirror pins it\n"
    )
    r = lint_files(tmp_path, {"lsd.yaml": lsd(FLOATING, above)}, target=T)
    assert by_rule(r, "SA102")[0].suppressed == "mirror pins it"
    # SA101 has nothing to say about this image: the first comment is unused
    assert active(r) == [("SA003", "lsd.yaml", 8)]


def test_a_trailing_comment_does_not_cover_the_next_line(tmp_path):
    text = lsd(FLOATING).replace(
        "    distribution:\n", "    distribution:  # stackalign: ignore[SA102] wrong place\n"
    )
    r = lint_files(tmp_path, {"lsd.yaml": text}, target=T)
    assert by_rule(r, "SA102")[0].suppressed is None
    assert sorted(active(r)) == [("SA003", "lsd.yaml", 7), ("SA102", "lsd.yaml", 8)]


def test_a_comment_two_lines_above_does_not_apply(tmp_path):
    text = lsd(FLOATING).replace(
        "  server:\n", "  # stackalign: ignore[SA102] too far\n  server:\n"
    )
    r = lint_files(tmp_path, {"lsd.yaml": text}, target=T)
    assert by_rule(r, "SA102")[0].suppressed is None


def test_rule_names_and_lists(tmp_path):
    line = f"{FLOATING}  # stackalign: ignore[SA101, image-unverifiable] both reviewed"
    r = lint_files(tmp_path, {"lsd.yaml": lsd(line)}, target=T)
    assert by_rule(r, "SA102")[0].suppressed == "both reviewed"
    [unused] = by_rule(r, "SA003")
    assert "`SA101`" in unused.message
    assert (unused.span.start.line, unused.span.start.column) == (8, 72)


def test_no_reason_gives_a_located_justification(tmp_path):
    r = lint_files(
        tmp_path, {"lsd.yaml": lsd(f"{FLOATING}  # stackalign: ignore[SA102]")}, target=T
    )
    assert by_rule(r, "SA102")[0].suppressed == (
        "suppressed by `# stackalign: ignore[SA102]` at lsd.yaml:8 (no reason given)"
    )


def test_ignore_file(tmp_path):
    text = "# stackalign: ignore-file[SA102] the whole folder is a mirror\n" + lsd(FLOATING)
    other = lsd(FLOATING, name="other")
    r = lint_files(tmp_path, {"a.yaml": text, "b.yaml": other}, target=T)
    assert {(f.path, f.suppressed) for f in by_rule(r, "SA102")} == {
        ("a.yaml", "the whole folder is a mirror"),
        ("b.yaml", None),
    }
    assert [f for f in by_rule(r, "SA003")] == []


def test_ignore_file_without_findings_is_unused(tmp_path):
    text = "# stackalign: ignore-file[SA102]\n" + lsd("llamastack/distribution-starter:0.2.22")
    r = lint_files(tmp_path, {"a.yaml": text}, target=T)
    [f] = by_rule(r, "SA003")
    assert "in this file" in f.message
    assert (f.span.start.line, f.span.start.column) == (1, 27)


# -- Kubernetes annotation --------------------------------------------------------------------------
RUN_YAML = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: llama-stack-config
{annotations}data:
  run.yaml: |
    version: 2
    apis: [vector_io]
    providers:
      vector_io:
      - provider_id: milvus
        provider_type: remote::milvus
        config:
          uri: http://milvus:19530
{comment}          auto_id: false
"""


def test_annotation_covers_the_object_and_its_embedded_run_yaml(tmp_path):
    ann = '  annotations:\n    stackalign.io/ignore: "SA202,SA205"\n'
    plain = RUN_YAML.format(annotations="", comment="").replace("llama-stack-config", "other")
    r = lint_files(
        tmp_path,
        {"cm.yaml": RUN_YAML.format(annotations=ann, comment=""), "plain.yaml": plain},
        target=T,
    )
    sa202 = {f.path: f for f in by_rule(r, "SA202")}
    assert sa202["cm.yaml"].suppressed.startswith("suppressed by annotation stackalign.io/ignore")
    assert sa202["plain.yaml"].suppressed is None
    [unused] = by_rule(r, "SA003")  # SA205: no env substitution problem in this object
    assert "`SA205`" in unused.message and "the object has no SA205 finding" in unused.message
    assert (unused.path, unused.span.start.line, unused.span.start.column) == ("cm.yaml", 6, 27)


def test_annotation_on_another_object_does_not_apply(tmp_path):
    text = (
        lsd(FLOATING)
        + "---\n"
        + lsd(
            "llamastack/distribution-starter:0.2.22",
            name="other",
            annotations='    stackalign.io/ignore: "SA102"\n',
        )
    )
    r = lint_files(tmp_path, {"lsd.yaml": text}, target=T)
    assert by_rule(r, "SA102")[0].suppressed is None
    assert len(by_rule(r, "SA003")) == 1


# -- embedded run.yaml, Python, shell, compiled programs --------------------------------------------
def test_comment_inside_an_embedded_run_yaml(tmp_path):
    comment = "          # stackalign: ignore[SA202] pymilvus needs it in our fork\n"
    r = lint_files(
        tmp_path, {"cm.yaml": RUN_YAML.format(annotations="", comment=comment)}, target=T
    )
    [f] = by_rule(r, "SA202")
    assert f.span.start.line == 16
    assert f.suppressed == "pymilvus needs it in our fork"
    assert by_rule(r, "SA003") == []


# A directive written inside a YAML string is the string's text, not a comment (issue: SA003
# reported it and its safe fix deleted that line from the value).
IN_STRINGS = """\
apiVersion: v1
kind: ConfigMap
metadata: {name: notes}
data:
  README: |
    How to pin the image:
    # stackalign: ignore[SA102] the mirror pins this tag
    image: quay.io/opendatahub/llama-stack:odh
  quoted: "x # stackalign: ignore[SA101] not a comment"
  header: | # stackalign: ignore[SA102] a real comment after the indicator
    text
"""


def test_a_directive_inside_a_yaml_string_is_not_a_comment(tmp_path):
    r = lint_files(tmp_path, {"notes.yaml": IN_STRINGS}, target=T)
    [f] = by_rule(r, "SA003")  # only the header comment of `header: |` is a directive
    assert (f.span.start.line, f.span.start.column) == (10, 34)


def test_fix_never_deletes_a_directive_line_from_a_yaml_string(tmp_path):
    (tmp_path / "notes.yaml").write_text(IN_STRINGS)
    res = CliRunner().invoke(cli, ["lint", "--fix", "--target", "rhoai=2.25", str(tmp_path)])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "notes.yaml").read_text() == IN_STRINGS.replace(
        "  header: | # stackalign: ignore[SA102] a real comment after the indicator\n",
        "  header: |\n",
    )


def test_this_repository_sa003_rule_file_has_no_suppression_of_its_own():
    """rules/SA003-unused-suppression.yaml writes directives inside its examples' block strings:
    six SA003 findings (and six deleted example lines with --fix) before directives had to be
    comment tokens."""
    from pathlib import Path

    from tests.helpers import lint_dir

    rules = Path(__file__).resolve().parents[1] / "rules"
    r = lint_dir(rules, paths=["SA003-unused-suppression.yaml"], target=T)
    assert r.findings == []


PY = """\
def payload(doc, piece, i):
    note = "# stackalign: ignore[SA301] not a comment"
    return {{
        "content": piece,
{comment}        "stored_chunk_id": f"{{doc}}-{{i}}",
    }}
"""


def test_python_comment(tmp_path):
    comment = "        # stackalign: ignore[SA301] the gateway renames it\n"
    r = lint_files(tmp_path, {"ingest.py": PY.format(comment=comment)}, target=T)
    [f] = by_rule(r, "SA301")
    assert f.suppressed == "the gateway renames it"


def test_a_directive_inside_a_python_string_is_not_a_comment(tmp_path):
    text = (
        PY.format(comment="")
        .replace(
            '    note = "# stackalign: ignore[SA301] not a comment"\n    return {\n',
            "    return {\n",
        )
        .replace(
            '        "content": piece,\n',
            '        "content": "x # stackalign: ignore[SA301] no",\n',
        )
    )
    r = lint_files(tmp_path, {"ingest.py": text}, target=T)
    [f] = by_rule(r, "SA301")
    assert f.suppressed is None
    assert by_rule(r, "SA003") == []


def test_shell_comment(tmp_path):
    script = (
        "#!/bin/sh\n"
        "# stackalign: ignore[SA304] smoke test for the old server\n"
        'curl -s -X POST "$LLAMA_URL/v1/inference/chat-completion" -d @body.json\n'
        'curl -s -X POST "$LLAMA_URL/v1/inference/chat-completion" -d @other.json\n'
    )
    r = lint_files(tmp_path, {"smoke.sh": script}, target={"llamastack": "0.3.0"})
    got = sorted((f.span.start.line, f.suppressed) for f in by_rule(r, "SA304"))
    assert got == [(3, "smoke test for the old server"), (4, None)]


def _compiled_example() -> str:
    rule = next(r for r in pack()[1] if r.id == "SA302")
    ex = next(e for e in rule.examples if e.kind == "invalid" and "pipeline.yaml" in e.files)
    text = ex.files["pipeline.yaml"]
    assert "document_id}}]\\n    client.vector_io" in text
    return text


def test_comment_inside_a_compiled_program(tmp_path):
    text = _compiled_example().replace(
        "document_id}}]\\n    client.vector_io",
        "document_id}}]  # stackalign: ignore[SA302] ids are ours\\n    client.vector_io",
    )
    r = lint_files(tmp_path, {"pipeline.yaml": text}, target=T)
    [f] = by_rule(r, "SA302")
    assert f.suppressed == "ids are ours"
    assert by_rule(r, "SA003") == []


def test_comment_on_the_program_line_above(tmp_path):
    text = _compiled_example().replace(
        "llamastack_url)\\n    chunks",
        "llamastack_url)\\n    # stackalign: ignore[SA302] ids are ours\\n    chunks",
    )
    r = lint_files(tmp_path, {"pipeline.yaml": text}, target=T)
    [f] = by_rule(r, "SA302")
    assert f.suppressed == "ids are ours"


def test_compiled_program_lines_not_file_lines_decide(tmp_path):
    # the comment ends the program line `client = ...`, on the same YAML line as `chunks = [{"`:
    # it covers only that program line, so the finding on the next program line stays
    text = _compiled_example().replace(
        "llamastack_url)\\n    chunks",
        "llamastack_url)  # stackalign: ignore[SA302] wrong line\\n    chunks",
    )
    r = lint_files(tmp_path, {"pipeline.yaml": text}, target=T)
    [f] = by_rule(r, "SA302")
    assert f.suppressed is None
    [unused] = by_rule(r, "SA003")
    assert unused.fix is None  # never rewrite an escaped program from here


# -- SA003 ------------------------------------------------------------------------------------------
def test_no_sa003_when_the_suppressed_rule_is_disabled(tmp_path):
    """A suppression naming a rule the configuration switches off (--ignore, `off`) is not judged;
    selecting rules changes nothing: `--select SA003` reports what a full run reports."""
    text = lsd("llamastack/distribution-starter:0.2.22  # stackalign: ignore[SA102] pinned")
    r = lint_files(tmp_path, {"lsd.yaml": text}, target=T, ignore=["SA102"])
    assert by_rule(r, "SA003") == []
    for select in (["SA003", "SA101"], ["SA003"], None):
        r = lint_files(tmp_path, {"lsd.yaml": text}, target=T, select=select)
        assert len(by_rule(r, "SA003")) == 1, select


def test_unknown_rule(tmp_path):
    text = lsd(f"{FLOATING}  # stackalign: ignore[SA102,SA9999] typo")
    r = lint_files(tmp_path, {"lsd.yaml": text}, target=T)
    [f] = by_rule(r, "SA003")
    assert "`SA9999`" in f.message and "not a stackalign rule" in f.message
    assert f.fix is not None and f.fix.edits[0].text == ""


def test_sa003_can_itself_be_suppressed_per_file(tmp_path):
    text = "# stackalign: ignore-file[SA003] generated\n" + lsd(
        "llamastack/distribution-starter:0.2.22  # stackalign: ignore[SA102] pinned"
    )
    r = lint_files(tmp_path, {"lsd.yaml": text}, target=T)
    [f] = by_rule(r, "SA003")
    assert f.suppressed == "generated"


def test_scan_positions():
    [d] = scan("x: 1  # stackalign: ignore[SA101, milvus-schema-override] why not\n")
    assert d.kind == "ignore" and not d.own_line and d.reason == "why not"
    assert [t[0] for t in d.tokens] == ["SA101", "milvus-schema-override"]
    assert scan("x: a#stackalign: ignore[SA101]\n") == []  # `#` inside a plain scalar


# -- output -----------------------------------------------------------------------------------------
def test_json_keeps_suppressed_findings_and_counts_them(tmp_path, monkeypatch):
    (tmp_path / "lsd.yaml").write_text(lsd(f"{FLOATING}  # stackalign: ignore[SA102] mirror"))
    monkeypatch.chdir(tmp_path)
    res = CliRunner().invoke(cli, ["lint", "--target", "rhoai=2.25", "--format", "json"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.output)
    [f] = [f for f in doc["findings"] if f["rule"] == "SA102"]
    assert f["suppressed"] == {"justification": "mirror"}
    assert doc["summary"]["suppressed"] == 1 and doc["summary"]["findings"] == 0
    text = CliRunner().invoke(cli, ["lint", "--target", "rhoai=2.25"])
    assert "SA102" not in text.output and "1 suppressed" in text.output
