"""Check kinds: the logic behind rules. A rule file names a check kind and gives it parameters.

Each check is a function `(ctx: CheckContext) -> Iterable[Finding]`, registered here by name and
imported only when a rule that uses it is enabled (keeps start-up fast).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from linter.checks.kinds import CHECK_KINDS, COMMON_FIELDS
from linter.model import Finding, Fix, Level, RelatedLocation, RuntimeSource, Span
from linter.validation import construct

if TYPE_CHECKING:
    from linter.analysis.deployment import DeploymentModel
    from linter.knowledge import KnowledgeBase
    from linter.rulepack import Rule
    from linter.target import Runtime, Target
    from linter.workspace import Workspace


def load_check(kind: str) -> Callable[[CheckContext], Iterable[Finding]]:
    module, _, func = CHECK_KINDS[kind].target.partition(":")
    check: Callable[[CheckContext], Iterable[Finding]] = getattr(
        importlib.import_module(module), func
    )
    return check


_PARAMS: dict[int, Any] = {}  # id(rule) -> its typed parameters, built once per rule object


@dataclass
class CheckContext:
    """What a check sees: its rule, the parsed workspace, the knowledge base and the target."""

    rule: Rule
    ws: Workspace
    kb: KnowledgeBase
    target: Target
    model: DeploymentModel
    # shared by every check of one run: keys name what they hold for the whole run (an index,
    # a runtime per object), never something that depends on the rule
    cache: dict[str, Any] = field(default_factory=dict)

    @property
    def params(self) -> Any:
        """The rule's parameters as its check kind's typed model (linter/checks/kinds.py)."""
        typed = _PARAMS.get(id(self.rule))
        if typed is None or typed[0] is not self.rule:
            typed = (self.rule, construct(CHECK_KINDS[self.rule.check].params, self.rule.params))
            _PARAMS[id(self.rule)] = typed
        return typed[1]

    def finding(
        self,
        path: str,
        span: Span,
        variant: str = "default",
        *,
        logical: str = "",
        snippet: str = "",
        runtime: Runtime | None = None,
        fix: Fix | None = None,
        related: list[RelatedLocation] | None = None,
        level: str | None = None,
        notes: list[str] | None = None,
        server: str = "",
        **fields: Any,
    ) -> Finding:
        undeclared = fields.keys() - CHECK_KINDS[self.rule.check].fields - COMMON_FIELDS
        if undeclared:  # a check fills only what its kind declares (the templates were checked)
            raise ValueError(f"{self.rule.check} fills undeclared fields {sorted(undeclared)}")
        fields.setdefault("target", self.target.label)
        if runtime is not None:
            fields.setdefault("runtime", str(runtime.version))
            fields.setdefault("runtime_label", runtime.label)
        message = self.rule.message(variant, **fields)
        if runtime is not None and runtime.assumed:
            message += f" (runtime assumed: {runtime.reason})"
        if fix is not None and runtime is not None and self.rule.fix.runtime_keyed:
            fix.depends_on = runtime.server
        source = None
        if runtime is not None:
            where = runtime.source
            source = RuntimeSource(
                version=str(runtime.version),
                assumed=runtime.assumed,
                reason=runtime.reason,
                explanation=runtime.explanation(),
                server=runtime.server,
                path=where[0] if where else None,
                line=where[1].start.line if where else None,
                via=runtime.via,
            )
        return Finding(
            rule=self.rule.id,
            name=self.rule.name,
            level=Level(level) if level else self.rule.level,
            message=message,
            path=path,
            span=span,
            logical_location=logical,
            snippet=snippet,
            target=self.target.label,
            runtime=runtime.label if runtime else "",
            runtime_source=source,
            fix=fix,
            related=related or [],
            notes=notes or [],
            server=server,
        )
