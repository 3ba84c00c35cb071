"""Where the rule pack and schemas live: inside the wheel (linter/_data) or in a source checkout."""

from __future__ import annotations

from functools import cache
from pathlib import Path


@cache
def data_dir(name: str) -> Path:
    """`rules` or `schemas`: the packaged copy if installed, else the checkout's top-level folder."""
    from importlib.resources import files

    packaged = Path(str(files("linter"))) / "_data" / name
    if packaged.is_dir():
        return packaged
    checkout = Path(__file__).resolve().parent.parent / name
    if checkout.is_dir():
        return checkout
    raise FileNotFoundError(f"stackalign data folder {name!r} not found (broken installation?)")


def rules_dir() -> Path:
    return data_dir("rules")


def knowledge_dir() -> Path:
    return data_dir("rules") / "knowledge"


def schemas_dir() -> Path:
    return data_dir("schemas")
