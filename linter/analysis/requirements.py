"""Pinned requirements of named packages (`llama-stack-client`, `llama-stack`), wherever a repository
declares them, with the exact file span of each:

- requirements*.txt (and files they or a Containerfile name with `-r`);
- pyproject.toml: `[project] dependencies`, `[project.optional-dependencies]`, `[dependency-groups]`,
  Poetry's `[tool.poetry.*dependencies]` (`^` / `~` constraints are read as Poetry defines them);
- setup.cfg: `install_requires` / `extras_require` under `[options]`;
- KFP components: `packages_to_install=[...]` in Python;
- compiled KFP pipelines and any other YAML: `pip install ...` lines inside string scalars (the
  executor's `sh -c` prelude), located through the scalar's escapes and folds;
- Containerfiles/Dockerfiles: `RUN pip install ...` (also `uv pip`, `python -m pip`, `-r FILE`);
- notebooks: `%pip install` / `!pip install` lines of code cells, located in the .ipynb JSON.

Nothing here judges versions: a requirement is a name, a PEP 440 specifier and where they are.
"""

from __future__ import annotations

import ast
import posixpath
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

if TYPE_CHECKING:
    from linter.sources.yaml import YamlSource
    from linter.sources.yamlscalar import DecodedScalar

#: Character index of a string -> file offset (of its raw text's start, or just past its end).
OffsetMap = Callable[[int], int]

#: Where a requirement was declared (shown in messages).
WHERE = {
    "requirements": "requirements file",
    "pyproject": "pyproject.toml",
    "setupcfg": "setup.cfg",
    "containerfile": "Containerfile `pip install`",
    "notebook": "notebook `pip install`",
    "kfp": "KFP `packages_to_install`",
    "yaml": "`pip install` in YAML",
}
_NAME = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?")
_EXTRAS = re.compile(r"\s*\[[^\]]*\]")
_CLAUSE = r"\s*(?:===|==|~=|!=|<=|>=|<|>)\s*[A-Za-z0-9_.*+!-]+\s*"
_SPECIFIER = re.compile(rf"(?:{_CLAUSE})(?:,{_CLAUSE})*")
_PIP_INSTALL = re.compile(
    r"(?:\bpip3?(?:\.exe)?|\bpython3?(?:\.\d+)?\s+-m\s+pip|\buv\s+pip|\{sys\.executable\}\s+-m\s+pip)"
    r"\s+install\b"
)
#: pip / uv options that take a separate value (their value is never a requirement)
_OPTIONS_WITH_VALUE = {
    "-r", "--requirement", "-c", "--constraint", "-e", "--editable", "-i", "--index-url",
    "--extra-index-url", "-f", "--find-links", "-t", "--target", "--prefix", "--root", "--python",
    "-p", "--platform", "--python-version", "--implementation", "--abi", "--only-binary",
    "--no-binary", "--progress-bar", "--trusted-host", "--cache-dir", "--src", "--upgrade-strategy",
    "--config-settings", "-C", "--global-option", "--exists-action", "--log", "--proxy",
    "--retries", "--timeout", "--report", "--root-user-action", "--index-strategy",
    "--keyring-provider", "--resolution", "--prerelease", "--exclude-newer", "--override",
}  # fmt: skip
_SHELL_END = ("&&", "||", ";", "|", ")", "`")


def normalize(name: str) -> str:
    """PEP 503 name normalization: `Llama_Stack.Client` -> `llama-stack-client`."""
    return re.sub(r"[-_.]+", "-", name).lower()


@dataclass(frozen=True)
class Requirement:
    """One requirement of a watched package: name, specifier and file offsets of both."""

    path: str
    name: str  # normalized
    specifier: str  # PEP 440, e.g. "==0.2.22" or ">=0.2,<0.3"; "" when not pinned at all
    written: str  # the specifier as written (a Poetry "^0.2.22" stays as is)
    start: int  # file offsets of the requirement as written (name through specifier)
    end: int
    spec_start: int  # file offsets of the specifier as written (spec_start == spec_end if none)
    spec_end: int
    origin: str  # a key of WHERE
    logical: str  # e.g. "requirements.txt:3", "[project].dependencies[0]"


@dataclass(frozen=True)
class Reference:
    """A `-r FILE` in a requirements file or a `pip install` command."""

    path: str  # the file that names it
    target: str  # the named file, relative to the repository (normalized)


@dataclass(frozen=True)
class _Token:
    value: str
    start: int  # text indices of the token's content (quotes excluded); -1 when mixed quoting
    end: int


