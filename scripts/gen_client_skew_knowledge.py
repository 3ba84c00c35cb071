#!/usr/bin/env python3
"""Write rules/knowledge/client_skew.yaml from the probe's raw results (scripts/probe_client_skew.py).

    python scripts/gen_client_skew_knowledge.py          # rewrite the knowledge file
    python scripts/gen_client_skew_knowledge.py --check  # exit 1 if it differs from the raw data

The matrix is derived from the raw JSON only; which platform images set the disable variable is
recorded below from their Containerfiles (IMAGES), each with its evidence.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
RAW = ROOT / "rules" / "knowledge" / "probes" / "client-version-skew.json"
OUT = ROOT / "rules" / "knowledge" / "client_skew.yaml"
DISABLE_ENV = "LLAMA_STACK_DISABLE_VERSION_CHECK"
#: The probe's call names, as the client SDK spells the call.
CALLS = {
    "models_list": "client.models.list",
    "chat_completions_create": "client.chat.completions.create",
    "inference_chat_completion": "client.inference.chat_completion",
    "vector_dbs_register": "client.vector_dbs.register",
    "vector_stores_create": "client.vector_stores.create",
    "vector_io_insert": "client.vector_io.insert",
    "vector_io_query": "client.vector_io.query",
}
#: Statuses that mean "this server does not take this call" (route or body).
REFUSED = {400, 404, 405, 422}

ODH = "opendatahub-io/llama-stack-distribution"
RHDS = "red-hat-data-services/llama-stack-distribution"
#: Which images set LLAMA_STACK_DISABLE_VERSION_CHECK, from their Containerfiles.
IMAGES = [
    {
        "platform": "rhoai",
        "release": "3.0",
        "build": "0.3.0rc3+rhai0",
        "disables": True,
        "evidence": [
            {
                "repo": ODH,
                "ref": "rhoai-v3.0",
                "path": "distribution/Containerfile",
                "note": "ENV LLAMA_STACK_DISABLE_VERSION_CHECK=true (read from the branch's git mirror)",
            }
        ],
    },
    {
        "build": "0.3.4+rhai0",
        "disables": True,
        "note": "a downstream build of the 0.3.4+rhai0 fork (RHOAI 3.2 line); its branch is not recorded",
        "evidence": [
            {
                "repo": RHDS,
                "ref": "e7fc6f4652f8a4c976410c1de604afae0a617011",
                "path": "distribution/Containerfile",
                "note": "`RUN uv pip install ... llama-stack.git@v0.3.4+rhai0` then "
                "`ENV LLAMA_STACK_DISABLE_VERSION_CHECK=true` ('LLS server version is not aligned "
                "with the client version')",
            }
        ],
    },
    {
        "build": "0.5.0+rhai0",
        "disables": True,
        "note": "a downstream build of the 0.5.0+rhai0 fork (RHOAI 3.4 EA1 line) with "
        "llama-stack-client==v0.5.0; its branch is not recorded",
        "evidence": [
            {
                "repo": RHDS,
                "ref": "00ec86c3b50a1f987654fadbd08f04e8f2b4555e",
                "path": "distribution/Containerfile",
                "note": "ENV LLAMA_STACK_DISABLE_VERSION_CHECK=true",
            }
        ],
    },
    {
        "build": "0.3.0",
        "disables": False,
        "note": "a midstream build on PyPI llama-stack==0.3.0 (branch not recorded): no such ENV",
        "evidence": [
            {
                "repo": ODH,
                "ref": "0184f04da8cbc9a1b04933383b87fbd502a86611",
                "path": "distribution/Containerfile",
            }
        ],
    },
    {
        "build": "0.2.21",
        "disables": False,
        "note": "a midstream build on PyPI llama-stack==0.2.21 (between RHOAI 2.24 and 2.25; branch "
        "not recorded): no such ENV",
        "evidence": [
            {
                "repo": ODH,
                "ref": "cbbc46cfa302ec80836b47c2d14ee81aba5dbe05",
                "path": "distribution/Containerfile",
            }
        ],
    },
]
#: RHOAI releases whose image's Containerfile could not be read here: not verified.
UNVERIFIED = [("2.22", "0.2.10"), ("2.23", "0.2.14"), ("2.24", "0.2.18"), ("2.25", "0.2.22"),
              ("3.2", "0.3.5+rhai0"), ("3.3", "0.4.2.1+rhai0"), ("3.4", "0.7.1+rhaiv.1")]  # fmt: skip


def line_of(version: str) -> str:
    return ".".join(version.split("+")[0].split(".")[:2])


def failed(call: dict) -> bool:
    return call.get("outcome") not in ("ok", "not_probed")


def pair_entry(server: dict, line: str, check: dict, off: dict, own_off: dict) -> dict:
    """One pair: rejected or accepted with the check on; the calls that fail with it off (not the
    calls of an API the probe could not configure on this server: they fail for every client)."""
    unprobed_vector = bool(server.get("layout", {}).get("vector_io"))
    calls_on = check.get("calls", {})
    rejected = bool(calls_on) and all(
        c.get("status") == 426 for c in calls_on.values() if failed(c)
    )
    rejected = rejected and calls_on.get("models_list", {}).get("status") == 426
    failing = []
    own = own_off.get("calls", {})
    for name, call in off.get("calls", {}).items():
        if not failed(call) or (unprobed_vector and name.startswith("vector")):
            continue
        if name in own:
            if failed(own[name]):
                continue  # the server's own client fails too: the probe's setup, not the skew
        elif call.get("status") not in REFUSED:
            continue
        failing.append(f"{CALLS.get(name, name)} ({call.get('status') or call.get('outcome')})")
    return {
        "client_line": line,
        "client": check.get("client") or off.get("client"),
        "with_check": "rejected" if rejected else "accepted",
        "failing_without_check": failing,
    }


def knowledge(raw: dict) -> dict:
    clients = [
        {"release": rel, "line": line_of(rel), "sends_header": bool(h.get("header_sent"))}
        for rel, h in raw["headers"].items()
        if "header_sent" in h and not h.get("error") and h.get("request_path")
    ]
    releases = {c["release"] for c in clients}
    servers = []
    for s in raw["servers"]:
        modes = s.get("modes", {})
        check = modes.get("check", {}).get("clients")
        off = modes.get("disabled_true", {}).get("clients")
        if not check or not off:
            continue
        own_line = line_of(s["version"])
        own = off.get(own_line, {})
        pairs = [
            pair_entry(s, line, check[line], off[line], own)
            for line in sorted(check, key=lambda v: tuple(map(int, v.split("."))))
            if line in off and "calls" in check[line] and "calls" in off[line]
        ]
        false_mode = modes.get("disabled_false", {}).get("clients")
        any_value = None
        if false_mode:
            any_value = all(
                c.get("calls", {}).get("models_list", {}).get("status") != 426
                for c in false_mode.values()
            )
        not_probed = []
        if s.get("layout", {}).get("vector_io"):
            not_probed.append(f"vector IO: {s['layout']['vector_io']}")
        matching = s["version"] if s["version"] in releases else None
        if matching is None:
            in_line = [r for r in releases if line_of(r) == own_line]
            matching = (
                max(in_line, key=lambda v: tuple(map(int, v.split(".")))) if in_line else None
            )
        servers.append(
            {
                "version": s["version"],
                "stands_for": s["stands_for"],
                "note": s.get("note", ""),
                "matching_client": matching,
                "packages": s.get("packages", {}),
                "any_value_disables": any_value,
                "not_probed": not_probed,
                "pairs": pairs,
            }
        )
    images = list(IMAGES) + [
        {
            "platform": "rhoai",
            "release": rel,
            "build": build,
            "disables": None,
            "note": "the Containerfile of this release's branch could not be read here: not verified",
            "evidence": [
                {"repo": ODH, "ref": f"rhoai-v{rel}", "path": "distribution/Containerfile"}
            ],
        }
        for rel, build in UNVERIFIED
    ]
    return {
        "client_skew": {
            "header": raw["header"],
            "disable_env": DISABLE_ENV,
            "run_date": raw["run_date"],
            "seconds": raw["seconds"],
            "data": str(RAW.relative_to(ROOT)),
            "note": (
                f"Probe: {raw['probe']} on {raw['python']} ({raw['uv']}); servers started on "
                "127.0.0.1 with a minimal config (remote::vllm pointed at a fake OpenAI-compatible "
                "server, inline::faiss), each client line's newest release calling models.list, "
                "chat, vector stores and vector_io. Fork builds are probed as the upstream release "
                "they were cut from (stands_for). Skipped servers: "
                f"{', '.join(raw.get('skipped_servers', [])) or 'none'}."
            ),
            "evidence": [
                {
                    "doc": str(RAW.relative_to(ROOT)),
                    "note": f"raw probe results, {raw['run_date']}",
                },
                {
                    "repo": "llamastack/llama-stack",
                    "ref": "v0.2.22",
                    "path": "llama_stack/core/server/server.py",
                    "note": "ClientVersionMiddleware: 426 when the header's major.minor differs; "
                    "added unless LLAMA_STACK_DISABLE_VERSION_CHECK is set (any value)",
                },
            ],
            "clients": clients,
            "servers": servers,
            "images": images,
        }
    }


def permalinks(node):
    """Evidence as the knowledge base writes it: `{repo, ref, path}` becomes a permalink `url`."""
    if isinstance(node, dict):
        if "repo" in node and "ref" in node:
            url = f"https://github.com/{node['repo']}/tree/{node['ref']}"
            url += f"/{node['path']}" if node.get("path") else ""
            out = {"url": url}
            if node.get("note"):
                out["note"] = node["note"]
            return out
        return {k: permalinks(v) for k, v in node.items()}
    if isinstance(node, list):
        return [permalinks(x) for x in node]
    return node


def render(raw: dict) -> str:
    head = (
        "# Generated by scripts/gen_client_skew_knowledge.py from the raw results of\n"
        "# scripts/probe_client_skew.py (rules/knowledge/probes/client-version-skew.json): do not edit.\n"
    )
    body = yaml.safe_dump(
        permalinks(knowledge(raw)), sort_keys=False, width=100, allow_unicode=True
    )
    return head + body


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--check", action="store_true")
    ap.add_argument("--raw", type=Path, default=RAW)
    args = ap.parse_args()
    text = render(json.loads(args.raw.read_text()))
    if args.check:
        if not OUT.exists() or OUT.read_text() != text:
            print(f"out of date: {OUT.relative_to(ROOT)} (run {Path(__file__).name})")
            return 1
        return 0
    OUT.write_text(text)
    print(f"wrote {OUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
