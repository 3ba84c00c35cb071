"""Where each character of a rendered text came from, and findings moved from rendered text to it.

A rendered document (Helm output, a kustomize build) is linted like any YAML file, under a virtual
path. Its text is covered by segments, each with an `Origin` in a real file of the repository:
template text copied verbatim, a value from a values file, the expression that computed it, an
overlay field, a base line. `remap` moves a finding from the virtual path to its origin: the
segment of highest priority under its span wins (a value an overlay or an Argo CD Application sets
beats the chart's default, which beats template text), so a finding caused by an override points at
the override. A fix survives only when each of its edits falls on text copied verbatim from one
file; otherwise the finding says what to change and where.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass, field, replace

from linter.model import Edit, Finding, Fix, RelatedLocation, RuntimeSource, Span
from linter.positions import LineIndex, line_index

#: Origin priorities: higher wins when a finding's span covers several origins.
TEMPLATE, EXPRESSION, DEFAULT_VALUE, BASE, OVERRIDE = 0, 0, 1, 1, 2


@dataclass(frozen=True, slots=True)
class Place:
    """A range of a repository file's text (offsets into its decoded text)."""

    path: str
    start: int
    end: int
    message: str = ""


@dataclass(frozen=True, slots=True)
class Origin:
    """What produced a segment of rendered text."""

    place: Place
    priority: int
    verbatim: bool  # the segment's text is place's text, character for character
    related: tuple[Place, ...] = ()


@dataclass(frozen=True, slots=True)
class Segment:
    start: int  # in the rendered text
    end: int
    origin: Origin

    def source_offset(self, index: int) -> int:
        """For a verbatim segment: the file offset of rendered character `index`."""
        return self.origin.place.start + (index - self.start)


@dataclass
class RenderedText:
    """One rendered document and the origin of every part of it."""

    virtual_path: str
    text: str
    segments: list[Segment]
    label: str  # names the render: "in the render of chart charts/x with values-prod.yaml ..."
    view: str  # the deployment view its objects belong to (one per render or overlay build)
    fallback: Place  # where a position no segment covers is reported
    _starts: list[int] = field(default_factory=list, repr=False)
    _lines: LineIndex | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self.segments.sort(key=lambda s: (s.start, s.end))
        self._starts = [s.start for s in self.segments]

    @property
    def lines(self) -> LineIndex:
        if self._lines is None:
            self._lines = LineIndex(self.text)
        return self._lines

    def segment_at(self, index: int) -> Segment | None:
        i = bisect_right(self._starts, index) - 1
        while i >= 0:
            seg = self.segments[i]
            if seg.start <= index < seg.end:
                return seg
            if seg.end <= index:
                return None
            i -= 1
        return None

    def overlapping(self, start: int, end: int) -> list[Segment]:
        end = max(end, start + 1)
        i = max(bisect_right(self._starts, start) - 1, 0)
        out = []
        while i < len(self.segments) and self.segments[i].start < end:
            seg = self.segments[i]
            if seg.end > start:
                out.append(seg)
            i += 1
        return out

    def place_of(self, start: int, end: int) -> tuple[Place, tuple[Place, ...]]:
        """The place in a repository file of rendered text [start, end), and related places."""
        segs = self.overlapping(start, end)
        if not segs:
            return self.fallback, ()
        top = max(s.origin.priority for s in segs)
        tied = [s for s in segs if s.origin.priority == top]
        best = tied[-1] if top > TEMPLATE else tied[0]  # of values, the last (an image's tag)
        origin = best.origin
        others = tuple(
            Place(
                s.origin.place.path,
                s.origin.place.start,
                s.origin.place.end,
                "also part of this value",
            )
            for s in segs
            if s.origin.priority > TEMPLATE
            and s.origin.place.path
            and s.origin.place != origin.place
        )
        if not origin.verbatim:
            return origin.place, origin.related + others
        a = max(start, best.start)
        src_a = best.source_offset(a)
        last = self.segment_at(max(end - 1, start))
        src_b = best.source_offset(min(max(end, a + 1), best.end))
        if (
            last is not None
            and last is not best
            and last.origin.verbatim
            and last.origin.place.path == origin.place.path
            and last.origin.priority == origin.priority
        ):
            candidate = last.source_offset(end - 1) + 1
            if candidate > src_a:
                src_b = candidate
        return Place(origin.place.path, src_a, max(src_b, src_a)), origin.related + others

    def edit_place(self, start: int, end: int) -> tuple[str, int, int] | None:
        """The verbatim file range behind rendered [start, end), or None if it is not all verbatim
        text of one file (then an edit there cannot be made in the source)."""
        if start == end:
            seg = self.segment_at(start) or self.segment_at(start - 1)
            if seg is None or not seg.origin.verbatim:
                return None
            return seg.origin.place.path, seg.source_offset(start), seg.source_offset(start)
        segs = self.overlapping(start, end)
        if not segs or any(not s.origin.verbatim for s in segs):
            return None
        covered = start
        path = segs[0].origin.place.path
        for s in segs:
            if s.start > covered or s.origin.place.path != path:
                return None
            covered = s.end
        if covered < end:
            return None
        src_start = segs[0].source_offset(start)
        src_end = segs[-1].source_offset(end - 1) + 1
        if src_end - src_start != end - start:
            return None  # verbatim pieces of one file, but not one contiguous range of it
        return path, src_start, src_end


