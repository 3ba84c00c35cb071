"""The deployment model: every way a run config and a client are bound to the LlamaStack server
that reads or serves them, and the verdicts that follow from that server's version."""

from __future__ import annotations

from tests.helpers import SUB, lint_dir, lint_files

OLD_IMAGE = "quay.io/redhat-et/llama:vllm-milvus-0.2.8"  # LlamaStack 0.2.8

RUN_YAML = """\
version: 2
image_name: rh
apis: [inference]
providers:
  inference:
  - provider_id: vllm
    provider_type: remote::vllm
    config:
      url: ${env.VLLM_URL:=http://localhost:8000/v1}
"""


def _indent(text: str, n: int) -> str:
    pad = " " * n
    return "".join(pad + line if line.strip() else line for line in text.splitlines(True))


def configmap(name: str, key: str = "run.yaml", body: str = RUN_YAML) -> str:
    return (
        f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\ndata:\n  {key}: |\n"
        + _indent(body, 4)
    )


def llsd(name: str, image: str | None = None, extra: str = "", ns: str | None = None) -> str:
    dist = f"image: {image}" if image else "name: rh-dev"
    meta = f"  name: {name}\n" + (f"  namespace: {ns}\n" if ns else "")
    return (
        "apiVersion: llamastack.io/v1alpha1\nkind: LlamaStackDistribution\nmetadata:\n"
        + meta
        + f"spec:\n  server:\n    distribution:\n      {dist}\n"
        + extra
    )


def by_rule(result, rule: str) -> list[tuple[str, int, int]]:
    return sorted(
        (f.path, f.span.start.line, f.span.start.column) for f in result.findings if f.rule == rule
    )


def sa205_runtimes(result) -> set[str]:
    return {f.runtime_source.version for f in result.findings if f.rule == "SA205"}


# -- configs ------------------------------------------------------------------------------------
def test_user_config_binds_the_configmap_to_the_cr(tmp_path):
    files = {
        "sub.yaml": SUB,
        "cm.yaml": configmap("lls-config"),
        "cr.yaml": llsd("demo", OLD_IMAGE, "    userConfig:\n      configMapName: lls-config\n"),
    }
    result = lint_files(tmp_path, files)
    assert by_rule(result, "SA205") == [("cm.yaml", 15, 16)]  # `:=` on 0.2.8
    (f,) = [f for f in result.findings if f.rule == "SA205"]
    rs = f.runtime_source
    assert (rs.version, rs.assumed, rs.server, rs.path, rs.line) == (
        "0.2.8",
        False,
        "LlamaStackDistribution/demo",
        "cr.yaml",
        8,
    )
    assert rs.via == "reads ConfigMap lls-config through userConfig"
    assert by_rule(result, "SA201") == [("cm.yaml", 7, 14)]  # unquoted 2 on 0.2.8


PODOVERRIDES = """\
    containerSpec:
      args: [--yaml-config, /opt/app-root/run.yaml]
    podOverrides:
      volumes:
        - name: run-config
          configMap:
            name: lls-config
      volumeMounts:
        - name: run-config
          mountPath: /opt/app-root/run.yaml
          subPath: run.yaml
"""


def test_podoverrides_volume_and_yaml_config_bind_the_configmap(tmp_path):
    files = {
        "sub.yaml": SUB,
        "cm.yaml": configmap("lls-config"),
        "cr.yaml": llsd("demo", OLD_IMAGE, PODOVERRIDES),
    }
    result = lint_files(tmp_path, files)
    (f,) = [f for f in result.findings if f.rule == "SA205"]
    assert f.runtime_source.version == "0.2.8"
    assert f.runtime_source.via == (
        "ConfigMap lls-config mounted at /opt/app-root/run.yaml, passed as its run config"
    )


