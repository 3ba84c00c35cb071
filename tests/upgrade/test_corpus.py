"""`stackalign upgrade` on real repositories (../shared/corpus/dev and gitops, copied to a temporary
folder): the plan and the migration run without an internal error, every migrated file still
parses, and migrating the migrated tree again changes nothing. Skipped where ../shared is absent."""

from __future__ import annotations

import json
import os
import shutil
import stat
from pathlib import Path

import pytest

from tests.conftest import SHARED, corpus_wide
from tests.helpers import cli_in


def copy_corpus(part: str, tmp_path: Path) -> Path:
    source = SHARED / "corpus" / part
    if not source.is_dir():
        pytest.skip(corpus_wide(source))
    root = tmp_path / part
    shutil.copytree(source, root, symlinks=True)
    for folder, _, files in os.walk(root):  # the shared copy is read-only
        os.chmod(folder, os.stat(folder).st_mode | stat.S_IWUSR)
        for name in files:
            path = os.path.join(folder, name)
            if not os.path.islink(path):
                os.chmod(path, os.stat(path).st_mode | stat.S_IWUSR)
    return root


@pytest.mark.parametrize(
    ("part", "to", "fmt"), [("dev", "3.2", "json"), ("gitops", "3.3", "markdown")]
)
def test_corpus_upgrade_runs_and_is_idempotent(
    tmp_path: Path, part: str, to: str, fmt: str
) -> None:
    root = copy_corpus(part, tmp_path)
    args = ["upgrade", "--from", "rhoai=2.25", "--to", f"rhoai={to}"]
    fixed = cli_in(root, *args, "--fix", "--format", fmt)
    assert fixed.exit_code in (0, 1), fixed.output
    assert "internal error" not in fixed.output
    assert "not migrated:" not in fixed.stderr
    if fmt == "json":
        doc = json.loads(fixed.stdout)
        assert doc["summary"]["files_changed"] >= 20
        assert doc["summary"]["run_configs_migrated"] >= 15
        changed = [f["path"] for f in doc["migration"]["files"]]
    else:
        assert fixed.stdout.startswith(f"## Upgrade RHOAI 2.25 → RHOAI {to}\n")
        changed = [
            line.strip()[3:-1] for line in fixed.stdout.splitlines() if line.startswith("- `")
        ]
        assert changed
    # the migrated files parse (a migration never leaves a file SA001 did not already flag)
    lint = json.loads(
        cli_in(root, "lint", "--select", "SA001", "--format", "json", *changed).stdout
    )
    assert [f for f in lint["findings"] if "Helm/Go template" not in f["message"]] == []
    again = cli_in(root, *args, "--diff")
    assert (again.exit_code, again.stdout) == (0, ""), again.stdout[:2000]
