"""Lint every repository of ../shared/corpus (dev and perf), in-process and through the CLI: no
traceback, no internal error, exit code 0 or 1, and both ways report the same findings.

Real repositories parse: the only SA001 findings allowed are Helm templates and Python that needs a
newer grammar than the one stackalign runs on. Skipped where ../shared is absent.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.conftest import SHARED, corpus_wide
from tests.helpers import lint_dir

PARTS = ["dev", "perf"]


def _allowed_sa001(path: str, message: str, level: str = "error") -> bool:
    if "it is a Helm/Go template, not YAML until rendered" in message:
        return True
    return (
        path.endswith(".py")
        and "syntax error: f-string" in message
        and "a newer Python grammar parses it" in message
        and level == "warning"
    )


@pytest.fixture(scope="module")
def corpus_runs():
    """(part, in-process result, CLI process) for each part; computed once for the module."""
    if not (SHARED / "corpus").is_dir():
        pytest.skip(corpus_wide(SHARED / "corpus"))
    runs = {}
    for part in PARTS:
        root = SHARED / "corpus" / part
        if not root.is_dir():
            continue
        result = lint_dir(root)
        proc = subprocess.run(
            [sys.executable, "-m", "linter", "lint", ".", "--format", "json"],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=120,
            env={k: v for k, v in os.environ.items() if k != "STACKALIGN_DEBUG"},
        )
        runs[part] = (result, proc)
    if not runs:
        pytest.skip(corpus_wide(SHARED / "corpus" / "dev"))
    return runs


@pytest.mark.parametrize("part", PARTS)
def test_in_process_lint_has_no_internal_error(corpus_runs, part):
    if part not in corpus_runs:
        pytest.skip(corpus_wide(SHARED / "corpus" / part))
    result, _ = corpus_runs[part]
    assert result.errors == []
    assert result.files > 0 and result.parsed > 0
    for f in result.findings:
        assert f.span.start.line >= 1 and f.span.start.column >= 1
        if f.rule == "SA001":
            assert _allowed_sa001(f.path, f.message, f.level.value), (f.path, f.message)


@pytest.mark.parametrize("part", PARTS)
def test_cli_lint_exits_0_or_1_without_traceback(corpus_runs, part):
    if part not in corpus_runs:
        pytest.skip(corpus_wide(SHARED / "corpus" / part))
    result, proc = corpus_runs[part]
    assert proc.returncode in (0, 1), proc.stderr[-2000:]
    assert "Traceback" not in proc.stderr and "internal error" not in proc.stderr
    report = json.loads(proc.stdout)
    assert report["tool"] == "stackalign"
    assert proc.returncode == (1 if report["findings"] else 0)
    cli = sorted((f["rule"], f["path"], f["line"], f["column"]) for f in report["findings"])
    here = sorted((f.rule, f.path, f.span.start.line, f.span.start.column) for f in result.findings)
    assert cli == here
    assert report["summary"]["files"] == result.files
