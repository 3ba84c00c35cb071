"""SA306 against the recorded probe: for every (server, client line) pair the probe ran, the rule's
verdict equals what the real server did (rules/knowledge/probes/client-version-skew.json)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from linter.checks.clients import installed_release, skew_verdict
from tests.helpers import lint_files, load_script, pack

REPO = Path(__file__).resolve().parents[2]
RAW = json.loads((REPO / "rules/knowledge/probes/client-version-skew.json").read_text())
SKEW = pack()[0].client_skew
#: The probe's call names as the client SDK spells them (the knowledge file uses the latter).
CALLS = load_script("gen_client_skew_knowledge").CALLS


def _ok(call: dict) -> bool:
    return call.get("outcome") in ("ok", "not_probed")


def _pairs(mode: str):
    for server in RAW["servers"]:
        clients = server.get("modes", {}).get(mode, {}).get("clients", {})
        for line, result in clients.items():
            if "calls" in result:
                yield pytest.param(server, line, result, id=f"{server['version']}-{line}")


@pytest.mark.parametrize("server,line,result", list(_pairs("check")))
def test_verdict_with_the_check_on_equals_the_probe(server, line, result):
    """426 on every call exactly when the rule says `rejected`."""
    verdict = skew_verdict(SKEW, result["client"], server["version"], check_disabled=False)
    assert verdict is not None
    statuses = {name: call.get("status") for name, call in result["calls"].items() if not _ok(call)}
    rejected = result["calls"]["models_list"].get("status") == 426
    assert (verdict.outcome == "rejected") == rejected, statuses
    if rejected:
        assert set(statuses.values()) == {426}, statuses
    else:
        assert 426 not in statuses.values(), statuses


@pytest.mark.parametrize("server,line,result", list(_pairs("disabled_true")))
def test_verdict_with_the_check_off_equals_the_probe(server, line, result):
    """With LLAMA_STACK_DISABLE_VERSION_CHECK set no call is rejected, and the calls the rule names
    are the calls that failed for this client while the server's own client line succeeded."""
    verdict = skew_verdict(SKEW, result["client"], server["version"], check_disabled=True)
    assert verdict is not None and verdict.outcome != "rejected"
    own_line = ".".join(server["version"].split(".")[:2])
    own = server["modes"]["disabled_true"]["clients"][own_line]["calls"]
    unprobed_vector = bool(server.get("layout", {}).get("vector_io"))
    failed = {
        name
        for name, call in result["calls"].items()
        if not _ok(call)
        and not (unprobed_vector and name.startswith("vector"))
        and (_ok(own[name]) if name in own else call.get("status") in (400, 404, 405, 422))
    }
    assert {c.split(" ")[0] for c in verdict.failing} == {CALLS[name] for name in failed}
    assert (verdict.outcome == "not_served") == bool(failed)
    assert all(call.get("status") != 426 for call in result["calls"].values())


@pytest.mark.parametrize("server,line,result", list(_pairs("check")))
def test_the_rule_end_to_end_on_each_recorded_pair(tmp_path, server, line, result):
    """A requirements file pinning the probed client, linted against the probed server version."""
    release = result["client"]
    got = lint_files(
        tmp_path,
        {"requirements.txt": f"llama-stack-client=={release}\n"},
        target={"llamastack": server["version"]},
        select=["SA306"],
    )
    rejected = result["calls"]["models_list"].get("status") == 426
    assert [f.rule for f in got.findings] == (["SA306"] if rejected else [])
    if rejected:
        assert "HTTP 426" in got.findings[0].message


def test_header_capture_is_the_knowledge_base():
    """Each captured client release is in the knowledge base with the header behaviour observed."""
    recorded = {c.release: c.sends_header for c in SKEW.clients}
    captured = {
        rel: h["header_sent"]
        for rel, h in RAW["headers"].items()
        if "header_sent" in h and not h.get("error") and h.get("request_path")
    }
    assert recorded == captured


def test_newest_allowed_release_is_installed():
    newest = max(SKEW.clients, key=lambda c: tuple(int(p) for p in c.release.split("."))).release
    assert installed_release(SKEW, "") == newest
    assert installed_release(SKEW, "==0.2.22") == "0.2.22"
    assert installed_release(SKEW, ">=0.2,<0.3") == max(
        (c.release for c in SKEW.clients if c.line == "0.2"),
        key=lambda v: tuple(map(int, v.split("."))),
    )
    assert installed_release(SKEW, "==9.9.9") is None


def test_fork_builds_are_answered_by_the_release_they_were_cut_from():
    assert SKEW.server_for("0.3.0rc3+rhai0").version == "0.3.0"
    assert SKEW.server_for("0.7.1+rhaiv.1").version == "0.7.1"
    assert SKEW.server_for("0.2.20") is None  # not probed: no verdict, never a guess


def test_knowledge_file_is_generated_from_the_raw_results():
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, str(REPO / "scripts/gen_client_skew_knowledge.py"), "--check"],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr
