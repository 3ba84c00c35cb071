"""The whole-repository result shared by the processes of one `pre-commit run --all-files`
(linter/runcache.py): a served run reports exactly what a files-mode run reports, and any change
to what the whole run read, or to git's listing, makes it lint again."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import asdict
from pathlib import Path

import pytest

from linter import HELM_TEMP_PREFIX, cache, runcache
from linter.options import Options
from tests.analysis.test_deployment import CLIENT_INT_ID, COMPOSE_BUILT, CONTAINERFILE
from tests.helpers import SUB, cli_in, lsd, write_files

REPO = Path(__file__).resolve().parent.parent
GIT = shutil.which("git")
pytestmark = pytest.mark.skipif(GIT is None, reason="git is not installed")
ENV = {"GIT_CONFIG_GLOBAL": "/dev/null", "GIT_CONFIG_NOSYSTEM": "1"}
SERVED = "whole-repository result (shared, cache)"
RACY = 0.3  # seconds: the tests' files are a moment old; the real margin is tested on its own


@pytest.fixture
def shared(tmp_path, monkeypatch):
    """Every files-mode run stores a whole run (no byte threshold), files a moment old count as
    settled, and the cache is this test's own."""
    monkeypatch.setattr(runcache, "STORE_MIN_BYTES", 0)
    monkeypatch.setattr(runcache, "RACY_NS", int(RACY * 1e9))
    monkeypatch.setenv("STACKALIGN_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("STACKALIGN_NO_CACHE", raising=False)
    return tmp_path / "cache"


def _git_repository(root: Path, untracked: tuple[str, ...] = ()) -> Path:
    env = {**os.environ, **ENV}
    subprocess.run(["git", "init", "-q"], cwd=root, check=True, env=env)
    subprocess.run(["git", "add", "-A"], cwd=root, check=True, env=env)  # what .gitignore keeps
    if untracked:
        subprocess.run(["git", "rm", "-q", "--cached", "--", *untracked], cwd=root, check=True)
    time.sleep(RACY + 0.05)
    return root


def _story(tmp_path: Path) -> Path:
    root = tmp_path / "story"
    shutil.copytree(REPO / "examples" / "story", root, ignore=shutil.ignore_patterns(".git"))
    # one untracked file: git lists it (it is not ignored), and the walk lints it
    return _git_repository(root, untracked=("gitops/llamastack/llamastackdistribution.yaml",))


def _lintable(root: Path) -> list[str]:
    return sorted(
        p.relative_to(root).as_posix()
        for p in root.rglob("*")
        if p.suffix in (".yaml", ".yml", ".py", ".sh") and ".git" not in p.parts
    )


def _opts(root: Path, paths: list[str], **kw) -> Options:
    return Options(paths=paths, cwd=root, **kw)


def _as_data(result) -> dict:
    return {
        "findings": [asdict(f) for f in result.findings],
        "target": result.target.as_json(),
        "files": result.files,
        "errors": result.errors,
        "rules": [r.id for r in result.rules],
    }


def _same_report(text: str) -> str:
    """A report without the parsed-file count: a served run counts the files its whole run parsed
    (the files-mode run it stands for would have parsed only its context)."""
    text = re.sub(r"\(\d+ parsed\)", "(N parsed)", text)
    return re.sub(r'"parsed": \d+', '"parsed": N', text)


def _served(result) -> bool:
    return any(name == SERVED for name, _ in result.timings)


def _batches(names: list[str], n: int) -> list[list[str]]:
    return [names[i::n] for i in range(n)]


def _plain(opts: Options, monkeypatch) -> dict:
    with monkeypatch.context() as m:
        m.setenv("STACKALIGN_NO_CACHE", "1")
        return _as_data(runcache.run_shared(opts))


def test_batches_served_from_one_whole_run_report_what_files_mode_reports(
    shared, tmp_path, monkeypatch
):
    root = _story(tmp_path)
    batches = _batches(_lintable(root), 3)
    runs = [runcache.run_shared(_opts(root, b)) for b in batches]
    assert [_served(r) for r in runs] == [False, True, True]
    assert len(list(shared.glob("run-*.json"))) == 1
    for batch, result in zip(batches, runs, strict=True):
        assert _as_data(result) == _plain(_opts(root, batch), monkeypatch), batch
    assert sum(len(r.findings) for r in runs) >= 5  # the story has findings to compare
    # options are part of the key: another selection is another whole run
    other = runcache.run_shared(_opts(root, batches[1], select=["SA101"]))
    assert not _served(other)
    assert {f.rule for f in other.findings} <= {"SA101"}


def test_a_served_run_prints_the_report_of_a_run_of_its_own(shared, tmp_path, monkeypatch):
    """Byte for byte, but the parsed-file count (docs/pre-commit.md)."""
    root = _story(tmp_path)
    names = _lintable(root)
    cli_in(root, "lint", "--format", "json", *names[::2])  # stores
    for fmt in ("text", "json", "github"):
        served = cli_in(root, "lint", "--format", fmt, "--no-color", *names[1::2])
        monkeypatch.setenv("STACKALIGN_NO_CACHE", "1")
        plain = cli_in(root, "lint", "--format", fmt, "--no-color", *names[1::2])
        monkeypatch.delenv("STACKALIGN_NO_CACHE")
        assert (served.exit_code, _same_report(served.output)) == (
            plain.exit_code,
            _same_report(plain.output),
        ), fmt
    assert "SA" in plain.output


def _change(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


@pytest.mark.parametrize("same_size", [True, False], ids=["same-size", "other-size"])
def test_a_file_changed_after_the_store_is_linted_again(shared, tmp_path, same_size):
    root = tmp_path / "repo"
    write_files(
        root,
        {
            "gitops/subscription.yaml": SUB,
            "gitops/lsd.yaml": lsd("llama", "0.2.22"),
            "gitops/other.yaml": lsd("other", "0.2.22"),
        },
    )
    _git_repository(root)
    first = runcache.run_shared(_opts(root, ["gitops/lsd.yaml"]))
    assert first.findings == [] and not _served(first)
    assert _served(runcache.run_shared(_opts(root, ["gitops/other.yaml"])))
    # the image moves to 0.3.0 (same length) or 0.3.10: RHOAI 2.25 ships 0.2.22, so SA101
    _change(root / "gitops/lsd.yaml", "0.2.22", "0.3.0" if same_size else "0.3.10")
    again = runcache.run_shared(_opts(root, ["gitops/lsd.yaml"]))
    assert not _served(again)
    assert [(f.rule, f.path, f.span.start.line) for f in again.findings] == [
        ("SA101", "gitops/lsd.yaml", 7)
    ]


def test_a_new_untracked_file_changes_git_listing_and_the_result(shared, tmp_path):
    root = tmp_path / "repo"
    write_files(root, {"gitops/lsd.yaml": lsd("llama", "0.2.22"), "gitops/x.yaml": "a: 1\n"})
    _git_repository(root)
    first = runcache.run_shared(_opts(root, ["gitops/lsd.yaml"]))
    assert first.target.platform is None
    # a Subscription appears, untracked: it sets the target, so the verdict on lsd.yaml changes
    write_files(root, {"gitops/subscription.yaml": SUB})
    time.sleep(RACY + 0.05)
    again = runcache.run_shared(_opts(root, ["gitops/lsd.yaml"]))
    assert not _served(again)
    assert (again.target.platform, again.target.version) == ("rhoai", "2.25")


def test_a_file_that_git_ignores_but_the_run_read_is_part_of_the_state(shared, tmp_path):
    """The Containerfile a compose service is built from, ignored by git: the model reads it (its
    FROM line is the server's version), so a change to it must be seen."""
    root = tmp_path / "repo"
    write_files(
        root,
        {
            ".gitignore": "server/\n",
            "docker-compose.yaml": COMPOSE_BUILT,
            "server/Containerfile": CONTAINERFILE.format(version="0.2.22"),
            "app/Dockerfile": "FROM python:3.12\n",
            "client.py": CLIENT_INT_ID.format(url="http://localhost:8321"),
        },
    )
    _git_repository(root)
    first = runcache.run_shared(_opts(root, ["docker-compose.yaml"]))
    assert not _served(first)
    stored = json.loads(next(shared.glob("run-*.json")).read_text())
    assert str(root / "server" / "Containerfile") in stored["paths"]
    served = runcache.run_shared(_opts(root, ["client.py"]))
    assert _served(served)
    assert [(f.rule, f.span.start.line) for f in served.findings] == [("SA305", 7)]  # on 0.2.22
    (root / "server/Containerfile").write_text(CONTAINERFILE.format(version="0.2.8"))
    again = runcache.run_shared(_opts(root, ["client.py"]))
    assert not _served(again)
    assert again.findings == []  # 0.2.8 keeps an int chunk_id in plain metadata


def test_a_run_that_follows_a_recent_write_is_not_stored(tmp_path, monkeypatch):
    """The real margin: a file written a moment before the run (or during it) may share its
    times with a later write, so nothing is stored."""
    monkeypatch.setattr(runcache, "STORE_MIN_BYTES", 0)
    monkeypatch.setenv("STACKALIGN_CACHE_DIR", str(tmp_path / "cache"))
    root = tmp_path / "repo"
    write_files(root, {"gitops/subscription.yaml": SUB, "gitops/lsd.yaml": lsd("a", "0.3.0")})
    subprocess.run(["git", "init", "-q"], cwd=root, check=True, env={**os.environ, **ENV})
    result = runcache.run_shared(_opts(root, ["gitops/lsd.yaml"]))
    assert [f.rule for f in result.findings] == ["SA101"]
    (entry,) = (tmp_path / "cache").glob("run-*.json")
    stored = json.loads(entry.read_text())
    assert stored["refused"] == runcache.CHANGING and "result" not in stored
    assert runcache.RACY_NS >= 1_000_000_000
    # the next processes lint their files alone while the files have not settled: no whole run
    whole = _count_whole_runs(monkeypatch)
    again = runcache.run_shared(_opts(root, ["gitops/subscription.yaml"]))
    assert not _served(again) and whole == []
    # once settled (the fix hook's fixes, written just before the lint hook), one more try
    time.sleep(max(0.0, (stored["settled_ns"] - time.time_ns()) / 1e9) + 0.05)
    retried = runcache.run_shared(_opts(root, ["gitops/subscription.yaml"]))
    assert not _served(retried) and len(whole) == 1
    assert _served(runcache.run_shared(_opts(root, ["gitops/lsd.yaml"])))


def _count_whole_runs(monkeypatch) -> list[int]:
    calls: list[int] = []
    real = runcache._whole_run

    def counted(opts, state):
        calls.append(1)
        return real(opts, state)

    monkeypatch.setattr(runcache, "_whole_run", counted)
    return calls


@pytest.mark.parametrize(
    "case", ["subfolder", "nested-config", "no-cache", "stdin", "folder-named", "not-listed"]
)
def test_runs_that_may_differ_from_a_whole_run_are_never_shared(
    shared, tmp_path, monkeypatch, case
):
    root = tmp_path / "repo"
    write_files(
        root,
        {
            "gitops/subscription.yaml": SUB,
            "gitops/lsd.yaml": lsd("a", "0.3.0"),
            ".gitignore": "ignored/\n",
            "ignored/lsd.yaml": lsd("b", "0.3.0"),
        },
    )
    cwd, paths, overlay = root, ["gitops/lsd.yaml"], None
    if case == "subfolder":
        cwd, paths = root / "gitops", ["lsd.yaml"]
    elif case == "nested-config":
        write_files(root, {"gitops/.stackalign.yaml": "exclude: []\n"})
    elif case == "no-cache":
        monkeypatch.setenv("STACKALIGN_NO_CACHE", "1")
    elif case == "stdin":
        overlay = {str(root / "gitops/lsd.yaml"): b"a: 1\n"}
    elif case == "folder-named":
        paths = ["gitops/lsd.yaml", "gitops"]
    elif case == "not-listed":
        paths = ["gitops/lsd.yaml", "ignored/lsd.yaml"]
    _git_repository(root)
    opts = Options(paths=paths, cwd=cwd, overlay=overlay)
    first = runcache.run_shared(opts)
    whole = _count_whole_runs(monkeypatch)
    second = runcache.run_shared(opts)
    assert not _served(first) and not _served(second) and whole == []
    entries = [json.loads(p.read_text()) for p in shared.glob("run-*.json")]
    assert entries == []  # nested-config: the first file's project is gitops/, not the top
    if case == "not-listed":  # named explicitly, the ignored file is linted (files mode)
        assert {f.path for f in second.findings} == {"gitops/lsd.yaml", "ignored/lsd.yaml"}


def test_a_stored_result_of_another_shape_is_not_used(shared, tmp_path):
    root = tmp_path / "repo"
    write_files(root, {"gitops/subscription.yaml": SUB, "gitops/lsd.yaml": lsd("a", "0.3.0")})
    _git_repository(root)
    opts = _opts(root, ["gitops/lsd.yaml"])
    runcache.run_shared(opts)
    (entry,) = shared.glob("run-*.json")
    data = json.loads(entry.read_text())
    data["result"]["findings"] = [{"rule": "SA999"}]  # a key of the right state, wrong content
    entry.write_text(json.dumps(data))
    os.chmod(entry, 0o600)
    result = runcache.run_shared(opts)
    assert not _served(result)
    assert [f.rule for f in result.findings] == ["SA101"]


def test_the_digest_sees_a_path_appear_and_a_link_target_change(tmp_path):
    a, link = tmp_path / "a", tmp_path / "link"
    before = runcache.digest([str(a), str(link)])[0]
    a.write_text("x")
    link.symlink_to(a)
    after = runcache.digest([str(a), str(link)])[0]
    assert after != before
    stamp = runcache.digest([str(link)])[0]
    os.utime(a, ns=(0, 0))  # the link is the same; its target is not
    assert runcache.digest([str(link)])[0] != stamp


def test_a_served_run_does_not_import_the_engine(shared, tmp_path):
    root = _story(tmp_path)
    names = _lintable(root)
    runcache.run_shared(_opts(root, names[:3]))  # stores
    probe = (
        "import sys\n"
        "from linter import runcache\n"
        "runcache.STORE_MIN_BYTES = 0\n"
        "from linter.cli import main\n"
        f"sys.argv = ['stackalign', 'lint', '-q', *{names[3:]!r}]\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print('ENGINE' if 'linter.engine' in sys.modules else 'NO ENGINE')\n"
    )
    env = {**os.environ, "STACKALIGN_CACHE_DIR": str(shared), "PYTHONPATH": str(REPO)}
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=root, env=env, capture_output=True, text=True
    )
    assert done.stdout.strip().endswith("NO ENGINE"), done.stdout + done.stderr


def test_the_cache_folder_inside_the_work_tree_is_not_part_of_the_state(tmp_path, monkeypatch):
    monkeypatch.setattr(runcache, "STORE_MIN_BYTES", 0)
    monkeypatch.setattr(runcache, "RACY_NS", int(RACY * 1e9))
    root = tmp_path / "repo"
    write_files(root, {"gitops/subscription.yaml": SUB, "gitops/lsd.yaml": lsd("a", "0.3.0")})
    monkeypatch.setenv("STACKALIGN_CACHE_DIR", str(root / ".cache" / "stackalign"))
    _git_repository(root)
    runcache.run_shared(_opts(root, ["gitops/lsd.yaml"]))
    assert list((root / ".cache" / "stackalign").glob("run-*.json"))
    # the stored file is untracked and not ignored: git lists it, and that must not count
    assert _served(runcache.run_shared(_opts(root, ["gitops/subscription.yaml"])))
    assert cache.folder() == root / ".cache" / "stackalign"


def test_processes_side_by_side_one_runs_one_lints_alone_the_others_wait(
    shared, tmp_path, monkeypatch
):
    """pre-commit runs batches side by side: one process lints the whole repository (it holds
    the lock of the key); the first to find the lock held lints its own files meanwhile (a core
    would otherwise idle); the others wait and are served from the whole run's result."""
    import threading

    root = _story(tmp_path)
    names = _lintable(root)
    state = runcache.RepositoryState.start(_opts(root, names[:2]))
    assert state is not None
    held, release = threading.Event(), threading.Event()

    def first() -> None:
        with runcache._exclusive(state.key) as turn:
            assert turn == runcache.RUN
            held.set()
            release.wait(10)
            state.start_listing()
            runcache._whole_run(_opts(root, names[:2]), state)

    thread = threading.Thread(target=first)
    thread.start()
    held.wait(10)
    whole = _count_whole_runs(monkeypatch)
    alone = runcache.run_shared(_opts(root, names[2:5]))  # while the lock is held
    assert not _served(alone) and whole == []
    assert _as_data(alone) == _plain(_opts(root, names[2:5]), monkeypatch)
    threading.Timer(0.3, release.set).start()
    waiting = runcache.run_shared(_opts(root, names[5:]))
    thread.join(10)
    assert _served(waiting) and len(whole) == 1  # the runner's, nobody else's
    assert len(waiting.findings) >= 1
    assert not list((shared / "locks").glob("*.alone"))  # the runner removed the mark


def test_a_repository_with_a_submodule_is_not_shared(shared, tmp_path, monkeypatch):
    """git lists a submodule as one name, so a change inside it would go unseen: the whole run
    (which walks into it) is stored as a refusal, and later runs lint on their own."""
    env = {**os.environ, **ENV, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t.invalid"}
    env |= {"GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@t.invalid"}
    sub = tmp_path / "sub"
    write_files(sub, {"lsd.yaml": lsd("inner", "0.3.0")})
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "sub"]):
        subprocess.run(["git", *args], cwd=sub, check=True, env=env)
    root = tmp_path / "repo"
    write_files(root, {"gitops/subscription.yaml": SUB, "gitops/lsd.yaml": lsd("a", "0.2.22")})
    subprocess.run(["git", "init", "-q"], cwd=root, check=True, env=env)
    add = ["git", "-c", "protocol.file.allow=always", "submodule", "-q", "add", str(sub), "sub"]
    subprocess.run(add, cwd=root, check=True, env=env, capture_output=True)
    _git_repository(root)
    first = runcache.run_shared(_opts(root, ["gitops/lsd.yaml"]))
    (entry,) = shared.glob("run-*.json")
    assert json.loads(entry.read_text())["refused"] == "a submodule"
    whole = _count_whole_runs(monkeypatch)
    second = runcache.run_shared(_opts(root, ["sub/lsd.yaml"]))
    assert not _served(first) and not _served(second) and whole == []
    assert _as_data(second) == _plain(_opts(root, ["sub/lsd.yaml"]), monkeypatch)


