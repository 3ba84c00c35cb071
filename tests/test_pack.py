"""The rule pack and knowledge base: stackalign's own files load without validation at run time,
so the tests validate them (and prove the plain load builds what validation builds); any other
rule file is validated when it loads, against its check kind's parameters and message fields."""

from __future__ import annotations

from pathlib import Path

import pytest

from linter.knowledge import KnowledgeFile
from linter.resources import knowledge_dir, rules_dir
from linter.rulepack import RulePackError, load_rule_file
from linter.validation import construct, validate
from linter.yamlload import load_data_file

RULE_FILES = sorted(rules_dir().glob("SA*.yaml"))
KNOWLEDGE_FILES = sorted(knowledge_dir().glob("*.yaml"))


@pytest.mark.parametrize("path", RULE_FILES, ids=lambda p: p.name)
def test_each_builtin_rule_file_is_valid_and_loads_the_same_plainly(path: Path):
    assert load_rule_file(path, trusted=False) == load_rule_file(path, trusted=True)


@pytest.mark.parametrize("path", KNOWLEDGE_FILES, ids=lambda p: p.name)
def test_each_builtin_knowledge_file_is_valid_and_loads_the_same_plainly(path: Path):
    data = load_data_file(path) or {}
    assert validate(KnowledgeFile, data) == construct(KnowledgeFile, data)


def _rule_file(tmp_path: Path, **changes: str) -> Path:
    text = (rules_dir() / "SA202-milvus-schema-override.yaml").read_text(encoding="utf-8")
    for old, new in changes.items():
        assert old in text
        text = text.replace(old, new, 1)
    path = tmp_path / "SA991-mine.yaml"
    path.write_text(text.replace("id: SA202", "id: SA991", 1), encoding="utf-8")
    return path


def test_a_misspelt_parameter_fails_at_load_with_its_line(tmp_path):
    path = _rule_file(tmp_path, **{"  passthrough:": "  pass_through:"})
    with pytest.raises(RulePackError) as err:
        load_rule_file(path)
    assert f"{path}: 1 problem(s)" in str(err.value)
    assert (
        "params.pass_through (line 9)\n  unknown parameter `pass_through` "
        "(allowed: keys, passthrough)" in str(err.value)
    )


def test_a_parameter_of_the_wrong_type_fails_at_load(tmp_path):
    path = _rule_file(tmp_path, **{"  passthrough: [": "  passthrough: 3 #["})
    with pytest.raises(RulePackError) as err:
        load_rule_file(path)
    assert "params (line 7)" in str(err.value) and "passthrough" in str(err.value)


def test_a_message_field_the_check_never_fills_fails_at_load_with_its_line(tmp_path):
    path = _rule_file(tmp_path, **{"never reads `{key}`": "never reads `{keyname}`"})
    with pytest.raises(RulePackError) as err:
        load_rule_file(path)
    assert "messages.default (line 15)\n  names {keyname}, which check kind" in str(err.value)
    assert "'milvus_schema_override' never fills (it fills: key, provider_type," in str(err.value)


def test_an_unknown_check_kind_fails_at_load(tmp_path):
    path = _rule_file(tmp_path, **{"check: milvus_schema_override": "check: milvus_schema"})
    with pytest.raises(RulePackError) as err:
        load_rule_file(path)
    assert "check (line 4)\n  unknown check kind 'milvus_schema'" in str(err.value)
