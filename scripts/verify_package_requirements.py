#!/usr/bin/env python3
"""Record what each release of a PyPI package requires of llama-stack (the facts behind SA401).

    python scripts/verify_package_requirements.py llama-stack-provider-trustyai-fms \
        docs/evidence/trustyai_fms_requirements.json

Downloads every release's wheel from PyPI with pip (`pip download --no-deps`, into a temporary
folder; needs network access, never runs in CI) and reads its METADATA: the `Requires-Dist` lines
that name llama-stack, with their environment markers (`extra == "test"` means the requirement
applies only to the package's test extra, never to an install). Writes JSON:
{"package", "generated_by", "releases": {version: {"requires": [...], "requires_python": ...}}}.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

REQUIREMENT = re.compile(r"^llama[-_]stack(?:\b|[<>=!~ ;(\[])", re.IGNORECASE)


def releases(package: str, python: str) -> list[str]:
    out = subprocess.run(
        [python, "-m", "pip", "index", "versions", package],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    m = re.search(r"Available versions: (.*)", out)
    return list(reversed([v.strip() for v in m.group(1).split(",")])) if m else []


def metadata(package: str, version: str, python: str, folder: Path) -> dict:
    target = folder / version
    subprocess.run(
        [
            python,
            "-m",
            "pip",
            "download",
            "-q",
            "--no-deps",
            "--only-binary",
            ":all:",
            f"{package}=={version}",
            "-d",
            str(target),
        ],
        capture_output=True,
        check=True,
    )
    wheel = next(target.glob("*.whl"))
    with zipfile.ZipFile(wheel) as z:
        name = next(n for n in z.namelist() if n.endswith(".dist-info/METADATA"))
        lines = z.read(name).decode("utf-8").splitlines()
    requires = [
        line.split(":", 1)[1].strip()
        for line in lines
        if line.startswith("Requires-Dist:") and REQUIREMENT.match(line.split(":", 1)[1].strip())
    ]
    python_req = next(
        (line.split(":", 1)[1].strip() for line in lines if line.startswith("Requires-Python:")),
        None,
    )
    return {"wheel": wheel.name, "requires": requires, "requires_python": python_req}


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    package, out = argv
    python = sys.executable
    with tempfile.TemporaryDirectory() as tmp:
        data = {
            "package": package,
            "generated_by": "scripts/verify_package_requirements.py",
            "releases": {
                v: metadata(package, v, python, Path(tmp)) for v in releases(package, python)
            },
        }
    Path(out).write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
