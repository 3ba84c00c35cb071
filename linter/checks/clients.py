"""SA306 client-version-skew: a `llama-stack-client` requirement whose release the server it talks to
rejects (HTTP 426) or does not serve.

Every verdict is a lookup in the recorded probe matrix (rules/knowledge/client_skew.yaml, made by
scripts/probe_client_skew.py on the real packages): which release pip installs for the requirement
(the newest recorded release the specifier allows), whether that release sends the version header,
whether the server answered its calls with 426 with the check on, and which calls failed with the
check off. No client/server compatibility is computed here.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass

from linter import readlog
from linter.analysis import requirements as reqs
from linter.checks import CheckContext
from linter.knowledge import ClientRelease, ClientSkew, SkewPair, SkewServer
from linter.model import Applicability, Edit, Finding, Fix, Span
from linter.positions import line_index
from linter.sources.textfile import TextSource
from linter.target import Runtime

CLIENT = "llama-stack-client"
#: Largest file a `-r FILE` reference is read from (requirements files are a few KiB).
MAX_REFERENCED_BYTES = 1024 * 1024


@dataclass(frozen=True)
class Verdict:
    """What the probe recorded for one client release against one server."""

    outcome: str  # "rejected" (HTTP 426) | "not_served" (calls fail with the check off) | "ok"
    server: SkewServer
    client: ClientRelease
    pair: SkewPair
    check_disabled: bool

    @property
    def failing(self) -> list[str]:
        return self.pair.failing_without_check if self.outcome == "not_served" else []


def skew_verdict(
    skew: ClientSkew, client_release: str, runtime: str, check_disabled: bool
) -> Verdict | None:
    """The recorded outcome for a client release on a runtime; None when the probe has no row for
    the runtime, the release, or the pair."""
    server = skew.server_for(runtime)
    client = skew.client(client_release)
    if server is None or client is None:
        return None
    pair = next((p for p in server.pairs if p.client_line == client.line), None)
    if pair is None:
        return None
    checked = client.sends_header and not check_disabled
    if checked and pair.with_check == "rejected":
        outcome = "rejected"
    elif pair.failing_without_check and (not checked or pair.with_check == "rejected"):
        outcome = "not_served"
    else:
        outcome = "ok"
    return Verdict(outcome, server, client, pair, check_disabled)


def installed_release(skew: ClientSkew, specifier: str) -> str | None:
    """The release pip installs for `llama-stack-client<specifier>`, among the recorded releases:
    the newest one the specifier allows (pre-releases only when the specifier names one)."""
    from packaging.specifiers import InvalidSpecifier, SpecifierSet
    from packaging.version import InvalidVersion, Version

    try:
        spec = SpecifierSet(specifier)
    except InvalidSpecifier:
        return None
    allowed = []
    for c in skew.clients:
        try:
            if spec.contains(Version(c.release)):
                allowed.append(Version(c.release))
        except InvalidVersion:
            continue
    return str(max(allowed)) if allowed else None


def version_check_disabled(ctx: CheckContext, runtime: Runtime) -> tuple[bool, str, str]:
    """Whether the server this client calls turns the version check off: its env sets
    LLAMA_STACK_DISABLE_VERSION_CHECK (any value: the server only asks whether it is set), or it
    runs the platform's own image and the probe's record says that image sets it."""
    skew = ctx.kb.client_skew
    if skew is None:
        return False, "", ""
    server = ctx.model.server_by_ref(runtime.server) if runtime.server else None
    if server is not None and skew.disable_env in server.env:
        return True, f"{server.label} sets {skew.disable_env}", ""
    target = ctx.target
    platform_image = (
        server is None or server.image is None or server.version_reason.startswith("distribution ")
    )
    if not platform_image or target.platform is None:
        return False, "", ""
    for image in skew.images:
        if image.platform == target.platform and image.release == target.version:
            if image.disables:
                return True, f"the {target.label} image sets {skew.disable_env}", ""
            if image.disables is None:
                return (
                    False,
                    "",
                    (
                        f"whether the {target.label} image sets {skew.disable_env} is not verified: "
                        "if it does, only the calls the probe saw fail with the check off break"
                    ),
                )
    return False, "", ""


def client_version_skew(ctx: CheckContext) -> Iterator[Finding]:
    skew = ctx.kb.client_skew
    if skew is None:
        return
    for path, requirements in _requirements_by_file(ctx).items():
        text = ctx.ws.file_texts.get(path, "")
        for runtime in ctx.model.runtimes_for_code(path, text):  # the servers this file calls
            disabled, why, unverified = version_check_disabled(ctx, runtime)
            for req in requirements:
                finding = _judge(ctx, skew, req, runtime, disabled, why)
                if finding is not None and unverified and finding.message and not disabled:
                    finding.notes.append(unverified)
                if finding is not None:
                    yield finding


def _judge(
    ctx: CheckContext,
    skew: ClientSkew,
    req: reqs.Requirement,
    runtime: Runtime,
    disabled: bool,
    why: str,
) -> Finding | None:
    release = installed_release(skew, req.specifier)
    if release is None:
        return None
    verdict = skew_verdict(skew, release, str(runtime.version), disabled)
    if verdict is None or verdict.outcome == "ok":
        return None
    server = verdict.server
    text = ctx.ws.file_texts.get(req.path, "")
    span = _span(req.path, text, req.start, req.end)
    written = f"{CLIENT}{req.written}" if req.written else CLIENT
    probed = "" if server.version == str(runtime.version) else f"; probed on {server.version}"
    return ctx.finding(
        req.path,
        span,
        verdict.outcome,
        logical=f"{req.logical}:{CLIENT}",
        snippet=text[req.start : req.end],
        runtime=runtime,
        fix=_fix(req, text, server.matching_client),
        requirement=written,
        where=reqs.WHERE[req.origin],
        client=release,
        client_line=verdict.client.line,
        chosen="" if req.specifier.startswith("==") else " (the newest recorded release it allows)",
        calls=", ".join(_call(c) for c in verdict.failing),
        why=why or f"{skew.disable_env} set",
        matching=server.matching_client or f"a {str(runtime.version.line_label)}.x release",
        probed=probed,
    )


def _call(failing: str) -> str:
    """`client.vector_dbs.register (404)` -> "`client.vector_dbs.register` (404)"."""
    call, _, status = failing.partition(" ")
    return f"`{call}` {status}".rstrip()


def _span(path: str, text: str, start: int, end: int) -> Span:
    lines = line_index(path, text)
    sl, sc = lines.position(start)
    el, ec = lines.position(end)
    return Span.of(sl, sc, el, ec)


def _fix(req: reqs.Requirement, text: str, matching: str | None) -> Fix | None:
    """Pin the server's own client release: `==X` in place of the specifier as written."""
    if matching is None or req.origin == "yaml":
        return None  # compiled pipelines: fix the component and recompile
    if text[req.spec_start : req.spec_end] != req.written:
        return None  # escapes between the specifier's characters: never guess
    new = f"=={matching}"
    edit = Edit(
        path=req.path,
        start_offset=req.spec_start,
        end_offset=req.spec_end,
        span=_span(req.path, text, req.spec_start, req.spec_end),
        text=new,
    )
    return Fix(
        applicability=Applicability.unsafe,
        description=f"pin `{CLIENT}{new}`, the server's own client line",
        edits=[edit],
    )


