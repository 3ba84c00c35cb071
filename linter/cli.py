"""Command line: `stackalign lint|rules|explain|targets`. Heavy modules load only inside commands."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypedDict, TypeVar

import click

from linter import __version__

if TYPE_CHECKING:
    from linter.config import Config
    from linter.fixes import FixOutcome
    from linter.knowledge import KnowledgeBase
    from linter.model import Finding
    from linter.options import Options, RunResult
    from linter.rulepack import Rule
    from linter.upgrade.migrate import Upgrade

#: a click command callback (or command) that decorators wrap
_Command = TypeVar("_Command", bound=Callable[..., Any])

EXIT_OK, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2
LEVEL_RANK = {"note": 1, "warning": 2, "error": 3}


class _NamedPath(click.Path):
    """A PATHS argument: completed as a path, taken as given. click.Path stats every name to check
    what this command does not ask (exists, file_okay), and pre-commit passes thousands; `lint`
    checks that each exists (one lstat)."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        return os.fsdecode(value) if isinstance(value, bytes) else value


class UsageFailure(click.ClickException):
    exit_code = EXIT_ERROR

    def format_message(self) -> str:
        """Usage and configuration errors can name the repository's files: never raw escapes."""
        from linter.report.safe_text import printable

        return printable(self.message, keep_newlines=True)


def _parse_targets(values: tuple[str, ...]) -> dict[str, str]:
    from linter.model import TARGET_KEYS

    out: dict[str, str] = {}
    for v in values:
        key, sep, version = v.partition("=")
        key = key.strip().lower()
        if not sep or not version.strip():
            raise UsageFailure(f"--target {v!r}: expected KEY=VERSION, e.g. rhoai=2.25")
        if key not in TARGET_KEYS:
            raise UsageFailure(f"--target {v!r}: KEY must be one of {', '.join(TARGET_KEYS)}")
        out[key] = version.strip()
    return out


def _load_config(config_path: str | None, cwd: Path) -> Config | None:
    from linter.config import ConfigError, find_config, load_config
    from linter.discovery import find_project_root

    path = Path(config_path) if config_path else find_config(find_project_root(cwd) or cwd)
    if path is None:
        return None
    try:
        return load_config(path)
    except ConfigError as exc:
        raise UsageFailure(f"configuration error: {exc}") from None


def _use_color(no_color: bool, output: str | None) -> bool:
    if no_color or output or os.environ.get("NO_COLOR") is not None:
        return False
    return sys.stdout.isatty()


# -- conventions of ruff users: --exit-zero, --quiet, --statistics, --show-fixes, stdin ------------
STATISTICS_FORMATS = ("text", "json")


