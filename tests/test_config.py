"""Configuration: `.stackalign.yaml` and `[tool.stackalign]`, validated with errors that name the key
and the line (exit 2); what each setting does; `stackalign init`; the schemas are current."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from linter.cli import cli
from linter.config import ConfigError, glob_problem, load_config
from tests.helpers import SUB, load_script, lsd

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def repo(tmp_path, monkeypatch):
    (tmp_path / ".git").mkdir()
    (tmp_path / "gitops").mkdir()
    (tmp_path / "gitops/lsd.yaml").write_text(lsd("llama", "0.3.0"))  # SA101 on RHOAI 2.25
    (tmp_path / "vendor").mkdir()
    (tmp_path / "vendor/lsd.yaml").write_text(lsd("vendored", "latest"))  # SA102
    monkeypatch.chdir(tmp_path)
    return tmp_path


def lint(*args: str):
    return CliRunner().invoke(cli, ["lint", "--format", "json", *args])


def rules_found(res) -> list[tuple[str, str, str]]:
    doc = json.loads(res.output)
    return sorted((f["rule"], f["path"], f["level"]) for f in doc["findings"])


# -- errors: exit 2, key and line named -------------------------------------------------------------
@pytest.mark.parametrize(
    "config, expected",
    [
        (
            'target:\n  rhoai: "2.25"\nexlude: [vendor]\n',
            ".stackalign.yaml:3:1: unknown key `exlude` (did you mean `exclude`?)",
        ),
        (
            'target:\n  rhoai: "2.25"\n  platform: odh\n',
            ".stackalign.yaml:3:3: unknown key `target.platform`",
        ),
        (
            'target:\n  rhoai: "two"\n',
            ".stackalign.yaml:2:10: `target.rhoai`: 'two' is not a version",
        ),
        ("target:\n  rhoai: 2.20\n", '2:10: `target.rhoai`: 2.20 is a number; quote it ("2.20")'),
        (
            "exclude:\n  - vendor\n  - 'gitops/[ab'\n",
            ".stackalign.yaml:3:5: `exclude[1]`: bad glob 'gitops/[ab': unclosed `[`",
        ),
        ("include: [/abs/path]\n", "1:11: `include[0]`: bad glob '/abs/path': absolute path"),
        ("rules:\n  SA101: loud\n", '2:10: `rules.SA101`: "loud" is not a level'),
        ("rules:\n  SA101: {level: note, why: x}\n", "2:24: unknown key `rules.SA101.why`"),
        ("select: SA1\n", "1:9: `select`: 'SA1' is not of type 'array'"),
        ("target: [rhoai]\n", "1:9: `target`: ['rhoai'] is not of type 'object'"),
        ("target: {rhoai: '2.25'\n", ".stackalign.yaml:1:9: not valid YAML"),
        ("- a\n- b\n", "the configuration must be a mapping"),
    ],
)
def test_config_errors_exit_2_naming_key_and_line(repo, config, expected):
    (repo / ".stackalign.yaml").write_text(config)
    res = lint()
    assert res.exit_code == 2, res.output
    assert "configuration error: " in res.output
    assert expected in res.output
    assert "Traceback" not in res.output


def test_unknown_rules_in_config_exit_2_with_line(repo):
    (repo / ".stackalign.yaml").write_text("select: [SA1]\nignore: [SA9]\nrules:\n  SA999: off\n")
    res = lint()
    assert res.exit_code == 2
    assert ".stackalign.yaml:2:10: `ignore[0]`: unknown rule 'SA9'" in res.output
    assert ".stackalign.yaml:4:3: `rules.SA999`: unknown rule 'SA999'" in res.output


def test_all_errors_at_once_in_line_order(repo):
    (repo / ".stackalign.yaml").write_text("exlude: []\ntarget: {rhoai: x}\nbogus: 1\n")
    with pytest.raises(ConfigError) as err:
        load_config(repo / ".stackalign.yaml")
    lines = str(err.value).splitlines()
    assert [line.split(":")[1] for line in lines] == ["1", "2", "3"]


BAD_RULE = """\
id: SA991
name: our-rule
level: fatal
check: unknown_target
summary: "one of ours"
messages: {other: "x"}
help: |
  ## What it does
