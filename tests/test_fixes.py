"""The fix engine: byte-exact edits, CRLF/BOM kept, atomic writes, refusal cases, --diff."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from linter.engine import Options
from linter.fixes import atomic_write, fix_repository, unified_diff, write_fixed
from tests.helpers import write_files

LSD = (
    "apiVersion: llamastack.io/v1alpha1\n"
    "kind: LlamaStackDistribution\n"
    "metadata:\n"
    "  name: llama  # keep me\n"
    "spec:\n"
    "  server:\n"
    "    distribution:\n"
    "      image: quay.io/redhat-et/llama:vllm-milvus-0.2.8   # community\n"
    "    storage: {size: 5Gi}\n"
)
FIXED = LSD.replace("image: quay.io/redhat-et/llama:vllm-milvus-0.2.8", "name: rh-dev")


def _fix(root: Path, unsafe=True, target=None):
    opts = Options(paths=["."], cwd=root, target=target or {"rhoai": "2.25"})
    out = fix_repository(opts, unsafe=unsafe)
    return out, write_fixed(out)


@pytest.mark.parametrize(
    "prefix,newline",
    [(b"", "\n"), (b"\xef\xbb\xbf", "\n"), (b"", "\r\n"), (b"\xef\xbb\xbf", "\r\n")],
    ids=["lf", "bom", "crlf", "bom-crlf"],
)
def test_fix_is_byte_exact(tmp_path, prefix, newline):
    write_files(tmp_path, {"lsd.yaml": prefix + LSD.replace("\n", newline).encode()})
    out, written = _fix(tmp_path)
    assert written == ["lsd.yaml"]
    assert (tmp_path / "lsd.yaml").read_bytes() == prefix + FIXED.replace("\n", newline).encode()
    out2, written2 = _fix(tmp_path)  # idempotent: nothing left to change
    assert written2 == [] and out2.applied == []


def test_safe_only_leaves_unsafe_fixes(tmp_path):
    write_files(tmp_path, {"lsd.yaml": LSD})
    out, written = _fix(tmp_path, unsafe=False)
    assert written == [] and (tmp_path / "lsd.yaml").read_text() == LSD
    assert any(f.rule == "SA103" for f in out.result.findings)


def test_mode_is_kept_and_no_temp_files(tmp_path):
    write_files(tmp_path, {"lsd.yaml": LSD})
    os.chmod(tmp_path / "lsd.yaml", 0o640)
    _fix(tmp_path)
    assert (tmp_path / "lsd.yaml").stat().st_mode & 0o777 == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["lsd.yaml"]


def test_file_changed_since_read_is_not_written(tmp_path):
    write_files(tmp_path, {"lsd.yaml": LSD})
    out = fix_repository(Options(paths=["."], cwd=tmp_path, target={"rhoai": "2.25"}), unsafe=True)
    (tmp_path / "lsd.yaml").write_text(LSD + "# edited meanwhile\n")
    assert write_fixed(out) == []
    assert out.failed and "changed since it was read" in out.failed[0][1]
    assert (tmp_path / "lsd.yaml").read_text() == LSD + "# edited meanwhile\n"


def test_atomic_write_failure_leaves_file_and_no_temp(tmp_path, monkeypatch):
    p = tmp_path / "f.yaml"
    p.write_text("a: 1\n")

    def boom(*a, **k):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError):
        atomic_write(p, b"a: 2\n")
    assert p.read_text() == "a: 1\n" and [x.name for x in tmp_path.iterdir()] == ["f.yaml"]


def test_diff_applies_with_git_apply(tmp_path):
    if shutil.which("git") is None:
        pytest.skip("git missing")
    write_files(
        tmp_path,
        {"lsd.yaml": LSD, "noeol.yaml": LSD.rstrip("\n").replace("name: llama", "name: b")},
    )
    out = fix_repository(Options(paths=["."], cwd=tmp_path, target={"rhoai": "2.25"}), unsafe=True)
    patch = unified_diff(out)
    assert patch.startswith("--- a/lsd.yaml\n+++ b/lsd.yaml\n")
    assert "\\ No newline at end of file" in patch
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    (tmp_path / "fix.patch").write_text(patch)
    subprocess.run(["git", "apply", "fix.patch"], cwd=tmp_path, check=True)
    assert (tmp_path / "lsd.yaml").read_text() == FIXED


INSERT_RULE = """\
id: SA990
name: test-insert-lines
level: warning
check: test_insert_lines
triggers: [insert-here]
summary: "Test rule: inserts two comment lines above `insert-here`."
messages: {default: "insert here"}
help: |
  ## What it does
  ## Why is this bad?
  ## Example
  ## Use instead
  ## Fix safety
  ## References
examples:
  - {kind: valid, description: none, files: {a.yaml: "a: 1\\n"}}
"""


def _insert_lines(ctx):
    """A check whose fix inserts text holding newlines (as no built-in fix does today)."""
    from linter.model import Edit, Fix, Span

    for source in ctx.ws.yaml_sources:
        text = source.text
        at = text.find("insert-here")
        if at < 0 or "# two" in text:  # inserted already (the fix loop runs to a fixpoint)
            continue
        start = text.rfind("\n", 0, at) + 1
        line = text.count("\n", 0, start) + 1
        edit = Edit(source.path, start, start, Span.of(line, 1, line, 1), "# one\n# two\n")
        fix = Fix("safe", "insert two lines", [edit])
        yield ctx.finding(source.path, Span.of(line, 1, line, 12), fix=fix)


@pytest.mark.parametrize("newline", ["\n", "\r\n"], ids=["lf", "crlf"])
def test_inserted_lines_take_the_line_ending_of_the_file(tmp_path, monkeypatch, newline):
    from linter import checks
    from linter.config import Config

    monkeypatch.setitem(
        checks.CHECK_KINDS,
        "test_insert_lines",
        checks.kinds.CheckKind("tests.test_fixes:_insert_lines", frozenset()),
    )
    write_files(tmp_path, {"rules/SA990.yaml": INSERT_RULE})
    original = newline.join(["a: 1", "insert-here: yes", "b: 2", ""])
    (tmp_path / "x.yaml").write_bytes(original.encode())
    cfg = Config(rule_files=["rules/SA990.yaml"], select=["SA990"])
    cfg.path = str(tmp_path / ".stackalign.yaml")
    out = fix_repository(Options(paths=["x.yaml"], cwd=tmp_path, config=cfg), unsafe=False)
    assert write_fixed(out) == ["x.yaml"]
    expected = newline.join(["a: 1", "# one", "# two", "insert-here: yes", "b: 2", ""])
    assert (tmp_path / "x.yaml").read_bytes() == expected.encode()
