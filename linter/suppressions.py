"""In-source suppressions, applied after the checks ran.

Three forms:
- `# stackalign: ignore[SA202] reason` (YAML, Python, shell; also inside an embedded run.yaml or a
  compiled pipeline's program). A comment after code covers its own line; a comment on a line of
  its own covers its line and the next line that is not itself a comment (so several directives
  can be stacked above one line).
- `# stackalign: ignore-file[SA301] reason` anywhere in a file: every finding in that file.
- The Kubernetes annotation `stackalign.io/ignore: "SA101,SA102"`: every finding located inside that
  object (including a run.yaml embedded in it).

Rule references are ids (`SA202`) or names (`milvus-schema-override`), comma- or space-separated.
Suppressed findings keep `Finding.suppressed` (the justification) and stay in JSON and SARIF.
Directives that suppress nothing become SA003 findings (rule kind `unused_suppression`).
"""

from __future__ import annotations

import bisect
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import TYPE_CHECKING

from linter.discovery import file_kind
from linter.model import Applicability, Edit, Finding, Fix, Span
from linter.positions import LineIndex, line_index

if TYPE_CHECKING:
    from linter.checks import CheckContext
    from linter.rulepack import Rule
    from linter.sources.python import PythonSource
    from linter.sources.yaml import YamlSource
    from linter.workspace import Workspace

ANNOTATION = "stackalign.io/ignore"
MARKER = "stackalign"
_NEWLINE = re.compile("\n")
_NEWLINE_ANY = re.compile("\r\n|\r|\n")
DIRECTIVE = re.compile(
    r"(?:(?<=\s)|^)#[ \t]*stackalign:[ \t]*(?P<kind>ignore-file|ignore)[ \t]*"
    r"\[(?P<rules>[^\]\n]*)\][ \t]*(?P<reason>[^\n]*)",
    re.MULTILINE,
)
TOKEN = re.compile(r"[^\s,]+")
#: Check kinds that run after suppressions were applied (they report on the suppressions).
POST_CHECKS = frozenset({"unused_suppression"})


@dataclass
class RuleRef:
    """One rule named by a suppression, with where it is written (file offsets)."""

    name: str
    start: int
    end: int
    used: bool = False

    def matches(self, finding: Finding) -> bool:
        return self.name.upper() == finding.rule or self.name == finding.name


@dataclass
class Suppression:
    """An in-source ignore comment or annotation and what it covers."""

    path: str
    kind: str  # line | file | annotation
    refs: list[RuleRef]
    reason: str
    where: str  # how a justification names this suppression
    span: Span  # the directive (or the annotation's value), in the file
    ranges: list[tuple[int, int]] = field(default_factory=list)  # covered file offsets (line kind)
    edit_range: tuple[int, int] | None = None  # what removing the whole directive deletes
    anchor: int = -1  # file offset of the `#`, to merge the same directive seen twice

    def covers(self, finding: Finding, offset: int) -> bool:
        if finding.path != self.path:
            return False
        if self.kind == "file":
            return True
        return any(start <= offset <= end for start, end in self.ranges)

    @property
    def justification(self) -> str:
        line = self.span.start.line
        return self.reason or f"suppressed by {self.where} at {self.path}:{line} (no reason given)"


# -- scanning ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Directive:
    """A `stackalign: ignore` comment as scanned, before it is tied to lines."""

    kind: str
    tokens: tuple[tuple[str, int, int], ...]  # (name, start, end) in the scanned text
    reason: str
    start: int  # index of `#`
    end: int  # end of the directive (end of its line, newline excluded)
    line: int  # 1-based line in the scanned text
    own_line: bool


def scan(
    text: str, lines: LineIndex | None = None, comment_starts: set[int] | None = None
) -> list[_Directive]:
    """Every suppression directive in `text` (positions are indices into `text`, lines as `lines`
    counts them: by default as YAML does)."""
    if MARKER not in text:
        return []
    lines = lines or LineIndex(text)
    out = []
    for m in DIRECTIVE.finditer(text):
        if comment_starts is not None and m.start() not in comment_starts:
            continue
        line, _ = lines.position(m.start())
        own_line = not text[lines.line_start(line) : m.start()].strip()
        base = m.start("rules")
        tokens = tuple(
            (t.group(), base + t.start(), base + t.end()) for t in TOKEN.finditer(m.group("rules"))
        )
        reason = m.group("reason").rstrip()
        out.append(_Directive(m.group("kind"), tokens, reason, m.start(), m.end(), line, own_line))
    return out


