"""discover -> parse once -> resolve target -> run checks -> findings (one direction)."""

from __future__ import annotations

import os
import stat
import time
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path

from linter.checks import CheckContext, load_check
from linter.config import Config, config_selects
from linter.discovery import (
    MAX_FILE_BYTES,
    DiscoveredFile,
    Prefilter,
    Skipped,
    discover,
    find_project_root,
)
from linter.gitcontext import context_files
from linter.knowledge import KnowledgeBase, load_knowledge
from linter.model import Finding, Level
from linter.resources import knowledge_dir, rules_dir
from linter.rulepack import Rule, load_rules
from linter.sources.compiled import may_hold_programs
from linter.sources.decode import decode_bytes, decode_position
from linter.suppressions import POST_CHECKS, apply_suppressions
from linter.target import Target, detect_target, target_from_setting
from linter.workspace import ParseProblem, Workspace


@dataclass
class Options:
    """What to lint and how: the command line and configuration, resolved."""

    paths: list[str] = field(default_factory=lambda: ["."])
    target: dict[str, str] = field(default_factory=dict)
    select: list[str] = field(default_factory=list)
    ignore: list[str] = field(default_factory=list)
    exclude: list[str] = field(default_factory=list)
    config: Config | None = None
    cwd: Path = field(default_factory=Path.cwd)
    overlay: dict[str, bytes] | None = (
        None  # abs path -> content to use instead of the disk (fixes)
    )
    prefilter: bool = (
        True  # False: parse every file of a known kind (tests prove it changes nothing)
    )


@dataclass
class RunResult:
    """The findings of one run with the target, rules and workspace they came from."""

    findings: list[Finding]
    target: Target
    rules: list[Rule]
    workspace: Workspace
    skipped: list[Skipped]
    files: int
    parsed: int
    errors: list[str] = field(default_factory=list)  # internal errors in checks: exit code 2
    timings: list[tuple[str, float]] = field(default_factory=list)  # (phase, seconds), in order


def select_rules(rules: list[Rule], opts: Options) -> list[Rule]:
    cfg = opts.config or Config()
    select = opts.select or cfg.select
    ignore = list(opts.ignore) + list(cfg.ignore)
    out = []
    for rule in rules:
        if select and not any(rule.id.startswith(s) or rule.name == s for s in select):
            continue
        if any(rule.id.startswith(s) or rule.name == s for s in ignore):
            continue
        setting = cfg.rules.get(rule.id) or cfg.rules.get(rule.name)
        if setting and setting.level == "off":
            continue
        if setting and setting.level:
            rule = replace(rule, level=Level(setting.level))
        out.append(rule)
    return out


def load_pack(opts: Options) -> tuple[KnowledgeBase, list[Rule]]:
    cfg = opts.config or Config()
    base = Path(cfg.path).parent if cfg.path else opts.cwd
    knowledge = tuple(_stamped(base / p) for p in cfg.knowledge_files)
    return _load_pack(knowledge, tuple(_stamped(base / p) for p in cfg.rule_files))


def _stamped(path: Path) -> tuple[Path, int]:
    try:
        return path, path.stat().st_mtime_ns
    except OSError:
        return path, -1


@lru_cache(maxsize=8)
def _load_pack(
    knowledge: tuple[tuple[Path, int], ...], rule_files: tuple[tuple[Path, int], ...]
) -> tuple[KnowledgeBase, list[Rule]]:
    """Loaded once per process (the CLI asks twice); extra files are keyed by their mtime.

    The validated pack is also kept in a per-user cache keyed by the version and every data file's
    size and mtime, which saves parsing and validating ~30 YAML files on each start-up.
    """
    from linter import packcache

    key = packcache.key(
        [knowledge_dir(), rules_dir()], [p for p, _ in knowledge] + [p for p, _ in rule_files]
    )
    cached = packcache.load(key)
    if cached is not None:
        return cached
    kb = load_knowledge(knowledge_dir(), [p for p, _ in knowledge])
    rules = load_rules(rules_dir(), [p for p, _ in rule_files])
    packcache.store(key, (kb, rules))
    return kb, rules


def _too_large(size: int) -> str:
    mib = 1024 * 1024
    return f"file is larger than the {MAX_FILE_BYTES // mib} MiB limit ({size / mib:.1f} MiB)"