def _ruff_conventions(command: _Command) -> _Command:
    """The options `ruff check` users reach for, with the same meaning, plus `--sarif-output`
    (semgrep's name) so that one run writes SARIF beside what `--format` prints."""
    options = [
        click.option(
            "--exit-zero", is_flag=True, help="Exit 0 even when findings are reported (errors: 2)."
        ),
        click.option(
            "--quiet", "-q", is_flag=True, help="Print the findings and nothing else (no summary)."
        ),
        click.option(
            "--statistics",
            is_flag=True,
            help="Print how many findings each rule has instead of the findings (text or json).",
        ),
        click.option(
            "--show-fixes",
            is_flag=True,
            help="Show the lines each fix would change; with --fix, list every fix applied.",
        ),
        click.option(
            "--stdin-filename",
            metavar="PATH",
            help="Lint stdin (PATHS `-`) as the file PATH of this repository; with --fix, print "
            "the fixed text to stdout.",
        ),
        click.option(
            "--sarif-output",
            type=click.Path(dir_okay=False),
            metavar="FILE",
            help="Also write the SARIF report of this run to FILE.",
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


@dataclass(frozen=True)
class StdinFile:
    """Text read from stdin that stands for one file of the repository."""

    path: str  # as named by --stdin-filename, normalized (relative to the working directory)
    key: str  # the absolute path the engine reads it under (Options.overlay)
    data: bytes


def _stdin_file(paths: tuple[str, ...], stdin_filename: str | None, cwd: Path) -> StdinFile | None:
    """`lint - --stdin-filename PATH` (or `--stdin-filename PATH` alone): the bytes of stdin, linted
    as PATH with the rest of the repository as context; None when PATHS are files on disk."""
    from linter.discovery import MAX_FILE_BYTES, file_kind, overlay_key

    reads = paths == ("-",) or (not paths and stdin_filename is not None)
    if not reads:
        if "-" in paths:
            raise UsageFailure("`-` (stdin) cannot be combined with other paths")
        if stdin_filename is not None:
            raise UsageFailure("--stdin-filename names the text read from stdin: pass `-` as PATHS")
        return None
    if not stdin_filename:
        raise UsageFailure(
            "reading stdin (`-`) needs --stdin-filename PATH: the file of the repository it stands for"
        )
    if file_kind(os.path.basename(stdin_filename)) is None:
        raise UsageFailure(f"--stdin-filename {stdin_filename}: not a YAML, Python or shell file")
    if os.path.isdir(stdin_filename):
        raise UsageFailure(f"--stdin-filename {stdin_filename}: is a directory")
    rel = os.path.normpath(stdin_filename)
    data = sys.stdin.buffer.read(MAX_FILE_BYTES + 1)
    return StdinFile(rel, overlay_key(cwd / rel), data)


def _fix_stdin(opts: Options, stdin: StdinFile, unsafe: bool, diff: bool) -> RunResult:
    """`lint - --fix`: the fixed text to stdout (the text unchanged when nothing applies), like
    ruff; `lint - --diff`: the diff, exit 1 if there is one. Nothing is written to disk. Returns
    the lint of the fixed text."""
    from linter.fixes import fix_repository, unified_diff

    outcome = fix_repository(opts, unsafe=unsafe, given={stdin.key: stdin.data})
    outcome.rel.setdefault(stdin.key, stdin.path)
    for path, reason in outcome.failed:
        click.echo(f"stackalign: fix not applied to {path}: {reason}", err=True)
    others = sorted(outcome.rel.get(p, p) for p in outcome.changed() if p != stdin.key)
    if others and not diff:
        click.echo(
            f"stackalign: fixes that edit other files are not applied when reading stdin: "
            f"{', '.join(others)}",
            err=True,
        )
    if diff:
        text = unified_diff(outcome)
        click.echo(text, nl=False)
        sys.exit(EXIT_FINDINGS if text else EXIT_OK)
    sys.stdout.flush()
    sys.stdout.buffer.write(outcome.overlay.get(stdin.key, stdin.data))
    sys.stdout.buffer.flush()
    assert outcome.result is not None  # fix_repository lints at least once
    return outcome.result


def _check_targets(opts: Options) -> None:
    """A `--target` the knowledge base does not know is a usage error (exit 2) that names the
    closest release it knows. A target read from the configuration or detected in the repository
    stays an SA002 finding, at the place that names it."""
    if not opts.target:
        return
    from linter.options import load_pack
    from linter.target import target_from_setting

    kb, _ = load_pack(opts)
    target = target_from_setting(opts.target, "--target", kb)
    if target is None or not target.unknown:
        return
    for key, version in opts.target.items():
        problem = _unknown_target(kb, key, version, opts.target)
        if problem:
            raise UsageFailure(f"--target {key}={version}: {problem}")


def _unknown_target(kb: KnowledgeBase, key: str, version: str, given: dict[str, str]) -> str | None:
    """Why one KEY=VERSION of --target cannot be judged, naming the closest known release."""
    from linter.versions import try_parse

    if key == "llamastack":
        if try_parse(version) is not None and version.lstrip("v") in kb.llamastack_releases:
            return None
        closest = kb.closest_llamastack(version)
        hint = (
            f"; the closest known is {closest} (--target llamastack={closest})" if closest else ""
        )
        return f"LlamaStack {version} is not a release the knowledge base knows{hint}"
    if kb.release(key, version) is not None:
        return None
    name = key.upper()
    known = kb.known_releases(key)
    if not known:
        if "llamastack" in given:  # what the platform's note asks for: judged by that version
            return None
        platform = kb.platform(key)
        note = platform.note if platform is not None and platform.note else ""
        return f"the knowledge base has no verified {name} releases. {note}".rstrip()
    closest = kb.closest_release(key, version)
    return (
        f"{name} {version} is not in the knowledge base (known: {', '.join(known)}); "
        f"the closest known release is {closest} (--target {key}={closest})"
    )


def _fixable_counts(active: list[Finding], unsafe: bool) -> tuple[int, int]:
    """(what `--fix` would fix, what only `--unsafe-fixes` would add) among unsuppressed findings."""
    safe = sum(1 for f in active if f.fix is not None and f.fix.applicability == "safe")
    unsafe_only = sum(1 for f in active if f.fix is not None and f.fix.applicability == "unsafe")
    return (safe + unsafe_only, 0) if unsafe else (safe, unsafe_only)


class _RuleCount(TypedDict):
    """One row of `--statistics` (and of its JSON)."""

    rule: str
    name: str
    count: int
    fixable: bool


def _statistics(result: RunResult, fmt: str, unsafe: bool, footer: dict[str, int] | None) -> str:
    """`--statistics`: findings per rule, most frequent first (flake8's and ruff's layout:
    count, rule, `[*]` when `--fix` fixes some of them, name); `footer`: the summary to close the
    text with (None: `--quiet`)."""
    import json

    from linter.report import text as text_report

    active = [f for f in result.findings if f.suppressed is None]
    rows: dict[str, _RuleCount] = {}
    for f in active:
        row = rows.setdefault(f.rule, _RuleCount(rule=f.rule, name=f.name, count=0, fixable=False))
        row["count"] += 1
        row["fixable"] |= _fixable_counts([f], unsafe)[0] > 0
    ordered = sorted(rows.values(), key=lambda r: (-r["count"], r["rule"]))
    if fmt == "json":
        return json.dumps(ordered, indent=2) + "\n"
    lines = []
    if ordered:
        count_width = len(str(ordered[0]["count"]))
        rule_width = max(len(r["rule"]) for r in ordered)
        marks = any(r["fixable"] for r in ordered)
        for r in ordered:
            mark = ("[*] " if r["fixable"] else "[ ] ") if marks else ""
            lines.append(
                f"{r['count']:>{count_width}}\t{r['rule']:<{rule_width}}\t{mark}{r['name']}"
            )
    if footer is not None:
        lines.append(text_report.footer(result.findings, _target_line(result), footer))
    return "".join(line + "\n" for line in lines)


def _fixed_findings(applied: list[Finding], written: set[str]) -> str:
    """`--fix --show-fixes`: every fix applied to a file that was written, where its finding was
    (before the fix) and what the fix did."""
    from linter.report.safe_text import printable

    lines = []
    for f in sorted(applied, key=lambda f: f.sort_key()):
        if f.fix is None or not any(e.path in written for e in f.fix.edits):
            continue
        where = f"{printable(f.path)}:{f.span.start.line}:{f.span.start.column}"
        lines.append(f"  {where}: {f.rule} ({f.fix.applicability}) {f.fix.description}")
    if not lines:
        return ""
    return "Fixes applied (positions before the fix):\n" + "".join(line + "\n" for line in lines)


def _write_sarif_output(path: Path, text: str) -> None:
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise UsageFailure(f"--sarif-output {path}: cannot write: {exc.strerror or exc}") from None


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(
    __version__, "--version", prog_name="stackalign", message="%(prog)s %(version)s"
)
def cli() -> None:
    """stackalign: version-aware linter for GitOps repositories that deploy LlamaStack on OpenShift AI."""


@cli.command()
@click.argument("paths", nargs=-1, type=_NamedPath())
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "sarif", "github"]),
    default="text",
    show_default=True,
)
@click.option("--output", "-o", type=click.Path(dir_okay=False), help="Write the report to FILE.")
@click.option(
    "--target",
    "targets",
    multiple=True,
    metavar="KEY=VERSION",
    help="rhoai=2.25 or llamastack=0.2.22 (repeatable); `stackalign targets` lists the releases.",
)
@click.option(
    "--config",
    "config_path",
    type=click.Path(exists=True, dir_okay=False),
    help="Configuration file (default: .stackalign.yaml at the repository root).",
)
@click.option(
    "--select",
    multiple=True,
    help="Only these rules (ids, prefixes or names; repeatable, comma-separated).",
)
@click.option("--ignore", multiple=True, help="Skip these rules (ids, prefixes or names).")
@click.option("--exclude", multiple=True, help="Glob of paths to skip (repeatable).")
@click.option(
    "--no-respect-gitignore",
    "no_gitignore",
    is_flag=True,
    help="Also lint files that .gitignore (and .git/info/exclude) ignore.",
)
@click.option(
    "--fail-on",
    type=click.Choice(["error", "warning", "note"]),
    default="warning",
    show_default=True,
    help="Lowest level that makes the exit code 1.",
)
@click.option("--no-color", is_flag=True, help="Never colour the output.")
@click.option(
    "--sarif-category",
    default="stackalign/",
    show_default=True,
    help="SARIF automationDetails.id (the code scanning category).",
)
@click.option(
    "--sarif-include-suppressed",
    is_flag=True,
    help="Keep suppressed findings in SARIF (with suppressions[]); GitHub shows them as open.",
)
@click.option("--fix", is_flag=True, help="Apply safe fixes, then report what remains.")
@click.option("--unsafe-fixes", is_flag=True, help="With --fix or --diff: also apply unsafe fixes.")
@click.option(
    "--diff", is_flag=True, help="Print the fixes as a unified diff; write nothing (exit 1 if any)."
)
@click.option(
    "--baseline",
    "baseline_path",
    type=click.Path(dir_okay=False),
    help="Report only findings whose fingerprint is not in this baseline FILE.",
)
@click.option(
    "--write-baseline",
    "write_baseline_path",
    type=click.Path(dir_okay=False),
    help="Record the current findings in FILE (by fingerprint) and exit 0.",
)
@_ruff_conventions
def lint(
    paths: tuple[str, ...],
    fmt: str,
    output: str | None,
    targets: tuple[str, ...],
    config_path: str | None,
    select: tuple[str, ...],
    ignore: tuple[str, ...],
    exclude: tuple[str, ...],
    fail_on: str,
    no_color: bool,
    fix: bool,
    unsafe_fixes: bool,
    diff: bool,
    sarif_category: str,
    sarif_include_suppressed: bool,
    baseline_path: str | None = None,
    write_baseline_path: str | None = None,
    no_gitignore: bool = False,
    exit_zero: bool = False,
    quiet: bool = False,
    statistics: bool = False,
    show_fixes: bool = False,
    stdin_filename: str | None = None,
    sarif_output: str | None = None,
) -> None:
    """Lint PATHS (default: the current directory); `-` reads one file from stdin."""
    from linter.discovery import file_kind
    from linter.options import Options
    from linter.rulepack import RulePackError
    from linter.runcache import run_shared
    from linter.validation import KnowledgeError

    clock = [time.perf_counter()]  # imports done; then configuration, rule pack (for TIMING)
    cwd = Path.cwd()
    stdin = _stdin_file(paths, stdin_filename, cwd)
    if stdin is not None:
        paths = (stdin.path,)
    missing = [p for p in paths if not os.path.lexists(p)] if stdin is None else []
    if missing:  # a mistyped path in CI must not pass as "no findings"
        raise UsageFailure(f"no such file or directory: {', '.join(missing)}")
    for p in paths:
        if file_kind(os.path.basename(p)) is None and os.path.isfile(p) and not quiet:
            click.echo(f"stackalign: {p}: not a YAML, Python or shell file; skipped", err=True)
    if statistics and fmt not in STATISTICS_FORMATS:
        raise UsageFailure(f"--statistics prints {' or '.join(STATISTICS_FORMATS)}, not {fmt}")
    config = _load_config(config_path, cwd)
    opts = Options(
        paths=list(paths) or ["."],
        target=_parse_targets(targets),
        select=_split(select),
        ignore=_split(ignore),
        exclude=list(exclude),
        config=config,
        cwd=cwd,
        respect_gitignore=not no_gitignore,
    )
    if stdin is not None:
        opts.overlay = {stdin.key: stdin.data}
    clock.append(time.perf_counter())
    _check_rule_names(opts)
    _check_targets(opts)
    clock.append(time.perf_counter())
    started = time.time()  # for SARIF's invocation
    try:
        if stdin is not None and (fix or diff):
            result = _fix_stdin(opts, stdin, unsafe_fixes, diff and not fix)
        else:
            fixed = (
                _fix(opts, unsafe_fixes, diff, fix, quiet=quiet, show_fixes=show_fixes)
                if fix or diff
                else None
            )
            result = fixed if fixed is not None else run_shared(opts)
    except (KnowledgeError, RulePackError) as exc:
        raise UsageFailure(str(exc)) from None
    if write_baseline_path:
        _write_baseline(result, Path(write_baseline_path))
    baselined = _apply_baseline(result, Path(baseline_path)) if baseline_path else 0
    summary = _summary(result, unsafe_fixes)
    if baseline_path:
        summary["baselined"] = baselined
    if statistics:
        text = _statistics(result, fmt, unsafe_fixes, footer=None if quiet else summary)
    elif fmt == "json":
        from linter.report import json as json_report

        text = json_report.render(result.findings, result.target.as_json(), summary)
    elif fmt == "sarif":
        text = _sarif(result, cwd, started, sarif_category, sarif_include_suppressed)
    elif fmt == "github":
        from linter.report import github as github_report

        text = github_report.render(result.findings)
    else:
        from linter.report import text as text_report

        text = text_report.render(
            result.findings,
            result.workspace.file_texts,
            _target_line(result),
            summary,
            color=_use_color(no_color, output),
            footer=not quiet,
            show_fixes=show_fixes,
        )
    _emit(text, output, to_stderr=stdin is not None and fix)
    if sarif_output:
        _write_sarif_output(
            Path(sarif_output),
            _sarif(result, cwd, started, sarif_category, sarif_include_suppressed),
        )
    if os.environ.get("STACKALIGN_TIMING"):
        click.echo(_timing_table(result, clock), err=True)
    for error in result.errors:  # a rule failed on some file: the report is incomplete
        click.echo(f"stackalign: {_printable(error)}", err=True)
    if result.errors:
        sys.exit(EXIT_ERROR)
    threshold = LEVEL_RANK[fail_on]
    failing = [f for f in result.findings if f.suppressed is None and f.level.rank >= threshold]
    sys.exit(EXIT_FINDINGS if failing and not exit_zero else EXIT_OK)


