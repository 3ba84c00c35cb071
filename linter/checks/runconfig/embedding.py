"""SA204 embedding-dimension-mismatch: a vector store's dimension against its embedding model's."""

from __future__ import annotations

from collections.abc import Iterator

from yaml.nodes import MappingNode, Node

from linter.checks import CheckContext
from linter.checks.runconfig import logical, run_configs
from linter.model import Finding
from linter.sources import yaml as y
from linter.sources.yamledit import replace_node_fix
from linter.target import Runtime
from linter.workspace import RunConfig


def _registered(root: MappingNode, name: str) -> list[Node]:
    return y.seq(y.get(root, name)) + y.seq(y.get_path(root, "registered_resources", name))


def _int(node: Node | None) -> int | None:
    value = y.text(node)
    return int(value) if value is not None and value.strip().isdigit() else None


def embedding_dimension_mismatch(ctx: CheckContext) -> Iterator[Finding]:
    for rc, rt in run_configs(ctx):
        models: dict[str, Node] = {}
        for i, m in enumerate(_registered(rc.root, "models")):
            id_node = y.get(m, "model_id")
            model_id = y.text(id_node)
            if y.text(y.get(m, "model_type")) != "embedding" or id_node is None or not model_id:
                continue
            models[model_id] = m
            if y.get_path(m, "metadata", "embedding_dimension") is None:
                yield ctx.finding(
                    rc.path,
                    rc.source.span(id_node),
                    "model_lacks_dimension",
                    logical=logical(rc, f"models[{i}]"),
                    snippet=model_id,
                    runtime=rt,
                    model=model_id,
                )
        for store_list in ("vector_dbs", "vector_stores"):
            for j, store in enumerate(_registered(rc.root, store_list)):
                yield from _store_mismatch(ctx, rc, rt, store, models, f"{store_list}[{j}]")


def _store_mismatch(
    ctx: CheckContext, rc: RunConfig, rt: Runtime, store: Node, models: dict[str, Node], where: str
) -> Iterator[Finding]:
    model_id = y.text(y.get(store, "embedding_model"))
    dim_node = y.get(store, "embedding_dimension")
    model = models.get(model_id or "")
    if model is None or dim_node is None:
        return
    want = _int(y.get_path(model, "metadata", "embedding_dimension"))
    got = _int(dim_node)
    if want is None or got is None or want == got:
        return
    store_id = y.text(y.get(store, "vector_db_id")) or y.text(y.get(store, "vector_store_id")) or ""
    yield ctx.finding(
        rc.path,
        rc.source.span(dim_node),
        logical=logical(rc, where + ".embedding_dimension"),
        snippet=f"{store_id}:{got}",
        runtime=rt,
        store=store_id,
        dimension=str(got),
        model=model_id,
        model_dimension=str(want),
        fix=replace_node_fix(
            rc.source, dim_node, str(want), f"use the model's dimension {want}", safe=False
        ),
    )