examples:
  - {kind: valid, description: none, files: {a.yaml: "a: 1\\n"}}
"""


def test_a_bad_rule_file_is_exit_2_with_every_problem_under_its_key(repo):
    (repo / "ci").mkdir()
    (repo / "ci/SA991.yaml").write_text(BAD_RULE)
    (repo / ".stackalign.yaml").write_text("rule-files: [ci/SA991.yaml]\n")
    res = lint()
    assert res.exit_code == 2 and "Traceback" not in res.output
    text = res.output
    assert "ci/SA991.yaml: 1 validation error(s) for Rule\nlevel\n  Input should be 'error'" in text
    assert "\nhelp\n  lacks the sections ## Why is this bad?, ## Example," in text
    assert "\nmessages\n  needs a `default` entry" in text
    (repo / "ci/SA991.yaml").write_text(BAD_RULE.replace("fatal", "note"))
    res = lint()
    assert res.exit_code == 2
    assert "ci/SA991.yaml: 2 problem(s)\nhelp\n  lacks the sections" in res.output


def test_explicit_config_file(repo):
    (repo / "ci.yaml").write_text("tarjet: {}\n")
    res = lint("--config", "ci.yaml")
    assert res.exit_code == 2 and "ci.yaml:1:1: unknown key `tarjet`" in res.output


# -- what the settings do ---------------------------------------------------------------------------
def test_target_exclude_select_and_levels(repo):
    assert rules_found(lint()) == [("SA102", "vendor/lsd.yaml", "warning")]  # no target: no SA101
    (repo / ".stackalign.yaml").write_text('target: {rhoai: "2.25"}\nexclude: [vendor]\n')
    assert rules_found(lint()) == [("SA101", "gitops/lsd.yaml", "error")]
    (repo / ".stackalign.yaml").write_text(
        'target: {rhoai: "2.25"}\nrules:\n  SA101: note\n  image-unverifiable: {level: error}\n'
    )
    assert rules_found(lint()) == [
        ("SA101", "gitops/lsd.yaml", "note"),
        ("SA102", "vendor/lsd.yaml", "error"),
    ]
    assert lint().exit_code == 1
    assert lint("--fail-on", "error").exit_code == 1
    (repo / ".stackalign.yaml").write_text('target: {rhoai: "2.25"}\nrules:\n  SA102: off\n')
    assert rules_found(lint()) == [("SA101", "gitops/lsd.yaml", "error")]
    (repo / ".stackalign.yaml").write_text(
        'target: {rhoai: "2.25"}\nselect: [SA1]\nignore: [SA101]\n'
    )
    assert rules_found(lint()) == [("SA102", "vendor/lsd.yaml", "warning")]


def test_include_globs(repo):
    (repo / ".stackalign.yaml").write_text('target: {rhoai: "2.25"}\ninclude: ["gitops/**"]\n')
    assert rules_found(lint()) == [("SA101", "gitops/lsd.yaml", "error")]
    (repo / ".stackalign.yaml").write_text('target: {rhoai: "2.25"}\ninclude: ["**/lsd.yaml"]\n')
    assert len(rules_found(lint())) == 2


def test_config_exclude_applies_to_files_named_by_pre_commit(repo):
    (repo / ".stackalign.yaml").write_text('target: {rhoai: "2.25"}\nexclude: ["vendor/"]\n')
    res = lint("vendor/lsd.yaml", "gitops/lsd.yaml")
    assert rules_found(res) == [("SA101", "gitops/lsd.yaml", "error")]


def test_pyproject_table(repo):
    (repo / "pyproject.toml").write_text(
        '[project]\nname = "x"\n\n[tool.stackalign]\ntarget = {rhoai = "2.25"}\n'
        'exclude = ["vendor"]\n\n[tool.stackalign.rules]\nSA101 = "note"\n'
    )
    assert rules_found(lint()) == [("SA101", "gitops/lsd.yaml", "note")]
    (repo / "pyproject.toml").write_text(
        '[tool.stackalign]\ntarget = {rhoai = "2.25"}\nexcluded = ["vendor"]\n'
    )
    res = lint()
    assert res.exit_code == 2 and "pyproject.toml:3:1: unknown key `excluded`" in res.output


def test_a_pyproject_without_the_table_is_not_a_config(repo):
    (repo / "pyproject.toml").write_text('[project]\nname = "x"\n')
    assert rules_found(lint()) == [("SA102", "vendor/lsd.yaml", "warning")]


def test_stackalign_yaml_wins_over_pyproject(repo):
    (repo / "pyproject.toml").write_text("[tool.stackalign]\nbogus = 1\n")
    (repo / ".stackalign.yaml").write_text('target: {rhoai: "2.25"}\n')
    assert lint().exit_code == 1


@pytest.mark.parametrize(
    "pattern, ok",
    [
        ("vendor", True),
        ("gitops/**/*.yaml", True),
        ("[!a]*.yaml", True),
        ("a[]]b", True),
        ("", False),
        ("a[b", False),
        ("/x", False),
        ("C:\\x", False),
        ("a**/b", False),
    ],
)
def test_glob_problem(pattern, ok):
    assert (glob_problem(pattern) is None) == ok


# -- init -------------------------------------------------------------------------------------------
def test_init_writes_a_valid_commented_config_with_the_detected_target(repo):
    (repo / "gitops/sub.yaml").write_text(SUB)
    res = CliRunner().invoke(cli, ["init"])
    assert res.exit_code == 0, res.output
    text = (repo / ".stackalign.yaml").read_text()
    assert "# Detected from gitops/sub.yaml:6" in text
    assert 'target:\n  rhoai: "2.25"\n' in text
    cfg = load_config(repo / ".stackalign.yaml")
    assert cfg.target == {"rhoai": "2.25"} and cfg.exclude == []
    again = CliRunner().invoke(cli, ["init"])
    assert again.exit_code == 2 and "already exists" in again.output
    assert CliRunner().invoke(cli, ["init", "--force"]).exit_code == 0


def test_init_without_a_detectable_target(repo):
    res = CliRunner().invoke(cli, ["init"])
    assert res.exit_code == 0, res.output
    text = (repo / ".stackalign.yaml").read_text()
    assert "No platform detected" in text and '#   rhoai: "<release>"' in text
    assert load_config(repo / ".stackalign.yaml").target == {}


# -- schemas ----------------------------------------------------------------------------------------
def _gen_schemas():
    return load_script("gen_schemas")


def test_checked_in_schemas_are_current():
    gen = _gen_schemas()
    for name, schema in gen.schemas().items():
        path = REPO / "schemas" / name
        assert path.read_text(encoding="utf-8") == gen.render(schema), (
            f"schemas/{name} is out of date: run python scripts/gen_schemas.py"
        )


def test_schemas_accept_the_shipped_rule_pack_and_knowledge_base():
    from jsonschema import Draft202012Validator

    from linter.yamlload import load_data_file

    for name, folder in (("rule", REPO / "rules"), ("knowledge", REPO / "rules/knowledge")):
        schema = json.loads((REPO / f"schemas/{name}.schema.json").read_text())
        validator = Draft202012Validator(schema)
        files = sorted(folder.glob("SA*.yaml" if name == "rule" else "*.yaml"))
        assert files
        for path in files:
            errors = [e.message for e in validator.iter_errors(load_data_file(path))]
            assert errors == [], (path.name, errors[:3])
