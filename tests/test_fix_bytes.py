"""Byte-exact fixes: every rule example with `fixed:` goes through the whole fix loop (all rules,
re-lint until nothing changes, atomic writes) in LF, CRLF, UTF-8 BOM and no-final-newline variants.

The expected bytes are the example's `fixed` text in the same encoding: CRLF output is the LF output
with CRLF line endings (text a fix inserts takes the file's line ending), a BOM stays a BOM, and a
file without a final newline still has none.
"""

from __future__ import annotations

import codecs
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from linter.engine import Options
from linter.fixes import fix_repository, write_fixed
from tests.helpers import cli_in, pack, write_files

Encode = Callable[[str], bytes]

VARIANTS: dict[str, Encode] = {
    "lf": lambda t: t.encode("utf-8"),
    "crlf": lambda t: t.replace("\n", "\r\n").encode("utf-8"),
    "bom": lambda t: codecs.BOM_UTF8 + t.encode("utf-8"),
    "bom-crlf": lambda t: codecs.BOM_UTF8 + t.replace("\n", "\r\n").encode("utf-8"),
    "noeol": lambda t: t.rstrip("\n").encode("utf-8"),
    "noeol-crlf": lambda t: t.rstrip("\n").replace("\n", "\r\n").encode("utf-8"),
    "cr": lambda t: t.replace("\n", "\r").encode("utf-8"),  # classic Mac OS line breaks
}

FIXED_EXAMPLES = [
    (rule, i, ex)
    for rule in pack()[1]
    for i, ex in enumerate(rule.examples)
    if ex.fixed is not None
]

CASES = [
    pytest.param(rule, ex, variant, id=f"{rule.id}-{i}-{variant}")
    for rule, i, ex in FIXED_EXAMPLES
    for variant in VARIANTS
]


def _fix(root: Path, target: dict[str, str], unsafe: bool):
    out = fix_repository(Options(paths=["."], cwd=root, target=dict(target)), unsafe=unsafe)
    return out, write_fixed(out)