# -- one requirement string ----------------------------------------------------------------------
def parse_requirement(text: str) -> tuple[str, int, int, str, int, int] | None:
    """(name, name_start, name_end, specifier, spec_start, spec_end) of `name[extras] spec ; marker`
    (indices into `text`); None for URLs, paths and anything else that is no named requirement."""
    m = _NAME.match(text, len(text) - len(text.lstrip()))
    if m is None:
        return None
    i = m.end()
    extras = _EXTRAS.match(text, i)
    if extras:
        i = extras.end()
    rest_end = text.find(";", i)
    rest_end = len(text) if rest_end < 0 else rest_end
    rest = text[i:rest_end]
    stripped = rest.strip()
    if stripped.startswith("(") and stripped.endswith(")"):
        stripped = stripped[1:-1].strip()
    if stripped and not _SPECIFIER.fullmatch(stripped):
        return None
    if not stripped:
        return m.group(), m.start(), m.end(), "", m.end(), m.end()
    s = text.index(stripped, i)
    return m.group(), m.start(), m.end(), re.sub(r"\s+", "", stripped), s, s + len(stripped)


def _offset_from(start: int) -> OffsetMap:
    """Offsets of a string written as is from file offset `start` (one character each)."""
    return lambda i: start + i


def _offset_within(offset_of: OffsetMap, start: int) -> OffsetMap:
    """Offsets of the part of a string that starts at its character `start`."""
    return lambda i: offset_of(start + i)


def _requirement(
    path: str,
    text: str,
    offset_of: OffsetMap,
    names: set[str],
    origin: str,
    logical: str,
    end_of: OffsetMap | None = None,
) -> Requirement | None:
    """A Requirement from a string whose character i starts at file offset `offset_of(i)` and
    whose raw text ends at `end_of(i)` (default: one character later)."""
    parsed = parse_requirement(text)
    if parsed is None or normalize(parsed[0]) not in names:
        return None
    end_of = end_of or (lambda i: offset_of(i) + 1)
    name, ns, ne, spec, ss, se = parsed
    last = (se if spec else ne) - 1
    return Requirement(
        path=path,
        name=normalize(name),
        specifier=spec,
        written=text[ss:se] if spec else "",
        start=offset_of(ns),
        end=end_of(last),
        spec_start=offset_of(ss) if spec else end_of(last),
        spec_end=end_of(se - 1) if spec else end_of(last),
        origin=origin,
        logical=logical,
    )


# -- requirements files ----------------------------------------------------------------------------
def from_requirements_file(
    path: str, text: str, names: set[str]
) -> tuple[list[Requirement], list[Reference]]:
    reqs: list[Requirement] = []
    refs: list[Reference] = []
    base = posixpath.dirname(path)
    pos = 0
    for number, line in enumerate(text.splitlines(keepends=True), start=1):
        start = pos
        pos += len(line)
        body = _strip_comment(line.rstrip("\r\n"))
        stripped = body.strip()
        if not stripped:
            continue
        if stripped.startswith("-"):
            ref = re.match(r"(?:-r|--requirement)(?:\s+|=)(\S+)", stripped)
            if ref:
                refs.append(Reference(path, posixpath.normpath(posixpath.join(base, ref.group(1)))))
            continue
        cut = re.search(r"\s--?[A-Za-z]", body)  # per-requirement options: `--hash=...`
        body = body[: cut.start()] if cut else body
        req = _requirement(
            path, body, _offset_from(start), names, "requirements", f"{path}:{number}"
        )
        if req:
            reqs.append(req)
    return reqs, refs


def _strip_comment(line: str) -> str:
    m = re.search(r"(^|\s)#", line)
    return line[: m.start()] if m else line


# -- pyproject.toml -------------------------------------------------------------------------------
_TABLE = re.compile(r"^[ \t]*\[\[?[ \t]*([^\[\]\r\n]+?)[ \t]*\]\]?[ \t]*(?:#.*)?$", re.M)
_KEY = re.compile(r"^[ \t]*(\"[^\"\r\n]*\"|'[^'\r\n]*'|[A-Za-z0-9_.-]+)[ \t]*=[ \t]*", re.M)


