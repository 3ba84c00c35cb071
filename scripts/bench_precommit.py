#!/usr/bin/env python3
"""Benchmark: pre-commit on a large generated repository, one changed file and all files.

    python scripts/bench_precommit.py                 # both parts (see below)
    python scripts/bench_precommit.py --files 2000 --runs 5 --keep
    python scripts/bench_precommit.py --all-files-size 0            # only the one-file part
    python scripts/bench_precommit.py --files 0 --timeout 120       # only the all-files part

Generates a GitOps monorepo in a temporary folder (a git repository, an OLM Subscription to
rhods-operator, LlamaStackDistributions and their run.yaml ConfigMaps, then Deployments, Services,
ConfigMaps, Kustomizations, Python and shell files; about 2 % of them mention LlamaStack).

1. One changed file (`--files`, default 10,000 files): times what the `stackalign` pre-commit hook
   runs when one file changed: a fresh `stackalign lint <file>` process, which reads the
   repository for context (target, the CR that names a ConfigMap) and reports on that one file.
   Prints the wall time of each run and the minimum and median, plus the same run in-process
   (engine only, no interpreter start-up).
2. All files (`--all-files-size`, default 11,425 files: the size of ../shared/corpus/perf): times
   `pre-commit run --all-files` with the `stackalign` hook as `.pre-commit-hooks.yaml` defines it
   (same entry, file types, `require_serial`), installed as a `repo: local` hook that runs this
   Python's stackalign, so that the figure is the hook's work and not pre-commit building a hook
   environment. pre-commit passes every file name, split into as many invocations as the
   command-line length needs. Beside it: `stackalign lint .` on the same repository (directory
   mode), and the ratio; `--all-files-runs` times each (default 3; the shared whole-repository
   result is removed before each pre-commit run), then pre-commit once more with
   STACKALIGN_NO_CACHE=1 (every batch reads the repository alone, as before the shared result).
   The same on a git copy of ../shared/corpus/perf itself when it is present (`--corpus DIR`
   for another folder, `--no-corpus` to skip). A run that does not finish within `--timeout`
   seconds is stopped (its whole process group) and reported as such.
"""

from __future__ import annotations

import argparse
import os
import random
import shlex
import shutil
import signal
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
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-q", "--no-verify", "-m", "bench"]):
        subprocess.run([git, *args], cwd=root, env=git_env(), check=True, capture_output=True)


def git_env() -> dict[str, str]:
    return {
        **os.environ,
        "GIT_AUTHOR_NAME": "bench",
        "GIT_AUTHOR_EMAIL": "bench@stackalign.invalid",
        "GIT_COMMITTER_NAME": "bench",
        "GIT_COMMITTER_EMAIL": "bench@stackalign.invalid",
    }


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


# -- all files: `pre-commit run --all-files` ----------------------------------------------------
HOOKS_FILE = Path(__file__).resolve().parent.parent / ".pre-commit-hooks.yaml"
PERF_CORPUS = Path(__file__).resolve().parent.parent.parent / "shared" / "corpus" / "perf"


def pre_commit_command() -> list[str] | None:
    exe = shutil.which("pre-commit", path=str(Path(sys.executable).parent)) or shutil.which(
        "pre-commit"
    )
    if exe:
        return [exe]
    try:
        import pre_commit  # noqa: F401
    except ImportError:
        return None
    return [sys.executable, "-m", "pre_commit"]


def local_hook_config(pre_commit: list[str]) -> str:
    """`.pre-commit-config.yaml` with the shipped `stackalign` hook as a local hook that runs this
    Python's stackalign (pre-commit >= 4.4 calls `language: system` `unsupported`)."""
    import yaml

    hook = next(h for h in yaml.safe_load(HOOKS_FILE.read_text()) if h["id"] == "stackalign")
    version = subprocess.run([*pre_commit, "--version"], capture_output=True, text=True).stdout
    major, minor = (int(x) for x in version.split()[-1].split(".")[:2])
    entry = hook["entry"].split()
    local = {
        "id": hook["id"],
        "name": hook["name"],
        "entry": shlex.join([*stackalign_command(), *entry[1:]]),
        "language": "unsupported" if (major, minor) >= (4, 4) else "system",
        "types_or": hook["types_or"],
        "require_serial": hook.get("require_serial", False),
    }
    return yaml.safe_dump({"repos": [{"repo": "local", "hooks": [local]}]}, sort_keys=False)


