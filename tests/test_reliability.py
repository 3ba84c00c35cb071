"""Issue 14 (reliability and security): one regression test (or a few) per defect, named
`test_iNN_...` after the item of the issue. Each failed on the commit the issue was filed against
(a48d313) and passes since. Items 4 and 14 (git config in files mode, duplicate and unnormalised
paths) are tested with the engine's own tests.
"""

from __future__ import annotations

import codecs
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from linter import engine
from linter.engine import Options
from linter.fixes import atomic_write, fix_repository, write_fixed
from tests.helpers import SUB, cli_in, lint_files, write_files

REPO = Path(__file__).resolve().parent.parent
STORY = REPO / "examples" / "story"
STORY_CONFIG = STORY / "gitops" / "llamastack" / "llama-stack-config.yaml"
T225 = {"rhoai": "2.25"}
#: A CR whose image (an old community build) has an unsafe fix to `name: rh-dev` on RHOAI 2.25.
LLSD = (
    "kind: LlamaStackDistribution\napiVersion: llamastack.io/v1alpha1\nmetadata: {name: x}\n"
    "spec:\n  server:\n    distribution:\n      image: quay.io/redhat-et/llama:vllm-milvus-0.2.8\n"
)
LLSD_FIXED = LLSD.replace("image: quay.io/redhat-et/llama:vllm-milvus-0.2.8", "name: rh-dev")
BOM = codecs.BOM_UTF8
SECRET = "ghp_s3cr3tT0kenValue0123456789"


#: FIFOs, alias bombs and deep nesting must return promptly (tests/conftest.py hang_guard)
pytestmark = pytest.mark.usefixtures("hang_guard")


def _lint(cwd: Path, *args: str):
    return cli_in(cwd, "lint", *args)


# -- 1: a file saved during --fix is never corrupted, and never written ------------------------------
def test_i01_a_file_saved_after_the_lint_read_it_is_neither_corrupted_nor_written(
    tmp_path, monkeypatch
):
    """The user saves the file between the lint pass (which computed the edits' offsets) and the
    fix loop: the edits must apply to the bytes the lint read, and the new file is not written."""
    write_files(tmp_path, {"a.yaml": STORY_CONFIG.read_bytes(), "sub.yaml": SUB})
    saved = b"# x\n" + STORY_CONFIG.read_bytes()
    real_run = engine.run
    calls = []

    def run_then_save(opts, *args, **kw):
        result = real_run(opts, *args, **kw)
        if not calls:
            (tmp_path / "a.yaml").write_bytes(saved)  # the editor saves while stackalign fixes
        calls.append(1)
        return result

    monkeypatch.setattr(engine, "run", run_then_save)
    out = fix_repository(Options(paths=["."], cwd=tmp_path), unsafe=True)
    abspath = str(tmp_path / "a.yaml")
    # the fixed text is the linted bytes with the edits: nothing is cut in the middle of a word
    assert out.originals[abspath] == STORY_CONFIG.read_bytes()
    fixed = out.overlay[abspath].decode()
    assert "StrINE" not in fixed and "dimensi384" not in fixed
    assert "embedding_dimension: 384" in fixed and "auto_id" not in fixed
    assert write_fixed(out) == []
    assert out.failed == [("a.yaml", "the file changed since it was read; not written")]
    assert (tmp_path / "a.yaml").read_bytes() == saved


def test_i01_the_disk_is_compared_right_before_the_rename(tmp_path, monkeypatch):
    """A write that lands after stackalign's temp file was written, before the rename: refused."""
    from linter.fixes import FileChanged

    p = tmp_path / "f.yaml"
    p.write_bytes(b"a: 1\n")
    real_chmod = os.chmod

    def chmod_then_save(path, mode, *a, **kw):  # atomic_write chmods the temp file last
        real_chmod(path, mode, *a, **kw)
        p.write_bytes(b"a: 1\nb: 2\n")

    monkeypatch.setattr(os, "chmod", chmod_then_save)
    with pytest.raises(FileChanged):
        atomic_write(p, b"a: 2\n", expected=b"a: 1\n")
    assert p.read_bytes() == b"a: 1\nb: 2\n"
    assert [x.name for x in tmp_path.iterdir()] == ["f.yaml"]  # no temp file left


