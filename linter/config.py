"""Project configuration: `.stackalign.yaml` or `[tool.stackalign]` in pyproject.toml."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

CONFIG_NAMES = (".stackalign.yaml", ".stackalign.yml")


class RuleSetting(BaseModel):
    model_config = ConfigDict(extra="forbid")
    level: Literal["error", "warning", "note", "off"] | None = None


class Config(BaseModel):
    model_config = ConfigDict(extra="forbid")
    target: dict[str, str] = {}
    include: list[str] = []
    exclude: list[str] = []
    select: list[str] = []
    ignore: list[str] = []
    rules: dict[str, RuleSetting] = {}
    rule_files: list[str] = Field(default=[], alias="rule-files")
    knowledge_files: list[str] = Field(default=[], alias="knowledge-files")
    path: str | None = None  # where it was read from


class ConfigError(Exception):
    pass


def find_config(root: Path | None) -> Path | None:
    if root is None:
        return None
    for name in CONFIG_NAMES:
        if (root / name).is_file():
            return root / name
    return None


def load_config(path: Path) -> Config:
    from linter.yamlload import load_data_file

    try:
        data = load_data_file(path) or {}
    except Exception as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: the configuration must be a mapping")
    if "target" in data and isinstance(data["target"], dict):
        data["target"] = {k: str(v) for k, v in data["target"].items()}
    try:
        cfg = Config.model_validate(data)
    except Exception as exc:
        raise ConfigError(f"{path}: {exc}") from exc
    cfg.path = str(path)
    return cfg
