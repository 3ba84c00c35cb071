"""SARIF 2.1.0 output: schema-valid, GitHub-ready, stable fingerprints, snapshot of the story."""

from __future__ import annotations

import json
import re
from datetime import datetime, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner

from linter import __version__
from linter.cli import cli
from linter.model import Edit, Finding, Fix, Level, RelatedLocation, Span
from linter.report import sarif
from linter.report.linehash import hashes_for_lines, line_hashes
from tests.helpers import lint_dir, pack, write_files

REPO = Path(__file__).resolve().parents[2]
STORY = REPO / "examples" / "story"
T0 = datetime(2026, 1, 2, 3, 4, 5, 678000, tzinfo=timezone.utc)
T1 = datetime(2026, 1, 2, 3, 4, 6, 9000, tzinfo=timezone.utc)

LSD = """\
apiVersion: llamastack.io/v1alpha1
kind: LlamaStackDistribution
metadata:
  name: llama
spec:
  server:
    distribution:
      image: docker.io/llamastack/distribution-starter:0.3.0
"""


def meta(root: Path, result=None, **kw) -> sarif.RunMetadata:
    rules = result.rules if result is not None else pack()[1]
    texts = result.workspace.file_texts if result is not None else {}
    defaults = {
        "target": result.target.as_json() if result is not None else {},
        "rules": rules,
        "command_line": "stackalign lint --format sarif .",
        "working_directory": root,
        "start_time": T0,
        "end_time": T1,
        "file_texts": texts,
    }
    defaults.update(kw)
    return sarif.RunMetadata(**defaults)


def sarif_of(root: Path, valid_sarif, target=None, **kw) -> dict:
    result = lint_dir(root, target=target or {"rhoai": "2.25"})
    return valid_sarif(sarif.render(result.findings, meta(root, result, **kw)))


def finding(line: int = 3, level: Level = Level.warning, rule: str = "SA103", **kw) -> Finding:
    base = {
        "rule": rule,
        "name": "image-behind-platform",
        "level": level,
        "message": "image x runs LlamaStack 0.2.8",
        "path": "gitops/lsd.yaml",
        "span": Span.of(line, 3, line, 9),
        "logical_location": "LlamaStackDistribution/x:spec.server.distribution.image",
        "snippet": "image: x",
    }
    base.update(kw)
    return Finding(**base)


# -- GitHub's primaryLocationLineHash --------------------------------------------------------------
# Expected values from github/codeql-action src/fingerprints.test.ts (the algorithm we port).
CODEQL_VECTORS = [
    ("", ["c129715d7a2bc9a3:1"]),
    (
        " a\nb\n  \t\tc\n d",
        ["271789c17abda88f:1", "54703d4cd895b18:1", "180aee12dab6264:1", "a23a3dc5e078b07b:1"],
    ),
    (
        " hello; \t\nworld!!!\n\n\n  \t\tGreetings\n End",
        [
            "8b7cf3e952e7aeb2:1",
            "b1ae1287ec4718d9:1",
            "bff680108adb0fcc:1",
            "c6805c5e1288b612:1",
            "b86d3392aea1be30:1",
            "e6ceba753e1a442:1",
        ],
    ),
]
TERMINATED = [
    "e9496ae3ebfced30:1",
    "fb7c023a8b9ccb3f:1",
    "ce8ba1a563dcdaca:1",
    "e20e36e16fcb0cc8:1",
    "b3edc88f2938467e:1",
    "c8e28b0b4002a3a0:1",
    "c129715d7a2bc9a3:1",
]
CODEQL_VECTORS += [
    (" hello; \t\nworld!!!\n\n\n  \t\tGreetings\n End\n", TERMINATED),
    (" hello; \t\nworld!!!\r\r\r  \t\tGreetings\r End\r", TERMINATED),
    (" hello; \t\r\nworld!!!\r\n\r\n\r\n  \t\tGreetings\r\n End\r\n", TERMINATED),
    (" hello; \t\nworld!!!\r\n\n\r  \t\tGreetings\r End\r\n", TERMINATED),
    (
        "Lorem ipsum dolor sit amet.\n" * 10,
        [
            "a7f2ff13bc495cf2:1",
            "a7f2ff13bc495cf2:2",
            "a7f2ff13bc495cf2:3",
            "a7f2ff13bc495cf2:4",
            "a7f2ff13bc495cf2:5",
            "a7f2ff13bc495cf2:6",
            "a7f2ff1481e87703:1",
            "a9cf91f7bbf1862b:1",
            "55ec222b86bcae53:1",
            "cc97dc7b1d7d8f7b:1",
            "c129715d7a2bc9a3:1",
        ],
    ),
]


