"""kustomize overlays, built in Python: the subset GitOps repositories use (there is no kustomize
binary to call, and its output would carry no positions).

Each kustomization that transforms what it includes (`images`, `patches`, `patchesStrategicMerge`,
`patchesJson6902`, `namespace`, `namePrefix`, `nameSuffix`, a `configMapGenerator` with
`behavior: replace|merge`) is built into a view of its own:
- `resources` (and the old `bases`): YAML files and folders with a kustomization, built first (a
  base's own transformations apply to it); remote bases (URLs) are not fetched (SA004 note);
- `configMapGenerator`: `files` (`key=path` or `path`), `literals`, `behavior` create/replace/merge;
  names get no content hash (kustomize appends one unless `generatorOptions.disableNameSuffixHash`;
  references are matched by the name as written);
- patches in kustomize's order: strategic merge (maps merge, `containers`/`env`/`volumes`/... merge
  by name, `$patch: delete|replace`, null deletes), then `patches` (strategic merge or JSON 6902,
  `target` by kind/name/namespace), then `namespace` (not on cluster-scoped kinds), `namePrefix`/
  `nameSuffix` (names, and the ConfigMap and Secret references of built-in workloads, as kustomize
  updates them; a LlamaStackDistribution's `userConfig.configMapName` is a custom resource field
  kustomize leaves alone, and so does stackalign), then JSON 6902 (`patchesJson6902`), then `images`
  (`newName`, `newTag`, `digest`) on `containers[]`/`initContainers[]` images, and on the fields a
  `configurations:` file lists under `images:` (how a LlamaStackDistribution's
  `spec.server.distribution.image` is retagged: kustomize does not touch it otherwise).
Other fields (`replacements`, `components`, `helmCharts`, `vars`, ...) are not applied: a note says
so. Reference: https://kubectl.docs.kubernetes.io/references/kustomize/kustomization/

The build's output is emitted as YAML text whose every character keeps its origin (origins.py): a
value an overlay set points at the overlay line, with the base line as a related location.
"""

from __future__ import annotations

import json
import os
import posixpath
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from linter import readlog
from linter.discovery import RealPaths
from linter.render.origins import BASE, OVERRIDE, Origin, Place, RenderedText, Segment
from linter.sources import yaml as y

if TYPE_CHECKING:
    from linter.discovery import DiscoveredFile
    from linter.render import RenderState
    from linter.workspace import Workspace

TRANSFORMING = (
    "images",
    "patches",
    "patchesStrategicMerge",
    "patchesJson6902",
    "namespace",
    "namePrefix",
    "nameSuffix",
)
IGNORED = (
    "replacements",
    "components",
    "helmCharts",
    "helmChartInflationGenerator",
    "vars",
    "transformers",
    "generators",
)
CLUSTER_SCOPED = frozenset(
    {
        "Namespace",
        "ClusterRole",
        "ClusterRoleBinding",
        "CustomResourceDefinition",
        "StorageClass",
        "PersistentVolume",
        "PriorityClass",
        "ValidatingWebhookConfiguration",
        "MutatingWebhookConfiguration",
        "APIService",
        "ClusterIssuer",
        "SecurityContextConstraints",
        "ConsoleLink",
        "DataScienceCluster",
        "DSCInitialization",
    }
)
MERGE_KEYS = {
    "containers": "name",
    "initContainers": "name",
    "env": "name",
    "envFrom": None,
    "volumes": "name",
    "volumeMounts": "mountPath",
    "ports": "containerPort",
    "imagePullSecrets": "name",
}
MAX_DEPTH = 20
KUSTOMIZATION_NAMES = ("kustomization.yaml", "kustomization.yml", "Kustomization")


class BuildError(Exception):
    pass


# -- an object tree that remembers where each scalar came from ----------------------------------------
@dataclass
class Piece:
    text: str
    offsets: list[int] | None  # file offset of each character (None: not from a file's text)
    place: Place
    priority: int
    related: tuple[Place, ...] = ()


@dataclass
class KScalar:
    pieces: list[Piece]
    tag: str  # str | int | float | bool | null

    @property
    def value(self) -> str:
        return "".join(p.text for p in self.pieces)

    @property
    def place(self) -> Place:
        return max(self.pieces, key=lambda p: p.priority).place if self.pieces else Place("", 0, 0)


@dataclass
class KMap:
    items: list[tuple[KScalar, Any]]
    place: Place

    def get(self, key: str) -> Any:
        for k, v in self.items:
            if k.value == key:
                return v
        return None

    def set(self, key: KScalar, value: Any) -> None:
        for i, (k, _) in enumerate(self.items):
            if k.value == key.value:
                self.items[i] = (k, value)
                return
        self.items.append((key, value))

    def remove(self, key: str) -> None:
        self.items = [(k, v) for k, v in self.items if k.value != key]


@dataclass
class KSeq:
    items: list[Any]
    place: Place


def to_tree(source: y.YamlSource, node: Node, priority: int, parent_indent: int = -1) -> Any:
    """A composed node as a KMap/KSeq/KScalar tree with positions in `source`'s file."""
    start, end = source.offsets_of(node)
    place = Place(source.path, start, end)
    if isinstance(node, MappingNode):
        items = []
        for k, v in node.value:
            if isinstance(k, ScalarNode):
                items.append(
                    (
                        _scalar(source, k, priority, node.start_mark.column),
                        to_tree(source, v, priority, node.start_mark.column),
                    )
                )
        return KMap(items, place)
    if isinstance(node, SequenceNode):
        return KSeq(
            [to_tree(source, v, priority, node.start_mark.column) for v in node.value], place
        )
    if isinstance(node, ScalarNode):
        return _scalar(source, node, priority, parent_indent)
    return KScalar([], "null")


