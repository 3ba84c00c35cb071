"""Python sources: what the running interpreter cannot parse, and why."""

from __future__ import annotations

import sys

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


@pytest.mark.skipif(sys.version_info < (3, 12), reason="this Python cannot parse PEP 701 f-strings")
def test_newer_syntax_parses_on_a_newer_python(tmp_path):
    assert load_python("c.py", PEP_701).tree.body


@pytest.mark.parametrize(
    "text,line,column",
    [("def f(:\n    pass\n", 1, 7), ("x = (1,\n", 1, 5), ("print 'py2'\n", 1, 1)],
)
def test_broken_python_stays_an_error(tmp_path, text, line, column):
    with pytest.raises(PythonSyntaxError) as err:
        load_python("b.py", text)
    assert not err.value.newer_grammar
    result = lint_files(tmp_path, {"b.py": text}, paths=["b.py"])
    [f] = result.findings
    assert (f.rule, f.level.value, f.span.start.line) == ("SA001", "error", line)
    assert f.message.startswith("cannot lint this file: Python 3.")
