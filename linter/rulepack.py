"""The rule pack: one YAML file per rule under rules/, validated and bound to a check kind."""

from __future__ import annotations

import string
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from linter.model import Level
from linter.validation import STRICT, container, meta, validate

FileKind = Literal["yaml", "python", "shell"]
HELP_SECTIONS = (
    "## What it does",
    "## Why is this bad?",
    "## Example",
    "## Use instead",
    "## Fix safety",
    "## References",
)


@dataclass
class ExpectedFinding:
    """A finding a rule example expects (tests/test_rule_examples.py checks it)."""

    __pydantic_config__ = STRICT
    path: str
    line: int
    column: int
    end_line: int | None = None
    end_column: int | None = None
    rule: str | None = None  # defaults to the rule's own id
    message_contains: str | None = None


@dataclass
class RuleExample:
    """Files a rule reports on (`invalid`) or accepts (`valid`), and their fixed text."""

    __pydantic_config__ = STRICT
    kind: Literal["invalid", "valid"]
    description: str
    files: dict[str, str]
    target: dict[str, str] = container(dict)
    expect: list[ExpectedFinding] = container(list)
    fixed: dict[str, str] | None = None
    unsafe: bool = False  # the fix in `fixed` needs --unsafe-fixes


@dataclass
class RuleFix:
    """Whether a rule's findings come with a fix, and how safe those fixes are (ruff's "Fix is
    always / sometimes / not available")."""

    __pydantic_config__ = STRICT
    availability: Literal["always", "sometimes", "never"] = "never"
    applicability: list[Literal["safe", "unsafe"]] = container(
        list, "the applicabilities its fixes can have (empty when availability is never)"
    )

    def __post_init__(self) -> None:
        if (self.availability == "never") != (not self.applicability):
            raise ValueError("fix.applicability lists the fixes' applicabilities, unless never")


@dataclass
class Rule:
    """One rule file under rules/: identity, level, check kind, triggers, messages, help, examples."""

    __pydantic_config__ = STRICT
    id: str = field(metadata=meta(pattern=r"^SA\d{3}$"))
    name: str = field(metadata=meta(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$"))
    level: Level
    check: str
    summary: str = field(metadata=meta(max_length=1024))
    messages: dict[str, str]
    help: str
    examples: list[RuleExample] = field(metadata=meta(min_length=1))
    params: dict[str, Any] = container(dict)
    file_kinds: list[FileKind] = container(lambda: ["yaml"])
    triggers: list[str] | dict[FileKind, list[str]] = container(
        list, "strings (for every file kind, or per kind); a file holding none is not parsed"
    )
    lazy: bool = field(
        default=False,
        metadata=meta(
            "files only this rule's triggers select are kept unparsed until the check asks"
        ),
    )
    tags: list[str] = container(list)
    fix: RuleFix = field(default_factory=RuleFix)
    precision: Literal["very-high", "high", "medium", "low"] = "high"

    def triggers_for(self, kind: str) -> list[str]:
        if isinstance(self.triggers, dict):
            return self.triggers.get(kind, [])
        return self.triggers if kind in self.file_kinds else []

    def message(self, variant: str, **fields: Any) -> str:
        template = self.messages.get(variant) or self.messages["default"]
        return string.Formatter().vformat(template, (), _Fields(fields))

    def help_section(self, title: str) -> str:
        """The body of one `## Title` section of the help."""
        text = self.help
        start = text.find(f"## {title}")
        if start < 0:
            return ""
        start = text.find("\n", start) + 1
        end = text.find("\n## ", start)
        return text[start : end if end >= 0 else len(text)].strip()


class _Fields(dict):
    def __missing__(self, key: str) -> str:  # a message never crashes on a missing field
        return "{" + key + "}"


class RulePackError(Exception):
    pass


def load_rule_file(path: Path) -> Rule:
    """A validated rule; RulePackError lists every problem of the file, each under its key."""
    from linter.validation import error_lines
    from linter.yamlload import load_data_file

    try:
        data = load_data_file(path)
    except Exception as exc:  # DataFileError: a position, never the file's content
        raise RulePackError(f"{path}: {exc}") from exc
    problems = rule_problems(data)
    try:
        rule = validate(Rule, data)
    except Exception as exc:  # pydantic's ValidationError names each bad field (not its value)
        lines = error_lines(exc)
        head = f"{path}: {len(lines)} validation error(s) for Rule"
        raise RulePackError("\n".join([head, *lines, *problems])) from exc
    if problems:
        raise RulePackError("\n".join([f"{path}: {len(problems)} problem(s)", *problems]))
    return rule


def rule_problems(data: object) -> list[str]:
    """What the field types cannot say: the help's sections, a default message."""
    if not isinstance(data, dict):
        return []
    out = []
    text = data.get("help")
    missing = [s for s in HELP_SECTIONS if s not in text] if isinstance(text, str) else []
    if missing:
        out.append(f"help\n  lacks the sections {', '.join(missing)}")
    messages = data.get("messages")
    if isinstance(messages, dict) and "default" not in messages:
        out.append("messages\n  needs a `default` entry (the message of a finding with no variant)")
    return out


def load_rules(directory: Path, extra: list[Path] | None = None) -> list[Rule]:
    from linter.checks import CHECKS

    rules: dict[str, Rule] = {}
    for path in sorted(directory.glob("SA*.yaml")) + list(extra or []):
        rule = load_rule_file(path)
        if rule.check not in CHECKS:
            raise RulePackError(f"{path}: unknown check kind {rule.check!r}")
        rules[rule.id] = rule
    return sorted(rules.values(), key=lambda r: r.id)
