"""Applying fixes: text edits over exact spans, never overlapping within one pass.

What a fix may write (docs/security.md): edits apply to exactly the bytes the lint pass read and
decoded (`Workspace.raw_bytes`), never to a second read; a file is written only if the disk still
holds those bytes right before the atomic rename; a named symlink, or a file reached through a
symlinked folder, is never written (the walk's symlink policy, see `write_refusal`).
"""

from __future__ import annotations

import codecs
import difflib
import os
import tempfile
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from linter.discovery import overlay_key
from linter.model import Edit, Finding
from linter.report.safe_text import printable

if TYPE_CHECKING:
    from linter.engine import Options, RunResult

#: A finding's identity across passes: rule, path, line, column, message
FindingKey = tuple[str, str, int, int, str]


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
    originals: dict[str, bytes] = field(default_factory=dict)  # abs path -> bytes the lint read
    overlay: dict[str, bytes] = field(default_factory=dict)  # abs path -> fixed bytes
    rel: dict[str, str] = field(default_factory=dict)  # abs path -> display path
    # abs path -> the edits applied to it, one list per pass, offsets into that pass's decoded text
    # (after the BOM), line endings already converted to the file's: replaying them on the original
    # text gives the fixed text, so nothing outside them changed
    edits: dict[str, list[list[Edit]]] = field(default_factory=dict)
    result: RunResult | None = None  # after the last pass (what remains)
    cwd: Path | None = None  # the working directory of the run (the root of write_refusal)
    initial: RunResult | None = None  # of the first pass (what was found before fixing)

    def changed(self) -> list[str]:
        return [p for p, b in self.overlay.items() if b != self.originals.get(p)]


def _split_bom(raw: bytes) -> tuple[bytes, str]:
    """The BOM and the text, split as `decode_bytes` splits them (one UTF-8 BOM, no more)."""
    if raw.startswith(codecs.BOM_UTF8):
        return codecs.BOM_UTF8, raw[len(codecs.BOM_UTF8) :].decode("utf-8")
    return b"", raw.decode("utf-8")


def _newline(text: str) -> str:
    """The file's line break: the most frequent of CRLF, LF and a lone CR (LF on a tie)."""
    crlf = text.count("\r\n")
    cr = text.count("\r") - crlf
    lf = text.count("\n") - crlf
    if cr > lf and cr > crlf:
        return "\r"
    return "\r\n" if crlf and crlf >= lf else "\n"


def _with_newline(edits: list[Edit], newline: str) -> list[Edit]:
    if newline == "\n":
        return edits
    return [replace(e, text=e.text.replace("\r\n", "\n").replace("\n", newline)) for e in edits]


def write_refusal(abspath: str, cwd: Path) -> str | None:
    """Why a fix must never write `abspath`, or None: the walk's symlink policy for every file.

    The walk never yields a symlink, nor a file under a symlinked folder. A file named on the
    command line gets the same rule: it is not a symlink itself (an atomic rename would replace the
    link with a regular file), and its real path is its path under the real root, so no folder on
    the way is a link (a write would land where the link points, maybe outside the repository).
    The root is the working directory when the file is inside it, else the repository holding the
    file (a `.git` or `.stackalign.yaml` folder), else the file's own folder."""
    if os.path.islink(abspath):
        return (
            "it is a symlink (a fix never replaces a link, nor writes where it points); not written"
        )
    lexical = os.path.normpath(abspath)
    root = _write_root(lexical, cwd)
    expected = os.path.join(os.path.realpath(root), os.path.relpath(lexical, root))
    if os.path.realpath(abspath) != os.path.normpath(expected):
        return "its path passes through a symlinked folder (a fix never writes through a link); not written"
    return None