def run(
    opts: Options, kb: KnowledgeBase | None = None, rules: list[Rule] | None = None
) -> RunResult:
    clock = time.perf_counter
    timings: list[tuple[str, float]] = []
    t = clock()
    if kb is None or rules is None:
        kb, all_rules = load_pack(opts)
        rules = select_rules(all_rules, opts)
    timings.append(("rule pack (in-process cache)", clock() - t))
    t = clock()
    cfg = opts.config or Config()
    cwd = opts.cwd
    requested = [(cwd / p) for p in opts.paths] or [cwd]

    # Context: the whole project when linting files inside one (pre-commit passes file names).
    project = find_project_root(requested[0] if requested[0].is_dir() else requested[0].parent)
    context_roots = requested
    files_mode = all(p.is_file() for p in requested)
    if project is not None and files_mode and all(_inside(p, project) for p in requested):
        context_roots = [project]
    report_roots = [Path(os.path.normpath(p.absolute())) for p in requested]

    exclude = list(opts.exclude) + list(cfg.exclude)
    skipped: list[Skipped] = []
    triggers: dict[str, list[str]] = {}
    lazy: dict[str, list[str]] = {}
    for rule in rules:
        for kind in rule.file_kinds:
            (lazy if rule.lazy else triggers).setdefault(kind, []).extend(rule.triggers_for(kind))
    triggers.setdefault("yaml", []).extend(detection_triggers(kb))
    if not opts.prefilter:
        triggers = {kind: [""] for kind in ("yaml", "python", "shell")}
        lazy = {}
    prefilter = Prefilter(triggers, lazy)
    ws = Workspace(root=str(cwd))

    listed = None
    if files_mode and project is not None and context_roots == [project]:
        searched = {k: triggers.get(k, []) + lazy.get(k, []) for k in {*triggers, *lazy}}
        listed = context_files(project, cwd, searched, exclude, requested, opts.overlay)
    files = list(listed if listed is not None else discover(context_roots, cwd, exclude, skipped))
    if exclude or cfg.include:
        files = [f for f in files if config_selects(f.rel, f.explicit, exclude, cfg.include)]
    # In files mode (pre-commit), Python and shell files besides the given ones are context for one
    # thing only: the component sources behind a compiled pipeline (SA303). They are read only if a
    # given file turns out to be one, so a one-file commit does not lint the whole repository.
    given = [f for f in files if _reported(f.rel, cwd, report_roots)] if files_mode else files
    now, deferred = files, []
    if files_mode:
        now = [f for f in files if f.kind == "yaml" or f in given]
        deferred = [f for f in files if f.kind != "yaml" and f not in given]
    for f in now:
        ws.files_seen += 1
        _load(ws, f, prefilter, f.explicit, opts.overlay)
    if deferred and any(may_hold_programs(ws.file_texts.get(f.rel, "")) for f in given):
        for f in deferred:
            ws.files_seen += 1
            _load(ws, f, prefilter, f.explicit, opts.overlay)
    ws.link_generators()
    timings.append(("files: find, read, prefilter, parse", clock() - t))

    t = clock()
    target = _resolve_target(opts, cfg, ws, kb)
    if target.platform is None and project is not None and context_roots != [project]:
        target = _target_from_project(project, cwd, exclude, kb, rules) or target
    timings.append(("target", clock() - t))
    findings: list[Finding] = []
    errors: list[str] = []
    shared: dict = {}  # what one check works out for the run, others reuse (see CheckContext)

    def context(rule: Rule) -> CheckContext:
        return CheckContext(rule=rule, ws=ws, kb=kb, target=target, cache=shared)

    for rule in rules:
        if rule.check in POST_CHECKS:
            continue
        t = clock()
        findings.extend(_run_check(rule, context(rule), errors))
        timings.append((f"{rule.id} {rule.name}", clock() - t))
    t = clock()
    findings = apply_suppressions(findings, rules, ws, context)
    timings.append(("suppressions (and SA003)", clock() - t))

    reported = [f for f in findings if _reported(f.path, cwd, report_roots)]
    reported.sort(key=Finding.sort_key)
    return RunResult(
        findings=reported,
        target=target,
        rules=rules,
        workspace=ws,
        skipped=skipped,
        files=(
            sum(1 for f in files if _reported(f.rel, cwd, report_roots))
            if context_roots != requested
            else len(files)
        ),
        parsed=ws.files_parsed,
        errors=errors,
        timings=timings,
    )


