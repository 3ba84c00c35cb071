"""Project configuration: `.stackalign.yaml` or `[tool.stackalign]` in pyproject.toml.

The file is validated against `schemas/config.schema.json` (generated from `Config` by
scripts/gen_schemas.py), then for what a schema cannot say: versions that do not parse, globs that
cannot match, rules that do not exist. Every error names the key and the line it is on.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from dataclasses import field as dc_field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol

from linter import docs_url
from linter.safefile import MIB, UnsafeFile, inside, read_regular_file, repository_reference
from linter.validation import STRICT, container, meta, validate

if TYPE_CHECKING:
    from types import ModuleType

    from jsonschema.exceptions import ValidationError
    from yaml.nodes import Node

CONFIG_NAMES = (".stackalign.yaml", ".stackalign.yml")
PYPROJECT = "pyproject.toml"
MAX_CONFIG_BYTES = 1 * MIB  # a configuration is a few hundred bytes; pyproject.toml a few KB
MAX_CONFIG_ERRORS = 20  # a bad file lists its first errors, then how many more
MAX_SHOWN_VALUE = 80  # characters of a configuration's own value quoted in an error
MAX_CONFIG_DEPTH = 50  # a configuration nests three levels; conversion and validation recurse
LevelSetting = Literal["error", "warning", "note", "off"]
TargetKey = Literal["rhoai", "odh", "llamastack"]


@dataclass
class RuleSetting:
    """A rule's entry under `rules:`: its level, or `off`."""

    __pydantic_config__ = STRICT
    level: LevelSetting | None = dc_field(
        default=None,
        metadata=meta("Report this rule at another level, or `off` to disable it."),
    )


@dataclass
class HelmSetting:
    """`helm:`: one more values set for the repository's charts (linter/render/)."""

    __pydantic_config__ = STRICT
    values: list[str] = container(
        list, "Values files (paths relative to this file), applied in order, later ones winning."
    )
    set: dict[str, Any] = container(
        dict, "Single values by `--set` key (`image.tag`, `list[0].name`), applied after `values`."
    )
    release: str | None = dc_field(
        default=None, metadata=meta("Release name for every render (default: `release-name`).")
    )
    namespace: str | None = dc_field(
        default=None, metadata=meta("Namespace for every render (default: `default`).")
    )
    charts: list[str] = container(
        list, "Globs of the chart folders these values apply to (default: every chart)."
    )


@dataclass
class Config:
    """`.stackalign.yaml` (or the `[tool.stackalign]` table of pyproject.toml)."""

    __pydantic_config__ = {
        **STRICT,
        "populate_by_name": True,
        "title": "stackalign configuration",
    }
    target: dict[TargetKey, str] = container(
        dict,
        "The platform the repository deploys to, e.g. `rhoai: <release>` (quoted); "
        "`llamastack` overrides the LlamaStack version.",
    )
    include: list[str] = container(
        list, "Globs of files to lint (default: every YAML, Python, shell file)."
    )
    exclude: list[str] = container(list, "Globs of files and folders to skip.")
    select: list[str] = container(list, "Only these rules (ids, id prefixes, names).")
    ignore: list[str] = container(list, "Skip these rules (ids, id prefixes, names).")
    rules: dict[str, RuleSetting | LevelSetting] = container(
        dict, "Per rule (id or name): a level, `off`, or {level: ...}."
    )
    rule_files: list[str] = container(
        list, "Extra rule files (the rules/ YAML format).", alias="rule-files"
    )
    knowledge_files: list[str] = container(
        list, "Extra knowledge base files.", alias="knowledge-files"
    )
    helm: HelmSetting | None = dc_field(
        default=None,
        metadata=meta(
            "Values for rendering the repository's Helm charts, besides their defaults and the "
            "values Argo CD Applications and Flux HelmReleases give them."
        ),
    )

    def __post_init__(self) -> None:
        self.rules = {k: _setting(s) for k, s in self.rules.items()}
        #: where it was read from (set by load_config; not a key of the file, nor a field)
        self.path: str | None = None

    def rule_setting(self, name: str) -> RuleSetting | None:
        """The `rules:` entry of a rule id or name (__post_init__ made each a RuleSetting)."""
        setting = self.rules.get(name)
        assert not isinstance(setting, str)  # see __post_init__
        return setting