# -- 2: two BOMs (or BOM + U+FEFF) keep every offset exact --------------------------------------------
def test_i02_a_second_bom_is_read_as_libyaml_reads_the_bytes(tmp_path):
    """BOM BOM `kind:`: libyaml indents the first line by the second BOM, so the file does not
    parse (kubectl's parser agrees); never a fix that lands one character off (`name: rh-dev8`)."""
    data = BOM + BOM + LLSD.encode()
    write_files(tmp_path, {"llsd.yaml": data})
    out = fix_repository(Options(paths=["llsd.yaml"], cwd=tmp_path, target=T225), unsafe=True)
    assert write_fixed(out) == []
    assert (tmp_path / "llsd.yaml").read_bytes() == data
    [f] = out.result.findings
    assert (f.rule, f.span.start.line, f.span.start.column) == ("SA001", 2, 1)
    assert "second byte order mark" in f.message


def test_i02_offsets_after_bom_and_u_feff_are_exact(tmp_path):
    head = BOM + "\ufeff# comment\n".encode()  # parses: the comment takes the indented column
    write_files(
        tmp_path,
        {"llsd.yaml": head + LLSD.encode(), "cm.yaml": head + STORY_CONFIG.read_bytes()},
    )
    out = fix_repository(Options(paths=["."], cwd=tmp_path, target=T225), unsafe=True)
    assert out.failed == []
    assert sorted(write_fixed(out)) == ["cm.yaml", "llsd.yaml"]
    assert (tmp_path / "llsd.yaml").read_bytes() == head + LLSD_FIXED.encode()
    cm = (tmp_path / "cm.yaml").read_bytes()
    assert cm.startswith(head) and b"embedding_dimension: 384\n" in cm
    assert b"auto_id" not in cm and b"768" not in cm.split(b"embedding_model")[0][-200:]


def test_i02_a_configmap_behind_two_boms_never_costs_the_report(tmp_path):
    write_files(
        tmp_path,
        {"cm.yaml": BOM + BOM + STORY_CONFIG.read_bytes(), "llsd.yaml": LLSD, "sub.yaml": SUB},
    )
    for args in ([], ["--diff", "--unsafe-fixes"]):
        res = _lint(tmp_path, *args, "--format", "json") if not args else _lint(tmp_path, *args)
        assert res.exit_code == 1, res.output
        assert "internal error" not in res.output
    doc = json.loads(_lint(tmp_path, "--format", "json").stdout)
    assert [(f["rule"], f["path"]) for f in doc["findings"]] == [
        ("SA001", "cm.yaml"),
        ("SA103", "llsd.yaml"),
    ]


