"""Which runtime a run config has: the one seam between the upgrade and the deployment model.

The upgrade migrates a run config from the runtime it has under the current target to the one it
gets under the new target (after the platform edits); both come from the deployment model of each
run (linter/analysis/deployment.py): the servers that read the config, else the platform's own
LlamaStack.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from linter.render import view_of

if TYPE_CHECKING:
    from linter.engine import RunResult
    from linter.knowledge import KnowledgeBase
    from linter.target import Runtime
    from linter.workspace import K8sObject, RunConfig

RunConfigKey = tuple[str, str, int]  # (path, logical label, ordinal among equal (path, label))


@dataclass
class RunConfigRuntime:
    """A run config of one run, and the runtime of the server that reads it (None: unknown)."""

    key: RunConfigKey
    config: RunConfig
    runtime: Runtime | None


def plain(obj: K8sObject) -> bool:
    """An object of a file of the repository (not of a Helm render or a kustomize build, whose
    text the upgrade does not rewrite)."""
    return view_of(obj.source) is None


def run_config_runtimes(
    result: RunResult, kb: KnowledgeBase
) -> dict[RunConfigKey, RunConfigRuntime]:
    """Each run config with the runtime the deployment model judges it against (the first, when
    servers on several versions read it: a migration writes for one of them)."""
    out: dict[RunConfigKey, RunConfigRuntime] = {}
    seen: dict[tuple[str, str], int] = {}
    model = result.model
    for rc in result.workspace.run_configs:
        if view_of(rc.source) is not None:
            continue  # a Helm render or kustomize build: its sources are not migrated
        n = seen.get((rc.path, rc.label), 0)
        seen[(rc.path, rc.label)] = n + 1
        key = (rc.path, rc.label, n)
        runtimes = model.runtimes_for_config(rc) if model is not None else []
        out[key] = RunConfigRuntime(key, rc, runtimes[0] if runtimes else None)
    return out


def server_runtimes(
    result: RunResult, kb: KnowledgeBase
) -> dict[tuple[str, str], tuple[str, Runtime | None]]:
    """(path, name) -> (what to call the server, its runtime) for each server of the deployment
    model, and ("", "") for the files no server claims (the target platform's own LlamaStack)."""
    from linter.render import source_place
    from linter.target import default_runtime

    out: dict[tuple[str, str], tuple[str, Runtime | None]] = {}
    model = result.model
    if model is not None:
        for s in model.servers:
            path, line = source_place(result.workspace, s.path, s.span(s.node).start.line)
            out[(path, s.name)] = (f"{s.ref} ({path}:{line})", model.server_runtime(s))
    out[("", "")] = (
        "files no server claims (the platform's LlamaStack)",
        default_runtime(result.target),
    )
    return out
