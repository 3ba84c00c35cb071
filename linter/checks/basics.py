"""SA001 (files that cannot be read or parsed) and SA002 (a target the knowledge base lacks)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TypedDict

from linter.checks import CheckContext
from linter.model import Finding, Span


def parse_problems(ctx: CheckContext) -> Iterator[Finding]:
    for p in ctx.ws.problems:
        span = Span.of(p.line, p.column, p.line, p.column + 1)
        variant = getattr(p, "variant", "default")
        # a file that only this Python cannot parse is not broken: a warning, not an error
        level = ctx.params.levels.get(variant)
        yield ctx.finding(
            p.path, span, variant, reason=p.message, logical="", snippet=p.message, level=level
        )


class _TargetFields(TypedDict):
    given: str
    closest: str
    note: str


class _ReleaseFields(_TargetFields):
    known: str


def unknown_target(ctx: CheckContext) -> Iterator[Finding]:
    t = ctx.target
    if not t.unknown:
        return
    if t.platform is None:
        variant = "no_release"
        fields: _TargetFields | _ReleaseFields = _ReleaseFields(
            given="the platform release", closest="", known="", note=t.note
        )
    elif t.platform in ("rhoai", "odh") and t.release is None:
        known = ctx.kb.known_releases(t.platform)
        closest = ctx.kb.closest_release(t.platform, t.version or "") if known else None
        variant = "platform" if closest else "platform_no_facts"
        platform = ctx.kb.platform(t.platform)
        fields = _ReleaseFields(
            given=f"{t.platform.upper()} {t.version}",
            closest=closest or "",
            known=", ".join(known),
            note=t.note or (platform.note if platform else ""),
        )
    else:
        ls = str(t.llamastack) if t.llamastack else (t.version or "")
        variant = "llamastack"
        fields = _TargetFields(
            given=f"LlamaStack {ls}", closest=ctx.kb.closest_llamastack(ls) or "", note=t.note
        )
    if t.source_path:
        assert t.source_span is not None  # set together with source_path
        path, span = t.source_path, t.source_span
    else:
        path, span = t.source if t.source not in ("--target", "none") else ".", Span.of(1, 1, 1, 1)
    yield ctx.finding(path, span, variant, logical="target", snippet=fields["given"], **fields)