@dataclass
class Remapper:
    """Moves findings from rendered texts to repository files (see the module docstring)."""

    rendered: dict[str, RenderedText]
    texts: dict[str, str]  # repository path -> text, for every file an origin names
    _indexes: dict[str, LineIndex] = field(default_factory=dict)

    def lines(self, path: str) -> LineIndex:
        idx = self._indexes.get(path)
        if idx is None:
            idx = self._indexes[path] = line_index(path, self.texts.get(path, ""))
        return idx

    def span(self, place: Place) -> Span:
        lines = self.lines(place.path)
        length = lines.length
        start = min(max(place.start, 0), length)
        end = min(max(place.end, start), length)
        return Span.of(*lines.position(start), *lines.position(end))

    def location(self, place: Place) -> str:
        return f"{place.path}:{self.lines(place.path).position(min(place.start, self.lines(place.path).length))[0]}"

    def remap(self, findings: list[Finding]) -> list[Finding]:
        """Every finding on a rendered text moved to its origin; duplicates merged (see merge).
        A finding judged against a rendered server also gets that server's place moved."""
        out: list[tuple[Finding, str, str]] = []
        for f in findings:
            if f.runtime_source is not None:
                f = replace(f, runtime_source=self._runtime_source(f.runtime_source))
            rt = self.rendered.get(f.path)
            if rt is None:
                out.append((f, "", ""))
                continue
            moved, note = self._moved(f, rt)
            out.append((moved, rt.label, note))
        return merge(out)

    def _moved(self, f: Finding, rt: RenderedText) -> tuple[Finding, str]:
        """The finding at its origin, and what its message must add when it stays rendered-only
        (a fix that could not be kept)."""
        start = _offset(rt.lines, f.span.start.line, f.span.start.column)
        end = _offset(rt.lines, f.span.end.line, f.span.end.column)
        place, related = rt.place_of(start, max(end, start))
        moved_related = [
            RelatedLocation(path=p.path, span=self.span(p), message=p.message) for p in related
        ]
        for r in f.related:
            other = self.rendered.get(r.path)
            if other is None:
                moved_related.append(r)
                continue
            rs = _offset(other.lines, r.span.start.line, r.span.start.column)
            re_ = _offset(other.lines, r.span.end.line, r.span.end.column)
            p, _ = other.place_of(rs, max(re_, rs))
            moved_related.append(RelatedLocation(path=p.path, span=self.span(p), message=r.message))
        message = self._paths_in(f.message)
        fix, note = (None, "") if f.fix is None else self._fix(f.fix, rt, place)
        moved = replace(
            f,
            path=place.path,
            span=self.span(place),
            message=message,
            fix=fix,
            related=moved_related,
        )
        return moved, note

    def _runtime_source(self, rs: RuntimeSource) -> RuntimeSource:
        rt = self.rendered.get(rs.path or "")
        if rt is None or rs.line is None:
            return rs
        try:
            index = rt.lines.line_start(rs.line)
        except IndexError:
            return rs
        place, _ = rt.place_of(index, index)
        line = self.span(place).start.line
        explanation = rs.explanation.replace(f"{rs.path}:{rs.line}", f"{place.path}:{line}")
        return replace(rs, path=place.path, line=line, explanation=explanation)

    def _paths_in(self, message: str) -> str:
        """`rendered:...:line` mentions in a message (a related object) as repository places."""
        if "rendered:" not in message:
            return message

        def sub(m: re.Match[str]) -> str:
            rt = self.rendered.get(m.group(1))
            if rt is None:
                return m.group(0)
            line = int(m.group(2))
            try:
                index = rt.lines.line_start(line)
            except IndexError:
                return m.group(0)
            p, _ = rt.place_of(index, index)
            return self.location(p)

        return _VIRTUAL_MENTION.sub(sub, message)

    def _fix(self, fix: Fix, rt: RenderedText, place: Place) -> tuple[Fix | None, str]:
        edits: list[Edit] = []
        for e in fix.edits:
            target = self.rendered.get(e.path)
            mapped = target.edit_place(e.start_offset, e.end_offset) if target else None
            if target is None:
                edits.append(e)
                continue
            if mapped is None:
                where = self.location(place)
                return None, (
                    f" (no automatic fix: the text there is not copied verbatim from one file;"
                    f" by hand, {fix.description}, at {where})"
                )
            path, s, t = mapped
            edits.append(
                Edit(
                    path=path,
                    start_offset=s,
                    end_offset=t,
                    span=self.span(Place(path, s, t)),
                    text=e.text,
                )
            )
        return Fix(applicability=fix.applicability, description=fix.description, edits=edits), ""