def _scalar(source: y.YamlSource, node: ScalarNode, priority: int, parent_indent: int) -> KScalar:
    from linter.sources.yamlscalar import ScalarDecodeError, decode_scalar

    start, end = source.offsets_of(node)
    place = Place(source.path, start, end)
    value = node.value
    offsets: list[int] | None = None
    raw = source.file_text[start:end]
    if raw == value:
        offsets = list(range(start, end))
    elif len(raw) >= 2 and raw[0] in "'\"" and raw[-1] == raw[0] and raw[1:-1] == value:
        offsets = list(range(start + 1, end - 1))
    elif node.style in ("|", ">") or "\n" in value:
        try:
            dec = decode_scalar(source.text, node.start_mark.index, max(parent_indent, -1))
            if dec.value == value:
                offsets = [source.file_offset(i) for i in dec.src]
        except (ScalarDecodeError, IndexError):
            offsets = None
    tag = "str"
    if not node.style:
        t = node.tag or ""
        tag = next((n for n in ("int", "float", "bool", "null") if t.endswith(":" + n)), "str")
    return KScalar([Piece(value, offsets, place, priority)], tag)


def new_scalar(
    text: str,
    place: Place,
    priority: int,
    offsets: list[int] | None = None,
    related: tuple[Place, ...] = (),
) -> KScalar:
    return KScalar([Piece(text, offsets, place, priority, related)], "str")


def _text(node: Any) -> str | None:
    return node.value if isinstance(node, KScalar) and node.tag != "null" else None


def _path_get(node: Any, *keys: str) -> Any:
    for k in keys:
        node = node.get(k) if isinstance(node, KMap) else None
    return node


def _identity(obj: KMap) -> tuple[str, str, str]:
    meta = obj.get("metadata")
    return (
        _text(obj.get("kind")) or "",
        _text(_path_get(meta, "name")) or "",
        _text(_path_get(meta, "namespace")) or "",
    )


