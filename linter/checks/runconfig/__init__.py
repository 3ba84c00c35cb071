"""SA201-SA205: a LlamaStack run config judged against the runtime that will read it.

Every verdict comes from a knowledge-base fact (rules/knowledge/runconfig.yaml) or from the JSON
Schema generated from the real release (schemas/runconfig/llamastack-<version>.json). One module
per rule; this one holds what they share.
"""

from __future__ import annotations

from collections.abc import Iterator

from yaml.nodes import MappingNode

from linter.checks import CheckContext
from linter.knowledge import Fact
from linter.sources import yaml as y
from linter.target import Runtime
from linter.versions import Version
from linter.workspace import RunConfig

MILVUS_TYPES = ("remote::milvus", "inline::milvus")


def run_configs(ctx: CheckContext) -> Iterator[tuple[RunConfig, Runtime]]:
    """Every run config with each runtime that reads it (the deployment model's answer); a config
    read by servers on two versions is judged twice. In files mode, only the configs of files
    whose findings are reported."""
    for rc in ctx.ws.run_configs:
        if not ctx.ws.may_report(rc.source):
            continue
        for runtime in ctx.model.runtimes_for_config(rc):
            yield rc, runtime


def logical(rc: RunConfig, path: str) -> str:
    return f"{rc.label}:{path}" if rc.label else path


def providers(rc: RunConfig) -> Iterator[tuple[str, int, MappingNode]]:
    """(api, index, provider entry) for every provider of the run config."""
    for api_node, entries in y.items(y.get(rc.root, "providers")):
        for i, entry in enumerate(y.seq(entries)):
            if isinstance(entry, MappingNode):
                yield str(api_node.value), i, entry


def fact_gone(fact: Fact, version: Version) -> bool:
    """The fact ended before `version` (an `until` bound at or below it)."""
    return fact.until is not None and not version < Version.parse(fact.until)
