"""The command-line habits of ruff users: --exit-zero, --quiet, --statistics, --show-fixes, stdin,
`rules --format json`, what the footer calls fixable, --sarif-output, and --target usage errors."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from linter.cli import cli
from tests.conftest import REPO
from tests.helpers import SUB, cli_in, pack, write_files

STORY = REPO / "examples" / "story"

#: A run config with two `${env.X:default}` (SA205 on RHOAI 2.25, safe fixes) and a CR on a 0.3
#: image (SA101, an unsafe fix).
RUN_CONFIG = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: llama-stack-config
data:
  run.yaml: |
    version: 2
    apis: [inference]
    providers:
      inference:
      - provider_id: vllm
        provider_type: remote::vllm
        config:
          url: ${env.VLLM_URL:http://localhost:8000/v1}
          max_tokens: "${env.VLLM_MAX_TOKENS:4096}"
"""
FIXED_RUN_CONFIG = RUN_CONFIG.replace("VLLM_URL:", "VLLM_URL:=").replace(
    "TOKENS:4096", "TOKENS:=4096"
)
LSD = (
    "apiVersion: llamastack.io/v1alpha1\nkind: LlamaStackDistribution\nmetadata: {name: x}\n"
    "spec:\n  server:\n    distribution:\n      image: llamastack/distribution-starter:0.3.0\n"
)
TARGET = ["--target", "rhoai=2.25"]


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    write_files(tmp_path, {"cm.yaml": RUN_CONFIG, "lsd.yaml": LSD})
    return tmp_path


def invoke(cwd: Path, *args: str, stdin: bytes | None = None):
    old = os.getcwd()
    os.chdir(cwd)
    try:
        return CliRunner().invoke(cli, list(args), input=stdin, catch_exceptions=False)
    finally:
        os.chdir(old)


# -- --exit-zero, --quiet ---------------------------------------------------------------------------
def test_exit_zero_reports_findings_and_exits_0(repo):
    r = invoke(repo, "lint", *TARGET, "--exit-zero")
    assert r.exit_code == 0
    assert "cm.yaml:14:16: SA205 [error]" in r.output


def test_exit_zero_does_not_hide_errors(repo):
    assert invoke(repo, "lint", "--exit-zero", "--select", "SA999").exit_code == 2


def test_quiet_prints_the_findings_and_nothing_else(repo):
    (repo / "notes.txt").write_text("not linted")
    full = invoke(repo, "lint", *TARGET, "--no-color", "cm.yaml", "lsd.yaml")
    quiet = invoke(repo, "lint", *TARGET, "--no-color", "-q", "notes.txt", "cm.yaml", "lsd.yaml")
    assert quiet.exit_code == full.exit_code == 1
    assert quiet.stderr == ""  # no "notes.txt: not a YAML, Python or shell file; skipped"
    assert full.stdout.splitlines()[-2:] == [
        "Target: RHOAI 2.25 (from --target), LlamaStack 0.2.22",
        "Checked 2 files (2 parsed): 3 errors; 2 fixable (1 more with --unsafe-fixes).",
    ]
    assert quiet.stdout.splitlines() == full.stdout.splitlines()[:-2]


# -- the footer: what --fix would fix ---------------------------------------------------------------
def test_footer_counts_only_what_fix_applies_and_names_the_unsafe_rest(repo):
    r = invoke(repo, "lint", *TARGET)
    assert r.output.endswith("3 errors; 2 fixable (1 more with --unsafe-fixes).\n")
    r = invoke(repo, "lint", *TARGET, "--unsafe-fixes")
    assert r.output.endswith("3 errors; 3 fixable.\n")
    r = invoke(repo, "lint", *TARGET, "lsd.yaml")
    assert r.output.endswith("1 error; 1 fixable with --unsafe-fixes.\n")


def test_story_footer_and_json_summary_agree():
    r = cli_in(STORY, "lint", "--no-color")
    assert r.output.endswith("11 errors, 10 warnings; 6 fixable (12 more with --unsafe-fixes).\n")
    summary = json.loads(cli_in(STORY, "lint", "--format", "json").output)["summary"]
    assert (summary["fixable"], summary["unsafe_fixable"]) == (6, 12)