# -- building ------------------------------------------------------------------------------------------
@dataclass
class Builder:
    root: Path
    cwd: Path
    texts: dict[str, str]
    used: set[str] = field(default_factory=set)  # kustomization folders built as part of another
    parsed: dict[str, y.YamlSource] = field(default_factory=dict)  # each input file read once
    relevant: set[str] | None = None  # files whose objects are kept (None: every file)
    skipped: int = 0  # objects left out of builds (no trigger in their file)
    touched: set[int] = field(
        default_factory=set
    )  # ids of objects a patch, image or generator changed
    input_sets: dict[str, set[str]] = field(default_factory=dict)  # folder -> inputs()
    kustomizations: dict[str, tuple[y.YamlSource, MappingNode] | BuildError] = field(
        default_factory=dict
    )
    real: RealPaths = field(default_factory=RealPaths)  # symlinks resolved, once per folder

    def display(self, p: Path) -> str:
        from linter.discovery import display_path

        return display_path(p, self.cwd)

    def _inside(self, path: Path) -> bool:
        """Whether `path`, symlinks resolved, is a file under the repository's root."""
        try:
            root, real = self.real(os.fspath(self.root)), self.real(os.fspath(path))
        except (OSError, ValueError):
            return False
        return real == root or real.startswith(root if root.endswith(os.sep) else root + os.sep)

    def source(self, path: Path) -> y.YamlSource:
        key = str(path)
        if key in self.parsed:
            return self.parsed[key]
        if not self._inside(path) or not readlog.is_file(path):
            raise BuildError(f"{self.display(path)} is not a file of the repository")
        rel = self.display(path)
        try:
            text = path.read_text(encoding="utf-8-sig")
            src = y.parse_file(rel, text)
        except (OSError, UnicodeDecodeError) as exc:
            raise BuildError(f"cannot read {rel}: {exc}") from None
        except y.YamlParseError as exc:
            raise BuildError(f"{rel}:{exc.line}:{exc.column}: {exc.message}") from None
        self.texts.setdefault(rel, text)
        self.parsed[key] = src
        return src

    def inputs(self, folder: Path, depth: int = 0) -> set[str]:
        """Display paths of the files a build of `folder` reads (best effort, without building).
        Once per folder: overlays share their bases, and a tree has hundreds of them."""
        key = str(folder)
        known = self.input_sets.get(key)
        if known is None:
            self.input_sets[key] = set()  # a folder that includes itself adds nothing more
            known = self.input_sets[key] = self._inputs(folder, depth)
        return known

    def _inputs(self, folder: Path, depth: int) -> set[str]:
        out: set[str] = set()
        try:
            src, k = self.kustomization(folder)
        except BuildError:
            return out
        out.add(src.path)
        for key in ("resources", "bases", "patchesStrategicMerge", "configurations"):
            for entry in y.seq(y.get(k, key)):
                ref = y.text(entry) or ""
                if "\n" in ref or re.match(r"^[a-z]+://", ref):
                    continue
                target = (folder / ref).resolve()
                if readlog.is_dir(target) and depth < MAX_DEPTH:
                    out |= self.inputs(target, depth + 1)
                else:
                    out.add(self.display(target))
        for key in ("patches", "patchesJson6902"):
            for entry in y.seq(y.get(k, key)):
                patch_path = y.text(y.get(entry, "path"))
                if patch_path:
                    out.add(self.display((folder / patch_path).resolve()))
        for gen in y.seq(y.get(k, "configMapGenerator")):
            for f in y.seq(y.get(gen, "files")):
                spec = y.text(f) or ""
                out.add(
                    self.display((folder / spec.partition("=")[2 if "=" in spec else 0]).resolve())
                )
        return out

    def kustomization(self, folder: Path) -> tuple[y.YamlSource, MappingNode]:
        key = str(folder)
        known = self.kustomizations.get(key)
        if known is None:
            try:
                known = self._kustomization(folder)
            except BuildError as exc:
                known = exc
            self.kustomizations[key] = known
        if isinstance(known, BuildError):
            raise known
        return known

    def _kustomization(self, folder: Path) -> tuple[y.YamlSource, MappingNode]:
        for name in KUSTOMIZATION_NAMES:
            if readlog.is_file(folder / name):
                src = self.source(folder / name)
                doc = src.documents[0] if src.documents else None
                if not isinstance(doc, MappingNode):
                    raise BuildError(f"{src.path} is not a mapping")
                return src, doc
        raise BuildError(f"{self.display(folder)} has no kustomization.yaml")

    def build(self, folder: Path, depth: int = 0, stack: tuple[Path, ...] = ()) -> list[KMap]:
        if depth > MAX_DEPTH or folder in stack:
            raise BuildError(f"{self.display(folder)} includes itself")
        src, k = self.kustomization(folder)
        out: list[KMap] = []
        for entry in y.seq(y.get(k, "resources")) + y.seq(y.get(k, "bases")):
            ref = y.text(entry) or ""
            if re.match(r"^[a-z]+://|^git@|^github\.com/", ref):
                raise BuildError(f"remote resource {ref} (stackalign does not fetch it)")
            target = (folder / ref).resolve()
            if readlog.is_dir(target):
                self.used.add(str(target))
                out.extend(self.build(target, depth + 1, (*stack, folder)))
            else:
                if self.relevant is not None and self.display(target) not in self.relevant:
                    self.skipped += 1  # no rule's trigger in it: not read, not built
                    continue
                rsrc = self.source(target)
                keep = True
                for doc in rsrc.documents:
                    kind = y.text(y.get(doc, "kind"))
                    if not kind:
                        continue
                    if not keep or kind == "CustomResourceDefinition":
                        self.skipped += 1  # no rule looks at it: not converted, not emitted
                        continue
                    tree = to_tree(rsrc, doc, BASE)
                    if isinstance(tree, KMap):
                        out.append(tree)
        out = self._generators(src, k, folder, out)
        for entry in y.seq(y.get(k, "patchesStrategicMerge")):
            self._smp_entry(src, entry, folder, out, None)
        for entry in y.seq(y.get(k, "patches")):
            self._patch_entry(src, entry, folder, out)
        self._namespace(src, k, out)
        self._names(src, k, out)
        for entry in y.seq(y.get(k, "patchesJson6902")):
            self._json_entry(src, entry, folder, out)
        self._images(src, k, folder, out)
        return out

    # -- generators --------------------------------------------------------------------------
    def _generators(
        self, src: y.YamlSource, k: MappingNode, folder: Path, out: list[KMap]
    ) -> list[KMap]:
        for gen in y.seq(y.get(k, "configMapGenerator")):
            name_node = y.get(gen, "name")
            name = y.text(name_node) or ""
            behavior = y.text(y.get(gen, "behavior")) or "create"
            data: list[tuple[KScalar, Any]] = []
            for f in y.seq(y.get(gen, "files")):
                spec = y.text(f) or ""
                key, _, rel = spec.partition("=") if "=" in spec else ("", "", spec)
                fsrc = self.source((folder / rel).resolve())
                key_scalar = new_scalar(key or posixpath.basename(rel), _place(src, f), BASE)
                text = fsrc.text
                value = KScalar(
                    [Piece(text, list(range(len(text))), Place(fsrc.path, 0, len(text)), BASE)],
                    "str",
                )
                data.append((key_scalar, value))
            for lit in y.seq(y.get(gen, "literals")):
                spec = y.text(lit) or ""
                key, _, val = spec.partition("=")
                start, _ = src.offsets_of(lit)
                raw = src.file_text[start : start + len(spec)]
                offs = list(range(start + len(key) + 1, start + len(spec))) if raw == spec else None
                data.append(
                    (
                        new_scalar(key, _place(src, lit), BASE),
                        new_scalar(val, _place(src, lit), BASE, offs),
                    )
                )
            existing = [o for o in out if _identity(o)[:2] == ("ConfigMap", name)]
            if behavior in ("replace", "merge") and existing:
                target = existing[0]
                current = target.get("data")
                if behavior == "replace" or not isinstance(current, KMap):
                    current = KMap([], _place(src, gen))
                for key_scalar, value in data:
                    current.set(key_scalar, value)
                target.set(new_scalar("data", _place(src, gen), BASE), current)
                self.touched.add(id(target))
                continue
            meta = KMap(
                [(new_scalar("name", _place(src, gen), BASE), _copy_scalar(src, name_node, name))],
                _place(src, gen),
            )
            obj = KMap(
                [
                    (
                        new_scalar("apiVersion", _place(src, gen), BASE),
                        new_scalar("v1", _place(src, gen), BASE),
                    ),
                    (
                        new_scalar("kind", _place(src, gen), BASE),
                        new_scalar("ConfigMap", _place(src, gen), BASE),
                    ),
                    (new_scalar("metadata", _place(src, gen), BASE), meta),
                    (new_scalar("data", _place(src, gen), BASE), KMap(data, _place(src, gen))),
                ],
                _place(src, gen),
            )
            out.append(obj)
            self.touched.add(id(obj))
        return out

    # -- patches -----------------------------------------------------------------------------
    def _patch_docs(
        self, src: y.YamlSource, entry: Node, folder: Path
    ) -> list[tuple[y.YamlSource, Node]]:
        if y.is_scalar(entry):  # patchesStrategicMerge: a file name or an inline YAML string
            spec = y.text(entry) or ""
            if "\n" in spec:
                child = src.embedded(entry, -1, "patch")
                return [(child, d) for d in child.documents]
            psrc = self.source((folder / spec).resolve())
            return [(psrc, d) for d in psrc.documents]
        path = y.text(y.get(entry, "path"))
        if path:
            psrc = self.source((folder / path).resolve())
            return [(psrc, d) for d in psrc.documents]
        inline = y.get(entry, "patch")
        if y.is_scalar(inline):
            child = src.embedded(inline, entry.start_mark.column, "patch")
            return [(child, d) for d in child.documents]
        return []

    def _smp_entry(
        self, src: y.YamlSource, entry: Node, folder: Path, out: list[KMap], target: Node | None
    ) -> None:
        for psrc, doc in self._patch_docs(src, entry, folder):
            patch = to_tree(psrc, doc, OVERRIDE)
            if isinstance(patch, KSeq):
                self._json_ops(psrc, patch, _select(out, target), psrc.path)
                continue
            if not isinstance(patch, KMap):
                continue
            matches = (
                _select(out, target)
                if target is not None
                else [o for o in out if _same_object(o, patch)]
            )
            if not matches and not self.skipped:
                kind, name, _ = _identity(patch)
                raise BuildError(f"patch {psrc.path} matches no object ({kind}/{name})")
            for obj in matches:
                self.touched.add(id(obj))
                _merge(obj, patch)

    def _patch_entry(self, src: y.YamlSource, entry: Node, folder: Path, out: list[KMap]) -> None:
        self._smp_entry(src, entry, folder, out, y.get(entry, "target"))

    def _json_entry(self, src: y.YamlSource, entry: Node, folder: Path, out: list[KMap]) -> None:
        target = y.get(entry, "target")
        for psrc, doc in self._patch_docs(src, entry, folder):
            ops = to_tree(psrc, doc, OVERRIDE)
            if isinstance(ops, KSeq):
                self._json_ops(psrc, ops, _select(out, target), psrc.path)

    def _json_ops(self, psrc: y.YamlSource, ops: KSeq, objects: list[KMap], where: str) -> None:
        for op in ops.items:
            kind = _text(_path_get(op, "op"))
            path = _text(_path_get(op, "path")) or ""
            value = _path_get(op, "value")
            for obj in objects:
                self.touched.add(id(obj))
                _json_op(obj, kind or "", path, value)

    # -- names, namespace, images ------------------------------------------------------------------
    def _namespace(self, src: y.YamlSource, k: MappingNode, out: list[KMap]) -> None:
        node = y.get(k, "namespace")
        if not y.is_scalar(node) or not node.value:
            return
        for obj in out:
            if (_text(obj.get("kind")) or "") in CLUSTER_SCOPED:
                continue
            meta = obj.get("metadata")
            if isinstance(meta, KMap):
                meta.set(
                    new_scalar("namespace", _place(src, node), OVERRIDE),
                    _copy_scalar(src, node, node.value),
                )

    def _names(self, src: y.YamlSource, k: MappingNode, out: list[KMap]) -> None:
        prefix, suffix = y.get(k, "namePrefix"), y.get(k, "nameSuffix")
        prefix_text, suffix_text = y.text(prefix), y.text(suffix)
        if not (prefix_text or suffix_text):
            return
        renamed: dict[tuple[str, str], KScalar] = {}
        for obj in out:
            kind = _text(obj.get("kind")) or ""
            if kind in ("Namespace", "CustomResourceDefinition"):
                continue
            meta = obj.get("metadata")
            name = meta.get("name") if isinstance(meta, KMap) else None
            if not isinstance(name, KScalar):
                continue
            pieces = []
            if prefix_text:
                pieces += _copy_scalar(src, prefix, prefix_text).pieces
            pieces += name.pieces
            if suffix_text:
                pieces += _copy_scalar(src, suffix, suffix_text).pieces
            new = KScalar(pieces, "str")
            renamed[(kind, name.value)] = new
            meta.set(new_scalar("name", name.place, BASE), new)
        for obj in out:  # references kustomize updates in built-in workloads
            for holder, key, kind in _name_references(obj):
                old = holder.get(key)
                if isinstance(old, KScalar) and (kind, old.value) in renamed:
                    holder.set(new_scalar(key, old.place, BASE), renamed[(kind, old.value)])

    def _images(self, src: y.YamlSource, k: MappingNode, folder: Path, out: list[KMap]) -> None:
        entries = y.seq(y.get(k, "images"))
        if not entries:
            return
        specs = self._image_field_specs(k, folder)
        for obj in out:
            for holder, key in _image_fields(obj, specs):
                current = holder.get(key)
                if not isinstance(current, KScalar):
                    continue
                for entry in entries:
                    new = _retag(src, entry, current)
                    if new is not None:
                        self.touched.add(id(obj))
                        holder.set(new_scalar(key, current.place, BASE), new)
                        break

    def _image_field_specs(self, k: MappingNode, folder: Path) -> list[tuple[str, list[str]]]:
        """(kind or "", path) of image fields listed in `configurations:` files."""
        out = []
        for entry in y.seq(y.get(k, "configurations")):
            try:
                csrc = self.source((folder / (y.text(entry) or "")).resolve())
            except BuildError:
                continue
            for doc in csrc.documents:
                for spec in y.seq(y.get(doc, "images")):
                    path = y.text(y.get(spec, "path"))
                    if path:
                        out.append((y.text(y.get(spec, "kind")) or "", path.split("/")))
        return out


