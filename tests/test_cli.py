from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from linter import __version__
from tests.conftest import REPO
from tests.helpers import cli_in

STORY = REPO / "examples" / "story"
CLEAN = REPO / "examples" / "clean"


def invoke(args, cwd: Path):
    return cli_in(cwd, *args)


def test_python_dash_m_version():
    out = subprocess.run(
        [sys.executable, "-m", "linter", "--version"], capture_output=True, text=True
    )
    assert out.returncode == 0 and out.stdout.strip() == f"stackalign {__version__}"


def test_clean_example_exits_zero():
    r = invoke(["lint", "--no-color"], CLEAN)
    assert r.exit_code == 0, r.output
    assert "no findings" in r.output
    assert "Target: RHOAI 2.25 (from gitops/operators/rhoai/subscription.yaml:" in r.output


def test_story_example_exits_one_with_findings():
    r = invoke(["lint", "--no-color"], STORY)
    assert r.exit_code == 1
    assert "SA103 [warning]" in r.output


def test_fail_on_error_ignores_warnings(tmp_path):
    (tmp_path / "lsd.yaml").write_text(
        "apiVersion: llamastack.io/v1alpha1\nkind: LlamaStackDistribution\nmetadata: {name: x}\n"
        "spec:\n  server:\n    distribution:\n      image: quay.io/opendatahub/llama-stack:odh\n"
    )
    assert invoke(["lint", "--fail-on", "error"], tmp_path).exit_code == 0
    assert invoke(["lint"], tmp_path).exit_code == 1


def test_json_contract(tmp_path):
    r = invoke(["lint", "--format", "json", "--target", "rhoai=2.25"], STORY)
    doc = json.loads(r.output)
    assert doc["tool"] == "stackalign" and doc["version"] == __version__
    assert doc["target"] == {
        "platform": "rhoai",
        "version": "2.25",
        "llamastack": "0.2.22",
        "source": "--target",
    }
    assert set(doc["summary"]) >= {"files", "parsed", "findings", "fixable"}
    f = next(x for x in doc["findings"] if x["rule"] == "SA103")
    assert set(f) >= {
        "rule",
        "name",
        "level",
        "path",
        "line",
        "column",
        "end_line",
        "end_column",
        "message",
        "logical_location",
        "fingerprint",
        "runtime",
        "fix",
    }
    assert f["path"] == "gitops/llamastack/llamastackdistribution.yaml"
    assert f["fix"]["applicability"] == "unsafe"
    assert f["fix"]["edits"][0]["text"] == "name: rh-dev"


def test_output_file(tmp_path):
    out = tmp_path / "report.json"
    r = invoke(["lint", "--format", "json", "--output", str(out)], CLEAN)
    assert r.exit_code == 0 and r.output == ""
    assert json.loads(out.read_text())["findings"] == []


@pytest.mark.parametrize(
    "args,message",
    [
        (["lint", "--target", "rhoai"], "expected KEY=VERSION"),
        (["lint", "--target", "openshift=4.16"], "KEY must be one of"),
        (["lint", "--select", "SA999"], "unknown rule 'SA999'"),
        (["explain", "SA999"], "unknown rule"),
        (["lint", "gitops/typo.yaml", "."], "no such file or directory: gitops/typo.yaml"),
    ],
)
def test_usage_errors_exit_two(tmp_path, args, message):
    r = invoke(args, tmp_path)
    assert r.exit_code == 2 and message in r.output


def test_malformed_files_are_sa001_not_tracebacks(tmp_path):
    (tmp_path / "bad.yaml").write_text("kind: LlamaStackDistribution\nspec: [unclosed\n")
    (tmp_path / "bad.py").write_text("from llama_stack_client import X\ndef f(:\n")
    r = invoke(["lint", "--format", "json"], tmp_path)
    assert r.exit_code == 1
    found = {(f["path"], f["rule"], f["line"]) for f in json.loads(r.output)["findings"]}
    assert found == {("bad.yaml", "SA001", 2), ("bad.py", "SA001", 2)}


