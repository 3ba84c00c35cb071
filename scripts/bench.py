"""Benchmark: prints every speed and memory figure the project tracks, each with its comparison.

Usage: python scripts/bench.py [--corpus ../shared/corpus/perf] [--yamllint-sample 400]
       python scripts/bench.py --generated [--generated-files 11426]

The corpus is ../shared/corpus/perf (14 public repositories, 11,426 YAML files). Where it is absent
(a clean clone), or with --generated, the script lints a corpus of the same shape that
scripts/bench_corpus.py generates in a temporary folder, and says so on its first line: its figures
are comparable with those of the real corpus, not equal.

Figures (wall clock, best of N runs, fresh processes, this machine). stackalign runs as installed:
its modules byte-compiled, as `pip install` does (the script compiles them first, because a checkout
run under PYTHONDONTWRITEBYTECODE=1 would recompile every module on every run; figure 2 also shows
that case). The per-user rule-pack cache is warm, as on every run but the first after an upgrade.

  1. `stackalign --version`                           goal <= 150 ms
  2. one-file lint                                      goal <= 300 ms
  3. whole corpus lint vs a plain Python pass that reads every file and scans it for the trigger
     strings, measured in the same run                 goal <= 2x
  4. stackalign vs yamllint on the same files (MB/s)    goal >= 50x (yamllint on a sample, rate scaled)
  5. peak memory (max RSS) on the whole corpus          goal <= 300 MB
  6. linear growth: time on 25 %, 50 %, 100 % of the files
  7. files mode beside directory mode, in a git copy of the corpus: `stackalign lint .` and
     `stackalign lint FILE...` naming 250, 1,000, 2,000 and all of its YAML files, as pre-commit
     passes them (goal: all files by name within 1.5x of the directory run). A run that does not
     finish within --files-timeout seconds is stopped and reported as such.

`--files-mode-only` prints figure 7 alone.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
EXE = [sys.executable, "-m", "linter"]

SCAN = r"""
import os, sys
from linter.engine import Options, load_pack, detection_triggers
kb, rules = load_pack(Options())
trig = sorted({t.split("&")[0].encode() for r in rules for t in r.triggers} | {t.split("&")[0].encode() for t in detection_triggers(kb)})
hits = 0
for d, dirs, files in os.walk(sys.argv[1]):
    dirs[:] = [x for x in dirs if x != ".git"]
    for f in files:
        if f.endswith((".yaml", ".yml", ".py", ".sh")):
            data = open(os.path.join(d, f), "rb").read()
            hits += any(t in data for t in trig)
print(hits)
"""


def timed(
    cmd: list[str], cwd: Path | None = None, runs: int = 3, env: dict | None = None
) -> tuple[float, int]:
    """Best wall time of `runs` runs, and the max RSS (KiB) of the children."""
    best = float("inf")
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run(cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        best = min(best, time.perf_counter() - t)
    return best, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss


def files_of(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file() and p.suffix in (".yaml", ".yml"))


def subset(files: list[Path], root: Path, fraction: float, dest: Path) -> Path:
    random.seed(42)
    pick = random.sample(files, int(len(files) * fraction))
    for p in pick:
        target = dest / p.relative_to(root)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(p, target)
    return dest


def run_once(cmd: list[str], cwd: Path, timeout: float) -> float | None:
    """Wall time of one run, or None when it did not finish within `timeout` (its process group
    is then killed)."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        return None
    return time.perf_counter() - start


def git_copy(corpus: Path, dest: Path) -> Path:
    """The corpus as a git work tree with one commit, as pre-commit sees a repository."""
    shutil.copytree(corpus, dest, symlinks=True)
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "bench",
        "GIT_AUTHOR_EMAIL": "bench@stackalign.invalid",
        "GIT_COMMITTER_NAME": "bench",
        "GIT_COMMITTER_EMAIL": "bench@stackalign.invalid",
    }
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-q", "--no-verify", "-m", "corpus"]):
        subprocess.run(["git", *args], cwd=dest, env=env, check=True, capture_output=True)
    return dest


