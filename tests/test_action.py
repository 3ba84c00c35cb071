"""action.yml: a composite action with the inputs and outputs the docs promise."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
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


# -- the action's script, executed for real -----------------------------------------------------
SCRIPT = REPO / "action" / "run.py"
STORY = REPO / "examples" / "story"
CLEAN = REPO / "examples" / "clean"


def run_action(repo: Path, tmp_path: Path, **inputs: str):
    """action/run.py as the `Run stackalign` step runs it: inputs as INPUT_* variables, fake
    GITHUB_OUTPUT and GITHUB_STEP_SUMMARY files. Returns (exit status, log, outputs, summary)."""
    output, summary = tmp_path / "github_output", tmp_path / "step_summary"
    output.write_text("")
    summary.write_text("")
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("INPUT_", "GITHUB_", "RUNNER_"))
    }
    env.update(
        {
            "GITHUB_OUTPUT": str(output),
            "GITHUB_STEP_SUMMARY": str(summary),
            "RUNNER_TEMP": str(tmp_path),
            "GITHUB_SERVER_URL": "https://github.com",
            "GITHUB_REPOSITORY": "acme/gitops",
            "GITHUB_SHA": "0123abc",
            "PYTHONIOENCODING": "utf-8",
        }
    )
    env.update({"INPUT_" + k.upper(): v for k, v in inputs.items()})
    done = subprocess.run(
        [sys.executable, str(SCRIPT)], cwd=repo, env=env, capture_output=True, text=True
    )
    return done.returncode, done.stdout + done.stderr, output.read_text(), summary.read_text()


@pytest.fixture
def story(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    shutil.copytree(STORY, repo)
    return repo


def test_one_run_writes_annotations_sarif_outputs_and_a_summary_of_what_was_not_annotated(
    story, tmp_path
):
    code, log, outputs, summary = run_action(
        story, tmp_path, paths=".", sarif_file="results/stackalign.sarif", format="github"
    )
    assert code == 1
    assert log.count(" -m linter lint ") == 1  # one stackalign run
    assert outputs == "sarif-file=results/stackalign.sarif\nexit-code=1\nfindings=21\n"
    sarif = json.loads((story / "results" / "stackalign.sarif").read_text())
    results = sarif["runs"][0]["results"]
    assert len(results) == 21 and sarif["runs"][0]["automationDetails"] == {"id": "stackalign/"}
    # 11 errors, 10 warnings: GitHub keeps 10 errors, so 1 says that 2 are not annotated
    annotations = [line for line in log.splitlines() if line.startswith("::")]
    assert Counter(a.split(" ", 1)[0] for a in annotations) == {"::error": 10, "::warning": 10}
    assert annotations[0] == (
        "::error title=stackalign::stackalign found 11 errors; GitHub keeps 10 error annotations "
        "per step, so 2 errors are not annotated: this step's log lists them after the "
        "annotations (RULE [level] path:line:column: message)"
    )
    plain = [line for line in log.splitlines() if line.startswith("SA")]
    assert [line.split(":", 1)[0] for line in plain] == [
        "SA204 [error] gitops/llamastack/llama-stack-config.yaml",
        "SA304 [error] pipelines/rag_smoke_test.py",
    ]
    lines = summary.splitlines()
    assert lines[0] == "### stackalign: 21 findings (11 errors, 10 warnings)"
    assert lines[2] == (
        "Target: RHOAI 2.25 (from gitops/operators/rhoai/subscription.yaml:12), LlamaStack 0.2.22"
    )
    assert lines[4].startswith("2 of 21 findings got no annotation: GitHub keeps 10 annotations")
    rows = [line for line in lines if line.startswith("| ")]
    assert len(rows) == 1 + 21  # header + every finding
    assert (
        "| error | SA204 | [gitops/llamastack/llama-stack-config.yaml:77]"
        "(https://github.com/acme/gitops/blob/0123abc/gitops/llamastack/llama-stack-config.yaml#L77)"
        " | vector store `rag-docs` declares embedding_dimension 768" in summary
    )


def test_fail_false_keeps_the_step_green_but_reports_the_exit_code(story, tmp_path):
    code, _, outputs, _ = run_action(story, tmp_path, sarif_file="s.sarif", fail="false")
    assert code == 0
    assert outputs == "sarif-file=s.sarif\nexit-code=1\nfindings=21\n"
    assert (story / "s.sarif").is_file()


def test_args_reach_stackalign_and_findings_that_fit_get_no_table(story, tmp_path):
    code, log, outputs, summary = run_action(
        story, tmp_path, sarif_file="s.sarif", args="""--select 'SA202' --ignore "SA1" """
    )
    assert code == 1
    assert "--select SA202 --ignore SA1 --format github" in log
    assert outputs == "sarif-file=s.sarif\nexit-code=1\nfindings=5\n"
    assert [line[:10] for line in log.splitlines() if line.startswith("::")] == ["::warning "] * 5
    assert summary == (
        "### stackalign: 5 findings (5 warnings)\n\n"
        "Target: RHOAI 2.25 (from gitops/operators/rhoai/subscription.yaml:12), LlamaStack 0.2.22\n"
    )
    sarif = json.loads((story / "s.sarif").read_text())
    assert {r["ruleId"] for r in sarif["runs"][0]["results"]} == {"SA202"}


def test_a_baseline_in_args_hides_known_findings(story, tmp_path):
    subprocess.run(
        [sys.executable, "-m", "linter", "lint", "--write-baseline", "base.json"],
        cwd=story,
        check=True,
        capture_output=True,
    )
    code, _, outputs, summary = run_action(story, tmp_path, args="--baseline base.json")
    assert code == 0
    assert outputs == "sarif-file=stackalign.sarif\nexit-code=0\nfindings=0\n"
    assert summary.startswith("### stackalign: 0 findings\n")


def test_text_format_annotates_nothing_so_the_summary_lists_everything(story, tmp_path):
    code, log, _, summary = run_action(story, tmp_path, format="text", sarif_file="")
    assert code == 1
    assert "Checked 13 files (9 parsed): 11 errors, 10 warnings" in log
    assert not [line for line in log.splitlines() if line.startswith("::")]
    assert "got no annotation" not in summary  # nothing was meant to be annotated
    assert sum(1 for line in summary.splitlines() if line.startswith("| ")) == 1 + 21
    assert not list(tmp_path.glob("stackalign-*.sarif"))  # the temporary SARIF is removed


def test_clean_repository(tmp_path):
    repo = tmp_path / "repo"
    shutil.copytree(CLEAN, repo)
    code, log, outputs, summary = run_action(repo, tmp_path)
    assert (code, outputs) == (0, "sarif-file=stackalign.sarif\nexit-code=0\nfindings=0\n")
    assert summary.startswith("### stackalign: 0 findings\n\nTarget: RHOAI 2.25")
    assert "|" not in summary


def test_a_stackalign_error_fails_even_with_fail_false_and_writes_no_sarif_output(story, tmp_path):
    code, log, outputs, summary = run_action(
        story, tmp_path, args="--select SA999", fail="false", sarif_file="s.sarif"
    )
    assert code == 2
    assert "unknown rule 'SA999'" in log
    assert outputs == "sarif-file=\nexit-code=2\nfindings=\n"
    assert summary == "### stackalign could not lint (exit 2)\n\nThe step's log says why.\n"
    assert not (story / "s.sarif").exists()


@pytest.mark.parametrize(
    "inputs,message",
    [
        (
            {"args": "--format json"},
            "args: --format cannot be used in the action; use the `format` input",
        ),
        (
            {"args": "-o x.json"},
            "args: -o cannot be used in the action; use the `sarif-file` input",
        ),
        ({"args": "--fix"}, "args: --fix cannot be used in the action"),
        ({"args": "--select 'SA1"}, "args: No closing quotation"),
        ({"format": "sarif"}, "format: 'sarif' is not one of github, text, json"),
        ({"fail": "maybe"}, "fail: 'maybe' is neither true nor false"),
    ],
)
def test_bad_inputs_are_an_error_annotation_and_exit_2(story, tmp_path, inputs, message):
    code, log, outputs, _ = run_action(story, tmp_path, **inputs)
    assert code == 2
    assert log == f"::error title=stackalign action::{message}\n"
    assert outputs == "sarif-file=\nexit-code=2\n"


def test_the_run_step_executes_this_script():
    steps = {s.get("id"): s for s in action()["runs"]["steps"]}
    assert '"$ACTION_PATH/action/run.py"' in steps["lint"]["run"]
    assert steps["lint"]["env"]["STACKALIGN_PYTHON"] == "${{ steps.install.outputs.python }}"
    assert 'echo "python=$bin/python" >> "$GITHUB_OUTPUT"' in steps["install"]["run"]
    assert action()["inputs"]["fail"]["default"] == "true"


def test_format_description_says_what_the_log_shows():
    text = " ".join(action()["inputs"]["format"]["description"].split())
    assert "changed lines" not in text
    assert "GitHub keeps 10 per kind and step" in text
