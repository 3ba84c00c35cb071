"""Validation of stackalign's own data files (rules, knowledge base, configuration).

Those classes are plain dataclasses; the metadata of their fields carries pydantic's constraints
(`pattern`, `min_length`, `description`, `alias`, ...) and a `__pydantic_config__` says what else is
allowed. pydantic is imported here only, when a file is validated (the rule pack on a cache miss,
a configuration file that was not seen before) or a JSON Schema is generated, so that start-up does
not pay for it. Checks that a type cannot express live in each class's `__post_init__`.
"""

from __future__ import annotations

import dataclasses
import enum
import types
import typing
from collections.abc import Callable
from dataclasses import field
from functools import cache
from typing import TYPE_CHECKING, Any, TypeVar, overload

if TYPE_CHECKING:
    from pydantic import TypeAdapter

T = TypeVar("T")

#: `__pydantic_config__` of a file format: unknown keys are errors
STRICT: dict[str, Any] = {"extra": "forbid"}

_ADAPTERS: dict[type, TypeAdapter[Any]] = {}  # built once per class (pydantic is slow to build)


def _adapter(cls: type[T]) -> TypeAdapter[T]:
    adapter = _ADAPTERS.get(cls)
    if adapter is None:
        from pydantic import TypeAdapter

        adapter = _ADAPTERS[cls] = TypeAdapter(cls)
    return adapter


def validate(cls: type[T], data: Any) -> T:
    """An instance of `cls` from plain data; pydantic's ValidationError names every bad field."""
    return _adapter(cls).validate_python(data)


@overload
def construct(cls: type[T], data: Any) -> T: ...
@overload
def construct(cls: Any, data: Any) -> Any: ...
def construct(cls: Any, data: Any) -> Any:
    """An instance of `cls` from data already known to be valid (stackalign's own rule pack and
    knowledge base, which the test suite validates with `validate`): dataclasses, lists, dicts,
    optionals, literals and enums are built by their type hints, without pydantic."""
    origin = typing.get_origin(cls)
    if cls is Any or data is None:
        return data
    if origin is typing.Union or origin is types.UnionType:
        options = [a for a in typing.get_args(cls) if a is not type(None)]
        for option in options:
            if _fits(option, data):
                return construct(option, data)
        return data
    if origin is typing.Literal:
        return data
    if origin in (list, tuple, frozenset, set):
        (item,) = typing.get_args(cls)[:1] or (Any,)
        return origin(construct(item, x) for x in data)
    if origin is dict:
        key, value = typing.get_args(cls) or (Any, Any)
        return {construct(key, k): construct(value, v) for k, v in data.items()}
    if isinstance(cls, type) and dataclasses.is_dataclass(cls) and isinstance(data, dict):
        hints = _hints(cls)
        names = {f.name for f in dataclasses.fields(cls) if f.init}
        kwargs = {}
        for f in dataclasses.fields(cls):
            key = f.metadata.get("alias", f.name)
            if f.name in names and key in data:
                kwargs[f.name] = construct(hints[f.name], data[key])
        return cls(**kwargs)
    if isinstance(cls, type) and issubclass(cls, enum.Enum):
        return cls(data)
    return data


def _fits(cls: Any, data: Any) -> bool:
    origin = typing.get_origin(cls) or cls
    if origin in (list, tuple, frozenset, set):
        return isinstance(data, list)
    if origin is dict or dataclasses.is_dataclass(cls):
        return isinstance(data, dict)
    if isinstance(origin, type):
        return isinstance(data, origin) or issubclass(origin, enum.Enum)
    return True


@cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


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


MAX_ERROR_LINES = 20


def error_lines(exc: Exception) -> list[str]:
    """A validation error as one `key.path\n  message` entry per problem, never with the
    offending input itself (pydantic's own text quotes it): a repository's configuration may name
    files whose content must not be printed (docs/security.md). Other exceptions: their message."""
    from linter.report.safe_text import printable

    errors = getattr(exc, "errors", None)
    if not callable(errors):
        return [printable(f"{type(exc).__name__}: {exc}")[:300]]
    try:
        items = errors(include_input=False, include_url=False, include_context=False)
    except TypeError:
        items = errors()
    lines = [
        printable(_dotted(e.get("loc", ())))
        + "\n  "
        + printable(str(e.get("msg", "invalid")))[:300]
        for e in items[:MAX_ERROR_LINES]
    ]
    if len(items) > MAX_ERROR_LINES:
        lines.append(f"... and {len(items) - MAX_ERROR_LINES} more errors")
    return lines


def _dotted(loc: tuple[str | int, ...]) -> str:
    out = ""
    for part in loc:
        text = str(part)[:40]
        out += f"[{text}]" if isinstance(part, int) else (f".{text}" if out else text)
    return out or "(top level)"


class KnowledgeError(Exception):
    """A knowledge base file that does not load (knowledge.py); defined here, where the loaders'
    shared code is, so that the command line can catch it without importing the knowledge base."""