def _place(src: y.YamlSource, node: Node) -> Place:
    s, e = src.offsets_of(node)
    return Place(src.path, s, e)


def _copy_scalar(src: y.YamlSource, node: Node | None, value: str) -> KScalar:
    """A kustomization's scalar (`namespace:`, `newTag:`) as an overlay value."""
    if not isinstance(node, ScalarNode):
        return new_scalar(value, Place(src.path, 0, 0), OVERRIDE)
    tree = _scalar(src, node, OVERRIDE, -1)
    return KScalar(
        [
            Piece(
                value, tree.pieces[0].offsets if tree.value == value else None, tree.place, OVERRIDE
            )
        ],
        "str",
    )


def _same_object(obj: KMap, patch: KMap) -> bool:
    kind, name, ns = _identity(patch)
    okind, oname, ons = _identity(obj)
    return kind == okind and name == oname and (not ns or not ons or ns == ons)


def _select(out: list[KMap], target: Node | None) -> list[KMap]:
    if target is None:
        return list(out)
    kind = y.text(y.get(target, "kind"))
    name = y.text(y.get(target, "name"))
    ns = y.text(y.get(target, "namespace"))
    found = []
    for obj in out:
        okind, oname, ons = _identity(obj)
        if kind and okind != kind:
            continue
        if name and not re.fullmatch(name, oname):
            continue
        if ns and ons != ns:
            continue
        found.append(obj)
    return found


