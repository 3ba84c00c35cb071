#!/usr/bin/env python3
"""Recompile the KFP pipelines committed under examples/ and tests/fixtures/kfp/.

Every compiled YAML in this repository was produced by the real KFP compiler,
never written by hand:

    kfp dsl compile --py <file.py> --output <file.yaml> [--function <pipeline>]
                    [--kubernetes-manifest-format]

Toolchain that produced the committed files (Python 3.11.7, Linux):

    kfp==2.14.6   (the files say `sdkVersion: kfp-2.14.6`)
    kfp-pipeline-spec==2.17.3, protobuf==6.33.6, PyYAML==6.0.4 (resolved by pip)

The venv lives at /work/kfpvenv (override with KFP_VENV=...) and is created on
first use with `pip install kfp==2.14.6`. kfp is deliberately NOT a dependency
of stackalign: linting never imports or runs KFP.

The stale pipeline: examples/story/pipelines/rag_smoke_test.yaml is compiled from
tests/fixtures/kfp/stale_src/rag_smoke_test_v1.py, an older version of
examples/story/pipelines/rag_smoke_test.py. The current .py has real code changes
(max_chunks 3 -> 5, client.inference.chat_completion -> a POST to
/v1/chat/completions), so the committed YAML no longer matches it (SA303).
All other YAML files are compiled from the .py next to them and are in sync.

Usage:
    python scripts/compile_kfp_fixtures.py            # (re)compile everything
    python scripts/compile_kfp_fixtures.py --check    # recompile to a temp dir, diff, exit 1 on drift
    python scripts/compile_kfp_fixtures.py --positions  # print token positions for tests/fixtures/kfp/README.md
"""

from __future__ import annotations

import argparse
import difflib
import os
import subprocess
import sys
import tempfile
from pathlib import Path

KFP_VERSION = "2.14.6"
ROOT = Path(__file__).resolve().parent.parent
VENV = Path(os.environ.get("KFP_VENV", "/work/kfpvenv"))
FIX = "tests/fixtures/kfp"

# (source .py, output .yaml, pipeline function or None, extra compiler flags)
JOBS: list[tuple[str, str, str | None, list[str]]] = [
    (
        "examples/story/pipelines/ingest_pipeline.py",
        "examples/story/pipelines/ingest_pipeline.yaml",
        "ingest_pipeline",
        [],
    ),
    # STALE on purpose: compiled from the older source, see the module docstring.
    (
        f"{FIX}/stale_src/rag_smoke_test_v1.py",
        "examples/story/pipelines/rag_smoke_test.yaml",
        "rag_smoke_test_pipeline",
        [],
    ),
    (
        "examples/clean/pipelines/ingest_pipeline.py",
        "examples/clean/pipelines/ingest_pipeline.yaml",
        "ingest_pipeline",
        [],
    ),
    (f"{FIX}/fold_split_key.py", f"{FIX}/fold_split_key.yaml", "fold_split_key_pipeline", []),
    (
        f"{FIX}/fold_split_key.py",
        f"{FIX}/fold_split_key.k8s.yaml",
        "fold_split_key_pipeline",
        ["--kubernetes-manifest-format"],
    ),
    (f"{FIX}/single_quoted.py", f"{FIX}/single_quoted.yaml", "single_quoted_pipeline", []),
    (f"{FIX}/rest_variants.py", f"{FIX}/rest_variants.yaml", "rest_variants_pipeline", []),
    (f"{FIX}/int_chunk_id.py", f"{FIX}/int_chunk_id.yaml", "int_chunk_id_pipeline", []),
]

# Tokens whose positions tests rely on: (yaml, source .py, token text, occurrence count expected)
POSITION_TOKENS: list[tuple[str, str, list[str]]] = [
    (
        f"{FIX}/fold_split_key.yaml",
        f"{FIX}/fold_split_key.py",
        ['"stored_chunk_id"', "client.vector_io.insert"],
    ),
    (
        f"{FIX}/fold_split_key.k8s.yaml",
        f"{FIX}/fold_split_key.py",
        ['"stored_chunk_id"', "client.vector_io.insert"],
    ),
    (f"{FIX}/single_quoted.yaml", f"{FIX}/single_quoted.py", ['"stored_chunk_id"']),
    (
        f"{FIX}/rest_variants.yaml",
        f"{FIX}/rest_variants.py",
        ['"stored_chunk_id"', "stored_chunk_id=", "/v1/vector-io/insert", "stored_chunk_id"],
    ),
    (
        f"{FIX}/int_chunk_id.yaml",
        f"{FIX}/int_chunk_id.py",
        ['metadata["chunk_id"] = idx', '"chunk_id"', "client.vector_io.insert"],
    ),
    (
        "examples/story/pipelines/ingest_pipeline.yaml",
        "examples/story/pipelines/ingest_pipeline.py",
        [
            '"stored_chunk_id"',
            '"chunk_id": i',
            "client.vector_dbs.register",
            "client.vector_io.insert",
        ],
    ),
    (
        "examples/clean/pipelines/ingest_pipeline.yaml",
        "examples/clean/pipelines/ingest_pipeline.py",
        ['"chunk_id"', "client.vector_io.insert"],
    ),
]