# -- 3: a repository's config never reads (or prints) a file outside it ------------------------------
@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A repository in tmp_path/repo and a secret file next to it, outside."""
    root = tmp_path / "repo"
    (root / ".git").mkdir(parents=True)
    write_files(root, {"llsd.yaml": LLSD, "sub.yaml": SUB})
    (tmp_path / "secret.env").write_text(f"TOKEN={SECRET}\nroot:{SECRET}:19000:0:99999:7:::\n")
    return root


def _config_error(root: Path, *args: str) -> str:
    res = _lint(root, *args)
    assert res.exit_code == 2, res.output
    assert SECRET not in res.output and "Traceback" not in res.output
    return res.output


@pytest.mark.parametrize(
    ("config", "fragment"),
    [
        ("knowledge-files: [{secret}]", "`knowledge-files[0]`"),
        ("rule-files: [{secret}]", "`rule-files[0]`"),
        ("rule-files: [../secret.env]", "leaves the repository"),
        ("knowledge-files: [../../../../../../../..{secret}]", "leaves the repository"),
        ("rule-files: [/dev/zero]", "an absolute path"),
    ],
)
def test_i03_files_named_by_the_config_stay_inside_the_repository(repo, config, fragment):
    secret = str(repo.parent / "secret.env")
    (repo / ".stackalign.yaml").write_text(config.format(secret=secret) + "\n")
    out = _config_error(repo)
    assert "configuration error: .stackalign.yaml:1:" in out and fragment in out


def test_i03_a_link_inside_the_repository_to_a_file_outside_is_refused(repo):
    (repo / "ci").mkdir()
    (repo / "ci" / "facts.yaml").symlink_to(repo.parent / "secret.env")
    (repo / ".stackalign.yaml").write_text("knowledge-files: [ci/facts.yaml]\n")
    assert "leaves the repository (through `..` or a symlink)" in _config_error(repo)


def test_i03_a_config_that_is_a_link_out_of_the_repository_is_refused(repo):
    (repo / ".stackalign.yaml").symlink_to(repo.parent / "secret.env")
    out = _config_error(repo)
    assert ".stackalign.yaml: a symlink that leaves the repository" in out


def test_i03_the_git_folder_is_out_of_bounds(repo):
    """actions/checkout keeps the job's token in .git/config."""
    (repo / ".git" / "config").write_text(
        f'[http "https://github.com/"]\n\textraheader = AUTHORIZATION: basic {SECRET}\n'
    )
    (repo / ".stackalign.yaml").write_text("knowledge-files: [.git/config]\n")
    assert "inside the repository's .git folder" in _config_error(repo)


@pytest.mark.parametrize("key", ["knowledge-files", "rule-files"])
def test_i03_errors_in_a_named_file_never_quote_its_content(repo, key):
    (repo / "facts.yaml").write_text(f"{SECRET}\n")  # a plain string, not a mapping
    (repo / ".stackalign.yaml").write_text(f"{key}: [facts.yaml]\n")
    out = _config_error(repo)
    assert "facts.yaml" in out and "(top level)" in out


def test_i03_a_fifo_named_by_the_config_is_refused_without_blocking(repo):
    os.mkfifo(repo / "rules.yaml")
    (repo / ".stackalign.yaml").write_text("rule-files: [rules.yaml]\n")
    assert "not a regular file (a named pipe)" in _config_error(repo)


# -- 5: an alias bomb in the configuration ----------------------------------------------------------
def test_i05_an_alias_bomb_in_the_config_is_one_short_error(repo):
    levels = "".join(f"  - &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]\n" for i in range(1, 9))
    config = "exclude:\n  - &a0 [x, x, x, x, x, x, x, x, x]\n" + levels
    (repo / ".stackalign.yaml").write_text(config)
    out = _config_error(repo)
    assert "aliases are expanded" in out and len(out) < 1000


# -- 6: init never writes through a symlink ---------------------------------------------------------
def test_i06_init_refuses_a_dangling_link(repo):
    outside = repo.parent / "created-outside.yaml"
    (repo / ".stackalign.yaml").symlink_to(outside)
    for args in ([], ["--force"]):
        res = cli_in(repo, "init", *args)
        assert res.exit_code == 2, res.output
        assert not outside.exists() and (repo / ".stackalign.yaml").is_symlink()


def test_i06_init_force_never_overwrites_the_target_of_a_link(repo):
    target = repo.parent / "secret.env"
    before = target.read_bytes()
    (repo / ".stackalign.yaml").symlink_to(target)
    res = cli_in(repo, "init", "--force")
    assert res.exit_code == 2 and "symlink" in res.output
    assert target.read_bytes() == before and (repo / ".stackalign.yaml").is_symlink()


def test_i06_init_force_replaces_a_regular_file(repo):
    (repo / ".stackalign.yaml").write_text("exclude: []\n")
    assert cli_in(repo, "init", "--force").exit_code == 0
    assert 'rhoai: "2.25"' in (repo / ".stackalign.yaml").read_text()