def test_a_mount_the_command_does_not_read_binds_nothing(tmp_path):
    other = PODOVERRIDES.replace(
        "args: [--yaml-config, /opt/app-root/run.yaml]", "args: [--config, /etc/other.yaml]"
    )
    files = {
        "sub.yaml": SUB,
        "cm.yaml": configmap("lls-config"),
        "cr.yaml": llsd("demo", OLD_IMAGE, other),
    }
    result = lint_files(tmp_path, files)
    # not read by the 0.2.8 server: judged against RHOAI 2.25's 0.2.22, assumed, where `:=` is right
    assert by_rule(result, "SA205") == []
    (f,) = [f for f in result.findings if f.rule == "SA201"] or [None]
    assert f is None  # `version: 2` is fine on 0.2.22


DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: llamastack
  namespace: ai
spec:
  selector:
    matchLabels: {app: llamastack}
  template:
    metadata:
      labels: {app: llamastack}
    spec:
      containers:
      - name: server
        image: docker.io/llamastack/distribution-starter:0.2.8
        command: [python, -m, llama_stack.distribution.server.server, --config, /config/run.yaml]
        volumeMounts:
        - {name: cfg, mountPath: /config}
      volumes:
      - name: cfg
        configMap: {name: stack-config}
---
apiVersion: v1
kind: Service
metadata:
  name: stack-api
  namespace: ai
spec:
  selector: {app: llamastack}
  ports: [{port: 8321}]
"""

CLIENT_INT_ID = """\
import os

URL = os.getenv("LLAMA_STACK_URL", "{url}")

def insert(client, chunks_text):
    chunks = [
        {{"content": piece, "metadata": {{"document_id": "d", "chunk_id": i}}}}
        for i, piece in enumerate(chunks_text)
    ]
    client.vector_io.insert(vector_db_id="docs", chunks=chunks)
"""


def test_plain_deployment_reads_its_mounted_config_and_serves_its_service(tmp_path):
    files = {
        "sub.yaml": SUB,
        "deploy.yaml": DEPLOYMENT,
        "cm.yaml": configmap("stack-config"),
        "other.yaml": llsd("platform", None),  # a second server, on rh-dev (0.2.22)
        "client.py": CLIENT_INT_ID.format(url="http://stack-api.ai.svc:8321"),
    }
    result = lint_files(tmp_path, files)
    (f,) = [f for f in result.findings if f.rule == "SA205"]
    assert f.runtime_source.server == "Deployment/llamastack"
    assert (
        f.runtime_source.via
        == "ConfigMap stack-config mounted at /config/run.yaml, passed as its run config"
    )
    # the client calls the Deployment's Service: 0.2.8, where metadata.chunk_id is plain metadata
    assert by_rule(result, "SA305") == []
    model = result.model
    (server,) = [s for s in model.servers if s.kind == "Deployment"]
    assert server.service_names == {"stack-api"} and str(server.version) == "0.2.8"


COMPOSE = """\
services:
  llamastack:
    image: llamastack/distribution-starter:0.2.8
    ports: ["8321:8321"]
    volumes:
      - ./run.yaml:/app/run.yaml:ro
    command: [--config, /app/run.yaml]
"""


def test_compose_service_reads_its_bind_mounted_config_and_serves_localhost(tmp_path):
    files = {
        "docker-compose.yaml": COMPOSE,
        "run.yaml": RUN_YAML,
        "client.py": CLIENT_INT_ID.format(url="http://localhost:8321"),
        "requirements.txt": "llama-stack==0.2.8\n",
    }
    result = lint_files(tmp_path, files)  # no platform target at all
    assert result.target.platform is None
    assert by_rule(result, "SA205") == [("run.yaml", 9, 12)]
    (f,) = [f for f in result.findings if f.rule == "SA205"]
    assert f.runtime_source.server == "compose/llamastack"
    assert f.runtime_source.via == "bind-mounted at /app/run.yaml, passed as its run config"


COMPOSE_BUILT = """\
services:
  llamastack:
    build:
      context: ./server
    ports: ["8321:8321"]
  app:
    build: ./app