def venv_python() -> Path:
    return VENV / "bin" / "python"


def ensure_venv() -> Path:
    kfp = VENV / "bin" / "kfp"
    if kfp.exists():
        out = subprocess.run(
            [str(kfp), "--version"], capture_output=True, text=True, check=False
        ).stdout
        if KFP_VERSION in out:
            return kfp
    if not venv_python().exists():
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    subprocess.run(
        [str(venv_python()), "-m", "pip", "install", "--quiet", f"kfp=={KFP_VERSION}"], check=True
    )
    out = subprocess.run([str(kfp), "--version"], capture_output=True, text=True, check=True).stdout
    if KFP_VERSION not in out:
        sys.exit(f"expected kfp {KFP_VERSION}, got: {out.strip()}")
    return kfp


def compile_one(kfp: Path, src: str, out: Path, function: str | None, flags: list[str]) -> None:
    cmd = [str(kfp), "dsl", "compile", "--py", str(ROOT / src), "--output", str(out)]
    if function:
        cmd += ["--function", function]
    cmd += flags
    subprocess.run(cmd, check=True, cwd=ROOT, capture_output=True, text=True)


def compile_all(check: bool) -> int:
    kfp = ensure_venv()
    drift = 0
    with tempfile.TemporaryDirectory() as tmp:
        for src, dst, function, flags in JOBS:
            target = Path(tmp) / Path(dst).name if check else ROOT / dst
            compile_one(kfp, src, target, function, flags)
            if check:
                new = target.read_text()
                old = (ROOT / dst).read_text() if (ROOT / dst).exists() else ""
                if new != old:
                    drift += 1
                    sys.stdout.writelines(
                        difflib.unified_diff(
                            old.splitlines(True), new.splitlines(True), dst, dst + " (recompiled)"
                        )
                    )
            else:
                print(f"compiled {src} -> {dst}")
    if check:
        print("in sync" if not drift else f"{drift} file(s) differ")
    return 1 if drift else 0


# --- positions -----------------------------------------------------------------------------
# A small port of PyYAML's flow-scalar scanner that remembers, for every character of the
# decoded value, the index in the raw file of the character that produced it.

_ESC = {
    "0": "\0",
    "a": "\a",
    "b": "\b",
    "t": "\t",
    "\t": "\t",
    "n": "\n",
    "v": "\v",
    "f": "\f",
    "r": "\r",
    "e": "\x1b",
    " ": " ",
    '"': '"',
    "/": "/",
    "\\": "\\",
    "N": "\x85",
    "_": "\xa0",
    "L": "\u2028",
    "P": "\u2029",
}
_HEX = {"x": 2, "u": 4, "U": 8}


def decode_flow_scalar(raw: str, start: int) -> tuple[str, list[int]]:
    """Decode the quoted scalar starting at raw[start]; return (value, src) with
    src[i] = raw index of value[i] and src[len(value)] = index of the closing quote."""
    quote = raw[start]
    double = quote == '"'
    i = start + 1
    out: list[str] = []
    src: list[int] = []
    while True:
        # non-space run
        while True:
            ch = raw[i]
            if not double and ch == "'" and raw[i + 1] == "'":
                out.append("'")
                src.append(i)
                i += 2
            elif ch == quote:
                src.append(i)
                return "".join(out), src
            elif double and ch == "\\":
                nxt = raw[i + 1]
                if nxt in _ESC:
                    out.append(_ESC[nxt])
                    src.append(i)
                    i += 2
                elif nxt in _HEX:
                    n = _HEX[nxt]
                    out.append(chr(int(raw[i + 2 : i + 2 + n], 16)))
                    src.append(i)
                    i += 2 + n
                elif nxt in "\r\n":
                    # escaped line break: skip it and the indentation that follows
                    i += 2 if raw[i + 1 : i + 3] != "\r\n" else 3
                    while raw[i] in " \t":
                        i += 1
                    # further blank lines inside an escaped break are kept as newlines
                    while raw[i] in "\r\n":
                        out.append("\n")
                        src.append(i)
                        i += 2 if raw[i : i + 2] == "\r\n" else 1
                        while raw[i] in " \t":
                            i += 1
                else:
                    raise ValueError(f"bad escape at {i}")
            elif ch in " \t\r\n":
                break
            else:
                out.append(ch)
                src.append(i)
                i += 1
        # whitespace run
        ws_start = i
        while raw[i] in " \t":
            i += 1
        if raw[i] in "\r\n":
            # folded line break: first break -> space (unless more breaks follow -> newlines)
            first_break = i
            i += 2 if raw[i : i + 2] == "\r\n" else 1
            breaks: list[int] = []
            while True:
                while raw[i] in " \t":
                    i += 1
                if raw[i] in "\r\n":
                    breaks.append(i)
                    i += 2 if raw[i : i + 2] == "\r\n" else 1
                else:
                    break
            if breaks:
                for b in breaks:
                    out.append("\n")
                    src.append(b)
            else:
                out.append(" ")
                src.append(first_break)
        else:
            for k in range(ws_start, i):
                out.append(raw[k])
                src.append(k)


