"""The upgrade plan: findings compared across the three lints, each with what fixes it.

Compared by fingerprint (rule, path, logical location, normalised snippet; never the message):
- breaks: in `upgraded`, not in `before` (what the upgrade breaks);
- resolves: in `before`, not in `upgraded`;
- stays: in both.
A finding of `upgraded` that `migrated` no longer has (same rule, file and snippet: the migration
moves keys, so logical locations change) is fixed by `upgrade --fix`; otherwise its lint fix is
named, or it is manual work with the reason and a link to read. Every finding left after the
migration is manual work too, so that the migrated repository lints clean except for that list.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from linter.model import Finding
    from linter.upgrade.data import MigrationRules
    from linter.upgrade.migrate import Upgrade

RULE_DOCS = "stackalign explain {rule}"  # the rule's documentation, wherever stackalign runs
NO_FIX = "no automatic fix: see the rule's documentation"


@dataclass
class Advice:
    """How a finding goes away: `upgrade --fix`, a lint fix, or a person."""

    kind: str  # migration | lint-fix | unsafe-lint-fix | manual
    text: str
    docs: str = ""


@dataclass
class PlanItem:
    status: str  # breaks | resolves | stays
    finding: Finding
    server: str
    advice: Advice | None = None
    runtime_before: str = ""


@dataclass
class ManualItem:
    path: str
    line: int
    what: str
    reason: str
    docs: str
    rule: str = ""
    introduced: bool = False  # the upgrade caused it (not there before)


@dataclass
class Plan:
    upgrade: Upgrade
    items: list[PlanItem]
    manual: list[ManualItem]
    servers: list[tuple[str, str, str]] = field(default_factory=list)  # (server, before, after)

    def of(self, status: str) -> list[PlanItem]:
        return [i for i in self.items if i.status == status]

    @property
    def breaks(self) -> bool:
        return any(i.status == "breaks" for i in self.items)


def relaxed_key(f: Finding) -> tuple[str, str, str]:
    return (f.rule, f.path, " ".join(f.snippet.split()))


def active(findings: list[Finding]) -> list[Finding]:
    return [f for f in findings if f.suppressed is None]


def make_plan(up: Upgrade) -> Plan:
    before = {f.fingerprint: f for f in active(up.before.findings)}
    after = {f.fingerprint: f for f in active(up.upgraded.findings)}
    left = {relaxed_key(f) for f in active(up.migrated.findings)}
    changed = {c.path: c for c in up.files}
    items: list[PlanItem] = []
    for fp, f in after.items():
        status = "stays" if fp in before else "breaks"
        prior = before.get(fp)
        if relaxed_key(f) not in left:
            change = changed.get(f.path)
            text = "`stackalign upgrade --fix` migrates it"
            if change is not None and change.what:
                text += ": " + "; ".join(dict.fromkeys(change.what))
            advice = Advice("migration", text)
        else:
            advice = advise(f, up.rules)
        items.append(PlanItem(status, f, f.runtime, advice, prior.runtime if prior else ""))
    for fp, f in before.items():
        if fp not in after:
            items.append(PlanItem("resolves", f, f.runtime, None, f.runtime))
    items.sort(
        key=lambda i: (
            i.finding.path,
            i.finding.span.start.line,
            i.finding.span.start.column,
            i.finding.rule,
        )
    )
    return Plan(up, items, manual_work(up), servers(up))


def advise(f: Finding, rules: MigrationRules) -> Advice:
    """A finding the migration leaves: its lint fix, else why it is manual and where to read."""
    if f.fix is not None:
        kind = "lint-fix" if f.fix.applicability == "safe" else "unsafe-lint-fix"
        flag = "--fix" if kind == "lint-fix" else "--fix --unsafe-fixes"
        return Advice(
            kind, f"`stackalign lint {flag}`: {f.fix.description}", RULE_DOCS.format(rule=f.rule)
        )
    for note in rules.manual:
        if note.rule == f.rule and note.contains in f.message:
            return Advice("manual", note.reason, note.docs)
    return Advice("manual", NO_FIX, RULE_DOCS.format(rule=f.rule))


def manual_work(up: Upgrade) -> list[ManualItem]:
    out: list[ManualItem] = []
    for m in up.manual:
        out.append(ManualItem(m.path, m.line, m.what, m.reason, m.docs, introduced=True))
    for c in up.configs:
        for note in c.notes:
            where = c.label or "run config"
            out.append(ManualItem(c.path, c.line, where, note.what, note.docs, introduced=True))
    before = {f.fingerprint for f in active(up.before.findings)}
    before_relaxed = {relaxed_key(f) for f in active(up.before.findings)}
    for f in active(up.migrated.findings):
        advice = advise(f, up.rules)
        introduced = f.fingerprint not in before and relaxed_key(f) not in before_relaxed
        out.append(
            ManualItem(
                f.path,
                f.span.start.line,
                f"{f.rule} {f.name}",
                advice.text
                if advice.kind == "manual" and advice.text != NO_FIX
                else f"{f.message} ({advice.text})",
                advice.docs,
                rule=f.rule,
                introduced=introduced,
            )
        )
    return out


def servers(up: Upgrade) -> list[tuple[str, str, str]]:
    """(server, runtime before, runtime after) for each LlamaStackDistribution, and for files no
    server claims (the platform's own LlamaStack)."""
    from linter.upgrade.servers import server_runtimes

    before = server_runtimes(up.before, up.kb)
    after = server_runtimes(up.upgraded, up.kb)
    out = []
    for key, (name, rt) in before.items():
        _, rt_after = after.get(key, (name, None))
        out.append((name, rt.label if rt else "unknown", rt_after.label if rt_after else "unknown"))
    return out