def _merge(base: Any, patch: Any) -> Any:
    """Strategic merge of `patch` into `base` (in place for maps); returns the merged node."""
    if isinstance(base, KMap) and isinstance(patch, KMap):
        directive = _text(patch.get("$patch"))
        if directive == "replace":
            return KMap([(k, v) for k, v in patch.items if k.value != "$patch"], patch.place)
        for k, v in patch.items:
            if k.value == "$patch":
                continue
            if isinstance(v, KScalar) and v.tag == "null":
                base.remove(k.value)
                continue
            if isinstance(v, KMap) and _text(v.get("$patch")) == "delete":
                base.remove(k.value)
                continue
            current = base.get(k.value)
            if current is None:
                base.items.append((k, v))
            elif (
                isinstance(current, KSeq)
                and isinstance(v, KSeq)
                and k.value in MERGE_KEYS
                and MERGE_KEYS[k.value]
            ):
                base.set(k, _merge_list(current, v, MERGE_KEYS[k.value] or ""))
            else:
                merged = _merge(current, v)
                base.set(_key_of(base, k), merged)
        return base
    return patch


def _key_of(base: KMap, k: KScalar) -> KScalar:
    for key, _ in base.items:
        if key.value == k.value:
            return key
    return k


def _merge_list(base: KSeq, patch: KSeq, key: str) -> KSeq:
    items = list(base.items)
    for p in patch.items:
        pk = _text(p.get(key)) if isinstance(p, KMap) else None
        idx = next(
            (
                i
                for i, b in enumerate(items)
                if isinstance(b, KMap) and pk is not None and _text(b.get(key)) == pk
            ),
            None,
        )
        if idx is None:
            items.append(p)
        elif isinstance(p, KMap) and _text(p.get("$patch")) == "delete":
            items.pop(idx)
        else:
            items[idx] = _merge(items[idx], p)
    return KSeq(items, base.place)


def _json_op(obj: KMap, op: str, path: str, value: Any) -> None:
    parts = [p.replace("~1", "/").replace("~0", "~") for p in path.split("/")[1:]]
    if not parts:
        return
    parent: Any = obj
    for p in parts[:-1]:
        if isinstance(parent, KMap):
            nxt = parent.get(p)
            if nxt is None and op == "add":
                nxt = KMap([], parent.place)
                parent.items.append((new_scalar(p, parent.place, OVERRIDE), nxt))
            parent = nxt
        elif isinstance(parent, KSeq) and p.isdigit() and int(p) < len(parent.items):
            parent = parent.items[int(p)]
        else:
            return
    last = parts[-1]
    if isinstance(parent, KMap):
        if op == "remove":
            parent.remove(last)
        elif op in ("add", "replace") and value is not None:
            existing = _key_of(parent, new_scalar(last, parent.place, OVERRIDE))
            parent.set(existing, value)
    elif isinstance(parent, KSeq):
        if op == "remove" and last.isdigit() and int(last) < len(parent.items):
            parent.items.pop(int(last))
        elif op == "add" and value is not None:
            if last == "-":
                parent.items.append(value)
            elif last.isdigit():
                parent.items.insert(int(last), value)
        elif (
            op == "replace"
            and value is not None
            and last.isdigit()
            and int(last) < len(parent.items)
        ):
            parent.items[int(last)] = value


def _pod_specs(obj: KMap) -> list[KMap]:
    kind = _text(obj.get("kind")) or ""
    spec = obj.get("spec")
    if kind == "Pod":
        return [spec] if isinstance(spec, KMap) else []
    if kind == "CronJob":
        s = _path_get(spec, "jobTemplate", "spec", "template", "spec")
        return [s] if isinstance(s, KMap) else []
    s = _path_get(spec, "template", "spec")
    return [s] if isinstance(s, KMap) else []


def _containers(obj: KMap) -> list[KMap]:
    out: list[KMap] = []
    for pod in _pod_specs(obj):
        for key in ("containers", "initContainers"):
            seq = pod.get(key)
            if isinstance(seq, KSeq):
                out.extend(c for c in seq.items if isinstance(c, KMap))
    return out


