"""The vendored subset of ../shared: the real files that tests need and that are not corpus-wide.

../shared (the research folder beside the checkout: corpora, recorded upstream data) is absent
from a clean clone. The tests that read a few real files from it (target detection on real
repositories, compiled KFP pipelines, the operator CRDs and their samples, the recorded RHOAI
config validations) run on this subset instead, always, and on the full folder too where it is
present. Corpus-wide tests (a whole corpus) still need ../shared and skip, saying so, without it.

Layout of tests/data/shared/:
  MANIFEST.tsv   one row per file: its path in ../shared, how it is stored here, sha256, size,
                 and its origin (repository, commit/tag/branch, path in that repository, license)
  <path>         a file stored as it is (`plain`), at its path in ../shared
  packed.tar.xz  the large files (`packed`: CRDs, compiled pipelines, samples), byte for byte;
                 xz removes the repetition between releases (about 3 MB of YAML in 80 KB)
A file already vendored elsewhere under tests/data is not stored twice: `stored` names that copy.
No file is trimmed: every one is byte-identical to its original (tests/test_shared_subset.py
checks the hashes always, and the bytes against ../shared where it is present).

`subset_root()` lays the subset out in a temporary folder as ../shared holds it, so that a test
(and scripts/gen_crd_schemas.py --vendored) reads `root / "knowledge/data/..."` the same way from
either folder. Standard library only: the generator loads this file by path.

Maintainers re-vendor (../shared present) with `python tests/shared_subset.py --update`: it copies
what SELECTION names, packs, and writes MANIFEST.tsv with the origins that ../shared records.
"""

from __future__ import annotations

import argparse
import atexit
import csv
import dataclasses
import fnmatch
import hashlib
import io
import lzma
import re
import shutil
import sys
import tarfile
import tempfile
from functools import cache
from pathlib import Path, PurePosixPath

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"
SUBSET = REPO / "tests" / "data" / "shared"
MANIFEST = SUBSET / "MANIFEST.tsv"
PACKED = SUBSET / "packed.tar.xz"
COLUMNS = ("shared_path", "stored", "sha256", "bytes", "repository", "ref", "path", "license")

# What the subset holds: (pattern under ../shared, how it is stored). `**` spans folders.
SELECTION: list[tuple[str, str]] = [
    # target detection (tests/test_target.py): every file of these repositories that names a
    # platform release (Subscriptions, channel patches, the kustomizations that apply them)
    ("corpus/dev/redhat-ai-services__ai-accelerator/components/operators/openshift-ai/"
     "operator/overlays/*/patch-channel.yaml", "plain"),
    ("corpus/dev/redhat-cop__gitops-catalog/openshift-ai/operator/**", "plain"),
    ("corpus/dev/rrbanda__rhoai-deploy-gitops/components/operators/rhoai-operator/*", "plain"),
    # compiled KFP pipelines (tests/sources/test_compiled.py, test_yamlscalar.py)
    ("knowledge/data/kfp/kubeflow__pipelines/**/*.yaml", "packed"),
    ("knowledge/data/kfp/opendatahub-io__rag/**/*.yaml", "packed"),
    ("corpus/dev/opendatahub-io__rag/demos/kfp/pdf-conversion/"
     "docling_convert_pipeline_compiled.yaml", "packed"),
    ("corpus/dev/red-hat-data-services__pipelines-components/@rhoai-3.4/pipelines/training/"
     "autorag/documents_rag_optimization_pipeline/pipeline.yaml", "packed"),
    # operator CRDs, their levels and samples (scripts/gen_crd_schemas.py,
    # tests/test_schemas_crosscheck.py)
    ("knowledge/data/*/llama-stack-k8s-operator/*/config/crd/bases/"
     "llamastack.io_llamastackdistributions.yaml", "packed"),
    ("knowledge/data/*/llama-stack-k8s-operator/*/config/overlays/*/params.env", "plain"),
    ("knowledge/data/llamastack/llama-stack-k8s-operator/*/config/samples/*.yaml", "packed"),
    ("knowledge/data/opendatahub-io/llama-stack-k8s-operator/*/docs/odh/llama-stack-with-odh.md",
     "packed"),
    # the recorded validations of RHOAI's configs with the real llama-stack, and what they read
    ("knowledge/data/derived/rhoai_runyaml_validation_on_*.json", "plain"),
    ("knowledge/data/derived/probe_llama-stack-*.json", "plain"),
    ("knowledge/data/opendatahub-io/llama-stack-distribution/rhoai-v2.2[235]/*/run.yaml", "plain"),
    ("knowledge/data/opendatahub-io/llama-stack-distribution/rhoai-v3.[02]/*/run.yaml", "plain"),
    ("knowledge/data/opendatahub-io/llama-stack-distribution/rhoai-v3.3/*/config.yaml", "plain"),
]  # fmt: skip

