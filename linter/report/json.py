"""The JSON report: a contract (tests and users parse it)."""

from __future__ import annotations

import json
from typing import TypedDict

from linter import __version__
from linter.model import Applicability, Finding, RuntimeSourceJson
from linter.report.safe_text import json_safe


class PositionJson(TypedDict):
    line: int
    column: int


class EditJson(TypedDict):
    path: str
    start: PositionJson
    end: PositionJson
    text: str


class FixJson(TypedDict):
    applicability: Applicability  # a str enum: "safe" or "unsafe" in the JSON
    description: str
    edits: list[EditJson]


class SuppressionJson(TypedDict):
    justification: str


class _FindingKeys(TypedDict):
    rule: str
    name: str
    level: str
    path: str
    line: int
    column: int
    end_line: int
    end_column: int
    message: str
    logical_location: str
    fingerprint: str
    runtime: str | None
    runtime_source: RuntimeSourceJson | None
    fix: FixJson | None


class FindingJson(_FindingKeys, total=False):
    """One finding of the JSON report (the contract tests and users parse); `notes` and
    `suppressed` only when there are some."""

    notes: list[str]
    suppressed: SuppressionJson


def finding_dict(f: Finding) -> FindingJson:
    d: FindingJson = {
        "rule": f.rule,
        "name": f.name,
        "level": f.level.value,
        "path": f.path,
        "line": f.span.start.line,
        "column": f.span.start.column,
        "end_line": f.span.end.line,
        "end_column": f.span.end.column,
        "message": f.message,
        "logical_location": f.logical_location,
        "fingerprint": f.fingerprint,
        "runtime": f.runtime or None,
        "runtime_source": f.runtime_source.as_json() if f.runtime_source else None,
        "fix": None,
    }
    if f.notes:
        d["notes"] = list(f.notes)
    if f.fix is not None:
        d["fix"] = {
            "applicability": f.fix.applicability,
            "description": f.fix.description,
            "edits": [
                {
                    "path": e.path,
                    "start": {"line": e.span.start.line, "column": e.span.start.column},
                    "end": {"line": e.span.end.line, "column": e.span.end.column},
                    "text": e.text,
                }
                for e in f.fix.edits
            ],
        }
    if f.suppressed is not None:
        d["suppressed"] = {"justification": f.suppressed}
    return d


def render(findings: list[Finding], target: dict[str, str | None], summary: dict[str, int]) -> str:
    doc = {
        "tool": "stackalign",
        "version": __version__,
        "target": target,
        "findings": [finding_dict(f) for f in findings],
        "summary": summary,
    }
    # control characters and file name bytes that are not UTF-8 as \u escapes (see safe_text)
    return json_safe(json.dumps(doc, indent=2, ensure_ascii=False)) + "\n"
