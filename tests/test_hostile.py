"""Hostile input: every file that cannot be read, decoded or parsed is an SA001 finding with a
reason and a position, the run goes on, nothing hangs, nothing is executed, no traceback escapes.

Each case states the exact result: an SA001 at a line and column with a message fragment, or the
findings a well-formed equivalent gives. A 60 s alarm guards against hangs (not a benchmark).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from linter import engine
from linter.checks import images
from linter.fixes import fix_repository, write_fixed
from linter.sources import yaml as y
from linter.sources.python import MAX_AST_DEPTH
from tests.helpers import lint_dir, lint_files, write_files

REPO = Path(__file__).resolve().parent.parent

CR = "apiVersion: llamastack.io/v1alpha1\nkind: LlamaStackDistribution\nmetadata: {name: x}\n"
#: A CR with one SA101 finding at 7:14 on RHOAI 2.25 (an upstream 0.3.0 image).
CR_0_3 = (
    CR
    + "spec:\n  server:\n    distribution:\n"
    + "      image: docker.io/llamastack/distribution-starter:0.3.0\n"
)
RUN = "version: '2'\nimage_name: x\napis: [inference]\nproviders:\n  inference: []\n"
T225 = {"rhoai": "2.25"}
T222 = {"rhoai": "2.22"}


#: FIFOs, alias bombs and deep nesting must return promptly (tests/conftest.py hang_guard)
pytestmark = pytest.mark.usefixtures("hang_guard")


def found(result, rule: str | None = None) -> list[tuple[str, str, int, int, str]]:
    return [
        (f.rule, f.path, f.span.start.line, f.span.start.column, f.message)
        for f in result.findings
        if rule is None or f.rule == rule
    ]


def only_sa001(result, path: str, line: int, column: int, fragment: str) -> None:
    """Exactly one finding: SA001 on `path` at line:column, its message holding `fragment`."""
    got = found(result)
    assert len(got) == 1, got
    rule, fpath, fline, fcol, message = got[0]
    assert (rule, fpath, fline, fcol) == ("SA001", path, line, column), got
    assert fragment in message, message
    assert message.startswith("cannot lint this file: ")


def clean(result) -> None:
    assert found(result) == []
    assert result.errors == []


def bomb(indent: str, levels: int = 9) -> str:
    """Billion laughs: `levels` anchors, each a list of nine aliases of the previous one."""
    out = f"{indent}a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
    for i in range(1, levels):
        out += f"{indent}a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]\n"
    return out


def map_bomb(indent: str, levels: int = 9) -> str:
    out = f"{indent}b0: &b0 {{k: v}}\n"
    for i in range(1, levels):
        out += f"{indent}b{i}: &b{i} {{" + ", ".join(f"k{j}: *b{i - 1}" for j in range(9)) + "}\n"
    return out


# -- YAML that does not parse ---------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "line", "column", "fragment"),
    [
        # the input ends inside a construct: at the construct's start, not at the end of the file
        (CR + "spec:\n  server: [unclosed\n", 5, 11, "did not find expected ',' or ']'"),
        (CR + "spec: {server: 1\n", 4, 7, "did not find expected ',' or '}'"),
        (CR + 'spec:\n  name: "unterminated\n', 5, 9, "found unexpected end of stream"),
        (CR + "spec:\n  name: 'unterminated\n", 5, 9, "found unexpected end of stream"),
        (CR + "spec:\n\tserver: {}\n", 5, 1, "found character that cannot start any token"),
        (CR + "spec:\n  a: 1\n   b: 2\n", 6, 5, "mapping values are not allowed in this context"),
        (CR + "spec: *undefined\n", 4, 7, "found undefined alias"),
    ],
    ids=["flow-sequence", "flow-mapping", "double-quote", "single-quote", "tab", "indent", "alias"],
)
def test_unparsable_yaml_is_sa001_at_the_parser_position(tmp_path, text, line, column, fragment):
    only_sa001(lint_files(tmp_path, {"cr.yaml": text}), "cr.yaml", line, column, fragment)


def test_a_broken_file_does_not_stop_the_run(tmp_path):
    files = {"a-broken.yaml": CR + "spec: [\n", "b-cr.yaml": CR_0_3, "c-broken.yaml": CR + "\tx\n"}
    got = found(lint_files(tmp_path, files, target=T225))
    assert [(r, p, line, col) for r, p, line, col, _ in got] == [
        ("SA001", "a-broken.yaml", 5, 1),
        ("SA101", "b-cr.yaml", 7, 14),
        ("SA001", "c-broken.yaml", 4, 1),
    ]


def test_duplicate_keys_parse_and_the_last_one_wins(tmp_path):
    """PyYAML (what LlamaStack and the operator's tooling load with) keeps the last duplicate."""
    twice = CR + "spec:\n  server:\n    distribution:\n      image: quay.io/x/y:latest\n"
    twice += "      image: docker.io/llamastack/distribution-starter:0.3.0\n"
    got = found(lint_files(tmp_path, {"cr.yaml": twice}, target=T225))
    assert [(r, line, col) for r, _, line, col, _ in got] == [("SA101", 8, 14)]


@pytest.mark.parametrize(
    "value",
    [
        "=",
        "yes",
        "no",
        "on",
        "off",
        "0777",
        "0o777",
        "0x1F",
        "1_000",
        "2001-12-14",
        "~",
        "<<",
        ".inf",
    ],
)
def test_yaml_1_1_oddities_are_plain_values(tmp_path, value):
    """YAML 1.1 types (`=` value key, yes/no, octal 0777, sexagesimals) never break parsing."""
    text = CR + f"spec:\n  replicas: {value}\n  server:\n    distribution: {{name: rh-dev}}\n"
    result = lint_files(tmp_path, {"cr.yaml": text}, target=T225)
    clean(result)
    assert result.parsed == 1


# -- alias bombs and deep nesting ------------------------------------------------------------------
def test_billion_laughs_in_a_custom_resource_is_linear(tmp_path):
    """9^9 leaves if expanded; walks enter each node once, so SA207 reports the nine keys only."""
    text = CR + "spec:\n  server:\n    distribution: {name: rh-dev}\n" + bomb("  ") + map_bomb("  ")
    got = found(lint_files(tmp_path, {"cr.yaml": text}, target=T222))
    keys = [f"a{i}" for i in range(9)] + [f"b{i}" for i in range(9)]
    assert [(r, line, col) for r, _, line, col, _ in got] == [
        ("SA207", 7 + i, 3) for i in range(len(keys))
    ]
    assert [m.split("`")[1] for *_, m in got] == [f"spec.{k}" for k in keys]


@pytest.mark.parametrize("where", ["file", "configmap"])
def test_billion_laughs_in_a_run_config_is_linear(tmp_path, where):
    body = (
        "version: '2'\napis: [vector_io]\nproviders:\n  vector_io:\n  - provider_id: milvus\n"
        "    provider_type: remote::milvus\n    config:\n      uri: ${env.MILVUS_URI:=http://m}\n"
        "      extra:\n" + bomb("        ") + map_bomb("        ")
    )
    if where == "file":
        files = {"run.yaml": body}
    else:
        indented = "".join("    " + line + "\n" for line in body.splitlines())
        files = {
            "cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata:\n"
            "  run.yaml: |\n" + indented
        }
    result = lint_files(tmp_path, files, target=T225)
    assert result.errors == []
    assert len(result.workspace.run_configs) == 1
    assert {r for r, *_ in found(result)} <= {"SA202", "SA203"}


def test_walk_visits_each_node_of_a_bomb_once():
    (doc,) = y.compose_all("root:\n" + bomb("  "))
    # two mappings, a0 and its nine 'lol' scalars, the eight lists of aliases: 20, not 9^9
    assert sum(1 for _ in y.walk(doc)) == 2 + 1 + 9 + 8
    assert sum(1 for _ in y.walk(doc, budget=5)) == 5


@pytest.mark.parametrize(
    ("opening", "closing", "column", "fragment"),
    [
        ("[", "]", 1006, "exceeded maximum nesting depth (while increasing flow level)"),
        ("{a: ", "}", 4003, "exceeded maximum nesting depth (while increasing flow level)"),
        ("[{a: ", "}]", 2503, "exceeded maximum nesting depth (while increasing flow level)"),
        ("[", "", 1006, "exceeded maximum nesting depth (while increasing flow level)"),
    ],
    ids=["brackets", "braces", "mixed", "unclosed"],
)
def test_20000_deep_flow_nesting_is_sa001(tmp_path, opening, closing, column, fragment):
    text = CR + "spec: " + opening * 20_000 + "1" + closing * 20_000 + "\n"
    only_sa001(lint_files(tmp_path, {"cr.yaml": text}), "cr.yaml", 4, column, fragment)


def test_20000_deep_block_nesting_is_sa001(tmp_path):
    text = CR + "spec:\n" + "- " * 20_000 + "1\n"
    only_sa001(
        lint_files(tmp_path, {"cr.yaml": text}),
        "cr.yaml",
        5,
        1999,
        "exceeded maximum nesting depth (while increasing block level)",
    )


def test_nesting_just_under_the_parser_limit_is_checked(tmp_path):
    """990 levels parse; the checks that follow them (SA207's field walk) must not recurse."""
    text = CR + "spec:\n  x: " + "{a: " * 990 + "1" + "}" * 990 + "\n"
    run_cfg = RUN + "x: " + "[" * 990 + "]" * 990 + "\n"
    result = lint_files(tmp_path, {"cr.yaml": text, "run.yaml": run_cfg}, target=T222)
    assert result.errors == []
    assert ("SA207", "cr.yaml", 5, 3) in [(r, p, line, col) for r, p, line, col, _ in found(result)]
    assert ("SA203", "run.yaml", 6, 1) in [
        (r, p, line, col) for r, p, line, col, _ in found(result)
    ]


def test_node_limit_is_sa001(tmp_path):
    n = y.MAX_NODES_PER_FILE + 10
    files = {
        "plain.yaml": CR + "spec: [" + "1," * n + "1]\n",
        "tagged.yaml": CR + "spec: [" + "!t 1," * n + "1]\n",
    }
    result = lint_files(tmp_path, files)
    fragment = f"more than {y.MAX_NODES_PER_FILE:,} YAML nodes (the per-file limit)"
    assert [(r, p, line, col) for r, p, line, col, _ in found(result)] == [
        ("SA001", "plain.yaml", 1, 1),
        ("SA001", "tagged.yaml", 1, 1),
    ]
    assert all(fragment in m for *_, m in found(result))


def test_node_limit_is_a_module_constant(tmp_path, monkeypatch):
    monkeypatch.setattr(y, "MAX_NODES_PER_FILE", 20)
    text = CR + "spec: [" + "1, " * 20 + "1]\n"
    only_sa001(lint_files(tmp_path, {"cr.yaml": text}), "cr.yaml", 1, 1, "more than 20 YAML nodes")


def test_embedded_document_limit(tmp_path, monkeypatch):
    monkeypatch.setattr(y, "MAX_EMBEDDED_CHARS", 1024)
    value = RUN + "x: |\n" + "  pad\n" * 300
    body = "".join("    " + line + "\n" for line in value.splitlines())
    text = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata:\n  run.yaml: |\n" + body
    only_sa001(
        lint_files(tmp_path, {"cm.yaml": text}),
        "cm.yaml",
        5,
        13,
        f"ConfigMap/c:data.run.yaml: embedded document of {len(value):,} characters, over the "
        "1,024-character limit",
    )


# -- bytes that are not UTF-8 text -----------------------------------------------------------------
@pytest.mark.parametrize(
    ("data", "line", "column", "fragment"),
    [
        (CR.encode() + b"spec: {a: \x00}\n", 4, 11, "binary file (NUL byte)"),
        (CR.encode() + b"spec: \xff\xfe\n", 4, 7, "not valid UTF-8 (byte 0xff at offset 90)"),
        (
            CR.encode() + "spec: {name: caf\u00e9}\n".encode("latin-1"),
            4,
            17,
            "not valid UTF-8 (byte 0xe9 at offset 100); save the file as UTF-8",
        ),
        (b"\xef\xbb\xbf" + CR.encode() + b"\xc3(", 4, 1, "byte 0xc3 at offset 87"),
        (bytes(range(256)) * 8 + b"LlamaStackDistribution", 1, 1, "binary file (NUL byte)"),
    ],
    ids=["nul", "invalid-utf8", "latin1", "bom-then-invalid", "binary"],
)
def test_undecodable_bytes_are_sa001_at_the_bad_byte(tmp_path, data, line, column, fragment):
    only_sa001(lint_files(tmp_path, {"cr.yaml": data}), "cr.yaml", line, column, fragment)


def test_utf16_is_sa001_named_or_walked(tmp_path):
    """The prefilter looks for triggers in UTF-16 text too (after its byte order mark): a
    LlamaStackDistribution saved as UTF-16 is SA001 whether it is named or walked."""
    data = (CR + "spec: {}\n").encode("utf-16")
    write_files(tmp_path, {"cr.yaml": data, "other.yaml": "kind: ConfigMap\n".encode("utf-16")})
    for paths in (None, ["cr.yaml", "other.yaml"]):
        only_sa001(
            lint_dir(tmp_path, paths=paths),
            "cr.yaml",
            1,
            1,
            "UTF-16 text (byte order mark); save the file as UTF-8",
        )


def test_binary_files_without_triggers_are_never_read_as_text(tmp_path):
    clean(lint_files(tmp_path, {"blob.yaml": bytes(range(256)) * 64, "x.py": b"\x00\x01"}))


@pytest.mark.parametrize(
    "encode",
    [
        lambda t: t.encode(),
        lambda t: b"\xef\xbb\xbf" + t.encode(),
        lambda t: t.replace("\n", "\r\n").encode(),
        lambda t: b"\xef\xbb\xbf" + t.replace("\n", "\r\n").encode(),
    ],
    ids=["lf", "bom", "crlf", "bom-crlf"],
)
def test_bom_and_crlf_keep_positions(tmp_path, encode):
    got = found(lint_files(tmp_path, {"cr.yaml": encode(CR_0_3)}, target=T225))
    assert [(r, line, col) for r, _, line, col, _ in got] == [("SA101", 7, 14)]
    assert found(lint_files(tmp_path, {"cr.yaml": encode(CR_0_3)}, target=T225))[0][4] == got[0][4]


# -- size ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("explicit", [False, True])
def test_a_30_mb_file_is_sa001_without_being_parsed(tmp_path, explicit):
    line = "# " + "x" * 97 + "\n"
    with open(tmp_path / "big.yaml", "w", encoding="utf-8") as fh:
        fh.write(CR)
        for _ in range(3):
            fh.write(line * 100_000)
    assert (tmp_path / "big.yaml").stat().st_size > 30_000_000
    result = lint_dir(tmp_path, paths=["big.yaml"] if explicit else None)
    only_sa001(result, "big.yaml", 1, 1, "file is larger than the 10 MiB limit (28.6 MiB)")
    assert result.parsed == 0


def test_file_size_limit_is_a_module_constant(tmp_path, monkeypatch):
    monkeypatch.setattr(engine, "MAX_FILE_BYTES", 1024 * 1024)
    text = CR + "# " + "x" * (1024 * 1024) + "\n"
    only_sa001(
        lint_files(tmp_path, {"cr.yaml": text}),
        "cr.yaml",
        1,
        1,
        "file is larger than the 1 MiB limit (1.0 MiB)",
    )


def test_a_5_mb_single_line_parses(tmp_path):
    text = (
        CR_0_3
        + "---\nkind: ConfigMap\nmetadata: {name: big}\ndata:\n  note: "
        + "a" * 5_000_000
        + "\n"
    )
    got = found(lint_files(tmp_path, {"cr.yaml": text}, target=T225))
    assert [(r, line, col) for r, _, line, col, _ in got] == [("SA101", 7, 14)]


def test_a_5_mb_single_line_that_breaks_is_sa001_at_the_unclosed_bracket(tmp_path):
    text = CR + "spec: [" + "a" * 5_000_000 + "\n"
    only_sa001(
        lint_files(tmp_path, {"cr.yaml": text}), "cr.yaml", 4, 7, "did not find expected ',' or ']'"
    )


# -- templates, empty files ------------------------------------------------------------------------
HELM_PARSES = (
    CR.replace("name: x", "name: {{ .Values.name }}")
    + 'spec:\n  server:\n    distribution:\n      image: "{{ .Values.image }}"\n'
)
HELM_BREAKS = (
    "{{- if .Values.enabled }}\n"
    + CR
    + "spec:\n  replicas: {{ .Values.replicas | default 1 }}\n{{- end }}\n"
)


@pytest.mark.parametrize(
    ("text", "line", "column", "fragment"),
    [
        (
            HELM_PARSES,
            3,
            18,
            "it is a Helm/Go template, not YAML until rendered (`{{ .Values.name }}` at line 3)",
        ),
        (HELM_BREAKS, 1, 1, "(`{{- if .Values.enabled }}` at line 1; the YAML parser stops at 1:3"),
        (
            CR + "spec:\n  image: quay.io/x:{{ .Values.tag }}\n",
            5,
            20,
            "`{{ .Values.tag }}` at line 5",
        ),
        (CR + '{{ include "labels" . }}: x\n', 4, 1, "lint the rendered output (`helm template"),
    ],
    ids=["parses", "breaks", "plain-scalar", "key"],
)
def test_helm_templates_are_sa001_with_how_to_lint_them(tmp_path, text, line, column, fragment):
    result = lint_files(tmp_path, {"templates/lsd.yaml": text}, target=T225)
    only_sa001(result, "templates/lsd.yaml", line, column, fragment)
    assert "or exclude the chart's `templates/` folder" in found(result)[0][4]


def test_go_template_text_that_is_data_is_not_a_template(tmp_path):
    """Prometheus rule text (`{{$labels.job}}`), KFP placeholders, quoted and block scalars (a
    helmtemplate-generator config in the real corpus): data, not a Helm template."""
    text = CR_0_3 + "---\nkind: ConfigMap\nmetadata: {name: alerts}\ndata:\n"
    text += "  note: Query {{$labels.job}} fails {{ $value | humanize }}\n"
    text += "  args: ['{{$}}', \"{{$.inputs.parameters['x']}}\"]\n"
    text += (
        '  value: \'{{ .Values.rhaiOperator.namespace }}\'\n  other: "{{- include \\"x\\" . }}"\n'
    )
    text += "  script: |\n    {{ if .Values.x }}{{ .Values.y }}{{ end }}\n"
    got = found(lint_files(tmp_path, {"cr.yaml": text}, target=T225))
    assert [(r, line, col) for r, _, line, col, _ in got] == [("SA101", 7, 14)]


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\n\n",
        b"   \n",
        b"# LlamaStackDistribution\n# nothing else\n",
        b"---\n",
        b"---\n...\n",
        b"~\n",
        b"\xef\xbb\xbf",
        b"\xef\xbb\xbf# LlamaStackDistribution\r\n",
        b"--- # LlamaStackDistribution\n",
    ],
    ids=[
        "empty",
        "newlines",
        "spaces",
        "comments",
        "doc-start",
        "doc-end",
        "null",
        "bom",
        "bom-crlf",
        "marker-comment",
    ],
)
@pytest.mark.parametrize("explicit", [False, True])
def test_empty_and_comment_only_yaml_is_clean(tmp_path, data, explicit):
    write_files(tmp_path, {"cr.yaml": data})
    result = lint_dir(tmp_path, paths=["cr.yaml"] if explicit else None)
    clean(result)
    assert result.parsed == (1 if b"Llama" in data else 0)  # named or walked alike