# -- --statistics -----------------------------------------------------------------------------------
def test_statistics_text(repo):
    r = invoke(repo, "lint", *TARGET, "--statistics")
    assert r.exit_code == 1
    assert r.output == (
        "2\tSA205\t[*] env-substitution-syntax\n"
        "1\tSA101\t[ ] image-version-mismatch\n"
        "Target: RHOAI 2.25 (from --target), LlamaStack 0.2.22\n"
        "Checked 2 files (2 parsed): 3 errors; 2 fixable (1 more with --unsafe-fixes).\n"
    )
    r = invoke(repo, "lint", *TARGET, "--statistics", "--unsafe-fixes", "-q")
    assert (
        r.output == "2\tSA205\t[*] env-substitution-syntax\n1\tSA101\t[*] image-version-mismatch\n"
    )


def test_statistics_json(repo):
    r = invoke(repo, "lint", *TARGET, "--statistics", "--format", "json")
    assert json.loads(r.output) == [
        {"rule": "SA205", "name": "env-substitution-syntax", "count": 2, "fixable": True},
        {"rule": "SA101", "name": "image-version-mismatch", "count": 1, "fixable": False},
    ]


def test_statistics_in_another_format_is_a_usage_error(repo):
    r = invoke(repo, "lint", "--statistics", "--format", "sarif")
    assert r.exit_code == 2 and "--statistics prints text or json, not sarif" in r.output


# -- --show-fixes -----------------------------------------------------------------------------------
def test_show_fixes_shows_the_lines_each_fix_changes(repo):
    r = invoke(repo, "lint", *TARGET, "--no-color", "--show-fixes", "cm.yaml")
    lines = r.output.splitlines()
    at = lines.index("      = fix (safe): write `${env.VLLM_URL:=http://localhost:8000/v1}`")
    assert lines[at + 1 : at + 3] == [
        "        -           url: ${env.VLLM_URL:http://localhost:8000/v1}",
        "        +           url: ${env.VLLM_URL:=http://localhost:8000/v1}",
    ]
    r = invoke(repo, "lint", *TARGET, "--no-color", "--show-fixes", "lsd.yaml")
    assert r.output.splitlines()[3:6] == [
        "      = fix (unsafe): use `name: rh-dev`, the image RHOAI 2.25 ships",
        "        -       image: llamastack/distribution-starter:0.3.0",
        "        +       name: rh-dev",
    ]
    assert "        - " not in invoke(repo, "lint", *TARGET, "--no-color").output


def test_fix_with_show_fixes_lists_every_fix_applied(repo):
    r = invoke(repo, "lint", *TARGET, "--fix", "--show-fixes")
    assert r.exit_code == 1  # SA101 remains (its fix is unsafe)
    assert (repo / "cm.yaml").read_text() == FIXED_RUN_CONFIG
    assert r.stderr.endswith(
        "Fixes applied (positions before the fix):\n"
        "  cm.yaml:14:16: SA205 (safe) write `${env.VLLM_URL:=http://localhost:8000/v1}`\n"
        "  cm.yaml:15:24: SA205 (safe) write `${env.VLLM_MAX_TOKENS:=4096}`\n"
    )


def test_fix_quiet_prints_no_fix_summary(repo):
    r = invoke(repo, "lint", *TARGET, "--fix", "-q", "cm.yaml")
    assert (r.exit_code, r.stderr, r.stdout) == (0, "", "")
    assert (repo / "cm.yaml").read_text() == FIXED_RUN_CONFIG


# -- stdin ------------------------------------------------------------------------------------------
def test_stdin_is_linted_as_the_named_file_with_the_repository_as_context(tmp_path):
    """The target comes from a Subscription elsewhere in the repository; the text on stdin, not
    the file on disk, is what is judged. (`.git` marks the repository root, as in a checkout.)"""
    write_files(tmp_path, {"ops/sub.yaml": SUB, "gitops/cm.yaml": "kind: ConfigMap\n"})
    (tmp_path / ".git").mkdir()
    r = invoke(
        tmp_path, "lint", "-", "--stdin-filename", "gitops/cm.yaml", stdin=RUN_CONFIG.encode()
    )
    assert r.exit_code == 1
    assert r.stdout.splitlines()[0].startswith("gitops/cm.yaml:14:16: SA205 [error]")
    assert "Target: RHOAI 2.25 (from ops/sub.yaml:6)" in r.stdout
    assert "Checked 1 file " in r.stdout  # only the named file is reported


