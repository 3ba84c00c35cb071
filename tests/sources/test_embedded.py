"""An embedded run.yaml maps back to exact positions of the outer file, for every scalar style."""

from __future__ import annotations

import pytest

from linter.sources import yaml as y
from linter.workspace import Workspace

LITERAL = """apiVersion: v1
kind: ConfigMap
metadata:
  name: cfg
data:
  run.yaml: |
    version: 2
    apis: [vector_io]
    providers:
      vector_io:
      - provider_id: milvus
        config:
          auto_id: true
"""

FOLDED_KEEP = LITERAL.replace("run.yaml: |", "run.yaml: |+")

DOUBLE = (
    "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cfg}\ndata:\n"
    "  stack_run_config.yaml: \"version: '2'\\napis:\\n- vector_io\\nproviders:\\n  vector_io:\\n\\\n"
    '    \\  - provider_id: milvus\\n    config:\\n      auto_id: true\\n"\n'
)


def _auto_id(text: str):
    src = y.parse_file("cm.yaml", text)
    ws = Workspace(root=".")
    ws.add_yaml(src)
    assert len(ws.run_configs) == 1
    rc = ws.run_configs[0]
    prov = y.seq(y.get_path(rc.root, "providers", "vector_io"))[0]
    key, _ = y.get_item(y.get(prov, "config"), "auto_id")
    return rc, rc.source.span(key)


@pytest.mark.parametrize("text", [LITERAL, FOLDED_KEEP])
def test_literal_block_positions(text):
    rc, span = _auto_id(text)
    assert rc.label == "ConfigMap/cfg:data.run.yaml"
    assert (span.start.line, span.start.column, span.end.line, span.end.column) == (13, 11, 13, 18)
    line = text.splitlines()[12]
    assert line[10:17] == "auto_id"


def test_double_quoted_with_escapes_and_fold():
    rc, span = _auto_id(DOUBLE)
    lines = DOUBLE.splitlines()
    # the key sits on YAML line 6, after the escaped "\n      " of the previous program line
    assert span.start.line == 6
    assert lines[5][span.start.column - 1 : span.end.column - 1] == "auto_id"


def test_crlf_literal_block():
    rc, span = _auto_id(LITERAL.replace("\n", "\r\n"))
    assert (span.start.line, span.start.column) == (13, 11)


def test_embedded_parse_error_points_into_outer_file():
    text = LITERAL.replace("apis: [vector_io]", "apis: [vector_io")
    src = y.parse_file("cm.yaml", text)
    ws = Workspace(root=".")
    ws.add_yaml(src)
    assert ws.run_configs == []
    (p,) = ws.problems
    assert p.path == "cm.yaml" and p.line == 9


def test_folded_block_with_blank_line_separators():
    # a folded scalar turns each blank line into a newline: still a YAML document
    text = (
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cfg}\ndata:\n  run.yaml: >\n"
        "    version: 2\n\n    apis: [vector_io]\n\n    providers: {vector_io: [{provider_id: m, config: {auto_id: true}}]}\n"
    )
    rc, span = _auto_id(text)
    line = text.splitlines()[span.start.line - 1]
    assert span.start.line == 10 and line[span.start.column - 1 : span.end.column - 1] == "auto_id"


def test_config_map_generator_links_the_run_yaml_file(tmp_path):
    from tests.helpers import lint_files

    files = {
        "kustomization.yaml": "configMapGenerator:\n- name: run-config\n  files:\n  - run.yaml=llama/run.yaml\nresources:\n- lsd.yaml\n",
        "llama/run.yaml": "version: '2'\napis: [inference]\nproviders:\n  inference:\n  - provider_id: vllm\n    provider_type: remote::vllm\n    config:\n      url: ${env.VLLM_URL:=http://vllm:8000/v1}\n",
        "lsd.yaml": "apiVersion: llamastack.io/v1alpha1\nkind: LlamaStackDistribution\nmetadata: {name: llama}\nspec:\n  server:\n    distribution: {image: 'quay.io/redhat-et/llama:vllm-0.2.7'}\n    userConfig: {configMapName: run-config}\n",
    }
    r = lint_files(tmp_path, files, target={"rhoai": "2.25"})
    (rc,) = r.workspace.run_configs
    assert rc.generator == ("kustomization.yaml", "run-config", "run.yaml")
    sa205 = [f for f in r.findings if f.rule == "SA205"]
    # judged against the CR's 0.2.7 image (old syntax), not the platform's 0.2.22
    assert [(f.path, f.span.start.line, f.span.start.column) for f in sa205] == [
        ("llama/run.yaml", 8, 12)
    ]
    assert "0.2.7" in sa205[0].message and "assumed" not in sa205[0].message