def from_pyproject(path: str, text: str, names: set[str]) -> list[Requirement]:
    out: list[Requirement] = []
    tables = [
        (m.start(), m.group(1).replace('"', "").replace("'", "")) for m in _TABLE.finditer(text)
    ]
    bounds = [(name, start, tables[i + 1][0] if i + 1 < len(tables) else len(text))
              for i, (start, name) in enumerate(tables)]  # fmt: skip
    for table, start, end in bounds:
        poetry = table.startswith("tool.poetry") and table.endswith("dependencies")
        for key_match in _KEY.finditer(text, start, end):
            key = key_match.group(1).strip("\"'")
            at = key_match.end()
            if poetry:
                if normalize(key) in names:
                    req = _poetry_requirement(path, text, at, key, key_match.start(1), table)
                    if req:
                        out.append(req)
                continue
            if not _is_requirement_array(table, key):
                continue
            if not text.startswith("[", at):
                continue
            for n, (value, s, _e) in enumerate(_toml_array_strings(text, at)):
                req = _requirement(
                    path, value, _offset_from(s), names, "pyproject", f"[{table}].{key}[{n}]"
                )
                if req:
                    out.append(req)
    return out


def _is_requirement_array(table: str, key: str) -> bool:
    return (
        (table == "project" and key == "dependencies")
        or table in ("project.optional-dependencies", "dependency-groups")
        or (table == "build-system" and key == "requires")
    )


def _toml_array_strings(text: str, i: int) -> Iterator[tuple[str, int, int]]:
    """(value, content_start, content_end) of each plain string of the array opening at `i`
    (strings with escapes or multi-line strings are skipped: their text is not their value)."""
    depth = 0
    n = len(text)
    while i < n:
        ch = text[i]
        if ch == "#":
            nl = text.find("\n", i)
            i = n if nl < 0 else nl
            continue
        if ch == "[":
            depth += 1
        elif ch == "]":
            depth -= 1
            if depth == 0:
                return
        elif ch in "\"'":
            if text.startswith(ch * 3, i):
                close = text.find(ch * 3, i + 3)
                i = n if close < 0 else close + 3
                continue
            j = i + 1
            while j < n and text[j] != ch and text[j] != "\n":
                j += 2 if (ch == '"' and text[j] == "\\") else 1
            content = text[i + 1 : j]
            if depth == 1 and not (ch == '"' and "\\" in content):
                yield content, i + 1, j
            i = j + 1
            continue
        i += 1


def _poetry_requirement(
    path: str, text: str, at: int, key: str, key_start: int, table: str
) -> Requirement | None:
    """`name = "^0.2.22"` or `name = {version = "^0.2.22", ...}`."""
    m = re.compile(r"\"([^\"\\\r\n]*)\"|'([^'\r\n]*)'").match(text, at)
    if m is None:
        inline = re.compile(
            r"\{[^}\r\n]*?\bversion[ \t]*=[ \t]*(\"([^\"\\\r\n]*)\"|'([^'\r\n]*)')"
        ).match(text, at)
        if inline is None:
            return None
        group = 2 if inline.group(2) is not None else 3
        value, vs, ve = inline.group(group), inline.start(group), inline.end(group)
    else:
        group = 1 if m.group(1) is not None else 2
        value, vs, ve = m.group(group), m.start(group), m.end(group)
    spec = poetry_specifier(value)
    if spec is None:
        return None
    return Requirement(
        path=path,
        name=normalize(key),
        specifier=spec,
        written=value,
        start=key_start,
        end=ve,
        spec_start=vs,
        spec_end=ve,
        origin="pyproject",
        logical=f"[{table}].{key}",
    )


def poetry_specifier(constraint: str) -> str | None:
    """A Poetry constraint as PEP 440 (`^0.2.22` -> `>=0.2.22,<0.3.0`); None if unreadable."""
    out = []
    for part in [p.strip() for p in constraint.split(",") if p.strip()]:
        if part in ("*", ""):
            continue
        m = re.fullmatch(r"([\^~])\s*(\d+(?:\.\d+)*)", part)
        if m:
            nums = [int(x) for x in m.group(2).split(".")]
            if m.group(1) == "^":
                first = next((k for k, v in enumerate(nums) if v), len(nums) - 1)
                upper = nums[: first + 1]
            else:
                upper = nums[:2] if len(nums) > 1 else nums[:1]
            upper = upper[:-1] + [upper[-1] + 1]
            out.append(f">={m.group(2)},<{'.'.join(map(str, upper))}")
        elif re.fullmatch(r"\d+(?:\.\d+)*(?:[a-z]+\d*)?", part):
            out.append(f"=={part}")
        elif _SPECIFIER.fullmatch(part):
            out.append(re.sub(r"\s+", "", part))
        else:
            return None
    return ",".join(out)