def files_mode_beside_directory_mode(files: list[Path], corpus: Path, timeout: float) -> None:
    print(
        f"7. files mode beside directory mode (git copy of the corpus; stop after {timeout:.0f} s):"
    )
    if shutil.which("git") is None:
        print("   git is not installed -- skipped")
        return
    with tempfile.TemporaryDirectory() as tmp:
        repo = git_copy(corpus, Path(tmp) / "perf")
        names = [p.relative_to(corpus).as_posix() for p in files]
        lint = EXE + ["lint", "--no-color", "--fail-on", "error"]
        t_dir = run_once(lint + ["."], repo, timeout)
        shown = f"{t_dir:6.2f} s" if t_dir is not None else f"did not finish within {timeout:.0f} s"
        print(f"   directory mode, lint . ({len(names)} YAML files): {shown}")
        random.seed(42)
        for n in sorted({k for k in (250, 1000, 2000) if k < len(names)} | {len(names)}):
            named = sorted(random.sample(names, n)) if n < len(names) else names
            t = run_once(lint + ["--", *named], repo, timeout)
            if t is None:
                print(f"   files mode, {n:>6} files named: did not finish within {timeout:.0f} s")
                continue
            ratio = f"; {t / t_dir:.2f}x the directory run" if t_dir else ""
            print(
                f"   files mode, {n:>6} files named: {t:6.2f} s ({t / n * 1e6:.0f} us/file{ratio})"
            )


PERF = REPO.parent / "shared" / "corpus" / "perf"


def generated_corpus(dest: Path, n_files: int) -> Path:
    """A corpus shaped like ../shared/corpus/perf (scripts/bench_corpus.py) under `dest`."""
    sys.path.insert(0, str(REPO / "scripts"))
    from bench_corpus import generate

    generate(dest / "perf", n_files)
    return dest / "perf"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", type=Path, help=f"default: {PERF}, else a generated corpus")
    ap.add_argument("--generated", action="store_true", help="lint a generated corpus of its shape")
    ap.add_argument("--generated-files", type=int, default=11_426, help="its size (files)")
    ap.add_argument("--yamllint-sample", type=int, default=400)
    ap.add_argument("--files-timeout", type=float, default=120, help="seconds per run in figure 7")
    ap.add_argument("--files-mode-only", action="store_true", help="print figure 7 only")
    args = ap.parse_args()
    if args.corpus and not args.corpus.is_dir():
        ap.error(f"{args.corpus} is not a folder")
    generate = args.generated or (args.corpus is None and not PERF.is_dir())
    with tempfile.TemporaryDirectory(prefix="stackalign-bench-") as tmp:
        if generate:
            corpus = generated_corpus(Path(tmp), args.generated_files)
            why = "--generated" if args.generated else f"{PERF} is absent"
            origin = (
                f"GENERATED by scripts/bench_corpus.py ({why}): synthetic files shaped like the perf "
                "corpus, figures comparable with it, not equal"
            )
        else:
            corpus = args.corpus or PERF
            origin = str(corpus)
        bench(args, corpus, origin)