def _setting(value: RuleSetting | LevelSetting | dict[str, Any]) -> RuleSetting:
    """`off`, `{level: note}` (also when a Config is built in code) or a RuleSetting."""
    if isinstance(value, str):
        return RuleSetting(level=value)
    if isinstance(value, dict):
        return RuleSetting(**value)
    return value


class ConfigError(Exception):
    pass


# -- finding and reading ----------------------------------------------------------------------------
def find_config(root: Path | None) -> Path | None:
    """`.stackalign.yaml`/`.yml`, else a pyproject.toml with a `[tool.stackalign]` table."""
    if root is None:
        return None
    for name in CONFIG_NAMES:
        if (root / name).is_file():
            return root / name
    pyproject = root / PYPROJECT
    if pyproject.is_file() and inside(pyproject, root):  # a pyproject elsewhere is not ours
        try:
            text = read_regular_file(pyproject, MAX_CONFIG_BYTES).decode("utf-8")
        except (UnsafeFile, UnicodeDecodeError):
            return None
        if re.search(r"^\s*\[tool\.stackalign[\].]", text, re.MULTILINE):
            return pyproject
    return None


def config_root(path: Path) -> Path:
    """The repository a configuration file belongs to: the nearest folder above it that holds
    `.git` or `.stackalign.yaml`, else the file's own folder. Files it names stay inside it."""
    from linter.discovery import find_project_root

    folder = Path(os.path.normpath(path.absolute())).parent
    return find_project_root(folder) or folder


def read_config_text(path: Path, root: Path | None = None) -> str:
    """The text of a configuration file: inside its repository once symlinks are resolved, a
    regular file (a FIFO or /dev/zero is refused, never read), at most MAX_CONFIG_BYTES, UTF-8."""
    root = root or config_root(path)
    if not inside(path, root):
        raise ConfigError(
            f"{_shown(path)}: a symlink that leaves the repository ({_shown(root)}); not read"
        )
    try:
        data = read_regular_file(path, MAX_CONFIG_BYTES)
    except UnsafeFile as exc:
        raise ConfigError(f"{_shown(path)}: {exc}") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{_shown(path)}: not UTF-8 (byte offset {exc.start})") from None


def load_config(path: Path) -> Config:
    """Read, validate and return the configuration; ConfigError names the key and line."""
    root = config_root(path)
    text = read_config_text(path, root)
    from linter import cache
    from linter.resources import schemas_dir
    from linter.validation import construct

    # A file validated once is not validated again (jsonschema and pydantic cost ~0.3 s to import):
    # the key covers its name and text, stackalign's version and code and the schema file; the
    # cache holds the validated data (JSON), from which the Config is built without validation.
    key = cache.key([], [schemas_dir() / "config.schema.json"], f"{path.name}\0{text}")
    data = cache.load(key, kind="config")
    if isinstance(data, dict):
        cfg = construct(Config, data)
    else:
        data = _validated_data(path, text)
        cfg = validate(Config, data)
        cache.store(key, data, kind="config")
    cfg.path = str(path)
    _resolve_references(cfg, path, root, text)  # every time: it depends on the disk, not the text
    return cfg


REFERENCES = (("rule-files", "rule_files"), ("knowledge-files", "knowledge_files"))


def _resolve_references(cfg: Config, path: Path, root: Path, text: str) -> None:
    """`rule-files` and `knowledge-files` become the real paths of the files they name, each
    checked to stay inside the repository `root` (see safefile.repository_reference)."""
    base = Path(os.path.normpath(path.absolute())).parent
    for key, attr in REFERENCES:
        resolved = []
        for i, reference in enumerate(getattr(cfg, attr)):
            try:
                resolved.append(str(repository_reference(root, base, reference)))
            except UnsafeFile as exc:
                line, col = _position_of(path, text, (key, i))
                raise ConfigError(
                    f"{_shown(path)}:{line}:{col}: `{key}[{i}]`: {shown_value(reference)}: {exc}"
                ) from None
        setattr(cfg, attr, resolved)


def _position_of(path: Path, text: str, keys: ConfigPath) -> tuple[int, int]:
    try:
        _, locate = (_read_pyproject if path.name == PYPROJECT else _read_yaml)(path, text)
        return locate(keys)
    except ConfigError:
        return 1, 1