def test_the_configuration_is_part_of_the_key(shared, tmp_path):
    root = tmp_path / "repo"
    write_files(
        root,
        {
            "gitops/subscription.yaml": SUB,
            "gitops/lsd.yaml": lsd("a", "0.3.0"),
            ".stackalign.yaml": "exclude: [vendor/**]\nrules:\n  SA101: {level: error}\n",
        },
    )
    _git_repository(root)
    first = cli_in(root, "lint", "--format", "json", "gitops/lsd.yaml")
    assert [f["level"] for f in json.loads(first.output)["findings"]] == ["error"]
    served = cli_in(root, "lint", "--format", "json", "gitops/subscription.yaml")
    assert served.exit_code == 0 and json.loads(served.output)["findings"] == []
    (root / ".stackalign.yaml").write_text("rules:\n  SA101: off\n", encoding="utf-8")
    again = cli_in(root, "lint", "--format", "json", "gitops/lsd.yaml")
    assert (again.exit_code, json.loads(again.output)["findings"]) == (0, [])


def test_the_key_of_a_configuration_is_the_same_in_every_process(tmp_path):
    """repr(Config) is part of the key: it must not depend on the process (hash seeds)."""
    write_files(
        tmp_path,
        {
            ".stackalign.yaml": (
                'target: {rhoai: "2.25"}\nexclude: [a/**, b/**]\ninclude: ["**/*.yaml"]\n'
                "ignore: [SA3]\nrules:\n  SA102: off\n  SA101: {level: error}\n"
            )
        },
    )
    probe = (
        "from pathlib import Path\nfrom linter.cli import _load_config\n"
        "print(repr(_load_config(None, Path('.'))))\n"
    )
    outputs = {
        subprocess.run(
            [sys.executable, "-c", probe],
            cwd=tmp_path,
            env={**os.environ, "PYTHONHASHSEED": str(seed), "PYTHONPATH": str(REPO)},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for seed in (1, 2, 3)
    }
    assert len(outputs) == 1 and "SA101" in outputs.pop()


def test_the_fix_hook_is_served_where_nothing_is_to_fix(shared, tmp_path, monkeypatch):
    """`--fix` batches: the first stores the whole run; a batch whose files have nothing `--fix`
    applies is answered from it (same report, same summary, nothing written); a batch with a safe
    fix runs the fix loop; after that fix the stored result is stale and, for the fix hook, is not
    linted again as a whole."""
    root = _story(tmp_path)
    config = "gitops/llamastack/llama-stack-config.yaml"  # SA201 and SA202: safe fixes
    others = [n for n in _lintable(root) if n != config]
    plain_root = tmp_path / "plain"
    shutil.copytree(root, plain_root, symlinks=True)

    def both(*names: str) -> tuple[object, object]:
        served = cli_in(root, "lint", "--fix", "--no-color", *names)
        monkeypatch.setenv("STACKALIGN_NO_CACHE", "1")
        plain = cli_in(plain_root, "lint", "--fix", "--no-color", *names)
        monkeypatch.delenv("STACKALIGN_NO_CACHE")
        return served, plain

    whole = _count_whole_runs(monkeypatch)
    for names in (others[:4], others[4:]):
        served, plain = both(*names)
        assert (served.exit_code, _same_report(served.output)) == (
            plain.exit_code,
            _same_report(plain.output),
        )
        assert "No fixes applied." in served.output
    assert len(whole) == 1  # the first batch linted the whole repository, the second was served
    served, plain = both(config)  # safe fixes: the fix loop, written identically
    assert (served.exit_code, served.output) == (plain.exit_code, plain.output)
    assert "Fixed" in served.output
    assert (root / config).read_bytes() == (plain_root / config).read_bytes()
    time.sleep(RACY + 0.05)
    served, plain = both(*others[:4])  # stale now: the fix hook does not lint the whole again
    assert (served.exit_code, _same_report(served.output)) == (
        plain.exit_code,
        _same_report(plain.output),
    )
    assert len(whole) == 1
    # a stale result stored long ago (another day's) is no sign of this run's fixes: lint anew
    monkeypatch.setattr(runcache, "REFIXED_SECONDS", 0)
    served, plain = both(*others[4:])
    assert (served.exit_code, _same_report(served.output)) == (
        plain.exit_code,
        _same_report(plain.output),
    )
    assert len(whole) == 2


def test_a_folder_git_ignores_that_a_kustomization_names_is_part_of_the_state(shared, tmp_path):
    """An overlay names `../gen`, which does not exist yet and which git ignores: creating it
    changes the build (a remote resource: SA004), so the probe is part of the stored state."""
    root = tmp_path / "repo"
    write_files(
        root,
        {
            "sub.yaml": SUB,
            ".gitignore": "/gen\n",
            "overlay/lsd.yaml": lsd("llama", "0.2.22"),
            "overlay/kustomization.yaml": (
                "resources: [lsd.yaml, ../gen]\nimages:\n"
                "- name: llamastack/distribution-starter\n  newTag: 0.3.0\n"
            ),
        },
    )
    _git_repository(root)
    names = ["overlay/kustomization.yaml", "overlay/lsd.yaml"]
    first = runcache.run_shared(_opts(root, names))
    assert not _served(first) and _served(runcache.run_shared(_opts(root, names)))
    write_files(root, {"gen/kustomization.yaml": "resources: [https://example.com/x.yaml]\n"})
    time.sleep(RACY + 0.05)
    again = runcache.run_shared(_opts(root, names))
    assert not _served(again)
    assert [(f.rule, f.path) for f in again.findings] == [("SA004", "overlay/kustomization.yaml")]


def test_a_first_file_under_a_configuration_git_ignores_is_its_own_project(shared, tmp_path):
    """Files mode takes the nearest `.stackalign.yaml` above the first named file as the project
    (even one git ignores): such a run is never served from the whole repository's result."""
    root = tmp_path / "repo"
    write_files(
        root,
        {
            "sub.yaml": SUB,
            "sub/lsd.yaml": lsd("a", "0.3.0"),
            "sub/.stackalign.yaml": "exclude: []\n",
            ".gitignore": ".stackalign.yaml\n",
        },
    )
    _git_repository(root)
    runcache.run_shared(_opts(root, ["sub.yaml", "sub/lsd.yaml"]))  # stores (first: sub.yaml)
    inner = runcache.run_shared(_opts(root, ["sub/lsd.yaml"]))
    assert not _served(inner)
    assert inner.findings == [] and inner.target.platform is None  # no Subscription in sub/


def test_what_the_whole_run_read_outside_the_repository_counts_but_its_own_files(tmp_path):
    top = str(tmp_path / "repo")
    import tempfile

    read = {
        f"{top}/a.yaml",
        f"{top}/.venv/lib/python3.12/site-packages/yaml/__pycache__/nodes.cpython-312.pyc.1234",
        "/srv/main/.git/worktrees/repo/commondir",  # a linked work tree's git folder
        os.path.join(sys.prefix, "lib", "site-packages", "yaml", "__init__.py"),
        os.path.join(os.path.dirname(runcache.__file__), "engine.py"),
        str(cache.folder() / "run-x.json"),
        os.path.join(tempfile.gettempdir(), f"{HELM_TEMP_PREFIX}x1", "chart", "Chart.yaml"),
        os.path.join(tempfile.gettempdir(), "main", ".git", "config"),  # a work tree's git folder
        "/dev/null",
        "/proc/self/status",
    }
    assert runcache._dependencies(read, top) == sorted(
        [
            "/srv/main/.git/worktrees/repo/commondir",
            os.path.join(tempfile.gettempdir(), "main", ".git", "config"),
            f"{top}/a.yaml",
        ]
    )


def test_an_entry_stored_under_another_key_is_not_used(shared, tmp_path):
    """Each entry names its key: an entry copied or linked under another name (another run's
    options) is never taken for this one."""
    root = tmp_path / "repo"
    write_files(root, {"gitops/subscription.yaml": SUB, "gitops/lsd.yaml": lsd("a", "0.3.0")})
    _git_repository(root)
    runcache.run_shared(_opts(root, ["gitops/lsd.yaml"], ignore=["SA101"]))
    (ignoring,) = shared.glob("run-*.json")
    runcache.run_shared(_opts(root, ["gitops/lsd.yaml"]))
    (plain,) = set(shared.glob("run-*.json")) - {ignoring}
    plain.unlink()
    plain.symlink_to(ignoring)
    result = runcache.run_shared(_opts(root, ["gitops/lsd.yaml"]))
    assert not _served(result)
    assert [f.rule for f in result.findings] == ["SA101"]


def test_a_lock_nobody_releases_is_waited_for_a_bounded_time(shared, monkeypatch):
    import fcntl

    monkeypatch.setattr(runcache, "LOCK_WAIT_SECONDS", 0.2)
    folder = shared / "locks"
    folder.mkdir(parents=True)
    held = os.open(folder / "run-k.lock", os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(held, fcntl.LOCK_EX)
    started = time.monotonic()
    with runcache._exclusive("k") as turn:
        assert turn == runcache.ALONE  # the first to find it held
    with runcache._exclusive("k") as turn:
        assert turn == runcache.WAIT  # then waits, and gives up after LOCK_WAIT_SECONDS
    assert time.monotonic() - started < 10
    os.close(held)
    with runcache._exclusive("k") as turn:
        assert turn == runcache.RUN
    # a lock file that others may write is not used at all: each process lints its own files
    os.chmod(folder / "run-k.lock", 0o666)
    with runcache._exclusive("k") as turn:
        assert turn == runcache.ALONE


def test_a_listed_path_that_is_not_a_regular_file_is_part_of_the_state(shared, tmp_path):
    """A tracked name that is a FIFO is stat'ed, never opened (SA001 without a read): when it
    becomes a regular file again (the Subscription), the stored result no longer applies."""
    root = tmp_path / "repo"
    write_files(root, {"gitops/sub.yaml": SUB, "gitops/lsd.yaml": lsd("a", "0.3.0")})
    _git_repository(root)
    (root / "gitops/sub.yaml").unlink()
    os.mkfifo(root / "gitops/sub.yaml")
    time.sleep(RACY + 0.05)
    first = runcache.run_shared(_opts(root, ["gitops/lsd.yaml"]))
    assert first.target.platform is None and not _served(first)
    assert _served(runcache.run_shared(_opts(root, ["gitops/lsd.yaml"])))
    (root / "gitops/sub.yaml").unlink()
    write_files(root, {"gitops/sub.yaml": SUB})
    time.sleep(RACY + 0.05)
    again = runcache.run_shared(_opts(root, ["gitops/lsd.yaml"]))
    assert not _served(again)
    assert [(f.rule, f.span.start.line) for f in again.findings] == [("SA101", 7)]