def _name_references(obj: KMap) -> list[tuple[KMap, str, str]]:
    out: list[tuple[KMap, str, str]] = []
    for pod in _pod_specs(obj):
        vols = pod.get("volumes")
        for vol in vols.items if isinstance(vols, KSeq) else []:
            cm = _path_get(vol, "configMap")
            if isinstance(cm, KMap):
                out.append((cm, "name", "ConfigMap"))
            sec = _path_get(vol, "secret")
            if isinstance(sec, KMap):
                out.append((sec, "secretName", "Secret"))
    for c in _containers(obj):
        envs = c.get("env")
        for env in envs.items if isinstance(envs, KSeq) else []:
            for key, kind in (("configMapKeyRef", "ConfigMap"), ("secretKeyRef", "Secret")):
                ref = _path_get(env, "valueFrom", key)
                if isinstance(ref, KMap):
                    out.append((ref, "name", kind))
        froms = c.get("envFrom")
        for f in froms.items if isinstance(froms, KSeq) else []:
            for key, kind in (("configMapRef", "ConfigMap"), ("secretRef", "Secret")):
                ref = _path_get(f, key)
                if isinstance(ref, KMap):
                    out.append((ref, "name", kind))
    return out


def _image_fields(obj: KMap, specs: list[tuple[str, list[str]]]) -> list[tuple[KMap, str]]:
    out = [(c, "image") for c in _containers(obj)]
    kind = _text(obj.get("kind")) or ""
    for skind, path in specs:
        if skind and skind != kind:
            continue
        holder: Any = obj
        for p in path[:-1]:
            holder = holder.get(p) if isinstance(holder, KMap) else None
        if isinstance(holder, KMap):
            out.append((holder, path[-1]))
    return out


_IMAGE = re.compile(
    r"^(?P<name>[^@]+?)(?::(?P<tag>[A-Za-z0-9_][A-Za-z0-9_.-]*))?(?:@(?P<digest>.+))?$"
)


def _retag(src: y.YamlSource, entry: Node, current: KScalar) -> KScalar | None:
    """The image after one `images:` entry, if the entry names it (by repository)."""
    m = _IMAGE.match(current.value)
    if not m:
        return None
    name = y.text(y.get(entry, "name"))
    if name != m.group("name"):
        return None
    new_name = y.get(entry, "newName")
    new_tag = y.get(entry, "newTag")
    digest = y.get(entry, "digest")
    related = (
        Place(current.place.path, current.place.start, current.place.end, "the image in the base"),
    )
    pieces: list[Piece] = []
    name_len = len(m.group("name"))
    base_piece = current.pieces[0] if len(current.pieces) == 1 else None

    def base_part(start: int, end: int) -> list[Piece]:
        if base_piece is None:
            return [Piece(current.value[start:end], None, current.place, BASE)]
        offs = base_piece.offsets[start:end] if base_piece.offsets else None
        return [Piece(current.value[start:end], offs, base_piece.place, BASE)]

    def overlay(node: Node | None) -> list[Piece]:
        copied = _copy_scalar(src, node, y.text(node) or "")
        return [Piece(p.text, p.offsets, p.place, OVERRIDE, related) for p in copied.pieces]

    pieces += overlay(new_name) if y.text(new_name) else base_part(0, name_len)
    if digest is not None and y.text(digest):
        pieces.append(Piece("@", None, _place(src, digest), OVERRIDE, related))
        pieces += overlay(digest)
    elif new_tag is not None and y.text(new_tag):
        pieces.append(Piece(":", None, _place(src, new_tag), OVERRIDE, related))
        pieces += overlay(new_tag)
    elif m.group("tag") or m.group("digest"):
        pieces += base_part(name_len, len(current.value))
    if not any(p.priority == OVERRIDE for p in pieces):
        return None
    return KScalar(pieces, "str")


# -- emitting -----------------------------------------------------------------------------------------
_PLAIN_SAFE = re.compile(r"^[A-Za-z0-9_/.$@{][^\n#]*$")