def test_rules_explain_targets(tmp_path):
    r = invoke(["rules"], tmp_path)
    assert r.exit_code == 0 and "SA101  image-version-mismatch" in r.output
    r = invoke(["explain", "SA103"], tmp_path)
    assert "## Why is this bad?" in r.output and "=> SA103 at lsd.yaml:8:14" in r.output
    r = invoke(["targets"], STORY)
    assert "2.25    0.2.22           0.3.0     run.yaml       0.2.2" in r.output
    assert "Detected in .: RHOAI 2.25" in r.output


def test_no_color_when_not_a_tty():
    r = invoke(["lint"], STORY)
    assert "\x1b[" not in r.output


def test_a_real_process_writes_everything_and_keeps_its_exit_code(tmp_path):
    """stdout, stderr and --output files of the command are complete, and the exit code kept."""
    env = {**os.environ, "STACKALIGN_TIMING": "1"}
    env.pop("STACKALIGN_DEBUG", None)
    cmd = [sys.executable, "-m", "linter", "lint", "--format", "json"]
    piped = subprocess.run(cmd, cwd=STORY, capture_output=True, text=True, env=env)
    in_process = invoke(["lint", "--format", "json"], STORY)
    assert piped.returncode == 1 == in_process.exit_code
    assert json.loads(piped.stdout) == json.loads(in_process.output)
    assert piped.stderr.splitlines()[-1].startswith("total since stackalign was imported")
    out = tmp_path / "report.json"
    to_file = subprocess.run([*cmd, "--output", str(out)], cwd=STORY, capture_output=True)
    assert to_file.returncode == 1 and to_file.stdout == b""
    assert json.loads(out.read_text()) == json.loads(in_process.output)


def test_a_named_file_of_another_kind_is_skipped_with_a_note(tmp_path):
    (tmp_path / "README.md").write_text("# notes\n")
    (tmp_path / "cr.yaml").write_text("kind: ConfigMap\n")
    r = subprocess.run(
        [sys.executable, "-m", "linter", "lint", "README.md", "cr.yaml"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert r.returncode == 0
    assert r.stderr == "stackalign: README.md: not a YAML, Python or shell file; skipped\n"
    assert "Checked 1 file (0 parsed): no findings." in r.stdout  # no trigger: not parsed


def test_exit_handlers_run_and_a_closed_pipe_is_quiet(tmp_path):
    """The command ends like any Python program (coverage and profilers write their report at
    exit); `stackalign ... | head` closing the pipe early is not an error."""
    driver = (
        "import atexit, sys\n"
        "atexit.register(lambda: print('exit handlers ran'))\n"
        "from linter.cli import entry\n"
        "sys.argv = ['stackalign', '--version']\n"
        "entry()\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "STACKALIGN_DEBUG"}
    done = subprocess.run([sys.executable, "-c", driver], capture_output=True, text=True, env=env)
    assert done.returncode == 0 and done.stdout.startswith(f"stackalign {__version__}\n")
    assert "exit handlers ran" in done.stdout
    head = subprocess.run(
        f"{sys.executable} -m linter rules | head -1",
        shell=True,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=env,
    )
    assert head.stdout.startswith("SA001") and head.stderr == ""


@pytest.mark.parametrize(
    "odd_line",
    ["# U+2028 is no line break in Python:\u2028see?\n", "# a page break\x0c\n"],
    ids=["u2028", "form-feed"],
)
def test_python_positions_and_snippets_count_lines_as_python_does(tmp_path, odd_line):
    """A Python file's lines end at \\n only: U+2028 in a comment does not move later findings, and
    the text report's snippet (form feed included) is the finding's own line."""
    shutil.copytree(STORY, tmp_path / "story")
    component = tmp_path / "story/pipelines/ingest_pipeline.py"
    component.write_text(odd_line + component.read_text(encoding="utf-8"), encoding="utf-8")
    r = invoke(["lint", "--no-color", "pipelines/ingest_pipeline.py"], tmp_path / "story")
    lines = r.output.splitlines()
    at = lines.index(
        next(line for line in lines if line.startswith("pipelines/ingest_pipeline.py:69:21: SA301"))
    )
    assert lines[at + 1] == '   69 |                     "stored_chunk_id": f"{document_id}-{i}",'
    invoke(["lint", "--fix", "pipelines/ingest_pipeline.py"], tmp_path / "story")
    fixed = component.read_text(encoding="utf-8").split("\n")
    assert (
        fixed[68] == '                    "chunk_id": f"{document_id}-{i}",'
    )  # the fix hit line 69