# -- 7: no terminal escapes from the repository in what stackalign prints ----------------------------
OSC_NAME = "x\x1b]0;PWN\x07\x1b[2J.yaml"
#: an image whose decoded value holds an OSC title and a CSI clear (YAML escapes \e and \a)
OSC_VALUE = LLSD.replace(
    "image: quay.io/redhat-et/llama:vllm-milvus-0.2.8",
    'image: "llamastack/distribution-starter:0.3.0\\e]0;PWN\\a\\e[2J\\x9b2J"',
)


@pytest.mark.parametrize("fmt", ["text", "github"])
def test_i07_control_characters_are_escaped_in_text_and_github_output(tmp_path, fmt):
    write_files(tmp_path, {OSC_NAME: LLSD, "value.yaml": OSC_VALUE})
    res = _lint(tmp_path, "--target", "rhoai=2.25", "--format", fmt)
    assert res.exit_code == 1, res.output
    out = res.stdout
    assert not any(c in out for c in "\x1b\x07\x9b"), repr(out)
    assert "x\\x1b]0;PWN\\x07\\x1b[2J.yaml" in out  # the file, still recognisable
    assert "0.3.0\\x1b]0;PWN\\x07\\x1b[2J\\x9b2J" in out  # the decoded value, escaped


def test_i07_json_and_sarif_escape_c1_controls(tmp_path):
    write_files(tmp_path, {"value.yaml": OSC_VALUE})
    for fmt in ("json", "sarif"):
        res = _lint(tmp_path, "--target", "rhoai=2.25", "--format", fmt)
        assert "\x9b" not in res.stdout and "\x1b" not in res.stdout
        assert "\\u009b2J" in res.stdout
        json.loads(res.stdout)  # the same strings for any JSON parser


def test_i07_the_caret_stays_under_the_escaped_text(tmp_path):
    """A bidi override (allowed raw in YAML) before the finding: shown as `\\u202e`, and the caret
    moves with the text."""
    line = '    distribution: {x: "\u202e\u2066", image: llamastack/distribution-starter:0.3.0}'
    text = LLSD.split("    distribution:")[0] + line + "\n"
    write_files(tmp_path, {"value.yaml": text})
    out = _lint(tmp_path, "--target", "rhoai=2.25", "--select", "SA101").stdout
    assert "\u202e" not in out
    snippet, caret = [line for line in out.splitlines() if " | " in line][:2]
    start, end = caret.index("^"), caret.rindex("^") + 1
    assert '{x: "\\u202e\\u2066", image: ' in snippet
    assert snippet[start:end] == "llamastack/distribution-starter:0.3.0"


# -- 8: --diff bytes are written as they are --------------------------------------------------------
INGEST = (
    "from llama_stack_client import LlamaStackClient\n\n\n"
    "def insert(client: LlamaStackClient, pieces: list[str]) -> None:\n"
    '    print("\x1b[31mred\x1b[0m")  # a terminal colour, raw in the source\n'
    "    chunks = [\n"
    '        {"content": p, "stored_chunk_id": f"doc-{i}", "metadata": {"document_id": "doc"}}\n'
    "        for i, p in enumerate(pieces)\n"
    "    ]\n"
    '    client.vector_io.insert(vector_db_id="docs", chunks=chunks)\n'
)


def test_i08_diff_keeps_escape_sequences_so_git_apply_works(tmp_path):
    if shutil.which("git") is None:
        pytest.skip("git missing")
    write_files(tmp_path, {"ingest.py": INGEST})
    res = _lint(tmp_path, "--target", "rhoai=2.25", "--diff")
    assert res.exit_code == 1, res.output
    patch = res.stdout_bytes
    assert b'    print("\x1b[31mred\x1b[0m")' in patch  # a context line, byte for byte
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    (tmp_path / "fix.patch").write_bytes(patch)
    subprocess.run(["git", "apply", "fix.patch"], cwd=tmp_path, check=True)
    assert (tmp_path / "ingest.py").read_text() == INGEST.replace("stored_chunk_id", "chunk_id")


