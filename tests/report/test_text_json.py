"""Snapshots of the text and JSON reports on the story example (the JSON contract users parse)."""

from __future__ import annotations

import os
from pathlib import Path

from click.testing import CliRunner

from linter.cli import cli

STORY = Path(__file__).resolve().parents[2] / "examples" / "story"


def _run(args: list[str]) -> str:
    old = os.getcwd()
    os.chdir(STORY)
    try:
        result = CliRunner().invoke(cli, args, catch_exceptions=False)
    finally:
        os.chdir(old)
    assert result.exit_code == 1
    return result.output


def test_story_text_snapshot(snapshot):
    snapshot.snapshot_dir = Path(__file__).parent / "snapshots"
    snapshot.assert_match(_run(["lint", "--no-color"]), "story.txt")


def test_story_json_snapshot(snapshot):
    snapshot.snapshot_dir = Path(__file__).parent / "snapshots"
    snapshot.assert_match(_run(["lint", "--format", "json"]), "story.json")
