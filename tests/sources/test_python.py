"""Python sources: what the running interpreter cannot parse, and why."""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from linter.sources.python import PythonSyntaxError, load_python
from tests.helpers import lint_files

PEP_701 = 'import kfp\nname = "x"\nprint(f"{name} {"nested"}")\n'  # Python 3.12 f-string


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="this Python parses PEP 701 f-strings")
def test_newer_syntax_is_a_warning_that_names_the_cause(tmp_path):
    with pytest.raises(PythonSyntaxError) as err:
        load_python("c.py", PEP_701)
    assert err.value.newer_grammar and (err.value.line, err.value.column) == (3, 18)
    result = lint_files(tmp_path, {"c.py": PEP_701}, paths=["c.py"])
    [f] = result.findings
    assert (f.rule, f.level.value, f.span.start.line, f.span.start.column) == (
        "SA001",
        "warning",
        3,
        18,
    )
    assert f.message.startswith(
        "cannot lint this file with the Python running stackalign: Python 3."
    )
    assert "run stackalign on that version to lint it" in f.message


REPO = Path(__file__).resolve().parents[2]


@functools.cache
def newer_python() -> str | None:
    """A Python >= 3.12 of this machine: `python3.X` on PATH, else a pyenv version (its binary, not
    the shim, which runs only the selected version). Each candidate is run to check that it works."""
    candidates = [shutil.which(f"python3.{minor}") for minor in range(20, 11, -1)]
    pyenv = shutil.which("pyenv")
    if pyenv:
        root = subprocess.run([pyenv, "root"], capture_output=True, text=True).stdout.strip()
        if root:
            versions = sorted(Path(root, "versions").glob("3.*"), reverse=True)
            candidates += [str(v / "bin" / "python3") for v in versions]
    probe = "import sys; print(sys.version_info >= (3, 12))"
    for exe in filter(None, candidates):
        try:
            out = subprocess.run(
                [exe, "-I", "-c", probe], capture_output=True, text=True, timeout=30
            )
        except (OSError, subprocess.SubprocessError):
            continue
        if out.returncode == 0 and out.stdout.strip() == "True":
            return exe
    return None


#: Run by the newer Python: the module under test needs the standard library only.
PARSE_IN_CHILD = f"""
import sys
sys.path.insert(0, {str(REPO)!r})
from linter.sources.python import load_python
tree = load_python("c.py", sys.stdin.read()).tree
print(sys.version_info >= (3, 12), type(tree).__name__, len(tree.body))
"""


def test_newer_syntax_parses_on_a_newer_python():
    """What the warning above promises: the file parses on a Python that has the grammar. On an
    older Python the check runs in a child process of a newer one found on the machine."""
    if sys.version_info >= (3, 12):
        assert len(load_python("c.py", PEP_701).tree.body) == 3
        return
    exe = newer_python()
    if exe is None:
        pytest.skip("no Python >= 3.12 on this machine (python3.12 on PATH, or a pyenv version)")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    done = subprocess.run(
        [exe, "-I", "-c", PARSE_IN_CHILD],
        input=PEP_701,
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["True", "Module", "3"]


@pytest.mark.parametrize(
    "text,line,column",
    [("def f(:\n    pass\n", 1, 7), ("x = (1,\n", 1, 5), ("print 'py2'\n", 1, 1)],
)
def test_broken_python_stays_an_error(tmp_path, text, line, column):
    text += "# a client of llama_stack\n"  # a trigger: stackalign has a reason to read it
    with pytest.raises(PythonSyntaxError) as err:
        load_python("b.py", text)
    assert not err.value.newer_grammar
    result = lint_files(tmp_path, {"b.py": text}, paths=["b.py"])
    [f] = result.findings
    assert (f.rule, f.level.value, f.span.start.line) == ("SA001", "error", line)
    assert f.message.startswith("cannot lint this file: Python 3.")


def test_broken_python_without_a_trigger_is_not_read_named_or_walked(tmp_path):
    """One SA001 policy for both modes: a file is parsed when it holds a trigger of a rule; a
    broken Python file with nothing LlamaStack in it is a Python linter's business."""
    for paths in (["b.py"], ["."]):
        result = lint_files(tmp_path, {"b.py": "def f(:\n    pass\n"}, paths=paths)
        assert result.findings == [], paths


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="this Python parses PEP 695")
def test_pep_695_is_newer_syntax_too():
    with pytest.raises(PythonSyntaxError) as err:
        load_python(
            "g.py",
            "type Vector = list[float]\n\ndef first[T](xs: list[T]) -> T:\n    return xs[0]\n",
        )
    assert err.value.newer_grammar


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="this Python parses PEP 701 f-strings")
@pytest.mark.parametrize(
    "body",
    [" + ".join(["1"] * 30_000), "(" * 150 + "1" + ")" * 150],
    ids=["30,000-term sum", "150 nested brackets"],
)
def test_hostile_files_are_not_handed_to_libcst(tmp_path, monkeypatch, body):
    """libcst's parser takes minutes on a 10,000-term sum and overflows its stack on deep nesting:
    such a file with a 3.12-looking error stays an error, and no child process is started."""
    from linter.sources import python

    calls = []
    real = python.subprocess.run
    monkeypatch.setattr(python.subprocess, "run", lambda *a, **k: calls.append(a) or real(*a, **k))
    text = 'print(f"{x} {"k"}")\nx = ' + body + "\n# llama_stack\n"
    result = lint_files(tmp_path, {"d.py": text}, paths=["d.py"])
    [f] = result.findings
    assert (f.rule, f.level.value, f.span.start.line) == ("SA001", "error", 1)
    assert calls == []


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="this Python parses PEP 701 f-strings")
def test_a_probe_that_dies_means_not_newer_python(tmp_path, monkeypatch):
    from linter.sources import python

    monkeypatch.setattr(python, "_NEWER_GRAMMAR_SECONDS", 0.001)  # the child cannot finish
    with pytest.raises(PythonSyntaxError) as err:
        load_python("c.py", PEP_701)
    assert not err.value.newer_grammar