@pytest.mark.parametrize(("text", "expected"), CODEQL_VECTORS)
def test_line_hash_matches_codeql_action(text, expected):
    assert list(line_hashes(text)) == list(enumerate(expected, start=1))


def test_line_hash_counts_utf16_code_units_and_keeps_a_bom():
    # charCodeAt semantics: an astral character is two code units, a BOM is a character.
    # Values cross-checked with a JavaScript run of the same algorithm.
    text = "\ufeffkind: \U0001f600 x\r\nb: \u00e9\n"
    assert dict(line_hashes(text)) == {
        1: "de7abc0f86b91dc0:1",
        2: "c5924d1e22c4adce:1",
        3: "c129715d7a2bc9a3:1",
    }
    assert hashes_for_lines("x\r\r\n\ty \U0001d11e\U0001d11e\n", [2]) == {2: "3a0e8fb292c97648:1"}


def test_hashes_for_lines_stops_early_but_agrees():
    text = "".join(f"line {i}\n" for i in range(500))
    full = dict(line_hashes(text))
    assert hashes_for_lines(text, [3, 250]) == {3: full[3], 250: full[250]}
    assert hashes_for_lines(text, []) == {}


# -- the whole document ----------------------------------------------------------------------------
def test_one_run_with_driver_rules_and_results(tmp_path, valid_sarif):
    write_files(tmp_path, {"lsd.yaml": LSD})
    doc = sarif_of(tmp_path, valid_sarif)
    assert doc["version"] == "2.1.0" and len(doc["runs"]) == 1
    run = doc["runs"][0]
    driver = run["tool"]["driver"]
    assert driver["name"] == "stackalign"
    assert driver["semanticVersion"] == __version__
    assert driver["informationUri"] == sarif.REPOSITORY_URL
    ran = [r.id for r in lint_dir(tmp_path, target={"rhoai": "2.25"}).rules]
    assert [r["id"] for r in driver["rules"]] == ran
    assert run["columnKind"] == "unicodeCodePoints"
    assert run["automationDetails"] == {"id": "stackalign/"}
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == tmp_path.as_uri() + "/"
    (res,) = run["results"]
    assert res["ruleId"] == "SA101"
    assert driver["rules"][res["ruleIndex"]]["id"] == "SA101"
    assert res["level"] == "error"
    assert "ships LlamaStack 0.2.22" in res["message"]["text"]
    loc = res["locations"][0]
    assert loc["physicalLocation"] == {
        "artifactLocation": {"uri": "lsd.yaml", "uriBaseId": "%SRCROOT%"},
        "region": {"startLine": 8, "startColumn": 14, "endLine": 8, "endColumn": 61},
    }
    assert loc["logicalLocations"] == [
        {"fullyQualifiedName": "LlamaStackDistribution/llama:spec.server.distribution.image"}
    ]
    expected_hash = hashes_for_lines(LSD, [8])[8]
    assert res["partialFingerprints"]["primaryLocationLineHash"] == expected_hash
    assert re.fullmatch(r"[0-9a-f]{32}", res["partialFingerprints"][sarif.FINGERPRINT_KEY])