def _run_check(rule: Rule, ctx: CheckContext, errors: list[str]) -> list[Finding]:
    """One rule's findings; a bug in it becomes a message in `errors`, and the run goes on."""
    out: list[Finding] = []
    try:
        out.extend(load_check(rule.check)(ctx))
    except Exception as exc:  # noqa: BLE001 - any bug in one rule must not cost the other rules
        if os.environ.get("STACKALIGN_DEBUG"):
            raise
        where = _file_in_traceback(exc.__traceback__, set(ctx.ws.file_texts))
        errors.append(
            f"internal error in {rule.id} ({rule.name})"
            + (f" while checking {where}" if where else "")
            + f": {type(exc).__name__}: {exc}; this rule's findings are incomplete. This is a bug;"
            " please report it (set STACKALIGN_DEBUG=1 for the traceback)."
        )
    return out


def _file_in_traceback(tb, known: set[str]) -> str | None:
    """The file the innermost frame was working on: a local that is, or has, a known `path`."""
    frames = []
    while tb is not None:
        frames.append(tb.tb_frame)
        tb = tb.tb_next
    for frame in reversed(frames):
        for value in list(frame.f_locals.values()):
            try:
                path = value if isinstance(value, str) else getattr(value, "path", None)
            except Exception:  # noqa: BLE001 - a property that raises: not a file
                continue
            if isinstance(path, str) and path in known:
                return path
    return None


def _inside(p: Path, root: Path) -> bool:
    try:
        p.absolute().relative_to(root)
        return True
    except ValueError:
        return False


def _reported(rel: str, cwd: Path, roots: list[Path]) -> bool:
    p = Path(os.path.normpath(cwd / rel)) if rel not in ("", ".") else cwd
    return any(p == r or _inside(p, r) for r in roots) or rel == "."


def _load(
    ws: Workspace,
    f: DiscoveredFile,
    prefilter: Prefilter,
    explicit: bool,
    overlay: dict[str, bytes] | None = None,
) -> None:
    try:
        if overlay and str(f.path.absolute()) in overlay:
            head = overlay[str(f.path.absolute())]
        else:
            mode = os.stat(f.fspath).st_mode
            if not stat.S_ISREG(mode):  # a FIFO would block open() forever
                ws.problems.append(ParseProblem(f.rel, f"cannot read file: {_kind(mode)}", 1, 1))
                return
            with open(f.fspath, "rb") as fh:
                head = fh.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        ws.problems.append(ParseProblem(f.rel, f"cannot read file: {exc.strerror or exc}", 1, 1))
        return
    wanted = "eager" if explicit else prefilter.wants(f.kind, head)
    if wanted is None:
        return
    if len(head) > MAX_FILE_BYTES:
        try:
            size = max(os.stat(f.fspath).st_size, len(head))
        except OSError:
            size = len(head)
        ws.problems.append(ParseProblem(f.rel, _too_large(size), 1, 1))
        return
    text, problem = decode_bytes(head)
    if text is None:
        ws.problems.append(ParseProblem(f.rel, problem, *decode_position(head)))
        return
    ws.file_texts[f.rel] = text
    ws.raw_bytes[f.rel] = head  # reliability (issue 14 #1): fixes edit exactly the bytes read
    if f.kind == "yaml" and wanted == "lazy":
        ws.pending[f.rel] = text
    elif f.kind == "yaml":
        ws.add_yaml_text(f.rel, text)
    else:
        ws.files_parsed += 1
        from linter.sources import load_other

        load_other(ws, f.rel, f.kind, text)


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO), not a regular file"
    if stat.S_ISSOCK(mode):
        return "a socket, not a regular file"
    return "not a regular file (a device?)"


def detection_triggers(kb: KnowledgeBase) -> list[str]:
    """Files that can reveal the platform target: Subscriptions and their kustomize patches."""
    packages = [p for platform in kb.platforms.values() for p in platform.operator_packages]
    return packages + ["/spec/channel", "/spec/startingCSV"]


def _target_from_project(
    project: Path, cwd: Path, exclude: list[str], kb: KnowledgeBase, rules: list[Rule]
) -> Target | None:
    """Linting a sub-folder: the platform Subscription may live elsewhere in the repository."""
    prefilter = Prefilter({"yaml": detection_triggers(kb)})
    ws = Workspace(root=str(cwd))
    for f in discover([project], cwd, exclude, []):
        if f.kind == "yaml":
            _load(ws, f, prefilter, False)
    t = detect_target(ws, kb)
    return t if t.platform else None


def _resolve_target(opts: Options, cfg: Config, ws: Workspace, kb: KnowledgeBase) -> Target:
    t = target_from_setting(opts.target, "--target", kb)
    if t is None and cfg.target:
        t = target_from_setting(cfg.target, os.path.relpath(cfg.path or ".stackalign.yaml"), kb)
    if t is None:
        t = detect_target(ws, kb)
    return t
