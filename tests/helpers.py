"""Running the engine on small in-memory repositories."""

from __future__ import annotations

import os
from pathlib import Path
from types import ModuleType

from linter.engine import Options, RunResult, load_pack, run

_PACK = None


def pack():
    global _PACK
    if _PACK is None:
        _PACK = load_pack(Options())
    return _PACK


def cli_in(cwd: Path, *args: str):
    """`stackalign ARGS` run in-process (click's CliRunner) from the folder `cwd`."""
    from click.testing import CliRunner

    from linter.cli import cli

    old = os.getcwd()
    os.chdir(cwd)
    try:
        return CliRunner().invoke(cli, list(args), catch_exceptions=False)
    finally:
        os.chdir(old)


def write_files(root: Path, files: dict[str, str | bytes]) -> None:
    for name, content in files.items():
        p = root / name
        p.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            p.write_bytes(content)
        else:
            p.write_bytes(content.encode("utf-8"))


def lint_dir(
    root: Path,
    target: dict[str, str] | None = None,
    select: list[str] | None = None,
    paths: list[str] | None = None,
    prefilter: bool = True,
    ignore: list[str] | None = None,
    respect_gitignore: bool = True,
) -> RunResult:
    kb, rules = pack()
    opts = Options(
        paths=paths or ["."],
        target=target or {},
        select=select or [],
        ignore=ignore or [],
        respect_gitignore=respect_gitignore,
        cwd=root,
        prefilter=prefilter,
    )
    return run(opts, kb=kb, rules=rules)


def lint_files(tmp: Path, files: dict[str, str | bytes], **kw) -> RunResult:
    write_files(tmp, files)
    return lint_dir(tmp, **kw)


#: An OLM Subscription to RHOAI 2.25 and a LlamaStackDistribution on an upstream image.
SUB = """\
apiVersion: operators.coreos.com/v1alpha1
kind: Subscription
metadata: {name: rhods-operator, namespace: redhat-ods-operator}
spec:
  name: rhods-operator
  channel: stable-2.25
"""


def lsd(name: str, tag: str) -> str:
    return (
        "apiVersion: llamastack.io/v1alpha1\nkind: LlamaStackDistribution\n"
        f"metadata: {{name: {name}}}\nspec:\n  server:\n    distribution:\n"
        f"      image: llamastack/distribution-starter:{tag}\n"
    )


def load_script(name: str) -> ModuleType:
    """A script of scripts/ (not a package) as a module, e.g. `load_script("fuzz")`; registered
    in sys.modules under `scripts.<name>`, where dataclasses look their module up."""
    import importlib.util
    import sys

    path = Path(__file__).resolve().parent.parent / "scripts" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"scripts.{name}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module
