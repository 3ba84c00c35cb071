#!/usr/bin/env python3
"""Generate run.yaml JSON Schemas from the real LlamaStack pydantic models.

Usage (from the repository root; needs network access to PyPI and a Python >= 3.12):

    python scripts/gen_runconfig_schemas.py                       # every release below
    python scripts/gen_runconfig_schemas.py --versions 0.2.22 0.4.2
    python scripts/gen_runconfig_schemas.py --python /usr/bin/python3.12 --workdir /tmp/x
    python scripts/gen_runconfig_schemas.py --keep-venvs          # reuse venvs on a re-run

For each LlamaStack release that a supported RHOAI ships, the script creates a throwaway venv
(under --workdir, default /tmp/stackalign-schemagen), installs `llama-stack==X` (plus the pins in
RELEASES) and the `llama-stack-provider-trustyai-fms` release RHOAI pairs with it (falling back to
`--no-deps` when its llama-stack pin conflicts), then runs this same file inside that venv with
`--introspect`. The introspection imports the release's `StackRunConfig` / `StackConfig`, walks the
provider registry (`llama_stack.providers.registry.*.available_providers()` -> `config_class`), and
prints one JSON document, written to `schemas/runconfig/llamastack-<ver>.json`:

    {"llamastack": ver, "generated_by": ..., "python": ..., "packages": {name: version},
     "schema_mode": ..., "run_config_class": ..., "run_config_version_constant": ...,
     "run_config": <schema>, "apis": [valid Api values], "registry": {api: [in-tree types]},
     "providers": {api: {provider_type: {"config_class": ..., "config_schema": <schema>,
                                         "extra": "allow|ignore|forbid", "external": bool}}},
     "env_substitution": {"module", "replace_env_vars": <source>, ...},
     "$defs": {...}, "errors": [...], "rhoai": [...], "install_notes": [...]}

All `$defs` are hoisted to the file level and deduplicated; every schema's `#/$defs/X` refers to
them, so validate with `{**schema, "$defs": doc["$defs"]}`.

`providers` is keyed by api first because a provider_type alone is ambiguous
(`inline::meta-reference` is an agents, eval, telemetry and inference provider; `inline::localfs`
a datasetio and a files provider).

The schemas are pydantic's validation-mode JSON Schema, adjusted to pydantic's lax mode (see
`_laxify`): a node that pydantic types as integer, number or boolean also accepts the strings
that pydantic converts (`"8321"`, `"true"`); such nodes carry `"x-pydantic-lax": "<type>"`.
Fields that pydantic pre-processes with a before/wrap/plain validator are marked
`"x-pydantic-validator": "<function>"` (their real input type may be wider than the schema says).

This is a maintainer tool: it never runs in CI and the tests never need llama-stack installed.
A release that fails to install or introspect is reported and skipped; its old file is kept.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

GENERATOR = "scripts/gen_runconfig_schemas.py"

# LlamaStack release -> extra pins and the trustyai_fms release RHOAI pairs with it
# (docs/knowledge.md#rhoai-releases, #safety-providers).
RELEASES: dict[str, dict[str, object]] = {
    "0.2.10": {"rhoai": ["2.22"], "pins": [], "trustyai_fms": "0.1.2"},
    "0.2.14": {"rhoai": ["2.23"], "pins": [], "trustyai_fms": "0.1.2"},
    "0.2.18": {"rhoai": ["2.24"], "pins": [], "trustyai_fms": "0.1.2"},
    "0.2.22": {"rhoai": ["2.25"], "pins": [], "trustyai_fms": "0.2.2"},
    # upstream 0.3.0 is not what RHOAI 3.0 ships (that is the fork 0.3.0rc3+rhai0); it is kept
    # because the recorded validations of RHOAI's default configs were run on it.
    "0.3.0": {"rhoai": [], "pins": [], "trustyai_fms": "0.2.3"},
    "0.3.5": {"rhoai": ["3.2"], "pins": [], "trustyai_fms": "0.3.2"},
    "0.4.2": {"rhoai": ["3.3"], "pins": ["llama-stack-api==0.4.4"], "trustyai_fms": "0.3.2"},
    # llama-stack 0.7.1 accepts any newer llama-stack-api; pin the one released with it
    "0.7.1": {"rhoai": ["3.4"], "pins": ["llama-stack-api==0.7.1"], "trustyai_fms": "0.4.0"},
}
DEFAULT_VERSIONS = ["0.2.10", "0.2.14", "0.2.18", "0.2.22", "0.3.0", "0.3.5", "0.4.2", "0.7.1"]

# provider types found in the RHOAI default configs (opendatahub-io/llama-stack-distribution,
# branches rhoai-v2.22 ... rhoai-v3.4 and main) plus the common ones the rules talk about.
# Only these get a config schema; every in-tree provider type is listed under "registry".
RHOAI_PROVIDER_TYPES = [
    "inline::basic",
    "inline::braintrust",
    "inline::builtin",
    "inline::faiss",
    "inline::file-search",
    "inline::llama-guard",
    "inline::llm-as-judge",
    "inline::localfs",
    "inline::meta-reference",
    "inline::milvus",
    "inline::rag-runtime",
    "inline::reference",
    "inline::sentence-transformers",
    "inline::sqlite-vec",
    "remote::azure",
    "remote::bedrock",
    "remote::brave-search",
    "remote::chromadb",
    "remote::huggingface",
    "remote::milvus",
    "remote::model-context-protocol",
    "remote::ollama",
    "remote::openai",
    "remote::passthrough",
    "remote::pgvector",
    "remote::qdrant",
    "remote::s3",
    "remote::tavily-search",
    "remote::trustyai_fms",
    "remote::vertexai",
    "remote::vllm",
    "remote::watsonx",
]
# external providers installed from PyPI: provider_type -> (api, config class)
EXTERNAL_PROVIDERS = {
    "remote::trustyai_fms": (
        "safety",
        "llama_stack_provider_trustyai_fms.config.FMSSafetyProviderConfig",
    ),
}
PACKAGES_OF_INTEREST = [
    "llama-stack",
    "llama-stack-api",
    "llama-stack-client",
    "llama-stack-provider-trustyai-fms",
    "pydantic",
    "pydantic-core",
]


# --------------------------------------------------------------------------------------------
# Introspection: runs inside the throwaway venv, stdlib + the installed release only.
# --------------------------------------------------------------------------------------------

INT_PATTERN = r"^\s*[+-]?[0-9]+\s*$"
NUM_PATTERN = r"^\s*[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?\s*$"
BOOL_PATTERN = (
    r"^([01]|[tT]|[fF]|[yY]|[nN]|[oO][nN]|[oO][fF][fF]|[yY][eE][sS]|[nN][oO]"
    r"|[tT][rR][uU][eE]|[fF][aA][lL][sS][eE])$"
)
_TYPE_SPECIFIC = {
    "integer": ("type", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"),
    "number": ("type", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"),
    "boolean": ("type",),
}


def _laxify(node: object) -> object:
    """Rewrite a pydantic JSON Schema so it accepts what pydantic's lax mode accepts.

    integer: also a string of an integer; number: also a numeric string; boolean: also the
    strings pydantic converts (true/false/yes/no/on/off/t/f/y/n/1/0) and the integers 0 and 1.
    A string never accepts an int (pydantic v2 raises string_type), so strings stay strict.
    """
    if isinstance(node, list):
        return [_laxify(x) for x in node]
    if not isinstance(node, dict):
        return node
    out = {}
    for key, value in node.items():
        if key in ("properties", "$defs", "patternProperties", "dependentSchemas") and isinstance(
            value, dict
        ):
            out[key] = {k: _laxify(v) for k, v in value.items()}  # a map of schemas
        elif key in ("default", "examples", "const", "enum"):
            out[key] = value  # data, not schemas
        else:
            out[key] = _laxify(value)
    t = out.get("type")
    if isinstance(t, str) and t in _TYPE_SPECIFIC and "enum" not in out and "const" not in out:
        strict = {k: out.pop(k) for k in _TYPE_SPECIFIC[t] if k in out}
        if t == "integer":
            alts = [strict, {"type": "string", "pattern": INT_PATTERN}]
        elif t == "number":
            alts = [strict, {"type": "string", "pattern": NUM_PATTERN}]
        else:
            alts = [strict, {"type": "string", "pattern": BOOL_PATTERN}, {"enum": [0, 1]}]
        out["anyOf"] = alts if "anyOf" not in out else [{"anyOf": alts}, {"anyOf": out["anyOf"]}]
        out["x-pydantic-lax"] = t
    return out


def _dedupe_defs(schema: dict) -> dict:
    """Drop $defs entries that nothing references (pydantic sometimes leaves some)."""
    defs = schema.get("$defs")
    if not defs:
        return schema
    used: set[str] = set()
    todo = [{k: v for k, v in schema.items() if k != "$defs"}]
    while todo:
        cur = todo.pop()
        if isinstance(cur, dict):
            ref = cur.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/"):
                name = ref[len("#/$defs/") :]
                if name not in used and name in defs:
                    used.add(name)
                    todo.append(defs[name])
            todo.extend(cur.values())
        elif isinstance(cur, list):
            todo.extend(cur)
    schema["$defs"] = {k: v for k, v in defs.items() if k in used}
    if not schema["$defs"]:
        del schema["$defs"]
    return schema


def _hoist_defs(schema: dict, shared: dict, errors: list[str]) -> dict:
    """Move a schema's $defs into the file-level `shared` map (deduplicated by name).

    The references stay `#/$defs/Name`, so a schema validates with the file's `$defs` merged in:
    `{**doc["providers"][api][ptype]["config_schema"], "$defs": doc["$defs"]}`. Two different
    definitions with one name get a `__2` suffix on the second and its references are renamed.
    """
    defs = schema.pop("$defs", None) or {}
    renames: dict[str, str] = {}
    for name, body in defs.items():
        if name in shared and shared[name] != body:
            n = 2
            while f"{name}__{n}" in shared and shared[f"{name}__{n}"] != body:
                n += 1
            renames[name] = f"{name}__{n}"
    if renames:
        errors.append(f"$defs renamed while deduplicating: {renames}")

    def rename(node: object) -> object:
        if isinstance(node, dict):
            out = {k: rename(v) for k, v in node.items()}
            ref = out.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/") and ref[8:] in renames:
                out["$ref"] = "#/$defs/" + renames[ref[8:]]
            return out
        if isinstance(node, list):
            return [rename(x) for x in node]
        return node

    for name, body in defs.items():
        shared.setdefault(renames.get(name, name), rename(body))
    return rename(schema)


def _mark_validators(model_cls: type, schema: dict) -> None:
    """Mark fields that a before/wrap/plain validator pre-processes, in schema and its $defs."""
    try:
        from pydantic import BaseModel
    except ImportError:  # pragma: no cover
        return
    seen: set[type] = set()

    def visit(cls: type) -> None:
        if cls in seen or not (isinstance(cls, type) and issubclass(cls, BaseModel)):
            return
        seen.add(cls)
        title = cls.__name__
        target = schema if cls is model_cls else schema.get("$defs", {}).get(title)
        decorators = getattr(cls, "__pydantic_decorators__", None)
        if decorators is not None and isinstance(target, dict):
            props = target.get("properties", {})
            for dec in decorators.field_validators.values():
                if dec.info.mode in ("before", "wrap", "plain"):
                    for field in dec.info.fields:
                        finfo = cls.model_fields.get(field)
                        key = finfo.alias if finfo is not None and finfo.alias else field
                        if key in props:
                            props[key]["x-pydantic-validator"] = (
                                f"{dec.cls_var_name} ({dec.info.mode})"
                            )
                            _widen_by_probe(cls, key, props[key], schema.get("$defs", {}))
            for dec in decorators.model_validators.values():
                if dec.info.mode in ("before", "wrap"):
                    target.setdefault("x-pydantic-model-validators", []).append(
                        f"{dec.cls_var_name} ({dec.info.mode})"
                    )
        for finfo in getattr(cls, "model_fields", {}).values():
            for sub in _model_types(finfo.annotation):
                visit(sub)

    visit(model_cls)


def _field_errors(cls: type, key: str, value: object) -> bool:
    """Does validating {key: value} produce an error located at `key`?"""
    from pydantic import ValidationError

    try:
        cls.model_validate({key: value})
    except ValidationError as exc:
        return any(err["loc"][:1] == (key,) for err in exc.errors())
    except Exception:  # noqa: BLE001 - any other failure: treat the probe as rejected
        return True
    return False


def _widen_by_probe(cls: type, key: str, prop: dict, defs: dict) -> None:
    """A before-validator may accept more than the field type. Probe the real model: if a list of
    enum values also accepts a comma-separated string (telemetry `sinks`), say so in the schema."""
    items = prop.get("items") or {}
    ref = items.get("$ref", "")
    enum = (defs.get(ref.rpartition("/")[2]) or {}).get("enum") if ref else items.get("enum")
    if prop.get("type") != "array" or not enum or not all(isinstance(e, str) for e in enum):
        return
    if _field_errors(cls, key, ",".join(enum)) or not _field_errors(cls, key, "\x00bogus"):
        return
    alt = "|".join(re.escape(e) for e in enum)
    strict = {k: prop.pop(k) for k in ("type", "items") if k in prop}
    prop["anyOf"] = [strict, {"type": "string", "pattern": rf"^\s*({alt})\s*(,\s*({alt})\s*)*$"}]
    prop["x-pydantic-input"] = "also a comma-separated string of the enum values (probed)"


def _model_types(annotation: object) -> list[type]:
    import typing

    found: list[type] = []
    stack = [annotation]
    while stack:
        cur = stack.pop()
        if isinstance(cur, type):
            found.append(cur)
        stack.extend(typing.get_args(cur) or ())
        origin = typing.get_origin(cur)
        if origin is not None and origin is not cur:
            stack.append(origin)
    return found


def _schema_of(cls: object) -> dict:
    from pydantic import BaseModel, TypeAdapter

    if isinstance(cls, type) and issubclass(cls, BaseModel):
        schema = cls.model_json_schema()
        _mark_validators(cls, schema)
    else:
        schema = TypeAdapter(cls).json_schema()
    return _laxify(_dedupe_defs(schema))


def _extra_mode(cls: object) -> str:
    cfg = getattr(cls, "model_config", {}) or {}
    return str(cfg.get("extra") or "ignore")


def _import_attr(dotted: str) -> object:
    import importlib

    module, _, name = dotted.rpartition(".")
    return getattr(importlib.import_module(module), name)


def _env_substitution_source(errors: list[str]) -> dict:
    """The env substitution code of this release, so tests can mirror it exactly.

    Read with `ast` from the module file, not imported: importing `stack` pulls the whole server
    (0.7.1 from PyPI today fails on a newer `mcp`), and only the source is wanted.
    """
    import ast
    import importlib.util

    for module in ("llama_stack.core.stack", "llama_stack.distribution.stack"):
        try:
            spec = importlib.util.find_spec(module)
        except ImportError:
            continue
        if spec is None or not spec.origin:
            continue
        text = Path(spec.origin).read_text()
        info: dict[str, object] = {"module": module}
        for node in ast.parse(text).body:
            if isinstance(node, ast.FunctionDef) and node.name in (
                "replace_env_vars",
                "_convert_string_to_proper_type",
            ):
                info[node.name] = ast.get_source_segment(text, node)
            elif isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == "RESOURCE_ID_FIELDS" for t in node.targets
            ):
                # entries whose id field resolves empty are dropped by replace_env_vars
                info["RESOURCE_ID_FIELDS"] = ast.literal_eval(node.value)
        try:
            importlib.import_module(module)
        except Exception as exc:  # noqa: BLE001 - third-party import: record, go on
            errors.append(
                f"note: import {module} fails in this venv "
                f"({type(exc).__name__}: {exc}); schemas are unaffected"
            )
        return info
    errors.append("no stack module with replace_env_vars found")
    return {}


def introspect() -> dict:
    import importlib
    import importlib.metadata as md
    import pkgutil
    import platform

    errors: list[str] = []
    datatypes = None
    for module in ("llama_stack.core.datatypes", "llama_stack.distribution.datatypes"):
        try:
            datatypes = importlib.import_module(module)
            break
        except ImportError:
            continue
    if datatypes is None:
        raise SystemExit("no llama_stack datatypes module found")
    cls_name = "StackConfig" if hasattr(datatypes, "StackConfig") else "StackRunConfig"
    run_cls = getattr(datatypes, cls_name)

    api_enum = None
    for module in (
        "llama_stack_api",
        "llama_stack.providers.datatypes",
        "llama_stack.apis.datatypes",
    ):
        try:
            api_enum = importlib.import_module(module).Api
            break
        except (ImportError, AttributeError):
            continue
    apis = sorted(a.value for a in api_enum) if api_enum is not None else []

    registry: dict[str, list[str]] = {}
    providers: dict[str, dict[str, dict]] = {}
    reg_pkg = importlib.import_module("llama_stack.providers.registry")
    for modinfo in pkgutil.iter_modules(reg_pkg.__path__):
        try:
            mod = importlib.import_module(f"llama_stack.providers.registry.{modinfo.name}")
            specs = mod.available_providers()
        except Exception as exc:  # noqa: BLE001 - a registry module that fails is recorded
            errors.append(f"registry {modinfo.name}: {type(exc).__name__}: {exc}")
            continue
        for spec in specs:
            api = getattr(spec.api, "value", str(spec.api))
            ptype = spec.provider_type
            registry.setdefault(api, []).append(ptype)
            if ptype not in RHOAI_PROVIDER_TYPES:
                continue
            config_class = spec.config_class
            entry: dict[str, object] = {"config_class": config_class, "external": False}
            try:
                cls = _import_attr(config_class)
                entry["extra"] = _extra_mode(cls)
                entry["config_schema"] = _schema_of(cls)
            except Exception as exc:  # noqa: BLE001 - recorded in "errors"
                errors.append(f"{api}:{ptype} {config_class}: {type(exc).__name__}: {exc}")
                continue
            providers.setdefault(api, {})[ptype] = entry

    for ptype, (api, config_class) in EXTERNAL_PROVIDERS.items():
        try:
            cls = _import_attr(config_class)
            providers.setdefault(api, {})[ptype] = {
                "config_class": config_class,
                "external": True,
                "extra": _extra_mode(cls),
                "config_schema": _schema_of(cls),
            }
        except Exception as exc:  # noqa: BLE001 - recorded in "errors"
            errors.append(f"external {ptype} {config_class}: {type(exc).__name__}: {exc}")

    packages = {}
    for name in PACKAGES_OF_INTEREST:
        try:
            packages[name] = md.version(name)
        except md.PackageNotFoundError:
            pass
    version_const = getattr(datatypes, "LLAMA_STACK_RUN_CONFIG_VERSION", None)
    run_schema = _schema_of(run_cls)
    shared_defs: dict[str, object] = {}
    run_schema = _hoist_defs(run_schema, shared_defs, errors)
    for api_providers in providers.values():
        for entry in api_providers.values():
            entry["config_schema"] = _hoist_defs(entry["config_schema"], shared_defs, errors)
    return {
        "llamastack": md.version("llama-stack"),
        "generated_by": GENERATOR,
        "python": platform.python_version(),
        "packages": packages,
        "schema_mode": "pydantic validation-mode JSON Schema, lax-mode coercions added "
        "(x-pydantic-lax); before/wrap/plain validators marked (x-pydantic-validator)",
        "run_config_class": f"{datatypes.__name__}.{cls_name}",
        "run_config_version_constant": version_const,
        "run_config": run_schema,
        "apis": apis,
        "registry": {api: sorted(set(types)) for api, types in sorted(registry.items())},
        "providers": {api: dict(sorted(p.items())) for api, p in sorted(providers.items())},
        "env_substitution": _env_substitution_source(errors),
        "$defs": dict(sorted(shared_defs.items())),
        "errors": errors,
    }


# --------------------------------------------------------------------------------------------
# Driver: runs with any Python, creates venvs, writes files.
# --------------------------------------------------------------------------------------------


def _run(cmd: list[str], log: Path) -> int:
    with log.open("a") as fh:
        fh.write("$ " + " ".join(cmd) + "\n")
        fh.flush()
        return subprocess.call(cmd, stdout=fh, stderr=subprocess.STDOUT)


def _installed(venv: Path, dist: str) -> str | None:
    py = venv / "bin" / "python"
    if not py.exists():
        return None
    out = subprocess.run(
        [str(py), "-c", f"import importlib.metadata as m; print(m.version({dist!r}))"],
        check=False,
        capture_output=True,
        text=True,
    )
    return out.stdout.strip() or None


def build_venv(python: str, workdir: Path, ver: str, keep: bool) -> tuple[Path | None, list[str]]:
    notes: list[str] = []
    spec = RELEASES[ver]
    venv = workdir / f"venv-{ver}"
    log = workdir / f"venv-{ver}.log"
    pinned = [p.split("==") for p in spec["pins"]]
    if (
        keep
        and _installed(venv, "llama-stack") == ver
        and all(_installed(venv, name) == want for name, want in pinned)
    ):
        notes.append(f"reused {venv}")
        return venv, notes
    shutil.rmtree(venv, ignore_errors=True)
    if _run([python, "-m", "venv", str(venv)], log) != 0:
        notes.append(f"venv creation failed, see {log}")
        return None, notes
    pip = [str(venv / "bin" / "pip"), "install", "-q"]
    lls = [f"llama-stack=={ver}", *spec["pins"]]
    fms = f"llama-stack-provider-trustyai-fms=={spec['trustyai_fms']}"
    if _run(pip + lls + [fms], log) == 0:
        notes.append(f"installed {' '.join(lls)} {fms}")
        return venv, notes
    notes.append(f"joint install with {fms} failed (pin conflict?); retrying without it")
    if _run(pip + lls, log) != 0:
        notes.append(f"pip install {' '.join(lls)} failed, see {log}")
        return None, notes
    if _run(pip + ["--no-deps", fms], log) == 0:
        notes.append(f"installed {fms} with --no-deps")
    else:
        notes.append(f"{fms} did not install, see {log}")
    return venv, notes


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--versions", nargs="+", default=DEFAULT_VERSIONS, choices=sorted(RELEASES))
    default_python = sys.executable if sys.version_info >= (3, 12) else "python3.12"
    ap.add_argument(
        "--python",
        default=os.environ.get("STACKALIGN_GEN_PYTHON", default_python),
        help="interpreter for the throwaway venvs (llama-stack >= 0.3 needs 3.12)",
    )
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/stackalign-schemagen"))
    ap.add_argument(
        "--out", type=Path, default=Path(__file__).resolve().parents[1] / "schemas" / "runconfig"
    )
    ap.add_argument("--keep-venvs", action="store_true", help="reuse a venv that has the release")
    ap.add_argument("--introspect", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)

    if args.introspect:
        json.dump(introspect(), sys.stdout)
        return 0

    args.workdir.mkdir(parents=True, exist_ok=True)
    args.out.mkdir(parents=True, exist_ok=True)
    failures: dict[str, str] = {}
    for ver in args.versions:
        t0 = time.monotonic()
        venv, notes = build_venv(args.python, args.workdir, ver, args.keep_venvs)
        for note in notes:
            print(f"[{ver}] {note}")
        if venv is None:
            failures[ver] = "; ".join(notes)
            continue
        proc = subprocess.run(
            [str(venv / "bin" / "python"), str(Path(__file__).resolve()), "--introspect"],
            check=False,
            capture_output=True,
            text=True,
            env={**os.environ, "LLAMA_STACK_LOGGING": "all=critical"},
        )
        if proc.returncode != 0:
            failures[ver] = f"introspection failed: {proc.stderr.strip().splitlines()[-1:]}"
            print(f"[{ver}] {failures[ver]}")
            continue
        doc = json.loads(proc.stdout)
        if doc["llamastack"] != ver:
            failures[ver] = f"venv has llama-stack {doc['llamastack']}, wanted {ver}"
            continue
        doc["rhoai"] = RELEASES[ver]["rhoai"]
        doc["install_notes"] = [n for n in notes if not n.startswith("reused")]
        target = args.out / f"llamastack-{ver}.json"
        target.write_text(json.dumps(doc, indent=1, sort_keys=False) + "\n")
        print(
            f"[{ver}] wrote {target} ({target.stat().st_size} bytes, "
            f"{time.monotonic() - t0:.0f}s, {len(doc['errors'])} introspection notes)"
        )
    for ver, why in failures.items():
        print(f"FAILED {ver}: {why}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
