"""SA303: the expected embedded source is rebuilt as KFP builds it."""

from __future__ import annotations

import ast

from linter.checks.stale import kfp_function_source

SRC = '''import os


@dsl.component(
    base_image="python:3.11",
)
# a comment KFP drops
def f(x: int) -> int:
    """Doc."""
    y = x  \n\
        \n    return y
    # trailing comment kept


def g():
    pass
'''


def test_rebuild_matches_kfp_rules():
    func = next(n for n in ast.parse(SRC).body if isinstance(n, ast.FunctionDef))
    got = kfp_function_source(SRC, func)
    assert got.startswith("def f(x: int) -> int:\n")
    assert "    y = x  \n\n    return y" in got  # trailing spaces kept, blank line emptied
    assert got.endswith("    # trailing comment kept\n")
    assert "comment KFP drops" not in got and "def g" not in got