"""

CONTAINERFILE = """\
ARG BASE=llamastack/distribution-starter:{version}
FROM python:3.12-slim AS tools
RUN pip install uv
FROM ${{BASE}} AS runtime
COPY run.yaml /app/run.yaml
"""


def test_compose_service_built_from_a_containerfile_runs_its_base_image(tmp_path):
    """`build:` names a folder whose Containerfile's last stage starts FROM a LlamaStack image:
    the service runs that version. The `app` service is built FROM python: not a server."""
    files = {
        "docker-compose.yaml": COMPOSE_BUILT,
        "server/Containerfile": CONTAINERFILE.format(version="0.2.22"),
        "app/Dockerfile": "FROM python:3.12\nRUN pip install requests\n",
        "client.py": CLIENT_INT_ID.format(url="http://localhost:8321"),
    }
    result = lint_files(tmp_path, files)
    assert by_rule(result, "SA305") == [("client.py", 7, 73)]  # an int chunk_id on 0.2.22
    (f,) = [f for f in result.findings if f.rule == "SA305"]
    assert f.runtime_source.server == "compose/llamastack"
    assert f.runtime_source.version == "0.2.22"
    assert f.runtime_source.reason == (
        "server/Containerfile:4 builds compose llamastack FROM llamastack/distribution-starter:0.2.22"
    )
    # on 0.2.8 the same client is fine (plain metadata, never promoted to the chunk id)
    files["server/Containerfile"] = CONTAINERFILE.format(version="0.2.8")
    assert by_rule(lint_files(tmp_path / "old", files), "SA305") == []


def test_a_pip_pin_in_the_containerfile_wins_over_its_base_image(tmp_path):
    files = {
        "docker-compose.yaml": COMPOSE_BUILT,
        "server/Containerfile": CONTAINERFILE.format(version="0.2.8")
        + "RUN pip install 'llama-stack==0.2.22'\n",
        "client.py": CLIENT_INT_ID.format(url="http://localhost:8321"),
    }
    (f,) = [f for f in lint_files(tmp_path, files).findings if f.rule == "SA305"]
    assert f.runtime_source.version == "0.2.22"
    assert f.runtime_source.reason == (
        "llama-stack==0.2.22 installed by server/Containerfile (built by compose llamastack)"
    )


# -- clients ------------------------------------------------------------------------------------
ROUTE_CLIENT = """\
import requests

BASE = "{url}"

def search(store_id, q):
    return requests.post(f"{{BASE}}/v1/openai/v1/vector_stores/{{store_id}}/search", json={{"query": q}})
"""


def test_two_servers_on_two_versions_clients_bound_by_service_url(tmp_path):
    files = {
        "sub.yaml": SUB,
        "old.yaml": llsd("old", OLD_IMAGE),
        "new.yaml": llsd("new", None, ns="ai"),  # rh-dev on RHOAI 2.25: 0.2.22
        "a_ids.py": CLIENT_INT_ID.format(url="http://old-service:8321"),
        "b_ids.py": CLIENT_INT_ID.format(url="http://new-service.ai.svc.cluster.local:8321"),
        "a_routes.py": ROUTE_CLIENT.format(url="http://old-service.default:8321"),
        "b_routes.py": ROUTE_CLIENT.format(url="https://new-service.ai:8321"),
    }
    result = lint_files(tmp_path, files)
    # an int metadata.chunk_id: promoted (and failing) on 0.2.22, plain metadata on 0.2.8
    assert by_rule(result, "SA305") == [("b_ids.py", 7, 73)]
    # /v1/openai/v1/vector_stores: from 0.2.11, so only the 0.2.8 server lacks it
    assert by_rule(result, "SA304") == [("a_routes.py", 6, 26)]
    (f,) = [f for f in result.findings if f.rule == "SA304"]
    assert f.runtime_source.via == "called at http://old-service.default:8321"
    (g,) = [f for f in result.findings if f.rule == "SA305"]
    assert g.runtime_source.server == "LlamaStackDistribution/new"
    assert g.runtime_source.reason == "distribution rh-dev on RHOAI 2.25"


def test_a_namespace_that_disagrees_binds_nothing(tmp_path):
    files = {
        "sub.yaml": SUB,
        "old.yaml": llsd("old", OLD_IMAGE, ns="team-a"),
        "new.yaml": llsd("new", None),
        "a.py": CLIENT_INT_ID.format(url="http://old-service.team-b.svc:8321"),
    }
    result = lint_files(tmp_path, files)
    # neither server: the platform default (0.2.22, assumed) judges the int id
    (f,) = [f for f in result.findings if f.rule == "SA305"]
    assert f.runtime_source.assumed and f.runtime_source.server == ""


PIPELINE = """\
from kfp import dsl

