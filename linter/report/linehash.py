"""GitHub's `primaryLocationLineHash`, computed exactly as upload-sarif does.

A port of `hash()` in github/codeql-action `src/fingerprints.ts`: a rolling hash (modulus 37,
64-bit wrap-around like its `Long`) over the first 100 characters from the start of each line,
where spaces and tabs are skipped, `\\r` and `\\r\\n` count as `\\n`, characters are UTF-16 code
units (JavaScript's `charCodeAt`), and a 65535 sentinel plus zero padding follow the end of the
text. The value is `<hex>:<n>`, `n` counting earlier lines of the file with the same hash.

The text must be what upload-sarif reads: the file's bytes decoded as UTF-8, with a BOM kept.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

BLOCK_SIZE = 100
MOD = 37
EOF = 65535
MASK = (1 << 64) - 1
FIRST_MOD = pow(MOD, BLOCK_SIZE, 1 << 64)
TAB, SPACE, LF, CR = 9, 32, 10, 13


def utf16_units(text: str) -> Iterator[int]:
    """The text as JavaScript sees it with `charCodeAt`: UTF-16 code units."""
    data = text.encode("utf-16-le", errors="surrogatepass")
    for i in range(0, len(data), 2):
        yield data[i] | (data[i + 1] << 8)


def line_hashes(text: str) -> Iterator[tuple[int, str]]:
    """Yield (line number, hash) for every line, in order, as fingerprints.ts `hash` does."""
    window = [0] * BLOCK_SIZE
    line_numbers = [-1] * BLOCK_SIZE
    state = {"hash": 0, "index": 0, "line": 0, "line_start": True, "prev_cr": False}
    counts: dict[str, int] = {}

    def output() -> tuple[int, str]:
        value = format(state["hash"], "x")
        counts[value] = counts.get(value, 0) + 1
        index = state["index"]
        line = line_numbers[index]
        line_numbers[index] = -1
        return line, f"{value}:{counts[value]}"

    def update(current: int) -> None:
        index = state["index"]
        begin = window[index]
        window[index] = current
        state["hash"] = (MOD * state["hash"] + current - FIRST_MOD * begin) & MASK
        state["index"] = (index + 1) % BLOCK_SIZE

    def process(current: int) -> Iterator[tuple[int, str]]:
        if current in (SPACE, TAB) or (state["prev_cr"] and current == LF):
            state["prev_cr"] = False
            return
        if current == CR:
            current = LF
            state["prev_cr"] = True
        else:
            state["prev_cr"] = False
        if line_numbers[state["index"]] != -1:
            yield output()
        if state["line_start"]:
            state["line_start"] = False
            state["line"] += 1
            line_numbers[state["index"]] = state["line"]
        if current == LF:
            state["line_start"] = True
        update(current)

    for unit in utf16_units(text):
        yield from process(unit)
    yield from process(EOF)
    for _ in range(BLOCK_SIZE):
        if line_numbers[state["index"]] != -1:
            yield output()
        update(0)


def hashes_for_lines(text: str, lines: Iterable[int]) -> dict[int, str]:
    """The hashes of the given 1-based lines (stops reading once the last one is known)."""
    wanted = set(lines)
    if not wanted:
        return {}
    last = max(wanted)
    out: dict[int, str] = {}
    for line, value in line_hashes(text):
        if line in wanted:
            out[line] = value
        if line >= last:
            break
    return out