def timed_run(cmd: list[str], cwd: Path, timeout: float, env: dict | None = None):
    """(seconds, exit code, output) of one run, or (None, None, output so far) when it did not
    finish within `timeout`: then its whole process group (pre-commit and the stackalign
    processes it started) is killed."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        cmd,
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, _ = proc.communicate()
        return None, None, out.decode("utf-8", "replace")
    return time.perf_counter() - start, proc.returncode, out.decode("utf-8", "replace")


def bench_all_files(
    tmp: Path, n_files: int, timeout: float, runs: int, corpus: Path | None
) -> None:
    pre_commit = pre_commit_command()
    if pre_commit is None:
        print("all files: pre-commit is not installed (pip install pre-commit); skipped")
        return
    if shutil.which("git") is None:
        print("all files: git is not installed; skipped")
        return
    repositories = []
    if n_files:
        root = tmp / "all-files"
        generate(root, n_files)
        repositories.append(("generated", root))
    if corpus is not None:
        root = tmp / "corpus"
        shutil.copytree(corpus, root, ignore=shutil.ignore_patterns(".git"))
        subprocess.run(["git", "init", "-q"], cwd=root, check=True)
        repositories.append((f"copy of {corpus}", root))
    for label, root in repositories:
        (root / ".pre-commit-config.yaml").write_text(local_hook_config(pre_commit))
        for args in (["add", "-A"], ["commit", "-q", "--no-verify", "-m", "pre-commit config"]):
            subprocess.run(["git", *args], cwd=root, env=git_env(), check=True, capture_output=True)
        time.sleep(2.1)  # a file written within 2 s of a run is never part of a stored result
        all_files_figures(label, root, pre_commit, tmp, timeout, runs)


def all_files_figures(
    label: str, root: Path, pre_commit: list[str], tmp: Path, timeout: float, runs: int
) -> None:
    """`stackalign lint .` and `pre-commit run --all-files` on `root`, `runs` times each (the
    shared whole-repository result removed before each pre-commit run, so that each one lints
    the repository once and serves its other batches), then pre-commit once without the cache."""
    listed = subprocess.run(["git", "ls-files"], cwd=root, capture_output=True, text=True).stdout
    print(f"\nall files, {label}: {root} ({len(listed.split())} tracked files)")
    cache = tmp / f"cache-{root.name}"
    env = {
        **git_env(),
        "PRE_COMMIT_HOME": str(tmp / "pre-commit-home"),
        "NO_COLOR": "1",
        "STACKALIGN_CACHE_DIR": str(cache),
    }
    env.pop("VIRTUAL_ENV", None)
    env.pop("STACKALIGN_NO_CACHE", None)
    dirs, alls = [], []
    for _ in range(runs):
        t_dir, code, _ = timed_run([*stackalign_command(), "lint", "."], root, timeout, env)
        if t_dir is None:
            print(f"stackalign lint . (directory mode): did not finish within {timeout:.0f} s")
            return
        dirs.append(t_dir)
        for stored in cache.glob("run-*.json"):
            stored.unlink()
        t_all, code, out = timed_run([*pre_commit, "run", "--all-files"], root, timeout, env)
        if t_all is None:
            print(f"pre-commit run --all-files: did not finish within {timeout:.0f} s (stopped)")
            return
        if code not in (0, 1):
            print("  pre-commit output (tail):\n" + "\n".join(out.splitlines()[-15:]))
        alls.append(t_all)
    print("stackalign lint . (directory mode) (s): " + " ".join(f"{t:.2f}" for t in dirs))
    print("pre-commit run --all-files (s):          " + " ".join(f"{t:.2f}" for t in alls))
    print(
        f"ratio all-files / directory: {min(alls) / min(dirs):.2f}x of the minima, "
        f"{statistics.median(alls) / statistics.median(dirs):.2f}x of the medians (goal <= 1.5x)"
    )
    t_plain, _, _ = timed_run(
        [*pre_commit, "run", "--all-files"], root, timeout, {**env, "STACKALIGN_NO_CACHE": "1"}
    )
    shown = "did not finish" if t_plain is None else f"{t_plain:.2f} s"
    print(f"the same without the shared result (STACKALIGN_NO_CACHE=1, each batch alone): {shown}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--keep", action="store_true", help="keep the generated repository")
    parser.add_argument(
        "--all-files-size",
        type=int,
        default=11_425,
        help="files in the repository of the all-files part (0: skip it)",
    )
    parser.add_argument(
        "--timeout", type=float, default=300, help="seconds before an all-files run is stopped"
    )
    parser.add_argument(
        "--corpus",
        type=Path,
        default=PERF_CORPUS if PERF_CORPUS.is_dir() else None,
        help="also time the all-files part on a git copy of this folder "
        "(default: ../shared/corpus/perf when present)",
    )
    parser.add_argument("--no-corpus", action="store_true", help="only the generated repository")
    parser.add_argument("--all-files-runs", type=int, default=3)
    args = parser.parse_args(argv)
    load = " / ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"CPUs: {os.cpu_count()}; load average (1, 5, 15 min): {load}")
    tmp = Path(tempfile.mkdtemp(prefix="stackalign-bench-"))
    try:
        if args.files:
            bench_one_file(tmp, args.files, args.runs)
        corpus = None if args.no_corpus else args.corpus
        if args.all_files_size or corpus is not None:
            bench_all_files(tmp, args.all_files_size, args.timeout, args.all_files_runs, corpus)
    finally:
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    return 0


def bench_one_file(tmp: Path, n_files: int, runs: int) -> None:
    root = tmp / "repo"
    changed = generate(root, n_files)
    rel = changed.relative_to(root).as_posix()
    n = sum(len(files) for d, _, files in os.walk(root) if ".git" not in Path(d).parts)
    print(
        f"repository: {root} ({n} files, git: {(root / '.git' / 'HEAD').exists()}); "
        f"pre-commit passes {rel}"
    )
    proc = time_process(root, rel, runs)
    print("process runs (s): " + " ".join(f"{t:.3f}" for t in proc))
    print(
        f"stackalign lint <one file>: min {min(proc):.3f} s, median {statistics.median(proc):.3f} s"
    )
    inproc, result = time_in_process(root, rel, runs)
    print(
        f"engine only (in-process): min {min(inproc):.3f} s, "
        f"median {statistics.median(inproc):.3f} s; {result.workspace.files_seen} files seen, "
        f"{result.parsed} parsed, {len(result.findings)} finding(s) on {rel}, "
        f"target {result.target.label}"
    )


if __name__ == "__main__":
    sys.exit(main())
