#!/usr/bin/env python3
"""Copy the recorded version data the knowledge-base tests compare against into tests/data/knowledge/.

    python scripts/vendor_knowledge_data.py --source ../shared/knowledge/data          # (re)write
    python scripts/vendor_knowledge_data.py --source ../shared/knowledge/data --check  # compare

The recorded data (a research mirror of the upstream repositories, outside this repository) holds:
- `derived/llamastack_routes_by_tag.json` and `derived/odh_llamastack_fork_routes_by_tag.json`:
  per tag of llamastack/llama-stack and of the opendatahub-io/llama-stack fork, every HTTP route
  (`"POST /v1/vector-io/insert"`) of the generated OpenAPI specs and its status (stable,
  deprecated, experimental);
- `derived/provider_types_by_tag.json`: per tag, api -> in-tree provider types (a scan of
  `providers/registry/*.py`; fork tags prefixed `odh:`);
- `derived/probe_llama-stack-<ver>.json`: what the real llama-stack release did with a few inputs;
- `opendatahub-io/llama-stack-distribution/<branch>/...`: RHOAI's default run configs.

The route and provider tables are stored here in a compact, lossless form (a sorted list of the
routes or `api provider_type` pairs, and per tag one character per entry); `expand_routes` and
`expand_provider_types` give back the original JSON objects exactly, which
tests/test_knowledge_crosscheck.py checks whenever the source is present. The other files are
copied byte for byte. Origins and licenses: tests/data/knowledge/README.md.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "tests" / "data" / "knowledge"

STATUS_CODE = {"stable": "S", "deprecated": "D", "experimental": "X"}
CODE_STATUS = {v: k for k, v in STATUS_CODE.items()}
ABSENT = "-"

PROBES = ["0.2.10", "0.2.22", "0.3.0", "0.4.2"]
#: RHOAI release -> the default run config of its midstream branch (relative to the source)
RHOAI_CONFIGS = {
    "2.22": "opendatahub-io/llama-stack-distribution/rhoai-v2.22/redhat-distribution/run.yaml",
    "2.23": "opendatahub-io/llama-stack-distribution/rhoai-v2.23/redhat-distribution/run.yaml",
    "2.24": "opendatahub-io/llama-stack-distribution/rhoai-v2.24/distribution/run.yaml",
    "2.25": "opendatahub-io/llama-stack-distribution/rhoai-v2.25/distribution/run.yaml",
    "3.0": "opendatahub-io/llama-stack-distribution/rhoai-v3.0/distribution/run.yaml",
    "3.2": "opendatahub-io/llama-stack-distribution/rhoai-v3.2/distribution/run.yaml",
    "3.3": "opendatahub-io/llama-stack-distribution/rhoai-v3.3/distribution/config.yaml",
    "3.4": "opendatahub-io/llama-stack-distribution/rhoai-v3.4/distribution/config.yaml",
}


def compact_routes(upstream: dict, fork: dict) -> dict:
    tables = {"upstream": upstream, "fork": fork}
    routes = sorted({r for table in tables.values() for tag in table.values() for r in tag})
    return {
        "routes": routes,
        **{
            name: {
                tag: "".join(STATUS_CODE[entries[r]] if r in entries else ABSENT for r in routes)
                for tag, entries in table.items()
            }
            for name, table in tables.items()
        },
    }


def expand_routes(compact: dict, name: str) -> dict[str, dict[str, str]]:
    """The original `{tag: {"METHOD /path": status}}` table (`name`: upstream or fork)."""
    routes = compact["routes"]
    return {
        tag: {r: CODE_STATUS[c] for r, c in zip(routes, codes, strict=True) if c != ABSENT}
        for tag, codes in compact[name].items()
    }


def compact_provider_types(table: dict) -> dict:
    pairs = sorted({f"{api} {t}" for tag in table.values() for api, ts in tag.items() for t in ts})
    return {
        "pairs": pairs,
        "apis": {tag: sorted(entries) for tag, entries in table.items()},
        "tags": {
            tag: "".join(
                "1" if p.split(" ", 1)[1] in entries.get(p.split(" ", 1)[0], []) else "0"
                for p in pairs
            )
            for tag, entries in table.items()
        },
    }


def expand_provider_types(compact: dict) -> dict[str, dict[str, list[str]]]:
    """The original `{tag: {api: [provider_type, ...]}}` table (order of the lists: sorted)."""
    out: dict[str, dict[str, list[str]]] = {}
    for tag, bits in compact["tags"].items():
        entries: dict[str, list[str]] = {api: [] for api in compact["apis"][tag]}
        for pair, bit in zip(compact["pairs"], bits, strict=True):
            if bit == "1":
                api, ptype = pair.split(" ", 1)
                entries[api].append(ptype)
        out[tag] = entries
    return out


def dump(data: object) -> str:
    return json.dumps(data, indent=1, sort_keys=False) + "\n"


def expected_files(source: Path) -> dict[str, bytes]:
    """Path under tests/data/knowledge/ -> content."""
    derived = source / "derived"
    upstream = json.loads((derived / "llamastack_routes_by_tag.json").read_text())
    fork = json.loads((derived / "odh_llamastack_fork_routes_by_tag.json").read_text())
    ptypes = json.loads((derived / "provider_types_by_tag.json").read_text())
    out = {
        "routes_by_tag.json": dump(compact_routes(upstream, fork)).encode(),
        "provider_types_by_tag.json": dump(compact_provider_types(ptypes)).encode(),
    }
    for version in PROBES:
        name = f"probe_llama-stack-{version}.json"
        out[name] = (derived / name).read_bytes()
    for release, rel in RHOAI_CONFIGS.items():
        out[f"rhoai/{release}/{Path(rel).name}"] = (source / rel).read_bytes()
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=REPO.parent / "shared/knowledge/data")
    parser.add_argument("--check", action="store_true", help="compare only, write nothing")
    args = parser.parse_args(argv)
    if not args.source.is_dir():
        print(f"no recorded data at {args.source}", file=sys.stderr)
        return 2
    files = expected_files(args.source)
    stale = [
        name
        for name, content in files.items()
        if not (OUT / name).is_file() or (OUT / name).read_bytes() != content
    ]
    if args.check:
        for name in stale:
            print(f"out of date: tests/data/knowledge/{name}")
        return 1 if stale else 0
    if (OUT / "rhoai").is_dir():
        shutil.rmtree(OUT / "rhoai")  # README.md, written by hand, stays
    for name, content in files.items():
        path = OUT / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    print(f"wrote {len(files)} files under {OUT.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