def bench(args: argparse.Namespace, corpus: Path, origin: str) -> None:
    files = files_of(corpus)
    mb = sum(p.stat().st_size for p in files) / 1e6
    load = " / ".join(f"{x:.1f}" for x in os.getloadavg())
    print(
        f"corpus: {origin} ({len(files)} YAML files, {mb:.1f} MB); CPUs: {os.cpu_count()}; "
        f"load average {load}"
    )
    import linter

    package = Path(linter.__file__).resolve().parent
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(package)], check=True)
    print(f"stackalign {linter.__version__} from {package} (byte-compiled, as pip installs it)")
    subprocess.run(EXE + ["lint", str(REPO / "examples" / "clean")], stdout=subprocess.DEVNULL)
    if args.files_mode_only:
        files_mode_beside_directory_mode(files, corpus, args.files_timeout)
        return

    t, _ = timed(EXE + ["--version"], runs=7)
    print(f"1. --version: {t * 1000:.0f} ms (goal <= 150 ms)")

    with tempfile.TemporaryDirectory() as tmp:  # the story as a repository of its own
        story = Path(tmp) / "story"
        shutil.copytree(REPO / "examples" / "story", story)
        subprocess.run(["git", "init", "-q"], cwd=story, check=False)
        one = "gitops/llamastack/llamastackdistribution.yaml"
        t, _ = timed(EXE + ["lint", one, "--no-color"], cwd=story, runs=7)
        print(
            f"2. one-file lint (the story's CR, context from its repository): {t * 1000:.0f} ms (goal <= 300 ms)"
        )
        (Path(tmp) / "empty").mkdir()
        t0, _ = timed(EXE + ["lint", "empty"], cwd=Path(tmp), runs=7)
        print(f"   of which start-up (lint of an empty folder): {t0 * 1000:.0f} ms")
        # a copy of the package without bytecode: each of its modules compiled on each run
        src = Path(tmp) / "src"
        shutil.copytree(package, src / "linter", ignore=shutil.ignore_patterns("__pycache__"))
        for data in ("rules", "schemas"):
            if (package.parent / data).is_dir():
                shutil.copytree(package.parent / data, src / data)
        nobc = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "PYTHONPATH": str(src)}
        t1, _ = timed(EXE + ["lint", one, "--no-color"], cwd=story, runs=3, env=nobc)
        print(
            f"   without bytecode (PYTHONDONTWRITEBYTECODE=1, no __pycache__): {t1 * 1000:.0f} ms"
        )

    t_scan, _ = timed([sys.executable, "-c", SCAN, str(corpus)], runs=3)
    t_lint, _ = timed(EXE + ["lint", str(corpus), "--no-color", "--fail-on", "error"], runs=3)
    rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(
        f"3. whole corpus: stackalign {t_lint:.2f} s vs plain read+trigger scan {t_scan:.2f} s "
        f"= {t_lint / t_scan:.2f}x (goal <= 2x); {mb / t_lint:.1f} MB/s"
    )
    print(f"5. peak RSS of any measured process so far: {rss:.0f} MB (goal <= 300 MB)")

    yl = shutil.which("yamllint") or shutil.which("yamllint", path=str(Path(sys.executable).parent))
    if yl is None:
        print("4. yamllint: not installed (pip install yamllint) -- comparison skipped")
    else:
        with tempfile.TemporaryDirectory() as tmp:
            random.seed(7)
            sample = random.sample(files, min(args.yamllint_sample, len(files)))
            for i, p in enumerate(sample):
                shutil.copyfile(p, Path(tmp) / f"{i}.yaml")
            smb = sum(p.stat().st_size for p in sample) / 1e6
            t_yl, _ = timed([yl, "-f", "parsable", tmp], runs=1)
            rate_yl = smb / t_yl
            print(
                f"4. yamllint: {rate_yl:.2f} MB/s on a {len(sample)}-file sample ({smb:.1f} MB, {t_yl:.1f} s); "
                f"stackalign {mb / t_lint:.1f} MB/s on the corpus = {mb / t_lint / rate_yl:.0f}x (goal >= 50x)"
            )

    with tempfile.TemporaryDirectory() as tmp:
        print("6. linear growth:")
        for frac in (0.25, 0.5, 1.0):
            d = Path(tmp) / f"f{frac}"
            root = subset(files, corpus, frac, d) if frac < 1 else corpus
            t, _ = timed(EXE + ["lint", str(root), "--fail-on", "error"], runs=2)
            n = int(len(files) * frac)
            print(f"   {frac:>4.0%}: {n:>6} files {t:6.2f} s  ({t / n * 1e6:.0f} us/file)")

    files_mode_beside_directory_mode(files, corpus, args.files_timeout)


if __name__ == "__main__":
    main()
