"""Start-up: what a lint imports, and that the per-user caches give the same answers as no cache.

No timing here (scripts/bench.py measures time); these tests pin what keeps start-up short: a lint
whose rule pack and configuration were seen before imports neither pydantic nor jsonschema (~0.3 s
between them), and libcst only when a fix is applied.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import write_files

REPO = Path(__file__).resolve().parent.parent

# Runs the CLI in-process, then prints the top-level packages it imported (to stderr).
DRIVER = """
import sys
from linter.cli import cli
try:
    code = cli.main(args=sys.argv[1:], prog_name="stackalign", standalone_mode=False)
except SystemExit as exc:
    code = exc.code
sys.stderr.write("MODULES " + " ".join(sorted({m.split(".")[0] for m in sys.modules})) + "\\n")
sys.exit(code or 0)
"""

CR = """\
apiVersion: llamastack.io/v1alpha1
kind: LlamaStackDistribution
metadata:
  name: lsd
spec:
  server:
    distribution:
      image: quay.io/redhat-et/llama:vllm-milvus-0.2.8
"""

CONFIG = """\
target:
  rhoai: "2.25"
rules:
  SA103: note
"""


def _lint(
    root: Path, cache: Path, *args: str, no_cache: bool = False
) -> tuple[dict, set[str], int]:
    env = {**os.environ, "STACKALIGN_CACHE_DIR": str(cache), "PYTHONPATH": str(REPO)}
    env.pop("STACKALIGN_NO_CACHE", None)
    if no_cache:
        env["STACKALIGN_NO_CACHE"] = "1"
    proc = subprocess.run(
        [sys.executable, "-c", DRIVER, "lint", "--format", "json", *args],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    modules = set()
    for line in proc.stderr.splitlines():
        if line.startswith("MODULES "):
            modules = set(line.split()[1:])
    report = json.loads(proc.stdout) if proc.stdout.strip() else {}
    return report, modules, proc.returncode


def _findings(report: dict) -> list[tuple]:
    return [
        (f["rule"], f["level"], f["path"], f["line"], f["column"], f["message"])
        for f in report["findings"]
    ]


@pytest.fixture()
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    write_files(root, {".stackalign.yaml": CONFIG, "gitops/cr.yaml": CR})
    return root


def test_warm_lint_imports_neither_pydantic_nor_jsonschema(repo: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    cold, cold_modules, rc1 = _lint(repo, cache, "gitops/cr.yaml")
    warm, warm_modules, rc2 = _lint(repo, cache, "gitops/cr.yaml")
    # the first run validated the configuration (the built-in pack is never validated at run
    # time: the test suite does it, tests/test_pack.py)...
    assert {"pydantic", "jsonschema"} <= cold_modules
    # the cache holds the validated configuration and the built-in pack's parsed data
    assert sorted(p.name.split("-")[0] for p in cache.iterdir()) == ["builtin", "config"]
    # ...the second one reads its validated data from the cache
    assert not {"pydantic", "pydantic_core", "jsonschema", "libcst", "ruamel"} & warm_modules
    assert rc1 == rc2 == 0  # a note does not fail the run
    assert _findings(cold) == _findings(warm)
    assert [f[:4] for f in _findings(warm)] == [("SA103", "note", "gitops/cr.yaml", 8)]


def test_cached_results_equal_uncached_results(repo: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    _lint(repo, cache)
    warm, _, rc = _lint(repo, cache)
    fresh, modules, rc_fresh = _lint(repo, cache, no_cache=True)
    assert "pydantic" in modules  # really validated again
    assert (rc, _findings(warm)) == (rc_fresh, _findings(fresh))
    assert not list(cache.glob("*.tmp"))


def test_a_changed_configuration_is_validated_again(repo: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    report, _, _ = _lint(repo, cache)
    assert [f[:2] for f in _findings(report)] == [("SA103", "note")]
    (repo / ".stackalign.yaml").write_text(CONFIG + "exlude: []\n", encoding="utf-8")
    env = {**os.environ, "STACKALIGN_CACHE_DIR": str(cache), "PYTHONPATH": str(REPO)}
    proc = subprocess.run(
        [sys.executable, "-m", "linter", "lint"],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2
    assert ".stackalign.yaml:5:1: unknown key `exlude` (did you mean `exclude`?)" in proc.stderr
    # a valid change takes effect at once
    (repo / ".stackalign.yaml").write_text(CONFIG.replace("SA103: note", "SA103: error"), "utf-8")
    report, _, rc = _lint(repo, cache)
    assert rc == 1 and [f[:2] for f in _findings(report)] == [("SA103", "error")]


def test_a_corrupt_cache_file_is_ignored(repo: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    first, _, _ = _lint(repo, cache)
    for p in cache.iterdir():
        p.write_bytes(b"not JSON")
    again, modules, _ = _lint(repo, cache)
    assert "pydantic" in modules  # loaded and validated from the YAML again
    assert _findings(again) == _findings(first)


def test_the_cache_keeps_the_newest_files_of_each_kind(tmp_path: Path, monkeypatch) -> None:
    from linter import cache

    monkeypatch.setenv("STACKALIGN_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(cache, "KEEP", 3)
    monkeypatch.setattr(cache, "_pruned", set())
    for i in range(6):
        cache.store(f"k{i}", {"n": i}, kind="config")
        os.utime(tmp_path / f"config-k{i}.json", ns=(i * 10**9, i * 10**9))
        cache._pruned.clear()  # each store as another run: a run prunes once per kind
    cache.store("p", ["render"], kind="helm")
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "config-k3.json",
        "config-k4.json",
        "config-k5.json",
        "helm-p.json",
    ]
    assert cache.load("k5", kind="config") == {"n": 5}
    assert cache.load("k0", kind="config") is None
    monkeypatch.setenv("STACKALIGN_NO_CACHE", "1")
    assert cache.key([], [tmp_path / "helm-p.json"]) is None


def test_a_cache_file_others_can_write_is_not_loaded(tmp_path: Path, monkeypatch) -> None:
    """Cached configuration data is used without validation: never from a file others can write."""
    from linter import cache

    monkeypatch.setenv("STACKALIGN_CACHE_DIR", str(tmp_path))
    cache.store("k", {"n": 1}, kind="config")
    assert cache.load("k", kind="config") == {"n": 1}
    (tmp_path / "config-k.json").chmod(0o666)  # anyone could have replaced it
    assert cache.load("k", kind="config") is None


def test_the_built_in_pack_from_the_cache_equals_the_pack_from_its_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The warm start reads the rule pack's and knowledge base's data from one JSON cache entry:
    the same data as parsing the YAML files, and a changed file is parsed again."""
    from linter import cache, yamlload
    from linter.resources import rules_dir

    monkeypatch.setenv("STACKALIGN_CACHE_DIR", str(tmp_path))
    files = sorted(rules_dir().rglob("*.yaml"))
    assert len(files) > 30
    parsed = {p: yamlload.load_data_file(p) for p in files}
    cold = {p: yamlload.load_builtin_file(p) for p in files}
    assert [p.name.split("-")[0] for p in tmp_path.iterdir()] == ["builtin"]
    warm = {p: yamlload.load_builtin_file(p) for p in files}  # from the JSON entry
    assert cold == warm == parsed
    stored = cache.load(cache.key([rules_dir()], [], "builtin-data"), kind="builtin")
    assert stored == {str(p): data for p, data in parsed.items()}
    monkeypatch.setattr(cache, "_pruned", set())
    monkeypatch.setattr(yamlload, "_builtin", {})
    monkeypatch.setattr(yamlload, "load_data_file", lambda p: {"parsed": p.name})
    # the same stats: the cached data; files outside the pack's folder are read as they are
    assert yamlload.load_builtin_file(files[0]) == parsed[files[0]]
    assert yamlload.load_builtin_file(tmp_path / "x.yaml") == {"parsed": "x.yaml"}
    monkeypatch.setattr(cache, "key", lambda *a, **k: "other")  # a file changed: another key
    assert yamlload.load_builtin_file(files[0]) == {"parsed": files[0].name}
