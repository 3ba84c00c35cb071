"""The plan as text (terminal), JSON (tools) and Markdown (a pull request description)."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from typing import TYPE_CHECKING, TypedDict

from linter import __version__

if TYPE_CHECKING:
    from linter.upgrade.plan import Plan, PlanItem

STATUSES = (("breaks", "Breaks"), ("stays", "Stays"), ("resolves", "Resolved"))


def _side(plan: Plan, which: str) -> dict[str, str | None]:
    up = plan.upgrade
    side = up.old if which == "from" else up.new
    out: dict[str, str | None] = {
        "platform": side.platform or "llamastack",
        "version": side.version,
        "llamastack": str(side.llamastack) if side.llamastack else None,
        "config_key": side.release.config_key if side.release else None,
        "operator": side.release.operator if side.release else None,
    }
    if which == "from":
        out["source"] = _from_source(plan)
    return out


def _from_source(plan: Plan) -> str:
    """Where the current release was read (`--from`, a config file, a Subscription line)."""
    source = plan.upgrade.before.target.source
    return "--from" if source == "--target" else source


def summary(plan: Plan) -> dict[str, int]:
    counts = Counter(i.status for i in plan.items)
    migrated = sum(
        1 for i in plan.items if i.status == "breaks" and i.advice and i.advice.kind == "migration"
    )
    return {
        "breaks": counts["breaks"],
        "breaks_migrated": migrated,
        "stays": counts["stays"],
        "resolves": counts["resolves"],
        "files_changed": len(plan.upgrade.files),
        "run_configs_migrated": len(plan.upgrade.configs),
        "manual": len(plan.manual),
    }


def by_key(plan: Plan, key: Callable[[PlanItem], str]) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = {}
    for item in plan.items:
        bucket = out.setdefault(key(item), {s: 0 for s, _ in STATUSES})
        bucket[item.status] += 1
    return dict(sorted(out.items()))


def _server(item: PlanItem) -> str:
    return item.server or "(no runtime)"


# -- JSON -------------------------------------------------------------------------------------------
def render_json(plan: Plan) -> str:
    up = plan.upgrade
    doc = {
        "tool": "stackalign",
        "version": __version__,
        "from": _side(plan, "from"),
        "to": _side(plan, "to"),
        "servers": [{"server": s, "before": b, "after": a} for s, b, a in plan.servers],
        "items": [_item_json(i) for i in plan.items],
        "by_file": by_key(plan, lambda i: i.finding.path),
        "by_server": by_key(plan, _server),
        "migration": {
            "files": [{"path": f.path, "changes": list(dict.fromkeys(f.what))} for f in up.files],
            "run_configs": [
                {
                    "path": c.path,
                    "label": c.label,
                    "line": c.line,
                    "runtime_before": c.runtime_before,
                    "runtime_after": c.runtime_after,
                    "changes": [{"boundary": x.boundary, "what": x.what} for x in c.changes],
                    "notes": [
                        {"boundary": n.boundary, "what": n.what, "docs": n.docs} for n in c.notes
                    ],
                }
                for c in up.configs
            ],
        },
        "manual": [
            {
                "path": m.path,
                "line": m.line,
                "what": m.what,
                "reason": m.reason,
                "docs": m.docs,
                "rule": m.rule or None,
                "introduced": m.introduced,
            }
            for m in plan.manual
        ],
        "summary": summary(plan),
    }
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


class _AdviceJson(TypedDict):
    kind: str
    text: str
    docs: str | None


class PlanItemJson(TypedDict):
    """One item of `upgrade --format json`."""

    status: str
    rule: str
    name: str
    level: str
    path: str
    line: int
    column: int
    message: str
    logical_location: str
    fingerprint: str
    server: str
    runtime_before: str | None
    fix: _AdviceJson | None


def _item_json(i: PlanItem) -> PlanItemJson:
    f = i.finding
    return {
        "status": i.status,
        "rule": f.rule,
        "name": f.name,
        "level": f.level.value,
        "path": f.path,
        "line": f.span.start.line,
        "column": f.span.start.column,
        "message": f.message,
        "logical_location": f.logical_location,
        "fingerprint": f.fingerprint,
        "server": i.server,
        "runtime_before": i.runtime_before or None,
        "fix": (
            {"kind": i.advice.kind, "text": i.advice.text, "docs": i.advice.docs or None}
            if i.advice
            else None
        ),
    }


# -- text -------------------------------------------------------------------------------------------
def _headline(plan: Plan) -> list[str]:
    up = plan.upgrade
    line = f"Upgrade: {up.old.label} (from {_from_source(plan)}) -> {up.new.label}"
    facts = []
    if up.old.llamastack and up.new.llamastack:
        facts.append(f"LlamaStack {up.old.llamastack} -> {up.new.llamastack}")
    if up.old.release and up.new.release:
        facts.append(f"operator {up.old.release.operator} -> {up.new.release.operator}")
        facts.append(f"ConfigMap key {up.old.release.config_key} -> {up.new.release.config_key}")
    return [line, "  " + "; ".join(facts)] if facts else [line]


def render_text(plan: Plan) -> str:
    out = _headline(plan) + ["", "Servers (runtime before -> after):"]
    for server, before, after in plan.servers:
        out.append(f"  {server}")
        out.append(f"    {before} -> {after}")
    for status, title in STATUSES:
        items = plan.of(status)
        out += ["", f"{title} ({len(items)}):"]
        if not items:
            out.append("  nothing")
        path = None
        for i in items:
            f = i.finding
            if f.path != path:
                path = f.path
                out.append(f"  {path}")
            out.append(
                f"    {f.span.start.line}:{f.span.start.column} {f.rule} [{f.level.value}] {f.message}"
            )
            if i.advice is not None:
                out.append(
                    f"      fix: {i.advice.text}" + (f" ({i.advice.docs})" if i.advice.docs else "")
                )
    out += ["", "By server:"]
    for server, counts in by_key(plan, _server).items():
        out.append(f"  {server}: " + ", ".join(f"{counts[s]} {t.lower()}" for s, t in STATUSES))
    out += ["", *_migration_lines(plan, "  ")]
    out += ["", f"Manual work ({len(plan.manual)}):"]
    for m in plan.manual:
        tag = "" if m.introduced else " [before the upgrade too]"
        out.append(
            f"  {m.path}:{m.line} {m.what}{tag}: {m.reason}" + (f" ({m.docs})" if m.docs else "")
        )
    s = summary(plan)
    out += [
        "",
        f"Summary: {s['breaks']} findings break ({s['breaks_migrated']} migrated by --fix), "
        f"{s['resolves']} resolved, {s['stays']} stay; {s['files_changed']} files and "
        f"{s['run_configs_migrated']} run configs to migrate; {s['manual']} manual-work items.",
    ]
    return "\n".join(out) + "\n"


def _migration_lines(plan: Plan, indent: str) -> list[str]:
    up = plan.upgrade
    target = f"{up.new.platform or 'llamastack'}={up.new.version}"
    out = [f"Migration (`stackalign upgrade --to {target} --fix`): {len(up.files)} files"]
    for f in up.files:
        out.append(f"{indent}{f.path}")
        for what in dict.fromkeys(f.what):
            out.append(f"{indent}  - {what}")
    for c in up.configs:
        out.append(
            f"{indent}{c.path}:{c.line} {c.label or 'run config'}: {c.runtime_before} -> {c.runtime_after}"
        )
        for x in c.changes:
            out.append(f"{indent}  - [{x.boundary}] {x.what}")
    return out


# -- Markdown ---------------------------------------------------------------------------------------
def _docs_md(docs: str) -> str:
    """A link for a page, the command for a rule's own documentation."""
    if not docs:
        return ""
    return f" ([docs]({docs}))" if docs.startswith("http") else f" (`{docs}`)"


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(plan: Plan) -> str:
    up = plan.upgrade
    s = summary(plan)
    out = [f"## Upgrade {up.old.label} → {up.new.label}", ""]
    facts = _headline(plan)[1:]
    if facts:
        out += [facts[0].strip(), ""]
    out += [
        f"**{s['breaks']}** findings break ({s['breaks_migrated']} migrated by this change), "
        f"**{s['resolves']}** are resolved, **{s['stays']}** stay; "
        f"**{s['manual']}** manual-work items.",
        "",
        "### Servers",
        "",
        "| server | runtime before | runtime after |",
        "|---|---|---|",
    ]
    out += [f"| {_md(a)} | {_md(b)} | {_md(c)} |" for a, b, c in plan.servers]
    for status, title in STATUSES:
        items = plan.of(status)
        out += ["", f"### {title} ({len(items)})", ""]
        if not items:
            out.append("Nothing.")
            continue
        with_fix = status != "resolves"
        out += (
            ["| where | rule | finding | fix |", "|---|---|---|---|"]
            if with_fix
            else ["| where | rule | finding (before the upgrade) |", "|---|---|---|"]
        )
        for i in items:
            f = i.finding
            row = f"| `{f.path}:{f.span.start.line}` | {f.rule} | {_md(f.message)} |"
            if with_fix:
                fix = ""
                if i.advice is not None:
                    fix = _md(i.advice.text) + _docs_md(i.advice.docs)
                row += f" {fix} |"
            out.append(row)
    target = f"{up.new.platform or 'llamastack'}={up.new.version}"
    out += ["", f"### Migration (`stackalign upgrade --to {target} --fix`)", ""]
    if not up.files:
        out.append("Nothing to migrate.")
    for change in up.files:
        out.append(f"- `{change.path}`")
        out += [f"  - {_md(what)}" for what in dict.fromkeys(change.what)]
    for c in up.configs:
        out.append(
            f"- run config `{c.path}:{c.line}` {_md(c.label)}: {_md(c.runtime_before)} → "
            f"{_md(c.runtime_after)}"
        )
        out += [f"  - [{x.boundary}] {_md(x.what)}" for x in c.changes]
    out += ["", f"### Manual work ({len(plan.manual)})", ""]
    for m in plan.manual:
        tag = "" if m.introduced else " *(before the upgrade too)*"
        docs = _docs_md(m.docs)
        out.append(f"- [ ] `{m.path}:{m.line}` {_md(m.what)}{tag}: {_md(m.reason)}{docs}")
    return "\n".join(out) + "\n"