def shown_value(value: Any) -> str:
    """A configuration's own value as an error quotes it: escaped, and cut at MAX_SHOWN_VALUE."""
    from linter.report.safe_text import printable

    text = printable(value if isinstance(value, str) else repr(value))
    if len(text) > MAX_SHOWN_VALUE:
        text = text[: MAX_SHOWN_VALUE - 1] + "…"
    return repr(text) if isinstance(value, str) else text


def _validated_data(path: Path, text: str) -> dict[str, Any]:
    """The configuration's data, after every check (ConfigError names each problem)."""
    if path.name == PYPROJECT:
        data, locate = _read_pyproject(path, text)
    else:
        data, locate = _read_yaml(path, text)
    errors = sorted(schema_errors(data, locate) + semantic_errors(data, locate), key=_line_col)
    if errors:
        shown = _shown(path)
        lines = [f"{shown}:{_capped(e)}" for e in errors[:MAX_CONFIG_ERRORS]]
        if len(errors) > MAX_CONFIG_ERRORS:
            lines.append(f"{shown}: ... and {len(errors) - MAX_CONFIG_ERRORS} more errors")
        raise ConfigError("\n".join(lines))
    validate(Config, data)  # what a schema cannot catch, pydantic does
    plain: dict[str, Any] = _plain(data)
    return plain


def _capped(error: str, limit: int = 300) -> str:
    """One error line, escaped and at most `limit` characters (a schema message can quote a
    whole value)."""
    from linter.report.safe_text import printable

    error = printable(error)
    return error if len(error) <= limit else error[: limit - 1] + "…"


def _shown(path: Path) -> str:
    """The path as the user would type it: relative to the working directory when inside it."""
    import os

    try:
        rel = os.path.relpath(path)
    except ValueError:
        return str(path)
    return str(path) if rel.startswith("..") else rel


def _line_col(error: str) -> tuple[int, int]:
    line, col, _ = error.split(":", 2)
    return int(line), int(col)


#: Keys and list indices from the top of a configuration down to one value
ConfigPath = tuple[str | int, ...]


class Locator(Protocol):
    """(key path, the key rather than its value) -> 1-based (line, column) in the file."""

    def __call__(self, keys: ConfigPath, key: bool = False) -> tuple[int, int]: ...


def _read_yaml(path: Path, text: str) -> tuple[dict[str, Any], Locator]:
    from linter.sources.yaml import MAX_NODES_PER_WALK, YamlParseError, compose_all, expanded_size

    try:
        docs = compose_all(text)
    except YamlParseError as exc:
        problem = _QUOTED.sub("'…'", exc.message)[:200]  # never quote the file (a symlink target)
        raise ConfigError(
            f"{_shown(path)}:{exc.line}:{exc.column}: not valid YAML: {problem}"
        ) from None
    if len(docs) > 1:
        raise ConfigError(f"{_shown(path)}: expected one YAML document, found {len(docs)}")
    root = docs[0] if docs else None
    if root is None:
        return {}, lambda keys, key=False: (1, 1)
    if expanded_size(root) is None:  # an alias bomb: bounded as in linted YAML
        raise ConfigError(
            f"{_shown(path)}: more than {MAX_NODES_PER_WALK:,} YAML nodes once aliases are "
            "expanded (the limit for linted YAML too)"
        )
    deep = _deeper_than(root, MAX_CONFIG_DEPTH)
    if deep is not None:  # the conversion and the schema validation below recurse
        line, col = deep.start_mark.line + 1, deep.start_mark.column + 1
        raise ConfigError(
            f"{_shown(path)}:{line}:{col}: nested deeper than {MAX_CONFIG_DEPTH} levels"
        )
    data = _node_data(root)
    if not isinstance(data, dict):
        line, col = root.start_mark.line + 1, root.start_mark.column + 1
        raise ConfigError(f"{_shown(path)}:{line}:{col}: the configuration must be a mapping")

    def locate(keys: ConfigPath, key: bool = False) -> tuple[int, int]:
        node = _find_node(root, keys, key)
        return node.start_mark.line + 1, node.start_mark.column + 1

    return data, locate


