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


def test_the_repository_url_users_read_is_the_one_pyproject_declares() -> None:
    """SARIF helpUri/informationUri and `init` link to REPOSITORY_URL: it is the project's declared
    repository, and every file linked there exists in this repository."""
    import tomllib

    import linter
    from linter.config import init_text
    from linter.report.sarif import help_uri
    from linter.target import Target

    urls = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["urls"]
    assert urls["Repository"] == linter.REPOSITORY_URL
    prefix = f"{linter.REPOSITORY_URL}/blob/{linter.DOCS_REF}/"
    assert help_uri("SA202") == prefix + "docs/rules/SA202.md"
    linked = [help_uri(p.stem.split("-")[0]) for p in (REPO / "rules").glob("SA*.yaml")]
    text = init_text(Target(None, None, "none")) + init_text(Target("rhoai", "2.25", "--target"))
    linked += [w for w in text.split() if w.startswith(prefix)]
    assert len(linked) > 2
    for url in linked:
        assert (REPO / url.removeprefix(prefix)).is_file(), url


def test_init_names_no_path_of_this_repository() -> None:
    """A config written into a user's repository must not cite `docs/...` or `schemas/...` as if
    they were files of that repository: only URLs."""
    import re

    from linter.config import init_text
    from linter.target import Target

    text = init_text(Target(None, None, "none")) + init_text(Target("rhoai", "2.25", "--target"))
    bare = re.findall(r"(?<![/\w])(?:docs|schemas)/[\w./-]+", text)
    assert bare == []
