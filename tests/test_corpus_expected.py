"""The run-config and CR rules on the real files of ../shared/corpus/dev, against a reviewed list.

tests/data/corpus_expected.tsv names, per file and target, each expected finding with the
LLAMASTACK.md section that justifies it; rule `-` marks a file that is correct for that target and
must have no finding of these rules. Every listed finding must appear at its exact position, and a
file may carry no finding of a rule its rows do not name.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from pathlib import Path

import pytest

from linter.engine import Options, run
from tests.helpers import pack

RULES = ("SA201", "SA202", "SA203", "SA204", "SA205", "SA206", "SA207", "SA401", "SA402")
TSV = Path(__file__).parent / "data" / "corpus_expected.tsv"


def _rows() -> dict[tuple[str, str], list[dict[str, str]]]:
    lines = [ln for ln in TSV.read_text(encoding="utf-8").splitlines() if not ln.startswith("#")]
    names = ["path", "target", "rule", "line", "column", "justification"]
    out: dict[tuple[str, str], list[dict[str, str]]] = defaultdict(list)
    for row in csv.DictReader(lines, fieldnames=names, delimiter="\t"):
        assert row["justification"].startswith("§"), row
        out[(row["path"], row["target"])].append(row)
    return out


CASES = sorted(_rows().items())


@pytest.mark.parametrize("key,rows", CASES, ids=[f"{p}@{t}" for (p, t), _ in CASES])
def test_corpus_file(shared, key, rows):
    path, target = key
    corpus = shared / "corpus" / "dev"
    if not (corpus / path).is_file():
        pytest.skip(f"{path} is not in the corpus")
    platform, _, version = target.partition("=")
    kb, rules = pack()
    mine = [r for r in rules if r.id in RULES]
    result = run(Options(paths=[path], target={platform: version}, cwd=corpus), kb=kb, rules=mine)
    got = {(f.rule, f.span.start.line, f.span.start.column) for f in result.findings}
    want = {(r["rule"], int(r["line"]), int(r["column"])) for r in rows if r["rule"] != "-"}
    assert want <= got, sorted(want - got)
    allowed = {r["rule"] for r in rows if r["rule"] != "-"}
    extra = [
        f"{f.rule} {f.span.start.line}:{f.span.start.column} {f.message}"
        for f in result.findings
        if f.rule not in allowed
    ]
    assert not extra, extra
