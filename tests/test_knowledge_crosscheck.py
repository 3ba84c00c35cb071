"""The knowledge base against recorded truth (tests/data/knowledge/, see its README).

For every upstream and fork tag in the recorded route tables, and for the runtime every RHOAI
release ships, the knowledge base's route verdicts (and so SA304's) equal the routes of the OpenAPI
specs; provider-type facts equal the provider registry scan; features that are routes start where
the tables say; Chunk, env-syntax, run-config-version and layout facts predict what the real
releases did in the recorded probes; RHOAI's own default run configs get exactly the SA201-SA205
findings listed here on their own release. Each check is a function that returns its mismatches, and
test_a_broken_fact_is_caught breaks a fact to show that the checks can fail.

The vendored tables are a lossless compact form of the recorded ones
(scripts/vendor_knowledge_data.py); where the recording is present (../shared), the last tests prove
that the vendored files equal it.
"""

from __future__ import annotations

import dataclasses
import json
import re
from functools import cache
from pathlib import Path

import pytest

from linter.checks.routes import _served
from linter.knowledge import Fact, KnowledgeBase
from linter.versions import Version
from tests.conftest import corpus_wide
from tests.helpers import lint_files, load_script, pack

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "tests" / "data" / "knowledge"
SOURCE = REPO.parent / "shared" / "knowledge" / "data"
ROUTE_IN_BACKTICKS = re.compile(r"`(/v1(?:alpha|beta)?/[^`\s]*)`")


@cache
def vendor_module():
    return load_script("vendor_knowledge_data")


def kb() -> KnowledgeBase:
    return pack()[0]


def normalize(route: str) -> str:
    """`POST /v1/vector-dbs/{vector_db_id}` -> `/v1/vector-dbs/{}` (as SA304 normalizes paths)."""
    return re.sub(r"\{[^}]*\}", "{}", route.split(" ", 1)[1]).rstrip("/")


@cache
def route_tables() -> dict[str, dict[str, set[str]]]:
    """Version (`0.2.22`, `0.3.0rc3+rhai0`) -> normalized path -> statuses of its methods."""
    compact = json.loads((DATA / "routes_by_tag.json").read_text())
    out: dict[str, dict[str, set[str]]] = {}
    for name in ("upstream", "fork"):
        for tag, routes in vendor_module().expand_routes(compact, name).items():
            table = out.setdefault(tag.removeprefix("v"), {})
            for route, status in routes.items():
                table.setdefault(normalize(route), set()).add(status)
    return out


@cache
def provider_tables() -> dict[str, dict[str, list[str]]]:
    compact = json.loads((DATA / "provider_types_by_tag.json").read_text())
    return {
        tag.removeprefix("odh:").removeprefix("v"): entries
        for tag, entries in vendor_module().expand_provider_types(compact).items()
    }


def matching(table: dict[str, set[str]], subject: str) -> set[str]:
    """Statuses of the recorded routes at or under a route prefix."""
    return {
        s
        for path, statuses in table.items()
        if path == subject or path.startswith(subject + "/")
        for s in statuses
    }


# -- the checks: each returns its mismatches ---------------------------------------------------------
def route_fact_mismatches(facts: list[Fact], tables: dict[str, dict[str, set[str]]]) -> list[str]:
    out = []
    for fact in facts:
        for tag, table in tables.items():
            version = Version.parse(tag)
            statuses = matching(table, fact.subject)
            if fact.present(version) != bool(statuses):
                out.append(f"{fact.id} on {tag}: knowledge says served={fact.present(version)}")
            elif statuses and fact.deprecated(version) != (statuses == {"deprecated"}):
                out.append(
                    f"{fact.id} on {tag}: knowledge says deprecated={fact.deprecated(version)}"
                )
    return out


def recorded_route_false_positives(facts: list[Fact], tables) -> list[str]:
    """Recorded routes that SA304's verdict would call unserved on their own release."""
    out = []
    for tag, table in tables.items():
        version = Version.parse(tag)
        for path in table:
            fact, served = _served(facts, path, version)
            if fact is not None and not served:
                out.append(f"{path} on {tag}: SA304 would say {fact.id} is not served")
    return out


