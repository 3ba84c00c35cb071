"""Programs found in compiled KFP pipelines, mapped back to exact YAML positions."""

from __future__ import annotations

from pathlib import Path

import pytest

from linter.sources.compiled import find_programs, reemit_program
from linter.sources.yaml import parse_file
from tests.shared_subset import data_roots

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "kfp"
RAG = "knowledge/data/kfp/opendatahub-io__rag/demos/kfp/pdf-conversion/docling_convert_pipeline_compiled.yaml"


def _programs(path: Path):
    text = path.read_text(encoding="utf-8")
    return text, find_programs(parse_file(str(path), text))


# The real compiled pipelines of knowledge/data/kfp: vendored under tests/data/shared (always), and
# in ../shared where it is present.
@pytest.mark.parametrize("root", data_roots())
def test_rag_vector_io_insert_position(root):
    """KFP.md §7.1: program 87:20 (0-based column) -> YAML 411:54 and 514:54 for the copy."""
    _, programs = _programs(root / RAG)
    found = {}
    for prog in programs:
        i = prog.program.text.find("client.vector_io.insert")
        if i >= 0:
            assert prog.program.lines.position(i) == (87, 21)
            found[prog.executor] = prog.span(i, i + len("client.vector_io.insert"))
    assert found["exec-docling-convert"].start.line == 411
    assert found["exec-docling-convert"].start.column == 54
    assert found["exec-docling-convert-2"].start.line == 514


@pytest.mark.parametrize("root", data_roots())
def test_real_files_decode_and_reemit(root):
    """Every program decodes to the parser's value; PyYAML-formatted ones re-emit byte-exact."""
    total = 0
    for path in sorted((root / "knowledge" / "data" / "kfp").rglob("*.yaml")):
        text, programs = _programs(path)
        for prog in programs:
            total += 1
            assert prog.decoded.value == prog.node.value
            if "secret_as_env" in path.name or prog.decoded.style != '"':
                continue  # re-indented after compile (KFP.md §5 file 2) / literal blocks
            start, end, raw = reemit_program(prog, prog.program.text)
            assert text[start:end] == raw, (path.name, prog.executor)
    assert total >= 40


@pytest.mark.parametrize("root", data_roots())
def test_v1_argo_programs_are_found(root):
    path = root / "knowledge/data/kfp/kubeflow__pipelines/sdk/python/tests/compiler/testdata"
    _, programs = _programs(path / "parallelfor_item_argument_resolving.yaml")
    assert programs and all(p.kfp_format == "v1" and p.decoded.style == "|" for p in programs)


@pytest.mark.parametrize("name", ["fold_split_key.yaml", "fold_split_key.k8s.yaml"])
def test_key_across_fold_points_at_its_byte_offset(name):
    path = FIXTURES / name
    if not path.exists():
        pytest.skip("compiled fixture not generated")
    text, programs = _programs(path)
    hits = [(p, p.program.text.find('"stored_chunk_id"')) for p in programs]
    hits = [(p, i) for p, i in hits if i >= 0]
    assert hits
    prog, i = hits[0]
    raw_key = text.index('\\"stored_chunk_id', 0) if '\\"stored_chunk_id' in text else None
    offset = prog.program.offsets[i]
    assert text[offset : offset + 2] == '\\"'
    if raw_key is not None:
        assert offset <= raw_key
    span = prog.span(i, i + len('"stored_chunk_id"'))
    line_start = text.rfind("\n", 0, offset) + 1
    assert (span.start.line, span.start.column) == (
        text.count("\n", 0, offset) + 1,
        offset - line_start + 1,
    )


def test_plain_yaml_has_no_programs():
    src = parse_file("a.yaml", "command:\n- sh\n- -c\n- echo hi\n")
    assert find_programs(src) == []
