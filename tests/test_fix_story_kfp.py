"""The story end to end: `--fix --unsafe-fixes` rewrites the ingest component (SA301, SA305) and its compiled
pipeline (SA302, SA305), and the fixed YAML is byte-identical to what the real KFP compiler produces
from the fixed component.

KFP is not a dependency of stackalign (it pins an old protobuf, among others), so the session
fixture installs the exact kfp release that compiled the committed YAML (its `sdkVersion`) into a
throwaway venv under .cache/ (git-ignored), once (about 45 s with a cold pip cache); later sessions
reuse it. STACKALIGN_KFP_VENV points it at another venv. The test skips only when pip cannot reach
a package index.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from linter.cli import cli

REPO = Path(__file__).resolve().parent.parent
STORY = REPO / "examples" / "story"
COMPONENT = "pipelines/ingest_pipeline.py"
COMPILED = "pipelines/ingest_pipeline.yaml"
PIPELINE_FUNCTION = "ingest_pipeline"
NO_INDEX = (
    "Could not find a version that satisfies",
    "No matching distribution found",
    "NewConnectionError",
    "Max retries exceeded",
    "Temporary failure in name resolution",
    "Network is unreachable",
    "ProxyError",
)


def _kfp_version() -> str:
    """The kfp release that compiled the committed story pipeline."""
    m = re.search(r"^sdkVersion: kfp-(\S+)$", (STORY / COMPILED).read_text(), re.M)
    assert m, f"{COMPILED} has no sdkVersion"
    return m.group(1)


def _installed_kfp(venv: Path) -> str | None:
    python = venv / "bin" / "python"
    if not python.exists():
        return None
    proc = subprocess.run(
        [str(python), "-c", "import kfp; print(kfp.__version__)"],
        capture_output=True,
        text=True,
        check=False,
    )
    return proc.stdout.strip() if proc.returncode == 0 else None


def _install(venv: Path, version: str) -> None:
    """Build the venv next to its final place, then rename it there (safe with parallel runs)."""
    tmp = venv.with_name(f"{venv.name}.tmp-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    venv.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run([sys.executable, "-m", "venv", str(tmp)], check=True, capture_output=True)
    proc = subprocess.run(
        [
            str(tmp / "bin" / "python"),
            "-m",
            "pip",
            "install",
            "--disable-pip-version-check",
            "--quiet",
            f"kfp=={version}",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        shutil.rmtree(tmp, ignore_errors=True)
        output = proc.stdout + proc.stderr
        last = output.strip().splitlines()[-1] if output.strip() else "no output"
        if any(marker in output for marker in NO_INDEX):
            pytest.skip(f"kfp=={version} cannot be installed, no package index reachable: {last}")
        pytest.fail(f"pip install kfp=={version} failed: {last}")
    if _installed_kfp(venv) == version:
        shutil.rmtree(tmp, ignore_errors=True)  # a parallel session won the race
        return
    shutil.rmtree(venv, ignore_errors=True)
    os.rename(tmp, venv)


@pytest.fixture(scope="session")
def kfp_compiler() -> list[str]:
    """The command that runs the KFP CLI of the release that compiled the story (`kfp dsl ...`)."""
    version = _kfp_version()
    venv = Path(os.environ.get("STACKALIGN_KFP_VENV") or REPO / ".cache" / f"kfp-{version}")
    if _installed_kfp(venv) != version:
        _install(venv, version)
    assert _installed_kfp(venv) == version
    # not bin/kfp: its shebang names the temporary folder the venv was built in
    return [
        str(venv / "bin" / "python"),
        "-c",
        "import sys; from kfp.cli.__main__ import main; sys.argv[0] = 'kfp'; sys.exit(main())",
    ]


def _compile(kfp: list[str], source: Path, output: Path) -> bytes:
    proc = subprocess.run(
        [
            *kfp,
            "dsl",
            "compile",
            "--py",
            str(source),
            "--output",
            str(output),
            "--function",
            PIPELINE_FUNCTION,
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    return output.read_bytes()


@pytest.fixture
def story(tmp_path: Path) -> Path:
    root = tmp_path / "story"
    shutil.copytree(STORY, root, ignore=shutil.ignore_patterns("__pycache__"))
    return root


def _lint_fix(root: Path, *args: str):
    old = Path.cwd()
    os.chdir(root)
    try:
        return CliRunner().invoke(cli, ["lint", "--fix", "--format", "json", *args, "."])
    finally:
        os.chdir(old)


def test_committed_story_pipeline_is_what_kfp_compiles(kfp_compiler, tmp_path):
    """The control: the toolchain reproduces the committed YAML from the committed component."""
    out = _compile(kfp_compiler, STORY / COMPONENT, tmp_path / "ingest.yaml")
    assert out == (STORY / COMPILED).read_bytes()


def test_fixed_story_pipeline_is_what_kfp_compiles_from_the_fixed_component(kfp_compiler, story):
    """With --unsafe-fixes: the image moves to the platform's rh-dev first (0.2.22), then the
    component's fixes are made for 0.2.22 (plain --fix holds them: they depend on the image)."""
    original_py = (story / COMPONENT).read_bytes()
    original_yaml = (story / COMPILED).read_bytes()
    result = _lint_fix(story, "--unsafe-fixes")
    assert result.exit_code in (0, 1), result.output

    fixed_py = (story / COMPONENT).read_bytes()
    fixed_yaml = (story / COMPILED).read_bytes()
    assert fixed_py != original_py and fixed_yaml != original_yaml
    assert b'"stored_chunk_id"' not in fixed_py and b'"chunk_id": str(i)' in fixed_py
    assert b"stored_chunk_id" not in fixed_yaml

    recompiled = _compile(kfp_compiler, story / COMPONENT, story.parent / "recompiled.yaml")
    assert fixed_yaml == recompiled

    remaining = {
        f["rule"]
        for f in json.loads(result.stdout)["findings"]
        if f["path"] in (COMPONENT, COMPILED)
    }
    assert remaining.isdisjoint({"SA301", "SA302", "SA305"}), remaining


def test_story_fix_is_idempotent(story):
    _lint_fix(story, "--unsafe-fixes")
    before = {p: p.read_bytes() for p in story.rglob("*") if p.is_file()}
    result = _lint_fix(story, "--unsafe-fixes")
    assert result.stderr.splitlines()[0] == "No fixes applied."
    assert {p: p.read_bytes() for p in story.rglob("*") if p.is_file()} == before