@pytest.mark.parametrize(
    "data",
    [b"", b"\n", b"# stored_chunk_id /v1/\n", b"\xef\xbb\xbf# stored_chunk_id /v1/\r\n"],
    ids=["empty", "newline", "comment", "bom-crlf-comment"],
)
def test_empty_and_comment_only_python_and_shell_are_clean(tmp_path, data):
    write_files(tmp_path, {"x.py": data, "x.sh": data})
    clean(lint_dir(tmp_path, paths=["x.py", "x.sh"]))
    clean(lint_dir(tmp_path))


# -- Python ----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "line", "column", "fragment"),
    [
        (
            "stored_chunk_id = 1\ndef f(:\n    pass\n",
            2,
            7,
            f"Python {sys.version_info.major}.{sys.version_info.minor} syntax error: "
            "invalid syntax",
        ),
        ("stored_chunk_id = (\n", 1, 19, "syntax error: '(' was never closed"),
        ("stored_chunk_id = 1\n\tif x:\n", 2, 1, "syntax error: unexpected indent"),
        (
            "stored_chunk_id = " + "(" * 5000 + "1" + ")" * 5000 + "\n",
            1,
            219,
            "syntax error: too many nested parentheses",
        ),
        (
            "stored_chunk_id = " + "-" * 5000 + "1\n",
            1,
            1,
            "Python source cannot be parsed: nesting too deep",
        ),
        (
            "stored_chunk_id = 1\nx = " + " + ".join(["'/v1/vector-dbs'"] * 5000) + "\n",
            1,
            1,
            "Python source cannot be parsed: nesting too deep",
        ),
        (
            "stored_chunk_id = 1\nx = " + " + ".join(["'/v1/vector-dbs'"] * 1500) + "\n",
            2,
            5,
            f"Python syntax tree deeper than {MAX_AST_DEPTH} levels (the limit)",
        ),
        (
            "stored_chunk_id = client" + ".a" * 900 + "\n",
            1,
            19,
            f"Python syntax tree deeper than {MAX_AST_DEPTH} levels (the limit)",
        ),
    ],
    ids=[
        "syntax",
        "unclosed",
        "indent",
        "parens-5000",
        "unary-5000",
        "binop-5000",
        "binop-1500",
        "attribute-900",
    ],
)
def test_python_that_does_not_parse_is_sa001(tmp_path, text, line, column, fragment):
    only_sa001(
        lint_files(tmp_path, {"ingest.py": text}, target=T225), "ingest.py", line, column, fragment
    )


