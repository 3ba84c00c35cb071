#!/usr/bin/env bash
# Validate the SARIF stackalign writes for examples/story with Microsoft's SARIF Multitool, using
# GitHub's ingestion rules and the SARIF rules ("Gh;Sarif"). Fails on any error or warning result.
#
#   scripts/sarif_multitool.sh            (PYTHON=... to choose the interpreter)
#
# The Multitool is installed once with npm into .cache/sarif-multitool (git-ignored).
set -euo pipefail

VERSION=5.7.0
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cache=${SARIF_MULTITOOL_CACHE:-$repo/.cache/sarif-multitool}
python=${PYTHON:-python3}
[[ $python == */* && $python != /* ]] && python=$PWD/$python  # relative to where we were called
tool=$cache/node_modules/@microsoft/sarif-multitool-linux/Sarif.Multitool
export DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=${DOTNET_SYSTEM_GLOBALIZATION_INVARIANT:-1}
export DOTNET_CLI_TELEMETRY_OPTOUT=1

installed=$(cat "$cache/.version" 2>/dev/null || true)
if [[ ! -f $tool || $installed != "$VERSION" ]]; then
    mkdir -p "$cache"
    npm install --prefix "$cache" --no-audit --no-fund --loglevel=error \
        "@microsoft/sarif-multitool@$VERSION" >&2
    echo "$VERSION" >"$cache/.version"
fi
chmod u+x "$tool"  # npm may skip the package's postinstall chmod

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

status=0
(cd "$repo/examples/story" && "$python" -m linter lint . --format sarif --output "$work/results.sarif") \
    || status=$?
if [[ $status -ne 0 && $status -ne 1 ]]; then
    echo "sarif_multitool: stackalign exited with $status" >&2
    exit 2
fi

(cd "$work" && "$tool" validate --rule-kind "Gh;Sarif" -o out.sarif results.sarif >validate.log 2>&1) \
    || true
if [[ ! -s $work/out.sarif ]]; then
    echo "sarif_multitool: the Multitool wrote no report:" >&2
    cat "$work/validate.log" >&2
    exit 2
fi

"$python" - "$work/out.sarif" <<'PY'
import json
import sys

log = json.load(open(sys.argv[1], encoding="utf-8-sig"))
bad = 0
for run in log.get("runs", []):
    for inv in run.get("invocations", []):
        for note in inv.get("toolExecutionNotifications", []) + inv.get("toolConfigurationNotifications", []):
            if note.get("level", "warning") in ("error", "warning"):
                bad += 1
                print(f"multitool {note.get('level', 'warning')}: {note.get('message', {}).get('text')}")
    for res in run.get("results", []):
        level = res.get("level", "warning")
        text = res.get("message", {}).get("text") or json.dumps(res.get("message"))
        print(f"{level}: {res.get('ruleId')}: {text}")
        if level in ("error", "warning"):
            bad += 1
print(f"sarif_multitool: {bad} error/warning result(s)")
sys.exit(1 if bad else 0)
PY