# -- setup.cfg -------------------------------------------------------------------------------------
def from_setup_cfg(path: str, text: str, names: set[str]) -> list[Requirement]:
    out: list[Requirement] = []
    section = ""
    key = ""
    pos = 0
    for line in text.splitlines(keepends=True):
        start = pos
        pos += len(line)
        body = line.rstrip("\r\n")
        header = re.match(r"^\[([^\]]+)\]", body)
        if header:
            section, key = header.group(1).strip(), ""
            continue
        if not body.strip() or body.lstrip().startswith(("#", ";")):
            continue
        value_start = 0
        if not body[:1].isspace():
            kv = re.match(r"^([A-Za-z0-9_.-]+)\s*[=:]\s*", body)
            key = kv.group(1) if kv else ""
            value_start = kv.end() if kv else len(body)
        wanted = (section == "options" and key in ("install_requires", "setup_requires")) or (
            section == "options.extras_require"
        )
        value = _strip_comment(body[value_start:])
        if not wanted or not value.strip():
            continue
        req = _requirement(
            path,
            value,
            _offset_from(start + value_start),
            names,
            "setupcfg",
            f"[{section}].{key}",
        )
        if req:
            out.append(req)
    return out


# -- pip install command lines ----------------------------------------------------------------------
def from_pip_commands(
    path: str, text: str, offset_of: OffsetMap, names: set[str], origin: str, logical: str,
    start: int = 0, end: int | None = None, end_of: OffsetMap | None = None,
) -> tuple[list[Requirement], list[str]]:  # fmt: skip
    """Requirements in every `pip install` of text[start:end] (and the `-r` files named)."""
    reqs: list[Requirement] = []
    files: list[str] = []
    end = len(text) if end is None else end
    for m in _PIP_INSTALL.finditer(text, start, end):
        tokens = _shell_tokens(text, m.end(), end)
        skip = False
        for n, tok in enumerate(tokens):
            if skip:
                skip = False
                if tokens[n - 1].value in ("-r", "--requirement"):
                    files.append(tok.value)
                continue
            if tok.value.startswith("-"):
                flag = tok.value.split("=", 1)[0]
                if "=" in tok.value and flag in ("-r", "--requirement"):
                    files.append(tok.value.split("=", 1)[1])
                skip = flag in _OPTIONS_WITH_VALUE and "=" not in tok.value
                continue
            if tok.start < 0:
                continue
            req = _requirement(
                path, tok.value, _offset_within(offset_of, tok.start), names, origin,
                logical, _offset_within(end_of, tok.start) if end_of else None,
            )  # fmt: skip
            if req:
                reqs.append(req)
    return reqs, files


def _shell_tokens(text: str, i: int, end: int) -> list[_Token]:
    """Words of one shell command from `i` to the first command separator (`&&`, `;`, a line
    break without a backslash); a word's position is kept when it is one quoted or bare run."""
    tokens: list[_Token] = []
    n = min(end, len(text))
    while i < n:
        ch = text[i]
        if ch == "\\" and text[i + 1 : i + 2] in ("\n", "\r"):
            i += 3 if text[i + 1 : i + 3] == "\r\n" else 2
            continue
        if ch in " \t":
            i += 1
            continue
        if ch in "\r\n" or text.startswith(_SHELL_END, i) or ch == "#":
            break
        value: list[str] = []
        start = i
        content = None
        mixed = False
        while i < n and text[i] not in " \t\r\n" and not text.startswith(_SHELL_END, i):
            c = text[i]
            if c in "'\"":
                close = text.find(c, i + 1, n)
                if close < 0:
                    close = n
                if content is None and not value:
                    content = (i + 1, close)
                else:
                    mixed = True
                value.append(text[i + 1 : close])
                i = close + 1
                continue
            if c == "\\" and i + 1 < n:
                mixed = True
                value.append(text[i + 1])
                i += 2
                continue
            if content is not None:
                mixed = True
            value.append(c)
            i += 1
        word = "".join(value)
        if mixed:
            tokens.append(_Token(word, -1, -1))
        elif content is not None:
            tokens.append(_Token(word, content[0], content[1]))
        else:
            tokens.append(_Token(word, start, i))
    return tokens


def from_containerfile(
    path: str, text: str, names: set[str]
) -> tuple[list[Requirement], list[Reference]]:
    from linter.sources.containerfile import instructions

    reqs: list[Requirement] = []
    refs: list[Reference] = []
    base = posixpath.dirname(path)
    for ins in instructions(text):
        if ins.keyword != "RUN":
            continue
        found, files = from_pip_commands(
            path, text, lambda i: i, names, "containerfile", f"{path}:RUN", ins.start, ins.end
        )
        reqs.extend(found)
        refs.extend(Reference(path, posixpath.normpath(posixpath.join(base, f))) for f in files)
    return reqs, refs