def test_python_null_bytes_and_latin1_are_sa001(tmp_path):
    files = {
        "a.py": b"stored_chunk_id = '\x00'\n",
        "b.py": "stored_chunk_id = 'caf\u00e9'\n".encode("latin-1"),
    }
    got = found(lint_files(tmp_path, files))
    assert [(r, p, line, col) for r, p, line, col, _ in got] == [
        ("SA001", "a.py", 1, 20),
        ("SA001", "b.py", 1, 23),
    ]


# -- links and unreadable paths --------------------------------------------------------------------
def test_symlink_loops_links_out_and_dangling_links(tmp_path):
    root = tmp_path / "repo"
    outside = tmp_path / "outside"
    write_files(root, {"cr.yaml": CR_0_3, "sub/x.yaml": "a: 1\n"})
    write_files(outside, {"secret.yaml": CR_0_3, "dir/cr.yaml": CR_0_3})
    (root / "sub" / "loop").symlink_to(root)  # a folder loop
    (root / "sub" / "self").symlink_to(root / "sub")
    (root / "a.yaml").symlink_to(root / "b.yaml")  # a file loop
    (root / "b.yaml").symlink_to(root / "a.yaml")
    (root / "dangling.yaml").symlink_to(root / "missing.yaml")
    (root / "out.yaml").symlink_to(outside / "secret.yaml")
    (root / "outdir").symlink_to(outside / "dir")
    (root / "same.yaml").symlink_to(root / "cr.yaml")  # inside: linted once
    result = lint_dir(root, target=T225)
    assert [(r, p, line, col) for r, p, line, col, _ in found(result)] == [
        ("SA101", "cr.yaml", 7, 14)
    ]
    assert sorted((s.rel, s.reason) for s in result.skipped) == [
        ("a.yaml", "symlink loop"),
        ("b.yaml", "symlink loop"),
        ("dangling.yaml", "dangling symlink"),
        ("out.yaml", "symlink leaves the linted folder"),
        ("outdir", "symlink leaves the linted folder"),
        ("same.yaml", "linked file is linted where it lives"),
        ("sub/loop", "linked folder is linted where it lives"),
        ("sub/self", "linked folder is linted where it lives"),
    ]