def _raw_len(raw: str, i: int, double: bool) -> int:
    """Length of the raw text that encodes the value character starting at raw[i]."""
    if double and raw[i] == "\\":
        return 2 + _HEX.get(raw[i + 1], 0)
    if not double and raw[i] == "'":
        return 2
    return 1


def _line_col(starts: list[int], index: int) -> tuple[int, int]:
    import bisect

    line = bisect.bisect_right(starts, index) - 1
    return line + 1, index - starts[line] + 1


def _program_scalars(raw: str):
    """Yield (function_name, start_index) for each embedded program (command item after the
    launcher item that mentions ephemeral_component.py), in file order."""
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    for doc in yaml.compose_all(raw, Loader=loader):
        stack = [doc]
        while stack:
            node = stack.pop()
            if isinstance(node, yaml.MappingNode):
                keys = {k.value: v for k, v in node.value if isinstance(k, yaml.ScalarNode)}
                cmd, args = keys.get("command"), keys.get("args")
                if isinstance(cmd, yaml.SequenceNode) and isinstance(args, yaml.SequenceNode):
                    items = cmd.value
                    for j, item in enumerate(items[:-1]):
                        if (
                            isinstance(item, yaml.ScalarNode)
                            and "ephemeral_component.py" in item.value
                        ):
                            vals = [a.value for a in args.value if isinstance(a, yaml.ScalarNode)]
                            fn = vals[vals.index("--function_to_execute") + 1]
                            yield fn, items[j + 1]
                stack.extend(v for _, v in node.value)
            elif isinstance(node, yaml.SequenceNode):
                stack.extend(node.value)


def positions() -> None:
    import importlib.util

    if importlib.util.find_spec("yaml") is None:  # PyYAML ships with kfp: rerun in its venv
        os.execv(str(venv_python()), [str(venv_python()), __file__, "--positions"])

    for yaml_rel, py_rel, tokens in POSITION_TOKENS:
        raw = (ROOT / yaml_rel).read_text()
        py = (ROOT / py_rel).read_text()
        ystarts = [0] + [i + 1 for i, c in enumerate(raw) if c == "\n"]
        pstarts = [0] + [i + 1 for i, c in enumerate(py) if c == "\n"]
        print(f"\n## {yaml_rel}  (source {py_rel})")
        for fn, node in _program_scalars(raw):
            value, src = decode_flow_scalar(raw, node.start_mark.index)
            assert value == node.value, (yaml_rel, fn)
            assert src[-1] == node.end_mark.index - 1
            style = {'"': "double-quoted", "'": "single-quoted"}[raw[node.start_mark.index]]
            # program line of the def -> .py line of the def
            prog_lines = value.split("\n")
            def_prog = next(i for i, line in enumerate(prog_lines) if line.startswith(f"def {fn}("))
            def_py = next(
                i for i, line in enumerate(py.split("\n")) if line.lstrip().startswith(f"def {fn}(")
            )
            margin = len(py.split("\n")[def_py]) - len(py.split("\n")[def_py].lstrip())
            func_text = "\n".join(prog_lines[def_prog:])
            print(
                f"- executor for `{fn}`: {style} scalar at {_line_col(ystarts, node.start_mark.index)}, "
                f"def at program line {def_prog + 1}"
            )
            pstart_prog = sum(len(line) + 1 for line in prog_lines[:def_prog])
            for tok in tokens:
                pos = 0
                while True:
                    k = func_text.find(tok, pos)
                    if k < 0:
                        break
                    pos = k + 1
                    vi = pstart_prog + k
                    ve = vi + len(tok) - 1
                    # .py position: same text relative to def (margin 0 for top-level defs)
                    pline = def_py + func_text[:k].count("\n")
                    pcol = k - (func_text.rfind("\n", 0, k) + 1) + margin
                    pidx = pstarts[pline] + pcol
                    assert py[pidx : pidx + len(tok)] == tok
                    ys, ye = src[vi], src[ve]
                    end_excl = ye + _raw_len(raw, ye, style == "double-quoted")
                    yl, yc = _line_col(ystarts, ys)
                    el, ec = _line_col(ystarts, end_excl)
                    print(
                        f"  - `{tok}` py {pline + 1}:{pcol + 1}-{pline + 1}:{pcol + 1 + len(tok)}"
                        f"  yaml {yl}:{yc}-{el}:{ec}"
                    )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--check", action="store_true", help="recompile to a temp dir and diff")
    ap.add_argument("--positions", action="store_true", help="print token positions")
    a = ap.parse_args()
    if a.positions:
        positions()
        return 0
    return compile_all(a.check)


if __name__ == "__main__":
    sys.exit(main())