def _timing_table(result: RunResult, clock: list[float]) -> str:
    """STACKALIGN_TIMING=1: where the time went (like ESLint's TIMING), slowest rules first.

    `clock`: when the imports were done, the configuration read and the rule pack loaded."""
    from linter import STARTED

    now = time.perf_counter()
    imported, configured, packed = clock
    phases = [(n, s) for n, s in result.timings if not n.startswith("SA") and s >= 0.00005]
    rules = sorted((r for r in result.timings if r[0].startswith("SA")), key=lambda r: -r[1])
    accounted = sum(secs for _, secs in result.timings)
    rows = [
        ("imports (click, PyYAML, stackalign)", imported - STARTED),
        ("configuration", configured - imported),
        ("rule pack and knowledge base", packed - configured),
        *phases,
        *[(f"  {name}", secs) for name, secs in rules],
        ("report", now - packed - accounted),
        ("total since stackalign was imported", now - STARTED),
    ]
    width = max(len(name) for name, _ in rows)
    head = f"stackalign timing: {result.files} files, {result.parsed} parsed (milliseconds)"
    return "\n".join([head, *(f"{name:<{width}}  {secs * 1000:7.1f}" for name, secs in rows)])


def _fix(
    opts: Options,
    unsafe: bool,
    diff: bool,
    write: bool,
    quiet: bool = False,
    show_fixes: bool = False,
) -> RunResult | None:
    """Run the fix loop; print a diff (and exit) or write the files and say what changed.

    Returns the fix loop's last lint (what remains) when the disk now holds exactly what it linted,
    else None (the caller lints again)."""
    from linter.fixes import (
        FixOutcome,
        fix_repository,
        fix_summary,
        select_edits,
        unified_diff_bytes,
        write_fixed,
    )
    from linter.report.safe_text import printable
    from linter.runcache import shared_result

    outcome = None
    if write and not diff:  # the fix hook under `pre-commit run --all-files`
        served = shared_result(opts, fixing=True)
        if served is not None and not select_edits([f for f in served.findings if f.fix], unsafe):
            # the fix loop's first pass would choose nothing, and stop there
            outcome = FixOutcome(cwd=opts.cwd, result=served, initial=served)
    if outcome is None:
        outcome = fix_repository(opts, unsafe=unsafe)
    opts.overlay = None
    if diff and not write:
        for path, reason in outcome.failed:
            click.echo(f"stackalign: fix not applied to {printable(path)}: {reason}", err=True)
        patch = unified_diff_bytes(outcome)
        _write_diff(patch)
        sys.exit(EXIT_FINDINGS if patch else EXIT_OK)
    written = write_fixed(outcome)  # may add failures (files changed on disk meanwhile)
    for path, reason in outcome.failed:
        click.echo(f"stackalign: fix not applied to {printable(path)}: {reason}", err=True)
    if not quiet:
        click.echo(fix_summary(outcome, written, unsafe), err=True)
    if show_fixes:
        click.echo(_fixed_findings(outcome.applied, set(written)), err=True, nl=False)
    all_written = set(written) == {outcome.rel.get(p, p) for p in outcome.changed()}
    return outcome.result if all_written else None


