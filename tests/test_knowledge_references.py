"""Every reference a user reads can be opened.

The `References` of every rule and every evidence entry of the knowledge base is an upstream URL
(the knowledge model accepts only permalinks: a line at a tag or commit, a tree/, commit/ or pull/
URL, or a page outside GitHub) or a file of this repository, with its section when it names one.
The links of docs/knowledge.md and of the generated rule pages resolve. No code, rule or page
cites a document a user of stackalign does not have.
"""

from __future__ import annotations

import posixpath
import re
from pathlib import Path

import pytest

from linter.knowledge import PERMALINK, Evidence
from tests.helpers import pack

REPO = Path(__file__).resolve().parent.parent
URL = re.compile(r"https?://[^\s)>\]`]+")
LINK = re.compile(r"\]\(([^)\s]+)\)")
REPOSITORY_PATH = re.compile(
    r"(?<![\w/.-])((?:docs|rules|schemas|scripts|tests)/[\w./-]*(?:#[\w-]+)?)"
)
#: what users cannot open: the research notes behind this repository and its issue tracker
UNOPENABLE = re.compile(r"LLAMASTACK\.md|KFP\.md|LINTERS\.md|\bDESIGN\b|\bissue \d+|/work/shared")


def slug(heading: str) -> str:
    """GitHub's anchor for a Markdown heading."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    in_fence = False
    out = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("```"):
            in_fence = not in_fence
        elif not in_fence and line.startswith("#"):
            out.add(slug(line.lstrip("#")))
    return out


def problem(target: str, base: str = "") -> str | None:
    """Why `target` (a URL, or a path relative to `base` within the repository) cannot be opened."""
    if URL.fullmatch(target):
        return None
    path, _, anchor = target.partition("#")
    rel = posixpath.normpath(posixpath.join(base, path)) if path else base
    file = REPO / rel
    if not path:
        return f"{target}: a bare anchor" if not base else None
    if rel.startswith("..") or not file.exists():
        return f"{target}: no such file in the repository ({rel})"
    if anchor and (file.suffix != ".md" or anchor not in anchors(file)):
        return f"{target}: {rel} has no section #{anchor}"
    return None


def reference_targets(line: str) -> list[str]:
    links = LINK.findall(line)
    text = LINK.sub("", line)
    return links + URL.findall(text) + REPOSITORY_PATH.findall(URL.sub("", text))


RULES = pack()[1]


@pytest.mark.parametrize("rule", RULES, ids=[r.id for r in RULES])
def test_rule_references_can_be_opened(rule):
    section = rule.help_section("References")
    lines = [line for line in section.splitlines() if line.startswith("- ")]
    assert lines, f"{rule.id} has no References"
    for line in lines:
        targets = reference_targets(line)
        assert targets, f"{rule.id}: neither a URL nor a file of this repository: {line!r}"
        assert [p for t in targets if (p := problem(t))] == [], rule.id


def evidence_entries() -> list[tuple[str, Evidence]]:
    kb = pack()[0]
    out: list[tuple[str, Evidence]] = []
    for facts in kb.facts.values():
        out += [(f.id, e) for f in facts for e in f.evidence]
    for platform in kb.platforms.values():
        out += [(f"{platform.id} {r.version}", e) for r in platform.releases for e in r.evidence]
    out += [(f"image {i.id}", e) for i in kb.images for e in i.evidence]
    out += [(f"operator {o.version}", e) for o in kb.operator_levels for e in o.evidence]
    for build in kb.fork_builds:
        out += [(f"build {build.version}", e) for e in build.evidence]
        for d in build.provider_config_differences:
            out += [(f"build {build.version} {d.provider_type}", e) for e in d.evidence]
    return out


def test_every_evidence_entry_can_be_opened():
    entries = evidence_entries()
    assert len(entries) > 150
    wrong = []
    for owner, e in entries:
        if e.url is not None and not PERMALINK.fullmatch(e.url):
            wrong.append(f"{owner}: {e.url} is not a permalink")
        if e.doc is not None and (p := problem(e.doc)):
            wrong.append(f"{owner}: {p}")
    assert wrong == []


def test_evidence_rejects_what_a_user_cannot_open():
    from linter.validation import validate

    for bad in (
        {"doc": "LLAMASTACK.md §3"},
        {"url": "https://github.com/llamastack/llama-stack/blob/main/README.md#L1"},  # a branch
        {"url": "https://github.com/llamastack/llama-stack/blob/v0.3.0/README.md"},  # no line
        {"repo": "llamastack/llama-stack", "ref": "v0.3.0"},
    ):
        with pytest.raises(Exception):  # noqa: B017 (pydantic's ValidationError or ValueError)
            validate(Evidence, bad)
    assert problem("docs/knowledge.md#no-such-section") is not None
    assert problem("docs/knowledge.md#http-routes") is None


@pytest.mark.parametrize(
    "page",
    [
        "docs/knowledge.md",
        *sorted(p.relative_to(REPO).as_posix() for p in (REPO / "docs" / "rules").glob("*.md")),
    ],
)
def test_page_links_resolve(page):
    base = posixpath.dirname(page)
    text = re.sub(r"```.*?```", "", (REPO / page).read_text(encoding="utf-8"), flags=re.S)
    assert [p for t in LINK.findall(text) if (p := problem(t, base))] == []


def test_nothing_cites_what_users_cannot_open():
    files = [
        *REPO.glob("linter/**/*.py"),
        *REPO.glob("rules/**/*.yaml"),
        *REPO.glob("scripts/*.py"),
        *REPO.glob("docs/**/*.md"),
        *REPO.glob("schemas/*.json"),
        REPO / "README.md",
        *REPO.glob("examples/*/README.md"),
    ]
    cited = [
        f"{p.relative_to(REPO)}:{n}: {line.strip()}"
        for p in files
        for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), start=1)
        if UNOPENABLE.search(line)
    ]
    assert cited == []