def _write_root(lexical: str, cwd: Path) -> str:
    from linter.discovery import find_project_root

    base = os.path.normpath(cwd.absolute())
    if lexical.startswith(base.rstrip(os.sep) + os.sep):
        return base
    project = find_project_root(Path(os.path.dirname(lexical)))
    return str(project) if project is not None else os.path.dirname(lexical)


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
    opts: Options, unsafe: bool, max_passes: int = MAX_PASSES, given: dict[str, bytes] | None = None
) -> FixOutcome:
    """Lint, apply fixes in memory, re-lint, until nothing changes (or the pass cap).

    `given`: absolute path -> the bytes to fix instead of the file on disk (`lint - --fix` reads
    them from stdin); they are the originals the outcome compares with."""
    from linter.engine import run

    out = FixOutcome(cwd=opts.cwd)
    for abspath, data in (given or {}).items():
        out.originals[abspath] = out.overlay[abspath] = data
    opts.overlay = out.overlay
    refused: set[FindingKey] = set()
    history = _History()
    applied_keys: set[FindingKey] = set()
    for _ in range(max_passes):
        result = run(opts)
        out.result = result
        if out.initial is None:
            out.initial = result
        # a finding back after its fix was applied: that fix does not hold, applying it again
        # would only repeat its edit (and count it twice)
        done = refused | applied_keys
        candidates = [f for f in result.findings if f.fix is not None and _key(f) not in done]
        chosen = select_edits(candidates, unsafe)
        if not chosen:
            break
        progress = False
        for rel, edits in chosen.items():
            abspath = overlay_key(opts.cwd / rel)
            owners = [f for f in candidates if f.fix and any(e in edits for e in f.fix.edits)]
            # the edits' offsets index the text this pass decoded: apply them to exactly those
            # bytes, never to a second read of the file (which may have changed meanwhile)
            raw = result.workspace.raw_bytes.get(rel)
            problem = _unfixable(rel, raw, result.workspace.file_texts.get(rel))
            if problem is None and abspath not in out.overlay:
                problem = write_refusal(abspath, opts.cwd)
            if problem is not None or raw is None:
                out.failed.append((rel, problem or "not read"))
                refused.update(_key(f) for f in owners)
                continue
            out.originals.setdefault(abspath, raw)
            out.rel[abspath] = rel
            bom, text = _split_bom(raw)
            converted = _with_newline(edits, _newline(text))
            pairs = list(zip(edits, converted, strict=True))
            undone = history.undoing(abspath, text, pairs, owners)
            if undone:
                for f, earlier in undone:
                    why = f"the {f.rule} fix would undo the {earlier} fix applied before"
                    out.failed.append((rel, f"{why}; not applied"))
                refused.update(_key(f) for f, _ in undone)
                owners = [f for f in owners if _key(f) not in refused]
                kept = [e for f in owners if f.fix for e in f.fix.edits]
                converted = [c for e, c in pairs if e in kept]
                if not converted:
                    continue
            new_text = apply_edits(text, converted)
            problem = reparses(rel, new_text)
            if problem is not None:
                out.failed.append((rel, f"the fix would break the file ({problem}); not applied"))
                refused.update(_key(f) for f in owners)
                continue
            if new_text == text:
                refused.update(_key(f) for f in owners)
                continue
            if history.seen(abspath, new_text):  # back to an earlier state: the fixes cycle
                rules = ", ".join(sorted({f.rule for f in owners}))
                out.failed.append(
                    (rel, f"the {rules} fixes would bring back an earlier text; not applied")
                )
                refused.update(_key(f) for f in owners)
                continue
            history.record(abspath, text, new_text, converted, owners)
            out.overlay[abspath] = bom + new_text.encode("utf-8")
            out.edits.setdefault(abspath, []).append(sorted(converted, key=_edit_order))
            out.applied.extend(owners)
            applied_keys.update(_key(f) for f in owners)
            progress = True
        if not progress:
            break
    else:
        out.result = run(opts)  # the pass cap was reached: report what remains
    return out


@dataclass
class _Applied:
    """An edit the loop applied, where its inserted text is now, what it replaced, and whose."""

    start: int  # in the file's current text
    inserted: str
    removed: str
    rule: str


@dataclass
class _History:
    """What the fix loop did to each file, so that no pass undoes an earlier one. An edit that
    puts back what an earlier edit replaced, at the place that edit wrote, is refused; so is a
    pass that would give a file a text it already had (fixes that cycle: a fix for the server's
    old version and one that changes the server, each undoing the other). Without this, such
    loops ran to the pass cap and reported every round trip as fixed findings."""

    texts: dict[str, set[int]] = field(default_factory=dict)  # abs path -> hashes of its texts
    applied: dict[str, list[_Applied]] = field(default_factory=dict)

    def undoing(
        self, path: str, text: str, edits: list[tuple[Edit, Edit]], owners: list[Finding]
    ) -> list[tuple[Finding, str]]:
        """(finding, rule of the undone edit) for each owner with an edit that undoes one.
        `edits`: (edit as the finding holds it, the same edit with the file's line breaks)."""
        done = self.applied.get(path)
        if not done:
            return []
        undoing: list[tuple[Edit, str]] = []  # (edit as the finding holds it, earlier rule)
        for held, e in edits:
            for a in done:
                if (
                    e.start_offset == a.start
                    and e.end_offset == a.start + len(a.inserted)
                    and e.text == a.removed
                    and a.inserted != a.removed
                ):
                    undoing.append((held, a.rule))
        out = []
        for f in owners:
            rules = [rule for e, rule in undoing if f.fix and e in f.fix.edits]
            if rules:
                out.append((f, rules[0]))
        return out

    def seen(self, path: str, new_text: str) -> bool:
        return hash(new_text) in self.texts.get(path, set())

    def record(
        self, path: str, text: str, new_text: str, edits: list[Edit], owners: list[Finding]
    ) -> None:
        self.texts.setdefault(path, set()).update((hash(text), hash(new_text)))
        moved = [a for a in (_shifted(a, edits) for a in self.applied.get(path, [])) if a]
        shift = 0
        for e in sorted(edits, key=_edit_order):
            rule = next((f.rule for f in owners if f.fix and _holds(f.fix.edits, e)), "")
            removed = text[e.start_offset : e.end_offset]
            moved.append(_Applied(e.start_offset + shift, e.text, removed, rule))
            shift += len(e.text) - (e.end_offset - e.start_offset)
        self.applied[path] = moved