# -- 9: one SA003 per directive ---------------------------------------------------------------------
def test_i09_thousands_of_ids_in_one_directive_are_one_short_finding(tmp_path):
    ids = ",".join(["SA101"] * 8000 + [f"SA9{i:03d}" for i in range(900)])
    text = LLSD.replace("vllm-milvus-0.2.8", f"vllm-milvus-0.2.22  # stackalign: ignore[{ids}] x")
    write_files(tmp_path, {"llsd.yaml": text})
    res = _lint(tmp_path, "--target", "rhoai=2.25", "--format", "json")
    assert len(res.stdout) < 5000
    [f] = json.loads(res.stdout)["findings"]
    assert f["rule"] == "SA003"
    assert f["message"].startswith("`SA101` in `# stackalign: ignore[SA101, SA9000, SA9001, SA9002")
    assert "and 896 more" in f["message"]  # the distinct ids after the first five
    assert (
        "`SA9000, SA9001, SA9002, SA9003, SA9004, and 895 more` is not a stackalign rule"
        in (f["message"])
    )
    assert f["fix"]["description"] == "remove the unused suppression comment"


def test_i09_a_partly_used_directive_loses_only_its_unused_ids(tmp_path):
    line = "quay.io/opendatahub/llama-stack:odh  # stackalign: ignore[SA101, SA102, SA9999] kept"
    text = LLSD.replace("quay.io/redhat-et/llama:vllm-milvus-0.2.8", line)
    write_files(tmp_path, {"llsd.yaml": text})
    out = fix_repository(Options(paths=["."], cwd=tmp_path, target=T225), unsafe=False)
    [f] = [f for f in out.initial.findings if f.rule == "SA003"]
    assert f.message.startswith("`SA101` in `# stackalign: ignore[SA101, SA102, SA9999]`")
    assert write_fixed(out) == ["llsd.yaml"]
    assert "# stackalign: ignore[SA102] kept\n" in (tmp_path / "llsd.yaml").read_text()


# -- 10: file names that are not UTF-8 --------------------------------------------------------------
@pytest.fixture
def latin1_name(tmp_path: Path) -> Path:
    name = b"caf\xe9.yaml"
    try:
        with open(os.path.join(os.fsencode(tmp_path), name), "wb") as fh:
            fh.write(
                LLSD.replace("quay.io/redhat-et/llama:vllm-milvus-0.2.8", "x/y:latest").encode()
            )
    except OSError:
        pytest.skip("the file system refuses names that are not UTF-8")
    return tmp_path


def test_i10_json_keeps_the_bytes_as_a_documented_escape(latin1_name):
    res = _lint(latin1_name, "--target", "rhoai=2.25", "--format", "json")
    assert res.exit_code == 1, res.output
    assert '"path": "caf\\udce9.yaml"' in res.stdout
    [f] = json.loads(res.stdout)["findings"]
    assert os.fsencode(f["path"]) == b"caf\xe9.yaml"  # PEP 383: the file's own bytes


def test_i10_sarif_percent_encodes_the_bytes(latin1_name):
    res = _lint(latin1_name, "--target", "rhoai=2.25", "--format", "sarif")
    assert res.exit_code == 1, res.output
    [result] = json.loads(res.stdout)["runs"][0]["results"]
    assert result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "caf%E9.yaml"