def test_a_fifo_named_yaml_is_sa001_and_does_not_block(tmp_path):
    write_files(tmp_path, {"cr.yaml": CR_0_3})
    os.mkfifo(tmp_path / "pipe.yaml")
    got = found(lint_dir(tmp_path, target=T225))
    assert [(r, p, line, col) for r, p, line, col, _ in got] == [
        ("SA101", "cr.yaml", 7, 14),
        ("SA001", "pipe.yaml", 1, 1),
    ]
    assert "cannot read file: a named pipe (FIFO), not a regular file" in got[1][4]


def test_a_directory_named_yaml_is_walked(tmp_path):
    write_files(tmp_path, {"x.yaml/cr.yaml": CR_0_3})
    got = found(lint_dir(tmp_path, target=T225))
    assert [(r, p, line, col) for r, p, line, col, _ in got] == [("SA101", "x.yaml/cr.yaml", 7, 14)]


def test_a_file_that_cannot_be_opened_is_sa001(tmp_path, monkeypatch):
    write_files(tmp_path, {"a.yaml": CR_0_3, "b.yaml": CR_0_3})
    real_open = open

    def refuse(path, *args, **kw):
        if str(path).endswith("a.yaml"):
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, *args, **kw)

    monkeypatch.setattr(engine, "open", refuse, raising=False)
    got = found(lint_dir(tmp_path, target=T225))
    assert [(r, p, line, col) for r, p, line, col, _ in got] == [
        ("SA001", "a.yaml", 1, 1),
        ("SA101", "b.yaml", 7, 14),
    ]
    assert got[0][4] == "cannot lint this file: cannot read file: Permission denied"


