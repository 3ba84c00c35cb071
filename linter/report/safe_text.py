"""Text that is safe to print: what a linted repository controls never drives the terminal.

File names and decoded YAML values reach every report. A value holding `ESC ] 0 ; title BEL` or
`ESC [ 2 J` would retitle or clear the terminal of whoever reads the report (or a CI log viewer
that renders ANSI), and a file name holding bytes that are not UTF-8 cannot be written as UTF-8 at
all. Every reporter passes what it prints through `printable` (human text) or `json_safe` (JSON
strings: lossless, as JSON escapes).

Escaped, as backslash escapes a reader can recognise, is every character Python does not call
printable except tab and the spaces (Unicode category Zs):
- C0 controls (U+0000-U+001F), DEL (U+007F) and C1 controls (U+0080-U+009F: U+009B is a
  one-character CSI on some terminals): `\\x1b`;
- format characters (category Cf): the bidirectional overrides and isolates (U+202A-U+202E,
  U+2066-U+2069) that reorder what a reader sees ("Trojan Source"), zero-width characters and
  U+FEFF: `\\u202e`; line and paragraph separators (U+2028, U+2029), private-use and unassigned
  code points;
- the bytes of a file name that are not UTF-8 (Python keeps them as lone surrogates,
  U+DC80-U+DCFF, PEP 383): `\\xe9`, the byte itself; other lone surrogates: `\\ud800`.
Line breaks are kept only where the caller allows them (`keep_newlines`).
"""

from __future__ import annotations

import re
import unicodedata

_KEPT = {"\t"}  # besides what str.isprintable() accepts and the spaces (Zs)
_NEWLINES = {"\n", "\r"}
#: What json.dumps(ensure_ascii=False) leaves raw but a terminal or a UTF-8 encoder cannot take
_JSON_UNSAFE = re.compile("[\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def _escape(ch: str) -> str:
    code = ord(ch)
    if 0xDC80 <= code <= 0xDCFF:  # a byte of a file name that is not UTF-8 (surrogateescape)
        return f"\\x{code - 0xDC00:02x}"
    if code <= 0xFF:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}"


def printable(text: str, keep_newlines: bool = False) -> str:
    """`text` with every control character, invisible reordering character and undecodable byte
    shown as a backslash escape; `\\n` and `\\r` stay only with `keep_newlines`."""
    if text.isprintable():
        return text  # the common case, checked in C
    kept = _KEPT | _NEWLINES if keep_newlines else _KEPT
    return "".join(ch if _shown_as_is(ch, kept) else _escape(ch) for ch in text)


def _shown_as_is(ch: str, kept: set[str]) -> bool:
    if ch.isprintable() or ch in kept:
        return True
    return unicodedata.category(ch) == "Zs"


def printable_width(text: str) -> int:
    """How many characters `printable(text)` takes (to align a caret under an escaped line)."""
    return len(printable(text))


def json_safe(document: str) -> str:
    """A JSON document (from json.dumps with ensure_ascii=False) with the characters a terminal
    would act on, and lone surrogates (undecodable bytes of file names), written as JSON `\\u`
    escapes (four hex digits): the same strings for any JSON parser, and always encodable as
    UTF-8.

    A file name byte that is not UTF-8, such as 0xE9, is the escape `\\udce9` (PEP 383): Python's
    `json.loads` gives the string back, and `os.fsencode` of it the original bytes."""
    if document.isascii():
        return document
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", document)


def safe_output(text: str, fmt: str) -> str:
    """A whole report built from the repository's text (graph, upgrade plan): JSON through
    `json_safe`, any other format through `printable` with its line breaks kept."""
    return json_safe(text) if fmt == "json" else printable(text, keep_newlines=True)


def filename_bytes(path: str) -> bytes:
    """The bytes of a path as the file system holds them (undecodable bytes restored)."""
    return path.encode("utf-8", "surrogateescape")
