"""Command line: `stackalign lint|rules|explain|targets`. Heavy modules load only inside commands."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import click

from linter import __version__

EXIT_OK, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2
LEVEL_RANK = {"note": 1, "warning": 2, "error": 3}


class UsageFailure(click.ClickException):
    exit_code = EXIT_ERROR

    def format_message(self) -> str:
        """Usage and configuration errors can name the repository's files: never raw escapes."""
        from linter.report.safe_text import printable

        return printable(self.message, keep_newlines=True)


def _parse_targets(values: tuple[str, ...]) -> dict[str, str]:
    from linter.target import TARGET_KEYS

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


def _load_config(config_path: str | None, cwd: Path):
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


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(
    __version__, "--version", prog_name="stackalign", message="%(prog)s %(version)s"
)
def cli() -> None:
    """stackalign: version-aware linter for GitOps repositories that deploy LlamaStack on OpenShift AI."""


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path())
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
    help="rhoai=2.25, odh=..., llamastack=0.2.22 (repeatable).",
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
def lint(
    paths,
    fmt,
    output,
    targets,
    config_path,
    select,
    ignore,
    exclude,
    fail_on,
    no_color,
    fix,
    unsafe_fixes,
    diff,
    sarif_category,
    sarif_include_suppressed,
    baseline_path=None,
    write_baseline_path=None,
):
    """Lint PATHS (default: the current directory)."""
    from linter.discovery import file_kind
    from linter.engine import Options, run
    from linter.knowledge import KnowledgeError
    from linter.rulepack import RulePackError

    clock = [time.perf_counter()]  # imports done; then configuration, rule pack (for TIMING)
    cwd = Path.cwd()
    missing = [p for p in paths if not os.path.lexists(p)]
    if missing:  # a mistyped path in CI must not pass as "no findings"
        raise UsageFailure(f"no such file or directory: {', '.join(missing)}")
    for p in paths:
        if os.path.isfile(p) and file_kind(os.path.basename(p)) is None:
            click.echo(f"stackalign: {p}: not a YAML, Python or shell file; skipped", err=True)
    config = _load_config(config_path, cwd)
    opts = Options(
        paths=list(paths) or ["."],
        target=_parse_targets(targets),
        select=_split(select),
        ignore=_split(ignore),
        exclude=list(exclude),
        config=config,
        cwd=cwd,
    )
    clock.append(time.perf_counter())
    _check_rule_names(opts)
    clock.append(time.perf_counter())
    started = time.time()  # for SARIF's invocation
    try:
        fixed = _fix(opts, unsafe_fixes, diff, fix) if fix or diff else None
        result = fixed if fixed is not None else run(opts)
    except (KnowledgeError, RulePackError) as exc:
        raise UsageFailure(str(exc)) from None
    if write_baseline_path:
        _write_baseline(result, Path(write_baseline_path))
    baselined = _apply_baseline(result, Path(baseline_path)) if baseline_path else 0
    summary = _summary(result)
    if baseline_path:
        summary["baselined"] = baselined
    if fmt == "json":
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
        )
    _emit(text, output)
    if os.environ.get("STACKALIGN_TIMING"):
        click.echo(_timing_table(result, clock), err=True)
    for error in result.errors:  # a rule failed on some file: the report is incomplete
        click.echo(f"stackalign: {_printable(error)}", err=True)
    if result.errors:
        sys.exit(EXIT_ERROR)
    threshold = LEVEL_RANK[fail_on]
    failing = [f for f in result.findings if f.suppressed is None and f.level.rank >= threshold]
    sys.exit(EXIT_FINDINGS if failing else EXIT_OK)


def _timing_table(result, clock: list[float]) -> str:
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


def _fix(opts, unsafe: bool, diff: bool, write: bool):
    """Run the fix loop; print a diff (and exit) or write the files and say what changed.

    Returns the fix loop's last lint (what remains) when the disk now holds exactly what it linted,
    else None (the caller lints again)."""
    from linter.fixes import fix_repository, fix_summary, unified_diff_bytes, write_fixed
    from linter.report.safe_text import printable

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
    click.echo(fix_summary(outcome, written, unsafe), err=True)
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


