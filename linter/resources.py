"""Where the rule pack and schemas live: inside the wheel (linter/_data) or in a source checkout."""

from __future__ import annotations

from functools import cache
from pathlib import Path


@cache
def data_dir(name: str) -> Path:
    """`rules` or `schemas`: the packaged copy if installed, else the checkout's top-level folder."""
    package = Path(__file__).resolve().parent  # a folder: stackalign is never imported from a zip
    packaged = package / "_data" / name
    if packaged.is_dir():
        return packaged
    checkout = package.parent / name
    if checkout.is_dir():
        return checkout
    raise FileNotFoundError(f"stackalign data folder {name!r} not found (broken installation?)")


def rules_dir() -> Path:
    return data_dir("rules")


def knowledge_dir() -> Path:
    return data_dir("rules") / "knowledge"


def schemas_dir() -> Path:
    return data_dir("schemas")
