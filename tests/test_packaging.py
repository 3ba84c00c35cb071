"""The wheel ships the rule pack and schemas inside the package (found with importlib.resources)."""

from __future__ import annotations

import subprocess
import sys
import zipfile

import pytest

from tests.conftest import REPO


def test_wheel_contains_rules_and_schemas(tmp_path):
    out = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(REPO)],
        capture_output=True,
        text=True,
    )
    if out.returncode != 0:
        pytest.skip(f"cannot build a wheel here: {out.stderr.strip()[-300:]}")
    (wheel,) = tmp_path.glob("stackalign-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    rules = sorted(p.name for p in (REPO / "rules").glob("SA*.yaml"))
    assert {f"linter/_data/rules/{r}" for r in rules} <= names
    assert "linter/_data/rules/knowledge/platforms.yaml" in names
    assert "linter/_data/schemas/config.schema.json" in names
    assert not any(n.startswith(("rules/", "schemas/")) for n in names)  # no top-level packages
    entry = [n for n in names if n.endswith("entry_points.txt")]
    assert (
        entry and "stackalign = linter.cli:entry" in zipfile.ZipFile(wheel).read(entry[0]).decode()
    )
