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
    "stored_chunk_id": "linter.checks.chunks:stored_chunk_id",
    "stored_chunk_id_compiled": "linter.checks.chunks:stored_chunk_id_compiled",
    "chunk_id_not_string": "linter.checks.chunks:chunk_id_not_string",
    "compiled_pipeline_stale": "linter.checks.stale:compiled_pipeline_stale",
    "api_route_unavailable": "linter.checks.routes:api_route_unavailable",
    "unused_suppression": "linter.suppressions:unused_suppression",
    "run_config_version": "linter.checks.runconfig.version:run_config_version",
    "milvus_schema_override": "linter.checks.runconfig.milvus:milvus_schema_override",
    "run_config_schema": "linter.checks.runconfig.schema:run_config_schema_check",
    "embedding_dimension_mismatch": "linter.checks.runconfig.embedding:embedding_dimension_mismatch",
    "env_substitution_syntax": "linter.checks.runconfig.env:env_substitution_syntax",
    "user_config_key": "linter.checks.crd:user_config_key",
    "cr_field_unavailable": "linter.checks.crd:cr_field_unavailable",
    "unsupported_safety_provider": "linter.checks.safety:unsupported_safety_provider",
    "runtime_wrapper": "linter.checks.safety:runtime_wrapper",
    "client_version_skew": "linter.checks.clients:client_version_skew",
}


def load_check(kind: str) -> Callable[[CheckContext], Iterable[Finding]]:
    module, _, func = CHECKS[kind].partition(":")
    return getattr(importlib.import_module(module), func)


@dataclass
class CheckContext:
    """What a check sees: its rule, the parsed workspace, the knowledge base and the target."""

    rule: Rule
    ws: Workspace
    kb: KnowledgeBase
    target: Target
    # shared by every check of one run: keys name what they hold for the whole run (an index,
    # a runtime per object), never something that depends on the rule
    cache: dict[str, Any] = field(default_factory=dict)

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
