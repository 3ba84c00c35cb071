"""SA304 beyond the rule examples."""

from __future__ import annotations

from tests.helpers import lint_files


def _rules(tmp_path, files, target):
    return [
        (f.path, f.span.start.line, f.span.start.column)
        for f in lint_files(tmp_path, files, target=target).findings
        if f.rule == "SA304"
    ]


def test_module_constant_concatenation(tmp_path):
    src = 'API = "/v1"\n\ndef url(base):\n    return base + API + "/vector-dbs"\n'
    assert _rules(tmp_path, {"a.py": src}, {"llamastack": "0.3.0"}) == [("a.py", 4, 12)]


def test_served_on_022(tmp_path):
    src = 'def url(base):\n    return f"{base}/v1/vector-dbs/{id}"\n'
    assert _rules(tmp_path, {"a.py": src}, {"rhoai": "2.25"}) == []
    assert _rules(tmp_path, {"a.py": src}, {"llamastack": "0.3.0"}) == [("a.py", 2, 12)]


def test_log_text_is_not_a_url(tmp_path):
    src = 'import logging\nlogging.info("GET /v1/vector-dbs returned 404")\n'
    assert _rules(tmp_path, {"a.py": src}, {"llamastack": "0.3.0"}) == []


def _findings(tmp_path, files, target):
    return [
        (
            f.path,
            f.span.start.line,
            f.span.start.column,
            f.span.end.line,
            f.span.end.column,
            f.message,
        )
        for f in lint_files(tmp_path, files, target=target).findings
        if f.rule == "SA304"
    ]


RHOAI_30_APP = """\
import requests
from llama_stack_client import LlamaStackClient

BASE = "http://llama-stack-service:8321"


def run(client: LlamaStackClient):
    requests.post(f"{BASE}/v1/vector-dbs", json={"vector_db_id": "docs"})
    client.vector_dbs.register(vector_db_id="docs", embedding_model="m")
    client.inference.chat_completion(model_id="m", messages=[])
"""
RHOAI_30_SMOKE = 'curl -s "$LLAMA_URL/v1/vector-dbs/docs"\n'


def test_rhoai_30_routes_of_the_fork_build(tmp_path):
    """RHOAI 3.0 ships the fork build 0.3.0rc3+rhai0, which already lacks these routes."""
    found = _findings(
        tmp_path, {"app.py": RHOAI_30_APP, "smoke.sh": RHOAI_30_SMOKE}, {"rhoai": "3.0"}
    )
    assert [f[:5] for f in found] == [
        ("app.py", 8, 19, 8, 42),
        ("app.py", 9, 5, 9, 31),
        ("app.py", 10, 5, 10, 37),
        ("smoke.sh", 1, 10, 1, 39),
    ]
    assert all("LlamaStack 0.3.0rc3+rhai0 does not serve" in f[5] for f in found)
    assert "removed in 0.3.0rc1" in found[0][5]
    assert _findings(tmp_path, {}, {"rhoai": "2.25"}) == []


def test_alpha_agents_gone_in_040(tmp_path):
    src = (
        "from llama_stack_client import LlamaStackClient\n\n\n"
        "def agent(client: LlamaStackClient):\n"
        "    return client.alpha.agents.create(agent_config={})\n"
    )
    found = _findings(tmp_path, {"a.py": src}, {"llamastack": "0.4.2"})
    assert [f[:5] for f in found] == [("a.py", 5, 12, 5, 38)]
    assert (
        "`/v1alpha/agents`" in found[0][5] and "served from 0.3.0rc1 to before 0.4.0" in found[0][5]
    )
    assert _findings(tmp_path, {"a.py": src}, {"rhoai": "3.2"}) == []


OPENAI_APP = """\
from openai import OpenAI


def answer(base: str, q: str):
    oai = OpenAI(base_url=f"{base}/v1/openai/v1", api_key="none")
    return oai.chat.completions.create(model="m", messages=[{"role": "user", "content": q}])
"""