# Repositories whose license no manifest of ../shared records: a fork takes its upstream's.
FORK_OF = {
    "red-hat-data-services/llama-stack-k8s-operator": "llamastack/llama-stack-k8s-operator",
}
# HEAD of each git mirror the recorded data was read from (as ../shared/knowledge records it); the
# commits of its other branches were not recorded.
MIRROR_HEAD = {
    "llamastack/llama-stack-k8s-operator": "7735e43c20",
    "opendatahub-io/llama-stack-k8s-operator": "76895fce0f",
    "red-hat-data-services/llama-stack-k8s-operator": "498ad3f2ac",
    "opendatahub-io/llama-stack-distribution": "4911d0d0ed",
}


@dataclasses.dataclass(frozen=True)
class Entry:
    """One vendored file (a row of MANIFEST.tsv)."""

    shared_path: str  # where it sits in ../shared
    stored: str  # "plain", "packed", or the tests/data path of a copy vendored before
    sha256: str
    bytes: int
    repository: str
    ref: str
    path: str  # in the repository
    license: str


def read_manifest(path: Path = MANIFEST) -> list[Entry]:
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    return [Entry(**{**row, "bytes": int(row["bytes"])}) for row in rows]  # type: ignore[arg-type]


def stored_bytes(entry: Entry, packed: dict[str, bytes]) -> bytes:
    """The bytes this repository holds for `entry` (`packed`: the archive's members)."""
    if entry.stored == "plain":
        return (SUBSET / entry.shared_path).read_bytes()
    if entry.stored == "packed":
        return packed[entry.shared_path]
    return (REPO / entry.stored).read_bytes()


def packed_members(archive: Path = PACKED) -> dict[str, bytes]:
    """Name -> bytes of every member of the archive; anything but a regular file is an error."""
    out: dict[str, bytes] = {}
    with tarfile.open(archive, "r:xz") as tar:
        for member in tar:
            if not member.isfile():
                raise ValueError(f"{archive}: {member.name} is not a regular file")
            data = tar.extractfile(member)
            assert data is not None
            out[member.name] = data.read()
    return out


@cache
def subset_root() -> Path:
    """A temporary folder laid out as ../shared, holding the subset (removed at exit). Every file
    is checked against its recorded sha256 on the way."""
    root = Path(tempfile.mkdtemp(prefix="stackalign-shared-subset-"))
    atexit.register(shutil.rmtree, root, True)
    packed = packed_members()
    for entry in read_manifest():
        data = stored_bytes(entry, packed)
        if hashlib.sha256(data).hexdigest() != entry.sha256:
            raise ValueError(f"{entry.shared_path}: stored bytes differ from MANIFEST.tsv's sha256")
        target = root / entry.shared_path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    return root


def data_roots() -> list:
    """pytest parameters: the vendored subset (always), and ../shared where it is present."""
    import pytest

    roots = [pytest.param(subset_root(), id="vendored")]
    if SHARED.is_dir():
        roots.append(pytest.param(SHARED, id="shared"))
    return roots


# -- re-vendoring from ../shared (maintainers) -----------------------------------------------------
def matches(rel: str, pattern: str) -> bool:
    """fnmatch per path segment, `**` for any number of segments."""

    def walk(parts: list[str], pats: list[str]) -> bool:
        if not pats:
            return not parts
        if pats[0] == "**":
            return any(walk(parts[i:], pats[1:]) for i in range(len(parts) + 1))
        return bool(parts) and fnmatch.fnmatchcase(parts[0], pats[0]) and walk(parts[1:], pats[1:])

    return walk(rel.split("/"), pattern.split("/"))


def select(shared: Path) -> dict[str, str]:
    """shared path -> how it is stored, for every file of `shared` that SELECTION names."""
    out: dict[str, str] = {}
    for path in sorted(p for p in shared.rglob("*") if p.is_file()):
        rel = path.relative_to(shared).as_posix()
        for pattern, how in SELECTION:
            if matches(rel, pattern):
                out.setdefault(rel, how)
    return out


def _tsv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f, delimiter="\t"))


def licenses(shared: Path) -> dict[str, str]:
    """repository -> license, as the corpus manifests record them."""
    out: dict[str, str] = {}
    for manifest in sorted((shared / "corpus").glob("*/*MANIFEST.tsv")):
        for row in _tsv(manifest):
            repo = row.get("repo") or row.get("repository") or ""
            if row.get("license"):
                out.setdefault(repo, row["license"])
    return out


def kfp_rows(shared: Path) -> dict[str, tuple[str, str, str]]:
    """knowledge/data/kfp path -> (repository, commit as recorded, path), from its MANIFEST.md."""
    out = {}
    text = (shared / "knowledge/data/kfp/MANIFEST.md").read_text(encoding="utf-8")
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split(" | ")]
        if len(cells) > 4 and cells[0].isdigit():
            repo, commit, path = cells[1], cells[2], cells[4]
            out[f"knowledge/data/kfp/{repo.replace('/', '__')}/{path}"] = (repo, commit, path)
    return out