def _write_diff(patch: bytes) -> None:
    """The diff's bytes exactly as they are (click.echo would strip `ESC[...m` from a pipe, and
    `git apply` would then fail); on a terminal, control characters from the files are escaped."""
    stream = sys.stdout.buffer
    if sys.stdout.isatty():
        from linter.report.safe_text import printable

        text = patch.decode("utf-8", "surrogateescape")
        patch = printable(text, keep_newlines=True).encode("utf-8")
    sys.stdout.flush()
    stream.write(patch)
    stream.flush()


def _write_baseline(result: RunResult, path: Path) -> None:
    from linter.baseline import BaselineError, write

    try:
        n = write(path, result.findings)
    except BaselineError as exc:
        raise UsageFailure(str(exc)) from None
    click.echo(f"Wrote a baseline of {n} finding{'s' if n != 1 else ''} to {path}", err=True)
    sys.exit(EXIT_OK)


def _apply_baseline(result: RunResult, path: Path) -> int:
    """Drop the findings the baseline records; returns how many it hid."""
    from linter.baseline import BaselineError, filter_new, load

    try:
        known = load(path)
    except BaselineError as exc:
        raise UsageFailure(str(exc)) from None
    result.findings, hidden = filter_new(result.findings, known)
    return hidden


def _split(values: Iterable[str]) -> list[str]:
    return [v.strip() for item in values for v in item.split(",") if v.strip()]


