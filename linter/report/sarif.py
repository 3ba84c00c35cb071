"""SARIF 2.1.0 for GitHub code scanning: findings and run metadata in, one run out.

What GitHub reads (its SARIF docs) is always present and never empty; `%SRCROOT%`-relative URIs;
full regions with an exclusive end column in Unicode code points; GitHub's own
`primaryLocationLineHash` plus our line-independent fingerprint; fixes as artifact changes;
suppressed results only on request (GitHub shows them as open alerts).
"""

from __future__ import annotations

import json
import os
import posixpath
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, TypeAlias
from urllib.parse import quote

from linter import REPOSITORY_URL, __version__, docs_url
from linter.model import Finding, Fix, Span
from linter.report.linehash import hashes_for_lines
from linter.report.safe_text import filename_bytes, json_safe
from linter.rulepack import Rule

#: A SARIF 2.1.0 object: its shape is OASIS's schema (tests validate the output against it); this
#: module only builds such objects and serialises them.
SarifObject: TypeAlias = dict[str, Any]

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
SRCROOT = "%SRCROOT%"
FINGERPRINT_KEY = "stackalignFingerprint/v1"
LINE_HASH_KEY = "primaryLocationLineHash"
MAX_RESULTS = 5000  # GitHub keeps only the top 5,000 results of a run (GitHub's SARIF docs)
MAX_DESCRIPTION = 1024
PRECISION_RANK = {"very-high": 4, "high": 3, "medium": 2, "low": 1}


@dataclass(frozen=True)
class RunMetadata:
    """What the reporter knows besides the findings. `file_texts`: path -> the text upload-sarif
    hashes (the file decoded as UTF-8 with its BOM kept); a path without text gets no line hash."""

    target: dict[str, str | None]
    rules: list[Rule]
    command_line: str
    working_directory: Path
    start_time: datetime
    end_time: datetime
    file_texts: Mapping[str, str] = field(default_factory=dict)
    category: str = "stackalign/"
    include_suppressed: bool = False
    execution_successful: bool = True
    max_results: int = MAX_RESULTS


def help_uri(rule_id: str) -> str:
    return docs_url(f"docs/rules/{rule_id}.md")


def render(findings: list[Finding], meta: RunMetadata) -> str:
    # control characters and file name bytes that are not UTF-8 as \u escapes (see safe_text)
    return json_safe(json.dumps(build(findings, meta), indent=2, ensure_ascii=False)) + "\n"


def build(findings: list[Finding], meta: RunMetadata) -> SarifObject:
    rules = list(meta.rules)
    index = {r.id: i for i, r in enumerate(rules)}
    precision = {r.id: r.precision for r in rules}
    wanted = [f for f in findings if meta.include_suppressed or f.suppressed is None]
    kept, omitted = keep_most_severe(wanted, meta.max_results, precision)
    hashes = _line_hashes(kept, meta.file_texts)
    root, rebase = source_root(meta.working_directory, _paths(kept))
    results = [
        result(
            f,
            index.get(f.rule),
            hashes.get((f.path, f.span.start.line)),
            meta.include_suppressed,
            rebase,
        )
        for f in kept
    ]
    run: SarifObject = {
        "tool": {
            "driver": {
                "name": "stackalign",
                "semanticVersion": __version__,
                "informationUri": REPOSITORY_URL,
                "rules": [rule_descriptor(r) for r in rules],
            }
        },
        "automationDetails": {"id": meta.category},
        "invocations": [invocation(meta, len(wanted), omitted)],
        "originalUriBaseIds": {SRCROOT: {"uri": directory_uri(root)}},
        "columnKind": "unicodeCodePoints",
        "results": results,
        "properties": run_properties(meta, findings, len(wanted), omitted),
    }
    return {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}


# -- rules -----------------------------------------------------------------------------------------
def rule_descriptor(rule: Rule) -> SarifObject:
    return {
        "id": rule.id,
        "name": rule.name,
        "shortDescription": {"text": sentence(rule.summary)},
        "fullDescription": {"text": full_description(rule)},
        "help": {"text": help_text(rule.help), "markdown": help_markdown(rule)},
        "helpUri": help_uri(rule.id),
        "defaultConfiguration": {"level": rule.level.value},
        "properties": {"tags": list(rule.tags), "precision": rule.precision},
    }


def full_description(rule: Rule) -> str:
    """What it does and why it is bad, as plain text, at most 1024 characters."""
    parts = [plain(rule.help_section("What it does")), plain(rule.help_section("Why is this bad?"))]
    text = " ".join(p for p in parts if p) or rule.summary
    return truncate(sentence(text), MAX_DESCRIPTION)