_VIRTUAL_MENTION = re.compile(r"(rendered:[^\s:]+(?::[^\s:]+)*?):(\d+)")


def _offset(lines: LineIndex, line: int, column: int) -> int:
    try:
        return lines.index(line, column)
    except IndexError:
        try:
            return lines.line_start(min(max(line, 1), lines.line_count))
        except IndexError:
            return 0


_FindingKey = tuple[str, str, Span, str]  # rule, path, span, message


def merge(found: list[tuple[Finding, str, str]]) -> list[Finding]:
    """One finding per (rule, place, message): a rendered finding the plain files already report
    is dropped; the same finding from several renders is reported once, naming them all. Each
    tuple: (finding, render label or "" for a plain file, note to add to a rendered finding)."""
    keyed: dict[_FindingKey, tuple[Finding, list[str], str]] = {}
    order: list[_FindingKey] = []
    for f, label, note in found:
        key = (f.rule, f.path, f.span, f.message)
        if key not in keyed:
            keyed[key] = (f, [label] if label else [], note)
            order.append(key)
            continue
        first, labels, first_note = keyed[key]
        if not labels:
            continue  # the plain file's finding stands alone
        if not label:
            keyed[key] = (f, [], "")
        elif label not in labels:
            labels.append(label)
            if first.fix is None and f.fix is not None:
                keyed[key] = (f, labels, note)
    out = []
    for key in order:
        f, labels, note = keyed[key]
        if labels:
            f = replace(f, message=f"{f.message}{note} [{'; '.join(labels)}]")
        out.append(f)
    return out