def _check_rule_names(opts: Options) -> None:
    from linter.options import load_rules_of
    from linter.rulepack import RulePackError
    from linter.validation import KnowledgeError

    try:
        rules = load_rules_of(opts)
    except (KnowledgeError, RulePackError) as exc:
        raise UsageFailure(str(exc)) from None
    known = {r.id for r in rules} | {r.name for r in rules}
    for sel in opts.select + opts.ignore:
        if sel not in known and not any(r.id.startswith(sel) for r in rules):
            raise UsageFailure(f"unknown rule {sel!r} (see `stackalign rules`)")
    if opts.config is not None:
        from linter.config import unknown_rule_errors

        errors = unknown_rule_errors(opts.config, known, [r.id for r in rules])
        if errors:
            raise UsageFailure("configuration error: " + "\n".join(errors))


def _emit(text: str, output: str | None, to_stderr: bool = False) -> None:
    if output:
        Path(output).write_text(text, encoding="utf-8")
    else:
        click.echo(text, nl=False, err=to_stderr)


def _summary(result: RunResult, unsafe: bool = False) -> dict[str, int]:
    """Counts for the footer and the JSON summary. `fixable`: the findings `--fix` would fix (with
    `--unsafe-fixes`, that includes unsafe fixes); `unsafe_fixable`: the others that only
    `--unsafe-fixes` would fix."""
    active = [f for f in result.findings if f.suppressed is None]
    fixable, unsafe_only = _fixable_counts(active, unsafe)
    return {
        "files": result.files,
        "parsed": result.parsed,
        "findings": len(active),
        "fixable": fixable,
        "unsafe_fixable": unsafe_only,
        "suppressed": len(result.findings) - len(active),
    }