@dsl.component
def insert(llamastack_url: str):
    from llama_stack_client import LlamaStackClient
    client = LlamaStackClient(base_url=llamastack_url)
    chunks = [{"content": p, "metadata": {"document_id": "d", "chunk_id": i}} for i, p in enumerate(["a"])]
    client.vector_io.insert(vector_db_id="docs", chunks=chunks)

@dsl.pipeline(name="ingest")
def ingest(llamastack_url: str = "http://old-service.rag.svc.cluster.local:8321"):
    insert(llamastack_url=llamastack_url)
"""


def test_a_pipeline_parameter_default_binds_the_pipeline(tmp_path):
    files = {
        "sub.yaml": SUB,
        "old.yaml": llsd("old", OLD_IMAGE),
        "new.yaml": llsd("new", None),
        "pipeline.py": PIPELINE,
    }
    result = lint_files(tmp_path, files)
    assert by_rule(result, "SA305") == []  # bound to 0.2.8 by the parameter default
    model = result.model
    (binding,) = model.client_bindings("pipeline.py", PIPELINE)
    assert binding.server.ref == "LlamaStackDistribution/old"


ENV_CLIENT = """\
import os
from llama_stack_client import LlamaStackClient

client = LlamaStackClient(base_url=os.environ["LLAMA_STACK_URL"])
chunks = [{"content": p, "metadata": {"document_id": "d", "chunk_id": i}} for i, p in enumerate(["a"])]
client.vector_io.insert(vector_db_id="docs", chunks=chunks)
"""

JOB = """\
apiVersion: batch/v1
kind: Job
metadata: {name: ingest}
spec:
  template:
    spec:
      containers:
      - name: ingest
        image: registry.access.redhat.com/ubi9/python-311
        env:
        - name: LLAMA_STACK_URL
          value: http://new-service:8321
"""


def test_an_env_value_set_in_a_manifest_binds_the_client(tmp_path):
    files = {
        "sub.yaml": SUB,
        "old.yaml": llsd("old", OLD_IMAGE),
        "new.yaml": llsd("new", None),
        "job.yaml": JOB,
        "ingest.py": ENV_CLIENT,
    }
    result = lint_files(tmp_path, files)
    (f,) = [f for f in result.findings if f.rule == "SA305"]
    assert f.runtime_source.server == "LlamaStackDistribution/new"
    assert f.runtime_source.via == (
        "called at http://new-service:8321 (LLAMA_STACK_URL in Job/ingest, job.yaml)"
    )


def test_a_single_server_serves_every_client(tmp_path):
    files = {
        "sub.yaml": SUB,
        "old.yaml": llsd("old", OLD_IMAGE),
        "ingest.py": ENV_CLIENT,  # names no URL, no manifest sets its env var
    }
    result = lint_files(tmp_path, files)
    assert by_rule(result, "SA305") == []
    (binding,) = result.model.client_bindings("ingest.py", ENV_CLIENT)
    assert binding.why == "LlamaStackDistribution old is the repository's only LlamaStack server"


def test_no_server_means_the_platform_default_assumed(tmp_path):
    files = {"sub.yaml": SUB, "ingest.py": ENV_CLIENT}
    result = lint_files(tmp_path, files)
    (f,) = [f for f in result.findings if f.rule == "SA305"]
    assert f.runtime_source.assumed
    assert f.runtime_source.reason == "RHOAI 2.25 ships it"
    assert f.runtime_source.via == "the repository runs no LlamaStack server"
    assert "(runtime assumed: RHOAI 2.25 ships it)" in f.message


def test_without_a_platform_servers_with_known_versions_still_judge(tmp_path):
    files = {
        "deploy.yaml": DEPLOYMENT.replace("0.2.8", "0.3.4"),
        "cm.yaml": configmap(
            "stack-config",
            body=RUN_YAML.replace(
                "version: 2\n", "version: 2\nmodels:\n- {model_id: m, provider_id: vllm}\n"
            ),
        ),
    }
    result = lint_files(tmp_path, files)
    assert result.target.platform is None
    # 0.3.4 silently drops a top-level `models:` (SA203), judged against the Deployment's image
    sa203 = [f for f in result.findings if f.rule == "SA203"]
    assert any("models" in f.message and f.runtime_source.version == "0.3.4" for f in sa203)


def test_kustomize_namespace_reaches_the_server(tmp_path):
    files = {
        "sub.yaml": SUB,
        "app/kustomization.yaml": "namespace: rag\nresources: [cr.yaml]\n",
        "app/cr.yaml": llsd("demo", OLD_IMAGE),
        "other.yaml": llsd("x", None),
        "client.py": CLIENT_INT_ID.format(url="http://demo-service.rag.svc.cluster.local:8321"),
    }
    result = lint_files(tmp_path, files)
    (server,) = [s for s in result.model.servers if s.name == "demo"]
    assert server.namespace == "rag"
    assert by_rule(result, "SA305") == []  # bound to 0.2.8


TWO_SERVERS_CLIENT = """\
import requests