def python_comment_starts(text: str) -> set[int] | None:
    """Indices of the `#` of real comments (not `#` inside strings); None if tokenizing fails."""
    import io
    import tokenize

    line_starts = [0] + [m.end() for m in _NEWLINE.finditer(text)]  # tokenize's lines: \n only
    starts = set()
    try:
        for tok in tokenize.generate_tokens(io.StringIO(text, newline="\n").readline):
            if tok.type == tokenize.COMMENT:
                starts.add(line_starts[tok.start[0] - 1] + tok.start[1])
    except (tokenize.TokenError, SyntaxError, IndexError):
        return None
    return starts


def yaml_comment_starts(text: str) -> set[int]:
    """Indices of the `#` of the directives in a YAML text that are comments. A directive inside a
    scalar (a line of a block string, a quoted value) is part of the value, not a comment: it
    suppresses nothing and removing it would change the data. A directive inside an embedded
    document that parses (a run.yaml in a ConfigMap) is that document's comment, found when the
    document is scanned. After a scanner error, directives are taken as written (the file is an
    SA001 finding; the directive may suppress that)."""
    candidates = [m.start() for m in DIRECTIVE.finditer(text)]
    if not candidates:
        return set()
    starts, ends, scanned = _scalar_ranges(text)
    out = set()
    for c in candidates:
        i = bisect.bisect_right(starts, c) - 1
        inside = i >= 0 and c < ends[i]
        if not inside or c >= scanned:
            out.add(c)
    return out


def _scalar_ranges(text: str) -> tuple[list[int], list[int], int]:
    """The content of every scalar token (start and end indices, in order), and how far the
    scanner got (len(text) unless it stopped at an error). A block scalar's header line (`|` and
    a comment after it) is not content."""
    import yaml

    from linter.sources.yaml import BOM

    base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    loader = base(BOM + text if text.startswith(BOM) else text)  # as compose_all: indices = text
    starts: list[int] = []
    ends: list[int] = []
    scanned = len(text) + 1
    try:
        while loader.check_token():
            tok = loader.get_token()
            if not isinstance(tok, yaml.ScalarToken):
                continue
            start, end = tok.start_mark.index, tok.end_mark.index
            if tok.style in ("|", ">"):
                header = _NEWLINE_ANY.search(text, start, end)
                start = header.end() if header else end
            starts.append(start)
            ends.append(end)
    except (yaml.YAMLError, RecursionError, MemoryError):
        scanned = ends[-1] if ends else 0
    finally:
        loader.dispose()
    return starts, ends, scanned


def _covered_lines(text: str, d: _Directive, lines: LineIndex) -> list[int]:
    if not d.own_line:
        return [d.line]
    covered = [d.line]
    line = d.line + 1
    while line <= lines.line_count:
        covered.append(line)
        if not _line_text(text, lines, line).lstrip().startswith("#"):
            break
        line += 1
    return covered


def _line_text(text: str, lines: LineIndex, line: int) -> str:
    start = lines.line_start(line)
    end = lines.starts[line] if line < lines.line_count else len(text)
    return text[start:end]


def _line_range(text: str, lines: LineIndex, line: int) -> tuple[int, int]:
    start = lines.line_start(line)
    return start, start + len(_line_text(text, lines, line).rstrip("\r\n"))


def _removal(text: str, lines: LineIndex, d: _Directive) -> tuple[int, int]:
    """The text to delete to remove a directive: its whole line, or the trailing comment."""
    if d.own_line:
        start = lines.line_start(d.line)
        end = lines.starts[d.line] if d.line < lines.line_count else len(text)
        return start, end
    start = d.start
    while start > 0 and text[start - 1] in " \t":
        start -= 1
    return start, d.end


