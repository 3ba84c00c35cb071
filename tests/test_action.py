"""action.yml: a composite action with the inputs and outputs the docs promise."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent


def action() -> dict:
    return yaml.safe_load((REPO / "action.yml").read_text(encoding="utf-8"))


def test_action_structure():
    a = action()
    assert {"name", "description", "inputs", "outputs", "runs"} <= set(a)
    assert a["runs"]["using"] == "composite"
    assert set(a["inputs"]) >= {"paths", "target", "fail-on", "format", "sarif-file", "category"}
    for name, spec in a["inputs"].items():
        assert spec.get("description"), name
        assert "default" in spec, name
    assert a["outputs"]["sarif-file"]["value"] == "${{ steps.lint.outputs.sarif-file }}"
    for name, spec in a["outputs"].items():
        assert spec.get("description") and spec.get("value"), name


def test_steps_set_up_python_install_the_action_itself_and_run():
    steps = action()["runs"]["steps"]
    assert steps[0]["uses"].startswith("actions/setup-python@")
    for step in steps[1:]:
        assert step["shell"] == "bash" and step["run"]
    install = steps[1]
    assert install["env"]["ACTION_PATH"] == "${{ github.action_path }}"
    assert "pip install" in install["run"] and '"$ACTION_PATH"' in install["run"]
    ids = {s.get("id") for s in steps}
    assert "lint" in ids


def test_inputs_reach_scripts_only_through_env():
    """No `${{ inputs.* }}` inside `run:` (script injection); every input is passed as env."""
    a = action()
    used = set()
    for step in a["runs"]["steps"]:
        run = step.get("run", "")
        assert "${{" not in run, step.get("name")
        for value in (step.get("env") or {}).values():
            used.update(re.findall(r"inputs\.([a-z-]+)", str(value)))
        for value in (step.get("with") or {}).values():
            used.update(re.findall(r"inputs\.([a-z-]+)", str(value)))
    assert used == set(a["inputs"])


def test_format_choices_exist_in_the_cli():
    from click.testing import CliRunner

    from linter.cli import cli

    help_text = CliRunner().invoke(cli, ["lint", "--help"]).output
    for option in ("--sarif-category", "--sarif-include-suppressed", "--fail-on", "--target"):
        assert option in help_text
    assert "sarif" in help_text and "github" in help_text
