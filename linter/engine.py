"""discover -> parse once -> resolve target -> run checks -> findings (one direction)."""

from __future__ import annotations

import ast
import os
import stat
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import TracebackType
from typing import Any

from linter import readlog
from linter.analysis.deployment import DeploymentModel
from linter.checks import CheckContext, load_check
from linter.config import Config, config_selects
from linter.discovery import (
    FILE_KINDS,
    MAX_FILE_BYTES,
    DiscoveredFile,
    Prefilter,
    Skipped,
    discover,
    display_path,
    file_kind,
    find_project_root,
    overlay_key,
)
from linter.gitcontext import context_files, grep_files
from linter.knowledge import KnowledgeBase
from linter.model import Applicability, Finding, Span
from linter.options import NOT_READ as NOT_READ
from linter.options import Options as Options
from linter.options import RunResult as RunResult
from linter.options import load_pack as load_pack
from linter.options import select_rules as select_rules
from linter.render import KUSTOMIZATION_NAMES, render_views
from linter.render import TRIGGERS as RENDER_TRIGGERS
from linter.render import remap as remap_rendered
from linter.rulepack import Rule
from linter.sources.compiled import may_hold_programs
from linter.sources.decode import decode_bytes, decode_position
from linter.sources.yaml import YamlParseError, YamlSource, parse_file
from linter.suppressions import POST_CHECKS, apply_suppressions
from linter.target import Target, detect_target, target_from_setting
from linter.workspace import RUN_YAML, K8sObject, ParseProblem, Workspace, objects_in


def _too_large(size: int) -> str:
    mib = 1024 * 1024
    return f"file is larger than the {MAX_FILE_BYTES // mib} MiB limit ({size / mib:.1f} MiB)"


@dataclass
class Scope:
    """What one run reads (its context) and what it reports.

    Naming files (pre-commit) inside a project reads the whole project as context and reports the
    named files only; naming folders reads and reports those folders."""

    cwd: Path
    requested: list[Path]  # normalized absolute paths
    project: Path | None
    files_mode: bool
    context_roots: list[Path]
    report_files: set[str] = field(default_factory=set)  # display paths of named files
    report_dirs: list[str] = field(default_factory=list)  # display paths of named folders

    @property
    def reports_everything(self) -> bool:
        return self.context_roots == self.requested and not self.files_mode

    def reports(self, rel: str) -> bool:
        """Whether a finding in `rel` (a display path) is reported: one set lookup per file, and
        one prefix test per named folder (never path arithmetic per pair)."""
        if self.reports_everything or rel in self.report_files:
            return True
        for d in self.report_dirs:
            if d == "." and not rel.startswith("../"):
                return True
            if rel == d or rel.startswith(d + "/"):
                return True
        return rel == "."


def plan_scope(opts: Options) -> Scope:
    cwd = opts.cwd
    base = os.path.abspath(cwd)
    # strings until the end: pre-commit names thousands of files, and Path arithmetic is slow
    requested = [Path(os.path.normpath(os.path.join(base, p))) for p in opts.paths or ["."]]
    first = requested[0]
    project = find_project_root(first if first.is_dir() else first.parent)
    named_file = [os.path.isfile(p) or _given_text(p, opts.overlay) for p in requested]
    files_mode = all(named_file)
    context_roots = requested
    if project is not None and files_mode and all(_inside(p, project) for p in requested):
        context_roots = [project]
    scope = Scope(cwd, requested, project, files_mode, context_roots)
    for p, is_file in zip(requested, named_file, strict=True):
        shown = display_path(p, cwd)
        if is_file:
            scope.report_files.add(shown)
        else:
            scope.report_dirs.append(shown)
    return scope


def rules_to_check(enabled: list[Rule], selected: list[Rule]) -> list[Rule]:
    """The rules whose checks run: the selected ones, or, when a selected rule reports on the
    others' results (SA003 unused suppressions), every enabled rule, so that selecting a rule
    never changes its verdicts."""
    if not any(r.check in POST_CHECKS for r in selected):
        return selected
    chosen = {r.id for r in enabled}
    return enabled + [r for r in selected if r.id not in chosen]


