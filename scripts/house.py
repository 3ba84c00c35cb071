"""The shape of the house: stackalign's modules with their line counts (by package) and the
module-level import cycles among them (there should be none; tests/test_architecture.py checks).

    python scripts/house.py [CHECKOUT]   # default: this checkout; another one to compare
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path


def modules(root: Path) -> dict[str, Path]:
    """Dotted module name -> file, for every module of `linter/` under `root`."""
    found = {}
    for p in sorted((root / "linter").rglob("*.py")):
        name = ".".join(p.relative_to(root).with_suffix("").parts)
        found[name.removesuffix(".__init__")] = p
    return found


def imports(mods: dict[str, Path]) -> dict[str, set[str]]:
    """Module -> the modules of `mods` it imports at module level (what runs at import time;
    imports inside functions and under `if TYPE_CHECKING:` do not make cycles)."""
    edges: dict[str, set[str]] = {m: set() for m in mods}
    for m, p in mods.items():
        for n in ast.parse(p.read_text(encoding="utf-8")).body:
            targets: list[str] = []
            if isinstance(n, ast.Import):
                targets = [a.name for a in n.names]
            elif isinstance(n, ast.ImportFrom) and n.module and n.level == 0:
                subs = [f"{n.module}.{a.name}" for a in n.names if f"{n.module}.{a.name}" in mods]
                targets = subs + ([n.module] if len(subs) < len(n.names) else [])
            edges[m].update(t for t in targets if t in mods and t != m)
    return edges


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    found: list[list[str]] = []
    for root in sorted(edges):
        if root in index:
            continue
        work = [(root, iter(sorted(edges[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on.add(root)
        while work:
            v, it = work[-1]
            w = next(it, None)
            if w is not None:
                if w not in index:
                    index[w] = low[w] = len(index)
                    stack.append(w)
                    on.add(w)
                    work.append((w, iter(sorted(edges[w]))))
                elif w in on:
                    low[v] = min(low[v], index[w])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == index[v]:
                comp = []
                while True:
                    w = stack.pop()
                    on.discard(w)
                    comp.append(w)
                    if w == v:
                        break
                if len(comp) > 1:
                    found.append(sorted(comp))
    return found


def main(root: Path) -> None:
    mods = modules(root)
    lines = {m: len(p.read_text(encoding="utf-8").splitlines()) for m, p in mods.items()}
    print(f"{len(mods)} modules, {sum(lines.values())} lines ({root})")
    packages: dict[str, list[int]] = {}
    for m, n in lines.items():
        key = ".".join(m.split(".")[:2])
        packages.setdefault(key, [0, 0])
        packages[key][0] += 1
        packages[key][1] += n
    for key, (count, n) in sorted(packages.items()):
        print(f"  {key:28} {count:3} modules {n:6} lines")
    print(
        "largest:", ", ".join(f"{m} {n}" for m, n in sorted(lines.items(), key=lambda x: -x[1])[:6])
    )
    print("module-level import cycles:", cycles(imports(mods)) or "none")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent.parent)
