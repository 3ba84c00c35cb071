#!/usr/bin/env python3
"""Mutation fuzzer: hostile variants of real files, linted (and fixed) with an oracle.

    python scripts/fuzz.py                      # 300 cases, seed 14
    python scripts/fuzz.py --cases 20000        # the by-hand budget (about an hour on 2 cores)
    python scripts/fuzz.py --classes alias-bomb,tags --save /tmp/fuzz-failures
    python scripts/fuzz.py --cases 20000 --case 193  # one case again, exactly

Seeds are the lintable files of examples/, tests/data and tests/fixtures (each with its
repository, for context such as the Subscription that sets the target) and every rule's examples.
Each case takes one seed tree, mutates one file with one input class (below), lints it in-process
with every rule and renders every report format. The oracle, per case:

- no exception escapes (the CLI would print it as an internal error), no check fails
  (`RunResult.errors`), nothing takes more than --timeout seconds of CPU, or ten times that of
  wall clock (a hang: a runaway computation or a blocked read);
- the JSON and SARIF reports parse as JSON; every report encodes as UTF-8; the text and github
  reports hold no control character but line feeds and tabs (terminal escapes are escaped);
- when the case has fixes (all of them, --unsafe-fixes): the fixed text re-parses, replaying the
  recorded edits on the original bytes gives the fixed bytes (nothing outside the edits changed),
  `git apply` of the --diff bytes gives exactly the fixed files, and fixing the written result
  again changes nothing;
- every --cli-every cases, the real command in a subprocess (`lint --format json` and `--diff`):
  exit code 0 or 1, valid JSON, no traceback and no internal error on stderr.

The random generator is seeded (--seed): a run is reproducible, and a failure names its case
number, class and seed file. Exit status 1 if any case failed. tests/test_fuzz.py runs a small
budget of this in CI.
"""

from __future__ import annotations

import argparse
import codecs
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

LINTABLE = (
    ".yaml",
    ".yml",
    ".py",
    ".sh",
    ".txt",
    ".toml",
    ".cfg",
    ".ipynb",
    "Containerfile",
    "Dockerfile",
)
SEED_FOLDERS = ("examples", "tests/data", "tests/fixtures")
CONTROL_OK = {"\n", "\t"}

Mutator = Callable[[random.Random, bytes, str], bytes]


# -- seeds -----------------------------------------------------------------------------------------
@dataclass
class SeedTree:
    """Files of one small repository (name -> bytes), and the target its lint uses."""

    name: str
    files: dict[str, bytes]
    target: dict[str, str] = field(default_factory=dict)

    def lintable(self) -> list[str]:
        return sorted(n for n in self.files if n.endswith(LINTABLE))


def seed_trees() -> list[SeedTree]:
    """The example repositories and fixture folders (whole), then every rule's example files."""
    trees = []
    for folder in SEED_FOLDERS:
        base = REPO / folder
        if not base.is_dir():
            continue
        roots = [p for p in sorted(base.iterdir()) if p.is_dir()] or [base]
        for root in roots:
            files = {
                str(p.relative_to(root)): p.read_bytes()
                for p in sorted(root.rglob("*"))
                if p.is_file() and p.name.endswith(LINTABLE) and "__pycache__" not in p.parts
            }
            if files:
                trees.append(SeedTree(f"{folder}/{root.name}", files))
    from linter.engine import Options, load_pack

    _, rules = load_pack(Options())
    for rule in rules:
        for i, ex in enumerate(rule.examples):
            files = {n: t.encode("utf-8") for n, t in ex.files.items()}
            trees.append(SeedTree(f"{rule.id} example {i}", files, dict(ex.target)))
    return [t for t in trees if t.lintable()]


# -- mutators (one per input class) ------------------------------------------------------------------
def _pos(rng: random.Random, data: bytes) -> int:
    return rng.randrange(len(data) + 1)


def _line_starts(data: bytes) -> list[int]:
    return [0] + [i + 1 for i, b in enumerate(data) if b == 0x0A and i + 1 < len(data)]


def byte_flip(rng, data, name):
    out = bytearray(data or b"\n")
    for _ in range(rng.randint(1, 8)):
        i = rng.randrange(len(out))
        out[i] = rng.choice([out[i] ^ (1 << rng.randrange(8)), rng.randrange(256)])
    return bytes(out)


