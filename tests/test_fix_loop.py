"""The fix loop itself (linter/fixes.py fix_repository), driven by a scripted lint so that each
pass's findings are exactly what a test needs: fixes that undo each other (the shape of the
SA205/SA103 round trip on examples/story, which rewrote seven lines to the 0.2.8 syntax and back
and reported "Fixed 27 findings" for a net change of zero), a fix that does not hold, and the
overlay of a repository named from outside the working directory."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest

import linter.engine
from linter.engine import Options
from linter.fixes import fix_repository
from linter.model import Applicability, Edit, Finding, Fix, Level, Span
from linter.positions import LineIndex

Rule = tuple[str, str, str]  # (rule id, text it finds, text its fix writes)


@dataclass
class Workspace:
    raw_bytes: dict[str, bytes] = field(default_factory=dict)
    file_texts: dict[str, str] = field(default_factory=dict)


@dataclass
class Result:
    findings: list[Finding]
    workspace: Workspace


def scripted_lint(root: Path, rules: list[Rule], passes: list[int]):
    """A `run` that reads f.yaml (from the overlay when the loop holds fixed bytes) and reports,
    for each rule, every occurrence of its text with a fix replacing it."""

    def run(opts: Options) -> Result:
        passes.append(1)
        key = str(root / "f.yaml")
        data = (opts.overlay or {}).get(key) or (root / "f.yaml").read_bytes()
        text = data.decode()
        lines = LineIndex(text)
        findings = []
        for rule, find, write in rules:
            start = text.find(find)
            while start >= 0:
                end = start + len(find)
                span = Span.of(*lines.position(start), *lines.position(end))
                edit = Edit("f.yaml", start, end, span, write)
                fix = Fix(Applicability.safe, f"write {write!r}", [edit])
                findings.append(
                    Finding(rule, rule.lower(), Level.warning, f"{find!r}", "f.yaml", span, fix=fix)
                )
                start = text.find(find, end)
        return Result(findings, Workspace({"f.yaml": data}, {"f.yaml": text}))

    return run


def _loop(tmp_path, monkeypatch, text: str, rules: list[Rule]):
    (tmp_path / "f.yaml").write_text(text)
    passes: list[int] = []
    monkeypatch.setattr(linter.engine, "run", scripted_lint(tmp_path, rules, passes))
    out = fix_repository(Options(paths=["."], cwd=tmp_path), unsafe=False)
    fixed = out.overlay[str(tmp_path / "f.yaml")].decode()
    return out, fixed, len(passes)


def test_a_fix_that_undoes_an_earlier_fix_is_not_applied(tmp_path, monkeypatch):
    rules = [("SA205", "${env.A:x}", "${env.A:=x}"), ("SA999", "${env.A:=x}", "${env.A:x}")]
    out, fixed, passes = _loop(tmp_path, monkeypatch, "url: ${env.A:x}\n", rules)
    assert fixed == "url: ${env.A:=x}\n"
    assert [f.rule for f in out.applied] == ["SA205"]  # net: one change, counted once
    assert out.failed == [
        ("f.yaml", "the SA999 fix would undo the SA205 fix applied before; not applied")
    ]
    assert passes == 2  # the second pass refuses and is the report of what remains


def test_an_undoing_edit_is_found_after_other_edits_moved_it(tmp_path, monkeypatch):
    """The reverting edit comes two passes later, after an edit earlier in the file shifted every
    offset: the record of what was written moves with the text."""
    rules = [
        ("SA205", "${env.A:x}", "${env.A:=x}"),
        ("SA202", "auto_id: false\n", ""),
        ("SA999", "${env.A:=x}", "${env.A:x}"),
    ]
    text = "auto_id: false\nurl: ${env.A:x}\n"
    out, fixed, _ = _loop(tmp_path, monkeypatch, text, rules)
    assert fixed == "url: ${env.A:=x}\n"
    assert sorted(f.rule for f in out.applied) == ["SA202", "SA205"]
    assert [reason for _, reason in out.failed] == [
        "the SA999 fix would undo the SA205 fix applied before; not applied"
    ]


def test_fixes_that_cycle_through_a_third_text_stop_before_the_file_comes_back(
    tmp_path, monkeypatch
):
    rules = [("R1", "a: 1", "a: 2"), ("R2", "a: 2", "a: 3"), ("R3", "a: 3", "a: 1")]
    out, fixed, _ = _loop(tmp_path, monkeypatch, "a: 1\n", rules)
    assert fixed == "a: 3\n"
    assert [f.rule for f in out.applied] == ["R1", "R2"]
    assert [reason for _, reason in out.failed] == [
        "the R3 fixes would bring back an earlier text; not applied"
    ]


def test_a_fix_that_does_not_hold_is_applied_once(tmp_path, monkeypatch):
    """The finding is back after its fix (here: the fix adds a line but the rule still sees the
    text): applying it again would add the line again on every pass, up to the cap."""
    rules = [("SA001", "key: v", "key: v\n# noted")]
    out, fixed, passes = _loop(tmp_path, monkeypatch, "key: v\n", rules)
    assert fixed == "key: v\n# noted\n"
    assert [f.rule for f in out.applied] == ["SA001"]
    assert passes == 2


@pytest.mark.parametrize("spelling", ["outside", "dotdot"])
def test_fix_of_a_repository_named_from_another_directory_converges(
    tmp_path, monkeypatch, spelling
):
    """`stackalign lint --fix ../repo`: the loop keyed the fixed bytes by `cwd/../repo/f.yaml`
    while the walk reads `/abs/repo/f.yaml`, so each pass re-read the disk and applied the same
    fix again (ten passes, "Fixed 10 findings", the finding still reported)."""
    from click.testing import CliRunner

    from linter.cli import cli

    repo, cwd = tmp_path / "repo", tmp_path / "cwd"
    repo.mkdir()
    cwd.mkdir()
    text = "data:\n  x: | # stackalign: ignore[SA102] nothing here\n    text\n"
    (repo / "notes.yaml").write_text(text)
    arg = str(repo) if spelling == "outside" else "../repo"
    monkeypatch.chdir(cwd)
    res = CliRunner().invoke(cli, ["lint", "--fix", "--target", "rhoai=2.25", arg])
    assert res.exit_code == 0, res.output
    assert "Fixed 1 finding in 1 file:" in res.stderr
    assert (repo / "notes.yaml").read_text() == "data:\n  x: |\n    text\n"