@pytest.mark.parametrize("fmt", ["text", "json", "sarif", "github"])
def test_i10_output_files_and_baselines(latin1_name, fmt):
    res = _lint(latin1_name, "--target", "rhoai=2.25", "--format", fmt, "-o", f"out.{fmt}")
    assert res.exit_code == 1, res.output
    assert (latin1_name / f"out.{fmt}").read_bytes().decode("utf-8")  # valid UTF-8
    res = _lint(latin1_name, "--target", "rhoai=2.25", "--write-baseline", "b.json")
    assert res.exit_code == 0, res.output
    res = _lint(latin1_name, "--target", "rhoai=2.25", "--baseline", "b.json")
    assert res.exit_code == 0, res.output  # the finding is recognised in the baseline


# -- 11: named symlinks get the walk's symlink policy -----------------------------------------------
def test_i11_fix_never_replaces_a_named_link_nor_writes_through_a_linked_folder(tmp_path):
    root, outside = tmp_path / "repo", tmp_path / "outside"
    write_files(root, {"real.yaml": LLSD})
    write_files(outside, {"x.yaml": LLSD})
    (root / "link.yaml").symlink_to("real.yaml")
    (root / "outdir").symlink_to(outside)
    for named in ("link.yaml", "outdir/x.yaml"):
        res = _lint(root, "--target", "rhoai=2.25", "--fix", "--unsafe-fixes", named)
        assert res.exit_code == 1, res.output
        assert f"stackalign: fix not applied to {named}: " in res.stderr
        diff = _lint(root, "--target", "rhoai=2.25", "--diff", "--unsafe-fixes", named)
        assert diff.stdout == ""  # --diff shows what --fix writes: nothing
    assert (root / "link.yaml").is_symlink()
    assert (root / "real.yaml").read_text() == LLSD and (outside / "x.yaml").read_text() == LLSD
    res = _lint(root, "--target", "rhoai=2.25", "--fix", "--unsafe-fixes", "real.yaml")
    assert (root / "real.yaml").read_text() == LLSD_FIXED  # the file where it lives: fixed


# -- 12: --config and --baseline on devices, FIFOs and deep JSON ------------------------------------
@pytest.mark.parametrize("option", ["--config", "--baseline"])
def test_i12_devices_and_fifos_are_refused_promptly(repo, option):
    os.mkfifo(repo / "pipe.yaml")
    for path in ("/dev/zero", "pipe.yaml"):
        res = _lint(repo, option, path)
        assert res.exit_code == 2, res.output
        assert "not a regular file" in res.output


def test_i12_a_deeply_nested_baseline_is_a_clear_error(repo):
    (repo / "deep.json").write_text("[" * 100_000 + "]" * 100_000)
    res = _lint(repo, "--baseline", "deep.json")
    assert res.exit_code == 2 and "internal error" not in res.output
    assert "nested too deeply" in res.output


# -- 13: CR-only files keep CR line breaks ----------------------------------------------------------
def test_i13_the_story_with_cr_line_breaks_is_fixed_with_cr_line_breaks(tmp_path):
    for src in STORY.rglob("*"):
        if src.is_file() and "__pycache__" not in src.parts:
            dst = tmp_path / src.relative_to(STORY)
            dst.parent.mkdir(parents=True, exist_ok=True)
            dst.write_bytes(src.read_bytes().replace(b"\n", b"\r"))
    res = _lint(tmp_path, "--fix", "--unsafe-fixes")
    assert "pipelines/ingest_pipeline.yaml: SA302, SA305" in res.stderr  # the program re-emitted
    for p in tmp_path.rglob("*"):
        if p.is_file():
            assert b"\n" not in p.read_bytes(), p


# -- 15: SA001 for a control character at its real position ------------------------------------------
def test_i15_a_control_character_is_sa001_at_its_line_and_column(tmp_path):
    """A file the prefilter reads (it names a LlamaStackDistribution): files no rule reads are
    not parsed, named or walked, so both modes give the same findings."""
    data = b"kind: LlamaStackDistribution\nb: 2\nc: x\x1by\n"
    result = lint_files(tmp_path, {"c.yaml": data}, paths=["c.yaml"])
    [f] = result.findings
    assert (f.rule, f.span.start.line, f.span.start.column) == ("SA001", 3, 5)
    assert "#x001b" in f.message


