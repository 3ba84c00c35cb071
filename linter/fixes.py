"""Applying fixes: text edits over exact spans, never overlapping within one pass."""

from __future__ import annotations

import codecs
import difflib
import os
import tempfile
from dataclasses import dataclass, field, replace
from pathlib import Path

from linter.model import Edit, Finding


def select_edits(findings: list[Finding], unsafe: bool) -> dict[str, list[Edit]]:
    """Edits per file for the fixes we may apply, dropping any that overlap an earlier one.

    A fix that changes a server's image goes first; fixes written for that server's current
    LlamaStack version wait for the next pass (after the re-lint, they are judged against the new
    version)."""
    usable = [
        f
        for f in findings
        if f.fix is not None
        and f.suppressed is None
        and (unsafe or f.fix.applicability != "unsafe")
    ]
    changed = {f.fix.changes_server for f in usable if f.fix and f.fix.changes_server}
    chosen: dict[str, list[Edit]] = {}
    for f in sorted(usable, key=lambda f: not (f.fix and f.fix.changes_server)):
        if f.fix is None or (f.fix.depends_on and f.fix.depends_on in changed):
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
    """What the fix loop did: fixes applied or refused, and the new bytes of each file."""

    applied: list[Finding] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (path, reason)
    originals: dict[str, bytes] = field(default_factory=dict)  # abs path -> bytes first read
    overlay: dict[str, bytes] = field(default_factory=dict)  # abs path -> fixed bytes
    rel: dict[str, str] = field(default_factory=dict)  # abs path -> display path
    # abs path -> the edits applied to it, one list per pass, offsets into that pass's decoded text
    # (after the BOM), line endings already converted to the file's: replaying them on the original
    # text gives the fixed text, so nothing outside them changed
    edits: dict[str, list[list[Edit]]] = field(default_factory=dict)
    result: object = None  # the RunResult after the last pass (what remains)
    initial: object = None  # the RunResult of the first pass (what was found before fixing)

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
    return [replace(e, text=e.text.replace("\r\n", "\n").replace("\n", newline)) for e in edits]


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


def fix_repository(
    opts, unsafe: bool, max_passes: int = MAX_PASSES, given: dict[str, bytes] | None = None
) -> FixOutcome:
    """Lint, apply fixes in memory, re-lint, until nothing changes (or the pass cap).

    `given`: absolute path -> the bytes to fix instead of the file on disk (`lint - --fix` reads
    them from stdin); they are the originals the outcome compares with."""
    from linter.engine import run

    out = FixOutcome()
    for abspath, data in (given or {}).items():
        out.originals[abspath] = out.overlay[abspath] = data
    opts.overlay = out.overlay
    refused: set[tuple] = set()
    for _ in range(max_passes):
        result = run(opts)
        out.result = result
        if out.initial is None:
            out.initial = result
        candidates = [f for f in result.findings if f.fix is not None and _key(f) not in refused]
        chosen = select_edits(candidates, unsafe)
        if not chosen:
            break
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
            converted = _with_newline(edits, _newline(text))
            new_text = apply_edits(text, converted)
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
            out.edits.setdefault(abspath, []).append(sorted(converted, key=_edit_order))
            out.applied.extend(owners)
            progress = True
        if not progress:
            break
    else:
        out.result = run(opts)  # the pass cap was reached: report what remains
    return out


def _edit_order(e: Edit) -> tuple[int, int]:
    return (e.start_offset, e.end_offset)


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
        try:
            atomic_write(Path(abspath), out.overlay[abspath])
        except OSError as exc:
            out.failed.append((rel, f"cannot write: {exc.strerror or exc}; the file is unchanged"))
            continue
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


def _diff_lines(text: str) -> list[str]:
    """Lines as diff and patch see them: cut after each LF only (str.splitlines also cuts at form
    feeds, U+2028, NEL..., which would give a patch that does not apply); CR stays in its line."""
    lines = text.split("\n")
    out = [line + "\n" for line in lines[:-1]]
    return out + [lines[-1]] if lines[-1] else out


def unified_diff(out: FixOutcome) -> str:
    chunks = []
    for abspath in sorted(out.changed(), key=lambda p: out.rel.get(p, p)):
        rel = out.rel.get(abspath, abspath)
        old = _diff_lines(out.originals[abspath].decode("utf-8", "surrogateescape"))
        new = _diff_lines(out.overlay[abspath].decode("utf-8", "surrogateescape"))
        lines = list(difflib.unified_diff(old, new, f"a/{rel}", f"b/{rel}"))
        for line in lines:
            if line.endswith("\n"):
                chunks.append(line)
            else:
                chunks.append(line + "\n\\ No newline at end of file\n")
    return "".join(chunks)


def fix_summary(out: FixOutcome, written: list[str], unsafe: bool) -> str:
    """What `--fix` did and what remains: fixed findings per written file (by rule), then the
    findings left, with how many only --unsafe-fixes would fix."""
    done = set(written)
    per_file: dict[str, dict[str, int]] = {}
    fixed = 0
    for f in out.applied:
        paths = sorted({e.path for e in f.fix.edits if e.path in done}) if f.fix else []
        fixed += bool(paths)
        for path in paths:
            rules = per_file.setdefault(path, {})
            rules[f.rule] = rules.get(f.rule, 0) + 1
    lines = []
    if fixed:
        lines.append(f"Fixed {_plural(fixed, 'finding')} in {_plural(len(per_file), 'file')}:")
        for path in sorted(per_file):
            rules = per_file[path]
            by_rule = ", ".join(f"{r} x{n}" if n > 1 else r for r, n in sorted(rules.items()))
            lines.append(f"  {path}: {by_rule}")
    else:
        lines.append("No fixes applied.")
    remaining = [f for f in getattr(out.result, "findings", []) if f.suppressed is None]
    left = f"{_plural(len(remaining), 'finding')} remain" if remaining else "No findings remain"
    if len(remaining) == 1:
        left = "1 finding remains"
    unsafe_left = sum(1 for f in remaining if f.fix and f.fix.applicability == "unsafe")
    if unsafe_left and not unsafe:
        left += f" ({unsafe_left} fixable with --unsafe-fixes)"
    lines.append(left + ".")
    return "\n".join(lines)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'s' if n != 1 else ''}"