NOBODY = 65534  # the unprivileged uid and gid of Debian/Fedora/Alpine (`nobody`, `nogroup`)


def found_without_root(root: Path) -> dict:
    """`found(lint_dir(root))` computed in a forked child that gave up root's privileges (setgid,
    setuid to nobody): root reads a file whatever its mode, and CI runs as root. The child is this
    process (same modules, same rule pack) minus the privileges; it reports through a pipe."""
    lint_dir(root)  # warm-up as root: every module the run needs is imported before the fork
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        code = 1
        try:
            os.close(read)
            os.setgroups([])
            os.setgid(NOBODY)
            os.setuid(NOBODY)
            report = {
                "euid": os.geteuid(),
                "readable": os.access(root / "a.yaml", os.R_OK),
                "found": found(lint_dir(root)),
            }
            code = 0
        except BaseException as exc:  # reported to the parent, which fails the test with it
            report = {"error": f"{type(exc).__name__}: {exc}"}
        finally:
            with os.fdopen(write, "w", encoding="utf-8") as out:
                json.dump(report, out)
            os._exit(code)
    os.close(write)
    with os.fdopen(read, encoding="utf-8") as pipe:
        report = json.load(pipe)
    os.waitpid(pid, 0)
    return report


def test_a_chmod_000_file_is_sa001():
    folder = Path(tempfile.mkdtemp(prefix="stackalign-chmod-"))
    try:
        folder.chmod(0o755)  # reachable by the unprivileged child
        write_files(folder, {"a.yaml": CR_0_3})
        (folder / "a.yaml").chmod(0)
        if os.geteuid() == 0:
            report = found_without_root(folder)
            assert "error" not in report, report
            assert (report["euid"], report["readable"]) == (NOBODY, False)
            got = [tuple(f) for f in report["found"]]
        else:
            got = found(lint_dir(folder))
        assert [(r, p, line, col) for r, p, line, col, _ in got] == [("SA001", "a.yaml", 1, 1)]
        assert got[0][4] == "cannot lint this file: cannot read file: Permission denied"
    finally:
        if (folder / "a.yaml").exists():
            (folder / "a.yaml").chmod(0o644)
        shutil.rmtree(folder)


