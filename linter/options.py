"""What a run is asked for (Options) and what it gives (RunResult), the rule pack, and the
selection of rules: everything the command line needs before and after a run, without importing
the engine (a run served from the shared whole-repository result never loads it: runcache.py)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from linter.config import Config
from linter.model import Finding, Level
from linter.resources import knowledge_dir, rules_dir
from linter.rulepack import Rule, load_rules

if TYPE_CHECKING:
    from linter.analysis.deployment import DeploymentModel
    from linter.discovery import Skipped
    from linter.knowledge import KnowledgeBase
    from linter.target import Target
    from linter.workspace import Workspace

#: Target.source of a run that did not look for the target (nothing to check needed it)
NOT_READ = "not read"


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
    respect_gitignore: bool = True  # a folder inside a git work tree: skip what git ignores


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
    model: DeploymentModel | None = None
    linted: list[str] = field(default_factory=list)  # display paths of every file linted


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
        setting = cfg.rule_setting(rule.id) or cfg.rule_setting(rule.name)
        if setting and setting.level == "off":
            continue
        if setting and setting.level:
            rule = replace(rule, level=Level(setting.level))
        out.append(rule)
    return out


def load_pack(opts: Options) -> tuple[KnowledgeBase, list[Rule]]:
    """The knowledge base and the rules, with the configuration's extra files."""
    cfg = opts.config or Config()
    base = Path(cfg.path).parent if cfg.path else opts.cwd
    knowledge = tuple(_stamped(base / p) for p in cfg.knowledge_files)
    return _load_knowledge(knowledge), load_rules_of(opts)


def load_rules_of(opts: Options) -> list[Rule]:
    """The rules alone (checking --select names, a served run): the knowledge base is not read."""
    cfg = opts.config or Config()
    base = Path(cfg.path).parent if cfg.path else opts.cwd
    return _load_rules(tuple(_stamped(base / p) for p in cfg.rule_files))


def _stamped(path: Path) -> tuple[Path, int]:
    try:
        return path, path.stat().st_mtime_ns
    except OSError:
        return path, -1


# Loaded once per process (the CLI asks twice); extra files are keyed by their mtime. The
# built-in files are read without validation (the test suite validates them); the
# configuration's extra files are validated.
@lru_cache(maxsize=8)
def _load_knowledge(knowledge: tuple[tuple[Path, int], ...]) -> KnowledgeBase:
    from linter.knowledge import load_knowledge

    return load_knowledge(knowledge_dir(), [p for p, _ in knowledge])


@lru_cache(maxsize=8)
def _load_rules(rule_files: tuple[tuple[Path, int], ...]) -> list[Rule]:
    return load_rules(rules_dir(), [p for p, _ in rule_files])
