"""The pre-commit hooks, end to end: a temporary git repository whose `.pre-commit-config.yaml`
points at this checkout, run by the real `pre-commit`. Plus files mode (what pre-commit invokes):
context from the repository root, findings only for the files given."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict
from importlib.util import find_spec
from pathlib import Path

import pytest

from tests.helpers import SUB, lint_dir, write_files

REPO = Path(__file__).resolve().parent.parent
GIT = shutil.which("git")
HAS_PRE_COMMIT = find_spec("pre_commit") is not None or shutil.which("pre-commit") is not None
GIT_ENV = {
    "GIT_AUTHOR_NAME": "stackalign tests",
    "GIT_AUTHOR_EMAIL": "tests@stackalign.invalid",
    "GIT_COMMITTER_NAME": "stackalign tests",
    "GIT_COMMITTER_EMAIL": "tests@stackalign.invalid",
    "GIT_AUTHOR_DATE": "2026-01-01T00:00:00Z",
    "GIT_COMMITTER_DATE": "2026-01-01T00:00:00Z",
    "GIT_CONFIG_NOSYSTEM": "1",
}

SUBSCRIPTION = SUB  # RHOAI 2.25
LSD = """\
apiVersion: llamastack.io/v1alpha1
kind: LlamaStackDistribution
metadata: {{name: {name}}}
spec:
  server:
    distribution:
{comment}      image: llamastack/distribution-starter:{tag}
"""
UNUSED = "      # stackalign: ignore[SA102] pinned by our mirror\n"


def _git(cwd: Path, *args: str) -> str:
    env = {**os.environ, **GIT_ENV}
    done = subprocess.run(
        [GIT, *args], cwd=cwd, env=env, capture_output=True, text=True, check=True, timeout=60
    )
    return done.stdout


def _pre_commit(cwd: Path, *args: str, home: Path) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "pre_commit"] if find_spec("pre_commit") else ["pre-commit"]
    env = {**os.environ, **GIT_ENV, "PRE_COMMIT_HOME": str(home), "NO_COLOR": "1"}
    env.pop("VIRTUAL_ENV", None)
    return subprocess.run(
        [*cmd, *args], check=False, cwd=cwd, env=env, capture_output=True, text=True, timeout=300
    )


def _cache_dir() -> Path:
    """Outside the checkout, stable across runs: pre-commit reuses a hook environment it built for
    the same repository path and rev (building one installs the package: ~30 s)."""
    key = hashlib.sha256(str(REPO).encode()).hexdigest()[:12]
    return Path(tempfile.gettempdir()) / f"stackalign-pre-commit-test-{key}"


def _hook_source(cache: Path) -> tuple[str, str]:
    """This checkout and its HEAD when HEAD holds the working tree; else a temporary clone whose one
    extra commit (made in the clone only, with fixed dates so that the same tree gives the same
    rev) snapshots the working tree."""
    status = _git(REPO, "status", "--porcelain", "--untracked-files=all")
    if not status.strip() and (REPO / ".pre-commit-hooks.yaml").is_file():
        return str(REPO), _git(REPO, "rev-parse", "HEAD").strip()
    clone = cache / "hook-source"
    shutil.rmtree(clone, ignore_errors=True)
    cache.mkdir(parents=True, exist_ok=True)
    _git(cache, "clone", "--quiet", "--no-checkout", str(REPO), str(clone))
    _git(clone, "checkout", "--quiet", "HEAD")
    listed = _git(REPO, "ls-files", "-z", "--cached", "--others", "--exclude-standard")
    for rel in filter(None, listed.split("\0")):
        src, dst = REPO / rel, clone / rel
        if src.is_file():
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dst)
        elif dst.exists():
            dst.unlink()  # deleted in the working tree
    _git(clone, "add", "-A")
    _git(clone, "commit", "--quiet", "--allow-empty", "--no-verify", "-m", "working tree snapshot")
    return str(clone), _git(clone, "rev-parse", "HEAD").strip()


def _fix_available() -> bool:
    from click.testing import CliRunner

    from linter.cli import cli

    return "--fix" in CliRunner().invoke(cli, ["lint", "--help"]).output


@pytest.mark.skipif(GIT is None, reason="git is not installed")
@pytest.mark.skipif(
    not HAS_PRE_COMMIT, reason="pre-commit is not installed (pip install pre-commit)"
)
def test_pre_commit_hooks_block_fix_and_pass(tmp_path):
    if not _fix_available():
        pytest.skip("`stackalign lint --fix` does not exist yet: the stackalign-fix hook needs it")
    cache = _cache_dir()
    source, rev = _hook_source(cache)
    user = tmp_path / "user"
    user.mkdir()
    _git(user, "init", "--quiet")
    write_files(
        user,
        {
            "gitops/operators/subscription.yaml": SUBSCRIPTION,
            "gitops/llama/lsd.yaml": LSD.format(name="llama", comment="", tag="0.3.0"),
            "gitops/other/lsd.yaml": LSD.format(name="other", comment=UNUSED, tag="0.2.22"),
            ".pre-commit-config.yaml": (
                f"repos:\n- repo: {source}\n  rev: {rev}\n  hooks:\n"
                "  - id: stackalign-fix\n  - id: stackalign\n"
            ),
        },
    )
    _git(user, "add", "-A")
    home = cache / "pre-commit-home"

    # The lint hook, given one file: the target comes from the Subscription it was not given, and
    # the other file's finding is not reported.
    lint = _pre_commit(user, "run", "stackalign", "--files", "gitops/llama/lsd.yaml", home=home)
    assert lint.returncode == 1, lint.stdout + lint.stderr
    assert "gitops/llama/lsd.yaml:7:14: SA101" in lint.stdout
    assert "RHOAI 2.25" in lint.stdout
    assert "gitops/other/lsd.yaml" not in lint.stdout

    # The user pins the image; the fix hook removes the stale suppression and blocks once.
    (user / "gitops/llama/lsd.yaml").write_text(LSD.format(name="llama", comment="", tag="0.2.22"))
    _git(user, "add", "-A")
    fix = _pre_commit(user, "run", "stackalign-fix", "--all-files", home=home)
    assert fix.returncode == 1, fix.stdout + fix.stderr
    assert "files were modified by this hook" in fix.stdout
    fixed = (user / "gitops/other/lsd.yaml").read_text()
    assert fixed == LSD.format(name="other", comment="", tag="0.2.22")

    # The next run passes: a real commit through the installed hooks (both of them run).
    _git(user, "add", "-A")
    assert _pre_commit(user, "install", home=home).returncode == 0
    env = {**os.environ, **GIT_ENV, "PRE_COMMIT_HOME": str(home)}
    commit = subprocess.run(
        [GIT, "commit", "-m", "pin the image"],
        check=False,
        cwd=user,
        env=env,
        capture_output=True,
        text=True,
    )
    assert commit.returncode == 0, commit.stdout + commit.stderr
    assert "stackalign (fix)" in commit.stdout + commit.stderr


def test_hook_manifest():
    yaml = pytest.importorskip("yaml")
    hooks = {h["id"]: h for h in yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())}
    assert set(hooks) == {"stackalign", "stackalign-fix"}
    assert hooks["stackalign"]["entry"] == "stackalign lint"
    assert hooks["stackalign-fix"]["entry"] == "stackalign lint --fix"
    for hook in hooks.values():
        assert hook["language"] == "python"
        assert hook["types_or"] == ["yaml", "python", "shell"]
    # the lint hook's batches run side by side (they share one whole-repository run); the fix
    # hook's one after the other (a fix in one file can change the verdict on another)
    assert hooks["stackalign"]["require_serial"] is False
    assert hooks["stackalign-fix"]["require_serial"] is True
    if HAS_PRE_COMMIT and find_spec("pre_commit"):
        from pre_commit.clientlib import load_manifest

        assert [h["id"] for h in load_manifest(str(REPO / ".pre-commit-hooks.yaml"))] == [
            "stackalign",
            "stackalign-fix",
        ]


def test_files_mode_uses_repository_context_and_reports_only_given_files(tmp_path):
    (tmp_path / ".git").mkdir()  # the repository root marker
    write_files(
        tmp_path,
        {
            "gitops/operators/subscription.yaml": SUBSCRIPTION,
            "gitops/llama/lsd.yaml": LSD.format(name="llama", comment="", tag="0.3.0"),
            "gitops/other/lsd.yaml": LSD.format(name="other", comment="", tag="0.3.0"),
        },
    )
    result = lint_dir(tmp_path, paths=["gitops/llama/lsd.yaml"])
    assert result.target.label.startswith("RHOAI 2.25")
    assert result.target.source.startswith("gitops/operators/subscription.yaml")
    assert {(f.path, f.rule) for f in result.findings} == {("gitops/llama/lsd.yaml", "SA101")}
    assert result.files == 1

    everything = lint_dir(tmp_path)
    assert {f.path for f in everything.findings if f.rule == "SA101"} == {
        "gitops/llama/lsd.yaml",
        "gitops/other/lsd.yaml",
    }


def test_files_mode_from_a_subfolder_keeps_repository_context(tmp_path):
    (tmp_path / ".git").mkdir()
    write_files(
        tmp_path,
        {
            "gitops/operators/subscription.yaml": SUBSCRIPTION,
            "gitops/llama/lsd.yaml": LSD.format(name="llama", comment="", tag="0.3.0"),
        },
    )
    result = lint_dir(tmp_path / "gitops" / "llama", paths=["lsd.yaml"])
    assert result.target.label.startswith("RHOAI 2.25")
    assert [(f.path, f.rule) for f in result.findings] == [("lsd.yaml", "SA101")]


@pytest.mark.skipif(GIT is None, reason="git is not installed")
def test_git_grep_context_matches_the_walk(tmp_path, monkeypatch):
    """In a real repository the context comes from `git grep` (tracked and untracked files, not
    ignored ones); the findings are the walk's."""
    import linter.engine

    _git(tmp_path, "init", "--quiet")
    write_files(
        tmp_path,
        {
            ".gitignore": "rendered/\n",
            "gitops/operators/subscription.yaml": SUBSCRIPTION,
            "gitops/llama/lsd.yaml": LSD.format(name="llama", comment="", tag="0.3.0"),
            "apps/web/deployment.yaml": "apiVersion: apps/v1\nkind: Deployment\n",
            "rendered/lsd.yaml": LSD.format(name="rendered", comment="", tag="0.3.0"),
        },
    )
    _git(tmp_path, "add", "gitops/operators/subscription.yaml")  # one tracked, others untracked
    calls = []
    real = linter.engine.context_files
    monkeypatch.setattr(linter.engine, "context_files", lambda *a: calls.append(a) or real(*a))
    fast = lint_dir(tmp_path, paths=["gitops/llama/lsd.yaml"])
    assert calls and calls[0][0] == tmp_path
    assert sorted(f.path for f in fast.workspace.yaml_sources) == [
        "gitops/llama/lsd.yaml",
        "gitops/operators/subscription.yaml",
    ]
    monkeypatch.setattr(linter.engine, "context_files", lambda *a: None)
    walked = lint_dir(tmp_path, paths=["gitops/llama/lsd.yaml"])
    assert [asdict(f) for f in fast.findings] == [asdict(f) for f in walked.findings]
    assert fast.target.label == walked.target.label and fast.target.label.startswith("RHOAI 2.25")


