"""Helm values with positions: which file and line set each value, merged the way Helm merges them.

A values tree is kept twice, side by side: `data` (plain JSON-able values, what the engine gets) and
`prov` (the same shape, with a `Leaf` at each scalar: the node that set it, in which file). Merging
follows Helm: maps merge key by key, anything else is replaced, and a null set by the user deletes
the chart's default (https://helm.sh/docs/chart_template_guide/values_files/ "Deleting a default
key"). Nothing here imports PyYAML's constructors: values are read from composed nodes, so tags
never build objects.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from linter.render.origins import Place
from linter.sources import yaml as y

MAX_LEAVES = 20_000  # per values tree: bounds alias bombs and giant values files


@dataclass(frozen=True, slots=True)
class Leaf:
    """A scalar value and where it is written."""

    place: Place  # the scalar node in a repository file
    text: str  # how a template prints it
    verbatim_at: int | None  # file offset where `text` is written character for character
    priority: int


@dataclass
class Positioned:
    """Values as plain data, with a parallel tree of `Leaf` provenance."""

    data: Any
    prov: Any


def empty() -> Positioned:
    return Positioned({}, {})


def from_node(source: y.YamlSource, node: Node | None, priority: int, message: str) -> Positioned:
    """Values read from a composed YAML node of `source` (a file or an embedded document)."""
    budget = [MAX_LEAVES]
    if node is None:
        return empty()
    data, prov = _convert(source, node, priority, message, budget, 0)
    return Positioned(data, prov)


def _convert(
    source: y.YamlSource, node: Node, priority: int, message: str, budget: list[int], depth: int
) -> tuple[Any, Any]:
    budget[0] -= 1
    if budget[0] < 0 or depth > 100:
        return None, None
    if isinstance(node, MappingNode):
        data: dict[str, Any] = {}
        prov: dict[str, Any] = {}
        for k, v in node.value:
            if not isinstance(k, ScalarNode):
                continue
            if k.value == "<<":  # a merge key: the merged mapping's keys, overridden by these
                for src in v.value if isinstance(v, SequenceNode) else [v]:
                    if isinstance(src, MappingNode):
                        d, p = _convert(source, src, priority, message, budget, depth + 1)
                        for key in d:
                            data.setdefault(key, d[key])
                            prov.setdefault(key, p[key])
                continue
            d, p = _convert(source, v, priority, message, budget, depth + 1)
            data[k.value] = d
            prov[k.value] = p
        return data, prov
    if isinstance(node, SequenceNode):
        pairs = [_convert(source, v, priority, message, budget, depth + 1) for v in node.value]
        return [d for d, _ in pairs], [p for _, p in pairs]
    if isinstance(node, ScalarNode):
        value = scalar_value(node)
        start, end = source.offsets_of(node)
        raw = source.file_text[start:end]
        text = go_text(value)
        verbatim = None
        if text is not None:
            if raw == text:
                verbatim = start
            elif len(raw) >= 2 and raw[0] in "'\"" and raw[-1] == raw[0] and raw[1:-1] == text:
                verbatim = start + 1
        leaf = Leaf(Place(source.path, start, end, message), text or "", verbatim, priority)
        return value, leaf
    return None, None


#: Plain words Helm's YAML parser (go-yaml v2 through sigs.k8s.io/yaml: YAML 1.1) reads as booleans.
YAML11_BOOLS = {
    **dict.fromkeys(("y", "Y", "yes", "Yes", "YES", "on", "On", "ON"), True),
    **dict.fromkeys(("n", "N", "no", "No", "NO", "off", "Off", "OFF"), False),
}


def scalar_value(node: ScalarNode) -> Any:
    """A scalar as Helm reads a values file: YAML 1.2 core types, plus YAML 1.1's yes/no/on/off."""
    tag = node.tag or ""
    value = node.value
    if node.style:
        return value
    if tag.endswith(":null"):
        return None
    if tag.endswith(":bool"):
        return value.lower() == "true"
    if value in YAML11_BOOLS:
        return YAML11_BOOLS[value]
    if tag.endswith(":int"):
        try:
            low = value.lower().lstrip("+-")
            sign = -1 if value.startswith("-") else 1
            if low.startswith("0x"):
                return sign * int(low[2:], 16)
            if low.startswith("0o"):
                return sign * int(low[2:], 8)
            return int(value, 10)
        except ValueError:
            return value
    if tag.endswith(":float"):
        try:
            return float(value.replace(".inf", "inf").replace(".Inf", "inf").replace(".nan", "nan"))
        except ValueError:
            return value
    return value