def truncate(rng, data, name):
    return data[: _pos(rng, data)]


def tabs(rng, data, name):
    starts = _line_starts(data)
    out = bytearray(data)
    for start in sorted(rng.sample(starts, min(len(starts), rng.randint(1, 4))), reverse=True):
        end = start
        while end < len(out) and out[end] == 0x20:
            end += 1
        out[start:end] = b"\t" * rng.randint(1, 2) if end > start else b"\t"
    return bytes(out)


SPECIALS = [b"\x00", codecs.BOM_UTF8, "\u2028".encode(), "\u2029".encode(), "\x85".encode()]


def nul_bom_u2028(rng, data, name):
    roll = rng.random()
    if roll < 0.25:
        return codecs.BOM_UTF8 * rng.randint(2, 3) + data  # two or three BOMs
    if roll < 0.4:
        return codecs.BOM_UTF8 + "\ufeff# c\n".encode() + data
    out = data
    for _ in range(rng.randint(1, 4)):
        i = _pos(rng, out)
        out = out[:i] + rng.choice(SPECIALS) + out[i:]
    return out


def line_endings(rng, data, name):
    lines = data.split(b"\n")
    style = rng.choice(["cr", "crlf", "mixed"])
    if style == "cr":
        return b"\r".join(lines)
    if style == "crlf":
        return b"\r\n".join(lines)
    return b"".join(line + rng.choice([b"\n", b"\r\n", b"\r"]) for line in lines[:-1]) + lines[-1]