_QUOTED = re.compile(r"'[^'\n]*'|\"[^\"\n]*\"")


def _data_deeper_than(data: Any, limit: int) -> bool:
    """Whether plain data (lists and dicts) nests deeper than `limit` (iterative)."""
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > limit:
            return True
        if isinstance(value, dict):
            stack.extend((v, depth + 1) for v in value.values())
        elif isinstance(value, list):
            stack.extend((v, depth + 1) for v in value)
    return False


def _deeper_than(root: Node, limit: int) -> Node | None:
    """The first node nested deeper than `limit` (iterative), or None."""
    from yaml.nodes import MappingNode, SequenceNode

    stack = [(root, 1)]
    seen: set[int] = set()
    while stack:
        node, depth = stack.pop()
        if depth > limit:
            return node
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, MappingNode):
            stack.extend((n, depth + 1) for pair in node.value for n in pair)
        elif isinstance(node, SequenceNode):
            stack.extend((n, depth + 1) for n in node.value)
    return None


def _node_data(node: Any) -> Any:
    """Plain data from a composed node, keeping every scalar as its source string (`2.20` stays
    "2.20"), except that non-string scalars keep their YAML type for the schema to judge."""
    from yaml.nodes import MappingNode, ScalarNode, SequenceNode

    if isinstance(node, MappingNode):
        return {str(_node_data(k)): _node_data(v) for k, v in node.value}
    if isinstance(node, SequenceNode):
        return [_node_data(v) for v in node.value]
    if isinstance(node, ScalarNode):
        tag = node.tag or ""
        if node.style or tag.endswith(":str"):
            return node.value
        if tag.endswith(":null") or node.value in ("", "~", "null", "Null", "NULL"):
            return None
        if tag.endswith(":bool") or node.value in ("true", "false", "True", "False"):
            return node.value.lower() == "true"
        if tag.endswith((":int", ":float")):
            return _Number(node.value)
        return node.value
    return None


class _Number(str):
    """A number as written (`2.20`): the schema sees a number where a string is required."""


def _find_node(root: Node, keys: ConfigPath, key: bool) -> Node:
    from yaml.nodes import MappingNode, SequenceNode

    node = root
    for i, k in enumerate(keys):
        last = i == len(keys) - 1
        if isinstance(node, MappingNode):
            for kn, vn in node.value:
                if str(kn.value) == str(k):
                    node = kn if (last and key) else vn
                    break
            else:
                return node
        elif isinstance(node, SequenceNode) and isinstance(k, int) and k < len(node.value):
            node = node.value[k]
        else:
            return node
    return node


def _read_pyproject(path: Path, text: str) -> tuple[dict[str, Any], Locator]:
    toml = _toml_module()
    if toml is None:
        raise ConfigError(
            f"{_shown(path)}: reading [tool.stackalign] needs Python 3.11+ (tomllib) or the `tomli` package"
        )
    try:
        doc = toml.loads(text)
    except toml.TOMLDecodeError as exc:
        raise ConfigError(f"{_shown(path)}: not valid TOML: {exc}") from None
    except RecursionError:
        raise ConfigError(f"{_shown(path)}: not valid TOML: nested too deeply") from None
    data = doc.get("tool", {}).get("stackalign", {})
    if _data_deeper_than(data, MAX_CONFIG_DEPTH):  # the validation below recurses
        raise ConfigError(
            f"{_shown(path)}: [tool.stackalign] nested deeper than {MAX_CONFIG_DEPTH} levels"
        )
    lines = text.splitlines()

    def locate(keys: ConfigPath, key: bool = False) -> tuple[int, int]:
        return _toml_line(lines, keys)

    if isinstance(data, dict):
        for k, v in (
            list(data.get("target", {}).items()) if isinstance(data.get("target"), dict) else []
        ):
            if isinstance(v, (int, float)) and not isinstance(v, bool):
                data["target"][k] = _Number(_toml_value_text(lines, ("target", k)) or str(v))
    return data, locate


def _toml_module() -> ModuleType | None:
    if sys.version_info >= (3, 11):
        import tomllib

        return tomllib
    else:  # Python 3.10: the `tomli` package, when installed
        try:
            import tomli
        except ImportError:
            return None
        return tomli


