"""SA202 milvus-schema-override: Milvus provider keys LlamaStack never reads."""

from __future__ import annotations

from collections.abc import Iterator

from yaml.nodes import MappingNode, ScalarNode

from linter.checks import CheckContext
from linter.checks.runconfig import MILVUS_TYPES, logical, providers, run_configs
from linter.model import Applicability, Finding, Fix
from linter.sources import yaml as y
from linter.sources.yamledit import delete_range_edit, entry_line_range


def milvus_schema_override(ctx: CheckContext) -> Iterator[Finding]:
    keys = set(ctx.params.keys)
    passthrough = set(ctx.params.passthrough)
    extra_allow = ctx.kb.fact("milvus.extra-allow")
    for rc, rt in run_configs(ctx):
        for api, i, entry in providers(rc):
            ptype = y.text(y.get(entry, "provider_type"))
            config = y.get(entry, "config")
            if ptype not in MILVUS_TYPES or not isinstance(config, MappingNode):
                continue
            flagged = [
                (k, v)
                for k, v in config.value
                if isinstance(k, ScalarNode) and k.value in keys and k.value not in passthrough
            ]
            remaining = len(config.value) - len(flagged)
            for k, v in flagged:
                rng = entry_line_range(rc.source, k, v) if remaining else None
                fix = None
                if rng is not None:
                    fix = Fix(
                        applicability=Applicability.safe,
                        description=f"delete `{k.value}` (LlamaStack never reads it)",
                        edits=[delete_range_edit(rc.source, rc.path, *rng)],
                    )
                yield ctx.finding(
                    rc.path,
                    rc.source.span(k),
                    "default" if extra_allow.present(rt.version) else "dropped",
                    logical=logical(rc, f"providers.{api}[{i}].config.{k.value}"),
                    snippet=f"{k.value}",
                    runtime=rt,
                    key=k.value,
                    provider_type=ptype,
                    fix=fix,
                )
