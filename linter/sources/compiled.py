"""Programs embedded in compiled Kubeflow Pipelines YAML (docs/knowledge.md#kubeflow-pipelines).

KFP v2 (`kfp dsl compile`) stores each lightweight component's program as one command item of its
executor: the item right after the launcher script that writes `ephemeral_component.py`. The
function it runs is the item after `--function_to_execute`. The scalar is double-quoted (sometimes
single-quoted), escaped and `\\`-folded, so it is decoded with a map from every program character
to its index in the file; the program becomes a `PythonSource` whose findings land on the exact
line and column of the YAML file. Executors are found by walking for a `deploymentSpec.executors`
mapping, so the IR document, the Kubernetes-manifest variant (`spec.pipelineSpec`) and any other
nesting work alike. KFP v1 (Argo `Workflow`) programs sit in literal blocks after a
`program_path=$(mktemp)` launcher, or after `python3 -u -c`.
"""

from __future__ import annotations

from dataclasses import dataclass

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from linter.model import Span
from linter.sources import yaml as y
from linter.sources.python import PythonSource, PythonSyntaxError, load_python
from linter.sources.yamlscalar import (
    DecodedScalar,
    ScalarDecodeError,
    decode_scalar,
    end_of_char,
)

V2_MARKER = "ephemeral_component.py"
V1_MARKERS = ("program_path", "$0")
FUNCTION_FLAG = "--function_to_execute"
#: Cheap test on the raw text before any walking.
TEXT_MARKERS = (V2_MARKER, "program_path", "-u\n")


@dataclass
class CompiledProgram:
    """One executor's program in a compiled pipeline."""

    yaml: y.YamlSource
    executor: str  # exec-<name> (v2) or the Argo template name (v1)
    function: str | None  # --function_to_execute (v2); None for v1 programs
    node: ScalarNode  # the program scalar
    sequence: SequenceNode  # the command/args sequence holding it
    decoded: DecodedScalar
    program: PythonSource
    kfp_format: str  # "v2" | "v1"
    logical: str  # e.g. deploymentSpec.executors.exec-x.container.command[6]

    @property
    def path(self) -> str:
        return self.yaml.path

    def span(self, start: int, end: int) -> Span:
        """File span of program characters [start, end)."""
        return self.program.span_of_indices(start, end)

    @property
    def def_index(self) -> int | None:
        """Index in the program of the `def <function>(` line, if there is one."""
        if not self.function:
            return None
        text = self.program.text
        needle = f"def {self.function}("
        at = 0 if text.startswith(needle) else text.find("\n" + needle)
        if at < 0:
            return None
        return at if text.startswith(needle) else at + 1


def may_hold_programs(text: str) -> bool:
    """The cheap test: only a text holding one of these can embed a compiled component."""
    return any(m in text for m in TEXT_MARKERS)


def find_programs(source: y.YamlSource) -> list[CompiledProgram]:
    """Every embedded program of a compiled pipeline file (empty for any other YAML)."""
    if source.parent is not None or not may_hold_programs(source.text):
        return []
    out: list[CompiledProgram] = []
    for doc in source.documents:
        for path, node in y.walk(doc):
            if not isinstance(node, MappingNode):
                continue
            executors = y.get_path(node, "deploymentSpec", "executors")
            if isinstance(executors, MappingNode):
                base = y.dotted(path + ("deploymentSpec", "executors"))
                out.extend(_v2_programs(source, executors, base))
            elif _is_argo_workflow(node):
                out.extend(_v1_programs(source, node))
    return out


def _is_argo_workflow(node: MappingNode) -> bool:
    return y.text(y.get(node, "kind")) == "Workflow" and (
        y.text(y.get(node, "apiVersion")) or ""
    ).startswith("argoproj.io/")


def _v2_programs(source: y.YamlSource, executors: MappingNode, base: str) -> list[CompiledProgram]:
    out = []
    for key, executor in y.items(executors):
        container = y.get(executor, "container")
        name = y.text(key) or ""
        found = _program_in_container(source, container, V2_MARKER)
        if found is None:
            continue
        seq_node, field, index = found
        function = _function_name(container)
        logical = f"{base}.{name}.container.{field}[{index}]"
        prog = _build(source, seq_node, seq_node.value[index], name, function, "v2", logical)
        if prog is not None:
            out.append(prog)
    return out


