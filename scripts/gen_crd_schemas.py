#!/usr/bin/env python3
"""Extract the LlamaStackDistribution CRD schema of every operator level as plain JSON Schema.

Usage (from the repository root; needs PyYAML):

    python scripts/gen_crd_schemas.py                 # reads ../shared, writes schemas/crd/
    python scripts/gen_crd_schemas.py --vendored      # reads the copies under tests/data/shared
    python scripts/gen_crd_schemas.py --shared PATH --out DIR

Without ../shared beside the checkout (a clean clone) it reads the vendored copies: byte-identical
copies of the same CRDs and `params.env` files (tests/data/shared/README.md), so the output is the
same bytes either way.

Inputs: every `config/crd/bases/llamastack.io_llamastackdistributions.yaml` saved under
`<shared>/knowledge/data/` for
  llamastack/llama-stack-k8s-operator/<tag>            -> schemas/crd/upstream-<tag>.json
  red-hat-data-services/llama-stack-k8s-operator/rhoai-<x.y> -> schemas/crd/rhoai-<x.y>.json
  opendatahub-io/llama-stack-k8s-operator/<branch>     -> schemas/crd/odh-<branch>.json

Output: {"source": <path under shared>, "operator": {...}, "crd_version": "v1alpha1",
"unknown_fields": "pruned", "fields": [every property path], "open_fields": [...],
"cel_rules": [...], "schema": <JSON Schema>}.

The schema is `spec.versions[v1alpha1].schema.openAPIV3Schema` converted to draft 2020-12:
`nullable: true` becomes a `null` member of `type`; `x-kubernetes-*` keywords stay (JSON Schema
ignores unknown keywords); `$schema` is added. A structural CRD makes the API server *prune*
unknown fields (or reject them with strict field validation), which JSON Schema cannot express
without `additionalProperties: false`; instead `fields` lists every known property path
(`spec.server.containerSpec.env[].name`; `*` for a map value) and `open_fields` the paths below
which anything is kept (`x-kubernetes-preserve-unknown-fields`, and `metadata`, which the API
server validates as ObjectMeta). Rules check unknown fields with those lists. Descriptions are
kept for fields outside lists and maps and dropped below them and under `status` (Kubernetes core
types, half the bytes). Deterministic: re-running on the same input gives the same bytes.
"""

from __future__ import annotations

import argparse
import copy
import importlib.util
import json
import re
import sys
from pathlib import Path

import yaml

CRD_REL = "config/crd/bases/llamastack.io_llamastackdistributions.yaml"
SOURCES = {
    # folder under knowledge/data -> output name prefix
    "llamastack/llama-stack-k8s-operator": "upstream",
    "red-hat-data-services/llama-stack-k8s-operator": "rhoai",
    "opendatahub-io/llama-stack-k8s-operator": "odh",
}
SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"


def convert(node: object) -> object:
    """OpenAPI v3 (Kubernetes structural) schema -> JSON Schema 2020-12."""
    if isinstance(node, list):
        return [convert(x) for x in node]
    if not isinstance(node, dict):
        return node
    out = {}
    for key, value in node.items():
        if key in ("properties", "patternProperties", "$defs"):
            out[key] = {k: convert(v) for k, v in value.items()}
        else:
            out[key] = convert(value)
    if out.pop("nullable", False):
        t = out.get("type")
        if isinstance(t, str):
            out["type"] = [t, "null"]
        elif isinstance(t, list) and "null" not in t:
            out["type"] = [*t, "null"]
        elif "anyOf" in out or "oneOf" in out or t is None:
            key = "anyOf" if "anyOf" in out else "oneOf" if "oneOf" in out else None
            if key:
                out[key] = [*out[key], {"type": "null"}]
        if "enum" in out and None not in out["enum"]:
            out["enum"] = [*out["enum"], None]
    return out


def strip_core_descriptions(node: object, path: str = "") -> object:
    """Drop `description` below list items, map values and `status` (Kubernetes core types:
    env, volumes, resources, conditions...), which are most of the bytes and no rule needs."""
    if isinstance(node, list):
        return [strip_core_descriptions(x, path) for x in node]
    if not isinstance(node, dict):
        return node
    drop = "[]" in path or "*" in path or path.startswith("status")
    out = {}
    for key, value in node.items():
        if key == "description" and drop:
            continue
        if key == "properties":
            out[key] = {
                k: strip_core_descriptions(v, f"{path}.{k}" if path else k)
                for k, v in value.items()
            }
        elif key == "items":
            out[key] = strip_core_descriptions(value, f"{path}[]")
        elif key == "additionalProperties":
            out[key] = strip_core_descriptions(value, f"{path}.*")
        else:
            out[key] = strip_core_descriptions(value, path)
    return out