# -- internal errors -------------------------------------------------------------------------------
def _boom(ctx):
    for cr in ctx.ws.objects_of("LlamaStackDistribution"):
        source = cr.source
        raise KeyError(f"boom in {source.path}")
    yield from ()


def _recurse(ctx):
    def down(n):
        return down(n + 1)

    yield from ()
    down(0)


@pytest.mark.parametrize(
    ("check", "fragment"),
    [
        (_boom, "internal error in SA102 (image-unverifiable) while checking cr.yaml: KeyError: "),
        (
            _recurse,
            "internal error in SA102 (image-unverifiable): RecursionError: maximum recursion",
        ),
    ],
)
def test_a_failing_rule_is_reported_and_the_run_goes_on(tmp_path, monkeypatch, check, fragment):
    monkeypatch.setattr(images, "image_unverifiable", check)
    monkeypatch.delenv("STACKALIGN_DEBUG", raising=False)
    result = lint_files(
        tmp_path, {"cr.yaml": CR_0_3, "bad.yaml": "kind: LlamaStackDistribution\n["}, target=T225
    )
    assert [(r, p, line, col) for r, p, line, col, _ in found(result)] == [
        ("SA001", "bad.yaml", 2, 1),
        ("SA101", "cr.yaml", 7, 14),
    ]
    assert len(result.errors) == 1
    assert fragment in result.errors[0]
    assert result.errors[0].endswith("please report it (set STACKALIGN_DEBUG=1 for the traceback).")


