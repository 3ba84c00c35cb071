#!/usr/bin/env python3
"""What dependency files (requirements*.txt, pyproject.toml, setup.cfg, Containerfiles, notebooks)
cost a lint: a generated repository of N folders, each with one file of every such kind, none
naming llama-stack-client, plus one KFP-free YAML file; linted in-process with all rules, with
SA306 ignored (no rule reads those kinds: they are never opened), and with the dependency files
removed (the baseline). Prints seconds (best of 3) per run.

    python scripts/bench_textkinds.py [--folders 2000]
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from linter.engine import Options, load_pack, run, select_rules  # noqa: E402

NOTEBOOK = json.dumps(
    {"cells": [{"cell_type": "code", "source": ["%pip install requests\n", "import requests\n"]}]}
)
FILES = {
    "requirements.txt": "requests==2.32.3\nfastapi\n",
    "pyproject.toml": '[project]\nname = "x"\ndependencies = ["requests"]\n',
    "setup.cfg": "[options]\ninstall_requires =\n    requests\n",
    "Containerfile": "FROM python:3.12\nRUN pip install requests\n",
    "demo.ipynb": NOTEBOOK,
}


def build(root: Path, folders: int, with_deps: bool) -> None:
    for i in range(folders):
        d = root / f"svc{i:05d}"
        d.mkdir(parents=True)
        (d / "deploy.yaml").write_text(
            f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: c{i}}}\n"
        )
        if with_deps:
            for name, text in FILES.items():
                (d / name).write_text(text)


def best(root: Path, ignore: list[str]) -> float:
    kb, rules = load_pack(Options())
    times = []
    for _ in range(3):
        opts = Options(paths=["."], cwd=root, ignore=ignore, target={"rhoai": "2.25"})
        t = time.perf_counter()
        run(opts, kb=kb, rules=select_rules(rules, opts))
        times.append(time.perf_counter() - t)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--folders", type=int, default=2000)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-textkinds-"))
    try:
        with_deps, without = tmp / "with", tmp / "without"
        build(with_deps, args.folders, True)
        build(without, args.folders, False)
        n = args.folders
        print(f"{n} folders: {n} YAML files, plus {5 * n} dependency files in the first two runs")
        print(f"all rules, dependency files present  : {best(with_deps, []):.3f} s")
        print(f"SA306 ignored (kinds never opened)   : {best(with_deps, ['SA306']):.3f} s")
        print(f"no dependency files (baseline)       : {best(without, []):.3f} s")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