# -- collecting requirements ------------------------------------------------------------------------
def _requirements_by_file(ctx: CheckContext) -> dict[str, list[reqs.Requirement]]:
    names = {CLIENT}
    ws = ctx.ws
    out: dict[str, list[reqs.Requirement]] = {}
    seen_paths: set[str] = set()
    references: list[reqs.Reference] = []
    for src in ws.other_sources:
        kind = getattr(src, "kind", "shell")
        seen_paths.add(src.path)
        found: list[reqs.Requirement] = []
        if kind == "requirements":
            found, refs = reqs.from_requirements_file(src.path, src.text, names)
            references.extend(refs)
        elif kind == "pyproject":
            found = reqs.from_pyproject(src.path, src.text, names)
        elif kind == "setupcfg":
            found = reqs.from_setup_cfg(src.path, src.text, names)
        elif kind == "containerfile":
            found, refs = reqs.from_containerfile(src.path, src.text, names)
            references.extend(refs)
        elif kind == "notebook" and isinstance(src, TextSource):  # the only kind with notebooks
            found = _notebook(ctx, src)
        if found:
            out.setdefault(src.path, []).extend(found)
    from linter.analysis.pycode import CodeUnit

    for py in ws.python_sources:
        if py.offsets is not None or "packages_to_install" not in py.text:
            continue
        unit = CodeUnit(py)
        found = reqs.from_python(py.path, py.text, py.tree, unit.index, names)
        if found:
            out.setdefault(py.path, []).extend(found)
    for source in ws.yaml_sources:
        if source.parent is not None or "install" not in source.text or not ws.may_report(source):
            continue
        found = reqs.from_yaml(source, names)
        if found:
            out.setdefault(source.path, []).extend(found)
    for ref in references:
        if ref.target in seen_paths:
            continue
        seen_paths.add(ref.target)
        text = _read_referenced(ws.root, ref.target)
        if text is None:
            continue
        ws.file_texts.setdefault(ref.target, text)
        found, _ = reqs.from_requirements_file(ref.target, text, names)
        if found:
            out.setdefault(ref.target, []).extend(found)
    return out


def _notebook(ctx: CheckContext, src: TextSource) -> list[reqs.Requirement]:
    from linter.sources.notebook import NotebookError

    try:
        return reqs.from_notebook(src.path, src.text, {CLIENT})
    except NotebookError:
        return []  # not JSON: nothing to read (SA001 reports files that do not parse)


def _read_referenced(root: str, rel: str) -> str | None:
    """A file a `-r` names, if it lies inside the linted folder (never outside, never a link out)."""
    if rel.startswith("..") or os.path.isabs(rel):
        return None
    real_root = os.path.realpath(root)
    path = os.path.realpath(os.path.join(root, rel))
    if not path.startswith(real_root.rstrip(os.sep) + os.sep) or not readlog.is_file(path):
        return None
    try:
        if os.path.getsize(path) > MAX_REFERENCED_BYTES:
            return None
        with open(path, "rb") as fh:
            data = fh.read(MAX_REFERENCED_BYTES)
    except OSError:
        return None
    from linter.sources.decode import decode_bytes

    text, _problem = decode_bytes(data)
    return text
