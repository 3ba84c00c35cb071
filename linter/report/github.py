"""GitHub Actions workflow commands: one `::error|warning|notice file=...::message` per finding.

Escaping follows @actions/core (`escapeData` / `escapeProperty`): `%`, `\\r` and `\\n` in the
message; additionally `:` and `,` in property values. Columns are sent only for one-line regions
(GitHub ignores them otherwise); `endColumn` is exclusive, like the SARIF region. A finding about
the whole run (path `.`) becomes an annotation without a file.

GitHub keeps the first 10 annotations of each kind (error, warning, notice) of a step and drops
the rest; the runner still logs their message, without the file and line
(`_maxCountPerIssueType` in
https://github.com/actions/runner/blob/0001dcd9db8ad13e3a457d7c03912d568e446339/src/Runner.Worker/ExecutionContext.cs;
a composite action's steps share the budget of the step that uses the action). On top of that a
job keeps at most 50 (https://github.com/actions/toolkit/blob/b145fa2c10aa3f1d74290abfc33e54800b28b940/docs/problem-matchers.md#limitations).
So when a kind has more findings than that, its first annotation says how many are not annotated,
and those findings follow as plain `path:line:col` lines, which the log shows as they are.
"""

from __future__ import annotations

from collections import Counter

from linter.model import Finding
from linter.report.safe_text import printable

COMMAND = {"error": "error", "warning": "warning", "note": "notice"}


def escape_data(value: str) -> str:
    value = printable(value, keep_newlines=True)  # terminal escapes from the repository: shown
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(value: str) -> str:
    return escape_data(value).replace(":", "%3A").replace(",", "%2C")


def annotation(f: Finding) -> str:
    if f.path in ("", "."):  # about the run (e.g. the target), not a file: a job-level annotation
        return (
            f"::{COMMAND[f.level.value]} title={escape_property(f.rule)}::{escape_data(f.message)}"
        )
    span = f.span
    props: list[tuple[str, object]] = [("file", f.path), ("line", span.start.line)]
    if span.start.line == span.end.line:
        props.append(("col", span.start.column))
    props.append(("endLine", span.end.line))
    if span.start.line == span.end.line:
        props.append(("endColumn", span.end.column))
    props.append(("title", f.rule))
    rendered = ",".join(f"{key}={escape_property(str(value))}" for key, value in props)
    return f"::{COMMAND[f.level.value]} {rendered}::{escape_data(f.message)}"


#: Annotations of one kind that GitHub keeps per step (see the module's docstring).
ANNOTATIONS_PER_KIND = 10


def annotated_counts(levels: list[str], limit: int = ANNOTATIONS_PER_KIND) -> dict[str, int]:
    """Per finding level, how many findings `render` annotates: all of them when they fit, else
    `limit - 1` (one annotation of the kind says how many are left out)."""
    out: dict[str, int] = {}
    for level in ("error", "warning", "note"):
        n = levels.count(level)
        out[level] = n if n <= limit else limit - 1
    return out


def render(findings: list[Finding], limit: int = ANNOTATIONS_PER_KIND) -> str:
    """Annotations for the findings GitHub will keep, in order; for each kind with more than
    `limit` findings, a first annotation that says how many are not annotated, and those as plain
    lines after the annotations."""
    active = [f for f in findings if f.suppressed is None]
    room = annotated_counts([f.level.value for f in active], limit)
    totals = Counter(f.level.value for f in active)
    lines = [
        overflow_annotation(level, totals[level], room[level], limit)
        for level in COMMAND
        if totals[level] > room[level]
    ]
    used: Counter[str] = Counter()
    rest: list[Finding] = []
    for f in active:
        if used[f.level.value] < room[f.level.value]:
            used[f.level.value] += 1
            lines.append(annotation(f))
        else:
            rest.append(f)
    lines.extend(plain_line(f) for f in rest)
    return "".join(line + "\n" for line in lines)


def overflow_annotation(level: str, total: int, annotated: int, limit: int) -> str:
    kind = COMMAND[level]
    word = {"error": "errors", "warning": "warnings", "note": "notes"}[level]
    message = (
        f"stackalign found {total} {word}; GitHub keeps {limit} {kind} annotations per step, so "
        f"{total - annotated} {word} are not annotated: this step's log lists them after the "
        "annotations (RULE [level] path:line:column: message)"
    )
    return f"::{kind} title=stackalign::{escape_data(message)}"


def plain_line(f: Finding) -> str:
    """A finding GitHub would not annotate, as a log line. It starts with the rule id, so that no
    path can make the line a workflow command (`::...`)."""
    where = f.path if f.path in ("", ".") else f"{f.path}:{f.span.start.line}:{f.span.start.column}"
    line = f"{f.rule} [{f.level.value}] {where}: {f.message}"
    # one log line per finding, and the repository's text escaped
    return printable(line.replace("\r", "\\r").replace("\n", "\\n"))