def test_i15_the_position_counts_characters_not_bytes(tmp_path):
    result = lint_files(
        tmp_path,
        {"c.yaml": "kind: LlamaStackDistribution\na: \u00e9\u00e9\u00e9\nb: x\x07\n".encode()},
        paths=["c.yaml"],
    )
    [f] = result.findings
    assert (f.span.start.line, f.span.start.column) == (3, 5)


# -- 16: SARIF URIs never leave %SRCROOT% -----------------------------------------------------------
def test_i16_sarif_for_a_repository_outside_the_working_directory(tmp_path):
    root, elsewhere = tmp_path / "repo", tmp_path / "cwd"
    (root / ".git").mkdir(parents=True)
    elsewhere.mkdir()
    write_files(root, {"gitops/llsd.yaml": LLSD, "sub.yaml": SUB})
    res = _lint(elsewhere, "--format", "sarif", "../repo")
    assert res.exit_code == 1, res.output
    run = json.loads(res.stdout)["runs"][0]
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == root.as_uri() + "/"
    uris = [
        loc["physicalLocation"]["artifactLocation"]["uri"]
        for r in run["results"]
        for loc in r["locations"]
    ]
    assert uris == ["gitops/llsd.yaml"]
    assert run["invocations"][0]["workingDirectory"]["uri"] == elsewhere.as_uri() + "/"


# -- found by the fuzzer (scripts/fuzz.py) ----------------------------------------------------------
def test_fuzz_a_python_file_of_a_million_nodes_is_sa001_not_a_minute_and_a_gigabyte(tmp_path):
    """`huge-line` on a Python seed: a 2 MB list literal (700,000 nodes) took 20 s of CPU and 1 GB
    for lint and --diff; the tree is bounded like a YAML walk."""
    from linter.sources.python import MAX_AST_NODES

    text = "import llama_stack_client\nX = [" + "1, " * (MAX_AST_NODES + 10) + "]\n"
    result = lint_files(tmp_path, {"big.py": text}, paths=["big.py"])
    [f] = result.findings
    assert f.rule == "SA001" and f"more than {MAX_AST_NODES:,} nodes" in f.message
    assert f.span.start.line == 2


def test_fuzz_a_long_source_line_is_shown_as_a_window_around_the_finding(tmp_path):
    line = (
        "    distribution: {x: '" + "y" * 5000 + "', image: llamastack/distribution-starter:0.3.0}"
    )
    write_files(tmp_path, {"value.yaml": LLSD.split("    distribution:")[0] + line + "\n"})
    out = _lint(tmp_path, "--target", "rhoai=2.25", "--select", "SA101").stdout
    snippet, caret = [x for x in out.splitlines() if " | " in x][:2]
    assert len(snippet) < 260 and snippet.startswith("    6 | …") and snippet.endswith("}")
    start, end = caret.index("^"), caret.rindex("^") + 1
    assert snippet[start:end] == "llamastack/distribution-starter:0.3.0"


@pytest.mark.parametrize(
    ("name", "text", "fragment"),
    [
        (".stackalign.yaml", "exclude: " + "[" * 900 + "]" * 900 + "\n", "nested deeper than 50"),
        (
            "pyproject.toml",
            "[tool.stackalign]\nexclude = " + "[" * 900 + "]" * 900 + "\n",
            "nested too deeply",
        ),
        (".stackalign.yaml", 'exclude: !!int 0x1f ["a/**", "*.tmp.yaml"]\n', "`exclude`"),
    ],
    ids=["deep-yaml", "deep-toml", "tagged-number"],
)
def test_fuzz_configurations_that_were_internal_errors(repo, name, text, fragment):
    """`config` cases: 900 levels of nesting (RecursionError) and a value tagged `!!int` that is
    no number (ValueError) ended in `internal error`; now a configuration error."""
    (repo / name).write_text(text)
    out = _config_error(repo)
    assert "configuration error" in out and fragment in out and "internal error" not in out


