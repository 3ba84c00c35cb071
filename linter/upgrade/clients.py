"""Client code the migration may rewrite: renames the new runtime defines, nothing else.

Driven by the findings the upgrade introduces (new under the new target):
- a route a client calls that the new runtime serves under another path with the same API
  (`/v1/openai/v1/chat/completions` -> `/v1/chat/completions`; rules/knowledge/migrations:
  `route_renames`), found by SA304, renamed inside the finding's span;
- the safe fixes of the rules listed as renames (`fix_rules`: `stored_chunk_id` -> `chunk_id`, an
  int chunk id as a string), taken from the findings themselves.
Everything else a client does (vector DBs to vector stores, the native inference API to chat
completions) changes arguments and results: manual work.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from linter.positions import line_index
from linter.upgrade.platform import TextEdit
from linter.versions import Version

if TYPE_CHECKING:
    from linter.model import Finding
    from linter.upgrade.data import MigrationRules


def client_edits(
    new_findings: list[Finding],
    texts: dict[str, str],
    rules: MigrationRules,
    runtime: Version | None,
) -> list[TextEdit]:
    """Edits (offsets into `texts`) for the renames these findings allow."""
    edits: list[TextEdit] = []
    for f in new_findings:
        if f.suppressed is not None:
            continue
        if f.rule in rules.fix_rules and f.fix is not None and f.fix.applicability == "safe":
            for e in f.fix.edits:
                line = e.span.start.line
                edits.append(
                    TextEdit(
                        e.path,
                        e.start_offset,
                        e.end_offset,
                        e.text,
                        f"{f.rule}: {f.fix.description}",
                        line,
                    )
                )
            continue
        if f.rule == "SA304" and f.path in texts:
            edit = _route_rename(f, texts[f.path], rules, runtime)
            if edit is not None:
                edits.append(edit)
    return edits


def _route_rename(
    f: Finding, text: str, rules: MigrationRules, runtime: Version | None
) -> TextEdit | None:
    index = line_index(f.path, text)
    try:
        start = index.index(f.span.start.line, f.span.start.column)
        end = index.index(f.span.end.line, f.span.end.column)
    except IndexError:
        return None
    region = text[start:end]
    for rename in rules.route_renames:
        if runtime is not None and runtime < Version.parse(rename.since):
            continue
        at = region.find(rename.from_)
        if at < 0:
            continue
        # the whole route, not a prefix of a longer one (`/v1/openai/v1/files` vs `/files...`)
        s = start + at
        return TextEdit(
            f.path,
            s,
            s + len(rename.from_),
            rename.to,
            f"SA304: route {rename.from_} -> {rename.to}",
            f.span.start.line,
        )
    return None
