"""Validation of stackalign's own data files (rules, knowledge base, configuration).

Those classes are plain dataclasses; the metadata of their fields carries pydantic's constraints
(`pattern`, `min_length`, `description`, `alias`, ...) and a `__pydantic_config__` says what else is
allowed. pydantic is imported here only, when a file is validated (the rule pack on a cache miss,
a configuration file that was not seen before) or a JSON Schema is generated, so that start-up does
not pay for it. Checks that a type cannot express live in each class's `__post_init__`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import field
from functools import cache
from typing import Any, TypeVar

T = TypeVar("T")

#: `__pydantic_config__` of a file format: unknown keys are errors
STRICT: dict[str, Any] = {"extra": "forbid"}


@cache
def _adapter(cls: type) -> Any:
    from pydantic import TypeAdapter

    return TypeAdapter(cls)


def validate(cls: type[T], data: Any) -> T:
    """An instance of `cls` from plain data; pydantic's ValidationError names every bad field."""
    return _adapter(cls).validate_python(data)


def json_schema(cls: type) -> dict[str, Any]:
    return _adapter(cls).json_schema(by_alias=True, mode="validation")


def meta(description: str | None = None, **constraints: Any) -> dict[str, Any]:
    """Field metadata pydantic reads: a description (shown by editors) and constraints."""
    return {**({"description": description} if description else {}), **constraints}


def container(
    factory: Callable[[], Any], description: str | None = None, **constraints: Any
) -> Any:
    """A field defaulting to a new list or dict; the JSON Schema still shows the default."""
    extra = {"json_schema_extra": {"default": factory()}}
    return field(default_factory=factory, metadata=meta(description, **constraints, **extra))