def _toml_line(lines: list[str], keys: ConfigPath) -> tuple[int, int]:
    """Best effort: the line of `key = ` (or `[tool.stackalign.key]`) inside [tool.stackalign]."""
    section = None
    found = (1, 1)
    names = [str(k) for k in keys if not isinstance(k, int)]
    for n, raw in enumerate(lines, start=1):
        line = raw.strip()
        header = re.match(r"^\[\s*([^\]]+?)\s*\]$", line)
        if header:
            section = header.group(1).replace('"', "").replace(" ", "")
            if section == "tool.stackalign":
                found = (n, 1)
            if names and section == ".".join(["tool.stackalign", *names]):
                return n, 1
            continue
        if section is None or not section.startswith("tool.stackalign"):
            continue
        for depth in range(len(names), 0, -1):
            prefix = ".".join(["tool.stackalign", *names[: depth - 1]])
            key = names[depth - 1]
            if section == prefix and re.match(rf'^"?{re.escape(key)}"?\s*=', line):
                return n, raw.index(line[0]) + 1
            inline = rf"(^|[{{,\s]){re.escape(key)}\s*="
            if section == prefix.rsplit(".", 1)[0] and depth > 1 and re.search(inline, line):
                return n, raw.index(line[0]) + 1
    return found


def _toml_value_text(lines: list[str], keys: ConfigPath) -> str | None:
    line, _ = _toml_line(lines, keys)
    m = re.search(rf"{re.escape(str(keys[-1]))}\s*=\s*([0-9][0-9.]*)", lines[line - 1])
    return m.group(1) if m else None


# -- validation -------------------------------------------------------------------------------------
def config_schema() -> dict[str, Any]:
    import json

    from linter.resources import schemas_dir

    schema: dict[str, Any] = json.loads(
        (schemas_dir() / "config.schema.json").read_text(encoding="utf-8")
    )
    return schema


def schema_errors(data: Any, locate: Locator) -> list[str]:
    """JSON Schema errors as `line:col: key: message`, one per problem, in file order."""
    from jsonschema import Draft202012Validator

    validator = Draft202012Validator(config_schema())
    out = _describe(validator.iter_errors(_plain(data)), data, locate)
    out.sort()
    return [f"{line}:{col}: {msg}" for (line, col), msg in out]


def _describe(
    errors: Iterable[ValidationError], data: Any, locate: Locator
) -> list[tuple[tuple[int, int], str]]:
    out: list[tuple[tuple[int, int], str]] = []
    for err in errors:
        keys = tuple(err.absolute_path)
        schema = err.schema if isinstance(err.schema, Mapping) else {}  # our schema has no `true`
        if err.validator == "additionalProperties" and isinstance(err.instance, dict):
            allowed = set(schema.get("properties", {}))
            for extra in sorted(set(err.instance) - allowed):
                where = locate((*keys, extra), True)
                dotted = _dotted((*keys, extra))
                hint = _closest(extra, sorted(allowed))
                msg = f"unknown key `{dotted}`" + (f" (did you mean `{hint}`?)" if hint else "")
                msg += f"; allowed here: {', '.join(sorted(allowed))}"
                out.append((where, msg))
        elif "propertyNames" in err.schema_path:
            bad = str(err.instance)
            where = locate((*keys, bad), True)
            names = schema.get("enum") or []
            msg = f"unknown key `{_dotted((*keys, bad))}`"
            if names:
                msg += f"; allowed here: {', '.join(names)}"
            out.append((where, msg))
        elif err.validator == "anyOf" and isinstance(_value_at(data, keys), dict) and err.context:
            branch = [e for e in err.context if e.validator not in ("type", "enum")]
            out.extend(_describe(branch, data, locate) if branch else [])
            if not branch:
                out.append((locate(keys), f"`{_dotted(keys)}`: {_message(err, data, keys)}"))
        else:
            where = locate(keys)
            out.append((where, f"`{_dotted(keys) or '(top level)'}`: {_message(err, data, keys)}"))
    return out


def _message(err: ValidationError, data: Any, keys: ConfigPath) -> str:
    value = _value_at(data, keys)
    if err.validator == "type" and isinstance(value, _Number):
        return f'{value} is a number; quote it ("{value}") so it stays a version'
    if err.validator == "anyOf" and keys and keys[0] == "rules":
        import json

        return f"{json.dumps(_plain(value))} is not a level (error, warning, note, off) or {{level: ...}}"
    return err.message


