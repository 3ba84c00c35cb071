#!/usr/bin/env python3
"""Check that every evidence line the knowledge base quotes holds the quoted text.

    python scripts/verify_evidence.py [--cache /tmp/stackalign-evidence] [--mirror DIR]

An evidence entry of rules/knowledge/*.yaml may carry a `quote`: the text its permalink's line
(`https://github.com/<owner>/<repo>/blob/<tag>/<path>#L<n>`) holds. For the repositories that
publish every tag to PyPI as a source distribution built from that tag (llamastack/llama-stack as
`llama-stack`, llamastack/llama-stack-client-python as `llama-stack-client`), the script downloads
the sdist of the tag's version with pip (`--no-deps --no-binary :all:`, into --cache), opens the
file at the same path and compares the line. Files of other repositories are checked in a local
mirror when `--mirror DIR` has them as `DIR/<owner>/<repo>/<tag>/<path>`; anything else is listed
as not checked. A maintainer tool: it needs network access and never runs in CI.
Prints one line per quote and exits 1 when a quote does not match.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tarfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

BLOB = re.compile(
    r"https://github\.com/(?P<repo>[\w.-]+/[\w.-]+)/blob/(?P<tag>[^/]+)/(?P<path>[^#]+)#L(?P<line>\d+)"
)
#: repository -> the PyPI distribution whose sdist of version <tag without v> is that tag's tree
SDISTS = {
    "llamastack/llama-stack": "llama-stack",
    "llamastack/llama-stack-client-python": "llama-stack-client",
}


def sdist_root(package: str, version: str, cache: Path) -> Path | None:
    """The unpacked sdist of package==version (downloaded once)."""
    folder = cache / f"{package}-{version}"
    unpacked = [p for p in folder.glob("*") if p.is_dir()]
    if unpacked:
        return unpacked[0]
    folder.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "-q",
            "--no-deps",
            "--no-binary",
            ":all:",
            "--python-version",
            "3.12",
            "--only-binary",
            ":none:",
            f"{package}=={version}",
            "-d",
            str(folder),
        ],
        capture_output=True,
    )
    archives = list(folder.glob("*.tar.gz"))
    if done.returncode != 0 or not archives:
        return None
    with tarfile.open(archives[0]) as tar:
        tar.extractall(folder, filter="data")
    unpacked = [p for p in folder.glob("*") if p.is_dir()]
    return unpacked[0] if unpacked else None


def source_file(repo: str, tag: str, path: str, cache: Path, mirror: Path | None) -> Path | None:
    if repo in SDISTS:
        root = sdist_root(SDISTS[repo], tag.removeprefix("v"), cache)
        return root / path if root else None
    if mirror is not None:
        candidate = mirror / repo / tag / path
        return candidate if candidate.is_file() else None
    return None


def quoted_evidence():
    from linter.engine import Options, load_pack

    kb = load_pack(Options())[0]
    for facts in kb.facts.values():
        for fact in facts:
            yield from ((fact.id, e) for e in fact.evidence if e.quote)
    for build in kb.fork_builds:
        for d in build.provider_config_differences:
            yield from ((build.version, e) for e in d.evidence if e.quote)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", type=Path, default=Path("/tmp/stackalign-evidence"))
    parser.add_argument("--mirror", type=Path, default=None)
    args = parser.parse_args(argv)
    failed = unchecked = checked = 0
    for owner, e in quoted_evidence():
        m = BLOB.fullmatch(e.url or "")
        file = m and source_file(m["repo"], m["tag"], m["path"], args.cache, args.mirror)
        if not file or not file.is_file():
            unchecked += 1
            print(f"not checked  {owner}: {e.url}")
            continue
        lines = file.read_text(encoding="utf-8", errors="replace").splitlines()
        n = int(m["line"])
        line = lines[n - 1] if 0 < n <= len(lines) else ""
        checked += 1
        if e.quote in line:
            print(f"ok           {owner}: {e.url}")
        else:
            failed += 1
            print(f"MISMATCH     {owner}: {e.url}\n  expected {e.quote!r}\n  line is  {line!r}")
    print(f"{checked} quotes checked, {failed} mismatched, {unchecked} not checked")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
