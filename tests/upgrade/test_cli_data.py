"""`stackalign upgrade` usage errors, the migration data's consistency with the knowledge base and
the generated schemas, and the line merge that keeps untouched bytes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from linter.upgrade.data import MigrationDataError, load_migrations
from linter.upgrade.roundtrip import load, merge_lines
from linter.versions import Version, try_parse
from tests.helpers import cli_in, pack, write_files

REPO = Path(__file__).resolve().parents[2]
RUNCONFIG = REPO / "schemas" / "runconfig"


# -- usage ------------------------------------------------------------------------------------------
def test_no_current_target_is_a_usage_error(tmp_path: Path) -> None:
    write_files(tmp_path, {"run.yaml": "version: 2\nimage_name: x\napis: []\nproviders: {}\n"})
    result = cli_in(tmp_path, "upgrade", "--to", "rhoai=3.2")
    assert result.exit_code == 2
    assert "cannot tell what this repository runs now: pass --from rhoai=X.Y" in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--to", "rhoai=3.1"],
            "--to rhoai=3.1: not a release the knowledge base knows (known: 2.22, 2.23, 2.24, 2.25, 3.0, 3.2, 3.3, 3.4)",
        ),
        (
            ["--to", "llamastack=0.3.9"],
            "--to llamastack=0.3.9: not a LlamaStack release the knowledge base knows (closest: ",
        ),
        (["--to", "rhoai"], "--to 'rhoai': expected KEY=VERSION, e.g. rhoai=2.25"),
        (
            ["--to", "rhoai=3.2", "--from", "rhoai=9.9"],
            "--from rhoai=9.9: not a release the knowledge base knows",
        ),
        (["--to", "rhoai=3.2", "missing/"], "no such file or directory: missing/"),
    ],
)
def test_usage_errors(tmp_path: Path, args: list[str], message: str) -> None:
    result = cli_in(tmp_path, "upgrade", *args)
    assert result.exit_code == 2, result.output
    assert message in result.output


def test_downgrade_is_planned_but_not_migrated(tmp_path: Path) -> None:
    write_files(tmp_path, {"app.py": "print('no llama here')\n"})
    assert cli_in(tmp_path, "upgrade", "--from", "rhoai=3.2", "--to", "rhoai=2.25").exit_code == 0
    result = cli_in(tmp_path, "upgrade", "--from", "rhoai=3.2", "--to", "rhoai=2.25", "--fix")
    assert result.exit_code == 2
    assert "goes back to an older LlamaStack" in result.output


def test_nothing_to_upgrade_exits_zero(tmp_path: Path) -> None:
    write_files(tmp_path, {"app.py": "print('no llama here')\n"})
    result = cli_in(
        tmp_path, "upgrade", "--from", "rhoai=3.2", "--to", "rhoai=3.3", "--format", "json"
    )
    assert result.exit_code == 0
    doc = json.loads(result.stdout)
    assert doc["summary"]["breaks"] == 0 and doc["migration"]["files"] == []


# -- the migration data -----------------------------------------------------------------------------
def test_data_loads_and_boundaries_are_ordered() -> None:
    rules = load_migrations()
    versions = [Version.parse(b.version) for b in rules.boundaries]
    assert versions == sorted(versions)
    assert {b.id for b in rules.boundaries} == {
        "env-syntax",
        "milvus-lite-kvstore",
        "vector-io-kvstore",
        "storage-backends",
        "registered-resources",
        "telemetry-setting",
        "base-url",
        "responses-api",
    }
    for b in rules.boundaries:
        assert b.docs.startswith("https://"), b.id
        assert b.evidence and b.steps, b.id


def test_bad_data_names_the_file(tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text(
        "boundaries:\n- id: x\n  version: 0.3\n  summary: s\n  docs: d\n  evidence: []\n  steps: [{op: teleport}]\n"
    )
    with pytest.raises(MigrationDataError, match="bad.yaml"):
        load_migrations(tmp_path)


def test_boundaries_agree_with_the_knowledge_base() -> None:
    """The layout moves happen where the knowledge base says the keys go."""
    kb, _ = pack()
    rules = load_migrations()
    gone = {f.subject: f for f in kb.topic("run_config_keys")}
    move = next(s for s in rules.boundary("registered-resources").steps if s.op == "move_keys")
    for key in move.keys:
        assert gone[key].until == rules.boundary("registered-resources").version, key
        assert gone[key].replacement.startswith("registered_resources."), key
    storage = next(s for s in rules.boundary("storage-backends").steps if s.op == "storage")
    for store in storage.stores:
        assert gone[store.from_].replacement == f"storage.stores.{store.store}"
        assert gone[store.from_].until == rules.boundary("storage-backends").version
    assert kb.fact("env.syntax-new").since == rules.boundary("env-syntax").version
    assert kb.fact("provider.vllm-url").until == rules.boundary("base-url").version
    for b in rules.boundaries:  # a boundary is a release, or the rc where the change landed
        assert b.version in kb.llamastack_releases or try_parse(b.version).pre is not None, b.id


def _schema(version: str) -> dict:
    return json.loads((RUNCONFIG / f"llamastack-{version}.json").read_text())


def _schema_before_after(boundary: str) -> tuple[dict, dict]:
    """The generated schemas on either side of a boundary (the nearest ones we have)."""
    at = Version.parse(load_migrations().boundary(boundary).version)
    have = sorted(
        (Version.parse(p.stem.removeprefix("llamastack-")), p.stem)
        for p in RUNCONFIG.glob("*.json")
    )
    older = [name for v, name in have if v < at][-1]
    newer = [name for v, name in have if not v < at][0]
    return _schema(older.removeprefix("llamastack-")), _schema(newer.removeprefix("llamastack-"))


@pytest.mark.parametrize("boundary", ["base-url", "responses-api"])
def test_renames_agree_with_the_generated_schemas(boundary: str) -> None:
    old, new = _schema_before_after(boundary)
    for step in load_migrations().boundary(boundary).steps:
        if step.op == "rename_provider_key":
            for ptype in step.provider_types:
                before = old["providers"][step.api][ptype]["config_schema"]["properties"]
                after = new["providers"][step.api][ptype]["config_schema"]["properties"]
                assert step.from_ in before and step.from_ not in after, ptype
                assert step.to in after, ptype
        elif step.op == "rename_provider_type":
            api_before = "agents" if step.api == "responses" else step.api
            assert step.from_ in old["registry"][api_before], step
            assert step.from_ not in new["registry"].get(step.api, []), step
            assert step.to in new["registry"][step.api], step
        elif step.op == "rename_api":
            assert step.from_ in old["apis"] and step.from_ not in new["apis"]
            assert step.to in new["apis"]


def test_store_moves_agree_with_the_generated_schemas() -> None:
    old, new = _schema_before_after("storage-backends")
    step = next(
        s for s in load_migrations().boundary("storage-backends").steps if s.op == "storage"
    )
    for move in step.providers:
        head = (move.to or "").split(".")[0]
        requiring = set()
        for ptype, entry in new["providers"].get(move.api, {}).items():
            before = old["providers"].get(move.api, {}).get(ptype)
            if before is None or move.from_ not in before["config_schema"].get("properties", {}):
                continue
            assert head in entry["config_schema"].get("properties", {}), (move.api, ptype, head)
            if head in entry["config_schema"].get("required", []):
                requiring.add(ptype)
        assert requiring == set(move.required_for), (move.api, move.from_)
    for kind, backend in step.backends.items():
        types = set(step.backend_types[kind].values())
        mapping = new["$defs"]["StorageConfig"]["properties"]["backends"]["additionalProperties"]
        assert types <= set(mapping["discriminator"]["mapping"]), kind
        assert backend.name.startswith(kind)


def test_clients_and_images_name_known_things() -> None:
    kb, rules_pack = pack()
    rules = load_migrations()
    routes = {f.subject: f for f in kb.topic("routes")}
    for rename in rules.route_renames:
        assert rename.to in routes and routes[rename.to].since == rename.since, rename
    assert set(rules.fix_rules) <= {r.id for r in rules_pack}
    for r in rules.fix_rules:
        rule = next(x for x in rules_pack if x.id == r)
        assert rule.fix.availability != "never", r
    families = {f.id for f in kb.images}
    assert {i.family for i in rules.images} <= families
    for pin in rules.provider_pins:
        assert all(hasattr(r, pin.release_field) for r in kb.platform("rhoai").releases)


# -- the line merge ---------------------------------------------------------------------------------
def test_merge_keeps_what_ruamel_would_normalise() -> None:
    original = "a: null\nlist:\n    - x   # kept\n    - y\nb:\n  c: 1\n"
    rt = load(original)
    rt.data["b"]["c"] = 2
    rt.data["b"]["d"] = 3
    assert rt.render() == "a: null\nlist:\n    - x   # kept\n    - y\nb:\n  c: 2\n  d: 3\n"


def test_merge_widens_a_change_inside_a_normalised_region() -> None:
    original = "list:\n    - x\n    - y\nz: 1\n"
    rt = load(original)
    rt.data["list"].append("w")
    out = rt.render()
    assert (
        out == "list:\n- x\n- y\n- w\nz: 1\n" or out == "list:\n    - x\n    - y\n    - w\nz: 1\n"
    )
    assert out.endswith("z: 1\n")


def test_merge_unchanged_is_identity() -> None:
    text = "k: 'quoted'   # c\nn: null\n"
    assert load(text).render() == text
    assert merge_lines(text, "k: 'quoted'   # c\nn:\n", "k: 'quoted'   # c\nn:\n") == text


def test_roundtrip_refuses_several_documents() -> None:
    from linter.upgrade.roundtrip import RoundTripError

    with pytest.raises(RoundTripError, match="2 YAML documents"):
        load("a: 1\n---\nb: 2\n")
