"""Baselines: record findings by fingerprint, report only new ones, survive line shifts."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from linter.baseline import BaselineError, filter_new, load, render
from linter.cli import cli
from linter.model import Finding, Level, Span
from tests.helpers import SUB, lsd


@pytest.fixture
def repo(tmp_path, monkeypatch):
    (tmp_path / ".git").mkdir()
    (tmp_path / "sub.yaml").write_text(SUB)
    (tmp_path / "lsd.yaml").write_text(lsd("llama", "0.3.0"))
    monkeypatch.chdir(tmp_path)
    return tmp_path


def lint(*args: str):
    return CliRunner().invoke(cli, ["lint", "--format", "json", *args])


def test_write_then_use_a_baseline(repo):
    first = lint()
    assert first.exit_code == 1
    assert [f["rule"] for f in json.loads(first.output)["findings"]] == ["SA101"]

    wrote = CliRunner().invoke(cli, ["lint", "--write-baseline", "baseline.json"])
    assert wrote.exit_code == 0, wrote.output
    doc = json.loads((repo / "baseline.json").read_text())
    assert [e["rule"] for e in doc["findings"]] == ["SA101"]
    assert (
        doc["findings"][0]["fingerprint"] == json.loads(first.output)["findings"][0]["fingerprint"]
    )

    again = lint("--baseline", "baseline.json")
    assert again.exit_code == 0, again.output
    out = json.loads(again.output)
    assert out["findings"] == [] and out["summary"]["baselined"] == 1


def test_baseline_survives_line_shifts_and_reports_new_findings(repo):
    assert lint("--write-baseline", "baseline.json").exit_code == 0
    shifted = "# a new header comment\n# and another\n\n" + lsd("llama", "0.3.0")
    (repo / "lsd.yaml").write_text(shifted + "---\n" + lsd("second", "0.3.1"))
    res = lint("--baseline", "baseline.json")
    assert res.exit_code == 1
    out = json.loads(res.output)
    assert [(f["path"], f["line"], f["logical_location"]) for f in out["findings"]] == [
        ("lsd.yaml", 18, "LlamaStackDistribution/second:spec.server.distribution.image")
    ]
    assert out["summary"]["baselined"] == 1


def test_a_changed_finding_is_new(repo):
    assert lint("--write-baseline", "baseline.json").exit_code == 0
    (repo / "lsd.yaml").write_text(lsd("llama", "0.3.1"))  # another image: another snippet
    assert lint("--baseline", "baseline.json").exit_code == 1


def test_suppressed_findings_are_not_recorded_and_stay_suppressed(repo):
    text = lsd("llama", "0.3.0").replace(
        "0.3.0\n", "0.3.0  # stackalign: ignore[SA101] testing 0.3\n"
    )
    (repo / "lsd.yaml").write_text(text)
    assert lint("--write-baseline", "baseline.json").exit_code == 0
    assert json.loads((repo / "baseline.json").read_text())["findings"] == []
    out = json.loads(lint("--baseline", "baseline.json").output)
    assert [f["suppressed"] for f in out["findings"]] == [{"justification": "testing 0.3"}]


@pytest.mark.parametrize(
    "content, message",
    [
        ("{not json", "invalid JSON"),
        ('{"findings": []}', "not a stackalign baseline"),
        ('{"format": "stackalign-baseline", "format_version": 99, "findings": []}', "99"),
        ('{"format": "stackalign-baseline", "format_version": 1, "findings": [1]}', "fingerprint"),
    ],
)
def test_bad_baseline_files_exit_2(repo, content, message):
    (repo / "baseline.json").write_text(content)
    res = lint("--baseline", "baseline.json")
    assert res.exit_code == 2
    assert message in res.output


def test_missing_baseline_exits_2(repo):
    res = lint("--baseline", "nope.json")
    assert res.exit_code == 2 and "cannot read baseline" in res.output


def _finding(line: int, logical: str = "LlamaStackDistribution/a:spec.image") -> Finding:
    return Finding(
        rule="SA101",
        name="image-version-mismatch",
        level=Level.error,
        message="m",
        path="a.yaml",
        span=Span.of(line, 1, line, 5),
        logical_location=logical,
        snippet="image: x:0.3.0",
    )


def test_fingerprints_are_a_multiset(tmp_path):
    path = tmp_path / "b.json"
    path.write_text(render([_finding(3)]))
    known = load(path)
    kept, hidden = filter_new([_finding(10), _finding(20)], known)
    assert hidden == 1 and [f.span.start.line for f in kept] == [20]


def test_fingerprint_ignores_lines_but_not_location(tmp_path):
    assert _finding(3).fingerprint == _finding(30).fingerprint
    assert _finding(3).fingerprint != _finding(3, "LlamaStackDistribution/b:spec.image").fingerprint
    with pytest.raises(BaselineError):
        load(tmp_path / "missing.json")
