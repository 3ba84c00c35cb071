"""Requirements of named packages in every file format, with exact file offsets."""

from __future__ import annotations

import ast
import json

import pytest

from linter.analysis import requirements as r
from linter.analysis.pycode import CodeUnit
from linter.sources.notebook import NotebookError, code_cells
from linter.sources.python import load_python
from linter.sources.yaml import parse_file

NAMES = {"llama-stack-client", "llama-stack"}


def spans(text: str, found: list[r.Requirement]) -> list[tuple[str, str, str]]:
    """(specifier, text at the requirement's span, text at the specifier's span)."""
    return [(q.specifier, text[q.start : q.end], text[q.spec_start : q.spec_end]) for q in found]


def test_requirements_file_pins_ranges_markers_options_and_references():
    text = (
        "# pinned\n"
        "llama-stack-client==0.2.22  # comment\n"
        "requests\n"
        "Llama_Stack_Client >= 0.2.0, <0.4 ; python_version > '3.9'\n"
        "-r base/other.txt\n"
        "llama-stack-client[cli]~=0.3.0 --hash=sha256:abc\n"
        "llama-stack\n"
        "llama-stack-client @ https://example.invalid/x.whl\n"
    )
    found, refs = r.from_requirements_file("app/requirements.txt", text, NAMES)
    assert spans(text, found) == [
        ("==0.2.22", "llama-stack-client==0.2.22", "==0.2.22"),
        (">=0.2.0,<0.4", "Llama_Stack_Client >= 0.2.0, <0.4", ">= 0.2.0, <0.4"),
        ("~=0.3.0", "llama-stack-client[cli]~=0.3.0", "~=0.3.0"),
        ("", "llama-stack", ""),
    ]
    assert [q.logical for q in found] == [
        "app/requirements.txt:2",
        "app/requirements.txt:4",
        "app/requirements.txt:6",
        "app/requirements.txt:7",
    ]
    assert found[3].spec_start == found[3].spec_end == found[3].end  # insertion point
    assert refs == [r.Reference("app/requirements.txt", "app/base/other.txt")]


def test_pyproject_project_optional_groups_and_poetry():
    text = (
        "[project]\n"
        'name = "x"\n'
        "dependencies = [\n"
        '  "llama-stack-client==0.2.22",  # c ]\n'
        "  'requests',\n"
        '  "llama-stack>=0.3,<0.4",\n'
        "]\n"
        "[project.optional-dependencies]\n"
        'dev = ["llama-stack-client~=0.4.0"]\n'
        "[tool.poetry.dependencies]\n"
        'llama-stack-client = "^0.2.22"\n'
        'llama_stack = {version = "~0.3.5", optional = true}\n'
    )
    found = r.from_pyproject("pyproject.toml", text, NAMES)
    assert spans(text, found) == [
        ("==0.2.22", "llama-stack-client==0.2.22", "==0.2.22"),
        (">=0.3,<0.4", "llama-stack>=0.3,<0.4", ">=0.3,<0.4"),
        ("~=0.4.0", "llama-stack-client~=0.4.0", "~=0.4.0"),
        (">=0.2.22,<0.3", 'llama-stack-client = "^0.2.22', "^0.2.22"),
        (">=0.3.5,<0.4", 'llama_stack = {version = "~0.3.5', "~0.3.5"),
    ]
    assert found[2].logical == "[project.optional-dependencies].dev[0]"


@pytest.mark.parametrize(
    "constraint,pep440",
    [("^0.2.22", ">=0.2.22,<0.3"), ("^1.2", ">=1.2,<2"), ("^0.0.3", ">=0.0.3,<0.0.4"),
     ("~0.3.5", ">=0.3.5,<0.4"), ("0.2.22", "==0.2.22"), (">=0.2, <0.4", ">=0.2,<0.4"), ("*", "")],
)  # fmt: skip
def test_poetry_constraints_read_as_poetry_defines_them(constraint, pep440):
    assert r.poetry_specifier(constraint) == pep440


def test_setup_cfg_install_requires_and_extras():
    text = (
        "[metadata]\nname = x\n[options]\ninstall_requires =\n    requests\n"
        "    llama-stack-client==0.2.22\n[options.extras_require]\nrag = llama-stack-client>=0.3\n"
    )
    found = r.from_setup_cfg("setup.cfg", text, NAMES)
    assert spans(text, found) == [
        ("==0.2.22", "llama-stack-client==0.2.22", "==0.2.22"),
        (">=0.3", "llama-stack-client>=0.3", ">=0.3"),
    ]


def test_containerfile_run_pip_install_continuations_quotes_and_requirement_files():
    text = (
        "FROM registry.access.redhat.com/ubi9/python-312\n"
        "RUN pip install --no-cache-dir -U \\\n"
        "    'llama-stack-client==0.2.22' requests && \\\n"
        "    uv pip install llama-stack==0.2.22 -r reqs/base.txt --index-url https://x/simple\n"
        "COPY app.py .\n"
        'RUN python3 -m pip install "llama_stack_client>=0.3"\n'
    )
    found, refs = r.from_containerfile("img/Containerfile", text, NAMES)
    assert spans(text, found) == [
        ("==0.2.22", "llama-stack-client==0.2.22", "==0.2.22"),
        ("==0.2.22", "llama-stack==0.2.22", "==0.2.22"),
        (">=0.3", "llama_stack_client>=0.3", ">=0.3"),
    ]
    assert refs == [r.Reference("img/Containerfile", "img/reqs/base.txt")]


