"""The rule pack: one YAML file per rule under rules/, validated and bound to a check kind."""

from __future__ import annotations

import string
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from linter.model import Level
from linter.validation import STRICT, construct, container, meta, validate

FileKind = Literal[
    "yaml", "python", "shell", "requirements", "pyproject", "setupcfg", "containerfile", "notebook"
]
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
    runtime_keyed: bool = field(
        default=False,
        metadata=meta(
            "the fix writes what one LlamaStack version reads: unsafe while the image of the "
            "server that sets that version has an open finding (fixing the image changes it)"
        ),
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
        list,
        "strings (for every file kind, or per kind); a file holding none is not parsed. `a&b`: "
        "a file holding both; put the rarer string first (pre-commit's git search looks for it)",
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

    def triggers_for(self, kind: FileKind) -> list[str]:
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


class _Fields(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        # the pack's templates were checked against the check's fields when it loaded, and the
        # check may only fill declared fields: a missing one is a bug of the check
        raise KeyError(f"message field {{{key}}} was not filled")


class RulePackError(Exception):
    pass


def load_rule_file(path: Path, trusted: bool = False) -> Rule:
    """One rule. stackalign's own files (`trusted`, validated by the test suite) are built
    directly; any other file is validated, and RulePackError lists every problem, each with its
    key and line: the field types, the help's sections, the check kind, its parameters and the
    message fields the check fills."""
    from linter.validation import error_lines
    from linter.yamlload import load_builtin_file, load_data_text, read_data_text

    try:
        if trusted:
            return construct(Rule, load_builtin_file(path))
        text = read_data_text(path)
        data = load_data_text(text)
    except Exception as exc:  # DataFileError: a position, never the file's content
        raise RulePackError(f"{path}: {exc}") from exc
    problems = rule_problems(data) + _kind_problems(data, _locator(text))
    try:
        rule = validate(Rule, data)
    except Exception as exc:  # pydantic's ValidationError names each bad field (not its value)
        lines = error_lines(exc)
        head = f"{path}: {len(lines)} validation error(s) for Rule"
        raise RulePackError("\n".join([head, *lines, *problems])) from exc
    if problems:
        raise RulePackError("\n".join([f"{path}: {len(problems)} problem(s)", *problems]))
    return rule


#: (key path) -> 1-based line of that key in a rule file
Locator = Callable[[tuple[str, ...]], int]


def _kind_problems(data: object, locate: Locator) -> list[str]:
    """The check kind exists, its parameters are the kind's, its templates use filled fields."""
    from linter.checks.kinds import CHECK_KINDS, COMMON_FIELDS, params_problems, template_fields

    if not isinstance(data, dict) or not isinstance(data.get("check"), str):
        return []
    kind = CHECK_KINDS.get(data["check"])
    if kind is None:
        line = locate(("check",))
        known = ", ".join(sorted(CHECK_KINDS))
        return [f"check (line {line})\n  unknown check kind {data['check']!r} (known: {known})"]
    out = []
    for keys, problem in params_problems(kind, data.get("params", {})):
        out.append(f"{'.'.join(map(str, keys))} (line {locate(keys)})\n  {problem}")
    if not out:
        try:
            validate(kind.params, data.get("params", {}))
        except Exception as exc:  # pydantic names the bad parameter
            out.append(f"params (line {locate(('params',))})\n  {exc}")
    messages = data.get("messages")
    for variant, template in messages.items() if isinstance(messages, dict) else ():
        if not isinstance(template, str):
            continue
        unknown = sorted(template_fields(template) - kind.fields - COMMON_FIELDS)
        if unknown:
            filled = ", ".join(sorted(kind.fields | COMMON_FIELDS))
            out.append(
                f"messages.{variant} (line {locate(('messages', variant))})\n  "
                f"names {', '.join('{' + u + '}' for u in unknown)}, which check kind "
                f"{data['check']!r} never fills (it fills: {filled})"
            )
    return out


def _locator(text: str) -> Locator:
    """(key path) -> 1-based line of that key in a YAML text (1 when it cannot be found)."""
    from linter.sources import yaml as y

    try:
        docs = y.compose_all(text)
    except y.YamlParseError:
        docs = []

    def locate(keys: tuple[str, ...]) -> int:
        node = docs[0] if docs else None
        line = 1
        for key in keys:
            item = y.get_item(node, str(key))
            if item is None:
                return line
            line = item[0].start_mark.line + 1
            node = item[1]
        return line

    return locate


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
    """The built-in rules (trusted: the test suite validates them), then the configuration's
    extra rule files (validated here); a later file replaces a rule of the same id."""
    rules: dict[str, Rule] = {}
    for path in sorted(directory.glob("SA*.yaml")):
        rule = load_rule_file(path, trusted=True)
        rules[rule.id] = rule
    for path in extra or []:
        rule = load_rule_file(path)
        rules[rule.id] = rule
    return sorted(rules.values(), key=lambda r: r.id)