def test_rule_descriptors_carry_what_github_reads(tmp_path, valid_sarif):
    doc = sarif_of(tmp_path, valid_sarif)
    rules = {r.id: r for r in pack()[1]}
    for desc in doc["runs"][0]["tool"]["driver"]["rules"]:
        rule = rules[desc["id"]]
        assert desc["name"] == rule.name
        assert desc["shortDescription"]["text"].startswith(rule.summary.strip().rstrip("."))
        assert 0 < len(desc["fullDescription"]["text"]) <= 1024
        assert "## Why is this bad?" in desc["help"]["markdown"]
        assert "Why is this bad?" in desc["help"]["text"] and "```" not in desc["help"]["text"]
        assert desc["helpUri"] == sarif.help_uri(rule.id)
        assert desc["helpUri"].endswith(f"/docs/rules/{rule.id}.md")
        assert (REPO / "docs" / "rules" / f"{rule.id}.md").is_file()
        assert desc["defaultConfiguration"] == {"level": rule.level.value}
        assert desc["properties"] == {"tags": rule.tags, "precision": rule.precision}


def test_full_description_is_truncated_to_1024():
    text = sarif.truncate("word " * 400, 1024)
    assert len(text) <= 1024 and text.endswith("…")
    assert sarif.truncate("short.", 1024) == "short."


def test_run_invocation_and_properties(tmp_path, valid_sarif):
    write_files(tmp_path, {"lsd.yaml": LSD})
    run = sarif_of(tmp_path, valid_sarif, category="gitops/prod/")["runs"][0]
    assert run["automationDetails"] == {"id": "gitops/prod/"}
    (inv,) = run["invocations"]
    assert inv == {
        "commandLine": "stackalign lint --format sarif .",
        "workingDirectory": {"uri": tmp_path.as_uri() + "/"},
        "startTimeUtc": "2026-01-02T03:04:05.678Z",
        "endTimeUtc": "2026-01-02T03:04:06.009Z",
        "executionSuccessful": True,
    }
    assert run["properties"]["target"] == {
        "platform": "rhoai",
        "version": "2.25",
        "llamastack": "0.2.22",
        "source": "--target",
    }
    assert run["properties"]["resultCount"] == 1


def test_fix_becomes_artifact_changes(tmp_path, valid_sarif):
    write_files(tmp_path, {"lsd.yaml": LSD})
    (res,) = sarif_of(tmp_path, valid_sarif)["runs"][0]["results"]
    (fix,) = res["fixes"]
    assert fix["properties"] == {"applicability": "unsafe"}
    (change,) = fix["artifactChanges"]
    assert change["artifactLocation"] == {"uri": "lsd.yaml", "uriBaseId": "%SRCROOT%"}
    (rep,) = change["replacements"]
    assert rep == {
        "deletedRegion": {"startLine": 8, "startColumn": 7, "endLine": 8, "endColumn": 61},
        "insertedContent": {"text": "name: rh-dev"},
    }


def test_fix_edits_grouped_per_file_in_order():
    edits = [
        Edit(path="b.yaml", start_offset=5, end_offset=6, span=Span.of(2, 1, 2, 2), text="y"),
        Edit(path="a.yaml", start_offset=9, end_offset=9, span=Span.of(3, 4, 3, 4), text="z"),
        Edit(path="b.yaml", start_offset=0, end_offset=1, span=Span.of(1, 1, 1, 2), text="x"),
    ]
    out = sarif.fix(Fix(applicability="safe", description="rename", edits=edits))
    assert [c["artifactLocation"]["uri"] for c in out["artifactChanges"]] == ["a.yaml", "b.yaml"]
    assert [r["insertedContent"]["text"] for r in out["artifactChanges"][1]["replacements"]] == [
        "x",
        "y",
    ]
    assert out["description"] == {"text": "rename."}


def test_related_locations(tmp_path, valid_sarif):
    related = [RelatedLocation(path="cr.yaml", span=Span.of(9, 5, 9, 20), message="the CR")]
    text = sarif.render([finding(related=related)], meta(tmp_path))
    (res,) = valid_sarif(text)["runs"][0]["results"]
    assert res["relatedLocations"] == [
        {
            "id": 1,
            "physicalLocation": {
                "artifactLocation": {"uri": "cr.yaml", "uriBaseId": "%SRCROOT%"},
                "region": {"startLine": 9, "startColumn": 5, "endLine": 9, "endColumn": 20},
            },
            "message": {"text": "the CR"},
        }
    ]