def test_stdin_for_a_file_that_is_not_on_disk(tmp_path):
    write_files(tmp_path, {"ops/sub.yaml": SUB})
    (tmp_path / ".git").mkdir()
    r = invoke(
        tmp_path,
        "lint",
        "-",
        "--stdin-filename",
        "new/lsd.yaml",
        "--format",
        "json",
        stdin=LSD.encode(),
    )
    found = [(f["rule"], f["path"], f["line"]) for f in json.loads(r.stdout)["findings"]]
    assert found == [("SA101", "new/lsd.yaml", 7)]
    assert not (tmp_path / "new").exists()


def test_stdin_in_a_git_repository(tmp_path):
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    write_files(tmp_path, {"ops/sub.yaml": SUB, "README.md": "x\n"})
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    for name in ("cm.yaml", "new/cm.yaml"):  # on disk (untracked, other content) and not
        if name == "cm.yaml":
            (tmp_path / name).write_text("kind: ConfigMap\n")
        r = invoke(tmp_path, "lint", "-", "--stdin-filename", name, stdin=RUN_CONFIG.encode())
        assert r.stdout.splitlines()[0].startswith(f"{name}:14:16: SA205 [error]"), r.output
        assert "Target: RHOAI 2.25 (from ops/sub.yaml:6)" in r.stdout


def test_stdin_fix_prints_the_fixed_text_and_writes_nothing(repo):
    r = invoke(
        repo,
        "lint",
        *TARGET,
        "-",
        "--stdin-filename",
        "cm.yaml",
        "--fix",
        stdin=RUN_CONFIG.encode(),
    )
    assert r.stdout_bytes == FIXED_RUN_CONFIG.encode()
    assert r.exit_code == 0
    assert "Checked 1 file (1 parsed): no findings." in r.stderr  # the report goes to stderr
    assert (repo / "cm.yaml").read_text() == RUN_CONFIG  # the disk is untouched


def test_stdin_fix_keeps_bytes_and_prints_the_text_unchanged_when_nothing_applies(repo):
    crlf = b"\xef\xbb\xbf" + RUN_CONFIG.replace("\n", "\r\n").encode()
    r = invoke(repo, *["lint", *TARGET, "-", "--stdin-filename", "x.yaml", "--fix"], stdin=crlf)
    assert r.stdout_bytes == b"\xef\xbb\xbf" + FIXED_RUN_CONFIG.replace("\n", "\r\n").encode()
    r = invoke(
        repo, *["lint", *TARGET, "-", "--stdin-filename", "lsd.yaml", "--fix"], stdin=LSD.encode()
    )
    assert r.exit_code == 1  # the unsafe fix is not applied: SA101 remains
    assert r.stdout_bytes == LSD.encode()


def test_stdin_diff(repo):
    r = invoke(
        repo,
        "lint",
        *TARGET,
        "-",
        "--stdin-filename",
        "lsd.yaml",
        "--diff",
        "--unsafe-fixes",
        stdin=LSD.encode(),
    )
    assert r.exit_code == 1
    assert r.stdout == (
        "--- a/lsd.yaml\n+++ b/lsd.yaml\n@@ -4,4 +4,4 @@\n spec:\n   server:\n"
        "     distribution:\n-      image: llamastack/distribution-starter:0.3.0\n"
        "+      name: rh-dev\n"
    )


@pytest.mark.parametrize(
    "args,message",
    [
        (["-"], "reading stdin (`-`) needs --stdin-filename PATH"),
        (["-", "cm.yaml"], "`-` (stdin) cannot be combined with other paths"),
        (["cm.yaml", "--stdin-filename", "x.yaml"], "pass `-` as PATHS"),
        (["-", "--stdin-filename", "notes.txt"], "not a YAML, Python or shell file"),
    ],
)
def test_stdin_usage_errors(repo, args, message):
    r = invoke(repo, "lint", *args, stdin=b"")
    assert r.exit_code == 2 and message in r.output


