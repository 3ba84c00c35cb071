"""The house: no module-level import cycles among stackalign's modules (scripts/house.py)."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import REPO
from tests.helpers import load_script


def _house():
    return load_script("house")


def test_no_module_level_import_cycles() -> None:
    house = _house()
    assert house.cycles(house.imports(house.modules(REPO))) == []


def test_the_cycle_finder_finds_a_cycle(tmp_path: Path) -> None:
    house = _house()
    (tmp_path / "linter" / "sub").mkdir(parents=True)
    (tmp_path / "linter" / "__init__.py").write_text("")
    (tmp_path / "linter" / "a.py").write_text("from linter.sub import b\n")
    (tmp_path / "linter" / "sub" / "__init__.py").write_text("")
    (tmp_path / "linter" / "sub" / "b.py").write_text(
        "from typing import TYPE_CHECKING\nimport linter.c\nif TYPE_CHECKING:\n    import linter.a\n"
    )
    (tmp_path / "linter" / "c.py").write_text(
        "def f():\n    import linter.a\nfrom linter import a\n"
    )
    mods = house.modules(tmp_path)
    assert sorted(mods) == ["linter", "linter.a", "linter.c", "linter.sub", "linter.sub.b"]
    assert house.cycles(house.imports(mods)) == [["linter.a", "linter.c", "linter.sub.b"]]