def run(
    opts: Options, kb: KnowledgeBase | None = None, rules: list[Rule] | None = None
) -> RunResult:
    """Lint. `rules` is the rule pack (default: the built-in one with the configuration's extra
    rule files); `opts` selects among its rules. What is read and parsed never depends on the
    selection: the prefilter uses the triggers of every rule the configuration enables (what
    --ignore or `off` disables is not read for) and the deployment model's."""
    clock = time.perf_counter
    timings: list[tuple[str, float]] = []
    t = clock()
    if kb is None or rules is None:
        kb, rules = load_pack(opts)
    selected = select_rules(rules, opts)
    enabled = select_rules(rules, replace(opts, select=["SA"]))  # --ignore and `off` still apply
    checked = rules_to_check(enabled, selected)
    timings.append(("rule pack (in-process cache)", clock() - t))

    t = clock()
    scope = plan_scope(opts)
    prefilter, triggers, lazy = _prefilter(enabled, kb, opts)
    if _named_files_hold_nothing(scope, opts, prefilter):
        return _nothing_to_check(scope, opts, kb, selected, timings)
    files, skipped, searched = _list_files(scope, opts, triggers, lazy)
    ws = _read_files(scope, files, prefilter, opts)
    timings.append(("files: find, read, prefilter, parse", clock() - t))

    t = clock()
    cfg = opts.config or Config()
    top = scope.project or Path(os.path.commonpath([str(r) for r in scope.context_roots]))
    top = top.parent if top.is_file() else top
    render_views(ws, files, scope.cwd, cfg, top)  # Helm charts, kustomize overlays
    timings.append(("render: Helm charts, kustomize overlays", clock() - t))

    t = clock()
    target = _resolve_target(opts, cfg, ws, kb)
    if target.platform is None and scope.project is not None:
        if scope.context_roots != [scope.project]:
            target = _target_from_project(scope.project, scope.cwd, _excludes(opts), kb) or target
    timings.append(("target", clock() - t))

    t = clock()
    model = DeploymentModel(
        ws,
        kb,
        target,
        search=_searcher(scope, opts, ws, files if searched is None else None),
        read=_reader(scope, opts),
        read_text=_text_reader(scope, opts),
    )
    timings.append(("deployment model", clock() - t))

    findings: list[Finding] = []
    errors: list[str] = []
    shared: dict[
        str, Any
    ] = {}  # what one check works out for the run, others reuse (see CheckContext)

    def context(rule: Rule) -> CheckContext:
        return CheckContext(rule=rule, ws=ws, kb=kb, target=target, model=model, cache=shared)

    for rule in checked:
        if rule.check in POST_CHECKS:
            continue
        t = clock()
        findings.extend(_run_check(rule, context(rule), errors))
        timings.append((f"{rule.id} {rule.name}", clock() - t))
    findings = remap_rendered(findings, ws, target)  # from rendered text to the source lines
    findings = _one_per_runtime(findings)
    t = clock()
    findings = apply_suppressions(findings, checked, ws, context)
    timings.append(("suppressions (and SA003)", clock() - t))
    _hold_runtime_keyed_fixes(findings)

    chosen = {r.id for r in selected}
    reported = [f for f in findings if f.rule in chosen and scope.reports(f.path)]
    reported.sort(key=Finding.sort_key)
    return RunResult(
        findings=reported,
        target=target,
        rules=selected,
        workspace=ws,
        skipped=skipped,
        files=len(files) if scope.reports_everything else sum(scope.reports(f.rel) for f in files),
        parsed=ws.files_parsed,
        errors=errors,
        timings=timings,
        model=model,
        linted=[f.rel for f in files],
    )


