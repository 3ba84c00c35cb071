#!/usr/bin/env python3
"""Load every migrated RHOAI config with the real LlamaStack of the release it was migrated to.

Usage (from the repository root, in the project's venv; needs network access to PyPI and a
Python >= 3.12 for the throwaway venvs):

    python scripts/check_migrations_real.py                      # every pair, writes the record
    python scripts/check_migrations_real.py --keep-venvs         # reuse venvs on a re-run
    python scripts/check_migrations_real.py --python /usr/bin/python3.12 --workdir /tmp/x

For each pair of RHOAI releases (older -> newer) the script migrates the older release's default
config (tests/data/rhoai-configs) to the newer release's runtime with `stackalign upgrade`'s own
code (linter.upgrade.layout.migrate_run_config, provider pins included), and adds the newer
release's own config as a control. Then, per target release, it creates a venv, installs the
`llama-stack` release the target runs and, inside that venv, runs this file with `--load`: each
config is read with yaml.safe_load, passed through that release's own `replace_env_vars` with the
environment below, and built with its `StackRunConfig` / `StackConfig`; then each enabled provider
whose type the in-tree registry knows is built with its `config_class`. External providers
(trustyai_fms, lmeval, ragas, garak) are not installed and are reported as such.

Fork builds are not on PyPI; the upstream release each was cut from is used instead:
- RHOAI 3.2 runs 0.3.5+rhai0        -> llama-stack 0.3.5 (Red Hat docs: "based on upstream 0.3.5")
- RHOAI 3.3 runs 0.4.2.1+rhai0      -> llama-stack 0.4.2 with llama-stack-api 0.4.4 (as RHOAI pins)
- RHOAI 3.4 runs 0.7.1+rhaiv.1      -> llama-stack 0.7.1 with llama-stack-api 0.7.1 (and mcp<2)
- RHOAI 3.0 runs 0.3.0rc3+rhai0, cut from upstream main of 2025-10-15 (docs/knowledge.md, fork builds,
  claim 2) before the 0.3.0rc4 layout change; no 0.3.0 pre-release is on PyPI, so the last
  upstream release on main before the fork point, 0.2.23 (2025-09-26), stands in for it.

Each pair also loads the source config unmigrated (a control: it shows what the migration fixes
for the real loader), and each target its own config. The record (per pair: the LlamaStack used,
the verdict, the providers) is written to
tests/data/rhoai-configs/real-load-results.json. This is a maintainer tool: it never runs in CI.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data" / "rhoai-configs"
RECORD = DATA / "real-load-results.json"

#: RHOAI release -> (the runtime its rh-dev image runs, the PyPI packages that stand in for it)
TARGETS: dict[str, tuple[str, list[str]]] = {
    "2.22": ("0.2.10", ["llama-stack==0.2.10"]),
    "2.23": ("0.2.14", ["llama-stack==0.2.14"]),
    "2.24": ("0.2.18", ["llama-stack==0.2.18"]),
    "2.25": ("0.2.22", ["llama-stack==0.2.22"]),
    "3.0": ("0.3.0rc3+rhai0", ["llama-stack==0.2.23"]),
    "3.2": ("0.3.5+rhai0", ["llama-stack==0.3.5"]),
    "3.3": ("0.4.2.1+rhai0", ["llama-stack==0.4.2", "llama-stack-api==0.4.4"]),
    # mcp 2 renamed McpError, which llama_stack.core.stack of 0.7.1 imports (`mcp>=1.23.0`)
    "3.4": ("0.7.1+rhaiv.1", ["llama-stack==0.7.1", "llama-stack-api==0.7.1", "mcp<2"]),
}
#: the environment the configs are loaded with: what the recorded validations used
#: (tests/test_schemas_crosscheck.py HARNESS_ENV) plus the Milvus consistency level RH's template
#: needs (docs/knowledge.md, Milvus)
ENV = {
    "INFERENCE_MODEL": "model",
    "VLLM_URL": "http://vllm:8000/v1",
    "MILVUS_ENDPOINT": "http://milvus:19530",
    "MILVUS_CONSISTENCY_LEVEL": "Strong",
    "FMS_ORCHESTRATOR_URL": "http://fms:8080",
    "MILVUS_DB_PATH": "/tmp/milvus.db",
}


# -- inside a venv --------------------------------------------------------------------------------
def _replace_env_vars():
    import importlib

    for module in ("llama_stack.core.stack", "llama_stack.distribution.stack"):
        try:
            return importlib.import_module(module).replace_env_vars
        except Exception:  # noqa: BLE001 - try the older layout
            continue
    raise RuntimeError("no replace_env_vars in this release")


def _run_config_class():
    for module in ("llama_stack.core.datatypes", "llama_stack.distribution.datatypes"):
        try:
            mod = __import__(module, fromlist=["x"])
        except Exception:  # noqa: BLE001
            continue
        return getattr(mod, "StackConfig", None) or mod.StackRunConfig
    raise RuntimeError("no StackRunConfig in this release")


def _registry() -> dict[tuple[str, str], str]:
    import importlib
    import pkgutil

    out: dict[tuple[str, str], str] = {}
    pkg = importlib.import_module("llama_stack.providers.registry")
    for info in pkgutil.iter_modules(pkg.__path__):
        try:
            mod = importlib.import_module(f"{pkg.__name__}.{info.name}")
            specs = mod.available_providers()
        except Exception:  # noqa: BLE001 - a registry module that needs an optional package
            continue
        for spec in specs:
            api = getattr(getattr(spec, "api", None), "value", info.name)
            out[(str(api), spec.provider_type)] = spec.config_class
    return out


def _error(exc: BaseException) -> str:
    text = " | ".join(line for line in str(exc).splitlines() if line.strip())
    return f"ERROR {type(exc).__name__}: {text[:600]}"


def load_configs(paths: list[str]) -> dict:
    import importlib

    import yaml

    os.environ.update(ENV)
    replace_env_vars = _replace_env_vars()
    cls = _run_config_class()
    registry = _registry()
    out: dict = {}
    for path in paths:
        record: dict = {"class": f"{cls.__module__}.{cls.__name__}", "providers": {}}
        out[path] = record
        try:
            cfg = replace_env_vars(yaml.safe_load(Path(path).read_text()))
            cls(**cfg)
            record["verdict"] = "OK"
        except Exception as exc:  # noqa: BLE001 - the verdict is the point
            record["verdict"] = _error(exc)
            continue
        for api, entries in (cfg.get("providers") or {}).items():
            for p in entries or []:
                key = f"{api}:{p.get('provider_type')}:{p.get('provider_id')}"
                if not p.get("provider_id") or p["provider_id"] == "__disabled__":
                    record["providers"][key] = "disabled"
                    continue
                dotted = registry.get((api, p.get("provider_type")))
                if dotted is None:
                    record["providers"][key] = "external (not installed here)"
                    continue
                try:
                    module, _, name = dotted.rpartition(".")
                    config_cls = getattr(importlib.import_module(module), name)
                    config_cls(**(p.get("config") or {}))
                    record["providers"][key] = "OK"
                except Exception as exc:  # noqa: BLE001
                    record["providers"][key] = _error(exc)
    return out


# -- driver ---------------------------------------------------------------------------------------
def migrate_pairs(workdir: Path) -> dict[str, list[tuple[str, Path]]]:
    """target release -> [(label, file)] of migrated configs (and the target's own config)."""
    sys.path.insert(0, str(ROOT))
    from linter.engine import Options, load_pack
    from linter.upgrade.layout import migrate_run_config
    from linter.upgrade.migrate import side_of
    from linter.versions import Version

    kb, _ = load_pack(Options())
    releases = list(TARGETS)
    sources = {r: next((DATA / f"rhoai-v{r}").rglob("*.yaml")) for r in releases}
    out: dict[str, list[tuple[str, Path]]] = {r: [] for r in releases}
    folder = workdir / "configs"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    for i, src in enumerate(releases):
        for dst in releases[i + 1 :]:
            new = side_of({"rhoai": dst}, kb, "target")
            pins = {"llama_stack_provider_trustyai_fms": new.release.trustyai_fms}
            result = migrate_run_config(
                sources[src].read_text(),
                Version.parse(TARGETS[src][0]),
                Version.parse(TARGETS[dst][0]),
                pins=pins,
            )
            path = folder / f"{src}-to-{dst}.yaml"
            path.write_text(result.text)
            out[dst].append((f"{src} -> {dst}", path))
            # the same config not migrated: shows what the migration changes for the loader
            out[dst].append((f"{src} -> {dst} (not migrated, control)", sources[src]))
    for dst in releases:
        out[dst].append((f"{dst} (its own config, control)", sources[dst]))
    return out


def build_venv(python: str, workdir: Path, release: str, keep: bool) -> Path | None:
    venv = workdir / f"venv-rhoai-{release}"
    log = workdir / f"venv-rhoai-{release}.log"
    marker = venv / "stackalign-packages.txt"
    packages = TARGETS[release][1] + ["pyyaml"]
    if keep and marker.is_file() and marker.read_text() == "\n".join(packages):
        return venv
    shutil.rmtree(venv, ignore_errors=True)
    with open(log, "w") as fh:
        for cmd in (
            [python, "-m", "venv", str(venv)],
            [str(venv / "bin" / "pip"), "install", "-q", *packages],
        ):
            if subprocess.run(cmd, stdout=fh, stderr=subprocess.STDOUT).returncode != 0:
                print(f"  {' '.join(cmd[:4])}... failed, see {log}", file=sys.stderr)
                return None
    marker.write_text("\n".join(packages))
    return venv


def installed(venv: Path) -> dict[str, str]:
    code = (
        "import importlib.metadata as m, json; print(json.dumps({d: m.version(d) for d in "
        "('llama-stack', 'llama-stack-api', 'pydantic', 'mcp') if __import__('importlib.util').util"
        ".find_spec(d.replace('-', '_')) is not None}))"
    )
    out = subprocess.run([str(venv / "bin" / "python"), "-c", code], capture_output=True, text=True)
    return json.loads(out.stdout or "{}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--load", nargs="+", help=argparse.SUPPRESS)  # inside a venv
    ap.add_argument("--python", default="python3", help="interpreter for the venvs (>= 3.12)")
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/stackalign-migration-check"))
    ap.add_argument("--keep-venvs", action="store_true")
    ap.add_argument(
        "--targets",
        nargs="*",
        default=list(TARGETS)[1:],  # 2.22 is no pair's target
        help="RHOAI releases to check",
    )
    ap.add_argument("--out", type=Path, default=RECORD)
    args = ap.parse_args(argv)
    if args.load:
        print(json.dumps(load_configs(args.load)))
        return 0
    args.workdir.mkdir(parents=True, exist_ok=True)
    pairs = migrate_pairs(args.workdir)
    record: dict = {"generated_by": "scripts/check_migrations_real.py", "env": ENV, "targets": {}}
    if args.out.is_file():  # a run of some targets updates those, keeps the others
        record["targets"] = json.loads(args.out.read_text()).get("targets", {})
    failed = 0
    for release in args.targets:
        runtime, packages = TARGETS[release]
        print(f"RHOAI {release} ({runtime}): {' '.join(packages)}", file=sys.stderr)
        venv = build_venv(args.python, args.workdir, release, args.keep_venvs)
        entry: dict = {"runtime": runtime, "packages": packages, "configs": {}}
        record["targets"][release] = entry
        if venv is None:
            entry["error"] = "venv could not be built"
            failed += 1
            continue
        entry["installed"] = installed(venv)
        files = [str(p) for _, p in pairs[release]]
        proc = subprocess.run(
            [str(venv / "bin" / "python"), str(Path(__file__).resolve()), "--load", *files],
            capture_output=True,
            text=True,
        )
        if proc.returncode != 0:
            entry["error"] = proc.stderr.strip().splitlines()[-1:] or ["no output"]
            failed += 1
            continue
        loaded = json.loads(proc.stdout.strip().splitlines()[-1])
        for label, path in pairs[release]:
            result = loaded[str(path)]
            entry["configs"][label] = result
            bad = {k: v for k, v in result["providers"].items() if v.startswith("ERROR")}
            ok = result["verdict"] == "OK" and not bad
            failed += not ok and "control" not in label
            print(
                f"  {label}: {result['verdict'][:100]}" + (f"; providers {bad}" if bad else ""),
                file=sys.stderr,
            )
    args.out.write_text(json.dumps(record, indent=2, sort_keys=True) + "\n")
    print(f"wrote {args.out}; {failed} failing", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