def provider_type_mismatches(facts: list[Fact], tables) -> list[str]:
    out = []
    for fact in facts:
        for tag, entries in tables.items():
            version = Version.parse(tag)
            recorded = fact.subject in entries.get(fact.api or "", [])
            if fact.present(version) != recorded:
                out.append(f"{fact.id} on {tag}: knowledge says present={fact.present(version)}")
    return out


def feature_route_mismatches(facts: list[Fact], tables) -> list[str]:
    out = []
    for fact in facts:
        for route in ROUTE_IN_BACKTICKS.findall(fact.subject):
            subject = re.sub(r"\{[^}]*\}", "{}", route)
            for tag, table in tables.items():
                version = Version.parse(tag)
                if fact.present(version) != bool(matching(table, subject)):
                    out.append(f"{fact.id} ({route}) on {tag}: says {fact.present(version)}")
    return out


# -- routes --------------------------------------------------------------------------------------------
def test_every_route_fact_equals_the_recorded_tables():
    assert route_fact_mismatches(kb().topic("routes"), route_tables()) == []


def test_sa304_never_calls_a_recorded_route_unserved():
    assert recorded_route_false_positives(kb().topic("routes"), route_tables()) == []


def test_the_tables_cover_upstream_and_fork_tags():
    tags = set(route_tables())
    assert {"0.2.10", "0.2.22", "0.3.0", "0.4.0", "0.8.0"} <= tags
    assert {"0.3.0rc3+rhai0", "0.3.5.1+rhai0", "0.4.2.1+rhai0", "0.7.1+rhaiv.1"} <= tags


def rhoai_table(release_llamastack: str) -> tuple[str, dict[str, set[str]]]:
    """The recorded table for what an RHOAI release ships: its own tag's, else (a fork build that
    was not recorded) the table of the upstream release it was cut from."""
    tables = route_tables()
    if release_llamastack in tables:
        return release_llamastack, tables[release_llamastack]
    build = kb().fork_build(Version.parse(release_llamastack))
    assert build is not None and build.cut_from in tables, release_llamastack
    return build.cut_from, tables[build.cut_from]


@pytest.mark.parametrize("release", [r.version for r in pack()[0].platform("rhoai").releases])
def test_rhoai_runtime_route_verdicts_equal_its_table(release):
    runtime = kb().release("rhoai", release).llamastack
    source, table = rhoai_table(runtime)
    version = Version.parse(runtime)
    wrong = [
        f"{f.id}: knowledge says served={f.present(version)}, {source}'s table says {bool(matching(table, f.subject))}"
        for f in kb().topic("routes")
        if f.present(version) != bool(matching(table, f.subject))
    ]
    assert wrong == []


def test_rhoai_30_lacks_vector_dbs_and_inference_routes():
    version = Version.parse(kb().release("rhoai", "3.0").llamastack)
    assert str(version) == "0.3.0rc3+rhai0"
    routes = kb().topic("routes")
    for path in ("/v1/vector-dbs", "/v1/vector-dbs/{}/docs", "/v1/inference/chat-completion"):
        fact, served = _served(routes, path, version)
        assert fact is not None and not served, path
    assert _served(routes, "/v1/vector_stores", version) == (kb().fact("route.vector-stores"), True)


def test_fork_builds_equal_the_upstream_release_they_were_cut_from():
    tables, providers = route_tables(), provider_tables()
    checked = []
    for build in kb().fork_builds:
        if build.version in tables and build.cut_from:
            assert tables[build.version] == tables[build.cut_from], build.version
            assert providers[build.version] == providers[build.cut_from], build.version
            checked.append(build.version)
    assert len(checked) >= 6
    # the RHOAI 3.0 build has no upstream release: 0.3 routes, 0.2.22 provider registry
    assert tables["0.3.0rc3+rhai0"] == tables["0.3.0"]
    assert providers["0.3.0rc3+rhai0"] == providers["0.2.22"]


