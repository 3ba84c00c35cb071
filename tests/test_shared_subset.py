"""The vendored subset of ../shared (tests/data/shared, tests/shared_subset.py): what the manifest
says is what is stored, it stays small, and, where ../shared is present, every file equals its
original and its origin is the one ../shared records."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from tests.conftest import SHARED, corpus_wide
from tests.shared_subset import (
    MANIFEST,
    PACKED,
    REPO,
    SUBSET,
    build_entries,
    matches,
    packed_members,
    read_manifest,
    stored_bytes,
    subset_root,
)

#: "a few hundred KB at most": the subset is a sample, not a second copy of ../shared
BUDGET = 250_000


def test_every_stored_file_is_in_the_manifest_with_its_hash():
    entries = read_manifest()
    packed = packed_members()
    assert len({e.shared_path for e in entries}) == len(entries)
    for e in entries:
        data = stored_bytes(e, packed)
        assert (len(data), hashlib.sha256(data).hexdigest()) == (e.bytes, e.sha256), e.shared_path
        if e.stored not in ("plain", "packed"):  # a copy vendored before, outside the subset
            assert (REPO / e.stored).is_file() and SUBSET not in (REPO / e.stored).parents
        assert e.repository and e.ref and e.path and e.license, e
    plain = {
        p.relative_to(SUBSET).as_posix()
        for p in SUBSET.rglob("*")
        if p.is_file() and p not in (MANIFEST, PACKED, SUBSET / "README.md")
    }
    assert plain == {e.shared_path for e in entries if e.stored == "plain"}
    assert set(packed) == {e.shared_path for e in entries if e.stored == "packed"}


def test_the_laid_out_subset_holds_exactly_the_manifest():
    root = subset_root()
    laid = {p.relative_to(root).as_posix(): p for p in root.rglob("*") if p.is_file()}
    entries = {e.shared_path: e for e in read_manifest()}
    assert set(laid) == set(entries)
    for rel, path in laid.items():
        assert hashlib.sha256(path.read_bytes()).hexdigest() == entries[rel].sha256, rel


def test_the_subset_stays_small():
    size = sum(p.stat().st_size for p in SUBSET.rglob("*") if p.is_file())
    assert size <= BUDGET, f"tests/data/shared holds {size} bytes: vendor less, or pack it"


@pytest.mark.parametrize(
    "rel,pattern,hit",
    [
        ("a/b/c.yaml", "a/**", True),
        ("a/c.yaml", "a/**/*.yaml", True),
        ("a/b/c/d.yaml", "a/**/*.yaml", True),
        ("a/b/c.yml", "a/**/*.yaml", False),
        ("a/v2.22/run.yaml", "a/v2.2[235]/run.yaml", True),
        ("a/v2.24/run.yaml", "a/v2.2[235]/run.yaml", False),
        ("a/b/run.yaml", "a/*/*/run.yaml", False),
    ],
)
def test_selection_patterns(rel, pattern, hit):
    assert matches(rel, pattern) is hit


def test_vendored_equals_shared_and_origins_are_recorded():
    """Corpus-wide: each vendored file is byte-identical to its original in ../shared, the
    selection picks exactly the files the manifest lists, and each origin (repository, ref, path,
    license) is the one ../shared's manifests record."""
    if not (SHARED / "knowledge" / "data").is_dir():
        pytest.skip(corpus_wide(SHARED / "knowledge" / "data"))
    entries, _ = build_entries(SHARED)
    root = subset_root()
    for e in read_manifest():
        assert (root / e.shared_path).read_bytes() == (SHARED / e.shared_path).read_bytes()
    recorded = {e.shared_path: e for e in read_manifest()}
    fresh = {e.shared_path: e for e in entries}
    assert sorted(fresh) == sorted(recorded), (
        "../shared changed: python tests/shared_subset.py --update"
    )
    for rel, e in fresh.items():
        assert e == recorded[rel], rel


def test_data_roots_put_the_vendored_subset_first():
    from tests.shared_subset import data_roots

    roots = data_roots()
    assert roots[0].id == "vendored" and roots[0].values == (subset_root(),)
    assert [r.id for r in roots[1:]] == (["shared"] if SHARED.is_dir() else [])
    assert all(isinstance(r.values[0], Path) for r in roots)
