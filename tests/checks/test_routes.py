"""SA304 beyond the rule examples."""

from __future__ import annotations

from tests.helpers import lint_files


def _rules(tmp_path, files, target):
    return [
        (f.path, f.span.start.line, f.span.start.column)
        for f in lint_files(tmp_path, files, target=target).findings
        if f.rule == "SA304"
    ]


def test_module_constant_concatenation(tmp_path):
    src = 'API = "/v1"\n\ndef url(base):\n    return base + API + "/vector-dbs"\n'
    assert _rules(tmp_path, {"a.py": src}, {"llamastack": "0.3.0"}) == [("a.py", 4, 12)]


def test_served_on_022(tmp_path):
    src = 'def url(base):\n    return f"{base}/v1/vector-dbs/{id}"\n'
    assert _rules(tmp_path, {"a.py": src}, {"rhoai": "2.25"}) == []
    assert _rules(tmp_path, {"a.py": src}, {"llamastack": "0.3.0"}) == [("a.py", 2, 12)]


def test_log_text_is_not_a_url(tmp_path):
    src = 'import logging\nlogging.info("GET /v1/vector-dbs returned 404")\n'
    assert _rules(tmp_path, {"a.py": src}, {"llamastack": "0.3.0"}) == []
