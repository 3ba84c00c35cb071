"""The per-user cache's bounds (linter/cache.py): how many files of each kind it keeps."""

from __future__ import annotations

from pathlib import Path

import pytest

from linter import cache


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("STACKALIGN_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(cache, "_pruned", set())
    return tmp_path


def _store(n: int, kind: str, size: int = 10) -> None:
    for i in range(n):
        cache.store(f"{i:032x}", "x" * size, kind=kind)
        cache._pruned.discard(kind)  # as if each store were another run


def test_renders_are_kept_by_the_hundred(cache_dir: Path) -> None:
    """A repository with 62 charts renders 62 times: keeping 16 renders made every run render
    again (the perf corpus: 46 renders per run instead of none)."""
    _store(100, "render")
    assert len(list(cache_dir.glob("render-*.json"))) == 100


def test_other_kinds_keep_the_newest_sixteen(cache_dir: Path) -> None:
    _store(20, "config")
    assert len(list(cache_dir.glob("config-*.json"))) == cache.KEEP == 16


def test_renders_are_bounded_by_size(cache_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(cache.MAX_BYTES_BY_KIND, "render", 10 * 1000)
    _store(30, "render", size=998)  # 1,000 bytes each as JSON (the quotes)
    assert len(list(cache_dir.glob("render-*.json"))) == 10


def test_pruning_runs_once_per_process_and_kind(cache_dir: Path) -> None:
    for i in range(20):
        cache.store(f"{i:032x}", i, kind="config")
    # pruned at the first store only: a run that stores many entries does not glob the cache
    # folder each time; the next run prunes
    assert len(list(cache_dir.glob("config-*.json"))) == 20
