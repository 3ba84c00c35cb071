"""The fix-safety harness on real trees: examples/ and tests/fixtures in four line-ending
variants, and every rule example that has a fix. For each tree, `--fix --unsafe-fixes` (in
process):

- replaying the recorded edits on the bytes the lint read gives the fixed bytes: nothing outside
  the edits changed;
- `git apply` of the `--diff` bytes gives exactly the files `--fix` wrote;
- a second `--fix` changes nothing;

and the story is fixed against an editor that keeps saving the file being fixed: the file ends
as a version the editor saved or that version fixed, never a fix computed on other bytes (on the
commit issue 14 was filed against, 8 of 24 such runs corrupted the file). The oracle itself is
scripts/fuzz.py's, which applies it to mutated trees too.
"""

from __future__ import annotations

import codecs
import shutil

import pytest

from tests.test_fuzz import load_fuzzer

fuzz = load_fuzzer()

VARIANTS = {
    "lf": lambda data: data,
    "crlf": lambda data: data.replace(b"\n", b"\r\n"),
    "cr": lambda data: data.replace(b"\n", b"\r"),
    "bom": lambda data: codecs.BOM_UTF8 + data,
}


def _trees():
    """(tree, variant, whether --fix --unsafe-fixes changes it)"""
    from tests.helpers import pack

    out = []
    for tree in fuzz.seed_trees():
        if " example " in tree.name:
            continue
        fixes = tree.name in ("examples/story", "tests/fixtures/kfp", "tests/data/deployment")
        for variant in VARIANTS:
            out.append(pytest.param(tree, variant, fixes, id=f"{tree.name}-{variant}"))
    for rule in pack()[1]:
        for i, ex in enumerate(rule.examples):
            if ex.fixed is not None:
                files = {n: t.encode("utf-8") for n, t in ex.files.items()}
                tree = fuzz.SeedTree(f"{rule.id} example {i}", files, dict(ex.target))
                out.append(pytest.param(tree, "lf", True, id=f"{rule.id}-{i}"))
    return out


@pytest.mark.parametrize(("tree", "variant", "fixes"), _trees())
def test_fix_is_exact_applies_as_a_diff_and_is_idempotent(tmp_path, tree, variant, fixes):
    if shutil.which("git") is None:
        pytest.skip("git missing")
    from linter.engine import Options, load_pack

    root = tmp_path / "tree"
    fuzz.write_tree(root, {n: VARIANTS[variant](d) for n, d in tree.files.items()})
    before = fuzz.read_tree(root)
    assert fuzz.check_fixes(root, tree.target, load_pack(Options())) == []
    assert (fuzz.read_tree(root) != before) == fixes


def test_a_concurrent_writer_never_gets_a_corrupted_file():
    assert fuzz.concurrent_writers(4, seed=14) == []
