"""Jupyter notebooks (.ipynb, JSON): the code cells' text with the file position of every character.

`json` gives no positions, so a small JSON parser walks the file and keeps, for each string, where
its raw token starts; a code cell's source (one string or a list of strings) becomes one text whose
characters map back to the .ipynb file through the JSON escapes (`\\n`, `\\"`, `\\u00e9`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TypeAlias

#: Deepest JSON nesting read (a notebook is about 5 levels deep); deeper input is refused.
MAX_DEPTH = 64

_NUMBER = re.compile(r"-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?")
_WS = re.compile(r"[ \t\r\n]*")
_SIMPLE_ESCAPES = {
    '"': '"',
    "\\": "\\",
    "/": "/",
    "b": "\b",
    "f": "\f",
    "n": "\n",
    "r": "\r",
    "t": "\t",
}


class NotebookError(ValueError):
    def __init__(self, message: str, index: int) -> None:
        super().__init__(message)
        self.message, self.index = message, index


@dataclass
class JsonString:
    """A JSON string: its value and, per character, the file index of its raw text (and the end)."""

    value: str
    starts: list[int]
    ends: list[int]


#: A parsed JSON value; strings keep their file positions (object keys are plain `str`).
JsonValue: TypeAlias = (
    "dict[str, JsonValue] | list[JsonValue] | JsonString | bool | int | float | None"
)


@dataclass
class CodeCell:
    """One code cell's source as a single text; `starts[i]`/`ends[i]` bound `text[i]` in the file."""

    index: int  # position among the notebook's cells
    text: str
    starts: list[int]
    ends: list[int]


def code_cells(text: str) -> list[CodeCell]:
    """The code cells of a notebook (NotebookError when the file is not a JSON notebook)."""
    value, end = _value(text, _skip(text, 0), 0)
    if _skip(text, end) != len(text):
        raise NotebookError("extra data after the JSON document", _skip(text, end))
    cells = value.get("cells") if isinstance(value, dict) else None
    if not isinstance(cells, list):
        return []
    out = []
    for i, cell in enumerate(cells):
        if not isinstance(cell, dict):
            continue
        kind = cell.get("cell_type")
        if not (isinstance(kind, JsonString) and kind.value == "code"):
            continue
        source = cell.get("source")
        parts = source if isinstance(source, list) else [source]
        strings = [p for p in parts if isinstance(p, JsonString)]
        out.append(
            CodeCell(
                index=i,
                text="".join(s.value for s in strings),
                starts=[x for s in strings for x in s.starts],
                ends=[x for s in strings for x in s.ends],
            )
        )
    return out


def _skip(text: str, i: int) -> int:
    blank = _WS.match(text, i)
    assert blank is not None  # `[ \t\r\n]*` matches at every index
    return blank.end()


def _value(text: str, i: int, depth: int) -> tuple[JsonValue, int]:
    if depth > MAX_DEPTH:
        raise NotebookError(f"JSON nested deeper than {MAX_DEPTH} levels", i)
    if i >= len(text):
        raise NotebookError("unexpected end of the file", i)
    ch = text[i]
    if ch == "{":
        return _object(text, i, depth)
    if ch == "[":
        return _array(text, i, depth)
    if ch == '"':
        return _string(text, i)
    for word, value in (("true", True), ("false", False), ("null", None)):
        if text.startswith(word, i):
            return value, i + len(word)
    m = _NUMBER.match(text, i)
    if m and m.end() > i:
        return float(m.group()) if any(c in m.group() for c in ".eE") else int(m.group()), m.end()
    raise NotebookError(f"unexpected character {ch!r}", i)


def _object(text: str, i: int, depth: int) -> tuple[dict[str, JsonValue], int]:
    out: dict[str, JsonValue] = {}
    i = _skip(text, i + 1)
    if text.startswith("}", i):
        return out, i + 1
    while True:
        if not text.startswith('"', i):
            raise NotebookError("expected a string key", i)
        key, i = _string(text, i)
        i = _skip(text, i)
        if not text.startswith(":", i):
            raise NotebookError("expected ':'", i)
        value, i = _value(text, _skip(text, i + 1), depth + 1)
        out[key.value] = value
        i = _skip(text, i)
        if text.startswith(",", i):
            i = _skip(text, i + 1)
            continue
        if text.startswith("}", i):
            return out, i + 1
        raise NotebookError("expected ',' or '}'", i)


def _array(text: str, i: int, depth: int) -> tuple[list[JsonValue], int]:
    out: list[JsonValue] = []
    i = _skip(text, i + 1)
    if text.startswith("]", i):
        return out, i + 1
    while True:
        value, i = _value(text, i, depth + 1)
        out.append(value)
        i = _skip(text, i)
        if text.startswith(",", i):
            i = _skip(text, i + 1)
            continue
        if text.startswith("]", i):
            return out, i + 1
        raise NotebookError("expected ',' or ']'", i)


def _string(text: str, i: int) -> tuple[JsonString, int]:
    """The string whose opening quote is at `i`, with the raw extent of each character."""
    chars: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    j = i + 1
    n = len(text)
    while j < n:
        ch = text[j]
        if ch == '"':
            return JsonString("".join(chars), starts, ends), j + 1
        if ch == "\\":
            code = text[j + 1 : j + 2]
            if code in _SIMPLE_ESCAPES:
                chars.append(_SIMPLE_ESCAPES[code])
                starts.append(j)
                ends.append(j + 2)
                j += 2
                continue
            if code == "u" and re.fullmatch(r"[0-9a-fA-F]{4}", text[j + 2 : j + 6]):
                chars.append(chr(int(text[j + 2 : j + 6], 16)))
                starts.append(j)
                ends.append(j + 6)
                j += 6
                continue
            raise NotebookError("invalid escape in a string", j)
        if ch < " ":
            raise NotebookError("control character in a string", j)
        chars.append(ch)
        starts.append(j)
        ends.append(j + 1)
        j += 1
    raise NotebookError("unterminated string", i)
