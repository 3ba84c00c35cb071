"""The check kinds a rule file can name: where each check lives, the parameters it takes (a typed
model with defaults and descriptions), and the message fields it fills.

A rule file is validated against its kind when the pack loads: an unknown or mistyped parameter,
or a message template that names a field the check never fills, is an error naming the file and
line. Only dataclasses here (no check module is imported at start-up).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from linter.validation import STRICT, container, meta

#: fields every finding's message can use (CheckContext.finding fills them)
COMMON_FIELDS = frozenset({"target", "runtime", "runtime_label"})


@dataclass(frozen=True)
class NoParams:
    """A check kind that takes no parameters."""

    __pydantic_config__ = STRICT


@dataclass(frozen=True)
class ParseProblemsParams:
    """SA001's parameters."""

    __pydantic_config__ = STRICT
    levels: dict[str, Literal["error", "warning", "note"]] = container(
        dict, "the level of a message variant (e.g. newer_python: warning); others: the rule's"
    )


@dataclass(frozen=True)
class MilvusSchemaParams:
    """SA202's parameters."""

    __pydantic_config__ = STRICT
    keys: list[str] = field(metadata=meta("config keys that try to shape the collection"))
    passthrough: list[str] = container(
        list, "keys the platform documents as pymilvus pass-through options (never findings)"
    )


@dataclass(frozen=True)
class RunConfigSchemaParams:
    """SA203's parameters."""

    __pydantic_config__ = STRICT
    handled_keys: list[str] = container(
        list, "provider config keys another variant of this rule already reports"
    )


@dataclass(frozen=True)
class SafetyProviderParams:
    """SA401's parameters."""

    __pydantic_config__ = STRICT
    trustyai_package: str = field(
        default="llama_stack_provider_trustyai_fms",
        metadata=meta("the module name of the TrustyAI FMS provider package"),
    )


@dataclass(frozen=True)
class RuntimeWrapperParams:
    """SA402's parameters."""

    __pydantic_config__ = STRICT
    modules: list[str] = field(metadata=meta("top-level modules a wrapper must not patch"))
    file_names: list[str] = field(metadata=meta("ConfigMap keys that Python runs at start-up"))


@dataclass(frozen=True)
class CheckKind:
    """One kind of check: its function, its parameters model and the fields it fills."""

    target: str  # "module:function"
    fields: frozenset[str]
    params: type = NoParams


def _kind(target: str, fields: str, params: type = NoParams) -> CheckKind:
    return CheckKind(target, frozenset(fields.split()), params)


CHECK_KINDS: dict[str, CheckKind] = {
    "parse_problems": _kind("linter.checks.basics:parse_problems", "reason", ParseProblemsParams),
    "unknown_target": _kind("linter.checks.basics:unknown_target", "given closest known note"),
    "render_notes": _kind(
        "linter.checks.render:render_notes",
        "chart reason templates dependencies render file overlay fields",
    ),
    "image_version_mismatch": _kind(
        "linter.checks.images:image_version_mismatch",
        "image image_version image_line shipped shipped_line",
    ),
    "image_unverifiable": _kind(
        "linter.checks.images:image_unverifiable", "image problem family workload"
    ),
    "image_behind_platform": _kind(
        "linter.checks.images:image_behind_platform",
        "image image_version shipped lacks_count kind",
    ),
    "distribution_name": _kind("linter.checks.images:distribution_name", "name allowed"),
    "stored_chunk_id": _kind(
        "linter.checks.chunks:stored_chunk_id",
        "function component id_since alias_since alias_until required_since",
    ),
    "stored_chunk_id_compiled": _kind(
        "linter.checks.chunks:stored_chunk_id_compiled",
        "function component id_since alias_since alias_until required_since",
    ),
    "chunk_id_not_string": _kind(
        "linter.checks.chunks:chunk_id_not_string", "value kind since promoted_until"
    ),
    "compiled_pipeline_stale": _kind(
        "linter.checks.stale:compiled_pipeline_stale",
        "executor function source source_line compiled_line source_text",
    ),
    "api_route_unavailable": _kind(
        "linter.checks.routes:api_route_unavailable", "route via when replacement"
    ),
    "unused_suppression": _kind(
        "linter.suppressions:unused_suppression", "suppressed where unknown"
    ),
    "run_config_version": _kind(
        "linter.checks.runconfig.version:run_config_version", "value proper"
    ),
    "milvus_schema_override": _kind(
        "linter.checks.runconfig.milvus:milvus_schema_override",
        "key provider_type",
        MilvusSchemaParams,
    ),
    "run_config_schema": _kind(
        "linter.checks.runconfig.schema:run_config_schema_check",
        "key since until detail replacement provider_type api why schema_version",
        RunConfigSchemaParams,
    ),
    "embedding_dimension_mismatch": _kind(
        "linter.checks.runconfig.embedding:embedding_dimension_mismatch",
        "model store dimension model_dimension",
    ),
    "env_substitution_syntax": _kind(
        "linter.checks.runconfig.env:env_substitution_syntax",
        "expr fixed var count others since",
    ),
    "user_config_key": _kind("linter.checks.crd:user_config_key", "key expected operator name"),
    "cr_field_unavailable": _kind(
        "linter.checks.crd:cr_field_unavailable", "field since detail operator crd"
    ),
    "unsupported_safety_provider": _kind(
        "linter.checks.safety:unsupported_safety_provider",
        "module since package_version requirement shield provider configured",
        SafetyProviderParams,
    ),
    "client_version_skew": _kind(
        "linter.checks.clients:client_version_skew",
        "requirement where client client_line chosen calls why matching probed",
    ),
    "runtime_wrapper": _kind(
        "linter.checks.safety:runtime_wrapper", "name file patched", RuntimeWrapperParams
    ),
}


def template_fields(template: str) -> set[str]:
    """The field names a message template uses (`{runtime}`, not `{{literal}}`)."""
    import string

    out = set()
    for _, name, _, _ in string.Formatter().parse(template):
        if name:
            out.add(name.split(".", 1)[0].split("[", 1)[0])
    return out


def params_problems(kind: CheckKind, params: Any) -> list[tuple[tuple[str, ...], str]]:
    """(key path, problem) for each parameter the kind's model does not accept."""
    import dataclasses

    if not isinstance(params, dict):
        return [((), "`params` must be a mapping")]
    names = {f.name for f in dataclasses.fields(kind.params)}
    out: list[tuple[tuple[str, ...], str]] = []
    for key in params:
        if key not in names:
            allowed = ", ".join(sorted(names)) or "none"
            out.append((("params", key), f"unknown parameter `{key}` (allowed: {allowed})"))
    return out
