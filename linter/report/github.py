"""GitHub Actions workflow commands: one `::error|warning|notice file=...::message` per finding.

Escaping follows @actions/core (`escapeData` / `escapeProperty`): `%`, `\\r` and `\\n` in the
message; additionally `:` and `,` in property values. Columns are sent only for one-line regions
(GitHub ignores them otherwise); `endColumn` is exclusive, like the SARIF region. A finding about
the whole run (path `.`) becomes an annotation without a file.
"""

from __future__ import annotations

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


def render(findings: list[Finding]) -> str:
    lines = [annotation(f) for f in findings if f.suppressed is None]
    return "".join(line + "\n" for line in lines)