def _holds(edits: list[Edit], e: Edit) -> bool:
    """Whether a finding's edits include `e` (line breaks may have been converted since)."""
    return any((x.start_offset, x.end_offset) == (e.start_offset, e.end_offset) for x in edits)


def _shifted(a: _Applied, edits: list[Edit]) -> _Applied | None:
    """`a` in the text after `edits` (which index the text before); None if one touches it."""
    start, end = a.start, a.start + len(a.inserted)
    shift = 0
    for e in edits:
        s, t = e.start_offset, e.end_offset
        touches_edge = s < t or start < end  # an insertion into an empty place is not beside it
        if t < start or (t == start and touches_edge):
            shift += len(e.text) - (t - s)
        elif not (s > end or (s == end and touches_edge)):
            return None
    return replace(a, start=start + shift)


def _unfixable(rel: str, raw: bytes | None, text: str | None) -> str | None:
    """Why the edits of `rel` cannot be applied to the bytes its lint pass read, or None."""
    if raw is None or text is None:
        return "the lint did not read this file's bytes; not fixed"
    try:
        if _split_bom(raw)[1] != text:
            return "the file's bytes do not decode to the text that was linted; not fixed"
    except UnicodeDecodeError:
        return "the file is not UTF-8; not fixed"
    return None


def _edit_order(e: Edit) -> tuple[int, int]:
    return (e.start_offset, e.end_offset)


def _key(f: Finding) -> FindingKey:
    return (f.rule, f.path, f.span.start.line, f.span.start.column, f.message)


class FileChanged(Exception):
    """The file on disk no longer holds the bytes the fixes were computed from."""


def write_fixed(out: FixOutcome) -> list[str]:
    """Write changed files atomically; refuse a file whose bytes on disk differ from the bytes the
    lint read (checked right before the rename), a symlink, or a file under a symlinked folder."""
    written = []
    for abspath in out.changed():
        rel = out.rel.get(abspath, abspath)
        refusal = write_refusal(abspath, out.cwd or Path.cwd())  # again: the disk may have moved
        if refusal is not None:
            out.failed.append((rel, refusal))
            continue
        try:
            atomic_write(Path(abspath), out.overlay[abspath], expected=out.originals[abspath])
        except FileChanged:
            out.failed.append((rel, "the file changed since it was read; not written"))
            continue
        except OSError as exc:
            out.failed.append((rel, f"cannot write: {exc.strerror or exc}; the file is unchanged"))
            continue
        written.append(rel)
    return written


def _read_bounded(path: Path, limit: int) -> bytes:
    with open(path, "rb") as fh:
        return fh.read(limit + 1)


def atomic_write(path: Path, data: bytes, expected: bytes | None = None) -> None:
    """Temp file in the same folder + rename; keeps the mode; leaves no temp file on failure.

    With `expected`: the file is read again after the temp file is written and synced, right
    before the rename, and FileChanged is raised (nothing written) unless it still holds exactly
    `expected`. What remains is the time between that read and the rename (no I/O but the rename
    itself), and a writer that keeps the old file open (its later writes go to the replaced file)."""
    st = path.stat()
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".stackalign", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, st.st_mode & 0o7777)
        if expected is not None and _read_bounded(path, len(expected)) != expected:
            raise FileChanged(str(path))
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


def unified_diff_bytes(out: FixOutcome) -> bytes:
    """The diff as the bytes to write: the files' own bytes (and names) exactly, for `git apply`."""
    return unified_diff(out).encode("utf-8", "surrogateescape")


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
            lines.append(f"  {printable(path)}: {by_rule}")
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