def huge_scalar(rng, data, name, size: int = 3 * 1024 * 1024):
    value = b"a" * size
    if name.endswith(".py"):
        return data + b"\nBIG = '" + value + b"'\n"
    if rng.random() < 0.5:
        return data.rstrip(b"\n") + b"\nbig: " + value + b"\n"
    return (
        data.rstrip(b"\n")
        + b"\nbig: |\n"
        + b"".join(b"  " + value[:80] + b"\n" for _ in range(size // 80))
    )


def huge_line(rng, data, name, size: int = 2 * 1024 * 1024):
    if name.endswith(".py"):
        return data + b"\nX = [" + b"1, " * (size // 3) + b"]\n"
    return data.rstrip(b"\n") + b"\nline: [" + b"x, " * (size // 3) + b"]\n"


def deep_nesting(rng, data, name, depth: int = 50_000):
    if name.endswith(".py"):
        return data + b"\nX = " + b"[" * depth + b"]" * depth + b"\n"
    if rng.random() < 0.5:
        return data.rstrip(b"\n") + b"\ndeep: " + b"[" * depth + b"]" * depth + b"\n"
    block = b"".join(b"  " * i + b"k:\n" for i in range(min(depth, 3000)))
    return data.rstrip(b"\n") + b"\ndeep:\n" + block.replace(b"k:\n", b"  k:\n", 1)


def many_documents(rng, data, name, count: int = 100_000):
    return data.rstrip(b"\n") + b"\n" + b"---\na: 1\n" * count


def alias_bomb(rng, data, name):
    levels = rng.randint(6, 10)
    lines = ["bomb:", "  a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for i in range(1, levels):
        lines.append(f"  a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]")
    bomb = ("\n".join(lines) + "\n").encode()
    if b"providers:" in data and rng.random() < 0.5:  # inside a run config (maybe embedded)
        i = data.index(b"providers:")
        indent = data[data.rfind(b"\n", 0, i) + 1 : i]
        return data[:i] + b"".join(indent + line + b"\n" for line in bomb.splitlines()) + data[i:]
    return data.rstrip(b"\n") + b"\n" + bomb


TAGS = [
    b"!!python/object/apply:os.system ['touch /tmp/stackalign-fuzz-pwned']",
    b"!!python/name:os.system",
    b"!!binary aGVsbG8=",
    b"!custom {a: 1}",
    b"!!set {a, b}",
    b"!!omap [a: 1]",
    b"!<tag:example.com,2000:x> 1",
    b"!!str 2.25",
    b"!!int 0x1f",
]


def tags(rng, data, name):
    out = data
    for _ in range(rng.randint(1, 3)):
        i = out.find(b": ", rng.randrange(len(out) + 1))
        if i < 0:
            out = out.rstrip(b"\n") + b"\ntagged: " + rng.choice(TAGS) + b"\n"
        else:
            out = out[: i + 2] + rng.choice(TAGS) + b" " + out[i + 2 :]
    return out


def non_utf8(rng, data, name):
    roll = rng.random()
    if roll < 0.2:
        return data.decode("utf-8", "replace").encode("utf-16")
    if roll < 0.4:
        return data.decode("utf-8", "replace").encode("latin-1", "replace") + b"\n# caf\xe9\n"
    out = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        out.insert(_pos(rng, bytes(out)), rng.choice([0x80, 0xC3, 0xE9, 0xFF, 0xED, 0xF8]))
    return bytes(out)


ESCAPES = ["\\e]0;PWN\\a\\e[2J", "\\x9b2J", "\\u202e", "\\e[31m"]


def control_chars(rng, data, name):
    """Terminal escapes in decoded values (YAML escapes in a double-quoted scalar) or raw."""
    if name.endswith(".py"):
        return data + b'\nprint("\x1b]0;PWN\x07\x1b[2J")  # \x1b[31m\n'
    i = data.find(b"image: ")
    esc = rng.choice(ESCAPES).encode()
    if i >= 0:
        end = data.find(b"\n", i)
        end = len(data) if end < 0 else end
        value = data[i + 7 : end].strip(b"\"'")
        return data[: i + 7] + b'"' + value + esc + b'"' + data[end:]
    return data.rstrip(b"\n") + b'\nnote: "' + esc + b'"\n'


def splice(rng, data, name, other: bytes = b""):
    a, b = _pos(rng, data), rng.randrange(len(other) + 1)
    return data[:a] + other[b:]


CONFIG_SEEDS = {
    ".stackalign.yaml": (
        b'# a configuration with every key\ntarget: {rhoai: "2.25"}\ninclude: ["**"]\n'
        b'exclude: ["vendor/**", "*.tmp.yaml"]\nselect: [SA1, SA2, SA3]\nignore: [SA104]\n'
        b"rules:\n  SA102: note\n  SA303: {level: off}\n  milvus-schema-override: error\n"
        b"rule-files: []\nknowledge-files: []\n"
    ),
    "pyproject.toml": (
        b'[project]\nname = "x"\n\n[tool.stackalign]\ntarget = {rhoai = "2.25"}\n'
        b'exclude = ["vendor/**"]\nselect = ["SA1", "SA2"]\n\n[tool.stackalign.rules]\n'
        b'SA102 = "note"\n'
    ),
}
#: what a hostile configuration names: none of it may be read or printed
REFERENCES = [
    "../../../../../../etc/passwd",
    "/etc/shadow",
    "/dev/zero",
    ".git/config",
    "~/.ssh/id_rsa",
    "x" * 5000,
    "\x1b]0;PWN\x07.yaml",
    "",
    "rules/../../outside.yaml",
]


def config(rng, data, name):
    """A configuration mutated by a light class, or naming files it may not (REFERENCES)."""
    if rng.random() < 0.3 and name.endswith(".yaml"):
        key = rng.choice(["rule-files", "knowledge-files"])
        ref = json.dumps(rng.choice(REFERENCES))
        return data.replace(f"{key}: []".encode(), f"{key}: [{ref}]".encode())
    klass = rng.choice([c for c in CLASSES if c not in HEAVY and c not in ("config", "splice")])
    if klass == "deep-nesting":
        return deep_nesting(rng, data, name, depth=rng.choice([60, 900, 5000]))
    return CLASSES[klass](rng, data, name)


CLASSES: dict[str, Mutator] = {
    "byte-flip": byte_flip,
    "truncate": truncate,
    "tabs": tabs,
    "nul-bom-u2028": nul_bom_u2028,
    "line-endings": line_endings,
    "huge-scalar": huge_scalar,
    "huge-line": huge_line,
    "deep-nesting": deep_nesting,
    "many-documents": many_documents,
    "alias-bomb": alias_bomb,
    "tags": tags,
    "non-utf8": non_utf8,
    "control-chars": control_chars,
    "splice": splice,
    "config": config,
}
#: classes that build megabytes: drawn less often (each costs about a second)
HEAVY = {"huge-scalar", "huge-line", "deep-nesting", "many-documents"}
FILE_NAMES = ["caf\udce9.yaml", "x\x1b]0;PWN\x07.yaml", "sp ace.yaml", "\u202egnp.yaml"]


# -- one case --------------------------------------------------------------------------------------
@dataclass
class Case:
    number: int
    klass: str
    tree: SeedTree
    file: str
    files: dict[str, bytes]  # the mutated tree


@dataclass
class Outcome:
    failures: list[str] = field(default_factory=list)
    fixed: bool = False


class Hang(Exception):
    pass


WALL_FACTOR = 10  # a case may take this many times its CPU limit of wall-clock time


#: the size argument of each heavy class at scale 1 (the sizes of the issue's campaign)
HEAVY_SIZES = {
    "huge-scalar": ("size", 3 * 1024 * 1024),
    "huge-line": ("size", 2 * 1024 * 1024),
    "deep-nesting": ("depth", 50_000),
    "many-documents": ("count", 100_000),
}


def make_case(
    number: int,
    rng: random.Random,
    trees: list[SeedTree],
    classes: list[str],
    klass: str = "",
    scale: float = 1.0,
) -> Case:
    light = [c for c in classes if c not in HEAVY] or classes
    klass = klass or rng.choice(classes if rng.random() < 0.1 else light)
    tree = rng.choice(trees)
    name = rng.choice(tree.lintable())
    data = tree.files[name]
    if klass == "config":
        name = rng.choice(sorted(CONFIG_SEEDS))
        mutated = config(rng, CONFIG_SEEDS[name], name)
    elif klass == "splice":
        other = rng.choice(trees)
        mutated = splice(rng, data, name, other.files[rng.choice(other.lintable())])
    elif klass in HEAVY_SIZES:
        arg, size = HEAVY_SIZES[klass]
        mutated = CLASSES[klass](rng, data, name, **{arg: max(1, int(size * scale))})
    else:
        mutated = CLASSES[klass](rng, data, name)
    files = dict(tree.files)
    if klass == "control-chars" and rng.random() < 0.3:  # a hostile file name too
        del files[name]
        name = os.path.join(os.path.dirname(name), rng.choice(FILE_NAMES))
    files[name] = mutated
    return Case(number, klass, tree, name, files)


def write_tree(root: Path, files: dict[str, bytes]) -> None:
    for name, data in files.items():
        path = os.path.join(os.fsencode(root), os.fsencode(name))
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as fh:
            fh.write(data)


def read_tree(root: Path) -> dict[str, bytes]:
    out = {}
    base = os.fsencode(root)
    for folder, dirs, names in os.walk(base):
        dirs[:] = [d for d in dirs if d != b".git"]
        for n in names:
            path = os.path.join(folder, n)
            with open(path, "rb") as fh:
                out[os.fsdecode(os.path.relpath(path, base))] = fh.read()
    return out


def run_case(case: Case, work: Path, pack, timeout: float, fix: bool) -> Outcome:
    """Lint (and fix) one case in-process; every broken promise is a failure string."""
    out = Outcome()
    root = work / f"case-{case.number}"
    write_tree(root, case.files)

    def expired(signum, frame):
        kind = "of CPU" if signum == signal.SIGPROF else "of wall clock (blocked?)"
        limit = timeout if signum == signal.SIGPROF else timeout * WALL_FACTOR
        raise Hang(f"took longer than {limit:.0f} s {kind}")

    # CPU time finds a runaway computation whatever the machine's load; wall-clock time (much
    # longer) finds a read that blocks (a FIFO), which costs no CPU
    old = signal.signal(signal.SIGALRM, expired), signal.signal(signal.SIGPROF, expired)
    signal.setitimer(signal.ITIMER_PROF, timeout)
    signal.setitimer(signal.ITIMER_REAL, timeout * WALL_FACTOR)
    try:
        if case.klass == "config":
            failures, pack = check_config(root, pack)
            out.failures += failures
            if pack is None:  # refused, as it should be: nothing to lint with it
                return out
        result = _lint(root, case.tree.target, pack)
        out.failures += [f"internal error: {e}" for e in result.errors]
        out.failures += check_reports(result, root)
        if fix and any(f.fix is not None for f in result.findings):
            out.fixed = True
            out.failures += check_fixes(root, case.tree.target, pack)
    except Hang as exc:
        out.failures.append(f"hang: {exc}")
    except Exception:  # noqa: BLE001 - what the oracle looks for
        out.failures.append("traceback: " + traceback.format_exc(limit=6))
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old[0])
        signal.signal(signal.SIGPROF, old[1])
        shutil.rmtree(root, ignore_errors=True)
    return out


def check_config(root: Path, pack) -> tuple[list[str], tuple | None]:
    """A configuration is read and validated, or refused with a short, printable error (a
    ConfigError, or for the files it names a rule pack or knowledge base error): never another
    exception. Returns the pack to lint with, or None when the configuration was refused."""
    from linter.config import ConfigError, find_config, load_config
    from linter.engine import load_pack
    from linter.knowledge import KnowledgeError
    from linter.rulepack import RulePackError

    path = find_config(root)
    if path is None:
        return [], pack
    try:
        cfg = load_config(path)
        if cfg.rule_files or cfg.knowledge_files:
            pack = load_pack(_options(root, {}, cfg))
    except (ConfigError, KnowledgeError, RulePackError) as exc:
        from linter.cli import UsageFailure

        message = UsageFailure(str(exc)).format_message()  # what the CLI prints
        failures = []
        if len(message) > 20_000:
            failures.append(f"a configuration error of {len(message):,} characters")
        if not all(_printable_char(c) for c in set(message)):
            failures.append("a configuration error prints control characters")
        return failures, None
    return [], (pack[0], pack[1], cfg)


def _options(root: Path, target: dict[str, str], config=None):
    from linter.engine import Options

    return Options(paths=["."], cwd=root, target=dict(target), config=config)


def _lint(root: Path, target: dict[str, str], pack):
    from linter.engine import run, select_rules

    kb, rules, *config = pack
    opts = _options(root, target, config[0] if config else None)
    return run(opts, kb=kb, rules=select_rules(rules, opts))


def check_reports(result, root: Path) -> list[str]:
    """Render every format as the CLI does; JSON must parse, all must be UTF-8, the human
    formats must carry no control characters."""
    from datetime import datetime, timezone

    from linter.cli import _summary
    from linter.report import github, sarif, text
    from linter.report import json as json_report

    summary = _summary(result)
    now = datetime.now(timezone.utc)
    meta = sarif.RunMetadata(
        target=result.target.as_json(),
        rules=result.rules,
        command_line="stackalign lint",
        working_directory=root,
        start_time=now,
        end_time=now,
        file_texts=dict(result.workspace.file_texts),
    )
    reports = {
        "json": json_report.render(result.findings, result.target.as_json(), summary),
        "sarif": sarif.render(result.findings, meta),
        "text": text.render(result.findings, result.workspace.file_texts, "Target: x", summary),
        "github": github.render(result.findings),
    }
    failures = []
    for fmt, report in reports.items():
        try:
            report.encode("utf-8")
        except UnicodeEncodeError as exc:
            failures.append(f"{fmt} report is not UTF-8: {exc}")
        if fmt in ("json", "sarif"):
            try:
                json.loads(report)
            except ValueError as exc:
                failures.append(f"{fmt} report is not JSON: {exc}")
        else:
            bad = sorted({c for c in set(report) if not _printable_char(c)})
            if bad:
                failures.append(f"{fmt} report prints control characters {bad!r}")
    return failures


def check_fixes(root: Path, target: dict[str, str], pack) -> list[str]:
    """The fix-safety oracle on one tree (it is written to disk and fixed there)."""
    from linter.fixes import fix_repository, unified_diff_bytes, write_fixed

    failures = []
    before = read_tree(root)
    out = fix_repository(_options(root, target), unsafe=True)
    failures += replay_problems(out)
    patch = unified_diff_bytes(out)
    written = write_fixed(out)
    after = read_tree(root)
    expected = dict(before)
    for abspath in out.changed():
        rel = out.rel[abspath]
        if rel in written:
            expected[rel] = out.overlay[abspath]
    if after != expected:
        failures.append("the files on disk are not what the fix loop computed")
    if patch and shutil.which("git"):
        failures += git_apply_problems(before, patch, after, root.parent)
    again = fix_repository(_options(root, target), unsafe=True)
    if again.changed():
        failures.append(f"a second --fix changes {sorted(again.rel.values())} again")
    return failures


def replay_problems(out) -> list[str]:
    """Replaying the recorded edits on the bytes the lint read gives the fixed bytes."""
    from linter.fixes import _split_bom, apply_edits

    failures = []
    for abspath in out.changed():
        bom, text = _split_bom(out.originals[abspath])
        for edits in out.edits.get(abspath, []):
            text = apply_edits(text, edits)
        if bom + text.encode("utf-8") != out.overlay[abspath]:
            failures.append(f"{out.rel[abspath]}: bytes changed outside the recorded edits")
    return failures


def git_apply_problems(before: dict, patch: bytes, after: dict, work: Path) -> list[str]:
    scratch = Path(tempfile.mkdtemp(dir=work, prefix="apply-"))
    try:
        write_tree(scratch, before)
        subprocess.run(["git", "init", "-q"], cwd=scratch, check=True)
        (scratch / ".fix.patch").write_bytes(patch)
        proc = subprocess.run(
            ["git", "apply", "--unidiff-zero", ".fix.patch"],
            cwd=scratch,
            capture_output=True,
            check=False,
        )
        (scratch / ".fix.patch").unlink()
        if proc.returncode != 0:
            return [f"git apply of --diff failed: {proc.stderr.decode(errors='replace')[:300]}"]
        if read_tree(scratch) != after:
            return ["--diff | git apply differs from --fix"]
        return []
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def cli_problems(case: Case, work: Path, timeout: float) -> list[str]:
    """The real command in a subprocess: exit code, JSON, no traceback, no internal error."""
    root = work / f"cli-{case.number}"
    write_tree(root, case.files)
    target = [f"--target={k}={v}" for k, v in case.tree.target.items()]
    failures = []
    try:
        for args in (["--format", "json"], ["--diff", "--unsafe-fixes"]):
            cmd = [sys.executable, "-m", "linter", "lint", *target, *args, "."]
            try:
                proc = subprocess.run(
                    cmd, cwd=root, capture_output=True, timeout=timeout * WALL_FACTOR
                )
            except subprocess.TimeoutExpired:
                failures.append(f"cli {' '.join(args)}: hang")
                continue
            err = proc.stderr.decode("utf-8", "replace")
            refused = proc.returncode == 2 and err.startswith("Error: ")  # a usage error
            if case.klass != "config":
                refused = False  # only a configuration may be refused as a whole
            if "Traceback" in err or "internal error" in err:
                failures.append(f"cli {' '.join(args)}: exit {proc.returncode}: {err[:300]}")
            elif proc.returncode not in (0, 1) and not refused:
                failures.append(f"cli {' '.join(args)}: exit {proc.returncode}: {err[:300]}")
            if args[0] == "--format" and not refused:
                try:
                    json.loads(proc.stdout.decode("utf-8"))
                except ValueError as exc:
                    failures.append(f"cli --format json: not JSON ({exc})")
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return failures


def _printable_char(ch: str) -> bool:
    """What the human reports may print: printable characters, spaces, line feeds and tabs."""
    import unicodedata

    return ch.isprintable() or ch in CONTROL_OK or unicodedata.category(ch) == "Zs"


# -- a concurrent writer -----------------------------------------------------------------------------
CONTESTED = "gitops/llamastack/llama-stack-config.yaml"  # in examples/story: 13 fixes


def concurrent_writers(pairs: int, seed: int = 14, timeout: float = 120.0) -> list[str]:
    """`lint --fix --unsafe-fixes` (a subprocess) on a copy of examples/story while a writer
    saves the story's run config again and again, as an editor does (truncate, then write, in two
    pieces), then stops at a random moment. Afterwards the file must hold a version the writer
    saved, or that version fixed: never a fix computed on other bytes, never a torn write."""
    import threading

    rng = random.Random(seed)
    story = REPO / "examples" / "story"
    original = (story / CONTESTED).read_bytes()
    failures = []
    work = Path(tempfile.mkdtemp(prefix="stackalign-concurrent-"))
    try:
        fixed0 = _fixed_version(story, work, b"# version 0\n" + original)
        for pair in range(pairs):
            root = work / f"pair-{pair}"
            shutil.copytree(story, root)
            target = root / CONTESTED
            versions: list[bytes] = []
            stop = threading.Event()
            duration = rng.uniform(0.0, 2.5)

            def write_versions(target=target, versions=versions, stop=stop, duration=duration):
                end = time.monotonic() + duration
                i = 1
                while time.monotonic() < end and not stop.is_set():
                    # a first line of another length each time: every later offset moves
                    data = f"# version {i} {'x' * rng.randrange(40)}\n".encode() + original
                    with open(target, "wb") as fh:  # not atomic, like most editors
                        fh.write(data[: len(data) // 2])
                        fh.flush()
                        time.sleep(0.001)
                        fh.write(data[len(data) // 2 :])
                    versions.append(data)
                    i += 1
                    time.sleep(rng.uniform(0.0, 0.05))

            writer = threading.Thread(target=write_versions)
            cmd = [sys.executable, "-m", "linter", "lint", "--fix", "--unsafe-fixes", "."]
            proc = subprocess.Popen(
                cmd, cwd=root, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
            )
            time.sleep(rng.uniform(0.0, 0.8))
            writer.start()
            try:
                _, err = proc.communicate(timeout=timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                failures.append(f"pair {pair}: --fix hung")
                continue
            finally:
                stop.set()
                writer.join()
            final = target.read_bytes()
            allowed = {original, fixed0.replace(b"# version 0\n", b"", 1)} | set(versions)
            allowed |= {fixed0.replace(b"# version 0", v.split(b"\n", 1)[0], 1) for v in versions}
            if final not in allowed:
                failures.append(f"pair {pair}: the file is neither a saved version nor one fixed")
            text = err.decode("utf-8", "replace")
            if proc.returncode not in (0, 1) or "Traceback" in text or "internal error" in text:
                failures.append(f"pair {pair}: exit {proc.returncode}: {text[:300]}")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return failures


def _fixed_version(story: Path, work: Path, data: bytes) -> bytes:
    """`--fix --unsafe-fixes` of the story with the contested file holding `data`."""
    root = work / "reference"
    shutil.copytree(story, root)
    (root / CONTESTED).write_bytes(data)
    cmd = [sys.executable, "-m", "linter", "lint", "--fix", "--unsafe-fixes", "."]
    subprocess.run(cmd, cwd=root, capture_output=True, check=False)
    return (root / CONTESTED).read_bytes()


# -- the run ---------------------------------------------------------------------------------------
@dataclass
class Report:
    cases: Counter = field(default_factory=Counter)
    fixed: Counter = field(default_factory=Counter)
    failed: Counter = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)
    cli_runs: int = 0
    seconds: float = 0.0

    def merge(self, other: Report) -> None:
        self.cases.update(other.cases)
        self.fixed.update(other.fixed)
        self.failed.update(other.failed)
        self.failures.extend(other.failures)
        self.cli_runs += other.cli_runs

    def table(self) -> str:
        rows = [f"{'class':<16} {'cases':>7} {'fixed':>7} {'failed':>7}"]
        for klass in CLASSES:
            if self.cases[klass]:
                rows.append(
                    f"{klass:<16} {self.cases[klass]:>7} {self.fixed[klass]:>7} "
                    f"{self.failed[klass]:>7}"
                )
        total = sum(self.cases.values())
        rows.append(
            f"{'total':<16} {total:>7} {sum(self.fixed.values()):>7} {sum(self.failed.values()):>7}"
        )
        rows.append(f"CLI subprocess runs: {self.cli_runs}; {self.seconds:.0f} s")
        return "\n".join(rows)


@dataclass(frozen=True)
class Plan:
    """What every case of a run shares (picklable: `--jobs` workers get a copy)."""

    seed: int = 14
    classes: tuple[str, ...] = tuple(CLASSES)
    timeout: float = 60.0  # CPU seconds per case (and WALL_FACTOR times that of wall clock)
    fix: bool = True
    cli_every: int = 0
    save: Path | None = None
    scale: float = 1.0
    fix_heavy: bool = True


def run_cases(plan: Plan, schedule: list[tuple[int, str]], progress=None) -> Report:
    """Run the cases `schedule` names ((number, class or "" for a random one)). Each case has its
    own generator, seeded from (seed, number): a case is the same whoever runs it, in any order."""
    from linter.engine import Options, load_pack

    pack = load_pack(Options())
    trees = seed_trees()
    report = Report()
    work = Path(tempfile.mkdtemp(prefix="stackalign-fuzz-"))
    try:
        for done, (number, klass) in enumerate(schedule, start=1):
            rng = random.Random(f"{plan.seed}/{number}")
            case = make_case(number, rng, trees, list(plan.classes), klass, plan.scale)
            fixing = plan.fix and (plan.fix_heavy or case.klass not in HEAVY)
            outcome = run_case(case, work, pack, plan.timeout, fixing)
            if plan.cli_every and number % plan.cli_every == 0:
                report.cli_runs += 1
                outcome.failures += cli_problems(case, work, plan.timeout)
            report.cases[case.klass] += 1
            report.fixed[case.klass] += outcome.fixed
            if outcome.failures:
                report.failed[case.klass] += 1
                head = f"case {number} [{case.klass}] {case.tree.name}: {case.file!r}"
                report.failures.extend(f"{head}: {f}" for f in outcome.failures)
                if plan.save is not None:
                    write_tree(plan.save / f"case-{number}-{case.klass}", case.files)
            if progress and done % 500 == 0:
                progress(f"{done} cases, {sum(report.failed.values())} failed")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return report


def _run_chunk(args: tuple[Plan, list[tuple[int, str]]]) -> Report:
    plan, schedule = args
    return run_cases(plan, schedule, progress=lambda m: print(m, file=sys.stderr, flush=True))


def fuzz(
    cases: int,
    plan: Plan | None = None,
    per_class: int = 0,
    jobs: int = 1,
    only: list[int] | None = None,
    progress: Callable[[str], None] | None = None,
) -> Report:
    """`cases` cases drawn at random (heavy classes one time in 35), or with `per_class`, every
    class in turn: `per_class` cases of each light class and one of each heavy one; `only`: just
    those case numbers. `jobs` worker processes share the cases."""
    plan = plan or Plan()
    if per_class:
        kinds = [k for k in plan.classes for _ in range(1 if k in HEAVY else per_class)]
        schedule = list(enumerate(kinds))
    else:
        schedule = [(n, "") for n in range(cases)]
    if only is not None:
        schedule = [(n, k) for n, k in schedule if n in set(only)] or [(n, "") for n in only]
    started = time.perf_counter()
    if jobs <= 1:
        report = run_cases(plan, schedule, progress)
    else:
        import multiprocessing

        chunks = [(plan, schedule[i::jobs]) for i in range(jobs)]
        with multiprocessing.get_context("fork").Pool(jobs) as pool:
            report = Report()
            for part in pool.imap_unordered(_run_chunk, chunks):
                report.merge(part)
    report.failures.sort(key=lambda f: int(f.split()[1]))
    report.seconds = time.perf_counter() - started
    return report


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=300)
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--classes", help="comma-separated input classes (default: all)")
    parser.add_argument(
        "--timeout", type=float, default=60.0, help="CPU seconds per case (lint and fixes)"
    )
    parser.add_argument("--no-fix", action="store_true", help="lint only (no fix-safety oracle)")
    parser.add_argument("--cli-every", type=int, default=50, help="subprocess check every N")
    parser.add_argument("--save", type=Path, help="write each failing case's tree here")
    parser.add_argument("--jobs", type=int, default=1, help="worker processes")
    parser.add_argument(
        "--case", type=int, action="append", help="run only this case number (repeatable)"
    )
    parser.add_argument(
        "--concurrent", type=int, default=0, help="also N --fix runs against a concurrent writer"
    )
    args = parser.parse_args()
    classes = args.classes.split(",") if args.classes else None
    unknown = set(classes or []) - set(CLASSES)
    if unknown:
        parser.error(f"unknown classes {sorted(unknown)}; known: {', '.join(CLASSES)}")
    plan = Plan(
        seed=args.seed,
        classes=tuple(classes or CLASSES),
        timeout=args.timeout,
        fix=not args.no_fix,
        cli_every=args.cli_every,
        save=args.save,
    )
    report = fuzz(
        args.cases,
        plan,
        jobs=args.jobs,
        only=args.case,
        progress=lambda m: print(m, file=sys.stderr, flush=True),
    )
    print(report.table())
    for failure in report.failures:
        print(failure)
    concurrent = concurrent_writers(args.concurrent, args.seed) if args.concurrent else []
    if args.concurrent:
        print(f"concurrent writer: {args.concurrent} pairs, {len(concurrent)} failed")
        for failure in concurrent:
            print(failure)
    return 1 if report.failures or concurrent else 0


if __name__ == "__main__":
    sys.exit(main())
