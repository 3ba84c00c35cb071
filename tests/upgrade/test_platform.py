"""The platform side of `upgrade --fix` on small repositories: Subscription channel and
startingCSV (and their kustomize patches), LlamaStackDistribution images, the ConfigMap key, run
configs in files and ConfigMap block scalars; BOM, CRLF and a missing final newline are kept."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest
import yaml

from tests.helpers import cli_in, write_files


def upgrade(root: Path, *args: str):
    return cli_in(root, "upgrade", *args)


def sub(channel: str, csv: str | None = None, quote: str = "") -> str:
    text = (
        "apiVersion: operators.coreos.com/v1alpha1\nkind: Subscription\n"
        "metadata: {name: rhods-operator, namespace: redhat-ods-operator}\n"
        f"spec:\n  name: rhods-operator\n  channel: {quote}{channel}{quote}  # the release\n"
    )
    return text + (f"  startingCSV: {csv}\n" if csv else "")


def llsd(distribution: str, config: str | None = None) -> str:
    text = (
        "apiVersion: llamastack.io/v1alpha1\nkind: LlamaStackDistribution\n"
        f"metadata:\n  name: demo\nspec:\n  server:\n    distribution:\n      {distribution}\n"
    )
    return text + (f"    userConfig:\n      configMapName: {config}\n" if config else "")


RUN_YAML_022 = """\
version: 2
image_name: demo
apis:
- inference
- vector_io
providers:
  inference:
  - provider_id: vllm
    provider_type: remote::vllm
    config:
      url: ${env.VLLM_URL:=http://vllm:8000/v1}   # the model server
  vector_io:
  - provider_id: milvus
    provider_type: inline::milvus
    config:
      db_path: /data/milvus.db
      kvstore:
        type: sqlite
        db_path: /data/milvus_registry.db
metadata_store:
  type: sqlite
  db_path: /data/registry.db
models:
- model_id: granite
  provider_id: vllm
  model_type: llm
vector_dbs:
- vector_db_id: docs
  embedding_model: granite-embedding
  embedding_dimension: 768
server:
  port: 8321
"""


def configmap(key: str = "run.yaml", header: str = "|", body: str = RUN_YAML_022) -> str:
    indented = "".join(("    " + line if line.strip() else line) for line in body.splitlines(True))
    return (
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: stack-config\n"
        f"data:\n  {key}: {header}\n{indented}"
        "  other.txt: keep me\n"
    )


def test_channel_csv_and_patches(tmp_path: Path) -> None:
    write_files(
        tmp_path,
        {
            "sub.yaml": sub("stable-2.25", "rhods-operator.2.25.1", quote='"'),
            "overlays/eus-2.25/patch.yaml": "- op: replace\n  path: /spec/channel\n  value: eus-2.25\n",
            "overlays/eus-2.25/kustomization.yaml": (
                "resources: [../../sub.yaml]\npatches:\n- path: patch.yaml\n"
                "  target: {kind: Subscription, name: rhods-operator}\n"
            ),
            "overlays/stable-3.4/patch.yaml": "- op: replace\n  path: /spec/channel\n  value: stable-3.4\n",
        },
    )
    result = upgrade(
        tmp_path, "--from", "rhoai=2.25", "--to", "rhoai=3.2", "--fix", "--format", "json"
    )
    assert result.exit_code == 1, result.output  # the folder name is left to a person
    assert (tmp_path / "sub.yaml").read_text() == sub(
        "stable-3.2", "rhods-operator.3.2.0", quote='"'
    )
    # no eus channel for 3.2: stable; the folder name is manual work
    assert (tmp_path / "overlays/eus-2.25/patch.yaml").read_text().endswith("value: stable-3.2\n")
    assert (tmp_path / "overlays/stable-3.4/patch.yaml").read_text().endswith("value: stable-3.4\n")
    import json

    manual = json.loads(result.stdout)["manual"]
    assert [m["what"] for m in manual] == ["channel set to stable-3.2 in a folder named for 2.25"]


def test_alias_channel_is_manual(tmp_path: Path) -> None:
    write_files(tmp_path, {"sub.yaml": sub("fast")})
    result = upgrade(tmp_path, "--from", "rhoai=3.3", "--to", "rhoai=3.4", "--diff")
    assert (result.exit_code, result.stdout) == (0, "")
    plan = upgrade(tmp_path, "--from", "rhoai=3.3", "--to", "rhoai=3.4", "--format", "json").stdout
    assert '"what": "channel `fast`"' in plan


@pytest.mark.parametrize(
    ("image", "to", "expected"),
    [
        (
            "registry.redhat.io/rhoai/odh-llama-stack-core-rhel9:v2.25",
            "rhoai=3.2",
            "image: registry.redhat.io/rhoai/odh-llama-stack-core-rhel9:v3.2",
        ),
        (
            "quay.io/opendatahub/llama-stack:rhoai-v2.25-latest",
            "rhoai=3.3",
            "image: quay.io/opendatahub/llama-stack:rhoai-v3.3-latest",
        ),
        (
            "docker.io/llamastack/distribution-starter:0.2.22",
            "rhoai=3.2",
            "image: docker.io/llamastack/distribution-starter:0.3.5",
        ),
        (
            "llamastack/distribution-starter:v0.2.22",
            "llamastack=0.4.2",
            "image: llamastack/distribution-starter:v0.4.2",
        ),
        ("'quay.io/redhat-et/llama:vllm-0.2.7'", "rhoai=3.2", "name: rh-dev"),
        ("docker.io/llamastack/distribution-starter:latest", "rhoai=3.4", "name: rh-dev"),
    ],
)
def test_image_follows_the_release(tmp_path: Path, image: str, to: str, expected: str) -> None:
    write_files(tmp_path, {"lsd.yaml": llsd(f"image: {image}  # pinned")})
    frm = "rhoai=2.25" if to.startswith("rhoai") else "llamastack=0.2.22"
    upgrade(tmp_path, "--from", frm, "--to", to, "--fix")
    assert (tmp_path / "lsd.yaml").read_text() == llsd(f"{expected}  # pinned")


def test_image_by_digest_is_manual(tmp_path: Path) -> None:
    ref = "registry.redhat.io/rhoai/odh-llama-stack-core-rhel9@sha256:" + "a" * 64
    write_files(tmp_path, {"lsd.yaml": llsd(f"image: {ref}")})
    plan = upgrade(tmp_path, "--from", "rhoai=2.25", "--to", "rhoai=3.2", "--format", "json")
    import json

    doc = json.loads(plan.stdout)
    assert doc["migration"]["files"] == []
    assert any(m["what"] == f"LlamaStackDistribution/demo image {ref}" for m in doc["manual"])


def test_distribution_name_follows_the_platform(tmp_path: Path) -> None:
    write_files(
        tmp_path, {"lsd.yaml": llsd("name: rh-dev", "stack-config"), "cm.yaml": configmap()}
    )
    upgrade(tmp_path, "--from", "rhoai=2.25", "--to", "rhoai=3.2", "--fix")
    assert (tmp_path / "lsd.yaml").read_text() == llsd("name: rh-dev", "stack-config")
    cm = yaml.safe_load((tmp_path / "cm.yaml").read_text())
    run = yaml.safe_load(cm["data"]["run.yaml"])
    assert run["storage"]["backends"]["kv_default"] == {
        "type": "kv_sqlite",
        "db_path": "/data/kvstore.db",
    }
    assert run["registered_resources"]["vector_stores"] == [
        {
            "vector_store_id": "docs",
            "embedding_model": "granite-embedding",
            "embedding_dimension": 768,
        }
    ]
    assert cm["data"]["other.txt"] == "keep me"
    text = (tmp_path / "cm.yaml").read_text()
    assert "      url: ${env.VLLM_URL:=http://vllm:8000/v1}   # the model server\n" in text


def test_config_key_renamed_for_3_3(tmp_path: Path) -> None:
    write_files(
        tmp_path, {"lsd.yaml": llsd("name: rh-dev", "stack-config"), "cm.yaml": configmap()}
    )
    upgrade(tmp_path, "--from", "rhoai=2.25", "--to", "rhoai=3.3", "--fix")
    cm = yaml.safe_load((tmp_path / "cm.yaml").read_text())
    assert sorted(cm["data"]) == ["config.yaml", "other.txt"]
    run = yaml.safe_load(cm["data"]["config.yaml"])
    assert run["providers"]["inference"][0]["config"] == {
        "base_url": "${env.VLLM_URL:=http://vllm:8000/v1}"
    }
    lint = cli_in(tmp_path, "lint", "--select", "SA203,SA206", "--format", "json")
    assert '"findings": []' in lint.stdout


def test_config_key_in_configmap_generator(tmp_path: Path) -> None:
    write_files(
        tmp_path,
        {
            "lsd.yaml": llsd("name: rh-dev", "stack-config"),
            "kustomization.yaml": (
                "resources: [lsd.yaml]\nconfigMapGenerator:\n- name: stack-config\n"
                "  files:\n  - run.yaml\n"
            ),
            "run.yaml": RUN_YAML_022,
        },
    )
    upgrade(tmp_path, "--from", "rhoai=2.25", "--to", "rhoai=3.3", "--fix")
    assert "  files:\n  - config.yaml=run.yaml\n" in (tmp_path / "kustomization.yaml").read_text()
    migrated = yaml.safe_load((tmp_path / "run.yaml").read_text())
    assert "storage" in migrated and "metadata_store" not in migrated


@pytest.mark.parametrize("variant", ["bom", "crlf", "bom-crlf", "noeol"])
def test_encodings_kept(tmp_path: Path, variant: str) -> None:
    def encode(text: str) -> bytes:
        if "noeol" in variant:
            text = text.rstrip("\n")
        if "crlf" in variant:
            text = text.replace("\n", "\r\n")
        return (codecs.BOM_UTF8 if "bom" in variant else b"") + text.encode()

    write_files(
        tmp_path,
        {
            "lsd.yaml": encode(llsd("name: rh-dev", "stack-config")),
            "cm.yaml": encode(configmap()),
            "run.yaml": encode(RUN_YAML_022),
        },
    )
    upgrade(tmp_path, "--from", "rhoai=2.25", "--to", "rhoai=3.2", "--fix")
    for name in ("cm.yaml", "run.yaml"):
        raw = (tmp_path / name).read_bytes()
        assert raw.startswith(codecs.BOM_UTF8) == ("bom" in variant)
        text = raw.removeprefix(codecs.BOM_UTF8).decode()
        if "crlf" in variant:
            assert text.count("\r\n") == text.count("\n")
        else:
            assert "\r" not in text
        assert text.endswith("\n") == ("noeol" not in variant), name
        assert "storage:" in text
    # and again: nothing changes
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.is_file()}
    upgrade(tmp_path, "--from", "rhoai=2.25", "--to", "rhoai=3.2", "--fix")
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.is_file()} == before


def test_strip_chomping_block(tmp_path: Path) -> None:
    write_files(
        tmp_path,
        {"lsd.yaml": llsd("name: rh-dev", "stack-config"), "cm.yaml": configmap(header="|-")},
    )
    upgrade(tmp_path, "--from", "rhoai=2.25", "--to", "rhoai=3.2", "--fix")
    text = (tmp_path / "cm.yaml").read_text()
    assert "  run.yaml: |-\n    version: 2\n" in text
    value = yaml.safe_load(text)["data"]["run.yaml"]
    assert not value.endswith("\n") and "registered_resources" in value


def test_quoted_embedded_config_is_manual(tmp_path: Path) -> None:
    quoted = RUN_YAML_022.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    original = (
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: stack-config\n"
        f'data:\n  run.yaml: "{quoted}"\n'
    )
    assert yaml.safe_load(original)["data"]["run.yaml"] == RUN_YAML_022
    write_files(tmp_path, {"lsd.yaml": llsd("name: rh-dev", "stack-config"), "cm.yaml": original})
    result = upgrade(
        tmp_path, "--from", "rhoai=2.25", "--to", "rhoai=3.2", "--fix", "--format", "json"
    )
    assert (tmp_path / "cm.yaml").read_text() == original
    assert "is not a literal block scalar" in result.stdout
    assert result.exit_code == 1


def test_route_rename_for_clients(tmp_path: Path) -> None:
    client = (
        'import requests\n\nBASE = "http://demo-service:8321"\n\n\n'
        "def ask(q):\n"
        '    return requests.post(f"{BASE}/v1/openai/v1/chat/completions", json={"messages": q})\n'
    )
    write_files(tmp_path, {"sub.yaml": sub("stable-3.2"), "app.py": client})
    upgrade(tmp_path, "--to", "rhoai=3.3", "--fix")
    assert (tmp_path / "app.py").read_text() == client.replace("/v1/openai/v1/chat", "/v1/chat")
    assert (tmp_path / "sub.yaml").read_text() == sub("stable-3.3")


def test_safe_client_fix_when_the_upgrade_introduces_the_finding(tmp_path: Path) -> None:
    """An int chunk id: LlamaStack 0.2.10 has no chunk id, 0.4 rejects an int one. New on
    2.22 -> 3.3, and SA305's safe fix (`str(...)`) is one of the renames the migration applies."""
    client = (
        "def chunk(text, n):\n"
        '    return {"content": text, "chunk_id": int(n), "chunk_metadata": {}}\n'
    )
    write_files(tmp_path, {"sub.yaml": sub("stable-2.22"), "ingest.py": client})
    result = upgrade(tmp_path, "--to", "rhoai=3.3", "--format", "json")
    import json

    plan = json.loads(result.stdout)
    sa305 = [i for i in plan["items"] if i["rule"] == "SA305"]
    assert [(i["status"], i["fix"]["kind"]) for i in sa305] == [("breaks", "migration")]
    upgrade(tmp_path, "--to", "rhoai=3.3", "--fix")
    assert (tmp_path / "ingest.py").read_text() == client.replace("int(n)", "str(int(n))")