def test_containerfile_instructions_not_lines():
    """A heredoc's pip install belongs to its RUN (it was missed); a continued shell line that
    starts with `run` and a comment line inside a continuation are no instructions (the first was
    read as a second RUN)."""
    text = (
        "FROM python:3.12\n"
        "RUN <<EOF\n"
        "pip install llama-stack-client==0.2.22\n"
        "EOF\n"
        "RUN set -e; \\\n"
        "  # pinned for the demo\n"
        "  run-parts /etc/x; pip install 'llama_stack_client>=0.3'\n"
    )
    found, _ = r.from_containerfile("Containerfile", text, NAMES)
    assert spans(text, found) == [
        ("==0.2.22", "llama-stack-client==0.2.22", "==0.2.22"),
        (">=0.3", "llama_stack_client>=0.3", ">=0.3"),
    ]


def test_kfp_packages_to_install_in_python():
    text = (
        "from kfp import dsl\n\n\n"
        "@dsl.component(base_image='python:3.12', packages_to_install=['llama-stack-client==0.2.22', 'requests'])\n"
        "def f(): ...\n"
    )
    src = load_python("c.py", text)
    found = r.from_python("c.py", text, src.tree, CodeUnit(src).index, NAMES)
    assert spans(text, found) == [("==0.2.22", "llama-stack-client==0.2.22", "==0.2.22")]
    assert found[0].logical == "packages_to_install[0]"


def test_compiled_pipeline_pip_line_located_through_yaml_escapes_and_folds():
    text = (
        "deploymentSpec:\n  executors:\n    exec-f:\n      container:\n        command:\n"
        "        - sh\n        - -c\n"
        '        - "\\nif ! [ -x \\"$(command -v pip)\\" ]; then\\n    python3 -m ensurepip\\\n'
        "          \\ || apt-get install python3-pip\\nfi\\n\\nPIP_DISABLE_PIP_VERSION_CHECK=1\\\n"
        "          \\ python3 -m pip install --quiet --no-warn-script-location 'llama-stack-client==0.2.22'\\\n"
        "          \\  &&  python3 -m pip install --quiet --no-warn-script-location 'kfp==2.14.6'\\\n"
        '          \\ && \\"$0\\" \\"$@\\"\\n"\n'
    )
    found = r.from_yaml(parse_file("p.yaml", text), NAMES)
    assert spans(text, found) == [("==0.2.22", "llama-stack-client==0.2.22", "==0.2.22")]
    assert found[0].logical == "deploymentSpec.executors.exec-f.container.command[2]"


def test_notebook_pip_magics_located_in_the_json_file():
    nb = {
        "cells": [
            {"cell_type": "markdown", "source": ["%pip install llama-stack-client==0.1.0\n"]},
            {
                "cell_type": "code",
                "source": [
                    "# setup\n",
                    '%pip install -q "llama-stack-client==0.2.22" requests\n',
                    "!pip install llama_stack_client>=0.3\n",
                    "print('pip install llama-stack-client==9')\n",
                ],
            },
        ],
        "metadata": {},
        "nbformat": 4,
    }
    text = json.dumps(nb, indent=1)
    found = r.from_notebook("n.ipynb", text, NAMES)
    assert spans(text, found) == [
        ("==0.2.22", "llama-stack-client==0.2.22", "==0.2.22"),
        (">=0.3", "llama_stack_client>=0.3", ">=0.3"),
    ]
    assert [q.logical for q in found] == ["cells[1]", "cells[1]"]


def test_notebook_positions_survive_escapes():
    text = '{"cells": [{"cell_type": "code", "source": "\\u00e9\\n!pip install \\"llama-stack-client==0.2.22\\""}]}'
    (cell,) = code_cells(text)
    assert cell.text == 'é\n!pip install "llama-stack-client==0.2.22"'
    found = r.from_notebook("n.ipynb", text, NAMES)
    assert spans(text, found) == [("==0.2.22", "llama-stack-client==0.2.22", "==0.2.22")]


@pytest.mark.parametrize("bad", ["{", '{"cells": [1,]}', "[" * 100 + "]" * 100, '{"a": "\\x"}'])
def test_notebook_errors_are_errors_not_tracebacks(bad):
    with pytest.raises(NotebookError):
        code_cells(bad)


def test_python_literal_with_escapes_is_not_located():
    text = "x = dict(packages_to_install=['llama-stack-client\\x3d=0.2.22'])\n"
    tree = ast.parse(text)
    src = load_python("c.py", text)
    assert r.from_python("c.py", text, tree, CodeUnit(src).index, NAMES) == []
