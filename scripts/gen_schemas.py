#!/usr/bin/env python3
"""Generate the JSON Schemas of stackalign's own files from their dataclasses (validated with pydantic).

    python scripts/gen_schemas.py           # write schemas/{config,rule,knowledge}.schema.json
    python scripts/gen_schemas.py --check   # exit 1 if a checked-in schema is out of date

`config.schema.json` validates `.stackalign.yaml` (and `[tool.stackalign]`); `rule.schema.json` a
rule file under rules/; `knowledge.schema.json` one file under rules/knowledge/. Editors pick them up
through a `# yaml-language-server: $schema=...` comment. tests/test_config.py fails when a model
changed and this script was not re-run.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BASE_URI = "https://stackalign.dev/schemas/"


def schemas() -> dict[str, dict]:
    """File name -> schema, built from the models the loaders validate with."""
    sys.path.insert(0, str(ROOT))
    from linter.config import Config
    from linter.knowledge import KnowledgeFile
    from linter.rulepack import Rule
    from linter.validation import json_schema

    out = {}
    for name, model, title in (
        ("config.schema.json", Config, "stackalign configuration (.stackalign.yaml)"),
        ("rule.schema.json", Rule, "stackalign rule file (rules/SAxxx-name.yaml)"),
        (
            "knowledge.schema.json",
            KnowledgeFile,
            "stackalign knowledge base file (rules/knowledge/)",
        ),
    ):
        schema = json_schema(model)
        out[name] = {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": BASE_URI + name,
            **{k: v for k, v in schema.items() if k != "title"},
            "title": title,
        }
    return out


def render(schema: dict) -> str:
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only compare, write nothing")
    parser.add_argument("--out", type=Path, default=ROOT / "schemas")
    args = parser.parse_args(argv)
    stale = []
    for name, schema in schemas().items():
        path = args.out / name
        text = render(schema)
        current = path.read_text(encoding="utf-8") if path.is_file() else None
        if current == text:
            continue
        stale.append(name)
        if not args.check:
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path}")
    if args.check and stale:
        print(f"out of date: {', '.join(stale)} (run python scripts/gen_schemas.py)")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
