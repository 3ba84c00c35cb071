"""Dependency files (requirements, pyproject.toml, setup.cfg, Containerfile, notebooks) are file
kinds of their own: read only when an enabled rule has triggers for the kind."""

from __future__ import annotations

import os

import pytest

from linter.discovery import file_kind
from tests.helpers import lint_files


@pytest.mark.parametrize(
    "name,kind",
    [
        ("requirements.txt", "requirements"),
        ("requirements-dev.txt", "requirements"),
        ("dev-requirements.txt", "requirements"),
        ("test_requirements.txt", "requirements"),
        ("notes.txt", None),
        ("pyproject.toml", "pyproject"),
        ("other.toml", None),
        ("setup.cfg", "setupcfg"),
        ("Containerfile", "containerfile"),
        ("Dockerfile", "containerfile"),
        ("Containerfile.konflux", "containerfile"),
        ("api.Dockerfile", "containerfile"),
        ("demo.ipynb", "notebook"),
        ("README.md", None),
    ],
)
def test_file_kinds(name, kind):
    assert file_kind(name) == kind


def _fifo(tmp_path, name: str) -> None:
    os.mkfifo(tmp_path / name)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_a_kind_no_enabled_rule_reads_is_never_opened(tmp_path):
    """A FIFO named requirements.txt is reported as unreadable only when a rule reads the kind:
    with SA306 switched off (--ignore, `off`) the file is not even opened."""
    _fifo(tmp_path, "requirements.txt")
    off = lint_files(tmp_path, {"a.yaml": "a: 1\n"}, ignore=["SA306"])
    assert [f.rule for f in off.findings] == []
    on = lint_files(tmp_path, {}, select=["SA001", "SA306"])
    assert [(f.rule, f.path) for f in on.findings] == [("SA001", "requirements.txt")]


def test_a_notebook_that_is_not_json_is_sa001_at_the_parser_position(tmp_path):
    got = lint_files(
        tmp_path,
        {"nb.ipynb": '{"cells": [\n  {"source": "%pip install llama-stack-client==0.2.22",}\n]}\n'},
        select=["SA001", "SA306"],
    )
    assert [(f.rule, f.path, f.span.start.line, f.span.start.column) for f in got.findings] == [
        ("SA001", "nb.ipynb", 2, 56)
    ]
    assert "notebook is not JSON" in got.findings[0].message