def _build(
    path: str,
    text: str,
    d: _Directive,
    to_file: Callable[[int], int],
    to_file_end: Callable[[int], int],
    lines: LineIndex,
    file_lines: LineIndex,
    direct: bool,
) -> Suppression:
    ranges = []
    for line in _covered_lines(text, d, lines):
        start, end = _line_range(text, lines, line)
        ranges.append((to_file(start), to_file_end(end) if end > start else to_file(start)))
    anchor = to_file(d.start)
    sl, sc = file_lines.position(anchor)
    el, ec = file_lines.position(to_file_end(d.end) if d.end > d.start else anchor)
    refs = [RuleRef(name, to_file(s), to_file_end(e)) for name, s, e in d.tokens]
    return Suppression(
        path=path,
        kind="file" if d.kind == "ignore-file" else "line",
        refs=refs,
        reason=d.reason,
        where=f"`# stackalign: {d.kind}[{_listed([t[0] for t in d.tokens])}]`",
        span=Span.of(sl, sc, el, ec),
        ranges=ranges,
        edit_range=_removal(text, lines, d) if direct else None,
        anchor=anchor,
    )


def collect(ws: Workspace) -> list[Suppression]:
    """Every suppression in the parsed files, embedded documents and Kubernetes objects."""
    found: dict[tuple[str, int], Suppression] = {}
    python_files = {p.path: p for p in ws.python_sources if getattr(p, "offsets", None) is None}
    marked = {path for path, text in ws.file_texts.items() if MARKER in text}
    in_strings: dict[tuple[str, int], Suppression] = {}  # directives inside a YAML scalar
    renders = getattr(ws, "renders", None)
    # a Helm template is not YAML until rendered: what is a comment in it (a line of a ConfigMap's
    # run.yaml, say) is known only in the render, so its directives are taken as written
    templates = {p for paths in (renders.claimed.values() if renders else []) for p in paths}
    for path in marked:
        text = ws.file_texts[path]
        is_yaml = file_kind(os.path.basename(path)) == "yaml" and path not in templates
        comments = python_comment_starts(text) if path in python_files else None
        real = yaml_comment_starts(text) if is_yaml else None
        lines = line_index(path, text)
        for d in scan(text, lines, comments):
            sup = _build(path, text, d, _identity, _identity, lines, lines, direct=True)
            if real is None or d.start in real:
                found[(path, sup.anchor)] = sup
            else:
                in_strings[(path, sup.anchor)] = sup
    for src in _embedded_sources(ws, marked):
        if MARKER not in src.text:
            continue
        is_python = hasattr(src, "tree")
        comments = python_comment_starts(src.text) if is_python else yaml_comment_starts(src.text)
        lines = LineIndex(src.text, unicode_breaks=not is_python)
        file_lines = src.file_lines  # the file's own index (the file is YAML)
        for d in scan(src.text, lines, comments):
            sup = _build(
                src.path,
                src.text,
                d,
                src.file_offset,
                src.file_end_offset,
                lines,
                file_lines,
                direct=False,
            )
            previous = found.get((src.path, sup.anchor)) or in_strings.get((src.path, sup.anchor))
            if previous is not None and _same_text(previous, sup):
                sup.edit_range = previous.edit_range  # a block scalar: the file text is the text
            found[(src.path, sup.anchor)] = sup
    out = list(found.values())
    out.extend(_annotations(ws, marked))  # the annotation holds MARKER too
    return out


def _same_text(a: Suppression, b: Suppression) -> bool:
    """The file scan and the decoded scan read the directive alike (no escapes in between)."""
    return (a.kind, a.reason, a.span) == (b.kind, b.reason, b.span) and [
        (r.name, r.start, r.end) for r in a.refs
    ] == [(r.name, r.start, r.end) for r in b.refs]


def _identity(i: int) -> int:
    return i