class Emitter:
    """YAML text for a built object, each character with its origin."""

    def __init__(self, texts: dict[str, str]) -> None:
        self.texts = texts
        self.parts: list[str] = []
        self.segments: list[Segment] = []
        self.length = 0

    def write(self, text: str) -> None:
        self.parts.append(text)
        self.length += len(text)

    def text(self) -> str:
        return "".join(self.parts)

    def document(self, obj: KMap) -> None:
        self.write("---\n")
        self.mapping(obj, 0)

    def mapping(self, m: KMap, indent: int) -> None:
        if not m.items:
            self.write("{}\n")
            return
        first = True
        for k, v in m.items:
            if not first or self.parts[-1].endswith("\n"):
                self.write(" " * indent)
            first = False
            self.scalar(k, indent, key=True)
            self.write(":")
            self.value(v, indent)

    def value(self, v: Any, indent: int) -> None:
        if isinstance(v, KMap):
            if not v.items:
                self.write(" {}\n")
                return
            self.write("\n")
            self.mapping(v, indent + 2)
        elif isinstance(v, KSeq):
            if not v.items:
                self.write(" []\n")
                return
            self.write("\n")
            self.sequence(v, indent)
        else:
            self.write(" ")
            self.scalar(v, indent, key=False)
            if not self.parts[-1].endswith("\n"):
                self.write("\n")

    def sequence(self, s: KSeq, indent: int) -> None:
        for item in s.items:
            self.write(" " * indent + "- ")
            if isinstance(item, KMap) and item.items:
                self.mapping(item, indent + 2)
            elif isinstance(item, KSeq) and item.items:
                self.write("\n")
                self.sequence(item, indent + 2)
            elif isinstance(item, (KMap, KSeq)):
                self.write("{}\n" if isinstance(item, KMap) else "[]\n")
            else:
                self.scalar(item, indent + 2, key=False)
                self.write("\n")

    def scalar(self, s: Any, indent: int, key: bool) -> None:
        if not isinstance(s, KScalar):
            self.write("null")
            return
        value = s.value
        if s.tag != "str" and not key:
            self._mapped(s, value, [(i, i) for i in range(len(value))])
            return
        if not key and "\n" in value and _block_safe(value):
            chomp = "-" if not value.endswith("\n") else ("+" if value.endswith("\n\n") else "")
            head = "|" + chomp
            self.write(head + "\n")
            pad = self._block_indent(s, indent + 2)
            body_lines = value.split("\n")
            if value.endswith("\n"):
                body_lines = body_lines[:-1]
            pos = 0
            for line in body_lines:
                if line:
                    self._pad(s, pos, pad)
                    self._mapped(s, line, [(i, pos + i) for i in range(len(line))])
                self._mapped(s, "\n", [(0, pos + len(line))])
                pos += len(line) + 1
            return
        if (
            _PLAIN_SAFE.match(value)
            and not value.endswith((" ", ":"))
            and ": " not in value
            and " #" not in value
            and y._resolve_plain(value).endswith(":str")
        ):
            self._mapped(s, value, [(i, i) for i in range(len(value))])
            return
        self._quoted(s, value)

    def _block_indent(self, s: KScalar, minimum: int) -> int:
        """The content indentation the value has in its source file, when that is deep enough
        (so that the indentation, too, is copied verbatim); else `minimum`."""
        piece = s.pieces[0] if len(s.pieces) == 1 else None
        if piece is None or not piece.offsets:
            return minimum
        text = self.texts.get(piece.place.path, "")
        off = piece.offsets[0]
        start = text.rfind("\n", 0, off) + 1
        width = off - start
        if width >= minimum and not text[start:off].strip(" "):
            return width
        return minimum

    def _pad(self, s: KScalar, value_i: int, width: int) -> None:
        """Indentation before the line that starts at value index `value_i`, mapped to the
        source's own indentation of that line when it is the same."""
        piece, inner = _piece_at(s, value_i)
        text = self.texts.get(piece.place.path, "") if piece else ""
        off = (
            piece.offsets[inner] if piece and piece.offsets and inner < len(piece.offsets) else None
        )
        start = self.length
        self.write(" " * width)
        if (
            piece is None
            or off is None
            or off - width < 0
            or text[off - width : off] != " " * width
        ):
            return
        origin = Origin(
            Place(piece.place.path, off - width, off), piece.priority, True, piece.related
        )
        self.segments.append(Segment(start, start + width, origin))

    def _quoted(self, s: KScalar, value: str) -> None:
        out = ['"']
        index = []
        for i, ch in enumerate(value):
            enc = json.dumps(ch, ensure_ascii=False)[1:-1]
            out.append(enc)
            index.append((i, len(enc) == 1))
        out.append('"')
        start = self.length + 1
        self.write("".join(out))
        pos = start
        for i, plain in index:
            enc_len = len(json.dumps(value[i], ensure_ascii=False)) - 2
            self._char_segment(s, i, pos, enc_len, plain)
            pos += enc_len

    def _mapped(self, s: KScalar, text: str, chars: list[tuple[int, int]]) -> None:
        """Write `text`, which is the value's characters from index chars[0][1] on, mapped."""
        start = self.length
        self.write(text)
        if chars:
            self._map_range(s, start, chars[0][1], len(text))

    def _map_range(self, s: KScalar, out: int, v0: int, n: int) -> None:
        """Segments for output [out, out+n), which holds the value's characters [v0, v0+n):
        verbatim runs where the source file has exactly these characters, contiguously."""
        i = 0
        while i < n:
            piece, inner = _piece_at(s, v0 + i)
            if piece is None:
                return
            take = min(n - i, len(piece.text) - inner)
            text = self.texts.get(piece.place.path, "")
            offs = piece.offsets or []  # none: no character is verbatim

            mask = [
                bool(offs)
                and inner + k < len(offs)
                and offs[inner + k] < len(text)
                and text[offs[inner + k]] == piece.text[inner + k]
                for k in range(take)
            ]

            j = 0
            while j < take:
                k = j
                while (
                    k < take and mask[k] and (k == j or offs[inner + k] == offs[inner + k - 1] + 1)
                ):
                    k += 1
                if k > j:
                    place = Place(piece.place.path, offs[inner + j], offs[inner + k - 1] + 1)
                    self._add(
                        out + i + j, out + i + k, Origin(place, piece.priority, True, piece.related)
                    )
                else:
                    k = j + 1
                    while k < take and not mask[k]:
                        k += 1
                    self._add(
                        out + i + j,
                        out + i + k,
                        Origin(piece.place, piece.priority, False, piece.related),
                    )
                j = k
            i += take

    def _add(self, start: int, end: int, origin: Origin) -> None:
        last = self.segments[-1] if self.segments else None
        if (
            last is not None
            and last.end == start
            and last.origin.verbatim == origin.verbatim
            and last.origin.priority == origin.priority
            and last.origin.related == origin.related
            and last.origin.place.path == origin.place.path
            and (
                (origin.verbatim and origin.place.start == last.origin.place.end)
                or (not origin.verbatim and last.origin.place == origin.place)
            )
        ):
            place = last.origin.place
            merged = Place(place.path, place.start, origin.place.end) if origin.verbatim else place
            self.segments[-1] = Segment(
                last.start, end, Origin(merged, origin.priority, origin.verbatim, origin.related)
            )
            return
        self.segments.append(Segment(start, end, origin))

    def _char_segment(self, s: KScalar, value_i: int, out: int, length: int, plain: bool) -> None:
        piece, inner = _piece_at(s, value_i)
        if piece is None:
            return
        off = piece.offsets[inner] if piece.offsets and inner < len(piece.offsets) else None
        text = self.texts.get(piece.place.path, "")
        if plain and off is not None and off < len(text) and text[off] == piece.text[inner]:
            origin = Origin(
                Place(piece.place.path, off, off + 1), piece.priority, True, piece.related
            )
        else:
            origin = Origin(piece.place, piece.priority, False, piece.related)
        if length == 1 or not origin.verbatim:
            self._add(out, out + length, origin)