def _named_files_hold_nothing(scope: Scope, opts: Options, prefilter: Prefilter) -> bool:
    """Files mode (pre-commit): whether no named file can carry a finding, so that the project's
    context need not be read at all. A file can when a trigger of an enabled rule or of the
    deployment model is in it (the prefilter), when it cannot be read (SA001), or when a render
    or build may read it: a kustomization, a file of a Helm chart, or a file whose name another
    YAML file of the project mentions (an overlay's resource or patch, a values file an Argo CD
    Application names). Otherwise a run over the whole project reports nothing in it either."""
    if not scope.files_mode or scope.project is None or not opts.prefilter:
        return False
    names = []
    for p in scope.requested:
        kind = file_kind(p.name)
        if kind is None:
            continue  # not a file stackalign lints: skipped with a message either way
        if p.name in KUSTOMIZATION_NAMES or _in_chart(p, scope.project):
            return False
        if not prefilter.reads(kind):
            continue
        head = _read_bytes(
            DiscoveredFile(str(p), display_path(p, scope.cwd), kind, True), opts.overlay
        )
        if isinstance(head, str) or prefilter.wants(kind, head) is not None:
            return False
        names.append(p.name)
    if not names:
        return True
    found = grep_files(scope.project, scope.cwd, sorted(set(names)), _excludes(opts))
    if found is None:
        return False  # git cannot tell: read the context
    named = {str(p) for p in scope.requested}
    return all(overlay_key(f.fspath) in named for f in found)


def _in_chart(path: Path, project: Path) -> bool:
    """Whether `path` is a file of a Helm chart: under a `templates/` folder, or in a folder (up
    to the project) that holds a Chart.yaml."""
    for folder in path.parents:
        if folder.name == "templates" or (folder / "Chart.yaml").is_file():
            return True
        if folder == project or not _inside(folder, project):
            return False
    return False


def _nothing_to_check(
    scope: Scope,
    opts: Options,
    kb: KnowledgeBase,
    selected: list[Rule],
    timings: list[tuple[str, float]],
) -> RunResult:
    """The result of a files-mode run whose named files hold nothing to check: no findings, and
    no target detection (a pre-commit hook on unrelated files answers at once); a target given
    by --target or the configuration is still shown."""
    cfg = opts.config or Config()
    ws = Workspace(root=str(scope.cwd))
    if opts.target or cfg.target:
        target = _resolve_target(opts, cfg, ws, kb)
    else:
        target = Target(None, None, NOT_READ, note="the named files hold nothing stackalign checks")
    named = [p for p in scope.requested if file_kind(p.name) is not None]
    skipped = [
        Skipped(display_path(p, scope.cwd), "not a YAML, Python or shell file")
        for p in scope.requested
        if file_kind(p.name) is None
    ]
    return RunResult(
        findings=[],
        target=target,
        rules=selected,
        workspace=ws,
        skipped=skipped,
        files=len(named),
        parsed=0,
        errors=[],
        timings=timings,
        model=DeploymentModel(ws, kb, target, search=lambda needles: [], read=lambda rel: None),
    )


def _one_per_runtime(findings: list[Finding]) -> list[Finding]:
    """One finding per rule, place and LlamaStack version: a config seen in a plain file and in an
    overlay's build, or read by two servers on one version, is one verdict. The one whose runtime
    is not assumed wins, then the shortest message (a plain file's, without a render label)."""
    best: dict[tuple[str, str, Span, str | None], Finding] = {}
    for f in findings:
        version = f.runtime_source.version if f.runtime_source else None
        key = (f.rule, f.path, f.span, version)
        old = best.get(key)
        if old is None or _preference(f) < _preference(old):
            best[key] = f
    kept = {id(f) for f in best.values()}
    return [f for f in findings if id(f) in kept]


def _preference(f: Finding) -> tuple[bool, int]:
    return (bool(f.runtime_source and f.runtime_source.assumed), len(f.message))


def _hold_runtime_keyed_fixes(findings: list[Finding]) -> None:
    """A fix written for one server's LlamaStack version (SA205's env syntax, SA301's key) is
    unsafe while that server's image has an open finding: fixing the image changes the version,
    and the first fix would then have to be undone."""
    flagged = {f.server for f in findings if f.server and f.suppressed is None}
    for f in findings:
        fix = f.fix
        if fix is None or fix.applicability != "safe" or fix.depends_on not in flagged:
            continue
        fix.applicability = Applicability.unsafe
        server = fix.depends_on.replace("/", " ", 1)
        fix.description += f" (unsafe until the image of {server} is settled: it sets the version)"