def test_fuzz_a_rule_file_named_with_terminal_escapes_is_printed_escaped(repo):
    (repo / ".stackalign.yaml").write_text('knowledge-files: ["\\e]0;PWN\\a.yaml"]\n')
    out = _config_error(repo)
    assert "\x1b" not in out and "\x07" not in out and "\\x1b]0;PWN\\x07.yaml" in out


RUN_CONFIG_ZWSP = """\
version: 2
image_name: x
apis: [telemetry]
providers:
  telemetry:
  - provider_id: meta-reference
    provider_type: inline::meta-reference
    config:
      service_name: "${env.OTEL_SERVICE_NAME:\u200b}"
"""


def test_fuzz_fix_descriptions_and_plain_log_lines_escape_the_repositorys_text(tmp_path):
    """`config` and `splice` cases: SA205's message and fix description quote the config's
    `${env.X:...}` text; a zero-width space and an escape sequence in it reached the text report's
    `= fix` line, `--show-fixes` and the github format's plain log lines raw."""
    write_files(tmp_path, {"run.yaml": RUN_CONFIG_ZWSP})
    for args in (["--show-fixes"], ["--format", "github"]):
        out = _lint(tmp_path, "--target", "rhoai=2.25", "--select", "SA205", *args).stdout
        assert "SA205" in out and "\u200b" not in out
        assert "`${env.OTEL_SERVICE_NAME:=\\u200b}`" in out
    text = _lint(tmp_path, "--target", "rhoai=2.25", "--select", "SA205", "--show-fixes").stdout
    assert "      = fix (safe): write `${env.OTEL_SERVICE_NAME:=\\u200b}`" in text.splitlines()
    assert '        +       service_name: "${env.OTEL_SERVICE_NAME:=\\u200b}"' in text.splitlines()


def test_fuzz_graph_and_upgrade_reports_escape_the_repositorys_text(tmp_path):
    """The graph names servers by the repository's keys: a compose service named with an escape
    sequence (`\\e` in a double-quoted YAML key) and a zero-width space."""
    compose = (
        'services:\n  "llama\\e[2J\u200bstack":\n'
        "    image: llamastack/distribution-starter:0.2.22\n"
    )
    write_files(tmp_path, {"docker-compose.yaml": compose})
    for fmt in ("text", "dot", "mermaid"):  # for people: escaped
        out = cli_in(tmp_path, "graph", "--format", fmt).output
        assert "llama" in out, fmt
        assert "\x1b" not in out and "\u200b" not in out, fmt
    data = json.loads(cli_in(tmp_path, "graph", "--format", "json").output)  # lossless
    assert data["servers"][0]["name"] == "llama\x1b[2J\u200bstack"
    assert (
        "compose llama\\x1b[2J\\u200bstack: LlamaStack 0.2.22" in cli_in(tmp_path, "graph").output
    )


def test_fuzz_an_alias_bomb_in_chart_yaml_is_a_note_not_a_hang(tmp_path):
    """`alias-bomb` case: 9 anchors of 9 aliases in a chart's Chart.yaml (43 million nodes once
    converted to data) hung the render for minutes."""
    bomb = "bomb:\n  a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + "".join(
        f"  a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]\n" for i in range(1, 9)
    )
    chart = "apiVersion: v2\nname: milvus\nversion: 1.0.0\n" + bomb
    files = {
        "charts/milvus/Chart.yaml": chart,
        "charts/milvus/values.yaml": "image: quay.io/redhat-et/llama:vllm-milvus-0.2.8\n",
    }
    result = lint_files(tmp_path, files, target={"rhoai": "2.25"})
    assert [(f.rule, f.path, f.span.start.line) for f in result.findings] == [
        ("SA004", "charts/milvus/Chart.yaml", 1)
    ]
    assert "not a readable YAML mapping" in result.findings[0].message