def _embedded_sources(ws: Workspace, marked: set[str]) -> Iterator[YamlSource | PythonSource]:
    """Documents and programs embedded in a string of a file that holds a directive."""
    if not marked:
        return
    seen: set[int] = set()
    candidates: list[YamlSource | PythonSource] = [rc.source for rc in ws.run_configs]
    candidates += [p.program for p in ws.compiled_programs() if p.path in marked]
    for src in candidates:
        if src.path not in marked or getattr(src, "offsets", None) is None or id(src) in seen:
            continue
        seen.add(id(src))
        yield src


def _annotations(ws: Workspace, marked: set[str]) -> Iterator[Suppression]:
    from linter.sources import yaml as y

    for obj in ws.objects:
        if obj.path not in marked:
            continue
        value = y.get(obj.get("metadata"), "annotations")
        node = y.get(value, ANNOTATION)
        text = y.text(node)
        if node is None or not text:
            continue
        span = obj.source.span(node)
        start, end = obj.source.offsets_of(obj.node)
        vstart, vend = obj.source.offsets_of(node)
        refs = [RuleRef(t.group(), vstart, vend) for t in TOKEN.finditer(text)]
        yield Suppression(
            path=obj.path,
            kind="annotation",
            refs=refs,
            reason="",
            where=f"annotation {ANNOTATION} on {obj.ref}",
            span=span,
            ranges=[(start, end)],
        )


# -- applying ---------------------------------------------------------------------------------------
@dataclass
class SuppressionState:
    """The suppressions of a run, for SA003 (unused suppression)."""

    suppressions: list[Suppression]
    enabled: set[str]  # ids and names of the rules that ran


def apply_suppressions(
    findings: list[Finding],
    rules: list[Rule],
    ws: Workspace,
    make_context: Callable[[Rule], CheckContext],
) -> list[Finding]:
    """Mark suppressed findings, then run the post checks (SA003) and mark theirs too."""
    sups = collect(ws)
    if not sups:
        return findings
    out = _mark(findings, sups, ws)
    enabled = {r.id for r in rules} | {r.name for r in rules}
    state = SuppressionState(sups, enabled)
    post: list[Finding] = []
    for rule in rules:
        if rule.check in POST_CHECKS:
            from linter.checks import load_check

            ctx = make_context(rule)
            ctx.cache["suppressions"] = state
            post.extend(load_check(rule.check)(ctx))
    return out + _mark(post, sups, ws)


def _mark(findings: list[Finding], sups: list[Suppression], ws: Workspace) -> list[Finding]:
    by_path: dict[str, list[Suppression]] = {}
    for s in sups:
        by_path.setdefault(s.path, []).append(s)
    out = []
    indexes: dict[str, LineIndex] = {}
    for f in findings:
        here = by_path.get(f.path)
        if not here:
            out.append(f)
            continue
        text = ws.file_texts.get(f.path)
        offset = _offset(f, text, indexes) if text is not None else -1
        justification = None
        for s in here:
            if not s.covers(f, offset):
                continue
            for ref in s.refs:
                if ref.matches(f):
                    ref.used = True
                    justification = justification or s.justification
        out.append(replace(f, suppressed=justification) if justification else f)
    return out


def _offset(f: Finding, text: str, indexes: dict[str, LineIndex]) -> int:
    lines = indexes.get(f.path)
    if lines is None:
        lines = indexes[f.path] = line_index(f.path, text)
    try:
        return lines.index(f.span.start.line, f.span.start.column)
    except IndexError:
        return -1


# -- SA003 ------------------------------------------------------------------------------------------
#: Rule references an SA003 message (and a suppression's `where`) names before "and N more": one
#: directive with thousands of ids gives one short finding, never the comment once per id.
MAX_LISTED_REFS = 5