def test_openai_client_at_the_openai_prefix(tmp_path):
    found = _findings(tmp_path, {"a.py": OPENAI_APP}, {"llamastack": "0.4.2"})
    assert [f[:5] for f in found] == [("a.py", 6, 12, 6, 39)]
    assert "`oai.chat.completions.create` (an OpenAI client at `/v1/openai/v1`)" in found[0][5]
    assert "`/v1/openai/v1/chat/completions`" in found[0][5]
    assert "point the client's base URL at `<server>/v1`" in found[0][5]
    assert _findings(tmp_path, {"a.py": OPENAI_APP}, {"rhoai": "3.2"}) == []  # deprecated, served


def test_openai_client_without_calls_is_judged_by_its_base(tmp_path):
    src = 'import openai\n\nCLIENT = openai.OpenAI(base_url="http://llama:8321/v1/openai/v1")\n'
    found = _findings(tmp_path, {"a.py": src}, {"rhoai": "3.3"})
    assert [f[:5] for f in found] == [("a.py", 3, 33, 3, 65)]
    assert "`/v1/openai/v1`" in found[0][5] and "served from 0.2.2 to before 0.4.0" in found[0][5]


def test_langchain_and_llamaindex_wrappers(tmp_path):
    src = """\
from langchain_openai import ChatOpenAI, OpenAIEmbeddings
from llama_index.llms.openai_like import OpenAILike

URL = "http://llama-stack-service:8321"

chat = ChatOpenAI(model="m", openai_api_base=f"{URL}/v1/openai/v1")
embed = OpenAIEmbeddings(model="e", base_url=URL + "/v1/openai/v1")
llm = OpenAILike(model="m", api_base=f"{URL}/v1/openai/v1", is_chat_model=True)
"""
    found = _findings(tmp_path, {"a.py": src}, {"llamastack": "0.4.2"})
    assert [f[:3] for f in found] == [("a.py", 6, 46), ("a.py", 7, 46), ("a.py", 8, 38)]
    assert "`/v1/openai/v1/chat/completions`" in found[0][5]
    assert "`/v1/openai/v1/embeddings`" in found[1][5]
    assert "`/v1/openai/v1/chat/completions`" in found[2][5]
    assert _findings(tmp_path, {"a.py": src}, {"rhoai": "2.25"}) == []


def test_openai_base_v1_on_02x_points_at_the_openai_prefix(tmp_path):
    src = 'from langchain_openai import ChatOpenAI\n\nchat = ChatOpenAI(base_url="http://llama:8321/v1")\n'
    found = _findings(tmp_path, {"a.py": src}, {"rhoai": "2.25"})
    assert [f[:5] for f in found] == [("a.py", 3, 28, 3, 50)]
    assert "`/v1/chat/completions`" in found[0][5]
    assert "point the client's base URL at `<server>/v1/openai/v1`" in found[0][5]
    assert _findings(tmp_path, {"a.py": src}, {"rhoai": "3.2"}) == []


def test_urljoin_and_percent_format(tmp_path):
    src = """\
from urllib.parse import urljoin
import urllib.parse

BASE_URL = "http://llama:8321"


def urls(base):
    a = urljoin(BASE_URL, "/v1/vector-dbs")
    b = urllib.parse.urljoin(f"{base}/v1/", "vector-dbs")
    c = urljoin(base, "v1/vector-dbs/docs")
    d = "%s/v1/vector-dbs" % base
    e = urljoin(f"{base}/api/", "v1/vector-dbs")
    return a, b, c, d, e
"""
    found = _findings(tmp_path, {"a.py": src}, {"llamastack": "0.3.0"})
    assert [f[:3] for f in found] == [
        ("a.py", 8, 9),
        ("a.py", 9, 9),
        ("a.py", 10, 9),
        ("a.py", 11, 9),
    ]
    assert all("`/v1/vector-dbs`" in f[5] for f in found)
