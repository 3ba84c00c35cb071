"""The mutation fuzzer of scripts/fuzz.py with a small, fixed budget (CI): every input class of
issue 14 (byte flips, truncation, tabs, NUL/BOM/U+2028, CR/CRLF/mixed line breaks, huge scalars and
lines, deep nesting, many documents, alias bombs, tags, bytes that are not UTF-8, terminal
escapes, splices) over the files of examples/ and tests/ and every rule's examples, each case
linted with every rule, rendered in every format and, when it has fixes, fixed under the
fix-safety oracle. Twelve cases of each class; the four heavy classes once each, at a quarter of
the campaign's sizes and linted only (a fix on a 3 MB file lints it several times). Zero failures
expected; about 15 s of CPU. `python scripts/fuzz.py --cases 20000` is the by-hand budget (see
docs/security.md for its last counts).
"""

from __future__ import annotations

from pathlib import Path

from tests.helpers import load_script

REPO = Path(__file__).resolve().parent.parent


def load_fuzzer():
    return load_script("fuzz")


def test_every_input_class_with_a_fixed_seed_has_no_failure():
    fuzz = load_fuzzer()
    plan = fuzz.Plan(seed=14, cli_every=40, scale=0.25, fix_heavy=False)
    report = fuzz.fuzz(0, plan, per_class=12)
    assert set(report.cases) == set(fuzz.CLASSES)
    assert sum(report.fixed.values()) > 5, "some cases exercise the fix-safety oracle"
    assert report.failures == [], "\n".join(report.failures)
