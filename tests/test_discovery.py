"""Which files a run reads: .gitignore in a git work tree, a file named twice, unnormalised paths."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from tests.helpers import lint_dir, lsd, write_files

GIT = shutil.which("git")
T = {"rhoai": "2.25"}
CR = lsd("demo", "0.2.8")  # an upstream 0.2.8 image on RHOAI 2.25: SA103


def _git_init(root) -> None:
    env = {"GIT_CONFIG_GLOBAL": "/dev/null", "GIT_CONFIG_SYSTEM": "/dev/null"}
    subprocess.run(["git", "init", "-q"], cwd=root, check=True, env=env)


@pytest.mark.skipif(GIT is None, reason="git is not installed")
def test_a_directory_run_skips_what_git_ignores(tmp_path):
    write_files(
        tmp_path,
        {
            ".gitignore": ".cache/\nscratch.yaml\n",
            ".git/info/exclude": "local-only/\n",
            ".cache/venv/cr.yaml": CR,
            "scratch.yaml": CR,
            "local-only/cr.yaml": CR,
            "gitops/cr.yaml": CR,
        },
    )
    _git_init(tmp_path)
    paths = lambda r: sorted({f.path for f in r.findings})  # noqa: E731
    assert paths(lint_dir(tmp_path, target=T)) == ["gitops/cr.yaml"]
    everything = lint_dir(tmp_path, target=T, respect_gitignore=False)
    assert paths(everything) == [
        ".cache/venv/cr.yaml",
        "gitops/cr.yaml",
        "local-only/cr.yaml",
        "scratch.yaml",
    ]
    # named on the command line, an ignored file is linted: the user asked for it
    assert paths(lint_dir(tmp_path, target=T, paths=["scratch.yaml"])) == ["scratch.yaml"]


def test_a_file_named_directly_and_through_its_folder_is_linted_once(tmp_path):
    write_files(tmp_path, {"sub/c.yaml": CR})
    result = lint_dir(tmp_path, target=T, paths=["sub/c.yaml", "sub", "sub/../sub/c.yaml"])
    assert [(f.rule, f.path) for f in result.findings] == [("SA103", "sub/c.yaml")]
    assert result.files == 1
