"""Baselines: adopt stackalign on a repository with known findings, and fail only on new ones.

`--write-baseline FILE` records the current (unsuppressed) findings by `Finding.fingerprint`
(rule, path, logical location, normalized snippet; never line numbers), so the baseline survives
unrelated edits and line shifts. `--baseline FILE` then hides recorded findings. Fingerprints are a
multiset: a baseline holding one finding hides one occurrence, and a second identical one is new.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from linter import __version__
from linter.model import Finding
from linter.report.safe_text import json_safe
from linter.safefile import UnsafeFile, read_regular_file

FORMAT = "stackalign-baseline"
FORMAT_VERSION = 1
#: A baseline of 100,000 findings takes about 40 MB; a larger file is refused (read whole, a JSON
#: document costs several times its size in memory).
MAX_BASELINE_BYTES = 64 * 1024 * 1024


class BaselineError(Exception):
    pass


def render(findings: list[Finding]) -> str:
    entries = [
        {
            "fingerprint": f.fingerprint,
            "rule": f.rule,
            "path": f.path,
            "logical_location": f.logical_location,
            "line": f.span.start.line,  # for people reading the file; never used for matching
            "message": f.message,
        }
        for f in sorted(findings, key=Finding.sort_key)
        if f.suppressed is None
    ]
    doc = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "tool_version": __version__,
        "findings": entries,
    }
    # control characters and file name bytes that are not UTF-8 as \u escapes (see safe_text)
    return json_safe(json.dumps(doc, indent=2, ensure_ascii=False)) + "\n"


def write(path: Path, findings: list[Finding]) -> int:
    """Write the baseline; returns how many findings it records."""
    text = render(findings)
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise BaselineError(f"cannot write baseline {path}: {exc.strerror or exc}") from None
    return len(json.loads(text)["findings"])


def load(path: Path) -> Counter[str]:
    """Fingerprint -> how many findings with it the baseline holds."""
    try:
        data = read_regular_file(path, MAX_BASELINE_BYTES)  # never blocks on a FIFO, never endless
    except UnsafeFile as exc:
        raise BaselineError(f"cannot read baseline {path}: {exc}") from None
    try:
        doc = json.loads(data.decode("utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise BaselineError(f"{path}: not a stackalign baseline (invalid JSON: {exc})") from None
    except RecursionError:
        raise BaselineError(
            f"{path}: not a stackalign baseline (JSON nested too deeply to read)"
        ) from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise BaselineError(f'{path}: not a stackalign baseline (no "format": "{FORMAT}")')
    if doc.get("format_version") != FORMAT_VERSION:
        raise BaselineError(
            f"{path}: baseline format_version {doc.get('format_version')!r} is not supported "
            f"(expected {FORMAT_VERSION}); re-create it with --write-baseline"
        )
    entries = doc.get("findings")
    if not isinstance(entries, list) or not all(
        isinstance(e, dict) and isinstance(e.get("fingerprint"), str) for e in entries
    ):
        raise BaselineError(f"{path}: `findings` must be a list of objects with a `fingerprint`")
    return Counter(e["fingerprint"] for e in entries)


def filter_new(findings: list[Finding], known: Counter[str]) -> tuple[list[Finding], int]:
    """The findings the baseline does not hold, and how many it hid. Suppressed findings stay."""
    remaining = Counter(known)
    out: list[Finding] = []
    hidden = 0
    for f in findings:
        if f.suppressed is None and remaining[f.fingerprint] > 0:
            remaining[f.fingerprint] -= 1
            hidden += 1
            continue
        out.append(f)
    return out, hidden
