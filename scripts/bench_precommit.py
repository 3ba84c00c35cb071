#!/usr/bin/env python3
"""Benchmark: a one-file pre-commit run on a 10,000-file repository.

    python scripts/bench_precommit.py                 # 10,000 files, 7 runs
    python scripts/bench_precommit.py --files 2000 --runs 5 --keep

Generates a GitOps monorepo in a temporary folder (a `.git` marker, an OLM Subscription to
rhods-operator, a LlamaStackDistribution and its run.yaml ConfigMap, then Deployments, Services,
ConfigMaps, Kustomizations, Python and shell files; about 2 % of them mention LlamaStack), then
times what the `stackalign` pre-commit hook runs when one file changed: a fresh
`stackalign lint <file>` process, which walks the whole repository for context (target, the CR
that names a ConfigMap) and reports on that one file. Prints the wall time of each run and the
minimum and median, plus the same run in-process (engine only, no interpreter start-up).
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SUBSCRIPTION = """\
apiVersion: operators.coreos.com/v1alpha1
kind: Subscription
metadata: {name: rhods-operator, namespace: redhat-ods-operator}
spec:
  name: rhods-operator
  channel: stable-2.25
"""
LSD = """\
apiVersion: llamastack.io/v1alpha1
kind: LlamaStackDistribution
metadata: {{name: llama-{i}}}
spec:
  server:
    distribution:
      image: llamastack/distribution-starter:{tag}
    userConfig:
      configMapName: llama-stack-config-{i}
"""
RUN_CONFIG = """\
apiVersion: v1
kind: ConfigMap
metadata: {{name: llama-stack-config-{i}}}
data:
  run.yaml: |
    version: 2
    image_name: rh
    apis: [inference, vector_io]
    providers:
      inference:
      - provider_id: vllm
        provider_type: remote::vllm
        config: {{url: "${{env.VLLM_URL:=http://vllm:8000/v1}}"}}
"""
DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: app-{i}
  labels: {{app: app-{i}}}
spec:
  replicas: 2
  selector:
    matchLabels: {{app: app-{i}}}
  template:
    metadata:
      labels: {{app: app-{i}}}
    spec:
      containers:
      - name: app
        image: registry.example.com/team/app-{i}:1.{i}.0
        ports: [{{containerPort: 8080}}]
        env:
        - {{name: LOG_LEVEL, value: info}}
"""
SERVICE = """\
apiVersion: v1
kind: Service
metadata: {{name: svc-{i}}}
spec:
  selector: {{app: app-{i}}}
  ports: [{{port: 80, targetPort: 8080}}]
"""
CONFIGMAP = """\
apiVersion: v1
kind: ConfigMap
metadata: {{name: settings-{i}}}
data:
  settings.json: '{{"feature": {i}}}'
"""
KUSTOMIZATION = """\
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources: [deployment.yaml, service.yaml]
"""
PYTHON = """\
import json


def handler(event: dict) -> str:
    return json.dumps({{"id": {i}, "event": event}})
"""
SHELL = """\
#!/bin/sh
set -eu
echo "deploying app {i}"
"""


def generate(root: Path, n_files: int, seed: int = 42) -> Path:
    """Write the repository; returns the file a pre-commit run would pass."""
    rng = random.Random(seed)
    root.mkdir(parents=True)
    write = _writer(root)
    write("gitops/operators/subscription.yaml", SUBSCRIPTION)
    changed = root / "gitops/llama/lsd-0.yaml"
    count = 1
    i = 0
    while count < n_files:
        team = f"apps/team-{i % 50:02d}/app-{i}"
        roll = rng.random()
        if roll < 0.02:
            write(
                f"gitops/llama/lsd-{i}.yaml", LSD.format(i=i, tag=rng.choice(["0.2.22", "0.3.0"]))
            )
            write(f"gitops/llama/run-config-{i}.yaml", RUN_CONFIG.format(i=i))
            count += 2
        elif roll < 0.85:
            write(f"{team}/deployment.yaml", DEPLOYMENT.format(i=i))
            write(f"{team}/service.yaml", SERVICE.format(i=i))
            write(f"{team}/configmap.yaml", CONFIGMAP.format(i=i))
            write(f"{team}/kustomization.yaml", KUSTOMIZATION)
            count += 4
        elif roll < 0.95:
            write(f"{team}/handler.py", PYTHON.format(i=i))
            count += 1
        else:
            write(f"{team}/deploy.sh", SHELL.format(i=i))
            count += 1
        i += 1
    if not changed.exists():
        write("gitops/llama/lsd-0.yaml", LSD.format(i=0, tag="0.3.0"))
    commit_all(root)
    return changed


def commit_all(root: Path) -> None:
    """A real repository with one commit, as pre-commit sees it (a bare `.git` folder without git)."""
    git = shutil.which("git")
    if git is None:
        (root / ".git").mkdir()
        return
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "bench",
        "GIT_AUTHOR_EMAIL": "bench@stackalign.invalid",
        "GIT_COMMITTER_NAME": "bench",
        "GIT_COMMITTER_EMAIL": "bench@stackalign.invalid",
    }
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-q", "--no-verify", "-m", "bench"]):
        subprocess.run([git, *args], cwd=root, env=env, check=True, capture_output=True)


def _writer(root: Path):
    def write(rel: str, text: str) -> None:
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")

    return write


def stackalign_command() -> list[str]:
    exe = shutil.which("stackalign", path=str(Path(sys.executable).parent)) or shutil.which(
        "stackalign"
    )
    return [exe] if exe else [sys.executable, "-m", "linter"]


def time_process(root: Path, rel: str, runs: int) -> list[float]:
    cmd = [*stackalign_command(), "lint", rel]
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        done = subprocess.run(cmd, cwd=root, capture_output=True, text=True, check=False)
        times.append(time.perf_counter() - start)
        if done.returncode not in (0, 1):
            raise SystemExit(f"stackalign failed ({done.returncode}):\n{done.stderr}")
    return times


def time_in_process(root: Path, rel: str, runs: int) -> tuple[list[float], object]:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from linter.engine import Options, load_pack, run, select_rules

    kb, rules = load_pack(Options())
    opts = Options(paths=[rel], cwd=root)
    rules = select_rules(rules, opts)
    times, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = run(opts, kb=kb, rules=rules)
        times.append(time.perf_counter() - start)
    return times, result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--keep", action="store_true", help="keep the generated repository")
    args = parser.parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix="stackalign-bench-"))
    try:
        root = tmp / "repo"
        changed = generate(root, args.files)
        rel = changed.relative_to(root).as_posix()
        n = sum(len(files) for d, _, files in os.walk(root) if ".git" not in Path(d).parts)
        print(
            f"repository: {root} ({n} files, git: {(root / '.git' / 'HEAD').exists()}); "
            f"pre-commit passes {rel}"
        )
        proc = time_process(root, rel, args.runs)
        print("process runs (s): " + " ".join(f"{t:.3f}" for t in proc))
        print(
            f"stackalign lint <one file>: min {min(proc):.3f} s, median {statistics.median(proc):.3f} s"
        )
        inproc, result = time_in_process(root, rel, args.runs)
        print(
            f"engine only (in-process): min {min(inproc):.3f} s, "
            f"median {statistics.median(inproc):.3f} s; {result.workspace.files_seen} files seen, "
            f"{result.parsed} parsed, {len(result.findings)} finding(s) on {rel}, "
            f"target {result.target.label}"
        )
    finally:
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
