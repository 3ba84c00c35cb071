"""SA004: what the render step (linter/render/) could not render or apply, as notes."""

from __future__ import annotations

from collections.abc import Iterator

from linter.checks import CheckContext
from linter.model import Finding, Span


def render_notes(ctx: CheckContext) -> Iterator[Finding]:
    state = getattr(ctx.ws, "renders", None)
    if state is None:
        return
    for note in state.notes:
        span = Span.of(note.line, note.column, note.line, note.column + 1)
        what = note.fields.get("chart") or note.fields.get("overlay") or ""
        yield ctx.finding(
            note.path,
            span,
            note.variant,
            logical=f"render:{note.variant}:{what}",
            snippet=f"{note.variant}:{what}",
            **note.fields,
        )
