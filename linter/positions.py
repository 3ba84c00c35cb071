"""Positions: string indices <-> 1-based (line, column), and texts that live inside a file.

Every finding's span and every fix's edit goes through here: `LineIndex` counts lines the way the
file's language does, and `MappedText` maps a text embedded in a file (a ConfigMap's run.yaml, a
compiled pipeline's program) back to the file's own indices.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from typing import TYPE_CHECKING

from linter.model import Span

_LINE_BREAK = re.compile("\r\n|[\r\n\x85\u2028\u2029]")
_ASCII_LINE_BREAK = re.compile("\r\n|[\r\n]")


class MappedText:
    """Positions of a text that may live inside a file's string (an embedded run.yaml, a compiled
    component): `offsets[i]` is the file index of character i, `end_offsets[i]` the index just
    past its raw text (escapes make it longer); both None for a whole file. Mixed into the YAML and
    Python sources, which provide `offsets`, `end_offsets` and `file_lines`."""

    offsets: list[int] | None
    end_offsets: list[int] | None

    if TYPE_CHECKING:  # a dataclass field of one source, a cached property of the other

        @property
        def file_lines(self) -> LineIndex: ...

    def file_offset(self, index: int) -> int:
        if self.offsets is None:
            return index
        return self.offsets[max(0, min(index, len(self.offsets) - 1))]

    def file_end_offset(self, end_index: int) -> int:
        """File offset just past the raw text of text[:end_index] (end exclusive)."""
        if self.offsets is None:
            return end_index
        if end_index <= 0:
            return self.offsets[0]
        assert self.end_offsets is not None  # set together with `offsets`
        return self.end_offsets[min(end_index, len(self.end_offsets)) - 1]

    def span_of_indices(self, start: int, end: int) -> Span:
        s = self.file_offset(start)
        e = self.file_end_offset(end) if end > start else s
        sl, sc = self.file_lines.position(s)
        el, ec = self.file_lines.position(e)
        return Span.of(sl, sc, el, ec)


def line_index(path: str, text: str) -> LineIndex:
    """The lines of a whole file as its own language counts them: YAML also breaks at ``\x85``,
    ``\u2028`` and ``\u2029``; Python and shell only at ``\n``, ``\r\n`` and ``\r``. Every
    position of a finding in that file (and every place that maps one back) uses this."""
    from linter.discovery import file_kind

    return LineIndex(text, unicode_breaks=file_kind(path.rsplit("/", 1)[-1]) == "yaml")


class LineIndex:
    """Convert between string indices and 1-based (line, column) positions.

    Lines are split the way PyYAML counts them (``Mark.line``): at ``\\n``,
    ``\\r\\n``, a lone ``\\r``, ``\\x85``, ``\\u2028`` and ``\\u2029``; columns
    count code points.  So ``position(node.start_mark.index)`` equals
    ``(start_mark.line + 1, start_mark.column + 1)``.  With
    ``unicode_breaks=False`` only ``\\n``, ``\\r\\n`` and a lone ``\\r`` end a
    line (Python source files, SARIF regions).
    """

    def __init__(self, text: str, *, unicode_breaks: bool = True) -> None:
        """Index the line starts of ``text``."""
        self.length = len(text)
        if "\r" in text or (unicode_breaks and not text.isascii()):
            pattern = _LINE_BREAK if unicode_breaks else _ASCII_LINE_BREAK
            starts = [0] + [m.end() for m in pattern.finditer(text)]
        else:
            starts = [0]
            find = text.find
            pos = find("\n")
            while pos >= 0:
                starts.append(pos + 1)
                pos = find("\n", pos + 1)
        self.starts: list[int] = starts

    @property
    def line_count(self) -> int:
        """Number of lines (a final line break opens an empty last line)."""
        return len(self.starts)

    def line_start(self, line: int) -> int:
        """Index of the first character of 1-based ``line``."""
        if not 1 <= line <= len(self.starts):
            raise IndexError(f"line {line} out of range 1..{len(self.starts)}")
        return self.starts[line - 1]

    def position(self, index: int) -> tuple[int, int]:
        """1-based (line, column) of ``index`` (``0 <= index <= len(text)``)."""
        if not 0 <= index <= self.length:
            raise IndexError(f"index {index} out of range 0..{self.length}")
        line = bisect_right(self.starts, index) - 1
        return line + 1, index - self.starts[line] + 1

    def index(self, line: int, col: int) -> int:
        """Inverse of ``position``: index of 1-based ``line`` and ``col``."""
        index = self.line_start(line) + col - 1
        if col < 1 or index > self.length:
            raise IndexError(f"column {col} out of range on line {line}")
        return index
