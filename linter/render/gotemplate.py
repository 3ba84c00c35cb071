"""Go text/template, read just far enough to map Helm's output back to the template that wrote it.

Helm renders templates with Go's text/template: text outside `{{ ... }}` is copied to the output
as it is (less the whitespace a `{{-` or `-}}` trims), actions write values. To know which output
characters are template text, each run of template text gets an invisible marker before its first
non-space character on each line (`instrument`); the markers travel through the real Helm engine
with the text and are taken out of the output afterwards (`strip_markers`), leaving the exact output
and, for every marker, the output position of that template text. Markers never sit next to the
whitespace a trim marker removes, so they never change what is trimmed; text inside `define` and
`block` bodies gets none (an `include` may pipe it through functions that would see them). The
caller renders without markers too and uses the markers only when the two outputs agree.

Reference: https://pkg.go.dev/text/template (Text and spaces, Actions, Nested template definitions).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

#: What Go's trim markers remove (text/template lex.go `spaceChars`).
TRIM_SPACE = " \t\r\n"
#: Keywords that open a block ended by `{{ end }}`.
OPENERS = frozenset({"if", "range", "with", "define", "block"})
#: Actions that write nothing themselves (their bodies are text and other actions).
SILENT = frozenset({"if", "else", "end", "range", "with", "define", "break", "continue"})
#: Bodies of these are templates of their own, not output of the file they are written in.
DEFINES = frozenset({"define", "block"})

MARK_OPEN = "\uf8f0"
MARK_CLOSE = "\uf8f1"
_DIGIT0 = 0xF8F2  # ten private-use code points stand for 0-9
MARKER = re.compile("\uf8f0([\uf8f2-\uf8fb]+)\uf8f1")
_ASSIGNMENT = re.compile(r"^\$[A-Za-z0-9_]*\s*:?=")
_WORD = re.compile(r"[A-Za-z_]+")


class TemplateSyntaxError(ValueError):
    """An action that does not close (`{{` without `}}`)."""

    def __init__(self, message: str, index: int) -> None:
        super().__init__(message)
        self.index = index


@dataclass(frozen=True, slots=True)
class Action:
    """One `{{ ... }}` of a template: where it is, what it says, whether it writes output."""

    start: int  # index of `{{`
    end: int  # index just past `}}`
    body: str  # between the delimiters, without trim markers and outer spaces
    keyword: str | None  # if, range, end, define, ... (None for a pipeline)
    comment: bool

    @property
    def writes(self) -> bool:
        """Whether the action itself writes to the output (a pipeline, `template`, `include`)."""
        if self.comment or self.keyword in SILENT:
            return False
        return not _ASSIGNMENT.match(self.body)


@dataclass(frozen=True, slots=True)
class TextRun:
    """Template text between two actions (or the file's ends)."""

    start: int
    end: int
    in_define: bool  # inside a `define`/`block` body: output only where it is included


@dataclass(frozen=True, slots=True)
class Lexed:
    actions: list[Action]
    texts: list[TextRun]


def lex(text: str) -> Lexed:
    """The actions and text runs of a template (raises TemplateSyntaxError for an open action)."""
    actions: list[Action] = []
    texts: list[TextRun] = []
    depth: list[str] = []
    i = 0
    n = len(text)
    while i <= n:
        j = text.find("{{", i)
        if j < 0:
            if i < n:
                texts.append(TextRun(i, n, any(d in DEFINES for d in depth)))
            break
        if j > i:
            texts.append(TextRun(i, j, any(d in DEFINES for d in depth)))
        action = _action_at(text, j)
        actions.append(action)
        if action.keyword in OPENERS:
            depth.append(action.keyword)
        elif action.keyword == "end" and depth:
            depth.pop()
        i = action.end
    return Lexed(actions, texts)


def _action_at(text: str, start: int) -> Action:
    k = start + 2
    if text.startswith("-", k) and k + 1 < len(text) and text[k + 1] in TRIM_SPACE:
        k += 2
    while k < len(text) and text[k] in TRIM_SPACE:
        k += 1
    if text.startswith("/*", k):
        close = text.find("*/", k + 2)
        if close < 0:
            raise TemplateSyntaxError("unclosed comment", start)
        end = text.find("}}", close + 2)
        if end < 0:
            raise TemplateSyntaxError("unclosed comment action", start)
        return Action(start, end + 2, text[k : close + 2], None, True)
    pos = k
    while pos < len(text):
        ch = text[pos]
        if ch == "}" and text.startswith("}}", pos):
            body = text[k:pos]
            if body.endswith("-") and len(body) >= 2 and body[-2] in TRIM_SPACE:
                body = body[:-1]
            body = body.strip(TRIM_SPACE)
            return Action(start, pos + 2, body, _keyword(body), False)
        if ch in "\"'`":
            pos = _skip_quoted(text, pos)
            continue
        pos += 1
    raise TemplateSyntaxError("unclosed action", start)


def _skip_quoted(text: str, pos: int) -> int:
    quote = text[pos]
    i = pos + 1
    while i < len(text):
        ch = text[i]
        if ch == "\\" and quote != "`":
            i += 2
            continue
        if ch == quote:
            return i + 1
        if ch == "\n" and quote != "`":
            return i  # Go rejects it; let the engine say so
        i += 1
    return i


def _keyword(body: str) -> str | None:
    m = _WORD.match(body)
    if m is None:
        return None
    word = m.group()
    if word in OPENERS or word in SILENT or word == "template":
        return word
    return None


# -- markers ----------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class MarkerSite:
    """Where a marker was put: the template text that follows it in the output."""

    template: str  # the template's name in the chart (e.g. `mychart/templates/cm.yaml`)
    offset: int  # index in the template text (without markers) of the character after the marker
    run_start: int  # the text run holding it
    run_end: int


def encode_marker(number: int) -> str:
    return MARK_OPEN + "".join(chr(_DIGIT0 + int(d)) for d in str(number)) + MARK_CLOSE


def instrument(name: str, text: str, sites: list[MarkerSite]) -> str:
    """`text` with a marker before the first non-space character of each line of each text run
    outside `define` bodies; the markers' sites are appended to `sites` (their number = index)."""
    lexed = lex(text)
    out: list[str] = []
    last = 0
    for run in lexed.texts:
        if run.in_define:
            continue
        line_start = run.start
        while line_start < run.end:
            nl = text.find("\n", line_start, run.end)
            line_end = run.end if nl < 0 else nl + 1
            p = line_start
            while p < line_end and text[p] in TRIM_SPACE:
                p += 1
            if p < line_end:
                out.append(text[last:p])
                out.append(encode_marker(len(sites)))
                sites.append(MarkerSite(name, p, run.start, run.end))
                last = p
            line_start = line_end
    out.append(text[last:])
    return "".join(out)


def strip_markers(text: str) -> tuple[str, list[tuple[int, int]]]:
    """The output without markers, and (position in it, marker number) for every marker."""
    if MARK_OPEN not in text:
        return text, []
    parts: list[str] = []
    found: list[tuple[int, int]] = []
    last = 0
    length = 0
    for m in MARKER.finditer(text):
        piece = text[last : m.start()]
        parts.append(piece)
        length += len(piece)
        number = int("".join(str(ord(c) - _DIGIT0) for c in m.group(1)))
        found.append((length, number))
        last = m.end()
    parts.append(text[last:])
    return "".join(parts), found


def has_marker_chars(text: str) -> bool:
    """Whether a chart's own text uses the private-use characters the markers are made of."""
    return any(chr(c) in text for c in range(0xF8F0, 0xF8FC))


_VALUES_REF = re.compile(r"\.Values((?:\.[A-Za-z0-9_-]+)+)")


def values_refs(body: str) -> list[tuple[str, ...]]:
    """`.Values.a.b` references in an action body, as key paths."""
    return [tuple(m.group(1)[1:].split(".")) for m in _VALUES_REF.finditer(body)]