def _excludes(opts: Options) -> list[str]:
    return list(opts.exclude) + list((opts.config or Config()).exclude)


def _prefilter(
    rules: list[Rule], kb: KnowledgeBase, opts: Options
) -> tuple[Prefilter, dict[str, list[str]], dict[str, list[str]]]:
    """Every rule's triggers (eager or lazy) and the deployment model's."""
    triggers: dict[str, list[str]] = {}
    lazy: dict[str, list[str]] = {}
    for rule in rules:
        for kind in rule.file_kinds:
            (lazy if rule.lazy else triggers).setdefault(kind, []).extend(rule.triggers_for(kind))
    triggers.setdefault("yaml", []).extend(detection_triggers(kb) + model_triggers(kb))
    # Argo CD Applications, Flux HelmReleases: read, parsed only if a chart renders (render/);
    # DataScienceClusters: only if no Subscription reveals the target
    lazy.setdefault("yaml", []).extend([*RENDER_TRIGGERS, *DETECTION_FALLBACK_TRIGGERS])
    if not opts.prefilter:
        triggers = {kind: [""] for kind in FILE_KINDS}
        lazy = {}
    return Prefilter(triggers, lazy), triggers, lazy


def _list_files(
    scope: Scope, opts: Options, triggers: dict[str, list[str]], lazy: dict[str, list[str]]
) -> tuple[list[DiscoveredFile], list[Skipped], list[str] | None]:
    """The files to read, the paths skipped, and (files mode with git) the trigger search used."""
    cfg = opts.config or Config()
    exclude = _excludes(opts)
    skipped: list[Skipped] = []
    listed = None
    if scope.files_mode and scope.project is not None and scope.context_roots == [scope.project]:
        searched = {k: triggers.get(k, []) + lazy.get(k, []) for k in {*triggers, *lazy}}
        listed = context_files(
            scope.project, scope.cwd, searched, exclude, scope.requested, opts.overlay
        )
    if listed is not None:
        files = listed
    else:
        files = list(
            discover(scope.context_roots, scope.cwd, exclude, skipped, opts.respect_gitignore)
        )
    files += _unsaved_files(scope.requested, files, scope.cwd, opts.overlay)
    if exclude or cfg.include:
        files = [f for f in files if config_selects(f.rel, f.explicit, exclude, cfg.include)]
    return files, skipped, (list(triggers) if listed is not None else None)


def _read_files(
    scope: Scope, files: list[DiscoveredFile], prefilter: Prefilter, opts: Options
) -> Workspace:
    """Read each file once, parse what the prefilter wants. In files mode (pre-commit), Python and
    shell files besides the named ones are context for one thing only: the component sources
    behind a compiled pipeline (SA303); they are read only if a named file may be one."""
    ws = Workspace(root=str(scope.cwd))
    if not scope.reports_everything:
        ws.reports = scope.reports
    now, deferred = files, []
    if scope.files_mode:
        now = [f for f in files if f.kind == "yaml" or scope.reports(f.rel)]
        deferred = [f for f in files if f.kind != "yaml" and not scope.reports(f.rel)]
    for f in now:
        ws.files_seen += 1
        _load(ws, f, prefilter, opts.overlay)
    if deferred and any(
        may_hold_programs(ws.file_texts.get(f.rel, "")) for f in now if scope.reports(f.rel)
    ):
        for f in deferred:
            ws.files_seen += 1
            _load(ws, f, prefilter, opts.overlay)
    ws.link_generators()
    _parse_compiled_pipelines(ws)
    return ws


def _parse_compiled_pipelines(ws: Workspace) -> None:
    """Compiled pipelines found by lazy triggers are parsed only when the repository defines one
    of their functions (the component sources SA303 compares them with)."""
    if not ws.pending:
        return
    names = {
        node.name
        for src in ws.python_sources
        for node in src.tree.body
        if isinstance(node, ast.FunctionDef)
    }
    ws.load_pending(lambda text: any(name in text for name in names))


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


