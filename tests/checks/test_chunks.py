"""SA301/SA302/SA305 beyond the rule examples: mentions never count, story verdicts, fixes."""

from __future__ import annotations

from linter.fixes import apply_edits, select_edits
from tests.helpers import lint_files

MENTIONS = '''"""stored_chunk_id is internal."""
import logging


def insert(client, chunks):
    # stored_chunk_id: never send it
    logging.warning("chunk has 'stored_chunk_id': %s", chunks)
    note = f"{len(chunks)} chunks without stored_chunk_id"
    client.vector_io.insert(vector_db_id="d", chunks=chunks)
    return note
'''


def test_mentions_are_never_findings(tmp_path):
    result = lint_files(tmp_path, {"a.py": MENTIONS}, target={"rhoai": "2.25"})
    assert [f for f in result.findings if f.rule in ("SA301", "SA305")] == []


def test_finding_offset_is_the_key(tmp_path):
    src = 'def f(t):\n    return {"content": t, "stored_chunk_id": "x"}\n'
    result = lint_files(tmp_path, {"a.py": src}, target={"rhoai": "2.25"})
    (f,) = [f for f in result.findings if f.rule == "SA301"]
    offset = src.index('"stored_chunk_id"')
    line = src.count("\n", 0, offset) + 1
    col = offset - (src.rfind("\n", 0, offset) + 1) + 1
    assert (f.span.start.line, f.span.start.column) == (line, col)
    edits = select_edits([f], unsafe=False)
    assert apply_edits(src, edits["a.py"]) == src.replace("stored_chunk_id", "chunk_id")


def test_duplicate_chunk_id_removes_the_alias(tmp_path):
    src = 'def f(t):\n    return {"content": t, "chunk_id": "a", "stored_chunk_id": "x"}\n'
    result = lint_files(tmp_path, {"a.py": src}, target={"rhoai": "2.25"})
    (f,) = [f for f in result.findings if f.rule == "SA301"]
    fixed = apply_edits(src, select_edits([f], unsafe=False)["a.py"])
    assert fixed == 'def f(t):\n    return {"content": t, "chunk_id": "a"}\n'


def test_story_example_has_sa301_sa302_sa303():
    from pathlib import Path

    from tests.helpers import lint_dir

    root = Path(__file__).resolve().parents[2] / "examples"
    story = {f.rule for f in lint_dir(root / "story").findings}
    assert {"SA301", "SA302", "SA303"} <= story
    clean = lint_dir(root / "clean").findings
    assert clean == []
