"""`--fix --unsafe-fixes` over every file of ../shared/corpus (dev and perf), on a copy.

For each corpus and target: the first run fixes (fix_repository + write_fixed, what `--fix` runs)
and reports the edits it applied per file; then
- replaying exactly those edits on each original file gives the fixed file byte for byte (so no byte
  outside the reported spans changed), BOM, line endings and final newline kept;
- every other file of the corpus is byte-identical to the original;
- every changed file that parsed before (PyYAML / ast, independent of the linter) still parses, and
  the fixed tree has no SA001 the original did not have;
- a second `stackalign lint --fix --unsafe-fixes` changes nothing and says so.
"""

from __future__ import annotations

import ast
import codecs
import json
import shutil
from pathlib import Path

import pytest
import yaml

from linter.engine import Options
from linter.fixes import FixOutcome, fix_repository, write_fixed
from linter.model import Edit
from tests.conftest import corpus_wide
from tests.helpers import cli_in

# (corpus, target): dev is small, so it runs under the targets whose runtimes differ the most;
# perf (117 MB) once, under the target that gives it the most fixes
CASES = [
    ("dev", "rhoai=2.22"),
    ("dev", "rhoai=2.25"),
    ("dev", "rhoai=3.3"),
    ("perf", "rhoai=2.22"),
]


@pytest.fixture
def corpus_copy(shared, tmp_path, request) -> tuple[Path, Path]:
    name = request.param
    source = shared / "corpus" / name
    if not source.is_dir():
        pytest.skip(corpus_wide(source))
    copy = tmp_path / name
    shutil.copytree(source, copy, symlinks=True)
    return source, copy


def _files(root: Path) -> list[str]:
    return sorted(
        str(p.relative_to(root)) for p in root.rglob("*") if p.is_file() and not p.is_symlink()
    )


def _decode(raw: bytes) -> tuple[bytes, str]:
    if raw.startswith(codecs.BOM_UTF8):
        return codecs.BOM_UTF8, raw[len(codecs.BOM_UTF8) :].decode("utf-8")
    return b"", raw.decode("utf-8")


def _replay(text: str, passes: list[list[Edit]]) -> str:
    """The test's own applier: each pass's edits must be in bounds and must not overlap."""
    for edits in passes:
        ordered = sorted(edits, key=lambda e: (e.start_offset, e.end_offset))
        pieces, pos = [], 0
        for e in ordered:
            assert pos <= e.start_offset <= e.end_offset <= len(text), e
            pieces += [text[pos : e.start_offset], e.text]
            pos = e.end_offset
        text = "".join(pieces) + text[pos:]
    return text


def _parses(rel: str, text: str) -> bool:
    try:
        if rel.endswith(".py"):
            ast.parse(text)
        else:
            for _ in yaml.compose_all(text, Loader=yaml.SafeLoader):
                pass
    except (SyntaxError, yaml.YAMLError, ValueError):
        return False
    return True


def _line_endings(raw: bytes) -> tuple[bool, bool]:
    crlf = raw.count(b"\r\n")
    return crlf > 0, raw.count(b"\n") > crlf


def _cli(root: Path, *args: str):
    return cli_in(root, "lint", *args, ".")


def _sa001(result) -> set[str]:
    return {f.path for f in result.findings if f.rule == "SA001"}


def _check_edits_explain_changes(out: FixOutcome, source: Path, copy: Path) -> set[str]:
    changed = set()
    for abspath, passes in out.edits.items():
        rel = out.rel[abspath]
        changed.add(rel)
        original, fixed = (source / rel).read_bytes(), (copy / rel).read_bytes()
        bom, text = _decode(original)
        replayed = bom + _replay(text, passes).encode("utf-8")
        assert fixed == replayed, f"{rel}: bytes changed outside the reported edits"
        assert fixed != original, rel
        assert _line_endings(fixed) == _line_endings(original), rel
        assert fixed.endswith(b"\n") == original.endswith(b"\n"), rel
        if _parses(rel, text):
            assert _parses(rel, _decode(fixed)[1]), f"{rel} parsed before the fix, not after"
    return changed


def _assert_tree(source: Path, copy: Path, fixed: dict[str, bytes]) -> None:
    """`copy` holds the files of `source`, each byte-identical unless `fixed` gives its bytes."""
    files = _files(source)
    assert _files(copy) == files  # no file added (temp files) or lost
    for rel in files:
        assert (copy / rel).read_bytes() == fixed.get(rel, (source / rel).read_bytes()), rel


@pytest.mark.parametrize(
    "corpus_copy,target", CASES, indirect=["corpus_copy"], ids=[f"{c}-{t}" for c, t in CASES]
)
def test_fix_twice_on_corpus(corpus_copy, target):
    source, copy = corpus_copy
    platform, _, version = target.partition("=")
    out = fix_repository(Options(paths=["."], cwd=copy, target={platform: version}), unsafe=True)
    written = write_fixed(out)
    assert out.failed == [], out.failed
    assert out.applied, f"the corpus has fixable findings under {target}"

    changed = _check_edits_explain_changes(out, source, copy)
    assert set(written) == changed
    fixed = {rel: (copy / rel).read_bytes() for rel in changed}
    _assert_tree(source, copy, fixed)
    assert _sa001(out.result) <= _sa001(out.initial)

    second = _cli(copy, "--fix", "--unsafe-fixes", "--target", target, "--format", "json")
    assert second.exit_code in (0, 1), second.output
    assert "No fixes applied." in second.stderr
    assert "stackalign: fix not applied" not in second.stderr
    _assert_tree(source, copy, fixed)
    remaining = json.loads(second.stdout)["findings"]
    assert not [f for f in remaining if f.get("fix")], "a fix is offered but was not applied"
