"""Which runtime a run config has: the one seam between the upgrade and the deployment model.

The upgrade migrates a run config from the runtime it has under the current target to the one it
gets under the new target (after the platform edits); both come from here. Today that is the
LlamaStackDistribution that mounts the config (its image or distribution name), else the target
platform's own LlamaStack (linter.analysis.runtime); when the deployment model binds configs to
the servers that read them (Deployments, compose services, ...), only this module follows it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from linter.engine import RunResult
    from linter.knowledge import KnowledgeBase
    from linter.target import Runtime
    from linter.workspace import RunConfig

RunConfigKey = tuple[str, str, int]  # (path, logical label, ordinal among equal (path, label))


@dataclass
class RunConfigRuntime:
    """A run config of one run, and the runtime of the server that reads it (None: unknown)."""

    key: RunConfigKey
    config: RunConfig
    runtime: Runtime | None


def run_config_runtimes(
    result: RunResult, kb: KnowledgeBase
) -> dict[RunConfigKey, RunConfigRuntime]:
    from linter.analysis.runtime import runtime_for_run_config
    from linter.checks import CheckContext

    # the runtime functions read the workspace, the knowledge base, the target and a shared cache;
    # they never use the rule
    ctx = CheckContext(rule=None, ws=result.workspace, kb=kb, target=result.target)  # type: ignore[arg-type]
    out: dict[RunConfigKey, RunConfigRuntime] = {}
    seen: dict[tuple[str, str], int] = {}
    for rc in result.workspace.run_configs:
        n = seen.get((rc.path, rc.label), 0)
        seen[(rc.path, rc.label)] = n + 1
        key = (rc.path, rc.label, n)
        out[key] = RunConfigRuntime(key, rc, runtime_for_run_config(ctx, rc))
    return out


def server_runtimes(
    result: RunResult, kb: KnowledgeBase
) -> dict[tuple[str, str], tuple[str, Runtime | None]]:
    """(path, name) -> (what to call the server, its runtime) for each LlamaStackDistribution,
    and ("", "") for the files no server claims (the target platform's own LlamaStack)."""
    from linter.analysis.runtime import CR_KIND, runtime_for_object
    from linter.checks import CheckContext
    from linter.target import default_runtime

    ctx = CheckContext(rule=None, ws=result.workspace, kb=kb, target=result.target)  # type: ignore[arg-type]
    out: dict[tuple[str, str], tuple[str, Runtime | None]] = {}
    for cr in result.workspace.objects_of(CR_KIND):
        line = cr.source.span(cr.node).start.line
        out[(cr.path, cr.name)] = (f"{cr.ref} ({cr.path}:{line})", runtime_for_object(ctx, cr))
    out[("", "")] = (
        "files no server claims (the platform's LlamaStack)",
        default_runtime(result.target),
    )
    return out