def test_a_failing_rule_exits_2_with_a_message_and_no_traceback(tmp_path, monkeypatch, capsys):
    from linter import cli

    write_files(tmp_path, {"cr.yaml": CR_0_3})
    monkeypatch.setattr(images, "image_unverifiable", _boom)
    monkeypatch.delenv("STACKALIGN_DEBUG", raising=False)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(
        sys, "argv", ["stackalign", "lint", ".", "--format", "json", "--target", "rhoai=2.25"]
    )
    with pytest.raises(SystemExit) as exit_info:
        cli.main()
    out, err = capsys.readouterr()
    assert exit_info.value.code == 2
    assert '"rule": "SA101"' in out  # the report is still written
    assert "stackalign: internal error in SA102 (image-unverifiable) while checking cr.yaml" in err
    assert "Traceback" not in out + err


def test_the_cli_never_shows_a_traceback_on_hostile_files(tmp_path):
    files = {
        "unclosed.yaml": CR + "spec: [\n",
        "nul.yaml": CR.encode() + b"\x00",
        "latin1.yaml": CR.encode() + b"x: caf\xe9\n",
        "deep.yaml": CR + "spec: " + "[" * 20_000 + "\n",
        "bomb.yaml": CR + "spec:\n" + bomb("  "),
        "templates/lsd.yaml": HELM_BREAKS,
        "deep.py": "stored_chunk_id = " + "-" * 5000 + "1\n",
        "syntax.py": "stored_chunk_id = (\n",
        "empty.yaml": "",
    }
    write_files(tmp_path, files)
    (tmp_path / "dangling.yaml").symlink_to(tmp_path / "nowhere.yaml")
    os.mkfifo(tmp_path / "pipe.yaml")
    proc = subprocess.run(
        [sys.executable, "-m", "linter", "lint", ".", "--format", "json", "--target", "rhoai=2.22"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "STACKALIGN_DEBUG": ""},
    )
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr
    import json

    report = json.loads(proc.stdout)
    sa001 = sorted(f["path"] for f in report["findings"] if f["rule"] == "SA001")
    assert sa001 == [
        "deep.py",
        "deep.yaml",
        "latin1.yaml",
        "nul.yaml",
        "pipe.yaml",
        "syntax.py",
        "templates/lsd.yaml",
        "unclosed.yaml",
    ]