def test_client_calls_name_a_route_fact_and_a_recorded_route():
    subjects = {f.subject for f in kb().topic("routes")}
    every_path = {p for table in route_tables().values() for p in table}
    for call in kb().topic("client_calls"):
        assert call.api in subjects, call.id
        assert any(p == call.api or p.startswith(call.api + "/") for p in every_path), call.id


def test_feature_routes_start_where_the_tables_say():
    assert feature_route_mismatches(kb().topic("features"), route_tables()) == []


# -- provider types ----------------------------------------------------------------------------------
def test_provider_type_facts_equal_the_registry_scan():
    assert provider_type_mismatches(kb().topic("provider_types"), provider_tables()) == []


def test_telemetry_provider_boundary_keeps_the_rhoai_30_build():
    tables, fact = provider_tables(), kb().fact("provider.telemetry-api")
    for tag, entries in tables.items():
        recorded = "inline::meta-reference" in entries.get("telemetry", [])
        assert fact.present(Version.parse(tag)) == recorded, tag


# -- probes of the real releases ----------------------------------------------------------------------
def probe(version: str) -> dict[str, str]:
    return json.loads((DATA / f"probe_llama-stack-{version}.json").read_text())


@pytest.mark.parametrize("version", ["0.2.10", "0.2.22", "0.3.0", "0.4.2"])
def test_probe_outcomes_follow_from_the_facts(version):
    p, v, fact = probe(version), Version.parse(version), kb().fact
    expected = {
        "version=2 rejected": fact("run-config.version-string").present(v),
        "storage required": fact("key.storage-required").present(v),
        "top-level models read": fact("key.models").present(v),
        "old env default substituted": fact("env.syntax-old").present(v),
        "new env default substituted": fact("env.syntax-new").present(v),
        "chunk has an id field": fact("chunk.id-field").present(v),
        "chunk id required": fact("chunk.id-required").present(v),
        "stored_chunk_id accepted": fact("chunk.stored-chunk-id-alias").present(v),
        "int chunk id rejected as a string": fact("chunk.id-is-string").present(v),
        "milvus token required": fact("provider.milvus-token-required").present(v),
        "vllm url read": fact("provider.vllm-url").present(v),
    }
    observed = {
        "version=2 rejected": p["version=2"].startswith("ERROR")
        and "string_type" in p["version=2"],
        "storage required": "storage" in p["v0.2-shaped config without storage:"]
        and p["v0.2-shaped config without storage:"].startswith("ERROR"),
        "top-level models read": "'has_attr_models': True" in p["top-level models:"],
        "old env default substituted": p["env ${env.LLSPROBE_UNSET:default}"] == "OK 'default'",
        "new env default substituted": p["env ${env.LLSPROBE_UNSET:=default}"] == "OK 'default'",
        "chunk has an id field": "has no attribute 'chunk_id'"
        not in p["Chunk(content, metadata.document_id) no id"],
        "chunk id required": "chunk_id |   Field required"
        in p["Chunk(content, metadata.document_id) no id"],
        "stored_chunk_id accepted": p["Chunk(stored_chunk_id='abc')"] == "OK 'abc'",
        "int chunk id rejected as a string": "string_type" in p["Chunk(chunk_id=123 int)"],
        "milvus token required": "token |   Field required"
        in p["remote::milvus config with only uri"],
        "vllm url read": "'url'" in p["remote::vllm config(url=...)"],
    }
    assert observed == expected


@pytest.mark.parametrize("version", ["0.2.22", "0.3.5"])
def test_int_metadata_chunk_id_is_accepted_then_fails_in_the_store(version):
    """SA305's stated reason, from scripts/verify_chunk_id.py run on the real releases."""
    path = REPO / "docs" / "evidence" / f"chunk_id_llama-stack-{version}.json"
    record = json.loads(path.read_text())
    assert record["llama_stack"] == version
    promoted, is_string = kb().fact("chunk.metadata-id-promoted"), kb().fact("chunk.id-is-string")
    assert promoted.present(Version.parse(version)) and is_string.present(Version.parse(version))
    assert record["request metadata.chunk_id int: validate"].startswith(
        "OK {'chunk_id': 7, 'type': 'int'"
    )
    assert "string_type" in record["request chunk_id int: validate"]
    assert record["faiss add_chunks"].startswith("OK")
    assert "string_type" in record["faiss index loaded again from its kvstore (server restart)"]
    assert "DataNotMatchException" in record["milvus_lite add_chunks"]
    assert record["request metadata.chunk_id int 0: validate"].startswith("OK {'chunk_id': '")