def _write_baseline(result, path: Path) -> None:
    from linter.baseline import BaselineError, write

    try:
        n = write(path, result.findings)
    except BaselineError as exc:
        raise UsageFailure(str(exc)) from None
    click.echo(f"Wrote a baseline of {n} finding{'s' if n != 1 else ''} to {path}", err=True)
    sys.exit(EXIT_OK)


def _apply_baseline(result, path: Path) -> int:
    """Drop the findings the baseline records; returns how many it hid."""
    from linter.baseline import BaselineError, filter_new, load

    try:
        known = load(path)
    except BaselineError as exc:
        raise UsageFailure(str(exc)) from None
    result.findings, hidden = filter_new(result.findings, known)
    return hidden


def _split(values) -> list[str]:
    return [v.strip() for item in values for v in item.split(",") if v.strip()]


def _check_rule_names(opts) -> None:
    from linter.engine import load_pack
    from linter.knowledge import KnowledgeError
    from linter.rulepack import RulePackError

    try:
        _, rules = load_pack(opts)
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


def _emit(text: str, output: str | None) -> None:
    if output:
        Path(output).write_text(text, encoding="utf-8")
    else:
        click.echo(text, nl=False)


def _summary(result) -> dict:
    active = [f for f in result.findings if f.suppressed is None]
    return {
        "files": result.files,
        "parsed": result.parsed,
        "findings": len(active),
        "fixable": sum(1 for f in active if f.fix is not None),
        "suppressed": len(result.findings) - len(active),
    }


def _sarif(result, cwd: Path, started: float, category: str, include_suppressed: bool) -> str:
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


def _hashed_texts(result, cwd: Path) -> dict[str, str]:
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


def _target_line(result) -> str:
    t = result.target
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
def rules_cmd():
    """List the rules: id, name, level, what each finds."""
    from linter.engine import Options, load_pack

    _, rules = load_pack(Options())
    width = max(len(r.name) for r in rules)
    for r in rules:
        click.echo(f"{r.id}  {r.name:<{width}}  {r.level.value:<7}  {r.summary}")


@cli.command()
@click.argument("rule_id")
def explain(rule_id: str):
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
def targets(path: str):
    """The compatibility matrix, and what PATH (default: .) is detected as."""
    from linter.engine import Options, load_pack, run

    kb, rules = load_pack(Options())
    click.echo("RHOAI   LlamaStack       operator  ConfigMap key  trustyai_fms  distribution")
    for r in kb.platform("rhoai").releases:
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
@click.argument("path", required=False, default=".", type=click.Path(exists=True, file_okay=False))
@click.option("--force", is_flag=True, help="Overwrite an existing .stackalign.yaml.")
def init(path: str, force: bool):
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


def _watched() -> bool:
    """STACKALIGN_DEBUG=1, a profiler or a tracer (coverage): they need the normal exit (their
    report is written at exit)."""
    return bool(os.environ.get("STACKALIGN_DEBUG") or sys.getprofile() or sys.gettrace())


def entry() -> None:
    """The `stackalign` command and `python -m linter`: main(), then an exit without the
    interpreter's teardown, which frees every object one by one (~20 ms, a tenth of a one-file
    run). Safe for a process that ends here: the output is flushed below, every file stackalign
    writes was closed (or atomically renamed) where it was written, and nothing registers exit
    handlers. In-process callers use main(), which raises SystemExit as usual; so do debugging,
    profiling and coverage runs (see _watched)."""
    try:
        main()
    except SystemExit as done:
        if not isinstance(done.code, int) or _watched():
            raise
        code = done.code
    else:
        code = EXIT_OK
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except OSError:  # e.g. `stackalign lint | head` closed the pipe: nothing more to say
            pass
    os._exit(code)