def _piece_at(s: KScalar, index: int) -> tuple[Piece | None, int]:
    for p in s.pieces:
        if index < len(p.text):
            return p, index
        index -= len(p.text)
    return None, 0


def _block_safe(value: str) -> bool:
    """Whether a literal block scalar (`|`) can hold `value` exactly: printable text, no carriage
    returns, and a first line that does not start with a space (that would need an indicator)."""
    if "\r" in value or value.startswith((" ", "\n")):
        return False
    return all(ch in "\n\t" or ch >= " " for ch in value)


def _worth_building(
    builder: Builder, folder: Path, src: y.YamlSource, k: MappingNode, texts: dict[str, str]
) -> bool:
    """Cheap test before a build: can this overlay change an object a rule looks at? Its inputs
    must hold a rule's trigger (the prefilter kept them), and what it changes must touch them: a
    patch file (or the kustomization, for inline patches) that holds one, an `images:` entry
    whose image a kept input names, a name prefix or suffix, a replacing generator."""
    inputs = builder.inputs(folder) & set(texts)
    if not inputs:
        return False
    if y.get(k, "namePrefix") is not None or y.get(k, "nameSuffix") is not None:
        return True
    for key in ("patches", "patchesJson6902", "patchesStrategicMerge"):
        for entry in y.seq(y.get(k, key)):
            ref = y.text(entry) if y.is_scalar(entry) else y.text(y.get(entry, "path"))
            if ref is None or "\n" in ref:
                if src.path in texts:
                    return True
            elif builder.display((folder / ref).resolve()) in texts:
                return True
    for entry in y.seq(y.get(k, "images")):
        name = y.text(y.get(entry, "name"))
        if name and any(name in texts[p] for p in inputs):
            return True
    for gen in y.seq(y.get(k, "configMapGenerator")):
        if (y.text(y.get(gen, "behavior")) or "create") != "create":
            return True
    return False


BINDING_KINDS = frozenset({"ConfigMap", "LlamaStackDistribution"})


def _worth_checking(objects: list[KMap], touched: set[int], keys: set[str]) -> list[KMap]:
    """The objects of a build that can hold findings the plain files do not: those a patch,
    an image or a generator changed, with the ConfigMaps and LlamaStackDistributions they bind
    to; all of them when names change (a prefix renames the `<name>-service` host too)."""
    if keys & {"namePrefix", "nameSuffix"}:
        return objects
    if not any(id(o) in touched for o in objects):
        return []
    return [o for o in objects if id(o) in touched or _text(o.get("kind")) in BINDING_KINDS]


# -- views ---------------------------------------------------------------------------------------------
def build_views(
    ws: Workspace, state: RenderState, files: list[DiscoveredFile], root: Path, cwd: Path
) -> None:
    """Build each transforming kustomization of the tree into a view of the workspace."""
    from linter.render import timed

    relevant = set(ws.file_texts)  # the files the prefilter kept: they hold a rule's trigger
    builder = Builder(root, cwd, state.texts, relevant=relevant)
    for f in sorted(files, key=lambda f: f.rel):
        started = time.perf_counter()
        folder = Path(f.fspath).parent
        try:
            src, k = builder.kustomization(folder)
        except BuildError:
            continue
        keys = {kn.value for kn, _ in k.value if isinstance(kn, ScalarNode)}
        generated_override = any(
            (y.text(y.get(g, "behavior")) or "create") != "create"
            for g in y.seq(y.get(k, "configMapGenerator"))
        )
        if not (keys & set(TRANSFORMING)) and not generated_override:
            continue
        if not _worth_building(builder, folder, src, k, ws.file_texts):
            continue  # it changes nothing a rule looks at: its objects are the plain files'
        shown = posixpath.dirname(src.path) or "."
        ignored = sorted(keys & set(IGNORED))
        if ignored:
            state.note(
                src.path,
                1,
                "kustomize_ignored",
                overlay=shown,
                fields=", ".join(f"`{x}`" for x in ignored),
            )
        builder.touched = set()
        try:
            objects = builder.build(folder)
            objects = _worth_checking(objects, builder.touched, keys)
        except BuildError as exc:
            state.note(src.path, 1, "kustomize_failed", overlay=shown, reason=str(exc))
            continue
        except (y.YamlParseError, RecursionError) as exc:
            state.note(src.path, 1, "kustomize_failed", overlay=shown, reason=str(exc))
            continue
        if not objects:
            continue  # it changes nothing a rule looks at: its objects are the plain files'
        state.renders += 1
        number = state.renders
        emitter = Emitter(state.texts)
        for obj in objects:
            emitter.document(obj)
        text = emitter.text()
        rt = RenderedText(
            virtual_path=f"rendered:{number}:{src.path}",
            text=text,
            segments=emitter.segments,
            label=f"built by kustomize overlay {shown}",
            view=f"kustomize:{shown}",
            fallback=Place(src.path, 0, 0),
        )
        state.rendered[rt.virtual_path] = rt
        try:
            source = y.parse_file(rt.virtual_path, text)
        except y.YamlParseError as exc:
            state.note(
                src.path,
                1,
                "kustomize_failed",
                overlay=shown,
                reason=f"stackalign could not re-read its build ({exc.message})",
            )
            continue
        source.meta["view"] = rt.view
        source.meta["rendered"] = rt.label
        ws.add_yaml(source)
        timed(state, f"kustomize {shown}", started)