def walk_fields(
    schema: dict, path: str, fields: list[str], open_fields: list[str], cel: list[dict]
) -> None:
    for rule in schema.get("x-kubernetes-validations", []) or []:
        cel.append({"path": path or ".", **rule})
    if schema.get("x-kubernetes-preserve-unknown-fields"):
        open_fields.append(path or ".")
    for name, sub in (schema.get("properties") or {}).items():
        p = f"{path}.{name}" if path else name
        fields.append(p)
        walk_fields(sub, p, fields, open_fields, cel)
    items = schema.get("items")
    if isinstance(items, dict):
        walk_fields(items, f"{path}[]", fields, open_fields, cel)
    addl = schema.get("additionalProperties")
    if isinstance(addl, dict):
        fields.append(f"{path}.*")
        walk_fields(addl, f"{path}.*", fields, open_fields, cel)
    for key in ("anyOf", "oneOf", "allOf"):
        for sub in schema.get(key, []) or []:
            if isinstance(sub, dict):
                walk_fields(sub, path, fields, open_fields, cel)


def operator_info(ref_dir: Path, prefix: str, ref: str) -> dict:
    info: dict[str, object] = {"level": prefix, "ref": ref}
    if prefix == "upstream":
        info["version"] = ref.lstrip("v")
    for env in sorted(ref_dir.glob("config/overlays/*/params.env")):
        for line in env.read_text().splitlines():
            m = re.match(r'^(OPERATOR_VERSION|LLAMA_STACK_VERSION)=\"?([^"]*)\"?$', line.strip())
            if m:
                info.setdefault("params_env", {})[f"{env.parent.name}:{m.group(1)}"] = m.group(2)
    return info


def extract(crd_path: Path, shared: Path, prefix: str, ref: str) -> dict:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # the same documents, 10x faster
    docs = [d for d in yaml.load_all(crd_path.read_text(), Loader=loader) if d]
    crd = next(d for d in docs if d.get("kind") == "CustomResourceDefinition")
    version = next(v for v in crd["spec"]["versions"] if v["name"] == "v1alpha1")
    raw = version["schema"]["openAPIV3Schema"]
    schema = {"$schema": SCHEMA_DIALECT, **convert(strip_core_descriptions(copy.deepcopy(raw)))}
    fields: list[str] = []
    open_fields: list[str] = []
    cel: list[dict] = []
    walk_fields(raw, "", fields, open_fields, cel)
    if "metadata" in (raw.get("properties") or {}):
        open_fields.append("metadata")  # ObjectMeta: validated by the API server, not the CRD
    return {
        "source": str(crd_path.relative_to(shared)),
        "operator": operator_info(crd_path.parents[3], prefix, ref),
        "crd_version": "v1alpha1",
        "served_versions": [v["name"] for v in crd["spec"]["versions"] if v.get("served")],
        "generated_by": "scripts/gen_crd_schemas.py",
        "unknown_fields": "pruned",
        "descriptions": "kept outside lists and maps; dropped below them and under status",
        "fields": sorted(set(fields)),
        "open_fields": sorted(set(open_fields)),
        "cel_rules": cel,
        "schema": schema,
    }


def vendored_shared(root: Path) -> Path:
    """The subset of ../shared vendored under tests/data/shared, laid out as ../shared holds it
    (tests/shared_subset.py, loaded by path: it needs the standard library only)."""
    if "tests.shared_subset" in sys.modules:  # run by the tests: the subset is laid out already
        return sys.modules["tests.shared_subset"].subset_root()
    spec = importlib.util.spec_from_file_location("shared_subset", root / "tests/shared_subset.py")
    assert spec and spec.loader, "tests/shared_subset.py is missing"
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("shared_subset", module)  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module.subset_root()


def main(argv: list[str] | None = None) -> int:
    root = Path(__file__).resolve().parents[1]
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--shared",
        type=Path,
        default=None,
        help="the shared folder (default: ../shared beside the checkout; without it, --vendored)",
    )
    ap.add_argument(
        "--vendored", action="store_true", help="read the CRDs vendored under tests/data/shared"
    )
    ap.add_argument("--out", type=Path, default=root / "schemas" / "crd")
    args = ap.parse_args(argv)
    if args.vendored and args.shared:
        ap.error("--vendored and --shared exclude each other")
    shared = args.shared or root.parent / "shared"
    if args.vendored or (args.shared is None and not (shared / "knowledge" / "data").is_dir()):
        if not args.vendored:
            print(
                f"no {shared / 'knowledge' / 'data'}: reading the copies vendored under tests/data/shared"
            )
        shared = vendored_shared(root)
    args.shared = shared
    data = args.shared / "knowledge" / "data"
    if not data.is_dir():
        print(f"no {data}", file=sys.stderr)
        return 2
    args.out.mkdir(parents=True, exist_ok=True)
    written = 0
    for folder, prefix in SOURCES.items():
        for crd_path in sorted((data / folder).glob(f"*/{CRD_REL}")):
            ref = crd_path.parents[3].name
            name = ref.removeprefix("rhoai-") if prefix == "rhoai" else ref
            doc = extract(crd_path, args.shared, prefix, ref)
            target = args.out / f"{prefix}-{name}.json"
            target.write_text(json.dumps(doc, indent=1) + "\n")
            written += 1
            print(
                f"wrote {target.relative_to(root) if target.is_relative_to(root) else target}"
                f" ({len(doc['fields'])} fields)"
            )
    return 0 if written else 1


if __name__ == "__main__":
    sys.exit(main())