def _snapshot(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


@pytest.mark.parametrize("rule,example,variant", CASES)
def test_example_fix_is_byte_exact(tmp_path, rule, example, variant):
    encode = VARIANTS[variant]
    write_files(tmp_path, {name: encode(text) for name, text in example.files.items()})
    out, written = _fix(tmp_path, example.target, example.unsafe)

    assert out.failed == []
    assert rule.id in {f.rule for f in out.applied}, "the example promises a fix"
    changed = {name for name, text in example.fixed.items() if text != example.files[name]}
    assert set(written) == changed
    for name, text in example.files.items():
        want = encode(example.fixed.get(name, text))
        assert (tmp_path / name).read_bytes() == want, name
    assert sorted(p.name for p in tmp_path.rglob(".*.stackalign")) == []  # no temp files left

    before = _snapshot(tmp_path)
    out2, written2 = _fix(tmp_path, example.target, example.unsafe)
    assert (written2, out2.applied, out2.failed) == ([], [], [])
    assert _snapshot(tmp_path) == before
    assert not [
        f
        for f in out2.result.findings
        if f.rule == rule.id
        and f.fix is not None
        and (example.unsafe or f.fix.applicability == "safe")
    ]


@pytest.mark.parametrize(
    "rule,example",
    [pytest.param(r, ex, id=f"{r.id}-{i}") for r, i, ex in FIXED_EXAMPLES if ex.unsafe],
)
def test_unsafe_example_is_left_alone_without_unsafe_fixes(tmp_path, rule, example):
    files = {name: VARIANTS["crlf"](text) for name, text in example.files.items()}
    write_files(tmp_path, files)
    out, written = _fix(tmp_path, example.target, unsafe=False)
    assert rule.id not in {f.rule for f in out.applied}
    assert any(f.rule == rule.id and f.fix is not None for f in out.result.findings)
    for name, data in files.items():
        if name not in written:
            assert (tmp_path / name).read_bytes() == data


def test_every_rule_that_offers_a_fix_has_a_fixed_example(tmp_path):
    """A rule whose invalid examples carry a fix has a `fixed:` example, so the tests above cover
    it; and the rules with `fixed:` examples are the ones that offer fixes."""
    from tests.helpers import lint_files

    offering = set()
    for rule in pack()[1]:
        for i, ex in enumerate(rule.examples):
            if ex.kind != "invalid":
                continue
            root = tmp_path / f"{rule.id}-{i}"
            root.mkdir()
            result = lint_files(root, dict(ex.files), target=dict(ex.target))
            if any(f.rule == rule.id and f.fix is not None for f in result.findings):
                offering.add(rule.id)
    assert offering == {rule.id for rule, _, _ in FIXED_EXAMPLES}


def test_inserted_line_breaks_take_the_file_line_ending(tmp_path):
    """A fix whose text spans lines (SA302 re-emits a folded scalar) writes CRLF into a CRLF file,
    and no lone LF appears anywhere in the output."""
    multi_line = [
        (rule, i, ex)
        for rule, i, ex in FIXED_EXAMPLES
        if any(
            "\n" in e.text
            for f in _own_fixes(tmp_path / f"{rule.id}-{i}", rule, ex)
            for e in f.edits
        )
    ]
    assert multi_line, "some example fix inserts line breaks"
    for rule, i, ex in multi_line:
        root = tmp_path / f"{rule.id}-{i}-crlf"
        root.mkdir()
        write_files(root, {name: VARIANTS["crlf"](text) for name, text in ex.files.items()})
        _fix(root, ex.target, ex.unsafe)
        for name in ex.files:
            data = (root / name).read_bytes()
            assert data.count(b"\n") == data.count(b"\r\n"), (rule.id, name)


def _own_fixes(root: Path, rule, example):
    from tests.helpers import lint_files

    root.mkdir()
    result = lint_files(root, dict(example.files), target=dict(example.target))
    return [f.fix for f in result.findings if f.rule == rule.id and f.fix is not None]


# -- the CLI: --diff applies with patch/git apply and equals --fix; --fix says what it did --------

STORY = Path(__file__).resolve().parent.parent / "examples" / "story"


def _story(root: Path, variant: str) -> Path:
    encode = VARIANTS[variant]
    for src in STORY.rglob("*"):
        if src.is_file() and "__pycache__" not in src.parts:
            dst = root / src.relative_to(STORY)
            dst.parent.mkdir(parents=True, exist_ok=True)
            dst.write_bytes(encode(src.read_text(encoding="utf-8")))
    return root


def _lint(root: Path, *args: str):
    return cli_in(root, "lint", *args, ".")


def _tree(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".git" not in p.relative_to(root).parts and p.name != "fix.patch"
    }


@pytest.mark.parametrize("variant", ["lf", "crlf", "bom-crlf", "noeol", "cr"])
@pytest.mark.parametrize("unsafe", [False, True], ids=["safe", "unsafe"])
def test_diff_applies_with_patch_and_git_and_equals_fix(tmp_path, variant, unsafe):
    flags = ["--unsafe-fixes"] if unsafe else []
    original = _tree(_story(tmp_path / "orig", variant))
    result = _lint(tmp_path / "orig", "--diff", *flags)
    assert result.exit_code == 1, result.output
    patch = result.stdout_bytes  # not .stdout: click turns its CRLF into LF
    assert patch.startswith(b"--- a/") and b"\n+++ b/" in patch
    assert _tree(tmp_path / "orig") == original  # --diff writes nothing

    fixed_root = _story(tmp_path / "fixed", variant)
    result = _lint(fixed_root, "--fix", *flags)
    assert result.exit_code in (0, 1), result.output
    fixed = _tree(fixed_root)
    assert fixed != original

    tools = {
        "patch": ["patch", "-p1", "--batch", "--forward", "-i", "fix.patch"],
        "git": ["git", "apply", "fix.patch"],
    }
    applied = 0
    for tool, cmd in tools.items():
        if shutil.which(cmd[0]) is None:
            continue
        root = _story(tmp_path / f"by-{tool}", variant)
        if tool == "git":
            subprocess.run(["git", "init", "-q"], cwd=root, check=True)
        (root / "fix.patch").write_bytes(patch)
        proc = subprocess.run(cmd, cwd=root, capture_output=True, text=True, check=False)
        assert proc.returncode == 0, (tool, proc.stdout, proc.stderr)
        assert _tree(root) == fixed, tool
        applied += 1
    if not applied:
        pytest.skip("neither patch nor git is installed")

    again = _lint(fixed_root, "--diff", *flags)
    assert (again.exit_code, again.stdout) == (0, ""), again.output


def test_fix_reports_what_it_fixed_and_what_remains(tmp_path):
    root = _story(tmp_path / "story", "lf")
    first = _lint(root, "--fix")
    lines = first.stderr.splitlines()
    # only what holds whatever LlamaStack runs: the fixes written for the 0.2.8 image (SA205,
    # SA301, SA302) wait, unsafe, while that image has an open finding (SA103)
    assert lines[0] == "Fixed 6 findings in 1 file:"
    assert lines[1:2] == ["  gitops/llamastack/llama-stack-config.yaml: SA201, SA202 x5"]
    assert lines[2] == "15 findings remain (12 fixable with --unsafe-fixes)."
    assert first.exit_code == 1
    assert "SA202" not in first.stdout and "SA303" in first.stdout  # the report: what remains
    # every fix left is unsafe: the footer does not call them fixable without saying what it takes
    assert "12 fixable with --unsafe-fixes." in first.stdout

    second = _lint(root, "--fix")
    assert second.stderr.splitlines() == [
        "No fixes applied.",
        "15 findings remain (12 fixable with --unsafe-fixes).",
    ]
    third = _lint(root, "--fix", "--unsafe-fixes")
    assert third.stderr.splitlines()[-1] == "2 findings remain."


def test_fix_reports_files_changed_meanwhile(tmp_path, monkeypatch):
    import linter.fixes as fixes

    root = _story(tmp_path / "story", "lf")
    config = root / "gitops" / "llamastack" / "llama-stack-config.yaml"
    real = fixes.write_fixed

    def edit_then_write(out):
        config.write_bytes(config.read_bytes() + b"# edited meanwhile\n")
        return real(out)

    monkeypatch.setattr(fixes, "write_fixed", edit_then_write)
    result = _lint(root, "--fix")
    assert (
        "stackalign: fix not applied to gitops/llamastack/llama-stack-config.yaml: "
        "the file changed since it was read; not written"
    ) in result.stderr
    assert "No fixes applied." in result.stderr  # the config held every safe fix
    assert config.read_bytes().endswith(b"# edited meanwhile\n")
    assert "SA205" in result.stdout  # linted again from the disk: the config's findings remain


def test_diff_splits_lines_only_at_line_feeds(tmp_path):
    """A form feed, U+2028, NEL or a file separator inside a line stays in that line of the diff
    (str.splitlines cuts there, which gives a patch that does not apply)."""
    rule = next(r for r in pack()[1] if r.id == "SA301")
    example = rule.examples[0]
    source = example.files["ingest.py"].replace(
        "    # never send", "    # odd \x0c \u2028 \x85 \x1c characters\n    # never send"
    )
    fixed = example.fixed["ingest.py"].replace(
        "    # never send", "    # odd \x0c \u2028 \x85 \x1c characters\n    # never send"
    )
    for name in ("orig", "by-git", "by-patch"):
        write_files(tmp_path / name, {"ingest.py": source})
    target = [f"{k}={v}" for k, v in example.target.items()]
    result = _lint(tmp_path / "orig", "--diff", "--target", *target)
    assert result.exit_code == 1, result.output
    patch = result.stdout_bytes
    body = patch.split(b"\n")[2:-1]  # after the two file headers; the patch ends with a newline
    assert all(line[:1] in (b" ", b"-", b"+", b"@") for line in body), body
    subprocess.run(["git", "init", "-q"], cwd=tmp_path / "by-git", check=True)
    for name, cmd in (("by-git", ["git", "apply", "-"]), ("by-patch", ["patch", "-p1", "--batch"])):
        if shutil.which(cmd[0]) is None:
            continue
        proc = subprocess.run(
            cmd, cwd=tmp_path / name, input=patch, capture_output=True, check=False
        )
        assert proc.returncode == 0, (name, proc.stdout, proc.stderr)
        assert (tmp_path / name / "ingest.py").read_text(encoding="utf-8") == fixed


def _fix_safety(help_text: str) -> str:
    parts = help_text.split("## Fix safety\n", 1)
    assert len(parts) == 2, "no `## Fix safety` section"
    return parts[1].split("\n## ", 1)[0].strip()


@pytest.mark.parametrize("rule", pack()[1], ids=lambda r: r.id)
def test_fix_safety_section_matches_the_fixes(rule):
    """Rules without a fix say so; rules with one name its applicability, as their examples do."""
    section = _fix_safety(rule.help)
    fixed = [ex for ex in rule.examples if ex.fixed is not None]
    if not fixed:
        assert section.startswith("No automatic fix"), section
        return
    unsafe = {ex.unsafe for ex in fixed}
    first = section.split()[0].rstrip(".:,")
    assert first in ("Safe", "Unsafe") or section.startswith("Safe fixes"), section
    assert (first == "Unsafe") == (unsafe == {True}), (section, unsafe)
