"""Loading the project's own data files (rule pack, knowledge base, config) as plain Python data."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def safe_yaml():
    from ruamel.yaml import YAML

    y = YAML(typ="safe", pure=False)
    return y


def load_data_file(path: Path) -> Any:
    return safe_yaml().load(path.read_text(encoding="utf-8"))


def load_data_text(text: str) -> Any:
    return safe_yaml().load(text)