# -- RHOAI's own default run configs on their own release ---------------------------------------------
#: The SA201-SA205 findings each release's default config gets on that release: (rule, line, key).
#: 3.3 and 3.4 carry remote::azure `api_base` and a top-level `telemetry:` that the upstream release
#: they were cut from does not read (upstream 0.4.2's StackConfig ignores `telemetry`, recorded on the
#: real package; its AzureConfig reads `base_url`). Everything else is clean.
RHOAI_DEFAULT_CONFIG_FINDINGS = {
    "2.22": [],
    "2.23": [],
    "2.24": [],
    "2.25": [],
    "3.0": [],
    "3.2": [],
    "3.3": [("SA203", 48, "api_base"), ("SA203", 335, "telemetry")],
    "3.4": [("SA203", 48, "api_base"), ("SA203", 364, "telemetry")],
}


@pytest.mark.parametrize("release", sorted(RHOAI_DEFAULT_CONFIG_FINDINGS))
def test_rhoai_default_config_on_its_own_release(tmp_path, release):
    (path,) = (DATA / "rhoai" / release).iterdir()
    result = lint_files(
        tmp_path,
        {path.name: path.read_bytes()},
        target={"rhoai": release},
        select=["SA201", "SA202", "SA203", "SA204", "SA205"],
    )
    found = [(f.rule, f.span.start.line, f.snippet) for f in result.findings]
    assert found == RHOAI_DEFAULT_CONFIG_FINDINGS[release]


VLLM_CONFIG = """\
version: 2
image_name: rh
apis: [inference]
providers:
  inference:
  - provider_id: vllm
    provider_type: remote::vllm
    config:
      base_url: http://vllm:8000/v1
      made_up: 1
storage:
  backends: {}
  stores: {}
"""


def test_a_fork_build_and_its_upstream_release_give_the_same_verdicts(tmp_path):
    def findings(target):
        result = lint_files(tmp_path, {"run.yaml": VLLM_CONFIG}, target=target, select=["SA203"])
        return [
            (f.rule, f.span.start.line, f.span.start.column, f.snippet) for f in result.findings
        ]

    on_fork = findings({"rhoai": "3.2"})
    assert on_fork == findings({"llamastack": "0.3.5"})
    assert on_fork == [("SA203", 9, 7, "base_url"), ("SA203", 10, 7, "made_up")]


def test_the_fork_reads_the_bedrock_keys_rhoai_32_sets(tmp_path):
    config = VLLM_CONFIG.replace(
        "  - provider_id: vllm\n    provider_type: remote::vllm\n    config:\n"
        "      base_url: http://vllm:8000/v1\n      made_up: 1\n",
        "  - provider_id: bedrock\n    provider_type: remote::bedrock\n    config:\n"
        "      api_key: k\n      region_name: us-east-2\n      made_up: 1\n",
    )

    def findings(target):
        result = lint_files(tmp_path, {"run.yaml": config}, target=target, select=["SA203"])
        return [(f.span.start.line, f.snippet) for f in result.findings]

    assert findings({"rhoai": "3.2"}) == [(11, "made_up")]
    assert findings({"llamastack": "0.3.5"}) == [(9, "api_key"), (11, "made_up")]