def _sarif(
    result: RunResult, cwd: Path, started: float, category: str, include_suppressed: bool
) -> str:
    import shlex
    from datetime import datetime, timezone

    from linter.report import sarif

    meta = sarif.RunMetadata(
        target=result.target.as_json(),
        rules=result.rules,
        command_line=shlex.join(["stackalign", *sys.argv[1:]]),
        working_directory=cwd,
        start_time=datetime.fromtimestamp(started, timezone.utc),
        end_time=datetime.now(timezone.utc),
        file_texts=_hashed_texts(result, cwd),
        category=category,
        include_suppressed=include_suppressed,
    )
    return sarif.render(result.findings, meta)


def _hashed_texts(result: RunResult, cwd: Path) -> dict[str, str]:
    """What upload-sarif hashes for each reported file: its bytes as UTF-8, BOM kept."""
    texts: dict[str, str] = {}
    for path in {f.path for f in result.findings}:
        try:
            texts[path] = (cwd / path).read_bytes().decode("utf-8", errors="replace")
        except OSError:
            if path in result.workspace.file_texts:
                texts[path] = result.workspace.file_texts[path]
    return texts


def _printable(text: str) -> str:
    from linter.report.safe_text import printable

    return printable(text, keep_newlines=True)


def _target_line(result: RunResult) -> str:
    from linter.options import NOT_READ

    t = result.target
    if not t.platform and t.source == NOT_READ:
        return f"Target: not looked for ({t.note})"
    if not t.platform and t.unknown:
        return f"Target: unknown (from {t.source}: {t.note})"
    if not t.platform:
        return (
            "Target: none detected (pass --target rhoai=2.25 or set `target:` in .stackalign.yaml)"
        )
    line = f"Target: {t.label} (from {t.source})"
    if t.llamastack:
        line += f", LlamaStack {t.llamastack}"
    if t.unknown:
        line += " [not in the knowledge base]"
    if t.alternatives:
        line += "; also found: " + "; ".join(t.alternatives)
    return _printable(line)  # file names from the repository: never terminal escapes


@cli.command("rules")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="json: id, name, level, summary and fix (availability, applicability) of each rule.",
)
def rules_cmd(fmt: str = "text") -> None:
    """List the rules: id, name, level, what each finds."""
    from linter.engine import Options, load_pack

    _, rules = load_pack(Options())
    if fmt == "json":
        click.echo(_rules_json(rules), nl=False)
        return
    width = max(len(r.name) for r in rules)
    for r in rules:
        click.echo(f"{r.id}  {r.name:<{width}}  {r.level.value:<7}  {r.summary}")


def _rules_json(rules: list[Rule]) -> str:
    """`rules --format json`: what a rule is and whether its findings come with fixes (ruff's
    "fix is always / sometimes / never available"), and how safe those fixes are."""
    import json

    doc = [
        {
            "id": r.id,
            "name": r.name,
            "level": r.level.value,
            "summary": r.summary,
            "fix": {
                "availability": r.fix.availability,
                "applicability": list(r.fix.applicability),
                "runtime_keyed": r.fix.runtime_keyed,
            },
        }
        for r in rules
    ]
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


@cli.command()
@click.argument("rule_id")
def explain(rule_id: str) -> None:
    """Show a rule's documentation and examples."""
    from linter.engine import Options, load_pack

    _, rules = load_pack(Options())
    match = [r for r in rules if r.id == rule_id.upper() or r.name == rule_id]
    if not match:
        raise UsageFailure(f"unknown rule {rule_id!r} (see `stackalign rules`)")
    r = match[0]
    click.echo(f"{r.id} {r.name} ({r.level.value})\n\n{r.summary}\n")
    click.echo(r.help.rstrip() + "\n")
    click.echo("## Examples (run by the test suite)\n")
    for ex in r.examples:
        target = ", ".join(f"{k}={v}" for k, v in ex.target.items()) or "detected"
        click.echo(f"### {ex.kind}: {ex.description} (target: {target})")
        for name, content in ex.files.items():
            click.echo(f"--- {name}")
            click.echo(content.rstrip("\n"))
        for e in ex.expect:
            click.echo(f"=> {e.rule or r.id} at {e.path}:{e.line}:{e.column}")
        click.echo("")


