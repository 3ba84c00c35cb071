"""Which LlamaStack runtime a run config or a custom resource will run on (README, "Two version axes").

A run config's runtime comes from the LlamaStackDistribution whose `spec.server.userConfig`
names the run config's ConfigMap; any other object's from the CR itself; otherwise the target
platform's shipped LlamaStack, marked as assumed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from linter.sources import yaml as y
from linter.target import Runtime, default_runtime, runtime_for_cr

if TYPE_CHECKING:
    from linter.checks import CheckContext
    from linter.workspace import K8sObject, RunConfig

CR_KIND = "LlamaStackDistribution"


def user_config_name(cr: K8sObject) -> str | None:
    """The ConfigMap a LlamaStackDistribution's `userConfig` names."""
    return y.text(cr.get("spec", "server", "userConfig", "configMapName"))


def crs_using_configmap(ctx: CheckContext, name: str) -> list[K8sObject]:
    """The CRs whose `userConfig` names this ConfigMap (an index built once per run, in the
    cache every check of the run shares)."""
    index = ctx.cache.get("crs_by_user_config")
    if index is None:
        index = ctx.cache["crs_by_user_config"] = {}
        for cr in ctx.ws.objects_of(CR_KIND):
            index.setdefault(user_config_name(cr), []).append(cr)
    return index.get(name, [])


def runtime_for_run_config(ctx: CheckContext, rc: RunConfig) -> Runtime | None:
    """The runtime of the CR that mounts this run config's ConfigMap, else the target's default."""
    name = rc.configmap_name
    if name:
        for cr in crs_using_configmap(ctx, name):
            runtime = runtime_for_object(ctx, cr)
            if runtime is not None:
                return runtime
    return default_runtime(ctx.target)


def runtime_for_object(ctx: CheckContext, obj: K8sObject) -> Runtime | None:
    """A CR's own runtime (image or distribution name); any other object gets the default."""
    cache = ctx.cache.setdefault("runtime_for_object", {})
    key = (obj.path, obj.node.start_mark.index)
    if key not in cache:
        if obj.kind == CR_KIND:
            cache[key] = runtime_for_cr(obj, ctx.target, ctx.kb)
        else:
            cache[key] = default_runtime(ctx.target)
    return cache[key]
