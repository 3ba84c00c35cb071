"""Applying fixes: text edits over exact spans, never overlapping within one pass."""

from __future__ import annotations

import codecs
import difflib
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from linter.model import Edit, Finding


def select_edits(findings: list[Finding], unsafe: bool) -> dict[str, list[Edit]]:
    """Edits per file for the fixes we may apply, dropping any that overlap an earlier one."""
    chosen: dict[str, list[Edit]] = {}
    for f in findings:
        if f.fix is None or f.suppressed is not None:
            continue
        if f.fix.applicability == "unsafe" and not unsafe:
            continue
        edits = f.fix.edits
        if any(_overlaps(e, chosen.get(e.path, [])) for e in edits):
            continue  # applied in a later pass, after a re-lint
        for e in edits:
            chosen.setdefault(e.path, []).append(e)
    return chosen


def _overlaps(edit: Edit, others: list[Edit]) -> bool:
    for o in others:
        if edit.start_offset < o.end_offset and o.start_offset < edit.end_offset:
            return True
        if edit.start_offset == edit.end_offset == o.start_offset == o.end_offset:
            return True
    return False


def apply_edits(text: str, edits: list[Edit]) -> str:
    """Apply non-overlapping edits to `text` (offsets index the decoded text)."""
    out = text
    for e in sorted(edits, key=lambda e: (e.start_offset, e.end_offset), reverse=True):
        out = out[: e.start_offset] + e.text + out[e.end_offset :]
    return out


# -- the fix loop ---------------------------------------------------------------------------------

MAX_PASSES = 10


@dataclass
class FixOutcome:
    applied: list[Finding] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (path, reason)
    originals: dict[str, bytes] = field(default_factory=dict)  # abs path -> bytes first read
    overlay: dict[str, bytes] = field(default_factory=dict)  # abs path -> fixed bytes
    rel: dict[str, str] = field(default_factory=dict)  # abs path -> display path
    passes: int = 0
    result: object = None  # the RunResult after the last pass (what remains)

    def changed(self) -> list[str]:
        return [p for p, b in self.overlay.items() if b != self.originals.get(p)]


def _split_bom(raw: bytes) -> tuple[bytes, str]:
    if raw.startswith(codecs.BOM_UTF8):
        return codecs.BOM_UTF8, raw[len(codecs.BOM_UTF8) :].decode("utf-8")
    return b"", raw.decode("utf-8")


def _newline(text: str) -> str:
    crlf = text.count("\r\n")
    return "\r\n" if crlf and crlf >= text.count("\n") - crlf else "\n"


def _with_newline(edits: list[Edit], newline: str) -> list[Edit]:
    if newline == "\n":
        return edits
    return [e.model_copy(update={"text": e.text.replace("\r\n", "\n").replace("\n", newline)}) for e in edits]


def reparses(rel: str, text: str) -> str | None:
    """None if `text` still parses as the kind of file `rel` is, else the parser's message."""
    if rel.endswith((".yaml", ".yml")) or os.path.basename(rel) == "Kustomization":
        from linter.sources.yaml import YamlParseError, compose_all

        try:
            compose_all(text)
        except YamlParseError as exc:
            return f"{exc.message} at {exc.line}:{exc.column}"
    elif rel.endswith(".py"):
        import ast

        try:
            ast.parse(text)
        except SyntaxError as exc:
            return f"{exc.msg} at {exc.lineno}:{exc.offset}"
    return None


def fix_repository(opts, unsafe: bool, max_passes: int = MAX_PASSES) -> FixOutcome:
    """Lint, apply fixes in memory, re-lint, until nothing changes (or the pass cap)."""
    from linter.engine import run

    out = FixOutcome()
    opts.overlay = out.overlay
    refused: set[tuple] = set()
    for _ in range(max_passes):
        result = run(opts)
        out.result = result
        candidates = [
            f for f in result.findings
            if f.fix is not None and _key(f) not in refused
        ]
        chosen = select_edits(candidates, unsafe)
        if not chosen:
            break
        out.passes += 1
        progress = False
        for rel, edits in chosen.items():
            abspath = str((opts.cwd / rel).absolute())
            raw = out.overlay.get(abspath)
            if raw is None:
                try:
                    raw = Path(abspath).read_bytes()
                except OSError as exc:
                    out.failed.append((rel, f"cannot read: {exc}"))
                    continue
                out.originals[abspath] = raw
            out.rel[abspath] = rel
            bom, text = _split_bom(raw)
            new_text = apply_edits(text, _with_newline(edits, _newline(text)))
            owners = [f for f in candidates if f.fix and any(e in edits for e in f.fix.edits)]
            problem = reparses(rel, new_text)
            if problem is not None:
                out.failed.append((rel, f"the fix would break the file ({problem}); not applied"))
                refused.update(_key(f) for f in owners)
                continue
            if new_text == text:
                refused.update(_key(f) for f in owners)
                continue
            out.overlay[abspath] = bom + new_text.encode("utf-8")
            out.applied.extend(owners)
            progress = True
        if not progress:
            break
    else:
        out.result = run(opts)  # the pass cap was reached: report what remains
    return out


def _key(f: Finding) -> tuple:
    return (f.rule, f.path, f.span.start.line, f.span.start.column, f.message)


def write_fixed(out: FixOutcome) -> list[str]:
    """Write changed files atomically; refuse files that changed on disk since they were read."""
    written = []
    for abspath in out.changed():
        rel = out.rel.get(abspath, abspath)
        try:
            current = Path(abspath).read_bytes()
        except OSError as exc:
            out.failed.append((rel, f"cannot re-read before writing: {exc}"))
            continue
        if current != out.originals[abspath]:
            out.failed.append((rel, "the file changed since it was read; not written"))
            continue
        atomic_write(Path(abspath), out.overlay[abspath])
        written.append(rel)
    return written


def atomic_write(path: Path, data: bytes) -> None:
    """Temp file in the same folder + rename; keeps the mode; leaves no temp file on failure."""
    st = path.stat()
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".stackalign", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, st.st_mode & 0o7777)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def unified_diff(out: FixOutcome) -> str:
    chunks = []
    for abspath in sorted(out.changed(), key=lambda p: out.rel.get(p, p)):
        rel = out.rel.get(abspath, abspath)
        old = out.originals[abspath].decode("utf-8", "surrogateescape").splitlines(keepends=True)
        new = out.overlay[abspath].decode("utf-8", "surrogateescape").splitlines(keepends=True)
        lines = list(difflib.unified_diff(old, new, f"a/{rel}", f"b/{rel}"))
        for line in lines:
            if line.endswith("\n"):
                chunks.append(line)
            else:
                chunks.append(line + "\n\\ No newline at end of file\n")
    return "".join(chunks)