def test_stdin_in_a_real_process(repo):
    done = subprocess.run(
        [sys.executable, "-m", "linter", "lint", *TARGET, "--stdin-filename", "cm.yaml", "--fix"],
        cwd=repo,
        input=RUN_CONFIG.encode(),
        capture_output=True,
    )
    assert (done.returncode, done.stdout) == (0, FIXED_RUN_CONFIG.encode())


# -- rules --format json ----------------------------------------------------------------------------
def test_rules_json_declares_fix_availability_and_applicability(tmp_path):
    doc = json.loads(invoke(tmp_path, "rules", "--format", "json").output)
    _, rules = pack()
    assert [r["id"] for r in doc] == [r.id for r in rules]
    by_id = {r["id"]: r for r in doc}
    assert by_id["SA205"] == {
        "id": "SA205",
        "name": "env-substitution-syntax",
        "level": "error",
        "summary": next(r.summary for r in rules if r.id == "SA205"),
        "fix": {
            "availability": "sometimes",
            "applicability": ["safe", "unsafe"],
            "runtime_keyed": True,
        },
    }
    assert by_id["SA204"]["fix"]["availability"] == "sometimes"
    assert by_id["SA002"]["fix"] == {
        "availability": "never",
        "applicability": [],
        "runtime_keyed": False,
    }
    assert by_id["SA101"]["fix"]["applicability"] == ["unsafe"]


# -- --target ---------------------------------------------------------------------------------------
def test_unknown_target_is_a_usage_error_naming_the_closest_release(repo):
    kb, _ = pack()
    closest = kb.closest_release("rhoai", "9.9")
    r = invoke(repo, "lint", "--target", "rhoai=9.9")
    assert r.exit_code == 2
    assert (
        f"--target rhoai=9.9: RHOAI 9.9 is not in the knowledge base (known: "
        f"{', '.join(kb.known_releases('rhoai'))}); the closest known release is {closest} "
        f"(--target rhoai={closest})" in r.output
    )
    assert "SA002" not in r.output


def test_unknown_llamastack_target_is_a_usage_error(repo):
    kb, _ = pack()
    r = invoke(repo, "lint", "--target", "llamastack=0.9.99")
    assert r.exit_code == 2
    assert f"the closest known is {kb.closest_llamastack('0.9.99')}" in r.output


def test_a_detected_unknown_target_stays_sa002(tmp_path):
    write_files(tmp_path, {"sub.yaml": SUB.replace("stable-2.25", "eus-2.16")})
    r = invoke(tmp_path, "lint", "--format", "json")
    assert r.exit_code == 1
    found = [(f["rule"], f["path"], f["line"]) for f in json.loads(r.output)["findings"]]
    assert found == [("SA002", "sub.yaml", 6)]


# -- --sarif-output ---------------------------------------------------------------------------------
def test_sarif_output_is_written_from_the_same_run(repo):
    r = invoke(repo, "lint", *TARGET, "--format", "github", "--sarif-output", "out.sarif")
    assert r.exit_code == 1 and r.output.count("::error file=") == 3
    run = json.loads((repo / "out.sarif").read_text())["runs"][0]
    assert [
        (x["ruleId"], x["locations"][0]["physicalLocation"]["region"]["startLine"])
        for x in run["results"]
    ] == [
        ("SA205", 14),
        ("SA205", 15),
        ("SA101", 7),
    ]
    alone = json.loads(invoke(repo, "lint", *TARGET, "--format", "sarif").output)["runs"][0]
    assert alone["results"] == run["results"]


def test_sarif_output_that_cannot_be_written_is_a_usage_error(repo):
    r = invoke(repo, "lint", "--sarif-output", "missing-folder/out.sarif")
    assert r.exit_code == 2 and "--sarif-output missing-folder/out.sarif: cannot write" in r.output
