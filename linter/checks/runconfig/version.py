"""SA201 run-config-version: a `version` value the runtime rejects or that no release uses."""

from __future__ import annotations

from collections.abc import Iterator

from yaml.nodes import ScalarNode

from linter.checks import CheckContext
from linter.checks.runconfig import logical, run_configs
from linter.model import Finding
from linter.sources import yaml as y
from linter.sources.yamledit import replace_node_fix


def run_config_version(ctx: CheckContext) -> Iterator[Finding]:
    string_fact = ctx.kb.fact("run-config.version-string")
    for rc, rt in run_configs(ctx):
        item = y.get_item(rc.root, "version")
        if item is None or not isinstance(item[1], ScalarNode):
            continue
        node = item[1]
        wants_string = string_fact.present(rt.version)
        proper = "'2'" if wants_string else "2"
        value = node.value
        if wants_string and y.is_plain_int(node):
            variant, level = "unquoted", None
        elif value.strip() != "2":
            variant, level = "meaningless", "warning"
        else:
            continue
        yield ctx.finding(
            rc.path,
            rc.source.span(node),
            variant,
            logical=logical(rc, "version"),
            snippet=f"version: {value}",
            runtime=rt,
            level=level,
            value=value,
            proper=proper,
            fix=replace_node_fix(rc.source, node, proper, f"write `version: {proper}`", safe=True),
        )