OLD = "http://old-service:8321"
NEW = "http://new-service:8321"


def search_old(store_id, q):
    return requests.post(f"{OLD}/v1/openai/v1/vector_stores/{store_id}/search", json={"query": q})


def search_new(store_id, q):
    return requests.post(f"{NEW}/v1/openai/v1/vector_stores/{store_id}/search", json={"query": q})
"""


def test_a_url_that_names_its_server_is_judged_against_that_server_only(tmp_path):
    files = {
        "sub.yaml": SUB,
        "old.yaml": llsd("old", OLD_IMAGE),
        "new.yaml": llsd("new", None),
        "client.py": TWO_SERVERS_CLIENT,
    }
    result = lint_files(tmp_path, files)
    # the file calls both servers; each route is judged against the server its URL names
    assert by_rule(result, "SA304") == [("client.py", 8, 26)]
    (f,) = [f for f in result.findings if f.rule == "SA304"]
    assert f.runtime_source.via == "called at http://old-service:8321"


def test_a_containerfile_outside_the_repository_is_never_read(tmp_path):
    """`build.dockerfile` is the repository's text: a path out of it (or through a symlink) is not
    followed, so the service is no server and the client's runtime is not taken from it."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "Containerfile").write_text("FROM llamastack/distribution-starter:0.2.22\n")
    compose = COMPOSE_BUILT.replace(
        "context: ./server", "context: ./server\n      dockerfile: ../../outside/Containerfile"
    )
    files = {
        "docker-compose.yaml": compose,
        "server/run.yaml": "x: 1\n",
        "client.py": CLIENT_INT_ID.format(url="http://localhost:8321"),
    }
    result = lint_files(tmp_path / "repo", files)
    assert by_rule(result, "SA305") == []
    (tmp_path / "repo" / "server" / "Containerfile").symlink_to(outside / "Containerfile")
    result = lint_files(tmp_path / "repo", {"docker-compose.yaml": COMPOSE_BUILT})
    assert by_rule(result, "SA305") == []
    (tmp_path / "repo" / "server" / "Containerfile").unlink()  # the same text inside: read
    (tmp_path / "repo" / "server" / "Containerfile").write_text(
        (outside / "Containerfile").read_text()
    )
    assert by_rule(lint_dir(tmp_path / "repo"), "SA305") == [("client.py", 7, 73)]


