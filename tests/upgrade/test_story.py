"""`stackalign upgrade` on the story example (RHOAI 2.25 -> 3.2): the plan in every format and
the migration's diff are snapshots; `--fix` changes exactly the migrated sections, a second run
changes nothing, and the migrated story lints clean under 3.2 except the manual-work items."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import REPO
from tests.helpers import cli_in

STORY = REPO / "examples" / "story"
SNAPSHOTS = Path(__file__).parent / "snapshots"


def run(cwd: Path, *args: str):
    return cli_in(cwd, "upgrade", *args)


@pytest.fixture
def story(tmp_path: Path) -> Path:
    root = tmp_path / "story"
    shutil.copytree(STORY, root)
    return root


@pytest.mark.parametrize(
    ("fmt", "name"),
    [("text", "story-3.2.txt"), ("json", "story-3.2.json"), ("markdown", "story-3.2.md")],
)
def test_plan_snapshot(snapshot, fmt: str, name: str) -> None:
    result = run(STORY, "--to", "rhoai=3.2", "--format", fmt)
    assert result.exit_code == 1, result.output  # the upgrade breaks something
    snapshot.snapshot_dir = SNAPSHOTS
    snapshot.assert_match(result.stdout, name)


def test_diff_snapshot(snapshot) -> None:
    result = run(STORY, "--to", "rhoai=3.2", "--diff")
    assert result.exit_code == 1
    snapshot.snapshot_dir = SNAPSHOTS
    snapshot.assert_match(result.stdout, "story-3.2.diff")


def test_diff_applies_with_git_and_equals_fix(story: Path, tmp_path: Path) -> None:
    diff = run(story, "--to", "rhoai=3.2", "--diff").stdout
    other = tmp_path / "other"
    shutil.copytree(STORY, other)
    subprocess.run(["git", "apply", "-"], input=diff.encode(), cwd=other, check=True)
    fixed = run(story, "--to", "rhoai=3.2", "--fix")
    assert fixed.exit_code == 1  # manual work the upgrade introduces is left
    assert "Migrated 5 files to RHOAI 3.2." in fixed.stderr
    for p in sorted(story.rglob("*")):
        if p.is_file():
            assert p.read_bytes() == (other / p.relative_to(story)).read_bytes(), p


def _changed_lines(before: bytes, after: bytes) -> tuple[list[str], list[str]]:
    import difflib

    a, b = before.decode().splitlines(keepends=True), after.decode().splitlines(keepends=True)
    removed, added = [], []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag != "equal":
            removed += a[i1:i2]
            added += b[j1:j2]
    return removed, added


def test_fix_changes_only_the_migrated_sections(story: Path) -> None:
    run(story, "--to", "rhoai=3.2", "--fix")
    # Subscription: the channel and startingCSV lines, nothing else
    sub = "gitops/operators/rhoai/subscription.yaml"
    assert _changed_lines((STORY / sub).read_bytes(), (story / sub).read_bytes()) == (
        ["  channel: stable-2.25\n", "  startingCSV: rhods-operator.2.25.0\n"],
        ["  channel: stable-3.2\n", "  startingCSV: rhods-operator.3.2.0\n"],
    )
    # LlamaStackDistribution: the image line becomes the distribution name; the comment above stays
    lsd = "gitops/llamastack/llamastackdistribution.yaml"
    assert _changed_lines((STORY / lsd).read_bytes(), (story / lsd).read_bytes()) == (
        ["      image: quay.io/redhat-et/llama:vllm-milvus-0.2.8\n"],
        ["      name: rh-dev\n"],
    )
    # the ConfigMap: lines 1-39 (header, comment, providers up to the Milvus keys) and the lines
    # from `safety:` to `config: {}` of rag-runtime are byte-identical; `server:` ends the file
    cm = "gitops/llamastack/llama-stack-config.yaml"
    old = (STORY / cm).read_text().splitlines(keepends=True)
    new = (story / cm).read_text().splitlines(keepends=True)
    assert new[:39] == old[:39]
    assert new[39:42] == [
        "          persistence:\n",
        "            backend: kv_default\n",
        "            namespace: vector_io::milvus_remote\n",
    ]
    safety = old.index("      safety:\n")
    assert new[safety + 3 : safety + 3 + 15] == [
        line.replace("==0.2.2", "==0.3.2") for line in old[safety : safety + 15]
    ]
    assert new[-2:] == old[-2:] == ["    server:\n", "      port: 8321\n"]
    for line in new:  # every content line keeps the block's 4-space indentation
        assert (
            line == "\n"
            or not line.strip()
            or line.startswith(
                ("    ", "apiVersion", "kind", "metadata", "  name", "data", "  run.yaml")
            )
        )
    # the pipelines call rag-demo, which moves from 0.2.8 to 0.3.5: the int metadata.chunk_id
    # becomes the chunk id there (SA305), so the migration wraps it, in the component and in the
    # compiled pipeline, and changes nothing else
    py = "pipelines/ingest_pipeline.py"
    assert _changed_lines((STORY / py).read_bytes(), (story / py).read_bytes()) == (
        ['                    "metadata": {"document_id": document_id, "chunk_id": i},\n'],
        ['                    "metadata": {"document_id": document_id, "chunk_id": str(i)},\n'],
    )
    compiled = "pipelines/ingest_pipeline.yaml"
    removed, added = _changed_lines(
        (STORY / compiled).read_bytes(), (story / compiled).read_bytes()
    )
    assert [line.replace(": i}", ": str(i)}") for line in removed] == added and len(added) == 1
    # sitecustomize: untouched (manual work)
    rel = "gitops/llamastack/sitecustomize.yaml"
    assert (story / rel).read_bytes() == (STORY / rel).read_bytes()


def _tree(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


@pytest.mark.parametrize(
    "again", [["--to", "rhoai=3.2"], ["--from", "rhoai=2.25", "--to", "rhoai=3.2"]]
)
def test_fix_again_changes_nothing(story: Path, again: list[str]) -> None:
    run(story, "--to", "rhoai=3.2", "--fix")
    migrated = _tree(story)
    second = run(story, *again, "--fix")
    assert "Migrated 0 files to RHOAI 3.2." in second.stderr
    assert _tree(story) == migrated
    diff = run(story, *again, "--diff")
    assert (diff.exit_code, diff.stdout) == (0, "")
    plan = json.loads(run(story, *again, "--format", "json").stdout)
    assert plan["migration"] == {"files": [], "run_configs": []}


def test_migrated_story_lints_clean_except_manual_work(story: Path) -> None:
    plan = json.loads(run(story, "--to", "rhoai=3.2", "--format", "json").stdout)
    run(story, "--to", "rhoai=3.2", "--fix")
    lint = json.loads(cli_in(story, "lint", "--format", "json").stdout)
    assert lint["target"]["version"] == "3.2"  # detected from the migrated Subscription
    found = sorted((f["path"], f["line"], f["rule"]) for f in lint["findings"])
    manual = sorted((m["path"], m["line"], m["rule"]) for m in plan["manual"] if m["rule"])
    assert found == manual
    # the upgrade's own breaks that are left are the client calls to removed APIs and the client
    # pins the new server rejects (HTTP 426): changing them changes what the code runs
    introduced = sorted({m["rule"] for m in plan["manual"] if m["rule"] and m["introduced"]})
    assert introduced == ["SA304", "SA306"]
    # and nothing the migration touched is a finding any more
    assert not [
        f
        for f in lint["findings"]
        if f["rule"] in ("SA201", "SA203", "SA205", "SA206", "SA101", "SA103")
    ]


def test_plan_counts_and_fixes() -> None:
    plan = json.loads(run(STORY, "--to", "rhoai=3.2", "--format", "json").stdout)
    assert plan["from"]["version"] == "2.25" and plan["to"]["version"] == "3.2"
    assert plan["from"]["source"] == "gitops/operators/rhoai/subscription.yaml:12"
    breaks = [i for i in plan["items"] if i["status"] == "breaks"]
    # the config layout breaks on 0.3.5 and the migration fixes it; client calls do not
    layout = [i for i in breaks if i["rule"] == "SA203"]
    keys = sorted(i["message"].split("`")[1] for i in layout)
    assert keys == [
        "metadata_store:",
        "models:",
        "shields:",
        "storage:",
        "tool_groups:",
        "vector_dbs:",
    ]
    assert all(i["fix"]["kind"] == "migration" for i in layout)
    clients = [i for i in breaks if i["rule"] == "SA304"]
    assert {i["path"] for i in clients} == {
        "pipelines/ingest_pipeline.py",
        "pipelines/ingest_pipeline.yaml",
        "pipelines/rag_smoke_test.yaml",
    }
    assert all(
        i["fix"]["kind"] == "manual" and i["fix"]["docs"].startswith("https://") for i in clients
    )
    # the int metadata.chunk_id breaks on 0.3.5 (it becomes the chunk id) and is migrated
    sa305 = [i for i in breaks if i["rule"] == "SA305"]
    assert {i["path"] for i in sa305} == {
        "pipelines/ingest_pipeline.py",
        "pipelines/ingest_pipeline.yaml",
    } and all(i["fix"]["kind"] == "migration" for i in sa305)
    # resolved: what only the 0.2.8 image got wrong (module: providers load from 0.2.16 on)
    resolved = {(i["rule"], i["line"]) for i in plan["items"] if i["status"] == "resolves"}
    assert {("SA201", 8), ("SA103", 12), ("SA401", 43), ("SA304", 32)} <= resolved
    assert plan["by_server"]["0.3.5+rhai0 (distribution rh-dev on RHOAI 3.2)"]["breaks"] == 16
    assert plan["servers"][0] == {
        "server": "LlamaStackDistribution/rag-demo (gitops/llamastack/llamastackdistribution.yaml:1)",
        "before": "0.2.8 (image of LlamaStackDistribution rag-demo)",
        "after": "0.3.5+rhai0 (distribution rh-dev on RHOAI 3.2)",
    }


def test_readme_shows_the_story_plan() -> None:
    """The README's abridged plan starts and ends as the real one does."""
    out = run(STORY, "--to", "rhoai=3.2").stdout.splitlines()
    readme = (REPO / "README.md").read_text()
    for line in out[:8] + [out[-1]]:
        assert line in readme, line