def test_uri_is_relative_and_percent_encoded(tmp_path, valid_sarif):
    text = sarif.render([finding(path="my dir/lsd#1.yaml")], meta(tmp_path))
    (res,) = valid_sarif(text)["runs"][0]["results"]
    assert (
        res["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        == "my%20dir/lsd%231.yaml"
    )


def test_no_line_hash_without_file_text(tmp_path, valid_sarif):
    (res,) = valid_sarif(sarif.render([finding()], meta(tmp_path)))["runs"][0]["results"]
    assert list(res["partialFingerprints"]) == [sarif.FINGERPRINT_KEY]


# -- suppressions ----------------------------------------------------------------------------------
def test_suppressed_results_are_omitted_by_default(tmp_path, valid_sarif):
    findings = [finding(line=3), finding(line=5, suppressed="vendored chart")]
    run = valid_sarif(sarif.render(findings, meta(tmp_path)))["runs"][0]
    assert [
        r["locations"][0]["physicalLocation"]["region"]["startLine"] for r in run["results"]
    ] == [3]
    assert "suppressions" not in run["results"][0]
    assert run["properties"]["suppressedResultsOmitted"] == 1


def test_suppressed_results_on_request(tmp_path, valid_sarif):
    findings = [
        finding(line=3),
        finding(line=5, suppressed="vendored chart"),
        finding(line=7, suppressed=""),
    ]
    run = valid_sarif(sarif.render(findings, meta(tmp_path, include_suppressed=True)))["runs"][0]
    assert [r["suppressions"] for r in run["results"]] == [
        [],
        [{"kind": "inSource", "status": "accepted", "justification": "vendored chart"}],
        [{"kind": "inSource", "status": "accepted"}],
    ]
    assert "suppressedResultsOmitted" not in run["properties"]


# -- more than 5,000 results -----------------------------------------------------------------------
def test_more_than_5000_results_keep_the_most_severe(tmp_path, valid_sarif):
    notes = [finding(line=i + 1, level=Level.note, rule="SA102") for i in range(5000)]
    errors = [finding(line=i + 1, level=Level.error, rule="SA101", path="z.yaml") for i in range(3)]
    run = valid_sarif(sarif.render(notes + errors, meta(tmp_path)))["runs"][0]
    assert len(run["results"]) == 5000
    assert sum(r["level"] == "error" for r in run["results"]) == 3
    assert run["properties"]["truncated"] == {
        "totalResults": 5003,
        "omittedResults": 3,
        "limit": 5000,
    }
    (note,) = run["invocations"][0]["toolExecutionNotifications"]
    assert note["level"] == "warning" and "3 are omitted" in note["message"]["text"]


def test_truncation_prefers_precision_then_keeps_order():
    precise = finding(line=9, rule="SA101")
    vague = finding(line=1, rule="SA102")
    first = finding(line=2, rule="SA101")
    kept, omitted = sarif.keep_most_severe(
        [vague, first, precise], 2, {"SA101": "very-high", "SA102": "low"}
    )
    assert kept == [first, precise] and omitted == 1


# -- fingerprints survive edits above the finding --------------------------------------------------
def _fingerprints(root: Path, valid_sarif) -> tuple[int, dict]:
    result = lint_dir(root, target={"rhoai": "2.25"})
    text = sarif.render(result.findings, meta(root, result))
    (res,) = valid_sarif(text)["runs"][0]["results"]
    region = res["locations"][0]["physicalLocation"]["region"]
    return region["startLine"], res["partialFingerprints"]


def test_fingerprints_do_not_change_when_lines_are_inserted_above(tmp_path, valid_sarif):
    write_files(tmp_path, {"lsd.yaml": LSD})
    line, before = _fingerprints(tmp_path, valid_sarif)
    shifted = LSD.replace(
        "metadata:\n", "# deployed by Argo CD\n\nmetadata:\n  labels: {app: rag}\n"
    )
    write_files(tmp_path, {"lsd.yaml": "# header comment\n---\n" + shifted})
    new_line, after = _fingerprints(tmp_path, valid_sarif)
    assert new_line == line + 5
    assert after == before


def test_line_hash_changes_when_the_line_changes(tmp_path, valid_sarif):
    write_files(tmp_path, {"lsd.yaml": LSD})
    _, before = _fingerprints(tmp_path, valid_sarif)
    write_files(tmp_path, {"lsd.yaml": LSD.replace("starter:0.3.0", "starter:0.3.1")})
    _, after = _fingerprints(tmp_path, valid_sarif)
    assert after["primaryLocationLineHash"] != before["primaryLocationLineHash"]


# -- CLI -------------------------------------------------------------------------------------------
def test_cli_writes_valid_sarif_with_category(tmp_path, monkeypatch, valid_sarif):
    write_files(tmp_path, {"lsd.yaml": "\ufeff" + LSD})
    (tmp_path / "lsd.yaml").write_bytes(b"\xef\xbb\xbf" + LSD.encode())
    monkeypatch.chdir(tmp_path)
    out = CliRunner().invoke(
        cli,
        [
            "lint",
            "--target",
            "rhoai=2.25",
            "--format",
            "sarif",
            "--sarif-category",
            "prod/",
            "--output",
            "r.sarif",
            ".",
        ],
    )
    assert out.exit_code == 1, out.output
    run = valid_sarif((tmp_path / "r.sarif").read_text(encoding="utf-8"))["runs"][0]
    assert run["automationDetails"] == {"id": "prod/"}
    inv = run["invocations"][0]
    assert inv["commandLine"].split()[0] == "stackalign"
    assert inv["executionSuccessful"] is True
    assert inv["startTimeUtc"] <= inv["endTimeUtc"]
    (res,) = run["results"]
    # upload-sarif hashes the file as read from disk, BOM included
    bom_hash = hashes_for_lines("\ufeff" + LSD, [8])[8]
    assert res["partialFingerprints"]["primaryLocationLineHash"] == bom_hash


# -- snapshot --------------------------------------------------------------------------------------
def normalized(text: str, root: Path, brief_rules: bool = False) -> str:
    """Paths, times and the version made stable; with brief_rules, rule help is left out (the
    descriptors are tested above) so that editing a rule's text does not churn the snapshot."""
    doc = json.loads(text.replace(root.as_uri(), "file:///SRCROOT"))
    run = doc["runs"][0]
    run["tool"]["driver"]["semanticVersion"] = "<version>"
    for inv in run["invocations"]:
        inv["startTimeUtc"] = inv["endTimeUtc"] = "<time>"
    if brief_rules:
        keep = ("id", "name", "helpUri", "defaultConfiguration", "properties")
        run["tool"]["driver"]["rules"] = [
            {k: r[k] for k in keep} for r in run["tool"]["driver"]["rules"]
        ]
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def test_story_snapshot(snapshot, valid_sarif):
    snapshot.snapshot_dir = Path(__file__).parent / "snapshots"
    result = lint_dir(STORY)
    text = sarif.render(result.findings, meta(STORY, result))
    doc = valid_sarif(text)
    assert doc["runs"][0]["results"], "the story example has findings"
    snapshot.assert_match(normalized(text, STORY, brief_rules=True), "story.sarif")


def test_one_rule_snapshot(snapshot, tmp_path, valid_sarif):
    """The complete document, rule help included, for one rule with a fix."""
    snapshot.snapshot_dir = Path(__file__).parent / "snapshots"
    write_files(tmp_path, {"gitops/lsd.yaml": LSD})
    result = lint_dir(tmp_path, target={"rhoai": "2.25"}, select=["SA101"])
    text = sarif.render(result.findings, meta(tmp_path, result))
    valid_sarif(text)
    snapshot.assert_match(normalized(text, tmp_path), "sa101.sarif")