# Found in review: a Route was seen only when an env search for another file had happened to load
# it first, so findings changed with the order (and names) of unrelated files.
ORDER_FILES = {
    "deploy.yaml": """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: ls-new}
spec:
  template:
    metadata: {labels: {app: ls-new}}
    spec:
      containers: [{name: s, image: docker.io/llamastack/distribution-starter:0.3.0}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: ls-old}
spec:
  template:
    metadata: {labels: {app: ls-old}}
    spec:
      containers: [{name: s, image: docker.io/llamastack/distribution-starter:0.2.22}]
""",
    "svc.yaml": """\
apiVersion: v1
kind: Service
metadata: {name: svc-new}
spec: {selector: {app: ls-new}}
""",
    "route.yaml": """\
apiVersion: route.openshift.io/v1
kind: Route
metadata: {name: r}
spec: {host: new.apps.example.com, to: {kind: Service, name: svc-new}}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: client-env}
data: {LLAMA_STACK_URL: "https://new.apps.example.com"}
""",
    "0.py": """\
from llama_stack_client import LlamaStackClient

client = LlamaStackClient(base_url="http://elsewhere:8321")
client.vector_dbs.register(vector_db_id="docs", embedding_model="m")
""",
    "a.py": """\
import os

from llama_stack_client import LlamaStackClient

URL = os.environ["LLAMA_STACK_URL"]
client = LlamaStackClient(base_url=URL)

client.vector_dbs.register(vector_db_id="docs", embedding_model="m")
""",
}


def test_a_route_found_through_its_service_binds_a_client_whatever_the_file_order(tmp_path):
    """The client reads LLAMA_STACK_URL from a ConfigMap; the URL is a Route to the Service that
    selects the 0.3.0 Deployment's pods: `/v1/vector-dbs` is SA304 there, in a directory run, in
    files mode, and whatever an unrelated client file is called."""
    import subprocess

    want = [("a.py", 8, 1)]
    for name in ("0.py", "b.py"):
        files = {n if n != "0.py" else name: t for n, t in ORDER_FILES.items()}
        root = tmp_path / name.removesuffix(".py")
        result = lint_files(root, files, target={"llamastack": "0.2.22"})
        assert [x for x in by_rule(result, "SA304") if x[0] == "a.py"] == want
        (f,) = [f for f in result.findings if f.rule == "SA304" and f.path == "a.py"]
        assert f.runtime_source.server == "Deployment/ls-new"
        subprocess.run(["git", "init", "-q"], cwd=root, check=True)
        subprocess.run(["git", "add", "-A"], cwd=root, check=True)
        named = lint_dir(root, paths=["a.py"], target={"llamastack": "0.2.22"})
        assert by_rule(named, "SA304") == want


def test_a_nul_byte_in_a_compose_build_path_is_no_error(tmp_path):
    """Found in review: `context: "./se\\0rver"` made os.path raise ValueError (internal error)."""
    compose = 'services:\n  llamastack:\n    build:\n      context: "./se\\0rver"\n'
    result = lint_files(tmp_path, {"docker-compose.yaml": compose})
    assert result.errors == [] and result.findings == []


def test_a_from_line_inside_a_run_instruction_starts_no_stage(tmp_path):
    """Found in review: `from x import y` continuing a RUN line (or in a heredoc) was taken for the
    last stage's FROM, so the server was missed."""
    for containerfile in (
        'FROM llamastack/distribution-starter:0.2.22\nRUN python -c "import sys; \\\n'
        '  from llama_stack import version"\n',
        "FROM llamastack/distribution-starter:0.2.22\nRUN <<EOF\nfrom x import y\nEOF\n",
        "FROM \\\n  llamastack/distribution-starter:0.2.22\n",
    ):
        files = {
            "docker-compose.yaml": COMPOSE_BUILT,
            "server/Containerfile": containerfile,
            "client.py": CLIENT_INT_ID.format(url="http://localhost:8321"),
        }
        result = lint_files(tmp_path / str(len(containerfile)), files)
        assert by_rule(result, "SA305") == [("client.py", 7, 73)], containerfile