# -- the checks can fail -----------------------------------------------------------------------------
def test_a_broken_fact_is_caught():
    """Dating the /v1/vector-dbs removal at 0.3.0 (string order would agree) misses RHOAI 3.0."""
    routes = kb().topic("routes")
    broken = [
        dataclasses.replace(f, until="0.3.0") if f.id == "route.vector-dbs" else f for f in routes
    ]
    wrong = route_fact_mismatches(broken, route_tables())
    assert wrong == ["route.vector-dbs on 0.3.0rc3+rhai0: knowledge says served=True"]
    ptypes = [
        dataclasses.replace(f, since="0.2.21") if f.id == "ptype.azure" else f
        for f in kb().topic("provider_types")
    ]
    assert provider_type_mismatches(ptypes, provider_tables()) == [
        "ptype.azure on 0.2.21: knowledge says present=True"
    ]
    features = [
        dataclasses.replace(f, since="0.2.10") if f.id == "feature.openai-chat-completions" else f
        for f in kb().topic("features")
    ]
    assert feature_route_mismatches(features, route_tables())[0].startswith(
        "feature.openai-chat-completions (/v1/openai/v1/chat/completions) on 0.2.2"
    )


# -- the vendored data equals the recording -----------------------------------------------------------
needs_source = pytest.mark.skipif(  # corpus-wide: the whole recording
    not SOURCE.is_dir(),
    reason=corpus_wide(SOURCE) + ": the recording the vendored data is checked against",
)


@needs_source
def test_vendored_files_equal_what_the_script_derives_from_the_recording():
    expected = vendor_module().expected_files(SOURCE)
    actual = {
        str(p.relative_to(DATA)): p.read_bytes()
        for p in DATA.rglob("*")
        if p.is_file() and p.name != "README.md"
    }
    assert actual == expected


@needs_source
def test_compact_tables_expand_to_the_recorded_json():
    module = vendor_module()
    derived = SOURCE / "derived"
    routes = json.loads((DATA / "routes_by_tag.json").read_text())
    assert module.expand_routes(routes, "upstream") == json.loads(
        (derived / "llamastack_routes_by_tag.json").read_text()
    )
    assert module.expand_routes(routes, "fork") == json.loads(
        (derived / "odh_llamastack_fork_routes_by_tag.json").read_text()
    )
    ptypes = json.loads((DATA / "provider_types_by_tag.json").read_text())
    assert module.expand_provider_types(ptypes) == json.loads(
        (derived / "provider_types_by_tag.json").read_text()
    )


# -- what rule texts state about versions -------------------------------------------------------------
VERSION = r"\d+\.\d+\.\d+(?:\.\d+)?(?:rc\d+)?(?:\+rhaiv?\.?\d+)?"
#: "RHOAI 2.25 (LlamaStack 0.2.22)", "RHOAI 2.25, which ships 0.2.22", "RHOAI 3.0's 0.3.0rc3+rhai0"
RHOAI_CLAIM = re.compile(rf"RHOAI (\d+\.\d+)\b([^.;\n]{{0,40}}?)\b({VERSION})")
NOT_A_LLAMASTACK_CLAIM = ("operator", "trustyai", "`", " from ", " has none")


def rule_texts():
    for rule in pack()[1]:
        yield rule.id, rule.summary
        yield rule.id, rule.help
        yield from ((rule.id, m) for m in rule.messages.values())
        yield from ((rule.id, ex.description) for ex in rule.examples)


def test_rule_texts_name_the_llamastack_each_rhoai_release_ships():
    claims, wrong = 0, []
    for rule_id, text in rule_texts():
        for m in RHOAI_CLAIM.finditer(text):
            if any(word in m.group(2) for word in NOT_A_LLAMASTACK_CLAIM):
                continue
            claims += 1
            release = kb().release("rhoai", m.group(1))
            if release is None or release.llamastack != m.group(3):
                wrong.append(f"{rule_id}: {m.group(0)!r}")
    assert wrong == []
    assert claims >= 15


def test_messages_take_versions_from_the_knowledge_base():
    """A message states a version only through a placeholder the knowledge base fills."""
    literal = re.compile(r"\b\d+\.\d+\.\d+")
    assert [
        f"{rule.id} {name}"
        for rule in pack()[1]
        for name, template in rule.messages.items()
        if literal.search(template)
    ] == []
