"""Applying fixes: text edits over exact spans, never overlapping within one pass."""

from __future__ import annotations

from linter.model import Edit, Finding


def select_edits(findings: list[Finding], unsafe: bool) -> dict[str, list[Edit]]:
    """Edits per file for the fixes we may apply, dropping any that overlap an earlier one."""
    chosen: dict[str, list[Edit]] = {}
    for f in findings:
        if f.fix is None or f.suppressed is not None:
            continue
        if f.fix.applicability == "unsafe" and not unsafe:
            continue
        edits = f.fix.edits
        if any(_overlaps(e, chosen.get(e.path, [])) for e in edits):
            continue  # applied in a later pass, after a re-lint
        for e in edits:
            chosen.setdefault(e.path, []).append(e)
    return chosen


def _overlaps(edit: Edit, others: list[Edit]) -> bool:
    for o in others:
        if edit.start_offset < o.end_offset and o.start_offset < edit.end_offset:
            return True
        if edit.start_offset == edit.end_offset == o.start_offset == o.end_offset:
            return True
    return False


def apply_edits(text: str, edits: list[Edit]) -> str:
    """Apply non-overlapping edits to `text` (offsets index the decoded text)."""
    out = text
    for e in sorted(edits, key=lambda e: (e.start_offset, e.end_offset), reverse=True):
        out = out[: e.start_offset] + e.text + out[e.end_offset :]
    return out