# -- notebooks -------------------------------------------------------------------------------------
def from_notebook(path: str, text: str, names: set[str]) -> list[Requirement]:
    """Raises NotebookError (linter.sources.notebook) when the file is not JSON."""
    from linter.sources.notebook import code_cells

    out: list[Requirement] = []
    for cell in code_cells(text):
        for line in re.finditer(r"^[ \t]*[%!].*$", cell.text, re.M):
            found, _ = from_pip_commands(
                path, cell.text, cell.starts.__getitem__, names, "notebook",
                f"cells[{cell.index}]", line.start(), line.end(), cell.ends.__getitem__,
            )  # fmt: skip
            out.extend(found)
    return out


# -- Python (KFP components) -----------------------------------------------------------------------
def from_python(
    path: str, text: str, tree: ast.Module, index_of: Callable[[int, int], int], names: set[str]
) -> list[Requirement]:
    """`packages_to_install=[...]` keyword arguments (KFP `@dsl.component`, `create_component_from_func`).
    `index_of(lineno, col_offset)` turns an `ast` position into a text index."""
    out: list[Requirement] = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.keyword) or node.arg != "packages_to_install":
            continue
        if not isinstance(node.value, (ast.List, ast.Tuple)):
            continue
        for n, elt in enumerate(node.value.elts):
            if not (isinstance(elt, ast.Constant) and isinstance(elt.value, str)):
                continue
            start = index_of(elt.lineno, elt.col_offset)
            end = index_of(elt.end_lineno or elt.lineno, elt.end_col_offset or elt.col_offset)
            raw = text[start:end]
            q = re.match(r"[rRuU]?(\"\"\"|'''|\"|')", raw)
            if q is None:
                continue
            content = raw[q.end() : len(raw) - len(q.group(1))]
            if content != elt.value:
                continue  # escapes: the text is not the value, positions would be guessed
            content_start = start + q.end()
            req = _requirement(
                path, content, _offset_from(content_start), names, "kfp",
                f"packages_to_install[{n}]",
            )  # fmt: skip
            if req:
                out.append(req)
    return out


# -- YAML (compiled pipelines, workloads) -----------------------------------------------------------
def from_yaml(source: YamlSource, names: set[str]) -> list[Requirement]:
    """`pip install` lines in the string scalars of a YAML file (a compiled pipeline's executor
    command, a Job's `args`), located in the file through the scalar's escapes and folds."""
    from linter.sources.yamlscalar import ScalarDecodeError, decode_scalar, end_of_char

    out: list[Requirement] = []
    text = source.text
    for node, parent, logical in _scalars(source.documents):
        value = node.value or ""
        if "install" not in value or not any(n in normalize(value) for n in names):
            continue
        if not _PIP_INSTALL.search(value):
            continue
        try:
            dec = decode_scalar(
                text,
                node.start_mark.index,
                parent.start_mark.column if parent is not None else -1,
                flow=bool(getattr(parent, "flow_style", False)),
            )
        except ScalarDecodeError:
            continue
        if dec.value != value:
            continue  # the decoder must agree with the parser: never guess positions

        def offset(i: int, dec: DecodedScalar = dec) -> int:
            return source.file_offset(dec.src[i])

        def end(i: int, dec: DecodedScalar = dec) -> int:
            return source.file_end_offset(end_of_char(dec, i))

        found, _ = from_pip_commands(
            source.path, value, offset, names, "yaml", logical, 0, None, end
        )
        out.extend(found)
    return out


def _scalars(docs: list[Node]) -> Iterator[tuple[ScalarNode, Node | None, str]]:
    """Every string scalar with its enclosing block collection and a logical path."""
    stack: list[tuple[Node, Node | None, str]] = [(d, None, "") for d in reversed(docs)]
    seen: set[int] = set()
    while stack:
        node, parent, where = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, ScalarNode):
            if node.tag.endswith(":str"):
                yield node, parent, where
        elif isinstance(node, MappingNode):
            for key, value in reversed(node.value):
                name = key.value if isinstance(key, ScalarNode) else "?"
                stack.append((value, node, f"{where}.{name}" if where else str(name)))
        elif isinstance(node, SequenceNode):
            for i in reversed(range(len(node.value))):
                stack.append((node.value[i], node, f"{where}[{i}]"))