def _v1_programs(source: y.YamlSource, workflow: MappingNode) -> list[CompiledProgram]:
    out = []
    for i, template in enumerate(y.seq(y.get_path(workflow, "spec", "templates"))):
        container = y.get(template, "container")
        name = y.text(y.get(template, "name")) or f"templates[{i}]"
        found = _program_in_container(source, container, V2_MARKER)
        kfp_format = "v2"
        if found is None:
            found = _program_in_container(source, container, None)
            kfp_format = "v1"
        if found is None:
            continue
        seq_node, field, index = found
        function = _function_name(container) if kfp_format == "v2" else None
        logical = f"spec.templates[{i}].container.{field}[{index}]"
        prog = _build(source, seq_node, seq_node.value[index], name, function, kfp_format, logical)
        if prog is not None:
            out.append(prog)
    return out


def _container_items(container: Node | None) -> list[tuple[SequenceNode, str, int, Node]]:
    items: list[tuple[SequenceNode, str, int, Node]] = []
    for field in ("command", "args"):
        seq_node = y.get(container, field)
        if isinstance(seq_node, SequenceNode):
            items.extend((seq_node, field, i, n) for i, n in enumerate(seq_node.value))
    return items


def _program_in_container(
    source: y.YamlSource, container: Node | None, marker: str | None
) -> tuple[SequenceNode, str, int] | None:
    """(sequence, field, index) of the item after the launcher (command and args run as one)."""
    items = _container_items(container)
    for pos, (_, _, _, node) in enumerate(items[:-1]):
        value = y.text(node) or ""
        if marker is not None:
            hit = marker in value
        else:
            hit = (
                (all(m in value for m in V1_MARKERS) and "mktemp" in value)
                or value == "-c"
                and (pos >= 1 and (y.text(items[pos - 1][3]) or "") == "-u")
            )
        if hit:
            seq_node, field, index, prog = items[pos + 1]
            if isinstance(prog, ScalarNode):
                return seq_node, field, index
    return None


def _function_name(container: Node | None) -> str | None:
    values = [y.text(n) for _, _, _, n in _container_items(container)]
    for i, value in enumerate(values[:-1]):
        if value == FUNCTION_FLAG:
            return values[i + 1]
    return None


def _build(
    source: y.YamlSource,
    seq_node: SequenceNode,
    node: ScalarNode,
    executor: str,
    function: str | None,
    kfp_format: str,
    logical: str,
) -> CompiledProgram | None:
    """Decode the scalar with positions and parse it; None when it is not a Python program."""
    try:
        dec = decode_scalar(
            source.text,
            node.start_mark.index,
            seq_node.start_mark.column,
            flow=bool(seq_node.flow_style),
        )
    except ScalarDecodeError:
        return None
    if dec.value != node.value:  # the decoder must agree with the parser; never guess positions
        return None
    offsets = [source.file_offset(i) for i in dec.src]
    ends = [source.file_offset(end_of_char(dec, i)) for i in range(len(dec.value))]
    try:
        program = load_python(source.path, dec.value)
    except PythonSyntaxError:
        return None
    program.file_text = source.file_text
    program.file_lines = source.file_lines  # the YAML file's index, not a new one per program
    program.offsets = offsets
    program.end_offsets = ends + [offsets[-1]]
    program.label = logical
    program.meta = {"executor": executor, "function": function, "kfp_format": kfp_format}
    return CompiledProgram(
        yaml=source,
        executor=executor,
        function=function,
        node=node,
        sequence=seq_node,
        decoded=dec,
        program=program,
        kfp_format=kfp_format,
        logical=logical,
    )


def reemit_program(prog: CompiledProgram, new_value: str) -> tuple[int, int, str]:
    """(start, end, text): file offsets of the program scalar and its PyYAML re-emission.

    The scalar is written again the way `yaml.dump_all` writes it (PyYAML's emitter, as kfp calls it): same
    start column, continuation lines at the original indent, style chosen by PyYAML's analysis,
    so splicing gives what `kfp dsl compile` writes for the changed program.
    """
    from linter.sources.yamlscalar import (
        choose_quoted_style,
        emit_double_quoted,
        emit_single_quoted,
    )

    source = prog.yaml
    start = source.file_offset(prog.node.start_mark.index)
    end = source.file_offset(prog.decoded.end)
    column = prog.node.start_mark.column
    indent = _continuation_indent(source.file_text, start, end, column)
    line_break = "\r\n" if "\r\n" in source.file_text[start:end] else "\n"
    style = choose_quoted_style(new_value)
    if style == "'":
        text = emit_single_quoted(new_value, column, indent, line_break=line_break)
    else:
        text = emit_double_quoted(new_value, column, indent, line_break=line_break)
    return start, end, text


def _continuation_indent(text: str, start: int, end: int, column: int) -> int:
    """Leading spaces of the first non-empty continuation line of the raw scalar."""
    raw = text[start:end]
    for line in raw.splitlines()[1:]:
        stripped = line.lstrip(" ")
        if stripped:
            return len(line) - len(stripped)
    return column