def _file_in_traceback(tb: TracebackType | None, known: set[str]) -> str | None:
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


def _given_text(path: Path, overlay: dict[str, bytes] | None) -> bool:
    """Whether a named path's content was given instead of read (`lint - --stdin-filename`)."""
    return overlay is not None and overlay_key(path) in overlay


def _unsaved_files(
    requested: list[Path], files: list[DiscoveredFile], cwd: Path, overlay: dict[str, bytes] | None
) -> list[DiscoveredFile]:
    """Named files whose content was given (stdin) but that are not on disk (an unsaved buffer):
    linted under their name like the others."""
    if not overlay:
        return []
    listed = {f.fspath for f in files}
    out = []
    for p in requested:
        key = overlay_key(p)
        kind = file_kind(p.name)
        if key in overlay and key not in listed and kind is not None and not p.exists():
            out.append(DiscoveredFile(key, display_path(p.absolute(), cwd), kind, True))
    return out


def _inside(p: Path, root: Path) -> bool:
    """Whether `p` is `root` or under it (both absolute and normalized)."""
    a, b = os.fspath(p), os.fspath(root)
    return a == b or a.startswith(b if b.endswith(os.sep) else b + os.sep)


def _read_bytes(f: DiscoveredFile, overlay: dict[str, bytes] | None) -> bytes | str:
    """The file's first MAX_FILE_BYTES + 1 bytes (the overlay's if fixing), or why not."""
    try:
        if overlay and overlay_key(f.fspath) in overlay:
            return overlay[overlay_key(f.fspath)]
        readlog.note(f.fspath)  # a FIFO or device is stat'ed, never opened: its state counts too
        mode = os.stat(f.fspath).st_mode
        if not stat.S_ISREG(mode):  # a FIFO would block open() forever
            return f"cannot read file: {_kind(mode)}"
        with open(f.fspath, "rb") as fh:
            return fh.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        return f"cannot read file: {exc.strerror or exc}"


def _load(
    ws: Workspace,
    f: DiscoveredFile,
    prefilter: Prefilter,
    overlay: dict[str, bytes] | None = None,
) -> None:
    if not prefilter.reads(f.kind):
        return  # no rule reads this kind (a requirements file, a notebook): never opened
    head = _read_bytes(f, overlay)
    if isinstance(head, str):  # unreadable: reported whether named or walked
        ws.problems.append(ParseProblem(f.rel, head, 1, 1))
        return
    wanted = prefilter.wants(f.kind, head)
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
        assert problem is not None  # decode_bytes gives a text or a problem
        ws.problems.append(ParseProblem(f.rel, problem, *decode_position(head)))
        return
    ws.file_texts[f.rel] = text
    ws.raw_bytes[f.rel] = head  # fixes edit exactly the bytes read, never a second read
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
    """Files that can reveal the platform target: Subscriptions to a platform's operator (a file
    naming the package without a Subscription, such as a chart's test snapshot or an operator
    bundle, cannot hold one) and their kustomize patches."""
    packages = [p for platform in kb.platforms.values() for p in platform.operator_packages]
    return [f"{p}&Subscription" for p in packages] + ["/spec/channel", "/spec/startingCSV"]


#: A DataScienceCluster shows the platform when no Subscription names a release: files holding
#: one are parsed only then (detect_target asks). Operator bundles and chart snapshots mention
#: the kind in megabytes of text that most runs never need.
DETECTION_FALLBACK_TRIGGERS = ["DataScienceCluster"]


def model_triggers(kb: KnowledgeBase) -> list[str]:
    """Files the deployment model needs whatever rules run: LlamaStack servers (operator CRs,
    workloads on a LlamaStack image, each family's literal marker, or with a server command) and
    run configs (a file or a ConfigMap key: one that does not parse is SA001)."""
    markers = [fam.marker for fam in kb.images if fam.marker]
    commands = kb.server_commands.markers if kb.server_commands else []
    # a run config, or a ConfigMap that embeds one (as `run.yaml`, or another key)
    run_configs = [f"{key}&providers:" for key in ("apis:", "image_name:", "distro_name:")]
    run_configs += [RUN_YAML, "providers:&config.yaml"]
    # a compose service built from a Containerfile (its FROM and pins name the version)
    compose = ["services:&build:"]
    return ["LlamaStackDistribution", *markers, *commands, *run_configs, *compose]


