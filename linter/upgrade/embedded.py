"""Run configs embedded in a ConfigMap (`run.yaml: |`): the migrated text written back in place.

The new document replaces the content lines of the literal block scalar, indented like the old
ones; the header (`|`, `|-`, `|+`, an indentation indicator) and every byte outside the content
lines stay as they were. Other scalar styles (folded, quoted) are left to a person.
"""

from __future__ import annotations

from dataclasses import dataclass

from yaml.nodes import ScalarNode

from linter.sources import yaml as y


@dataclass(frozen=True)
class BlockContent:
    """Where a literal block scalar's content lines are in the file, and their indentation."""

    start: int  # offset of the first content line
    end: int  # offset just past the line break of the last non-blank content line
    indent: str
    newline: str


def literal_block(file_text: str, node: ScalarNode) -> BlockContent | None:
    """The content lines of a literal (`|`) block scalar node of a file source, or None."""
    if node.style != "|":
        return None
    start = node.start_mark.index
    header_end = file_text.find("\n", start)
    if header_end < 0:
        return None
    end = y.trim_end(file_text, start, node.end_mark.index)
    if end <= header_end:
        return None  # an empty block
    line_end = file_text.find("\n", end)
    end = len(file_text) if line_end < 0 else line_end + 1
    first = header_end + 1
    # the indentation of the first non-blank content line is the block's
    pos = first
    while pos < end:
        nl = file_text.find("\n", pos)
        line = file_text[pos : nl if nl >= 0 else end]
        if line.strip():
            indent = line[: len(line) - len(line.lstrip(" "))]
            newline = "\r\n" if file_text[header_end - 1 : header_end] == "\r" else "\n"
            return BlockContent(first, end, indent, newline)
        pos = (nl + 1) if nl >= 0 else end
    return None


def indented(text: str, block: BlockContent) -> str:
    """`text` (a document, `\\n` line breaks) as the content lines of `block`."""
    lines = text.rstrip("\n").split("\n")
    out = [(block.indent + line) if line.strip() else "" for line in lines]
    return block.newline.join(out) + block.newline
