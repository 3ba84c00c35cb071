"""ruamel.yaml round-trip for run configs, and the merge that keeps every untouched line's bytes.

ruamel.yaml's round-trip mode keeps comments, key order, quoting and flow style, but it re-indents
the whole document with one indentation style and writes `null` as an empty value. So the rewrite
is three texts: the original, ruamel's dump of the original unchanged, and ruamel's dump of the
migrated document. The lines that differ between the two dumps are the migration; they replace the
matching lines of the original, and every other line keeps its original bytes (a three-way merge).
The merged text is accepted only if it loads to the same data as ruamel's migrated dump; otherwise
the migrated dump is used whole.

ruamel.yaml is imported here only (the upgrade code path), never at start-up.
"""

from __future__ import annotations

import difflib
import io
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ruamel.yaml import YAML

#: indentation styles tried on a document (mapping, sequence, offset): the one whose dump of the
#: unchanged document differs least from the original is used for the migrated one
INDENT_STYLES = ((2, 2, 0), (2, 4, 2), (4, 4, 2), (4, 6, 4), (4, 4, 0))
WIDTH = 1 << 20  # never fold long lines


class RoundTripError(Exception):
    """The text cannot be round-tripped (not YAML, several documents, not a mapping)."""


@dataclass
class RoundTrip:
    """A document loaded for a rewrite: edit `data` in place, then `render()`."""

    original: str
    data: Any
    style: tuple[int, int, int]
    unchanged_dump: str

    def render(self) -> str:
        """The original text with the lines the edits changed rewritten."""
        after = dump(self.data, self.style)
        if after == self.unchanged_dump:
            return self.original
        merged = merge_lines(self.original, self.unchanged_dump, after)
        return final_newline_like(self.original, merged if same_data(merged, after) else after)


def final_newline_like(original: str, text: str) -> str:
    """`text` ending with a line break exactly when `original` does."""
    if original.endswith("\n"):
        return text if text.endswith("\n") else text + "\n"
    return text.rstrip("\n")


def _yaml(style: tuple[int, int, int]) -> YAML:
    from ruamel.yaml import YAML

    y = YAML(typ="rt")
    y.preserve_quotes = True
    y.width = WIDTH
    mapping, sequence, offset = style
    y.indent(mapping=mapping, sequence=sequence, offset=offset)
    return y


def load(text: str) -> RoundTrip:
    """Load one YAML document for a round-trip rewrite (RoundTripError if it is not one)."""
    from ruamel.yaml.error import YAMLError

    y = _yaml(INDENT_STYLES[0])
    try:
        docs = list(y.load_all(text))
    except (YAMLError, RecursionError) as exc:
        raise RoundTripError(f"ruamel.yaml cannot load it: {str(exc).splitlines()[0]}") from None
    docs = [d for d in docs if d is not None]
    if len(docs) != 1:
        raise RoundTripError(f"{len(docs)} YAML documents (the migration handles one)")
    best: tuple[int, tuple[int, int, int], str] | None = None
    mapping = mapping_indent(text)
    for style in [s for s in INDENT_STYLES if s[0] == mapping] or INDENT_STYLES:
        out = dump(docs[0], style)
        cost = _changed_lines(text, out)
        if best is None or cost < best[0]:
            best = (cost, style, out)
        if cost == 0:
            break
    assert best is not None
    # load again: dumping may attach state to nodes; the caller edits a fresh tree
    data = _yaml(best[1]).load(text)
    return RoundTrip(original=text, data=data, style=best[1], unchanged_dump=best[2])


def mapping_indent(text: str) -> int:
    """The indentation step of nested block mappings (the most common one; 2 if none)."""
    steps: dict[int, int] = {}
    lines = [
        line for line in text.split("\n") if line.strip() and not line.lstrip().startswith("#")
    ]
    for here, below in zip(lines, lines[1:], strict=False):
        if not here.rstrip().endswith(":") or below.lstrip().startswith("- "):
            continue
        step = (len(below) - len(below.lstrip(" "))) - (len(here) - len(here.lstrip(" ")))
        if here.lstrip().startswith("- "):
            step -= 2
        if step > 0:
            steps[step] = steps.get(step, 0) + 1
    return max(steps, key=lambda k: (steps[k], -k)) if steps else 2


