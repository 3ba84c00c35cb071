"""Human output: `path:line:col: SA103 [warning] message`, the source line with a caret, a summary."""

from __future__ import annotations

from collections import Counter

from linter.model import Edit, Finding, Fix
from linter.positions import LineIndex, line_index
from linter.report.safe_text import printable, printable_width

COLORS = {"error": "\x1b[31m", "warning": "\x1b[33m", "note": "\x1b[36m"}
BOLD, DIM, RESET = "\x1b[1m", "\x1b[2m", "\x1b[0m"
MAX_SNIPPET = 240  # characters of a source line shown under a finding
SNIPPET_BEFORE = 80  # of which before the finding's column, when the line is longer


def render(
    findings: list[Finding],
    texts: dict[str, str],
    target_line: str,
    summary: dict[str, int],
    color: bool = False,
    footer: bool = True,
    show_fixes: bool = False,
) -> str:
    """The findings; then, unless `footer` is False (`--quiet`), the target and the counts.
    `show_fixes`: under each fix, the lines it changes (`-` before, `+` after)."""
    out: list[str] = []
    indexes: dict[str, LineIndex] = {}
    for f in findings:
        if f.suppressed is not None:
            continue
        level = f.level.value
        path, message = printable(f.path), printable(f.message)  # the repository's text: escaped
        head = f"{path}:{f.span.start.line}:{f.span.start.column}: {f.rule} [{level}] {message}"
        if color:
            head = (
                f"{BOLD}{path}:{f.span.start.line}:{f.span.start.column}:{RESET} "
                f"{COLORS[level]}{f.rule} [{level}]{RESET} {message}"
            )
        out.append(head)
        line = _line(f.path, texts.get(f.path), f.span.start.line, indexes)
        if line is not None:
            expanded = line.expandtabs(1).rstrip("\r\n")
            col = f.span.start.column
            width = (
                f.span.end.column - col
                if f.span.end.line == f.span.start.line
                else len(expanded) - col + 1
            )
            shown, col = _window(expanded, col)
            underlined = shown[col - 1 : col - 1 + max(1, min(width, len(shown) - col + 1))]
            # the line is printed escaped: the caret goes under the escaped characters
            caret = " " * printable_width(shown[: col - 1]) + "^" * max(
                1, printable_width(underlined)
            )
            gutter = f"{f.span.start.line:>5} | "
            out.append(f"{gutter}{printable(shown)}")
            out.append(
                " " * (len(gutter) - 2)
                + "| "
                + (f"{COLORS[level]}{caret}{RESET}" if color else caret)
            )
        # notes, runtime and fix descriptions quote the repository's text too: escaped
        for note in f.notes:
            out.append(f"      = note: {printable(note)}")
        if f.runtime_source is not None:
            out.append(f"      = runtime: {printable(f.runtime_source.explanation)}")
        if f.fix is not None:
            out.append(f"      = fix ({f.fix.applicability}): {printable(f.fix.description)}")
            if show_fixes:
                out.extend(fix_preview(f.fix, f.path, texts))
    if footer:
        out.append(_summary(findings, target_line, summary, color))
    return "".join(line + "\n" for line in out)


def fix_preview(fix: Fix, path: str, texts: dict[str, str]) -> list[str]:
    """The lines a fix changes, before (`-`) and after (`+`), per file it edits (the file is
    named when it is not the finding's own)."""
    by_path: dict[str, list[Edit]] = {}
    for e in fix.edits:
        by_path.setdefault(e.path, []).append(e)
    out: list[str] = []
    for edit_path, edits in by_path.items():
        text = texts.get(edit_path)
        if text is None:
            continue
        start = min(e.start_offset for e in edits)
        end = max(e.end_offset for e in edits)
        first = text.rfind("\n", 0, start) + 1
        last = text.find("\n", end)
        last = len(text) if last < 0 else last
        after = text[first:last]
        for e in sorted(edits, key=lambda e: e.start_offset, reverse=True):
            after = after[: e.start_offset - first] + e.text + after[e.end_offset - first :]
        if edit_path != path:
            out.append(f"        {printable(edit_path)}:")
        before_lines = text[first:last].split("\n")
        out.extend(f"        - {printable(line.rstrip(chr(13)))}" for line in before_lines)
        out.extend(f"        + {printable(line.rstrip(chr(13)))}" for line in after.split("\n"))
    return out


def _window(line: str, col: int) -> tuple[str, int]:
    """At most MAX_SNIPPET characters of a long line around column `col` (with `…` where it is
    cut), and the column in that window: a 2 MB line is not printed whole, twice."""
    if len(line) <= MAX_SNIPPET:
        return line, col
    start = max(0, min(col - 1 - SNIPPET_BEFORE, len(line) - MAX_SNIPPET))
    end = start + MAX_SNIPPET
    head = "…" if start else ""
    return head + line[start:end] + ("…" if end < len(line) else ""), col - start + len(head)


def _line(path: str, text: str | None, line: int, indexes: dict[str, LineIndex]) -> str | None:
    """The text of one line, split as the finding's position counted it (one index per file)."""
    if text is None:
        return None
    lines = indexes.get(path)
    if lines is None:
        lines = indexes[path] = line_index(path, text)
    if not 1 <= line <= lines.line_count:
        return None
    end = lines.starts[line] if line < lines.line_count else len(text)
    return text[lines.starts[line - 1] : end].rstrip("\r\n\x85\u2028\u2029")


def footer(
    findings: list[Finding], target_line: str, summary: dict[str, int], color: bool = False
) -> str:
    """The target line and the counts that close the report (also after `--statistics`)."""
    return _summary(findings, target_line, summary, color)


def _summary(
    findings: list[Finding], target_line: str, summary: dict[str, int], color: bool
) -> str:
    active = [f for f in findings if f.suppressed is None]
    by_level = Counter(f.level.value for f in active)
    parts = [
        f"{by_level[lv]} {lv}{'s' if by_level[lv] != 1 else ''}"
        for lv in ("error", "warning", "note")
        if by_level[lv]
    ]
    counts = ", ".join(parts) if parts else "no findings"
    suppressed = len(findings) - len(active)
    files = summary["files"]
    line = f"{printable(target_line)}\nChecked {files} file{'s' if files != 1 else ''} ({summary['parsed']} parsed): {counts}"
    line += _fixable(summary.get("fixable", 0), summary.get("unsafe_fixable", 0))
    if suppressed:
        line += f"; {suppressed} suppressed"
    line += "."
    return (DIM + line + RESET) if color else line


def _fixable(fixable: int, unsafe_only: int) -> str:
    """What `--fix` would fix, and what `--unsafe-fixes` would add (ruff's "hidden fixes")."""
    if fixable and unsafe_only:
        return f"; {fixable} fixable ({unsafe_only} more with --unsafe-fixes)"
    if fixable:
        return f"; {fixable} fixable"
    if unsafe_only:
        return f"; {unsafe_only} fixable with --unsafe-fixes"
    return ""