def help_markdown(rule: Rule) -> str:
    return f"# {rule.id} {rule.name}\n\n{rule.summary}\n\n{rule.help.strip()}\n"


def help_text(markdown: str) -> str:
    """The help without Markdown syntax: headings become lines, code fences disappear."""
    lines = []
    for line in markdown.strip().splitlines():
        if line.lstrip().startswith("```"):
            continue
        lines.append(re.sub(r"^#+\s*", "", line))
    return "\n".join(lines).strip() + "\n"


def plain(markdown: str) -> str:
    """One paragraph of plain text: no code blocks, no backticks, single spaces."""
    text = re.sub(r"```.*?```", " ", markdown, flags=re.DOTALL)
    return " ".join(text.replace("`", "").split())


def sentence(text: str) -> str:
    text = text.strip()
    return text if text.endswith((".", "!", "?")) else text + "."


def truncate(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    return (cut[:space] if space > limit // 2 else cut).rstrip() + "…"


# -- results ---------------------------------------------------------------------------------------
def keep_most_severe(
    findings: list[Finding], limit: int, precision: Mapping[str, str]
) -> tuple[list[Finding], int]:
    """At most `limit` findings, the most severe (then most precise) first; order is kept."""
    if len(findings) <= limit:
        return findings, 0
    ranked = sorted(
        range(len(findings)),
        key=lambda i: (
            -findings[i].level.rank,
            -PRECISION_RANK.get(precision.get(findings[i].rule, "high"), 0),
            i,
        ),
    )
    keep = sorted(ranked[:limit])
    return [findings[i] for i in keep], len(findings) - limit


def result(
    f: Finding,
    rule_index: int | None,
    line_hash: str | None,
    with_suppressions: bool,
    rebase: tuple[str, str] | None = None,
) -> SarifObject:
    """One result; `rebase`: (working directory, %SRCROOT%) when they differ (see source_root)."""
    out: SarifObject = {"ruleId": f.rule}
    if rule_index is not None:
        out["ruleIndex"] = rule_index
    out["level"] = f.level.value
    out["message"] = {"text": f.message}
    out["locations"] = [location(f, rebase)]
    if f.related:
        out["relatedLocations"] = [
            {"id": i, **physical(r.path, r.span, rebase), "message": {"text": r.message}}
            for i, r in enumerate(f.related, start=1)
        ]
    fingerprints = {FINGERPRINT_KEY: f.fingerprint}
    if line_hash is not None:
        fingerprints = {LINE_HASH_KEY: line_hash, **fingerprints}
    out["partialFingerprints"] = fingerprints
    if f.fix is not None:
        out["fixes"] = [fix(f.fix, rebase)]
    if with_suppressions:
        out["suppressions"] = suppressions(f)
    properties: SarifObject = {k: v for k, v in (("runtime", f.runtime), ("target", f.target)) if v}
    if f.runtime_source is not None:
        properties["runtime_source"] = f.runtime_source.as_json()
    if f.notes:
        properties["notes"] = list(f.notes)
    if properties:
        out["properties"] = properties
    return out


def location(f: Finding, rebase: tuple[str, str] | None = None) -> SarifObject:
    loc = physical(f.path, f.span, rebase)
    if f.logical_location:
        loc["logicalLocations"] = [{"fullyQualifiedName": f.logical_location}]
    return loc


def physical(path: str, span: Span, rebase: tuple[str, str] | None = None) -> SarifObject:
    return {
        "physicalLocation": {
            "artifactLocation": artifact(path, rebase),
            "region": region(span),
        }
    }


def artifact(path: str, rebase: tuple[str, str] | None = None) -> dict[str, str]:
    return {"uri": relative_uri(path, rebase), "uriBaseId": SRCROOT}


def region(span: Span) -> dict[str, int]:
    return {
        "startLine": span.start.line,
        "startColumn": span.start.column,
        "endLine": span.end.line,
        "endColumn": span.end.column,
    }


def fix(f: Fix, rebase: tuple[str, str] | None = None) -> SarifObject:
    by_path: dict[str, list[SarifObject]] = {}
    for edit in sorted(f.edits, key=lambda e: (e.path, e.start_offset)):
        by_path.setdefault(edit.path, []).append(
            {"deletedRegion": region(edit.span), "insertedContent": {"text": edit.text}}
        )
    return {
        "description": {"text": sentence(f.description)},
        "artifactChanges": [
            {"artifactLocation": artifact(path, rebase), "replacements": replacements}
            for path, replacements in by_path.items()
        ],
        "properties": {"applicability": f.applicability},
    }


def suppressions(f: Finding) -> list[SarifObject]:
    if f.suppressed is None:
        return []
    s: SarifObject = {"kind": "inSource", "status": "accepted"}
    if f.suppressed.strip():
        s["justification"] = f.suppressed.strip()
    return [s]


def _line_hashes(findings: list[Finding], texts: Mapping[str, str]) -> dict[tuple[str, int], str]:
    lines_by_path: dict[str, set[int]] = {}
    for f in findings:
        lines_by_path.setdefault(f.path, set()).add(f.span.start.line)
    out: dict[tuple[str, int], str] = {}
    for path, lines in lines_by_path.items():
        text = texts.get(path)
        if text is None:
            continue  # upload-sarif computes it from the checkout
        for line, value in hashes_for_lines(text, lines).items():
            out[(path, line)] = value
    return out


# -- run -------------------------------------------------------------------------------------------
def invocation(meta: RunMetadata, total: int, omitted: int) -> SarifObject:
    inv: SarifObject = {
        "commandLine": meta.command_line,
        "workingDirectory": {"uri": directory_uri(meta.working_directory)},
        "startTimeUtc": utc(meta.start_time),
        "endTimeUtc": utc(meta.end_time),
        "executionSuccessful": meta.execution_successful,
    }
    if omitted:
        inv["toolExecutionNotifications"] = [
            {
                "level": "warning",
                "message": {
                    "text": (
                        f"{total} results exceed the limit of {meta.max_results} that GitHub code "
                        f"scanning keeps; the {meta.max_results} most severe are reported and "
                        f"{omitted} are omitted."
                    )
                },
                "descriptor": {"id": "results-truncated"},
            }
        ]
    return inv


def run_properties(
    meta: RunMetadata, findings: list[Finding], total: int, omitted: int
) -> SarifObject:
    props: SarifObject = {"target": meta.target}
    runtimes = sorted({f.runtime for f in findings if f.runtime})
    if runtimes:
        props["runtimes"] = runtimes
    props["resultCount"] = total - omitted
    if omitted:
        props["truncated"] = {
            "totalResults": total,
            "omittedResults": omitted,
            "limit": meta.max_results,
        }
    if not meta.include_suppressed:
        props["suppressedResultsOmitted"] = sum(1 for f in findings if f.suppressed is not None)
    return props


def relative_uri(path: str, rebase: tuple[str, str] | None = None) -> str:
    """`path` (relative to the working directory) as a URI relative to %SRCROOT%; `rebase` is
    (working directory, %SRCROOT%) when they differ (see source_root). Percent-encoded from the
    path's bytes, so a file name that is not UTF-8 keeps its bytes (`caf%E9.yaml`)."""
    path = path.replace("\\", "/").removeprefix("./")
    if rebase is not None and path not in ("", "."):  # "." is about the run: the root itself
        cwd, root = rebase
        path = os.path.relpath(os.path.normpath(os.path.join(cwd, path)), root)
        path = path.replace(os.sep, "/")
    return quote(filename_bytes(path), safe="/")


def _paths(findings: list[Finding]) -> set[str]:
    """Every path a result names: its location, related locations and fixed files."""
    out = set()
    for f in findings:
        out.add(f.path)
        out.update(r.path for r in f.related)
        if f.fix is not None:
            out.update(e.path for e in f.fix.edits)
    return out


def source_root(working_directory: Path, paths: set[str]) -> tuple[Path, tuple[str, str] | None]:
    """%SRCROOT%, and (working directory, %SRCROOT%) when the URIs must be rebased onto it.

    GitHub code scanning resolves a relative URI against the root of the checkout, and cannot map
    one that starts with `../`. So %SRCROOT% is the working directory as long as every reported
    path is inside it (the usual CI run, from the checkout's root). When a path leaves it
    (`stackalign lint ../other`), %SRCROOT% becomes the linted root: the repository (the nearest
    folder holding `.git` or `.stackalign.yaml`) that holds every reported file, or else their
    deepest common folder; every URI is then relative to that folder and never starts with `../`.
    """
    cwd = os.path.normpath(working_directory.absolute())
    named = [p for p in paths if p not in ("", ".")]
    if not any(_leaves(p) for p in named):
        return Path(cwd), None
    from linter.discovery import find_project_root

    files = [os.path.normpath(os.path.join(cwd, p)) for p in named]
    common = os.path.commonpath([os.path.dirname(f) for f in files])
    project = find_project_root(Path(common))
    root = str(project) if project is not None else common
    return Path(root), (cwd, root)


def _leaves(path: str) -> bool:
    norm = posixpath.normpath(path.replace("\\", "/"))
    return norm == ".." or norm.startswith("../") or posixpath.isabs(norm)


def directory_uri(path: Path) -> str:
    uri = path.absolute().as_uri()
    return uri if uri.endswith("/") else uri + "/"


def utc(moment: datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
