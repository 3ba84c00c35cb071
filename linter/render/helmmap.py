"""From one render of a chart to `RenderedText`s: every output character given its origin.

Template text between markers is verbatim (exact template line and column). The text between two
verbatim runs came from the actions between them: where it holds a value of the render's values
(found by value, not guessed: the value's printed form occurs there, at word boundaries, and no
other value with the same text does), it points at that value in its values file, with the
template action as a related location; otherwise at the action itself.
"""

from __future__ import annotations

from dataclasses import dataclass

from linter.render import gotemplate
from linter.render.charts import Chart
from linter.render.helm import RenderOutput
from linter.render.origins import (
    DEFAULT_VALUE,
    EXPRESSION,
    OVERRIDE,
    TEMPLATE,
    Origin,
    Place,
    RenderedText,
    Segment,
)
from linter.render.values import Leaf, Positioned, at_path, leaves

MIN_GUESSED_VALUE = 4  # a value found without a `.Values.x` reference must be at least this long


@dataclass
class Template:
    """A template file of the chart: its repository path, text and lexed actions."""

    rel: str
    text: str
    lexed: gotemplate.Lexed | None


def template_files(chart: Chart) -> dict[str, Template]:
    """Helm template name -> the template file, for every template that can write output."""
    by_rel = {f.rel: f for f in chart.files if f.rel}
    out: dict[str, Template] = {}
    for name, rel in chart.template_sources().items():
        try:
            text = by_rel[rel].data.decode("utf-8")
        except UnicodeDecodeError:
            continue
        try:
            lexed = gotemplate.lex(text)
        except gotemplate.TemplateSyntaxError:
            lexed = None
        out[name] = Template(rel, text, lexed)
    return out


def rendered_texts(
    chart: Chart,
    output: RenderOutput,
    templates: dict[str, Template],
    scopes: dict[str, Positioned],
    label: str,
    view: str,
    number: int,
) -> list[RenderedText]:
    out = []
    for name in sorted(output.texts):
        text = output.texts[name]
        base = name.rsplit("/", 1)[-1]
        if base == "NOTES.txt" or base.startswith("_") or not text.strip():
            continue
        tpl = templates.get(name) or _by_suffix(templates, name)
        if tpl is None:
            continue  # a template inside a packaged (.tgz) subchart: no repository file to show
        scope = _scope(scopes, name)
        if name in output.markers and tpl.lexed is not None:
            segments = _marked_segments(text, output, name, tpl, scope)
        else:
            segments = _line_segments(text, tpl)
        out.append(
            RenderedText(
                virtual_path=f"rendered:{number}:{tpl.rel}",
                text=text,
                segments=segments,
                label=label,
                view=view,
                fallback=Place(tpl.rel, 0, 0),
            )
        )
    return out


def _by_suffix(templates: dict[str, Template], name: str) -> Template | None:
    tail = name.split("/templates/", 1)[-1]
    depth = name.count("/charts/")
    found = [
        t
        for n, t in templates.items()
        if n.split("/templates/", 1)[-1] == tail and n.count("/charts/") == depth
    ]
    return found[0] if len(found) == 1 else None


def _scope(scopes: dict[str, Positioned], name: str) -> Positioned | None:
    best = None
    for prefix, values in scopes.items():
        if name.startswith(prefix) and (best is None or len(prefix) > len(best[0])):
            best = (prefix, values)
    return best[1] if best else None


# -- with markers -----------------------------------------------------------------------------------
def _marked_segments(
    text: str, output: RenderOutput, name: str, tpl: Template, scope: Positioned | None
) -> list[Segment]:
    verbatim: list[tuple[int, int, int]] = []  # (out start, out end, template start)
    markers = output.markers[name]
    prev_end = 0
    for k, (pos, number) in enumerate(markers):
        site = output.sites[number] if number < len(output.sites) else None
        if site is None or site.template != name:
            continue
        limit = markers[k + 1][0] if k + 1 < len(markers) else len(text)
        i, j = pos, site.offset
        while i < limit and j < site.run_end and text[i] == tpl.text[j]:
            i += 1
            j += 1
        b, c = pos, site.offset
        while b > prev_end and c > site.run_start and text[b - 1] == tpl.text[c - 1]:
            b -= 1
            c -= 1
        if i > b:
            verbatim.append((b, i, c))
            prev_end = i
    segments: list[Segment] = []
    for start, end, t in verbatim:
        place = Place(tpl.rel, t, t + (end - start), "template text")
        segments.append(Segment(start, end, Origin(place, TEMPLATE, True)))
    cursor = 0
    t_prev = 0
    for idx in range(len(verbatim) + 1):
        g_end = verbatim[idx][0] if idx < len(verbatim) else len(text)
        t_next = verbatim[idx][2] if idx < len(verbatim) else len(tpl.text)
        if g_end > cursor:
            segments.extend(_gap_segments(text, cursor, g_end, tpl, t_prev, t_next, scope))
        if idx < len(verbatim):
            cursor = verbatim[idx][1]
            t_prev = verbatim[idx][2] + (verbatim[idx][1] - verbatim[idx][0])
    return segments