@cli.command()
@click.argument("path", required=False, default=".", type=click.Path(exists=True, file_okay=False))
def targets(path: str) -> None:
    """The compatibility matrix, and what PATH (default: .) is detected as."""
    from linter.engine import Options, load_pack, run

    kb, rules = load_pack(Options())
    rhoai = kb.platform("rhoai")
    assert rhoai is not None  # the built-in knowledge base (the only one loaded here) has RHOAI
    click.echo("RHOAI   LlamaStack       operator  ConfigMap key  trustyai_fms  distribution")
    for r in rhoai.releases:
        click.echo(
            f"{r.version:<7} {r.llamastack:<16} {r.operator:<9} {r.config_key:<14} "
            f"{r.trustyai_fms or '-':<13} {', '.join(r.distribution_names)}"
        )
        if r.llamastack_note:
            click.echo(f"        note: {r.llamastack_note}")
    cwd = Path.cwd()
    config = _load_config(None, cwd)
    result = run(
        Options(paths=[path], config=config, cwd=cwd, select=["SA002"]),
        kb=kb,
        rules=[x for x in rules if x.id == "SA002"],
    )
    click.echo("")
    click.echo(f"Detected in {path}: " + _target_line(result).removeprefix("Target: "))
    if result.target.note:
        click.echo(f"  ({_printable(result.target.note)})")


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path(exists=True))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "dot", "mermaid"]),
    default="text",
    show_default=True,
)
@click.option("--target", "targets", multiple=True, metavar="KEY=VERSION", help="As for `lint`.")
@click.option("--output", "-o", type=click.Path(dir_okay=False), help="Write the graph to FILE.")
def graph(paths: tuple[str, ...], fmt: str, targets: tuple[str, ...], output: str | None) -> None:
    """The deployment model of PATHS (default: .): LlamaStack servers and their versions, the run
    configs each reads and the clients that call it, with the evidence for every edge."""
    from linter.engine import Options, run
    from linter.report.graph import render

    cwd = Path.cwd()
    opts = Options(
        paths=list(paths) or ["."],
        target=_parse_targets(targets),
        config=_load_config(None, cwd),
        cwd=cwd,
        select=["SA0"],  # the model is built whatever the selection; no rule needs to run
    )
    result = run(opts)
    assert result.model is not None  # run() always builds the deployment model
    from linter.report.safe_text import safe_output

    _emit(safe_output(render(result.model, fmt), fmt), output)