def unused_suppression(ctx: CheckContext) -> Iterator[Finding]:
    """SA003: one finding per suppression whose rules (some or all) matched no finding of an
    enabled rule, listing them; its fix removes them all (the whole directive if none is used)."""
    state: SuppressionState | None = ctx.cache.get("suppressions")
    if state is None:  # only meaningful after the other checks ran (see apply_suppressions)
        return
    for s in state.suppressions:
        unused: list[int] = []  # indices into s.refs
        unknown: list[int] = []
        for i, ref in enumerate(s.refs):
            if ref.used or ref.name.upper() == ctx.rule.id or ref.name == ctx.rule.name:
                continue
            known = _is_rule(ref.name, state.enabled)
            if known is None:
                continue  # the rule exists but is not enabled in this run: nothing to judge
            (unused if known else unknown).append(i)
        if not unused and not unknown:
            continue
        flagged = sorted(unused + unknown)
        text = ctx.ws.file_texts.get(s.path, "")
        names = _listed([s.refs[i].name for i in unused])
        variant = ("and_unknown" if unknown else s.kind) if unused else "unknown"
        yield ctx.finding(
            s.path,
            _refs_span(text, s, flagged),
            variant,
            logical=f"suppression:{s.kind}:{_listed([s.refs[i].name for i in flagged], ',')}",
            snippet=f"{s.where}:{_listed([s.refs[i].name for i in flagged], ',')}",
            fix=_fix(s, flagged, all(not r.used for r in s.refs), text),
            suppressed=names if unused else _listed([s.refs[i].name for i in unknown]),
            unknown=_listed([s.refs[i].name for i in unknown]),
            where=s.where,
        )


def _listed(names: list[str], sep: str = ", ") -> str:
    """Distinct names in order, at most MAX_LISTED_REFS, then how many more."""
    distinct = list(dict.fromkeys(names))
    shown = sep.join(distinct[:MAX_LISTED_REFS])
    more = len(distinct) - MAX_LISTED_REFS
    return shown + (f"{sep}and {more:,} more" if more > 0 else "")


def _is_rule(name: str, enabled: set[str]) -> bool | None:
    """True: an enabled rule; None: a rule that exists but is disabled; False: no such rule."""
    if name in enabled or name.upper() in enabled:
        return True
    if name in _all_rule_names() or name.upper() in _all_rule_names():
        return None
    return False


@lru_cache(maxsize=1)
def _all_rule_names() -> frozenset[str]:
    from linter.resources import rules_dir
    from linter.rulepack import load_rules

    rules = load_rules(rules_dir())
    return frozenset({r.id for r in rules} | {r.name for r in rules})


def _refs_span(text: str, s: Suppression, flagged: list[int]) -> Span:
    """From the first flagged rule reference to the last (the directive for an annotation)."""
    if not text or s.kind == "annotation":
        return s.span
    lines = line_index(s.path, text)
    sl, sc = lines.position(s.refs[flagged[0]].start)
    el, ec = lines.position(s.refs[flagged[-1]].end)
    return Span.of(sl, sc, el, ec)


def _fix(s: Suppression, flagged: list[int], all_unused: bool, text: str) -> Fix | None:
    """Remove the flagged rules from the directive, or the whole directive when none of its rules
    is used."""
    if s.edit_range is None or not text:
        return None
    if all_unused or len(flagged) == len(s.refs):
        ranges = [s.edit_range]
        description = "remove the unused suppression comment"
    else:
        ranges = _token_removals(s, flagged)
        description = (
            f"remove {_listed([f'`{s.refs[i].name}`' for i in flagged])} from the suppression"
        )
    lines = line_index(s.path, text)
    edits = [
        Edit(
            path=s.path,
            start_offset=start,
            end_offset=end,
            span=Span.of(*lines.position(start), *lines.position(end)),
            text="",
        )
        for start, end in ranges
    ]
    return Fix(applicability=Applicability.safe, description=description, edits=edits)


def _token_removals(s: Suppression, flagged: list[int]) -> list[tuple[int, int]]:
    """What to delete to drop the flagged references and their separators, one range per run of
    consecutive flagged ones: up to the next kept reference, or (a run at the end) from the end of
    the kept one before it. The ranges never overlap; at least one reference is kept."""
    refs = s.refs
    out = []
    i = 0
    flagged_set = set(flagged)
    while i < len(refs):
        if i not in flagged_set:
            i += 1
            continue
        j = i
        while j + 1 < len(refs) and j + 1 in flagged_set:
            j += 1
        if j + 1 < len(refs):
            out.append((refs[i].start, refs[j + 1].start))
        else:
            out.append((refs[i - 1].end, refs[j].end))
        i = j + 1
    return out