@pytest.mark.skipif(GIT is None, reason="git is not installed")
def test_git_context_finds_files_of_conjunctive_triggers(tmp_path):
    """A trigger `a&b` selects files holding both: git searches for `a` (tracked and untracked
    files alike) and the prefilter applies the rest."""
    from linter.gitcontext import context_files

    _git(tmp_path, "init", "--quiet")
    run_yaml = "version: 2\napis: [vector_io]\nembedding_dimension: 384\n"
    write_files(
        tmp_path,
        {
            "tracked/cm.yaml": run_yaml,
            "untracked/cm.yaml": run_yaml,
            "untracked/other.yaml": "apis: []\n",
            "untracked/not-yaml.py": "embedding_dimension = 1\napis: []\n",  # a yaml trigger
        },
    )
    _git(tmp_path, "add", "tracked/cm.yaml")
    files = context_files(tmp_path, tmp_path, {"yaml": ["embedding_dimension&apis:"]}, [], [], None)
    assert sorted(f.rel for f in files) == ["tracked/cm.yaml", "untracked/cm.yaml"]


@pytest.mark.skipif(GIT is None, reason="git is not installed")
def test_git_context_ignores_colour_settings_and_suffix_case(tmp_path, monkeypatch):
    """`color.ui=always` in the user's git configuration must not wrap names in escape codes, and
    `X.YAML` is YAML for git as for the walk (tracked and untracked)."""
    from linter.gitcontext import context_files

    config = tmp_path / "gitconfig"
    config.write_text("[color]\n\tui = always\n\tgrep = always\n", encoding="utf-8")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(config))
    repo = tmp_path / "repo"
    _git(tmp_path, "init", "--quiet", str(repo))
    write_files(
        repo,
        {
            "ops/SUBSCRIPTION.YAML": SUBSCRIPTION,
            "ops/lsd.yaml": LSD.format(name="llama", comment="", tag="0.3.0"),
            "new/Other.Yml": SUBSCRIPTION,
        },
    )
    _git(repo, "add", "ops")
    files = context_files(repo, repo, {"yaml": ["rhods-operator"]}, [], [], None)
    assert sorted(f.rel for f in files) == ["new/Other.Yml", "ops/SUBSCRIPTION.YAML"]
    result = lint_dir(repo, paths=["ops/lsd.yaml"])
    assert result.target.label.startswith("RHOAI 2.25")
    assert result.target.source.startswith("new/Other.Yml")  # both agree; the first path wins