def _target_from_project(
    project: Path, cwd: Path, exclude: list[str], kb: KnowledgeBase
) -> Target | None:
    """Linting a sub-folder: the platform Subscription may live elsewhere in the repository."""
    prefilter = Prefilter({"yaml": detection_triggers(kb) + DETECTION_FALLBACK_TRIGGERS})
    ws = Workspace(root=str(cwd))
    for f in discover([project], cwd, exclude, []):
        if f.kind == "yaml":
            _load(ws, f, prefilter)
    t = detect_target(ws, kb)
    return t if t.platform else None


def _searcher(
    scope: Scope, opts: Options, ws: Workspace, files: list[DiscoveredFile] | None
) -> Callable[[list[str]], list[K8sObject]]:
    """The model's text search for more objects (Services, Routes, manifests that set a client's
    env var): YAML files of the context holding a needle, parsed for the model only (never linted,
    a parse error is not a finding). `files`: every file the walk found; None in files mode, where
    git searches the project."""

    def search(needles: list[str]) -> list[K8sObject]:
        parsed = {s.path for s in ws.yaml_sources if s.parent is None}
        if files is not None:
            candidates = [f for f in files if f.kind == "yaml"]
        else:
            found = (
                grep_files(scope.project, scope.cwd, needles, _excludes(opts))
                if scope.project
                else None
            )
            candidates = found or []
        wanted = [n.encode("utf-8") for n in needles]
        out: list[K8sObject] = []
        for f in candidates:
            if f.rel in parsed:
                continue
            data = _read_bytes(f, opts.overlay)
            if isinstance(data, str) or len(data) > MAX_FILE_BYTES:
                continue
            if not any(n in data for n in wanted):
                continue
            out.extend(_objects_of(f.rel, data))
        return out

    return search


def _reader(scope: Scope, opts: Options) -> Callable[[str], YamlSource | None]:
    """One YAML file of the context by display path (the model reads kustomizations)."""
    text_of = _text_reader(scope, opts)

    def read(rel: str) -> YamlSource | None:
        text = text_of(rel)
        if text is None:
            return None
        try:
            return parse_file(rel, text)
        except YamlParseError:
            return None

    return read


def _text_reader(scope: Scope, opts: Options) -> Callable[[str], str | None]:
    """The text of one file of the context by display path (the model reads kustomizations and
    the Containerfiles compose services are built from), never outside the context roots, never
    through a symlink, at most MAX_FILE_BYTES."""
    roots = [os.path.realpath(r) for r in scope.context_roots]

    def read(rel: str) -> str | None:
        path = os.path.normpath(os.path.join(scope.cwd, rel))
        try:  # the path is the repository's text: a NUL byte makes os.path raise ValueError
            real = os.path.realpath(path)
            if os.path.islink(path) or not any(
                real == r or real.startswith(r + os.sep) for r in roots
            ):
                return None
            if not readlog.is_file(path):
                return None
        except (OSError, ValueError):
            return None
        data = _read_bytes(DiscoveredFile(path, rel, "yaml", False), opts.overlay)
        if isinstance(data, str) or len(data) > MAX_FILE_BYTES:
            return None
        text, _ = decode_bytes(data)
        return text

    return read


def _objects_of(rel: str, data: bytes) -> list[K8sObject]:
    text, _ = decode_bytes(data)
    if text is None:
        return []
    try:
        return objects_in(parse_file(rel, text))
    except YamlParseError:
        return []


def _resolve_target(opts: Options, cfg: Config, ws: Workspace, kb: KnowledgeBase) -> Target:
    t = target_from_setting(opts.target, "--target", kb)
    if t is None and cfg.target:
        t = target_from_setting(cfg.target, os.path.relpath(cfg.path or ".stackalign.yaml"), kb)
    if t is None:
        t = detect_target(ws, kb)
    return t