# -- security --------------------------------------------------------------------------------------
def test_linted_python_is_never_executed_or_imported(tmp_path):
    marker = tmp_path / "MARKER"
    program = (
        f"open({str(marker)!r}, 'w').write('ran')\n"
        "raise SystemExit(7)\n"
        "chunk = {'stored_chunk_id': 'x'}\n"
    )
    files = {
        "pipeline.py": program,
        "sitecustomize.py": program,
        "conftest.py": program,
        "__init__.py": program,
        "setup.py": program,
    }
    result = lint_files(tmp_path, files, target=T225)
    assert not marker.exists()
    assert result.errors == []
    assert len(result.workspace.python_sources) == len(files)


TAGS = [
    "!!python/object/apply:os.system ['touch {m}']",
    "!!python/object/apply:subprocess.check_call [[touch, '{m}']]",
    "!!python/object/new:os.system ['touch {m}']",
    "!!python/name:os.system",
    "!!python/module:os",
    "!!binary aGVsbG8=",
    "!!set {a, b}",
    "!custom {x: 1}",
]


@pytest.mark.parametrize("tag", TAGS)
def test_yaml_tags_never_construct_objects(tmp_path, tag):
    marker = tmp_path / "MARKER"
    value = tag.replace("{m}", str(marker))
    files = {
        "cr.yaml": CR_0_3 + f"  extra: {value}\n",
        "run.yaml": RUN + f"x: {value}\n",
        "cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata:\n  run.yaml: |\n"
        + "".join("    " + line + "\n" for line in (RUN + f"x: {value}\n").splitlines()),
    }
    result = lint_files(tmp_path, files, target=T225)
    assert not marker.exists()
    assert result.errors == []
    assert "SA001" not in {r for r, *_ in found(result)}
    assert ("SA101", "cr.yaml", 7, 14) in [
        (r, p, line, col) for r, p, line, col, _ in found(result)
    ]


def test_no_network(monkeypatch):
    """Linting never opens a socket (monkeypatched to fail loudly) nor resolves a host name."""
    attempts: list[str] = []

    def refuse(*args, **kw):
        attempts.append(repr(args))
        raise OSError("network access during a lint")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    for example in ("story", "clean"):
        result = lint_dir(REPO / "examples" / example)
        assert result.errors == []
        assert "SA001" not in {f.rule for f in result.findings}
    assert attempts == []


# -- fixes -----------------------------------------------------------------------------------------
FIXABLE_RUN = (
    "version: '2'\napis: [inference]\nproviders:\n  inference:\n  - provider_id: vllm\n"
    "    provider_type: remote::vllm\n    config:\n      url: ${env.VLLM_URL:http://localhost:8000/v1}\n"
)


def _opts(root: Path):
    from linter.engine import Options

    return Options(paths=["."], target=T225, cwd=root)


def test_fixes_never_touch_a_file_that_does_not_parse(tmp_path):
    broken = FIXABLE_RUN + "  broken: [\n"
    write_files(tmp_path, {"broken/run.yaml": broken, "ok/run.yaml": FIXABLE_RUN})
    out = fix_repository(_opts(tmp_path), unsafe=True)
    written = write_fixed(out)
    assert written == ["ok/run.yaml"]
    assert (tmp_path / "broken/run.yaml").read_text() == broken
    assert "${env.VLLM_URL:=http://localhost:8000/v1}" in (tmp_path / "ok/run.yaml").read_text()
    assert [(f.rule, f.path) for f in out.result.findings] == [("SA001", "broken/run.yaml")]


def test_a_failed_write_leaves_the_file_and_no_temp_file(tmp_path, monkeypatch):
    write_files(tmp_path, {"run.yaml": FIXABLE_RUN})
    out = fix_repository(_opts(tmp_path), unsafe=True)
    assert out.changed()

    def fail(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", fail)
    assert write_fixed(out) == []
    assert (tmp_path / "run.yaml").read_text() == FIXABLE_RUN
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run.yaml"]
    assert out.failed == [
        ("run.yaml", "cannot write: No space left on device; the file is unchanged")
    ]


def test_a_fix_that_would_break_the_file_is_refused(tmp_path, monkeypatch):
    from linter import fixes

    write_files(tmp_path, {"run.yaml": FIXABLE_RUN})
    real_apply = fixes.apply_edits
    monkeypatch.setattr(fixes, "apply_edits", lambda text, edits: real_apply(text, edits) + "[\n")
    out = fix_repository(_opts(tmp_path), unsafe=True)
    assert out.changed() == []
    assert write_fixed(out) == []
    assert (tmp_path / "run.yaml").read_text() == FIXABLE_RUN
    assert out.failed and "the fix would break the file" in out.failed[0][1]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run.yaml"]