@pytest.mark.skipif(GIT is None, reason="git is not installed")
@pytest.mark.skipif(
    not HAS_PRE_COMMIT, reason="pre-commit is not installed (pip install pre-commit)"
)
def test_all_files_batches_share_one_whole_repository_run(tmp_path):
    """`pre-commit run --all-files` splits 6,000 names into batches of at most 128 KB, run side by
    side as the shipped hook allows: one lints the whole repository once and stores it
    (linter/runcache.py), one may lint its own files meanwhile, the others wait for the result
    and are served from it; together they report what `stackalign lint .` reports."""
    import re

    from linter.runcache import RACY_NS

    user = tmp_path / "user"
    files: dict[str, str | bytes] = {
        "gitops/operators/subscription.yaml": SUBSCRIPTION,
        # first and last in git's order: one finding in the first batch, one in the last
        "aaa/lsd.yaml": LSD.format(name="first", comment="", tag="0.3.0"),
        "zzz/lsd.yaml": LSD.format(name="last", comment="", tag="0.3.0"),
    }
    for i in range(6000):
        # paths of ~60 bytes: 3 batches of well over 64 KiB, so none is a small one that does not wait
        files[f"apps/team-{i % 40:02d}/application-{i:04d}/config/settings-configmap.yaml"] = (
            f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: app-{i}}}\ndata: {{a: b}}\n"
        )
    import yaml

    hooks = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    shipped = next(h for h in hooks if h["id"] == "stackalign")
    files[".pre-commit-config.yaml"] = (  # the shipped hook, run by this Python
        "repos:\n- repo: local\n  hooks:\n  - id: stackalign\n    name: stackalign\n"
        f"    entry: {sys.executable} -m linter lint --no-color\n    language: system\n"
        f"    types_or: [yaml, python, shell]\n    require_serial: {shipped['require_serial']}\n"
    )
    write_files(user, files)
    _git(user, "init", "--quiet")
    _git(user, "add", "-A")
    time.sleep(RACY_NS / 1e9 + 0.1)  # files written a moment ago are never stored (racy times)
    env_cache = tmp_path / "cache"
    cmd = [sys.executable, "-m", "pre_commit"] if find_spec("pre_commit") else ["pre-commit"]
    env = {
        **os.environ,
        **GIT_ENV,
        "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"),
        "STACKALIGN_CACHE_DIR": str(env_cache),
        "STACKALIGN_TIMING": "1",
        "NO_COLOR": "1",
    }
    done = subprocess.run(
        [*cmd, "run", "--all-files", "--verbose"],
        cwd=user,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    out = done.stdout + done.stderr
    assert done.returncode == 1, out
    processes = out.count("stackalign timing:")
    served = out.count("whole-repository result (shared, cache)")
    assert processes >= 3, out[-3000:]
    assert processes - 2 <= served <= processes - 1, out[-3000:]  # all but the run and one alone
    assert len(list(env_cache.glob("run-*.json"))) == 1
    finding = re.compile(r"^(\S+:\d+:\d+: SA\d{3}) ", re.MULTILINE)
    whole = subprocess.run(
        [sys.executable, "-m", "linter", "lint", "--no-color", "."],
        cwd=user,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert sorted(finding.findall(out)) == sorted(finding.findall(whole.stdout))
    assert sorted(finding.findall(out)) == [
        "aaa/lsd.yaml:7:14: SA101",
        "zzz/lsd.yaml:7:14: SA101",
    ]
