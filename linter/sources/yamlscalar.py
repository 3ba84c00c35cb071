"""Decode and re-emit single YAML scalars with exact source positions.

A compiled KFP pipeline keeps each component's program in one long quoted
scalar.  To report a finding inside that program, or to fix it, we need two
things PyYAML does not give us:

* ``decode_scalar`` -- the scalar's value *and*, for every character of the
  value, the index of the raw character in the file that produced it (the
  backslash of an escape, the line break of a folded line, the character
  itself otherwise).  It is a port of PyYAML's scanner (``scan_flow_scalar``,
  ``scan_block_scalar``, ``scan_plain`` and helpers) that records indices.
* ``emit_double_quoted`` / ``emit_single_quoted`` -- byte-exact ports of
  PyYAML's ``Emitter.write_double_quoted`` / ``write_single_quoted`` (with
  ``split=True``), so that an autofix can splice a re-emitted scalar into the
  file and get what ``kfp dsl compile`` (``yaml.dump_all``) would have written.
  ``choose_quoted_style`` reproduces PyYAML's choice between the two.

Only the standard library is used; PyYAML is needed by the tests alone.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field

__all__ = [
    "DecodedScalar",
    "ScalarDecodeError",
    "choose_quoted_style",
    "decode_scalar",
    "emit_double_quoted",
    "emit_quoted",
    "emit_single_quoted",
    "end_of_char",
]

# --------------------------------------------------------------------------
# Character classes (PyYAML scanner conventions; end of text plays '\0').

_BREAKS = "\r\n\x85\u2028\u2029"
_BREAK_SET = frozenset(_BREAKS)
_SPACE_OR_BREAK = frozenset(" " + _BREAKS)
_BLANK_OR_BREAK = frozenset(" \t" + _BREAKS)

_ESCAPE_REPLACEMENTS: dict[str, str] = {
    "0": "\0",
    "a": "\x07",
    "b": "\x08",
    "t": "\x09",
    "\t": "\x09",
    "n": "\x0a",
    "v": "\x0b",
    "f": "\x0c",
    "r": "\x0d",
    "e": "\x1b",
    " ": "\x20",
    '"': '"',
    "\\": "\\",
    "/": "/",
    "N": "\x85",
    "_": "\xa0",
    "L": "\u2028",
    "P": "\u2029",
}
_ESCAPE_CODES: dict[str, int] = {"x": 2, "u": 4, "U": 8}
_HEX_DIGITS = frozenset("0123456789ABCDEFabcdef")

_BLANKS = re.compile("[ \t]*")
_SPACES = re.compile(" *")
_LINE_END = re.compile("[\r\n\x85\u2028\u2029]")
_PLAIN_STOP_BLOCK = re.compile("[ \t\r\n\x85\u2028\u2029]|:(?=[ \t\r\n\x85\u2028\u2029]|\\Z)")
_PLAIN_STOP_FLOW = re.compile(
    "[ \t\r\n\x85\u2028\u2029,?\\[\\]{}]|:(?=[ \t\r\n\x85\u2028\u2029,\\[\\]{}]|\\Z)"
)


def _run_end(run: re.Pattern[str], text: str, pos: int) -> int:
    """End of the run of `run` (a `[...]*` pattern, so it matches everywhere) starting at `pos`."""
    match = run.match(text, pos)
    assert match is not None  # a starred pattern matches the empty string
    return match.end()


class ScalarDecodeError(ValueError):
    """The text at the given index is not a scalar PyYAML would accept."""

    def __init__(self, message: str, index: int) -> None:
        super().__init__(f"{message} (at index {index})")
        self.index = index


@dataclass(frozen=True)
class DecodedScalar:
    """A scalar's value with the raw source index of each value character.

    ``src[i]`` is the index in ``text`` of the raw character that produced
    ``value[i]``: the backslash of an escape (``\\n``, ``\\"``, ``\\u2705``),
    the first ``'`` of a doubled ``''``, the line break for a space or newline
    produced by line folding / a block scalar's line break, the character
    itself otherwise.  ``src[len(value)] == end``.

    ``end`` is the index just past the raw scalar, equal to PyYAML's
    ``node.end_mark.index``: one past the closing quote for quoted scalars,
    one past the last content character for plain scalars, and for block
    scalars one past the last line break consumed by the scanner (trailing
    blank lines included, whatever the chomping).

    ``style`` is ``'"'``, ``"'"``, ``'|'``, ``'>'`` or ``''`` (plain).
    ``text`` is the whole source (kept for ``end_of_char``).
    """

    value: str
    src: list[int]
    style: str
    end: int
    text: str = field(repr=False, compare=False)


# --------------------------------------------------------------------------
# Small shared helpers.


def _break_value(ch: str) -> str:
    """Value of a line break character the way ``scan_line_break`` sees it."""
    return ch if ch in "\u2028\u2029" else "\n"


def _skip_break(text: str, pos: int) -> int:
    """Index after the line break at ``pos`` (``\\r\\n`` is one break)."""
    if text.startswith("\r\n", pos):
        return pos + 2
    return pos + 1


def _peek(text: str, pos: int) -> str:
    """Character at ``pos``, or ``'\\0'`` at the end like PyYAML's reader."""
    return text[pos] if pos < len(text) else "\0"


def _is_document_separator(text: str, pos: int) -> bool:
    """True if a ``---`` or ``...`` document marker starts at ``pos``."""
    if not text.startswith(("---", "..."), pos):
        return False
    return pos + 3 >= len(text) or text[pos + 3] in _BLANK_OR_BREAK


def _line_start(text: str, pos: int) -> int:
    """Index of the first character of the line holding ``pos``."""
    window = 256
    while True:
        lo = max(0, pos - window)
        best = max(text.rfind(ch, lo, pos) for ch in _BREAKS)
        if best >= 0 or lo == 0:
            return best + 1
        window *= 4


# --------------------------------------------------------------------------
# Quoted (flow) scalars.


def _flow_breaks(text: str, pos: int, chunks: list[str], src: list[int], start: int) -> int:
    """Port of ``scan_flow_scalar_breaks``: collect breaks of empty lines."""
    n = len(text)
    while True:
        if _is_document_separator(text, pos):
            raise ScalarDecodeError("found unexpected document separator in a quoted scalar", start)
        pos = _run_end(_BLANKS, text, pos)
        if pos < n and text[pos] in _BREAK_SET:
            chunks.append(_break_value(text[pos]))
            src.append(pos)
            pos = _skip_break(text, pos)
        else:
            return pos


def _flow_fold(text: str, pos: int, chunks: list[str], src: list[int], start: int) -> int:
    """Fold the line break at ``pos`` (blanks before it already dropped).

    The line-break half of ``scan_flow_scalar_spaces``: one break becomes a
    space, ``n`` breaks ``n - 1`` newlines, leading blanks of the following
    lines are skipped.  Returns the index of the next content character.
    """
    line_break = _break_value(text[pos])
    more: list[str] = []
    more_src: list[int] = []
    after = _flow_breaks(text, _skip_break(text, pos), more, more_src, start)
    if line_break != "\n":
        chunks.append(line_break)
        src.append(pos)
    elif not more:
        chunks.append(" ")
        src.append(pos)
    chunks.extend(more)
    src.extend(more_src)
    return after


def _flow_escape(text: str, pos: int, chunks: list[str], src: list[int], start: int) -> int:
    """Decode the escape whose backslash is at ``pos``; return the next index."""
    ch = _peek(text, pos + 1)
    replacement = _ESCAPE_REPLACEMENTS.get(ch)
    if replacement is not None:
        chunks.append(replacement)
        src.append(pos)
        return pos + 2
    length = _ESCAPE_CODES.get(ch)
    if length is not None:
        digits = text[pos + 2 : pos + 2 + length]
        if len(digits) != length or not _HEX_DIGITS.issuperset(digits):
            raise ScalarDecodeError(
                f"expected escape sequence of {length} hexadecimal numbers", pos
            )
        try:
            chunks.append(chr(int(digits, 16)))
        except (ValueError, OverflowError) as exc:
            raise ScalarDecodeError(f"invalid escape \\{ch}{digits}", pos) from exc
        src.append(pos)
        return pos + 2 + length
    if ch in _BREAK_SET:
        return _flow_breaks(text, _skip_break(text, pos + 1), chunks, src, start)
    raise ScalarDecodeError(f"found unknown escape character {ch!r}", pos)


# Where a quoted scalar stops being a plain copy of its text: the quotes, the
# backslash (double-quoted only) and line breaks.  Blanks are copied unless a
# line break follows them.
_DQ_STOP = re.compile('["\\\\\r\n\x85\u2028\u2029]')
_SQ_STOP = re.compile("['\r\n\x85\u2028\u2029]")


def _decode_flow(text: str, start: int) -> DecodedScalar:
    """Port of ``scan_flow_scalar`` for a scalar whose quote is at ``start``.

    Equivalent to PyYAML's ``scan_flow_scalar_non_spaces`` / ``_spaces`` /
    ``_breaks`` loop, but copies whole runs between special characters.
    """
    quote = text[start]
    double = quote == '"'
    search = (_DQ_STOP if double else _SQ_STOP).search
    chunks: list[str] = []
    src: list[int] = []
    append, extend = chunks.append, src.extend
    pos = start + 1
    while True:
        m = search(text, pos)
        if m is None:
            raise ScalarDecodeError("found unexpected end of stream in a quoted scalar", start)
        stop = m.start()
        ch = text[stop]
        if ch in _BREAK_SET:
            keep = stop
            while keep > pos and text[keep - 1] in " \t":
                keep -= 1
            if keep > pos:
                append(text[pos:keep])
                extend(range(pos, keep))
            pos = _flow_fold(text, stop, chunks, src, start)
            continue
        if stop > pos:
            append(text[pos:stop])
            extend(range(pos, stop))
        if ch == "\\":
            escaped = text[stop + 1 : stop + 2]
            replacement = _ESCAPE_REPLACEMENTS.get(escaped)
            if replacement is not None:
                append(replacement)
                src.append(stop)
                pos = stop + 2
            elif escaped == "\n":  # the usual fold: escaped line break
                pos = _flow_breaks(text, stop + 2, chunks, src, start)
            else:
                pos = _flow_escape(text, stop, chunks, src, start)
        elif not double and text.startswith("''", stop):
            append("'")
            src.append(stop)
            pos = stop + 2
        else:
            pos = stop
            break
    end = pos + 1
    src.append(end)
    return DecodedScalar("".join(chunks), src, quote, end, text)


# --------------------------------------------------------------------------
# Block scalars.


def _block_indicators(text: str, pos: int, start: int) -> tuple[bool | None, int | None, int]:
    """Port of ``scan_block_scalar_indicators``: (chomping, increment, pos)."""
    chomping: bool | None = None
    increment: int | None = None
    ch = _peek(text, pos)
    if ch in "+-":
        chomping = ch == "+"
        pos += 1
        ch = _peek(text, pos)
        if ch in "0123456789":
            increment = int(ch)
            pos += 1
    elif ch in "0123456789":
        increment = int(ch)
        pos += 1
        ch = _peek(text, pos)
        if ch in "+-":
            chomping = ch == "+"
            pos += 1
    if increment == 0:
        raise ScalarDecodeError("expected indentation indicator in the range 1-9", start)
    ch = _peek(text, pos)
    if ch != "\0" and ch not in _SPACE_OR_BREAK:
        raise ScalarDecodeError("expected chomping or indentation indicators", start)
    return chomping, increment, pos


def _block_ignored_line(text: str, pos: int, start: int) -> int:
    """Port of ``scan_block_scalar_ignored_line``: spaces, comment, break."""
    n = len(text)
    pos = _run_end(_SPACES, text, pos)
    if pos < n and text[pos] == "#":
        match = _LINE_END.search(text, pos)
        pos = match.start() if match else n
    if pos >= n:
        return pos
    if text[pos] not in _BREAK_SET:
        raise ScalarDecodeError("expected a comment or a line break", start)
    return _skip_break(text, pos)


_Breaks = list[tuple[str, int]]


def _block_indentation(text: str, pos: int) -> tuple[_Breaks, int, int, int, int]:
    """Port of ``scan_block_scalar_indentation``.

    ``pos`` is at a line start.  Returns (breaks, max_indent, end_mark, pos,
    line_start).
    """
    n = len(text)
    breaks: _Breaks = []
    max_indent = 0
    end_mark = line_start = pos
    while pos < n and text[pos] in _SPACE_OR_BREAK:
        if text[pos] == " ":
            pos = _run_end(_SPACES, text, pos)
            max_indent = max(max_indent, pos - line_start)
        else:
            breaks.append((_break_value(text[pos]), pos))
            pos = line_start = end_mark = _skip_break(text, pos)
    return breaks, max_indent, end_mark, pos, line_start


def _block_breaks(
    text: str, pos: int, line_start: int, indent: int
) -> tuple[_Breaks, int, int, int]:
    """Port of ``scan_block_scalar_breaks``: (breaks, end_mark, pos, line_start)."""
    n = len(text)
    breaks: _Breaks = []
    end_mark = pos
    limit = line_start + indent
    while pos < limit and pos < n and text[pos] == " ":
        pos += 1
    while pos < n and text[pos] in _BREAK_SET:
        breaks.append((_break_value(text[pos]), pos))
        pos = line_start = end_mark = _skip_break(text, pos)
        limit = line_start + indent
        while pos < limit and pos < n and text[pos] == " ":
            pos += 1
    return breaks, end_mark, pos, line_start


def _decode_block(text: str, start: int, parent_indent: int) -> DecodedScalar:
    """Port of ``scan_block_scalar`` for the ``|``/``>`` indicator at ``start``."""
    n = len(text)
    style = text[start]
    folded = style == ">"
    chunks: list[str] = []
    src: list[int] = []
    chomping, increment, pos = _block_indicators(text, start + 1, start)
    pos = _block_ignored_line(text, pos, start)
    min_indent = max(parent_indent + 1, 1)
    if increment is None:
        breaks, max_indent, end_mark, pos, line_start = _block_indentation(text, pos)
        indent = max(min_indent, max_indent)
    else:
        indent = min_indent + increment - 1
        breaks, end_mark, pos, line_start = _block_breaks(text, pos, pos, indent)
    line_break, lb_pos = "", -1
    while pos - line_start == indent and pos < n:
        for value, at in breaks:
            chunks.append(value)
            src.append(at)
        leading_non_space = text[pos] not in " \t"
        match = _LINE_END.search(text, pos)
        eol = match.start() if match else n
        chunks.append(text[pos:eol])
        src.extend(range(pos, eol))
        pos = eol
        if pos < n:
            line_break, lb_pos = _break_value(text[pos]), pos
            pos = line_start = _skip_break(text, pos)
        else:
            line_break = ""
        breaks, end_mark, pos, line_start = _block_breaks(text, pos, line_start, indent)
        if not (pos - line_start == indent and pos < n):
            break
        if folded and line_break == "\n" and leading_non_space and text[pos] not in " \t":
            if not breaks:
                chunks.append(" ")
                src.append(lb_pos)
        else:
            chunks.append(line_break)
            src.append(lb_pos)
    if chomping is not False and line_break:
        chunks.append(line_break)
        src.append(lb_pos)
    if chomping is True:
        for value, at in breaks:
            chunks.append(value)
            src.append(at)
    src.append(end_mark)
    return DecodedScalar("".join(chunks), src, style, end_mark, text)


# --------------------------------------------------------------------------
# Plain scalars.


def _plain_spaces(text: str, pos: int, line_start: int) -> tuple[_Breaks | None, int, int]:
    """Port of ``scan_plain_spaces``: (spaces or None at a document marker, pos, line_start)."""
    n = len(text)
    ws_start = pos
    pos = _run_end(_SPACES, text, pos)
    if pos >= n or text[pos] not in _BREAK_SET:
        if pos > ws_start:
            return [(text[ws_start:pos], ws_start)], pos, line_start
        return [], pos, line_start
    lb_pos, line_break = pos, _break_value(text[pos])
    pos = line_start = _skip_break(text, pos)
    if _is_document_separator(text, pos):
        return None, pos, line_start
    breaks: _Breaks = []
    while pos < n and text[pos] in _SPACE_OR_BREAK:
        if text[pos] == " ":
            pos = _run_end(_SPACES, text, pos)
            continue
        breaks.append((_break_value(text[pos]), pos))
        pos = line_start = _skip_break(text, pos)
        if _is_document_separator(text, pos):
            return None, pos, line_start
    if line_break != "\n":
        return [(line_break, lb_pos), *breaks], pos, line_start
    if not breaks:
        return [(" ", lb_pos)], pos, line_start
    return breaks, pos, line_start


def _decode_plain(text: str, start: int, parent_indent: int, flow: bool) -> DecodedScalar:
    """Port of ``scan_plain`` for a plain scalar starting at ``start``."""
    n = len(text)
    indent = parent_indent + 1
    stop = _PLAIN_STOP_FLOW if flow else _PLAIN_STOP_BLOCK
    chunks: list[str] = []
    src: list[int] = []
    pos = end_mark = start
    line_start = _line_start(text, start)
    spaces: _Breaks | None = []
    while pos < n and text[pos] != "#":
        match = stop.search(text, pos)
        nxt = match.start() if match else n
        if nxt == pos:
            break
        for value, at in spaces or ():
            if len(value) == 1:
                chunks.append(value)
                src.append(at)
            else:  # a run of spaces kept inside the line
                chunks.append(value)
                src.extend(range(at, at + len(value)))
        chunks.append(text[pos:nxt])
        src.extend(range(pos, nxt))
        pos = end_mark = nxt
        spaces, pos, line_start = _plain_spaces(text, pos, line_start)
        if not spaces or (pos < n and text[pos] == "#") or (not flow and pos - line_start < indent):
            break
    src.append(end_mark)
    return DecodedScalar("".join(chunks), src, "", end_mark, text)


# --------------------------------------------------------------------------
# Public decoding API.


def decode_scalar(
    text: str, start: int, parent_indent: int = -1, *, flow: bool = False
) -> DecodedScalar:
    """Decode the scalar whose first raw character is ``text[start]``.

    ``start`` is the index of the opening quote, of the ``|``/``>`` block
    indicator, or of the first character of a plain scalar (PyYAML's
    ``node.start_mark.index`` for a scalar without tag or anchor).
    ``parent_indent`` is the scanner's block indentation (PyYAML
    ``Scanner.indent``): the column of the enclosing block mapping's keys or
    block sequence's dashes, ``-1`` at top level.  With a composed node tree
    this is ``parent.start_mark.column`` of the nearest enclosing *block*
    collection (an indentless ``- `` sequence shares its mapping's column).
    It matters only for block scalars and multi-line plain scalars.  ``flow``
    says a plain scalar sits inside a flow collection (``[...]``/``{...}``).

    Raises ``ScalarDecodeError`` where PyYAML's scanner would raise.
    """
    if not 0 <= start < len(text):
        raise ScalarDecodeError("scalar start is outside the text", start)
    ch = text[start]
    if ch in "\"'":
        return _decode_flow(text, start)
    if ch in "|>":
        if flow:
            raise ScalarDecodeError("block scalars are not allowed in flow context", start)
        return _decode_block(text, start, parent_indent)
    if ch in "!&*":
        raise ScalarDecodeError("start points at a tag, anchor or alias, not a scalar", start)
    if ch in _BLANK_OR_BREAK:
        raise ScalarDecodeError("start points at whitespace, not a scalar", start)
    return _decode_plain(text, start, parent_indent, flow)


def end_of_char(dec: DecodedScalar, i: int) -> int:
    """Index just past the raw representation of ``dec.value[i]``.

    An escape spans its backslash to its last code character (``\\u2705`` is
    6 characters, ``\\"`` is 2), a doubled ``''`` 2, a line break that became
    a space or newline ends after the break (``\\r\\n`` is 2), any other
    character is 1 long.  Use this, not ``dec.src[i + 1]``, to close a region:
    the next character may sit on a later line after a fold.
    """
    text = dec.text
    at = dec.src[i]
    ch = text[at]
    if dec.style == '"' and ch == "\\":
        return at + 2 + _ESCAPE_CODES.get(text[at + 1], 0)
    if dec.style == "'" and ch == "'":
        return at + 2
    if ch in _BREAK_SET:  # a raw line break is never copied verbatim
        return _skip_break(text, at)
    return at + 1


# --------------------------------------------------------------------------
# Emitting (ports of PyYAML's Emitter writers).

_EMIT_ESCAPES: dict[str, str] = {
    "\0": "0",
    "\x07": "a",
    "\x08": "b",
    "\x09": "t",
    "\x0a": "n",
    "\x0b": "v",
    "\x0c": "f",
    "\x0d": "r",
    "\x1b": "e",
    '"': '"',
    "\\": "\\",
    "\x85": "N",
    "\xa0": "_",
    "\u2028": "L",
    "\u2029": "P",
}
# Characters where write_double_quoted may act: space (fold point) and every
# character it escapes.  Anything else is copied and can be skipped over.
_DQ_ACT = r"[^\x21\x23-\x5b\x5d-\x7e]"  # the emitter patterns compile on first use (--fix)
_DQ_ACT_UNICODE = r"[^\x21\x23-\x5b\x5d-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd]"
_SQ_ACT = "[ \n\x85\u2028\u2029']"
_SQ_BREAKS = "\n\x85\u2028\u2029"


@functools.cache
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


class _Writer:
    """The slice of PyYAML's Emitter state the scalar writers use."""

    __slots__ = ("out", "column", "indent", "whitespace", "indention", "best_width", "line_break")

    def __init__(self, column: int, indent: int, width: int, line_break: str) -> None:
        self.out: list[str] = []
        self.column = column
        self.indent = indent
        self.whitespace = True
        self.indention = True
        self.best_width = width if width and width > 4 else 80
        self.line_break = line_break if line_break in ("\r", "\n", "\r\n") else "\n"

    def write(self, data: str) -> None:
        """Append ``data`` and advance the column."""
        self.column += len(data)
        self.out.append(data)

    def write_indicator(self, indicator: str, need_whitespace: bool) -> None:
        """Port of ``Emitter.write_indicator`` (whitespace/indention -> False)."""
        data = indicator if self.whitespace or not need_whitespace else " " + indicator
        self.whitespace = False
        self.indention = False
        self.write(data)

    def write_indent(self) -> None:
        """Port of ``Emitter.write_indent``."""
        indent = self.indent or 0
        if (
            not self.indention
            or self.column > indent
            or (self.column == indent and not self.whitespace)
        ):
            self.write_line_break()
        if self.column < indent:
            self.whitespace = True
            self.out.append(" " * (indent - self.column))
            self.column = indent

    def write_line_break(self, data: str | None = None) -> None:
        """Port of ``Emitter.write_line_break``."""
        self.whitespace = True
        self.indention = True
        self.column = 0
        self.out.append(self.line_break if data is None else data)


def _escape_for_double_quotes(ch: str) -> str:
    """The escape ``write_double_quoted`` writes for ``ch``."""
    short = _EMIT_ESCAPES.get(ch)
    if short is not None:
        return "\\" + short
    if ch <= "\xff":
        return f"\\x{ord(ch):02X}"
    if ch <= "\uffff":
        return f"\\u{ord(ch):04X}"
    return f"\\U{ord(ch):08X}"


def emit_double_quoted(
    value: str,
    column: int,
    indent: int,
    width: int = 80,
    *,
    allow_unicode: bool = False,
    line_break: str = "\n",
) -> str:
    """Raw double-quoted text PyYAML writes for ``value`` (``split=True``).

    ``column`` is the column of the opening quote, ``indent`` the emitter
    indentation that continuation lines get (for KFP command/args items: the
    column of ``- `` plus 2).  Equals PyYAML's ``Emitter(width=width)`` with
    ``column``/``indent`` set, ``whitespace = indention = True`` and
    ``write_double_quoted(value, split=True)``.
    """
    w = _Writer(column, indent, width, line_break)
    w.write_indicator('"', True)
    act = _compiled(_DQ_ACT_UNICODE if allow_unicode else _DQ_ACT)
    text, n = value, len(value)
    best_width = w.best_width
    start = end = 0
    while end <= n:
        ch = text[end] if end < n else None
        escaped = False
        if ch is None or (ch != " " and act.match(ch)):
            if start < end:
                w.write(text[start:end])
                start = end
            if ch is not None:
                w.write(_escape_for_double_quotes(ch))
                start = end + 1
                escaped = True
        if (
            0 < end < n - 1
            and (ch == " " or start >= end)
            and w.column + (end - start) > best_width
        ):
            data = text[start:end] + "\\"
            if start < end:
                start = end
            w.write(data)
            w.write_indent()
            w.whitespace = False
            w.indention = False
            if text[start] == " ":
                w.write("\\")
        if ch is None:
            break
        if escaped:
            end += 1
        else:
            match = act.search(text, end + 1)
            end = match.start() if match else n
    w.write_indicator('"', False)
    return "".join(w.out)


def emit_single_quoted(
    value: str,
    column: int,
    indent: int,
    width: int = 80,
    *,
    line_break: str = "\n",
) -> str:
    """Raw single-quoted text PyYAML writes for ``value`` (``split=True``).

    Same conventions as ``emit_double_quoted``; a port of
    ``Emitter.write_single_quoted``.
    """
    w = _Writer(column, indent, width, line_break)
    w.write_indicator("'", True)
    text, n = value, len(value)
    spaces = breaks = False
    start = end = 0
    while end <= n:
        ch = text[end] if end < n else None
        if spaces:
            if ch != " ":
                if start + 1 == end and w.column > w.best_width and start != 0 and end != n:
                    w.write_indent()
                else:
                    w.write(text[start:end])
                start = end
        elif breaks:
            if ch is None or ch not in _SQ_BREAKS:
                if text[start] == "\n":
                    w.write_line_break()
                for br in text[start:end]:
                    w.write_line_break(None if br == "\n" else br)
                w.write_indent()
                start = end
        elif (ch is None or ch in " \n\x85\u2028\u2029'") and start < end:
            w.write(text[start:end])
            start = end
        if ch is None:
            break
        if ch == "'":
            w.write("''")
            start = end + 1
        spaces = ch == " "
        breaks = ch in _SQ_BREAKS
        if spaces or breaks:
            end += 1
        else:
            match = _compiled(_SQ_ACT).search(text, end + 1)
            end = match.start() if match else n
    w.write_indicator("'", False)
    return "".join(w.out)


_SPECIAL_ASCII = r"[^\n\x20-\x7e]"
_SPECIAL_UNICODE = r"[^\n\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010fffe]|\ufeff"
_BREAK_SPACE = "[\n\x85\u2028\u2029] "
_SPACE_BREAK = " [\n\x85\u2028\u2029]"


def choose_quoted_style(value: str, *, allow_unicode: bool = False) -> str:
    """``'"'`` or ``"'"``: the quote style PyYAML picks for ``value``.

    Mirrors ``Emitter.analyze_scalar`` + ``choose_scalar_style`` for a string
    that cannot be plain (e.g. multi-line) in block context, not a simple key:
    single quotes unless a line break is followed by a space, a space is
    followed by a line break, or a special character (any non-printable, and
    with ``allow_unicode=False`` any non-ASCII) occurs.
    """
    special = _compiled(_SPECIAL_UNICODE if allow_unicode else _SPECIAL_ASCII)
    if (
        special.search(value)
        or _compiled(_BREAK_SPACE).search(value)
        or _compiled(_SPACE_BREAK).search(value)
    ):
        return '"'
    return "'"


def emit_quoted(
    value: str, column: int, indent: int, width: int = 80, *, line_break: str = "\n"
) -> str:
    """Emit ``value`` in the quote style PyYAML would choose (``allow_unicode=False``)."""
    if choose_quoted_style(value) == "'":
        return emit_single_quoted(value, column, indent, width, line_break=line_break)
    return emit_double_quoted(value, column, indent, width, line_break=line_break)
