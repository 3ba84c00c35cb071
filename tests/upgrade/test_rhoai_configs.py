"""The migration against ground truth: RHOAI's own default run config of every release (2.22 to
3.4, vendored in tests/data/rhoai-configs), each migrated to every later release.

Each migrated config must
- validate against the target runtime's generated schema (schemas/runconfig/, the same
  environment substitution and validation as tests/test_schemas_crosscheck.py);
- keep every provider, model, shield, vector store, tool group, dataset, benchmark and scoring
  function of the source; anything the new runtime ignores or the migration drops is named in the
  migration's notes (nothing dropped silently);
- have the layout of the target release's own config (storage backends and stores, registered
  resources, provider store references, APIs);
- come back unchanged when migrated again, and keep the bytes of every provider entry and top-level
  section the migration does not change.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import pytest
import yaml

from linter.upgrade.data import load_migrations
from linter.upgrade.layout import LayoutResult, migrate_run_config
from linter.versions import Version
from tests.test_schemas_crosscheck import (
    HARNESS_ENV,
    failing_fields,
    features_of,
    ignored_keys,
    load_runconfig,
    substitute,
)

DATA = Path(__file__).resolve().parents[1] / "data" / "rhoai-configs"

#: RHOAI release -> the LlamaStack its rh-dev image runs (rules/knowledge/platforms.yaml)
RUNTIME = {
    "2.22": "0.2.10",
    "2.23": "0.2.14",
    "2.24": "0.2.18",
    "2.25": "0.2.22",
    "3.0": "0.3.0rc3+rhai0",
    "3.2": "0.3.5+rhai0",
    "3.3": "0.4.2.1+rhai0",
    "3.4": "0.7.1+rhaiv.1",
}
#: RHOAI release -> generated schema (the `rhoai` field of schemas/runconfig/*.json). RHOAI 3.0 runs
#: a fork build (0.3.0rc3+rhai0) nothing was generated from; it keeps the 0.2 run-config layout
#: (LLAMASTACK.md section 8), so its configs are validated with the newest 0.2 schema.
SCHEMA = {
    "2.22": "0.2.10",
    "2.23": "0.2.14",
    "2.24": "0.2.18",
    "2.25": "0.2.22",
    "3.0": "0.2.22",
    "3.2": "0.3.5",
    "3.3": "0.4.2",
    "3.4": "0.7.1",
}
RELEASES = list(RUNTIME)
PAIRS = [(a, b) for i, a in enumerate(RELEASES) for b in RELEASES[i + 1 :]]
#: the harness environment plus the Milvus consistency level RH's template needs (LLAMASTACK.md 5a)
ENV = {**HARNESS_ENV, "MILVUS_CONSISTENCY_LEVEL": "Strong"}
STORE_KEYS = ("kvstore", "persistence", "persistence_store", "responses_store", "metadata_store")
RESOURCES = {
    "models": "model_id",
    "shields": "shield_id",
    "vector_dbs": "vector_db_id",
    "vector_stores": "vector_store_id",
    "tool_groups": "toolgroup_id",
    "datasets": "dataset_id",
    "benchmarks": "benchmark_id",
    "scoring_fns": "scoring_fn_id",
}


def source(release: str) -> str:
    return next((DATA / f"rhoai-v{release}").rglob("*.yaml")).read_text(encoding="utf-8")


@cache
def migrated(src: str, dst: str) -> LayoutResult:
    return migrate_run_config(source(src), Version.parse(RUNTIME[src]), Version.parse(RUNTIME[dst]))


def resolved(text: str, release: str, enable_all: bool = False) -> dict:
    """The config as the release reads it: env substituted (all `${env.X:+id}` providers enabled
    if asked: every provider gets checked, not only the harness's)."""
    env = dict(ENV)
    if enable_all:
        env.update({v: "1" for v in re.findall(r"\$\{env\.([A-Z0-9_]+):\+", text)})
    doc = load_runconfig(SCHEMA[release])
    return substitute(yaml.safe_load(text), env, features_of(doc))


def enabled(provider: dict) -> bool:
    return bool(provider.get("provider_id")) and provider["provider_id"] != "__disabled__"


def providers(cfg: dict):
    for api, entries in (cfg.get("providers") or {}).items():
        for p in entries or []:
            yield api, p


def resources(cfg: dict) -> dict[str, list]:
    """Registered resource ids by kind, wherever the layout keeps them (vector dbs as stores)."""
    holder = cfg.get("registered_resources") or cfg
    out: dict[str, list] = {}
    for kind, id_key in RESOURCES.items():
        for item in holder.get(kind) or []:
            name = "vector_stores" if kind == "vector_dbs" else kind
            out.setdefault(name, []).append(item.get(id_key) or item.get("vector_db_id"))
    return out


def notes_text(result: LayoutResult) -> str:
    return "\n".join(n.what for n in result.notes)


# -- validity ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(("src", "dst"), PAIRS)
def test_migrated_config_validates_against_target_schema(src: str, dst: str) -> None:
    doc = load_runconfig(SCHEMA[dst])
    cfg = resolved(migrated(src, dst).text, dst)
    assert failing_fields(doc, doc["run_config"], cfg) == set()
    checked = 0
    for api, p in providers(cfg):
        assert api in doc["apis"], f"{api} is not an API of {SCHEMA[dst]}"
        if not enabled(p):
            continue
        entry = doc["providers"].get(api, {}).get(p["provider_type"])
        if entry is None:  # an external provider: loaded by `module:` or from providers.d
            assert p["provider_type"] not in doc["registry"].get(api, [])
            assert p.get("module") or cfg.get("external_providers_dir"), p
            continue
        assert failing_fields(doc, entry["config_schema"], p.get("config") or {}) == set(), p
        checked += 1
    assert checked >= 4  # vllm, sentence-transformers, milvus (inline and remote), ...
    assert set(cfg.get("apis") or []) <= set(doc["apis"])


@pytest.mark.parametrize(("src", "dst"), PAIRS)
def test_nothing_is_dropped_silently(src: str, dst: str) -> None:
    result = migrated(src, dst)
    before = resolved(source(src), src, enable_all=True)
    after = resolved(result.text, dst, enable_all=True)
    crossed = {
        b.id
        for b in load_migrations().crossed(Version.parse(RUNTIME[src]), Version.parse(RUNTIME[dst]))
    }
    # every provider survives (its API and type may be renamed), except the telemetry provider
    # the 0.3 layout replaces with a setting, which the notes name
    ids_after = {p.get("provider_id") for _, p in providers(after)}
    for api, p in providers(before):
        if api == "telemetry" and "telemetry-setting" in crossed:
            assert "telemetry provider's settings" in notes_text(result)
            assert after.get("telemetry") == {"enabled": True} or "base-url" in crossed
            continue
        assert p.get("provider_id") in ids_after, f"{api} {p.get('provider_id')} dropped"
    # every registered resource survives
    assert resources(after) == resources(before)
    # keys the target runtime ignores, that neither the source ignored on its own runtime nor the
    # target release's own config carries, are named in the notes
    own = ignored_provider_keys(before, src)
    target_own = ignored_provider_keys(resolved(source(dst), dst, enable_all=True), dst)
    for key, names in ignored_provider_keys(after, dst).items():
        for name in set(names) - set(own.get(key, [])) - set(target_own.get(key, [])):
            assert f"`{name}`" in notes_text(result), (key, name)


def ignored_provider_keys(cfg: dict, release: str) -> dict[tuple[str, str], list[str]]:
    doc = load_runconfig(SCHEMA[release])
    out: dict[tuple[str, str], list[str]] = {}
    for api, p in providers(cfg):
        entry = doc["providers"].get(api, {}).get(p["provider_type"])
        if entry is not None:
            keys = ignored_keys(doc, entry["config_schema"], p.get("config") or {})
            if keys:
                out[(api, p["provider_type"])] = keys
    return out


# -- structure --------------------------------------------------------------------------------------
LAYOUT_KEYS = {
    "storage",
    "registered_resources",
    "metadata_store",
    "inference_store",
    "conversations_store",
    "telemetry",
    *(k for k in RESOURCES if k != "vector_stores"),  # top-level vector_stores: a setting (0.3+)
}


def store_shape(value: object) -> object:
    """A provider's store entry: a reference (`kv`/`sql` by its key), an inline config, or nested."""
    if isinstance(value, dict):
        if "backend" in value:
            return "kv-ref" if "namespace" in value else "sql-ref"
        if "type" in value or "db_path" in value:
            return "inline-config"
        return {k: store_shape(v) for k, v in sorted(value.items())}
    return type(value).__name__


def layout(cfg: dict, release: str) -> dict:
    doc = load_runconfig(SCHEMA[release])
    known = set(doc["run_config"]["properties"])
    storage = cfg.get("storage") or {}
    return {
        "top": sorted(k for k in cfg if k in LAYOUT_KEYS and k in known),
        "backends": sorted(storage.get("backends") or {}),
        "providers": {
            (api, p["provider_type"]): {
                k: store_shape(v) for k, v in (p.get("config") or {}).items() if k in STORE_KEYS
            }
            for api, p in providers(cfg)
        },
    }


@pytest.mark.parametrize(("src", "dst"), PAIRS)
def test_migrated_layout_matches_target_release(src: str, dst: str) -> None:
    mine = layout(yaml.safe_load(migrated(src, dst).text), dst)
    theirs = layout(yaml.safe_load(source(dst)), dst)
    doc = load_runconfig(SCHEMA[dst])
    # the same layout sections at the top (where the target's schema reads them) ...
    assert set(mine["top"]) - {"telemetry"} == set(theirs["top"]) - {"telemetry"}
    assert ("telemetry" in mine["top"]) <= ("telemetry" in theirs["top"])
    # ... the same named backends ...
    assert mine["backends"] == theirs["backends"]
    # ... stores the target knows, and every store its own config has
    stores = set((yaml.safe_load(migrated(src, dst).text).get("storage") or {}).get("stores") or {})
    their_stores = set((yaml.safe_load(source(dst)).get("storage") or {}).get("stores") or {})
    assert stores <= their_stores | {"metadata", "inference", "conversations"}
    assert {"metadata", "inference", "conversations"} & their_stores <= stores
    # registered resources under the keys the target reads
    rr = yaml.safe_load(migrated(src, dst).text).get("registered_resources")
    if rr is not None:  # (RHOAI 3.2's own `registered_resources.vector_dbs: []` is carried along)
        props = doc["$defs"]["RegisteredResources"]["properties"]
        had = yaml.safe_load(source(src)).get("registered_resources") or {}
        assert set(rr) <= set(props) | set(had)
    # every provider type both configs have keeps its state the way the target's config does
    both = set(mine["providers"]) & set(theirs["providers"])
    assert both, "no provider type in common"
    for key in both:
        assert mine["providers"][key] == theirs["providers"][key], key


# -- idempotence and kept bytes ---------------------------------------------------------------------
@pytest.mark.parametrize(("src", "dst"), PAIRS)
def test_migrating_again_changes_nothing(src: str, dst: str) -> None:
    once = migrated(src, dst)
    twice = migrate_run_config(once.text, Version.parse(RUNTIME[src]), Version.parse(RUNTIME[dst]))
    assert twice.text == once.text
    assert twice.changes == []


def entry_blocks(text: str) -> dict[str, tuple[object, str]]:
    """Top-level sections and provider entries: logical name -> (data, exact source text)."""
    from linter.sources.yaml import compose_all, get, items, seq

    doc = compose_all(text)[0]
    lines = text.splitlines(keepends=True)

    def block(start_line: int, end_line: int) -> str:
        return "".join(lines[start_line:end_line])

    out: dict[str, tuple[object, str]] = {}
    data = yaml.safe_load(text)
    keys = items(doc)
    for i, (k, _v) in enumerate(keys):
        end = keys[i + 1][0].start_mark.line if i + 1 < len(keys) else len(lines)
        out[k.value] = (data[k.value], block(k.start_mark.line, end))
    for api_key, entries in items(get(doc, "providers")):
        nodes = seq(entries)
        for i, node in enumerate(nodes):
            pid = data["providers"][api_key.value][i].get("provider_id")
            end = nodes[i + 1].start_mark.line if i + 1 < len(nodes) else entries.end_mark.line
            start = node.start_mark.line
            out[f"providers.{api_key.value}.{pid}"] = (
                data["providers"][api_key.value][i],
                block(start, end),
            )
    return out


@pytest.mark.parametrize(("src", "dst"), PAIRS)
def test_untouched_sections_keep_their_bytes(src: str, dst: str) -> None:
    original, result = source(src), migrated(src, dst).text
    before, after = entry_blocks(original), entry_blocks(result)
    kept = 0
    for name, (data, text) in before.items():
        if name == "providers" or name not in after or after[name][0] != data:
            continue  # changed by the migration (or the container of changed entries)
        assert after[name][1].rstrip("\n") == text.rstrip("\n"), name
        kept += 1
    assert kept >= 5


def test_mixed_indentation_and_null_are_kept() -> None:
    """RHOAI 2.25 indents its safety list by 4 and writes `namespace: null`; ruamel.yaml would
    write neither. The lines the migration does not touch keep both."""
    result = migrated("2.25", "3.2").text
    assert (
        "  safety:\n    - provider_id: trustyai_fms\n      provider_type: remote::trustyai_fms\n"
        in result
    )
    assert "    config:\n        use_k8s: ${env.TRUSTYAI_LMEVAL_USE_K8S:=true}\n" in result
    assert result.endswith("telemetry:\n  enabled: true\n")


def test_expected_moves_2_25_to_3_2() -> None:
    result = migrated("2.25", "3.2")
    cfg = yaml.safe_load(result.text)
    assert cfg["storage"]["backends"] == {
        "kv_default": {
            "type": "kv_sqlite",
            "db_path": "/opt/app-root/src/.llama/distributions/rh/kvstore.db",
        },
        "sql_default": {
            "type": "sql_sqlite",
            "db_path": "/opt/app-root/src/.llama/distributions/rh/sql_store.db",
        },
    }
    assert cfg["storage"]["stores"]["metadata"] == {
        "backend": "kv_default",
        "namespace": "registry",
    }
    milvus = next(
        p for p in cfg["providers"]["vector_io"] if p["provider_type"] == "remote::milvus"
    )
    assert milvus["config"]["persistence"] == {
        "backend": "kv_default",
        "namespace": "vector_io::milvus_remote",
    }
    assert "kvstore" not in milvus["config"]
    assert "telemetry" not in cfg["apis"] and "telemetry" not in cfg["providers"]
    assert cfg["registered_resources"]["vector_stores"] == []
    assert [c.boundary for c in result.changes][:1] == ["storage-backends"]
    assert {n.boundary for n in result.notes} == {"storage-backends", "telemetry-setting"}


def test_env_syntax_2_22_to_2_23() -> None:
    result = migrated("2.22", "2.23")
    assert "${env.VLLM_URL:=http://localhost:8000/v1}" in result.text
    assert "${env.SQLITE_STORE_DIR:=~/.llama/distributions/rh}/agents_store.db" in result.text
    assert "${env.OTEL_SERVICE_NAME:=\\u200B}" in result.text  # double-quoted, escapes kept
    assert re.search(r"\$\{env\.[A-Z0-9_]+:(?![=+])", result.text) is None
    assert "version: '2'" in result.text  # 0.2.13+ reads '2' too: left as it is


def trustyai_module(text: str) -> str | None:
    for _, p in providers(yaml.safe_load(text)):
        if p.get("provider_type") == "remote::trustyai_fms":
            return p.get("module")
    return None


@pytest.mark.parametrize(("src", "dst"), PAIRS)
def test_provider_pin_matches_the_target_release(src: str, dst: str) -> None:
    """Migrated with the pins of the new release (what `upgrade --fix` passes for a config that
    runs on the release's own LlamaStack), trustyai_fms is pinned as the release's own config."""
    from tests.helpers import pack

    kb, _ = pack()
    pins = {"llama_stack_provider_trustyai_fms": kb.release("rhoai", dst).trustyai_fms}
    had, theirs = trustyai_module(source(src)), trustyai_module(source(dst))
    result = migrate_run_config(
        source(src), Version.parse(RUNTIME[src]), Version.parse(RUNTIME[dst]), pins=pins
    )
    mine = trustyai_module(result.text)
    if had is None or "==" not in had:
        assert mine == had  # nothing to re-pin: loaded from providers.d, or unpinned
        return
    if theirs is not None and "==" in theirs:
        assert mine == theirs
    else:  # RHOAI 3.0's own config leaves it unpinned; the release runs 0.2.3 (LLAMASTACK 6b)
        assert (
            mine
            == f"llama_stack_provider_trustyai_fms=={pins['llama_stack_provider_trustyai_fms']}"
        )
        theirs = mine
    assert any(c.boundary == "provider-pins" for c in result.changes) == (had != theirs)