def _plain(data: Any) -> Any:
    if isinstance(data, _Number):
        try:  # `!!int 0x1f [...]` is tagged a number without being one: the schema judges a string
            return (
                float(data)
                if "." in data
                else int(data)
                if data.lstrip("-").isdigit()
                else str(data)
            )
        except ValueError:
            return str(data)
    if isinstance(data, dict):
        return {k: _plain(v) for k, v in data.items()}
    if isinstance(data, list):
        return [_plain(v) for v in data]
    return data


def _value_at(data: Any, keys: ConfigPath) -> Any:
    for k in keys:
        try:
            data = data[k]
        except (KeyError, IndexError, TypeError):
            return None
    return data


def _dotted(keys: ConfigPath) -> str:
    out = ""
    for k in keys:
        out += f"[{k}]" if isinstance(k, int) else (f".{k}" if out else str(k))
    return out


def _closest(word: str, choices: list[str]) -> str | None:
    import difflib

    match = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return match[0] if match else None


def semantic_errors(data: Any, locate: Locator) -> list[str]:
    """What the schema cannot say: versions that do not parse, globs that cannot match."""
    from linter.versions import try_parse

    if not isinstance(data, dict):
        return []
    out: list[tuple[tuple[int, int], str]] = []
    target = data.get("target")
    if isinstance(target, dict):
        for key, value in target.items():
            if isinstance(value, str) and try_parse(value) is None:
                out.append(
                    (
                        locate(("target", key)),
                        f"`target.{key}`: {value!r} is not a version (write a quoted release, such as the ones `stackalign targets` lists)",
                    )
                )
    for field in ("include", "exclude"):
        globs = data.get(field)
        if not isinstance(globs, list):
            continue
        for i, pattern in enumerate(globs):
            problem = glob_problem(pattern) if isinstance(pattern, str) else None
            if problem:
                out.append((locate((field, i)), f"`{field}[{i}]`: bad glob {pattern!r}: {problem}"))
    out.sort()
    return [f"{line}:{col}: {msg}" for (line, col), msg in out]


def glob_problem(pattern: str) -> str | None:
    """Why a glob can never match a repository path, or None if it is fine."""
    if not pattern.strip():
        return "empty pattern"
    if pattern.startswith("/") or re.match(r"^[A-Za-z]:[\\/]", pattern):
        return "absolute path; globs are relative to the repository root"
    if "\\" in pattern:
        return "backslash; use `/` between folders"
    for i, ch in enumerate(pattern):
        if ch != "[":
            continue
        j = i + 1
        if pattern[j : j + 1] == "!":
            j += 1
        if pattern[j : j + 1] == "]":
            j += 1
        if pattern.find("]", j) < 0:
            return f"unclosed `[` at position {i + 1}"
    for part in pattern.split("/"):
        if "**" in part and part != "**":
            return "`**` must be a whole path segment (`a/**/b`)"
    return None


def unknown_rule_errors(cfg: Config, known: set[str], prefixes: list[str]) -> list[str]:
    """Config `select`/`ignore`/`rules` entries that name no rule, with their line."""

    def exists(name: str) -> bool:
        return name in known or any(p.startswith(name) for p in prefixes)

    names = [n for f in ("select", "ignore") for n in getattr(cfg, f)]
    if cfg.path is None or (all(map(exists, names)) and all(n in known for n in cfg.rules)):
        return []  # nothing to report: the file is not read again for positions
    path = Path(cfg.path)
    try:
        text = read_config_text(path)
        _, locate = (_read_pyproject if path.name == PYPROJECT else _read_yaml)(path, text)
    except ConfigError:
        return []

    out: list[tuple[tuple[int, int], str]] = []
    for field in ("select", "ignore"):
        for i, name in enumerate(getattr(cfg, field)):
            if not exists(name):
                out.append((locate((field, i)), f"`{field}[{i}]`: unknown rule {name!r}"))
    for name in cfg.rules:
        if name not in known:
            out.append((locate(("rules", name), True), f"`rules.{name}`: unknown rule {name!r}"))
    out.sort()
    shown = _shown(path)
    return [f"{shown}:{line}:{col}: {msg} (see `stackalign rules`)" for (line, col), msg in out]