def go_text(value: Any) -> str | None:
    """How `{{ .Values.x }}` prints a value (None: not a scalar, or a form not worth matching)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e21:
            return str(int(value))
        return None
    if isinstance(value, str):
        return value
    return None


# -- merging ----------------------------------------------------------------------------------------
def overlay(base: Positioned, top: Positioned, keep_nulls: bool) -> Positioned:
    """`top` over `base`: maps merge, the rest is replaced. A null in `top` deletes the key unless
    `keep_nulls` (user values are merged among themselves first, nulls kept for Helm to apply)."""
    data, prov = _overlay(base.data, base.prov, top.data, top.prov, keep_nulls)
    return Positioned(data, prov)


def _overlay(bd: Any, bp: Any, td: Any, tp: Any, keep_nulls: bool) -> tuple[Any, Any]:
    if isinstance(bd, dict) and isinstance(td, dict):
        data = dict(bd)
        prov = dict(bp) if isinstance(bp, dict) else {}
        for k, v in td.items():
            if v is None and not keep_nulls:
                data.pop(k, None)
                prov.pop(k, None)
                continue
            if k in data:
                data[k], prov[k] = _overlay(data[k], prov.get(k), v, tp.get(k), keep_nulls)
            else:
                data[k], prov[k] = v, tp.get(k)
        return data, prov
    return td, tp


def at_path(values: Positioned, keys: tuple[str, ...]) -> Positioned | None:
    data, prov = values.data, values.prov
    for k in keys:
        if not isinstance(data, dict) or k not in data:
            return None
        data, prov = data[k], prov.get(k) if isinstance(prov, dict) else None
    return Positioned(data, prov)


def leaves(prov: Any, limit: int = MAX_LEAVES) -> list[Leaf]:
    out: list[Leaf] = []
    stack = [prov]
    while stack and len(out) < limit:
        p = stack.pop()
        if isinstance(p, Leaf):
            out.append(p)
        elif isinstance(p, dict):
            stack.extend(p.values())
        elif isinstance(p, list):
            stack.extend(p)
    return out


# -- `--set` style parameters -----------------------------------------------------------------------
_INDEX = re.compile(r"^(.*)\[(\d+)\]$")


def set_path(name: str) -> list[str | int] | None:
    """Helm's `--set` key syntax: `a.b`, `a\\.b` (a dot in a key), `list[0].x`."""
    parts: list[str | int] = []
    for raw in re.split(r"(?<!\\)\.", name):
        key = raw.replace("\\.", ".")
        indexes: list[int] = []
        m = _INDEX.match(key)
        while m:
            indexes.insert(0, int(m.group(2)))
            key = m.group(1)
            m = _INDEX.match(key)
        if not key:
            return None
        parts.append(key)
        parts.extend(indexes)
    return parts or None


def typed_set_value(text: str, force_string: bool) -> Any:
    """A `--set` value as Helm types it: true/false, integers, null; else a string."""
    if force_string:
        return text
    if text in ("true", "false"):
        return text == "true"
    if text == "null":
        return None
    if re.fullmatch(r"-?[0-9]+", text) and not (
        len(text.lstrip("-")) > 1 and text.lstrip("-")[0] == "0"
    ):
        return int(text)
    return text


def single(path: list[str | int], value: Any, leaf: Leaf | None) -> Positioned:
    """A values tree holding one value at `path` (lists padded with nulls, as Helm does)."""
    data: Any = value
    prov: Any = leaf
    for key in reversed(path):
        if isinstance(key, int):
            data = [None] * key + [data]
            prov = [None] * key + [prov]
        else:
            data = {key: data}
            prov = {key: prov}
    return Positioned(data, prov)
