"""Positioned YAML sources: libyaml-composed nodes (PyYAML C loader) with exact file positions.

A `YamlSource` is either a file or a document embedded in one scalar of another source (a ConfigMap's
`run.yaml: |`, a double-quoted `config.yaml: "..."`). Embedded sources keep a per-character map back
to the file, so every node of every source reports a span in the file the user opened.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypeAlias, TypeGuard

import yaml
from yaml.nodes import CollectionNode, MappingNode, Node, ScalarNode, SequenceNode

from linter.model import Edit, Span
from linter.positions import LineIndex, MappedText
from linter.sources.yamlscalar import ScalarDecodeError, decode_scalar, end_of_char

if TYPE_CHECKING:
    from yaml import CSafeLoader as _BaseLoader
else:  # PyYAML built without libyaml has no CSafeLoader: its pure-Python loader, same interface
    _BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

#: Where a node sits below a document: mapping keys and sequence indices, outermost first.
NodePath: TypeAlias = tuple[str | int, ...]

#: Limits that keep hostile input (alias bombs, huge documents) bounded. A file over a limit is an
#: SA001 finding. The largest real manifests seen (kserve.yaml, 3.7 MB) hold about 145,000 nodes.
MAX_NODES_PER_WALK = 200_000
MAX_NODES_PER_FILE = 500_000  # nodes composed per text: bounds parse time (~2 s) and memory
MAX_EMBEDDED_CHARS = 2 * 1024 * 1024  # an embedded document (`run.yaml: |`), mapped per char

#: Helm's template actions: the file is a template, not YAML, until `helm template` renders it.
#: (`{{$labels.x}}` in Prometheus rules and `{{$.inputs...}}` in KFP pipelines are data, not these.)
HELM_ACTION = re.compile(
    r"\{\{-?\s*(?:\.Values\b|\.Release\b|\.Chart\b|\.Capabilities\b|\.Files\b|\.Template\b"
    r"|include\s|template\s|tpl\s|toYaml\b|if\s|else\b|end\s*-?\}\}|range\s|with\s|define\s|/\*)"
)


BOM = "\ufeff"


class NodeLimitExceeded(Exception):
    pass


class YamlParseError(Exception):
    def __init__(self, message: str, line: int, column: int):
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column


_NULLS = frozenset(("", "~", "null", "Null", "NULL"))
_BOOLS = frozenset(("true", "True", "TRUE", "false", "False", "FALSE"))
_INT = re.compile(r"[-+]?(?:[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$")
_FLOAT = re.compile(
    r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$|[-+]?\.(?:inf|Inf|INF)$|\.(?:nan|NaN|NAN)$"
)


def _resolve_plain(value: str) -> str:
    """YAML 1.2 core schema tags for plain scalars, with cheap tests first."""
    if value in _NULLS:
        return "tag:yaml.org,2002:null"
    first = value[0]
    if first in "tTfF" and value in _BOOLS:
        return "tag:yaml.org,2002:bool"
    if first in "0123456789+-.":
        if _INT.match(value):
            return "tag:yaml.org,2002:int"
        if _FLOAT.match(value):
            return "tag:yaml.org,2002:float"
    return "tag:yaml.org,2002:str"


class PositionedLoader(_BaseLoader):
    """PyYAML's libyaml composer (C) with a YAML 1.2 core resolver in place of PyYAML's 1.1 one.

    Measured on 84 LlamaStack files (5.3 MB): ruamel.yaml compose 2.64 s, this 1.31 s. Nodes carry
    start/end marks with line, column and code-point index; tags never construct objects.
    """

    node_budget = MAX_NODES_PER_FILE

    def resolve(self, kind: type[Node], value: str, implicit: tuple[bool, bool]) -> str:
        self.node_budget -= 1  # every implicitly tagged node passes here: count it
        if self.node_budget < 0:
            raise NodeLimitExceeded()
        if kind is ScalarNode:
            if implicit[0]:
                return _resolve_plain(value)
            return "tag:yaml.org,2002:str"
        # types-PyYAML leaves Resolver.resolve unannotated; it returns the tag, a str
        tag: str = _BaseLoader.resolve(self, kind, value, implicit)  # type: ignore[no-untyped-call]
        return tag


def compose_all(text: str) -> list[Node]:
    """All documents of `text` as nodes. Raises YamlParseError with a 1-based position."""
    import yaml

    # libyaml drops a byte order mark at the very start of the stream without counting it, and
    # skips (and counts, as a column) one that starts a later line. A text that still starts with
    # U+FEFF (a file with two BOMs, or BOM + U+FEFF) would have every index shifted by one: give
    # it one more BOM to drop, so that the marks index `text` exactly and the file parses as
    # libyaml parses its bytes (where the second BOM indents the first line by one column).
    shift = 1 if text.startswith(BOM) else 0
    loader = PositionedLoader(BOM + text if shift else text)
    # Explicitly tagged nodes skip `resolve`; each needs a `!`, so count those up front.
    loader.node_budget = MAX_NODES_PER_FILE - text.count("!")
    docs: list[Node | None] = []
    try:
        while loader.check_node():
            docs.append(loader.get_node())
    except NodeLimitExceeded:
        raise YamlParseError(
            f"more than {MAX_NODES_PER_FILE:,} YAML nodes (the per-file limit)", 1, 1
        ) from None
    except yaml.reader.ReaderError as exc:  # a character YAML does not allow, at its real place
        line, col = _reader_error_position(text, exc.position, shift)
        character = f"#x{exc.character:04x}" if isinstance(exc.character, int) else "a character"
        raise YamlParseError(
            f"unacceptable character {character}: {exc.reason}", line, col
        ) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        if (
            exc.context_mark is not None
            and exc.problem_mark is not None
            and exc.problem_mark.index >= len(text.rstrip())
        ):
            mark = exc.context_mark  # the input ended inside a construct: point at its start
        problem = exc.problem or exc.context or "invalid YAML"
        if exc.context and exc.problem:
            problem = f"{exc.problem} ({exc.context})"
        if shift:
            problem += " (a second byte order mark, U+FEFF, starts the text: YAML reads it as a column of indentation)"
        line = mark.line + 1 if mark is not None else 1
        col = mark.column + 1 if mark is not None else 1
        raise YamlParseError(problem, line, col) from None
    except yaml.YAMLError as exc:
        raise YamlParseError(
            str(exc).splitlines()[0] if str(exc) else "invalid YAML", 1, 1
        ) from None
    except RecursionError:
        raise YamlParseError("nesting too deep to parse", 1, 1) from None
    except MemoryError:
        raise YamlParseError("out of memory while parsing", 1, 1) from None
    finally:
        loader.dispose()
    return [d for d in docs if d is not None]


def _reader_error_position(text: str, byte_offset: int, shift: int) -> tuple[int, int]:
    """libyaml reports a refused character by its offset in the UTF-8 bytes it read."""
    fed = (BOM + text if shift else text).encode("utf-8", "surrogatepass")
    index = len(fed[:byte_offset].decode("utf-8", "ignore")) - shift
    index = max(0, min(index, len(text)))
    return LineIndex(text).position(index)


@dataclass
class YamlSource(MappedText):
    """One YAML text and its documents, with positions mapped to `path`."""

    path: str
    text: str
    documents: list[Node]
    file_text: str  # the text of the file on disk (== text for a file source)
    file_lines: LineIndex
    offsets: list[int] | None = None  # for embedded sources: index in text -> index in file_text
    end_offsets: list[int] | None = None  # index just past the raw char of text[i]
    parent: YamlSource | None = None
    label: str = ""  # logical prefix, e.g. "ConfigMap/llama-stack-config:data.run.yaml"
    meta: dict[str, str] = field(default_factory=dict)  # "view", "rendered" of a render's output

    # -- positions (file_offset, file_end_offset, span_of_indices: MappedText) ----------------------
    def edit(self, start: int, end: int, text: str) -> Edit:
        """Replace `self.text[start:end]` with `text`, as an edit of the file it lives in."""
        return Edit(
            path=self.path,
            start_offset=self.file_offset(start),
            end_offset=self.file_end_offset(end),
            span=self.span_of_indices(start, end),
            text=text,
        )

    def span(self, node: Node) -> Span:
        start = node.start_mark.index
        end = node.end_mark.index
        # block scalars and block collections end after their trailing blank lines: end at the
        # last character of content instead
        if isinstance(node, ScalarNode):
            block = node.style in ("|", ">")
        else:
            block = not (isinstance(node, CollectionNode) and node.flow_style)
        if block:
            end = trim_end(self.text, start, end)
        return self.span_of_indices(start, end)

    def offsets_of(self, node: Node) -> tuple[int, int]:
        """Start and end offsets of a node in the file text."""
        return self.file_offset(node.start_mark.index), self.file_end_offset(node.end_mark.index)

    # -- embedded documents ----------------------------------------------------------------------
    def embedded(self, node: ScalarNode, parent_indent: int, label: str) -> YamlSource:
        """Parse the string value of `node` as YAML, positions mapped back to the file.

        Raises YamlParseError (positioned in the file) when the value is not YAML.
        """
        if len(node.value) > MAX_EMBEDDED_CHARS:
            line, col = self.file_lines.position(self.file_offset(node.start_mark.index))
            raise YamlParseError(
                f"embedded document of {len(node.value):,} characters, over the "
                f"{MAX_EMBEDDED_CHARS:,}-character limit",
                line,
                col,
            )
        try:
            dec = decode_scalar(self.text, node.start_mark.index, parent_indent)
        except ScalarDecodeError as exc:  # never an internal error for the whole run: SA001
            raise YamlParseError(
                f"could not map the embedded document to the file ({exc})", 1, 1
            ) from None
        value = dec.value
        if value != node.value:  # the decoder must agree with the parser; never guess positions
            raise YamlParseError("could not map the embedded document to the file", 1, 1)
        offsets = [self.file_offset(i) for i in dec.src]
        end_offsets = [self.file_offset(end_of_char(dec, i)) for i in range(len(value))]
        try:
            docs = compose_all(value)
        except YamlParseError as exc:
            lines = LineIndex(value)  # the parser's own line breaks (\r, NEL, ... too)
            line = min(max(exc.line, 1), lines.line_count)
            child_index = min(lines.line_start(line) + max(exc.column, 1) - 1, len(value))
            line, col = self.file_lines.position(offsets[min(child_index, len(offsets) - 1)])
            raise YamlParseError(exc.message, line, col) from None
        return YamlSource(
            path=self.path,
            text=value,
            documents=docs,
            file_text=self.file_text,
            file_lines=self.file_lines,
            offsets=offsets,
            end_offsets=end_offsets + [offsets[-1]],
            parent=self,
            label=label,
        )


def template_action(text: str, documents: list[Node] | None) -> tuple[str, int] | None:
    """The first Helm template action that makes `text` a template: (action, index), or None.

    When the text parsed (`documents`), only actions YAML read as structure (a `{{ ... }}` flow
    mapping) or inside a plain scalar count: quoted and block scalars holding template text are
    data (a helmtemplate-generator config, an alert text). When it did not parse, any action outside
    a comment line counts.
    """
    if "{{" not in text:
        return None
    if documents is None:
        for m in HELM_ACTION.finditer(text):
            line_start = text.rfind("\n", 0, m.start()) + 1
            if not text[line_start : m.start()].lstrip().startswith("#"):
                return _action_at(text, m.start()), m.start()
        return None
    best: int | None = None
    seen: set[int] = set()
    stack: list[Node] = list(documents)
    while stack:  # every node once (aliases too), keys included; no `{{` inside: not entered
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if text.find("{{", node.start_mark.index, node.end_mark.index) < 0:
            continue
        i = _template_index(text, node)
        if i is not None and (best is None or i < best):
            best = i
        if isinstance(node, MappingNode):
            stack.extend(n for pair in node.value for n in pair)
        elif isinstance(node, SequenceNode):
            stack.extend(node.value)
    return (_action_at(text, best), best) if best is not None else None


def _template_index(text: str, node: Node) -> int | None:
    start = node.start_mark.index
    if isinstance(node, MappingNode) and node.flow_style and text.startswith("{{", start):
        return start
    if isinstance(node, ScalarNode) and not node.style and "{{" in node.value:
        m = HELM_ACTION.search(text, start, node.end_mark.index)
        return m.start() if m else None
    return None


def _action_at(text: str, index: int) -> str:
    end = text.find("}}", index, index + 200)
    action = text[index : end + 2] if end >= 0 else text[index : index + 40]
    return action if len(action) <= 60 else action[:57] + "..."


def parse_file(path: str, text: str) -> YamlSource:
    return YamlSource(
        path=path,
        text=text,
        documents=compose_all(text),
        file_text=text,
        file_lines=LineIndex(text),
    )


def trim_end(text: str, start: int, end: int) -> int:
    """`end` moved back over trailing spaces, tabs and line breaks (not before `start`)."""
    while end > start and text[end - 1] in " \t\r\n":
        end -= 1
    return end


# -- node helpers -----------------------------------------------------------------------------------
def is_scalar(node: Node | None) -> TypeGuard[ScalarNode]:
    return isinstance(node, ScalarNode)


def items(node: Node | None) -> list[tuple[Node, Node]]:
    return node.value if isinstance(node, MappingNode) else []


def get(node: Node | None, key: str) -> Node | None:
    """The value node of `key` in a mapping (last one wins, as YAML loaders do)."""
    found = None
    if isinstance(node, MappingNode):
        for k, v in node.value:
            if isinstance(k, ScalarNode) and k.value == key:
                found = v
    return found


def get_item(node: Node | None, key: str) -> tuple[Node, Node] | None:
    found = None
    if isinstance(node, MappingNode):
        for k, v in node.value:
            if isinstance(k, ScalarNode) and k.value == key:
                found = (k, v)
    return found


def get_path(node: Node | None, *keys: str) -> Node | None:
    for key in keys:
        node = get(node, key)
        if node is None:
            return None
    return node


def text(node: Node | None) -> str | None:
    """The string value of a scalar node (None for collections, null and absent nodes)."""
    if isinstance(node, ScalarNode):
        if node.tag.endswith(":null") and node.style in (None, ""):
            return None
        value: str = node.value
        return value
    return None


def seq(node: Node | None) -> list[Node]:
    return node.value if isinstance(node, SequenceNode) else []


def is_plain_int(node: Node | None) -> bool:
    return isinstance(node, ScalarNode) and node.tag.endswith(":int") and not node.style


def walk(node: Node, budget: int = MAX_NODES_PER_WALK) -> Iterator[tuple[NodePath, Node]]:
    """Yield (path, node) for every node once (aliases are visited once; bounded)."""
    seen: set[int] = set()
    stack: list[tuple[NodePath, Node]] = [((), node)]
    count = 0
    while stack:
        path, n = stack.pop()
        if id(n) in seen:
            continue
        seen.add(id(n))
        count += 1
        if count > budget:
            return
        yield path, n
        if isinstance(n, MappingNode):
            for k, v in reversed(n.value):
                key = k.value if isinstance(k, ScalarNode) else "?"
                stack.append((path + (key,), v))
        elif isinstance(n, SequenceNode):
            for i in range(len(n.value) - 1, -1, -1):
                stack.append((path + (i,), n.value[i]))


def expanded_size(node: Node, limit: int = MAX_NODES_PER_WALK) -> int | None:
    """How many nodes `node` becomes when every alias is expanded (what converting it to plain
    data builds and a validator then visits), or None if more than `limit` or endless (an alias
    inside its own anchor). Each node is visited once: an alias bomb costs its composed size."""
    sizes: dict[int, int] = {}
    visiting: set[int] = set()
    stack: list[tuple[Node, bool]] = [(node, False)]
    while stack:
        n, children_done = stack.pop()
        key = id(n)
        if children_done:
            visiting.discard(key)
            kids = _children(n)
            total = 1 + sum(sizes[id(k)] for k in kids)
            if total > limit:
                return None
            sizes[key] = total
            continue
        if key in sizes:
            continue
        if key in visiting:
            return None  # a cycle: the expansion never ends
        visiting.add(key)
        stack.append((n, True))
        stack.extend((k, False) for k in _children(n) if id(k) not in sizes)
    return sizes[id(node)]


def _children(n: Node) -> list[Node]:
    if isinstance(n, MappingNode):
        return [x for pair in n.value for x in pair]
    if isinstance(n, SequenceNode):
        return list(n.value)
    return []


def dotted(path: NodePath) -> str:
    out = ""
    for p in path:
        if isinstance(p, int):
            out += f"[{p}]"
        else:
            out += ("." if out else "") + str(p)
    return out
