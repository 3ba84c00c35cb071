"""The GitHub Action's step (action.yml runs it with the Python stackalign is installed in).

One `stackalign lint` run prints the job log's view of the findings (`format`: workflow annotations,
the text report or JSON) and writes the SARIF file from the same findings (`--sarif-output`). This
script then reads that SARIF file to set the step's outputs and, when some findings got no
annotation (GitHub keeps 10 of each kind per step), to write a table of the findings to the job
summary. It sets no annotation itself, so that stackalign's own annotations keep the whole budget.

Inputs come from the environment (INPUT_PATHS, INPUT_TARGET, INPUT_ARGS, INPUT_FAIL_ON,
INPUT_FORMAT, INPUT_SARIF_FILE, INPUT_CATEGORY, INPUT_FAIL), as action.yml passes them; GitHub's
own files are GITHUB_OUTPUT and GITHUB_STEP_SUMMARY. Exit status: 2 when stackalign could not lint
(usage, configuration or internal error), 1 when it found something at or above `fail-on` and
`fail` is true, else 0.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
import tempfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, unquote

from linter.report.github import ANNOTATIONS_PER_KIND, annotated_counts

FORMATS = ("github", "text", "json")
#: Options the inputs own: in `args` they would break the one run this step relies on.
OWNED_OPTIONS = {
    "--format": "format",
    "--output": "sarif-file",
    "-o": "sarif-file",
    "--sarif-output": "sarif-file",
    "--sarif-category": "category",
    "--fail-on": "fail-on",
    "--fix": None,
    "--diff": None,
    "--write-baseline": None,
    "--stdin-filename": None,
}
#: GitHub stores at most 1 MiB of summary per step; the table stays well below it.
SUMMARY_BUDGET = 512 * 1024
LEVELS = ("error", "warning", "note")
PLATFORM_NAMES = {"rhoai": "RHOAI", "odh": "ODH", "llamastack": "LlamaStack"}


class InputError(Exception):
    """An input the action cannot use: a message for the log, exit 2."""


@dataclass(frozen=True)
class Inputs:
    paths: list[str]
    targets: list[str]
    args: list[str]
    fail_on: str
    format: str
    sarif_file: str  # empty: no SARIF file is kept for the workflow (one is still written)
    category: str
    fail: bool


def read_inputs(env: dict[str, str]) -> Inputs:
    fmt = env.get("INPUT_FORMAT", "github").strip() or "github"
    if fmt not in FORMATS:
        raise InputError(f"format: {fmt!r} is not one of {', '.join(FORMATS)}")
    fail = env.get("INPUT_FAIL", "true").strip().lower() or "true"
    if fail not in ("true", "false"):
        raise InputError(f"fail: {fail!r} is neither true nor false")
    try:
        args = shlex.split(env.get("INPUT_ARGS", ""))
    except ValueError as exc:
        raise InputError(f"args: {exc}") from None
    for arg in args:
        option = arg.split("=", 1)[0]
        if option in OWNED_OPTIONS:
            owner = OWNED_OPTIONS[option]
            instead = f"; use the `{owner}` input" if owner else ""
            raise InputError(f"args: {option} cannot be used in the action{instead}")
    return Inputs(
        paths=env.get("INPUT_PATHS", ".").split() or ["."],
        targets=env.get("INPUT_TARGET", "").split(),
        args=args,
        fail_on=env.get("INPUT_FAIL_ON", "warning").strip() or "warning",
        format=fmt,
        sarif_file=env.get("INPUT_SARIF_FILE", "stackalign.sarif").strip(),
        category=env.get("INPUT_CATEGORY", "stackalign/").strip() or "stackalign/",
        fail=fail == "true",
    )


def stackalign_command(env: dict[str, str]) -> list[str]:
    """STACKALIGN_BIN when set, else this Python's stackalign (`python -m linter`)."""
    return (
        [env["STACKALIGN_BIN"]] if env.get("STACKALIGN_BIN") else [sys.executable, "-m", "linter"]
    )


def lint_command(inputs: Inputs, sarif: str, env: dict[str, str]) -> list[str]:
    cmd = [*stackalign_command(env), "lint", "--fail-on", inputs.fail_on]
    for target in inputs.targets:
        cmd += ["--target", target]
    cmd += inputs.args
    cmd += ["--format", inputs.format, "--sarif-output", sarif, "--sarif-category", inputs.category]
    return [*cmd, "--", *inputs.paths]


@dataclass(frozen=True)
class Result:
    """One reported finding, as the SARIF file holds it."""

    level: str
    rule: str
    path: str
    line: int
    message: str


@dataclass(frozen=True)
class Report:
    results: list[Result]
    total: int  # findings reported, including any the SARIF file left out (GitHub keeps 5,000)
    target: dict


def read_sarif(path: Path) -> Report:
    run = json.loads(path.read_text(encoding="utf-8"))["runs"][0]
    results = []
    for r in run.get("results", []):
        if r.get("suppressions"):  # only there with --sarif-include-suppressed
            continue
        physical = r["locations"][0]["physicalLocation"]
        results.append(
            Result(
                level=r.get("level", "warning"),
                rule=r.get("ruleId", ""),
                path=unquote(physical["artifactLocation"]["uri"]),
                line=physical.get("region", {}).get("startLine", 1),
                message=r["message"]["text"],
            )
        )
    props = run.get("properties", {})
    total = props.get("truncated", {}).get("totalResults", len(results))
    return Report(results, total, props.get("target", {}))


def not_annotated(report: Report, fmt: str) -> int:
    """How many findings have no annotation: with `github`, those beyond GitHub's limit per kind
    (the same count stackalign's reporter uses); with `text` or `json`, all of them."""
    if fmt != "github":
        return report.total
    shown = annotated_counts([r.level for r in report.results])
    return report.total - sum(shown.values())


