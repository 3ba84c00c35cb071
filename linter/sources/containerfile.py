"""Containerfile (Dockerfile) instructions, as BuildKit reads them: one instruction per line,
continued by a trailing backslash; comment lines (also inside a continuation) and blank lines are
none; a heredoc (`RUN <<EOF` ... `EOF`) belongs to the instruction that opens it. Read by the
deployment model (the image a compose service is built FROM) and by the requirement reader
(`pip install` in RUN). A line inside a continuation or a heredoc never starts an instruction:
`from x import y` in a Python heredoc is no FROM.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_HEREDOC = re.compile(r"<<-?[ \t]*([\"']?)([A-Za-z_]\w*)\1")


@dataclass(frozen=True)
class Instruction:
    """One instruction: its keyword (upper case), the line it starts on (1-based), the offsets
    of its arguments in the text (after the keyword, to the end of the last continued line or of
    its heredocs), and its own lines joined (continuations and comments removed, no heredoc)."""

    keyword: str
    line: int
    start: int
    end: int
    joined: str


def instructions(text: str) -> list[Instruction]:
    out: list[Instruction] = []
    lines = text.splitlines(keepends=True)
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line))
    i = 0
    while i < len(lines):
        first = i
        line = lines[i].rstrip("\r\n")
        i += 1
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        parts = [line]
        last = first
        while parts[-1].rstrip().endswith("\\") and i < len(lines):
            nxt = lines[i].rstrip("\r\n")
            i += 1
            if not nxt.lstrip().startswith("#"):
                parts.append(nxt)
                last = i - 1
        joined = " ".join(p.rstrip().removesuffix("\\").strip() for p in parts)
        for m in _HEREDOC.finditer(joined):  # each heredoc body, through its terminator line
            while i < len(lines) and lines[i].strip() != m.group(2):
                i += 1
            last = min(i, len(lines) - 1)
            i += 1
        keyword, _, _ = joined.partition(" ")
        start = offsets[first] + len(line) - len(line.lstrip()) + len(keyword)
        end = offsets[last] + len(lines[last].rstrip("\r\n"))
        out.append(Instruction(keyword.upper(), first + 1, start, end, joined))
    return out