def origin(shared: Path, rel: str) -> tuple[str, str, str, str]:
    """(repository, commit/tag/branch, path in the repository, license) of a file of ../shared,
    from the records ../shared keeps. A file it has no record of is an error."""
    parts = PurePosixPath(rel).parts
    known = licenses(shared)
    if parts[0] == "corpus":
        local = "/".join(parts[2:])
        for row in _tsv(shared / "corpus" / parts[1] / "MANIFEST.tsv"):
            if row.get("local_path") == local:
                ref = row["commit"] + (f" (branch {row['ref']})" if row["ref"] != "HEAD" else "")
                return row["repo"], ref, row["path"], row["license"]
    elif parts[:3] == ("knowledge", "data", "kfp"):
        repo, commit, path = kfp_rows(shared)[rel]
        return repo, commit, path, known[repo]
    elif parts[:3] == ("knowledge", "data", "derived"):
        return "-", "-", "-", "recorded output (llama-stack in throwaway venvs)"
    elif parts[:2] == ("knowledge", "data") and len(parts) > 5:
        repo, ref = f"{parts[2]}/{parts[3]}", parts[4]
        kind = "tag" if re.fullmatch(r"v\d+(\.\d+)+", ref) else "branch"
        where = f"{kind} {ref}"
        if kind == "branch":
            where += f" (commit not recorded; mirror HEAD {MIRROR_HEAD[repo]})"
        upstream = FORK_OF.get(repo)
        license_ = (
            known[repo] if repo in known else f"{known[upstream]} (as its upstream {upstream})"
        )
        return repo, where, "/".join(parts[5:]), license_
    raise KeyError(f"no record of the origin of {rel} in {shared}")


def _existing_copies() -> dict[str, str]:
    """sha256 -> repository path of every file vendored under tests/data outside the subset."""
    out: dict[str, str] = {}
    for path in sorted((REPO / "tests" / "data").rglob("*")):
        if path.is_file() and SUBSET not in path.parents:
            out.setdefault(
                hashlib.sha256(path.read_bytes()).hexdigest(), str(path.relative_to(REPO))
            )
    return out


def build_entries(shared: Path) -> tuple[list[Entry], dict[str, bytes]]:
    """The manifest rows and the files to write (shared path -> bytes) for `shared`."""
    copies = _existing_copies()
    entries, data = [], {}
    for rel, how in select(shared).items():
        content = (shared / rel).read_bytes()
        digest = hashlib.sha256(content).hexdigest()
        stored = copies.get(digest, how)
        entries.append(Entry(rel, stored, digest, len(content), *origin(shared, rel)))
        data[rel] = content
    return entries, data


def write_archive(members: dict[str, bytes], archive: Path) -> None:
    """A reproducible tar.xz: sorted names, no times, owners or modes of this machine."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name in sorted(members):
            info = tarfile.TarInfo(name)
            info.size, info.mtime, info.mode = len(members[name]), 0, 0o644
            tar.addfile(info, io.BytesIO(members[name]))
    archive.write_bytes(lzma.compress(raw.getvalue(), preset=9 | lzma.PRESET_EXTREME))


def update(shared: Path) -> list[Entry]:
    """Re-vendor from `shared`: plain files, the archive and MANIFEST.tsv (old ones removed)."""
    if MANIFEST.is_file():
        for entry in read_manifest():
            if entry.stored == "plain":
                (SUBSET / entry.shared_path).unlink(missing_ok=True)
    entries, data = build_entries(shared)
    for entry in entries:
        if entry.stored == "plain":
            target = SUBSET / entry.shared_path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data[entry.shared_path])
    write_archive(
        {e.shared_path: data[e.shared_path] for e in entries if e.stored == "packed"}, PACKED
    )
    with MANIFEST.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, delimiter="\t", lineterminator="\n")
        writer.writerow(COLUMNS)
        for e in entries:
            writer.writerow([getattr(e, c) for c in COLUMNS])
    for folder in sorted(SUBSET.rglob("*"), reverse=True):  # folders emptied by the update
        if folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()
    return entries


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--update", action="store_true", help="re-vendor from --shared")
    ap.add_argument("--shared", type=Path, default=SHARED)
    args = ap.parse_args(argv)
    if not args.update:
        for e in read_manifest():
            print(f"{e.stored:8.8}  {e.bytes:>8}  {e.shared_path}")
        return 0
    if not (args.shared / "knowledge").is_dir():
        print(f"no {args.shared}/knowledge: nothing to vendor from", file=sys.stderr)
        return 2
    entries = update(args.shared)
    size = sum(p.stat().st_size for p in SUBSET.rglob("*") if p.is_file())
    print(f"{len(entries)} files vendored; tests/data/shared holds {size / 1000:.0f} KB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
