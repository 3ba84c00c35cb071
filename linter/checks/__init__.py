"""Check kinds: the logic behind rules. A rule file names a check kind and gives it parameters.

Each check is a function `(ctx: CheckContext) -> Iterable[Finding]`, registered here by name and
imported only when a rule that uses it is enabled (keeps start-up fast).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from linter.model import Finding, Fix, RelatedLocation, Span

if TYPE_CHECKING:
    from linter.knowledge import KnowledgeBase
    from linter.rulepack import Rule
    from linter.target import Runtime, Target
    from linter.workspace import Workspace

#: check kind -> "module:function"
CHECKS: dict[str, str] = {
    "parse_problems": "linter.checks.basics:parse_problems",
    "unknown_target": "linter.checks.basics:unknown_target",
    "image_version_mismatch": "linter.checks.images:image_version_mismatch",
    "image_unverifiable": "linter.checks.images:image_unverifiable",
    "image_behind_platform": "linter.checks.images:image_behind_platform",
    "distribution_name": "linter.checks.images:distribution_name",
}


def register(kind: str, target: str) -> None:
    CHECKS[kind] = target


def load_check(kind: str) -> Callable[[CheckContext], Iterable[Finding]]:
    module, _, func = CHECKS[kind].partition(":")
    return getattr(importlib.import_module(module), func)


@dataclass
class CheckContext:
    rule: Rule
    ws: Workspace
    kb: KnowledgeBase
    target: Target
    cache: dict[str, Any] = field(default_factory=dict)  # shared across checks of one run

    @property
    def params(self) -> dict[str, Any]:
        return self.rule.params

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
        **fields: Any,
    ) -> Finding:
        fields.setdefault("target", self.target.label)
        if runtime is not None:
            fields.setdefault("runtime", str(runtime.version))
            fields.setdefault("runtime_label", runtime.label)
        message = self.rule.message(variant, **fields)
        if runtime is not None and runtime.assumed:
            message += f" (runtime assumed: {runtime.reason})"
        return Finding(
            rule=self.rule.id,
            name=self.rule.name,
            level=level or self.rule.level,
            message=message,
            path=path,
            span=span,
            logical_location=logical,
            snippet=snippet,
            target=self.target.label,
            runtime=runtime.label if runtime else "",
            fix=fix,
            related=related or [],
        )