def dump(data: Any, style: tuple[int, int, int]) -> str:
    out = io.StringIO()
    _yaml(style).dump(data, out)
    return out.getvalue()


def _changed_lines(a: str, b: str) -> int:
    sm = difflib.SequenceMatcher(None, a.splitlines(), b.splitlines(), autojunk=False)
    return sum(max(i2 - i1, j2 - j1) for tag, i1, i2, j1, j2 in sm.get_opcodes() if tag != "equal")


def split_lines(text: str) -> list[str]:
    """Lines with their `\\n` kept (only `\\n` ends a line here)."""
    parts = text.split("\n")
    out = [p + "\n" for p in parts[:-1]]
    return out + [parts[-1]] if parts[-1] else out


def merge_lines(original: str, before: str, after: str) -> str:
    """`original` with the changes that turn `before` into `after` (three-way, by lines).

    `before` is a normalised rendering of `original`. A line boundary of `before` maps to one of
    `original` where the two agree around it (inside or at the edge of equal stretches, or at the
    edge of a stretch ruamel re-rendered). Each change `before` -> `after` is widened to boundaries
    that map, and replaces that stretch of `original`; every line outside the changes is copied
    from `original` unchanged."""
    if not original.endswith("\n"):  # compare the last line as ruamel writes it
        original += "\n"
    o, b, a = split_lines(original), split_lines(before), split_lines(after)
    where: dict[int, int] = {}  # boundary in `before` (0..len) -> boundary in `original`
    matcher = difflib.SequenceMatcher(None, o, b, autojunk=False)
    for tag, o1, o2, b1, b2 in matcher.get_opcodes():
        if tag == "equal":
            for k in range(b2 - b1 + 1):
                where[b1 + k] = o1 + k
        else:
            where.setdefault(b1, o1)
            where[b2] = o2
    changes = [
        (i1, i2, j1, j2)
        for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, b, a, autojunk=False).get_opcodes()
        if tag != "equal"
    ]
    out: list[str] = []
    o_pos = 0  # next original line not yet copied
    k = 0
    while k < len(changes):
        s = changes[k][0]
        while s not in where:
            s -= 1
        e = changes[k][1]
        while e not in where:
            e += 1
        replacement: list[str] = list(b[s : changes[k][0]])
        done = changes[k][0]
        while k < len(changes) and changes[k][0] <= e:
            i1, i2, j1, j2 = changes[k]
            replacement += b[done:i1] + a[j1:j2]
            done = i2
            while e < i2 or e not in where:
                e += 1
            k += 1
        replacement += b[done:e]
        o_start, o_end = where[s], where[e]
        if o_start < o_pos:  # boundaries out of order: no line-level merge is safe
            return after
        out += o[o_pos:o_start]
        out += replacement
        o_pos = o_end
    out += o[o_pos:]
    return "".join(out)


def same_data(text_a: str, text_b: str) -> bool:
    """Both texts load to the same plain data (the house loader: libyaml, YAML 1.2 core)."""
    from linter.yamlload import load_data_text

    try:
        same: bool = load_data_text(text_a) == load_data_text(text_b)
        return same
    except Exception:  # noqa: BLE001 - any YAML error means "not the same"
        return False


def plain(data: Any) -> Any:
    """ruamel's round-trip containers as plain dicts, lists and scalars."""
    if isinstance(data, dict):
        return {str(k): plain(v) for k, v in data.items()}
    if isinstance(data, list):
        return [plain(v) for v in data]
    if isinstance(data, bool) or data is None:
        return data
    if isinstance(data, int):
        return int(data)
    if isinstance(data, float):
        return float(data)
    if isinstance(data, str):
        return str(data)
    return data