def _gap_segments(
    text: str,
    g0: int,
    g1: int,
    tpl: Template,
    t_prev: int,
    t_next: int,
    scope: Positioned | None,
) -> list[Segment]:
    """Output [g0, g1) that no template text covers: values where found, else the action."""
    if not text[g0:g1].strip():
        return []
    actions = _actions_between(tpl, t_prev, t_next)
    writers = [a for a in actions if a.writes] or actions
    action_place = (
        Place(tpl.rel, writers[0].start, writers[0].end, "the template expression that writes it")
        if writers
        else Place(tpl.rel, t_prev, t_prev, "the template")
    )
    found = _values_in(text, g0, g1, writers, scope)
    out: list[Segment] = []
    cursor = g0
    for start, end, leaf in found:
        if start > cursor:
            out.append(Segment(cursor, start, Origin(action_place, EXPRESSION, False)))
        out.append(Segment(start, end, _value_origin(leaf, action_place)))
        cursor = end
    if g1 > cursor:
        out.append(Segment(cursor, g1, Origin(action_place, EXPRESSION, False)))
    return out


def _value_origin(leaf: Leaf, action: Place) -> Origin:
    priority = OVERRIDE if leaf.priority >= OVERRIDE else DEFAULT_VALUE
    related = (action,)
    if leaf.verbatim_at is not None:
        place = Place(
            leaf.place.path, leaf.verbatim_at, leaf.verbatim_at + len(leaf.text), leaf.place.message
        )
        return Origin(place, priority, True, related)
    return Origin(leaf.place, priority, False, related)


def _actions_between(tpl: Template, t_prev: int, t_next: int) -> list[gotemplate.Action]:
    """The actions that can have written output between template offsets `t_prev` (end of the
    previous verbatim text) and `t_next` (start of the next): those after `t_prev` up to the next
    text with content, and those before `t_next` back to the previous one (loops jump back)."""
    assert tpl.lexed is not None
    items = sorted(
        [(a.start, a.end, a) for a in tpl.lexed.actions]
        + [
            (r.start, r.end, None)
            for r in tpl.lexed.texts
            if tpl.text[r.start : r.end].strip(gotemplate.TRIM_SPACE)
        ],
        key=lambda x: x[0],
    )
    chosen: dict[int, gotemplate.Action] = {}
    for start, end, a in items:  # forward from t_prev
        if end <= t_prev:
            continue
        if a is None:
            if start >= t_prev:
                break
            continue
        chosen[a.start] = a
    for start, end, a in reversed(items):  # backward from t_next
        if start >= t_next:
            continue
        if a is None:
            if end <= t_next:
                break
            continue
        chosen[a.start] = a
    return [chosen[k] for k in sorted(chosen)]


def _values_in(
    text: str, g0: int, g1: int, actions: list[gotemplate.Action], scope: Positioned | None
) -> list[tuple[int, int, Leaf]]:
    if scope is None:
        return []
    gap = text[g0:g1]
    referenced: list[Leaf] = []
    for a in actions:
        for keys in gotemplate.values_refs(a.body):
            sub = at_path(scope, keys)
            if sub is not None:
                referenced.extend(leaves(sub.prov))
    found = _occurrences(gap, referenced, 1)
    if not found:
        found = _occurrences(gap, leaves(scope.prov), MIN_GUESSED_VALUE)
    return [(g0 + s, g0 + e, leaf) for s, e, leaf in found]


def _occurrences(gap: str, candidates: list[Leaf], min_len: int) -> list[tuple[int, int, Leaf]]:
    by_range: dict[tuple[int, int], dict[tuple[str, int], Leaf]] = {}  # range -> place -> leaf
    for leaf in candidates:
        value = leaf.text
        if len(value) < min_len:
            continue
        i = gap.find(value)
        while i >= 0:
            j = i + len(value)
            if _bounded(gap, i, j):
                by_range.setdefault((i, j), {})[(leaf.place.path, leaf.place.start)] = leaf
            i = gap.find(value, i + 1)
    taken: list[tuple[int, int, Leaf]] = []
    blocked: list[tuple[int, int]] = []
    for (i, j), found in sorted(
        by_range.items(), key=lambda kv: (-(kv[0][1] - kv[0][0]), kv[0][0])
    ):
        if any(i < b and a < j for a, b in blocked):
            continue
        blocked.append((i, j))
        if len(found) == 1:  # two values print the same here: neither is named
            taken.append((i, j, next(iter(found.values()))))
    taken.sort(key=lambda t: t[0])
    return taken


def _bounded(text: str, i: int, j: int) -> bool:
    """The match is not part of a longer word (or number) on either side."""
    before = text[i - 1] if i > 0 else ""
    after = text[j] if j < len(text) else ""
    first, last = text[i], text[j - 1]
    if before and (first.isalnum() or first == "_") and (before.isalnum() or before in "_"):
        return False
    if after and (last.isalnum() or last == "_") and (after.isalnum() or after in "_"):
        return False
    return True


# -- without markers: whole lines ------------------------------------------------------------------
def _line_segments(text: str, tpl: Template) -> list[Segment]:
    """Output lines that equal exactly one template line are verbatim; the rest point at the
    template's first line (used when the marked render differs from the plain one)."""
    counts: dict[str, list[int]] = {}
    pos = 0
    for line in tpl.text.splitlines(keepends=True):
        body = line.rstrip("\r\n")
        if body.strip():
            counts.setdefault(body, []).append(pos)
        pos += len(line)
    first_line_end = tpl.text.find("\n")
    head = Place(
        tpl.rel, 0, first_line_end if first_line_end >= 0 else len(tpl.text), "the template"
    )
    out: list[Segment] = []
    pos = 0
    for line in text.splitlines(keepends=True):
        body = line.rstrip("\r\n")
        hits = counts.get(body, [])
        if body.strip():
            if len(hits) == 1:
                place = Place(tpl.rel, hits[0], hits[0] + len(body), "template text")
                out.append(Segment(pos, pos + len(body), Origin(place, TEMPLATE, True)))
            else:
                out.append(Segment(pos, pos + len(body), Origin(head, EXPRESSION, False)))
        pos += len(line)
    return out
