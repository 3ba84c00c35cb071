#!/usr/bin/env python3
"""What rendering costs: time per chart (engine load, first render, cached render) and a
chart-free run with rendering on and off. Prints numbers; asserts nothing.

    python scripts/bench_render.py                    # ../shared/corpus/gitops, else tests/data/render
    python scripts/bench_render.py --repeat 5 PATH... # other repositories

Each measurement runs in a fresh process (`python -m linter lint`), so start-up and the engine's
load count as they do for a user; the per-user cache is a fresh temporary folder per cold run.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"


def _run(path: Path, env: dict[str, str]) -> tuple[float, dict]:
    start = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-m", "linter", "lint", ".", "--format", "json"],
        cwd=path,
        capture_output=True,
        text=True,
        env={**os.environ, **env, "STACKALIGN_TIMING": "1"},
        timeout=600,
        check=False,
    )
    elapsed = time.perf_counter() - start
    render_ms = 0.0
    for line in out.stderr.splitlines():
        if line.startswith("render:"):
            render_ms = float(line.split()[-1])
    try:
        report = json.loads(out.stdout)
    except json.JSONDecodeError:
        report = {}
    return elapsed, {"render_ms": render_ms, "findings": len(report.get("findings", []))}


def _charts(path: Path) -> int:
    return sum(1 for p in path.rglob("Chart.yaml") if ".git" not in p.parts)


def bench(paths: list[Path], repeat: int) -> None:
    print(
        f"{'repository':55} {'charts':>6} {'cold s':>7} {'render ms':>9} {'warm s':>7} {'render ms':>9} {'ms/chart cold':>13} {'ms/chart warm':>13}"
    )
    for path in paths:
        charts = _charts(path)
        cold, warm = [], []
        for _ in range(repeat):
            with tempfile.TemporaryDirectory() as cache:
                env = {"STACKALIGN_CACHE_DIR": cache}
                cold.append(_run(path, env))
                warm.append(_run(path, env))
        c = statistics.median(t for t, _ in cold)
        w = statistics.median(t for t, _ in warm)
        cr = statistics.median(m["render_ms"] for _, m in cold)
        wr = statistics.median(m["render_ms"] for _, m in warm)
        per_c = cr / charts if charts else 0.0
        per_w = wr / charts if charts else 0.0
        print(
            f"{str(path)[-55:]:55} {charts:>6} {c:>7.2f} {cr:>9.1f} {w:>7.2f} {wr:>9.1f} {per_c:>13.1f} {per_w:>13.1f}"
        )


def chart_free(path: Path, repeat: int, before: Path | None) -> None:
    """A chart-free repository: this checkout, and (`--before`) a checkout without rendering."""
    after = [_run(path, {})[0] for _ in range(repeat)]
    _, m = _run(path, {})
    line = f"chart-free {path.name}: median {statistics.median(after):.3f} s (render step {m['render_ms']:.1f} ms)"
    if before is not None:
        old = [_run(path, {"PYTHONPATH": str(before)})[0] for _ in range(repeat)]
        line += f"; before ({before}): median {statistics.median(old):.3f} s"
    print(line)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", type=Path)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--before", type=Path, help="a checkout without rendering (e.g. ../main)")
    args = parser.parse_args(argv)
    try:
        import helm_python  # noqa: F401
    except ImportError:
        print("helm-python-sdk is not installed (pip install 'stackalign[helm]'): nothing renders")
    gitops = SHARED / "corpus" / "gitops"
    vendored = ROOT / "tests" / "data" / "render"
    if not args.paths and not gitops.is_dir():
        print(f"{gitops} is absent: timing the two charts vendored under {vendored} instead")
    paths = args.paths or sorted((gitops if gitops.is_dir() else vendored).iterdir())
    paths = [p for p in paths if p.is_dir()]
    if paths:
        bench(paths, args.repeat)
    for repo in (ROOT / "examples" / "clean", ROOT / "examples" / "story"):
        chart_free(repo, args.repeat, args.before)
    return 0


if __name__ == "__main__":
    sys.exit(main())
