"""Text edits of YAML sources that keep everything around them: replace a node, delete a mapping
entry's lines (with the comments above it), map a scalar's characters to the source. Lint fixes are
these edits; YAML is never re-dumped.
"""

from __future__ import annotations

from collections.abc import Iterator

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from linter.model import Applicability, Edit, Fix
from linter.sources import yaml as y
from linter.sources.yamlscalar import ScalarDecodeError, decode_scalar


def replace_node_fix(src: y.YamlSource, node: Node, text: str, description: str, safe: bool) -> Fix:
    """Replace one node's text (a scalar's raw text, quotes included)."""
    return Fix(
        applicability=Applicability.safe if safe else Applicability.unsafe,
        description=description,
        edits=[src.edit(node.start_mark.index, node.end_mark.index, text)],
    )


def entry_line_range(src: y.YamlSource, key: Node, value: Node) -> tuple[int, int] | None:
    """Source-text range covering a block mapping entry's lines. The comments above it are the
    user's and stay: a fix never deletes a comment.

    None when the key does not start its line (flow style, or first key after `- `).
    """
    text = src.text
    start = line_start(text, key.start_mark.index)
    if text[start : key.start_mark.index].strip():
        return None
    end = y.trim_end(text, key.end_mark.index, value.end_mark.index)
    return start, next_line_start(text, end)


def line_start(text: str, index: int) -> int:
    """The start of the line holding `index`: lines end at LF, CRLF or a lone CR."""
    return max(text.rfind("\n", 0, index), text.rfind("\r", 0, index)) + 1


def next_line_start(text: str, index: int) -> int:
    """Just past the line break that ends the line holding `index` (the text's end if none)."""
    lf, cr = text.find("\n", index), text.find("\r", index)
    breaks = [i for i in (lf, cr) if i >= 0]
    if not breaks:
        return len(text)
    nl = min(breaks)
    return nl + (2 if text.startswith("\r\n", nl) else 1)


def delete_range_edit(src: y.YamlSource, path: str, start: int, end: int) -> Edit:
    """Delete whole lines: `start`/`end` are line starts in the source text (end may be its end)."""
    file_start = _file_line_start(src, src.file_offset(start))
    if end < len(src.text):
        file_end = _file_line_start(src, src.file_offset(end))
    else:
        file_end = src.file_end_offset(end)
    file_start = _keep_missing_final_newline(src.file_text, file_start, file_end)
    return Edit(
        path=path,
        start_offset=file_start,
        end_offset=file_end,
        span=src.span_of_indices(start, max(start, end - 1)),
        text="",
    )


def _keep_missing_final_newline(text: str, start: int, end: int) -> int:
    """Deleting the last lines of a file without a final newline: take the line break before them
    too, so that the file still ends without one (keeps the trailing-newline state)."""
    if (
        end < len(text)
        or text.endswith(("\n", "\r"))
        or start == 0
        or text[start - 1] not in "\r\n"
    ):
        return start
    start -= 1
    return start - 1 if text[start] == "\n" and start > 0 and text[start - 1] == "\r" else start


def _file_line_start(src: y.YamlSource, offset: int) -> int:
    """Back over the indentation (a block scalar's, for embedded sources) to the line start."""
    text = src.file_text
    i = offset
    while i > 0 and text[i - 1] in " \t":
        i -= 1
    return i if i == 0 or text[i - 1] in "\r\n" else offset


def walk_scalars(node: Node, parent_col: int = -1) -> Iterator[tuple[y.NodePath, ScalarNode, int]]:
    """(path, scalar, column of the enclosing block collection) for every scalar value."""
    stack: list[tuple[y.NodePath, Node, int]] = [((), node, parent_col)]
    seen: set[int] = set()
    while stack:
        path, n, col = stack.pop()
        if id(n) in seen or len(seen) > y.MAX_NODES_PER_WALK:
            continue
        seen.add(id(n))
        if isinstance(n, ScalarNode):
            yield path, n, col
        elif isinstance(n, MappingNode):
            here = col if n.flow_style else n.start_mark.column
            for k, v in reversed(n.value):
                key = k.value if isinstance(k, ScalarNode) else "?"
                stack.append((path + (key,), v, here))
        elif isinstance(n, SequenceNode):
            here = col if n.flow_style else n.start_mark.column
            for i in range(len(n.value) - 1, -1, -1):
                stack.append((path + (i,), n.value[i], here))


def char_map(src: y.YamlSource, node: ScalarNode, parent_col: int) -> list[int] | None:
    """Index in src.text of each character of the scalar's value (plus one past the end)."""
    text, start, end, value = src.text, node.start_mark.index, node.end_mark.index, node.value
    if not node.style and text[start:end] == value:
        return list(range(start, end + 1))
    if node.style in ('"', "'") and text[start + 1 : end - 1] == value:
        return list(range(start + 1, end))
    try:
        dec = decode_scalar(text, start, parent_col)
    except ScalarDecodeError:
        return None
    return list(dec.src) if dec.value == value else None