@cli.command()
@click.argument("path", required=False, default=".", type=click.Path(exists=True, file_okay=False))
@click.option("--force", is_flag=True, help="Overwrite an existing .stackalign.yaml.")
def init(path: str, force: bool) -> None:
    """Write a commented .stackalign.yaml in PATH (default: .) with the detected target."""
    from linter.config import CONFIG_NAMES, ConfigError, init_text, write_config_file
    from linter.engine import Options, load_pack, run

    root = Path(path)
    existing = [root / n for n in CONFIG_NAMES if os.path.lexists(root / n)]  # dangling links too
    if existing and not force:
        raise UsageFailure(f"{existing[0]} already exists (use --force to overwrite it)")
    kb, rules = load_pack(Options())
    sa002 = [r for r in rules if r.id == "SA002"]
    result = run(Options(paths=[path], cwd=Path.cwd(), select=["SA002"]), kb=kb, rules=sa002)
    out = root / CONFIG_NAMES[0]
    try:
        write_config_file(out, init_text(result.target), force)
    except ConfigError as exc:
        raise UsageFailure(str(exc)) from None
    click.echo(f"Wrote {out} (" + _target_line(result).removeprefix("Target: ") + ")")


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path())
@click.option(
    "--to",
    "to",
    required=True,
    metavar="KEY=VERSION",
    help="The release to upgrade to: rhoai=3.2 or llamastack=0.3.5.",
)
@click.option(
    "--from",
    "frm",
    metavar="KEY=VERSION",
    help="The release it runs now (default: the target detected, as `lint` does).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "markdown"]),
    default="text",
    show_default=True,
    help="markdown: for a pull request description.",
)
@click.option("--output", "-o", type=click.Path(dir_okay=False), help="Write the plan to FILE.")
@click.option(
    "--config",
    "config_path",
    type=click.Path(exists=True, dir_okay=False),
    help="Configuration file (default: .stackalign.yaml at the repository root).",
)
@click.option("--exclude", multiple=True, help="Glob of paths to skip (repeatable).")
@click.option("--fix", is_flag=True, help="Apply the migration, then print the plan.")
@click.option("--diff", is_flag=True, help="Print the migration as a unified diff; write nothing.")
def upgrade(
    paths: tuple[str, ...],
    to: str,
    frm: str | None,
    fmt: str,
    output: str | None,
    config_path: str | None,
    exclude: tuple[str, ...],
    fix: bool,
    diff: bool,
) -> None:
    """Plan an upgrade of PATHS (default: .): what it breaks, resolves and leaves, with the fix
    for each; --fix applies the migration (exit 1: the upgrade breaks something that is left)."""
    from linter.engine import Options
    from linter.knowledge import KnowledgeError
    from linter.rulepack import RulePackError
    from linter.upgrade.data import MigrationDataError
    from linter.upgrade.migrate import UpgradeError, plan_upgrade
    from linter.upgrade.plan import make_plan

    cwd = Path.cwd()
    missing = [p for p in paths if not os.path.lexists(p)]
    if missing:
        raise UsageFailure(f"no such file or directory: {', '.join(missing)}")
    to_setting = _release_option("--to", to)
    from_setting = _release_option("--from", frm) if frm else None
    opts = Options(
        paths=list(paths) or ["."],
        exclude=list(exclude),
        config=_load_config(config_path, cwd),
        cwd=cwd,
    )
    try:
        up = plan_upgrade(opts, to_setting, from_setting)
    except (UpgradeError, KnowledgeError, RulePackError, MigrationDataError) as exc:
        raise UsageFailure(str(exc)) from None
    if (
        (fix or diff)
        and up.old.llamastack
        and up.new.llamastack
        and up.new.llamastack < up.old.llamastack
    ):
        raise UsageFailure(
            f"{up.old.label} -> {up.new.label} goes back to an older LlamaStack: the migration only "
            "moves run configs forward (the plan without --fix/--diff still compares the findings)"
        )
    if diff and not fix:
        from linter.fixes import FixOutcome, unified_diff

        text = unified_diff(_outcome(up, FixOutcome()))
        click.echo(text, nl=False)
        sys.exit(EXIT_FINDINGS if text else EXIT_OK)
    plan = make_plan(up)
    if fix:
        from linter.fixes import FixOutcome, write_fixed

        outcome = _outcome(up, FixOutcome())
        written = write_fixed(outcome)
        for path, reason in outcome.failed:
            click.echo(f"stackalign: not migrated: {path}: {reason}", err=True)
        n = len(written)
        click.echo(f"Migrated {n} file{'s' if n != 1 else ''} to {up.new.label}.", err=True)
        if outcome.failed:
            sys.exit(EXIT_ERROR)
    from linter.upgrade import report

    render = {"json": report.render_json, "markdown": report.render_markdown}.get(
        fmt, report.render_text
    )
    from linter.report.safe_text import safe_output

    _emit(safe_output(render(plan), fmt), output)
    for result in (up.before, up.upgraded, up.migrated):
        for error in result.errors:
            click.echo(f"stackalign: {error}", err=True)
    if any(r.errors for r in (up.before, up.upgraded, up.migrated)):
        sys.exit(EXIT_ERROR)
    if fix:
        left = [m for m in plan.manual if m.introduced]
        sys.exit(EXIT_FINDINGS if left else EXIT_OK)
    sys.exit(EXIT_FINDINGS if plan.breaks else EXIT_OK)


def _release_option(flag: str, value: str) -> dict[str, str]:
    """`--to`/`--from` KEY=VERSION, checked like `--target`."""
    try:
        return _parse_targets((value,))
    except UsageFailure as exc:
        raise UsageFailure(exc.message.replace("--target", flag, 1)) from None


def _outcome(up: Upgrade, outcome: FixOutcome) -> FixOutcome:
    """The migration as the lint fix loop's outcome (for its diff and its atomic writes)."""
    for f in up.files:
        outcome.originals[f.abspath] = f.original
        outcome.overlay[f.abspath] = f.new
        outcome.rel[f.abspath] = f.path
    return outcome


def main() -> None:
    try:
        cli(standalone_mode=True)
    except SystemExit:
        raise
    except Exception as exc:  # an internal error: a message and a hint, never a traceback
        click.echo(
            f"stackalign: internal error: {type(exc).__name__}: {exc}\n"
            "This is a bug; please report it with the command you ran (set STACKALIGN_DEBUG=1 for details).",
            err=True,
        )
        if os.environ.get("STACKALIGN_DEBUG"):
            raise
        sys.exit(EXIT_ERROR)


def entry() -> None:
    """The `stackalign` command and `python -m linter`: main(), then stdout flushed while a pipe
    that closed early (`stackalign lint | head`) is not an error."""
    try:
        main()
    finally:
        try:
            sys.stdout.flush()
        except (BrokenPipeError, ValueError):
            # the reader went away: say nothing more (and let the exit not retry the flush)
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - lives until the process ends