def summary_markdown(report: Report, fmt: str, env: dict[str, str]) -> str:
    """The job summary: counts and target; a table of the findings when some are not annotated."""
    levels = Counter(r.level for r in report.results)
    counts = ", ".join(_plural(levels[lv], lv) for lv in LEVELS if levels[lv])
    lines = [
        f"### stackalign: {_plural(report.total, 'finding')}" + (f" ({counts})" if counts else "")
    ]
    t = report.target
    if t.get("platform"):
        name = PLATFORM_NAMES.get(t["platform"], t["platform"])
        runtime = f", LlamaStack {t['llamastack']}" if t.get("llamastack") else ""
        lines.append(f"Target: {name} {t['version']} (from {t.get('source', '?')}){runtime}")
    missing = not_annotated(report, fmt)
    if missing and fmt == "github":
        lines.append(
            f"{missing} of {_plural(report.total, 'finding')} got no annotation: GitHub keeps "
            f"{ANNOTATIONS_PER_KIND} annotations of each kind (error, warning, notice) per step "
            "and 50 per job. Every finding is listed below."
        )
    if report.total > len(report.results):
        lines.append(
            f"The SARIF file holds the {len(report.results)} most severe findings (GitHub code "
            f"scanning keeps 5,000 per run); the job log lists all {report.total}."
        )
    text = "\n\n".join(lines) + "\n"
    if missing:
        text += "\n" + findings_table(report.results, env, SUMMARY_BUDGET - len(text.encode()))
    return text


def findings_table(results: list[Result], env: dict[str, str], budget: int) -> str:
    rows = ["| level | rule | where | message |", "|---|---|---|---|"]
    used = sum(len(r.encode()) + 1 for r in rows)
    for i, r in enumerate(results):
        row = f"| {r.level} | {r.rule} | {_where(r, env)} | {_cell(r.message)} |"
        size = len(row.encode()) + 1
        if used + size + 200 > budget:
            rows.append("")
            rows.append(f"{len(results) - i} more findings are in the job log and the SARIF file.")
            break
        rows.append(row)
        used += size
    return "\n".join(rows) + "\n"


def _where(r: Result, env: dict[str, str]) -> str:
    if r.path in ("", "."):
        return "(the run)"
    label = _cell(f"{r.path}:{r.line}").replace("[", "\\[").replace("]", "\\]")
    server, repo, sha = (
        env.get(k) for k in ("GITHUB_SERVER_URL", "GITHUB_REPOSITORY", "GITHUB_SHA")
    )
    if not (server and repo and sha):
        return label
    path = quote("/".join(p for p in r.path.split("/") if p not in ("", ".")), safe="/")
    return f"[{label}]({server}/{repo}/blob/{sha}/{path}#L{r.line})"


def _cell(text: str) -> str:
    """Text in a Markdown table cell: one line, no column break (GitHub sanitizes any HTML)."""
    return " ".join(text.split()).replace("|", "\\|")


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'s' if n != 1 else ''}"


def write_outputs(path: str | None, outputs: dict[str, str]) -> None:
    """Step outputs in GITHUB_OUTPUT's format (a heredoc when a value spans lines)."""
    if not path:
        return
    with open(path, "a", encoding="utf-8") as fh:
        for name, value in outputs.items():
            if "\n" in value or "\r" in value:
                delimiter = "stackalign_" + os.urandom(8).hex()
                fh.write(f"{name}<<{delimiter}\n{value}\n{delimiter}\n")
            else:
                fh.write(f"{name}={value}\n")


def append_summary(path: str | None, text: str) -> None:
    if path:
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(text)


def sarif_destination(inputs: Inputs, env: dict[str, str]) -> Path:
    if inputs.sarif_file:
        return Path(inputs.sarif_file)
    folder = env.get("RUNNER_TEMP") or tempfile.gettempdir()
    return Path(folder) / f"stackalign-{os.getpid()}.sarif"


def main(env: dict[str, str] | None = None) -> int:
    env = dict(os.environ if env is None else env)
    try:
        inputs = read_inputs(env)
    except InputError as exc:
        print(f"::error title=stackalign action::{exc}", flush=True)
        write_outputs(env.get("GITHUB_OUTPUT"), {"sarif-file": "", "exit-code": "2"})
        return 2
    sarif = sarif_destination(inputs, env)
    sarif.parent.mkdir(parents=True, exist_ok=True)
    sarif.unlink(missing_ok=True)  # a file left by an earlier run must not pass for this one's
    cmd = lint_command(inputs, str(sarif), env)
    print("stackalign: " + shlex.join(cmd), flush=True)
    code = subprocess.run(cmd, check=False).returncode
    linted = code in (0, 1) and sarif.is_file()
    outputs = {"sarif-file": str(inputs.sarif_file) if linted and inputs.sarif_file else ""}
    if not linted:
        outputs |= {"exit-code": str(code if code not in (0, 1) else 2), "findings": ""}
        write_outputs(env.get("GITHUB_OUTPUT"), outputs)
        append_summary(
            env.get("GITHUB_STEP_SUMMARY"),
            f"### stackalign could not lint (exit {code})\n\nThe step's log says why.\n",
        )
        return 2
    report = read_sarif(sarif)
    outputs |= {"exit-code": str(code), "findings": str(report.total)}
    write_outputs(env.get("GITHUB_OUTPUT"), outputs)
    append_summary(env.get("GITHUB_STEP_SUMMARY"), summary_markdown(report, inputs.format, env))
    if not inputs.sarif_file:
        sarif.unlink(missing_ok=True)
    return code if inputs.fail else 0


if __name__ == "__main__":
    sys.exit(main())