# -- include ----------------------------------------------------------------------------------------
def included(rel: str, patterns: list[str]) -> bool:
    """No include globs: everything. Otherwise a path matching one (or inside a matching folder)."""
    from linter.discovery import excluded

    if not patterns:
        return True
    expanded = []
    for p in patterns:
        expanded.append(p)
        if p.startswith("**/"):
            expanded.append(p[3:])
    return excluded(rel, expanded)


def config_selects(rel: str, explicit: bool, exclude: list[str], include: list[str]) -> bool:
    """Whether a discovered file is linted: inside `include` (if any), and not excluded, even when
    named on the command line (pre-commit passes excluded files by name too)."""
    from linter.discovery import excluded

    if explicit and exclude and excluded(rel, exclude):
        return False
    return included(rel, include)


# -- init -------------------------------------------------------------------------------------------
def write_config_file(path: Path, text: str, force: bool) -> None:
    """Write `stackalign init`'s file, never through a symlink: a link (dangling or not) at `path`
    is refused, even with `force` (a committed link could point anywhere, such as a file outside
    the repository). A new file is created exclusively; `force` replaces a regular file
    atomically. ConfigError says why nothing was written."""
    shown = _shown(path)
    if os.path.islink(path):
        raise ConfigError(
            f"{shown} is a symlink; stackalign init never writes through one (remove it first)"
        )
    if os.path.lexists(path) and not force:
        raise ConfigError(f"{shown} already exists (use --force to overwrite it)")
    data = text.encode("utf-8")
    try:
        if not os.path.lexists(path):
            flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
            fd = os.open(path, flags, 0o644)
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            return
        if not os.path.isfile(path):
            raise ConfigError(f"{shown} is not a regular file; not overwritten")
        from linter.fixes import atomic_write

        atomic_write(path, data)  # os.replace: a link put there meanwhile is replaced, not followed
    except FileExistsError:
        raise ConfigError(f"{shown} appeared while writing it; not overwritten") from None
    except OSError as exc:
        raise ConfigError(f"cannot write {shown}: {exc.strerror or exc}") from None


def init_text(target: Any) -> str:
    """A commented `.stackalign.yaml` for `stackalign init`, with the detected target (if any)."""
    key = target.platform if target.platform in ("rhoai", "odh", "llamastack") else None
    version = target.version if key != "llamastack" else str(target.llamastack or target.version)
    if key and version:
        head = [
            f"# Detected from {target.source}{' (not in the knowledge base)' if target.unknown else ''}.",
            "# It wins over auto-detection; `--target` on the command line wins over it.",
            "target:",
            f'  {key}: "{version}"',
        ]
    else:
        head = [
            "# No platform detected (no OLM Subscription to rhods-operator or opendatahub-operator).",
            "# Set it so that version rules know what runs, e.g.:",
            "# target:",
            '#   rhoai: "<release>"   # see `stackalign targets`',
        ]
    body = [
        "# stackalign configuration; `stackalign rules` lists the rules. Documentation:",
        f"# {docs_url('docs/pre-commit.md')}",
        "# stackalign validates this file when it runs: a bad key is an error (exit 2) naming its line.",
        f"# Its JSON Schema (for editors): {docs_url('schemas/config.schema.json')}",
        "",
        "# The platform this repository deploys to (rhoai, or llamastack for a plain LlamaStack).",
        *head,
        "",
        "# Files to lint and to skip: globs relative to the repository root (`**` = any folders).",
        '# include: ["gitops/**", "pipelines/**"]',
        "exclude: []",
        "",
        "# Rules: ids (SA202), id prefixes (SA2) or names (milvus-schema-override).",
        "# select: [SA1, SA2]",
        "# ignore: [SA104]",
        "# rules:",
        "#   SA102: note        # report at another level: error, warning, note",
        "#   SA303: off         # or switch a rule off",
        "",
        "# Your own rules and facts, in the formats of rules/ and rules/knowledge/.",
        "# rule-files: [ci/stackalign/SA901-our-registry.yaml]",
        "# knowledge-files: [ci/stackalign/our-images.yaml]",
    ]
    return "\n".join(body) + "\n"
