#!/usr/bin/env python3
"""Probe llama-stack-client / llama-stack server version skew on the real packages (not run in CI).

What it does, in throwaway virtual environments under a cache folder (default
`~/.cache/stackalign-probe`; venvs are reused between runs):

1. Header capture: installs every llama-stack-client release of the probed minor lines, one after
   the other, into one venv, points `LlamaStackClient(base_url=...)` at a tiny HTTP server of this
   script on 127.0.0.1 and records whether the request carries `X-LlamaStack-Client-Version`
   (and its value) with no `provider_data`, and with `provider_data`.
2. Pairs: for each server release (`SERVERS`), starts the real server
   (`python -m llama_stack.{distribution,core}.server.server --config` on 0.2.x,
   `llama stack run CONFIG` later) on 127.0.0.1 with a minimal inline config: one `remote::vllm`
   inference provider pointed at a fake OpenAI-compatible server of this script (models,
   chat completions, embeddings of dimension 8, all on 127.0.0.1) and `inline::faiss` vector IO on
   sqlite files in a temporary folder. Then, for each client line (the newest release of each minor
   line), runs a client program in the client's own venv that calls: `models.list`,
   chat (`chat.completions.create` and/or `inference.chat_completion`, whichever the client has),
   a vector store (`vector_dbs.register` and/or `vector_stores.create`), `vector_io.insert` and
   `vector_io.query`. Each call's outcome (ok / HTTP status / client-side error) is recorded, once
   with the server's version check on (LLAMA_STACK_DISABLE_VERSION_CHECK unset), once with
   `LLAMA_STACK_DISABLE_VERSION_CHECK=true` and once with `=false` (the server only asks whether the
   variable is set).
3. Writes the raw results as JSON (default rules/knowledge/probes/client-version-skew.json) with the
   run date, the Python used, every installed package version of each server venv that matters,
   and the total time.

The RHOAI fork builds (0.3.0rc3+rhai0, 0.3.5+rhai0, 0.4.2.1+rhai0, 0.7.1+rhaiv.1) are git tags of
opendatahub-io/llama-stack, which a machine with registry-only network cannot install: the upstream
release each was cut from is probed instead, and `stands_for` in each server entry says so.

Usage: python scripts/probe_client_skew.py [--servers 0.2.22,0.3.5] [--clients 0.2,0.3]
       [--budget SECONDS] [--jobs 2] [--out PATH] [--workdir DIR] [--skip-headers]
Needs Python 3.12 for the venvs (llama-stack >= 0.2.13 requires it): `PYENV_VERSION=3.12.1`.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import datetime
import http.server
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = ROOT / "rules" / "knowledge" / "probes" / "client-version-skew.json"
DEFAULT_WORKDIR = (
    Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "stackalign-probe"
)
HEADER = "X-LlamaStack-Client-Version"
EMBED_DIM = 8
CHAT_MODEL = "fake-chat"
EMBED_MODEL = "fake-embed"


@dataclass
class ServerSpec:
    """A server release to install, the extra pins its venv needs, and what it stands for."""

    version: str
    extra: list[str] = field(default_factory=list)
    stands_for: list[str] = field(
        default_factory=list
    )  # RHOAI builds this upstream release answers for
    note: str = ""
    #: resolve dependencies as of about two weeks after the release (uv --exclude-newer): today's
    #: mcp, opentelemetry or llama-stack-api break old servers that declare them unpinned
    exclude_newer: str | None = None


#: RHOAI server lines first (what users hit), then upstream releases.
SERVERS = [
    ServerSpec(
        "0.2.10",
        exclude_newer="2025-06-19",
        stands_for=["0.2.10"],
        note="RHOAI 2.22 (PyPI llama-stack==0.2.10)",
    ),
    ServerSpec(
        "0.2.14",
        exclude_newer="2025-07-18",
        stands_for=["0.2.14"],
        note="RHOAI 2.23 (PyPI llama-stack==0.2.14)",
    ),
    ServerSpec(
        "0.2.18",
        exclude_newer="2025-09-02",
        stands_for=["0.2.18"],
        note="RHOAI 2.24 (PyPI llama-stack==0.2.18)",
    ),
    ServerSpec(
        "0.2.22",
        exclude_newer="2025-09-30",
        stands_for=["0.2.22", "0.2.22.1+rhai0", "0.2.22.2+rhai0"],
        note="RHOAI 2.25 (PyPI llama-stack==0.2.22; fork z-streams not installable here)",
    ),
    ServerSpec(
        "0.3.0",
        exclude_newer="2025-11-04",
        stands_for=["0.3.0", "0.3.0rc3+rhai0"],
        note="upstream 0.3.0 stands for the RHOAI 3.0 fork pre-release 0.3.0rc3+rhai0 (cut from "
        "upstream main of 2025-10-15; no 0.3.0rc on PyPI; the fork tag is not installable here)",
    ),
    ServerSpec(
        "0.3.5",
        exclude_newer="2025-12-29",
        stands_for=["0.3.5", "0.3.5+rhai0", "0.3.5.1+rhai0"],
        note="upstream 0.3.5 stands for the RHOAI 3.2 fork build 0.3.5+rhai0 (not installable here)",
    ),
    ServerSpec(
        "0.4.2",
        exclude_newer="2026-02-03",
        extra=["llama-stack-api==0.4.4"],
        stands_for=["0.4.2", "0.4.2.1+rhai0"],
        note="upstream 0.4.2 with llama-stack-api 0.4.4 (as the RHOAI 3.3 midstream pins) stands "
        "for the fork build 0.4.2.1+rhai0 (not installable here)",
    ),
    ServerSpec(
        "0.5.0",
        exclude_newer="2026-02-19",
        extra=["llama-stack-api==0.5.0"],
        stands_for=["0.5.0", "0.5.0+rhai0"],
        note="upstream 0.5.0 stands for the RHOAI 3.4 EA1 fork build 0.5.0+rhai0",
    ),
    ServerSpec(
        "0.7.1",
        exclude_newer="2026-04-22",
        extra=["llama-stack-api==0.7.1"],
        stands_for=["0.7.1", "0.7.1+rhaiv.1"],
        note="upstream 0.7.1 stands for the RHOAI 3.4 fork build 0.7.1+rhaiv.1 (not installable here)",
    ),
]

#: What the minimal config's providers import (`llama stack build` would install them).
SERVER_PROVIDER_PACKAGES = [
    "openai",
    "aiosqlite",
    "sqlalchemy[asyncio]",
    "faiss-cpu",
    "opentelemetry-sdk",
    "opentelemetry-exporter-otlp-proto-http",
    "uvicorn",
    "chardet",
    "pypdf",
    "tiktoken",
]

#: Client minor lines on PyPI (llama-stack-client); the pair probe uses the newest release of each.
CLIENT_LINES = ["0.1", "0.2", "0.3", "0.4", "0.5", "0.6", "0.7"]

#: Server env modes: the version check on, and the variable set to "true" and to "false".
MODES = {"check": None, "disabled_true": "true", "disabled_false": "false"}


# -- small helpers ---------------------------------------------------------------------------------
def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def python312() -> str:
    env = dict(os.environ, PYENV_VERSION=os.environ.get("PROBE_PYENV_VERSION", "3.12.1"))
    out = subprocess.run(
        ["python3", "-c", "import sys; print(sys.executable)"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    exe = out.stdout.strip()
    ver = subprocess.run(
        [exe, "-c", "import sys; print(sys.version_info[:2])"], capture_output=True, text=True
    )
    if "(3, 12)" not in ver.stdout and "(3, 13)" not in ver.stdout:
        sys.exit(f"need Python >= 3.12 for llama-stack >= 0.2.13; got {exe} {ver.stdout.strip()}")
    return exe


class Tools:
    """uv in its own venv (fast installs with a shared cache)."""

    def __init__(self, workdir: Path, python: str):
        self.workdir, self.python = workdir, python
        self.uv = workdir / "tools" / "bin" / "uv"
        if not self.uv.exists():
            subprocess.run([python, "-m", "venv", str(workdir / "tools")], check=True)
            subprocess.run([str(workdir / "tools/bin/pip"), "install", "-q", "uv"], check=True)

    def venv(
        self, path: Path, requirements: list[str], log_path: Path, exclude_newer: str | None = None
    ) -> bool:
        if not (path / "bin" / "python").exists():
            subprocess.run([str(self.uv), "venv", "-q", "-p", self.python, str(path)], check=True)
        env = dict(os.environ, VIRTUAL_ENV=str(path))
        with open(log_path, "w") as fh:
            done = subprocess.run(
                [str(self.uv), "pip", "install", "-q", *requirements]
                + (["--exclude-newer", exclude_newer] if exclude_newer else []),
                env=env,
                stdout=fh,
                stderr=fh,
            )
        return done.returncode == 0


def installed(venv: Path, names: list[str]) -> dict[str, str | None]:
    code = (
        "import json, sys, importlib.metadata as m\n"
        "out = {}\n"
        "for n in sys.argv[1:]:\n"
        "    try: out[n] = m.version(n)\n"
        "    except m.PackageNotFoundError: out[n] = None\n"
        "print(json.dumps(out))\n"
    )
    done = subprocess.run(
        [str(venv / "bin/python"), "-c", code, *names], capture_output=True, text=True
    )
    return json.loads(done.stdout) if done.returncode == 0 else {}


# -- the fake OpenAI-compatible upstream and the header capture server ---------------------------
def _embedding(text: str) -> list[float]:
    import hashlib

    digest = hashlib.sha256(text.encode()).digest()
    return [b / 255.0 for b in digest[:EMBED_DIM]]


class FakeOpenAI(http.server.BaseHTTPRequestHandler):
    """Answers /v1/models, /v1/chat/completions, /v1/completions, /v1/embeddings; records headers."""

    captured: list[dict] = []
    lock = threading.Lock()

    def log_message(self, *args) -> None:  # quiet
        pass

    def _body(self) -> dict:
        n = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(n) if n else b""
        try:
            return json.loads(raw) if raw else {}
        except ValueError:
            return {}

    def _send(self, status: int, payload: object) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _record(self, body: dict | None) -> None:
        with self.lock:
            FakeOpenAI.captured.append(
                {"method": self.command, "path": self.path, "headers": dict(self.headers.items())}
            )

    def do_GET(self) -> None:
        self._record(None)
        path = self.path.split("?")[0].rstrip("/")
        if path.endswith("/models"):
            models = [
                {"id": CHAT_MODEL, "object": "model", "created": 0, "owned_by": "probe"},
                {"id": EMBED_MODEL, "object": "model", "created": 0, "owned_by": "probe"},
            ]
            self._send(200, {"object": "list", "data": models})
        elif path.endswith("/health"):
            self._send(200, {"status": "OK"})
        else:
            self._send(404, {"error": {"message": f"no route {path}"}})

    def do_POST(self) -> None:
        body = self._body()
        self._record(body)
        path = self.path.split("?")[0].rstrip("/")
        if path.endswith("/chat/completions"):
            if body.get("stream"):
                return self._stream_chat(body)
            self._send(200, _chat_completion(body))
        elif path.endswith("/completions"):
            self._send(
                200,
                {
                    "id": "cmpl-probe",
                    "object": "text_completion",
                    "created": int(time.time()),
                    "model": body.get("model", CHAT_MODEL),
                    "choices": [
                        {"index": 0, "text": "pong", "finish_reason": "stop", "logprobs": None}
                    ],
                    "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
                },
            )
        elif path.endswith("/embeddings"):
            inputs = body.get("input", [])
            inputs = [inputs] if isinstance(inputs, str) else inputs
            data = [
                {"object": "embedding", "index": i, "embedding": _embedding(str(t))}
                for i, t in enumerate(inputs)
            ]
            self._send(
                200,
                {
                    "object": "list",
                    "data": data,
                    "model": body.get("model", EMBED_MODEL),
                    "usage": {"prompt_tokens": 1, "total_tokens": 1},
                },
            )
        else:
            self._send(404, {"error": {"message": f"no route {path}"}})

    def _stream_chat(self, body: dict) -> None:
        self.send_response(200)
        self.send_header("content-type", "text/event-stream")
        self.end_headers()
        chunk = {
            "id": "chatcmpl-probe",
            "object": "chat.completion.chunk",
            "created": int(time.time()),
            "model": body.get("model", CHAT_MODEL),
            "choices": [
                {
                    "index": 0,
                    "delta": {"role": "assistant", "content": "pong"},
                    "finish_reason": None,
                }
            ],
        }
        last = dict(chunk, choices=[{"index": 0, "delta": {}, "finish_reason": "stop"}])
        for c in (chunk, last):
            self.wfile.write(f"data: {json.dumps(c)}\n\n".encode())
        self.wfile.write(b"data: [DONE]\n\n")


def _chat_completion(body: dict) -> dict:
    return {
        "id": "chatcmpl-probe",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": body.get("model", CHAT_MODEL),
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": "pong"},
                "finish_reason": "stop",
                "logprobs": None,
            }
        ],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
    }


def start_fake() -> tuple[http.server.ThreadingHTTPServer, int]:
    port = free_port()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), FakeOpenAI)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, port


# -- the program run inside each client venv ------------------------------------------------------
CLIENT_PROGRAM = r'''
import inspect, json, sys, importlib.metadata as md
base, chat_model, embed_model, dim, mode = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]
out = {"client": md.version("llama-stack-client"), "calls": {}}
import llama_stack_client as lsc
from llama_stack_client import LlamaStackClient

def outcome(fn):
    try:
        value = fn()
        return {"outcome": "ok", "status": 200}, value
    except lsc.APIStatusError as e:
        return {"outcome": "http", "status": e.status_code, "detail": str(e)[:300]}, None
    except lsc.APIConnectionError as e:
        return {"outcome": "connection", "status": None, "detail": str(e)[:200]}, None
    except Exception as e:
        return {"outcome": "client_error", "status": None, "detail": f"{type(e).__name__}: {e}"[:300]}, None

def record(name, fn):
    res, value = outcome(fn)
    out["calls"][name] = res
    return value

if mode == "headers":
    client = LlamaStackClient(base_url=base, max_retries=0, timeout=10)
    record("models_list", lambda: client.models.list())
    client2 = LlamaStackClient(base_url=base, max_retries=0, timeout=10, provider_data={"probe": "1"})
    record("models_list_with_provider_data", lambda: client2.models.list())
    print(json.dumps(out)); sys.exit(0)

client = LlamaStackClient(base_url=base, max_retries=0, timeout=60)
models = record("models_list", lambda: client.models.list())
def model_id(want):
    """The server's own id of a model of the fake upstream (0.3+ prefixes the provider id)."""
    items = getattr(models, "data", models) or []
    for m in items:
        # a newer client parses an older server's models leniently: fields it does not declare
        # (`identifier`) are only in the dump, and `getattr` answers None for them
        data = m.model_dump() if hasattr(m, "model_dump") else (m.dict() if hasattr(m, "dict") else {})
        ident = data.get("identifier") or data.get("id") or ""
        if ident == want or ident.endswith("/" + want):
            return ident
    return want
chat_model, embed_model = model_id(chat_model), model_id(embed_model)
out["model_ids"] = [chat_model, embed_model]
msgs = [{"role": "user", "content": "ping"}]
if hasattr(client, "chat") and hasattr(client.chat, "completions"):
    record("chat_completions_create", lambda: client.chat.completions.create(model=chat_model, messages=msgs, stream=False))
inference = getattr(client, "inference", None)
if inference is not None and hasattr(inference, "chat_completion"):
    record("inference_chat_completion", lambda: inference.chat_completion(model_id=chat_model, messages=msgs))
store_id = None
# clients run side by side against one server: each registers its own store
db_name = "probe-db-" + out["client"].replace(".", "-")
if hasattr(client, "vector_dbs"):
    v = record("vector_dbs_register", lambda: client.vector_dbs.register(
        vector_db_id=db_name, embedding_model=embed_model, embedding_dimension=dim, provider_id="faiss"))
    if v is not None:
        store_id = (v.model_dump() if hasattr(v, "model_dump") else {}).get("identifier") or db_name
if hasattr(client, "vector_stores"):
    extra = {"embedding_model": embed_model, "embedding_dimension": dim, "provider_id": "faiss"}
    v = record("vector_stores_create", lambda: client.vector_stores.create(name=db_name, extra_body=extra))
    if v is not None and store_id is None:
        store_id = (v.model_dump() if hasattr(v, "model_dump") else {}).get("id") or getattr(v, "id", None)
if hasattr(client, "vector_io") and store_id is not None:
    params = inspect.signature(client.vector_io.insert).parameters
    key = "vector_store_id" if "vector_store_id" in params else "vector_db_id"
    chunk = {
        "content": "stackalign probes client and server version skew",
        "chunk_id": db_name + "-chunk-1",
        "metadata": {"document_id": "probe-doc"},
        "chunk_metadata": {"chunk_id": db_name + "-chunk-1", "document_id": "probe-doc"},
        "embedding": [0.5] * dim,
        "embedding_model": embed_model,
        "embedding_dimension": dim,
    }
    out["vector_id_param"] = key
    record("vector_io_insert", lambda: client.vector_io.insert(**{key: store_id}, chunks=[chunk]))
    qparams = inspect.signature(client.vector_io.query).parameters
    qkey = "vector_store_id" if "vector_store_id" in qparams else "vector_db_id"
    record("vector_io_query", lambda: client.vector_io.query(**{qkey: store_id}, query="version skew"))
elif hasattr(client, "vector_io"):
    out["calls"]["vector_io_insert"] = {"outcome": "not_probed", "status": None, "detail": "no vector store could be created"}
print(json.dumps(out))
'''


def run_client(venv: Path, program: Path, base: str, mode: str, timeout: int = 180) -> dict:
    args = [
        str(venv / "bin/python"),
        str(program),
        base,
        CHAT_MODEL,
        EMBED_MODEL,
        str(EMBED_DIM),
        mode,
    ]
    try:
        done = subprocess.run(args, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"error": f"client program timed out after {timeout}s"}
    if done.returncode != 0:
        return {"error": (done.stderr or done.stdout)[-600:]}
    try:
        return json.loads(done.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return {"error": done.stdout[-600:] + done.stderr[-600:]}


# -- header capture ---------------------------------------------------------------------------------
def client_releases(python: str, lines: list[str]) -> list[str]:
    """Every llama-stack-client release of the given minor lines (pip's own index listing)."""
    done = subprocess.run(
        [python, "-m", "pip", "index", "versions", "llama-stack-client"],
        capture_output=True,
        text=True,
    )
    for line in done.stdout.splitlines():
        if line.startswith("Available versions:"):
            versions = [v.strip() for v in line.split(":", 1)[1].split(",")]
            keep = [v for v in versions if ".".join(v.split(".")[:2]) in lines]
            return sorted(keep, key=lambda v: tuple(int(p) for p in v.split(".") if p.isdigit()))
    sys.exit("cannot list llama-stack-client releases: " + done.stderr[-300:])


def capture_headers(
    tools: Tools, workdir: Path, program: Path, releases: list[str], deadline: float
) -> dict:
    venv = workdir / "venvs" / "client-headers"
    fake, port = start_fake()
    base = f"http://127.0.0.1:{port}"
    results: dict[str, dict] = {}
    try:
        for rel in releases:
            if time.time() > deadline:
                results[rel] = {"skipped": "time budget"}
                continue
            ok = tools.venv(
                venv, [f"llama-stack-client=={rel}"], workdir / "logs" / f"install-client-{rel}.log"
            )
            if not ok:
                results[rel] = {"error": "install failed"}
                continue
            FakeOpenAI.captured.clear()
            res = run_client(venv, program, base, "headers", timeout=60)
            reqs = list(FakeOpenAI.captured)
            hdrs = [{k.lower(): v for k, v in r["headers"].items()} for r in reqs]
            plain = hdrs[0] if hdrs else {}
            with_pd = hdrs[1] if len(hdrs) > 1 else {}
            results[rel] = {
                "installed": res.get("client"),
                "request_path": reqs[0]["path"] if reqs else None,
                "header_sent": HEADER.lower() in plain,
                "header_value": plain.get(HEADER.lower()),
                "header_sent_with_provider_data": HEADER.lower() in with_pd,
                "header_value_with_provider_data": with_pd.get(HEADER.lower()),
                "error": res.get("error"),
            }
            log(
                f"headers {rel}: sent={results[rel]['header_sent']} value={results[rel]['header_value']}"
            )
    finally:
        fake.shutdown()
    return results


# -- server runs ------------------------------------------------------------------------------------
def server_layout(venv: Path) -> dict:
    """How this release starts and which config shape it reads (read from its files)."""
    site = next((venv / "lib").glob("python3.*/site-packages"))
    ls = site / "llama_stack"
    old = ls / "distribution" / "server" / "server.py"
    new = ls / "core" / "server" / "server.py"
    module_main = None
    for path, mod in (
        (old, "llama_stack.distribution.server.server"),
        (new, "llama_stack.core.server.server"),
    ):
        if path.exists() and '__name__ == "__main__"' in path.read_text():
            module_main = mod
    has_storage = (ls / "core" / "storage").exists()
    vllm_cfg = next(iter(ls.glob("providers/remote/inference/vllm/config.py")), None)
    vllm_text = vllm_cfg.read_text() if vllm_cfg else ""
    url_key = "base_url" if re.search(r"^\s+base_url\s*:", vllm_text, re.M) else "url"
    server_py = new if new.exists() else old
    src = server_py.read_text()
    store = ls / "providers" / "utils" / "memory" / "vector_store.py"
    # faiss (and every vector IO provider) loads tiktoken's encoding from the network at start-up
    # from this release on: with registry-only network the server would not start with vector IO
    needs_download = store.exists() and "validate_tiktoken_encoding" in store.read_text()
    return {
        "module_main": module_main,
        "storage": has_storage,
        "vllm_url_key": url_key,
        "config_flag": '"--config"' in src,
        "vector_io": None
        if not needs_download
        else (
            "not probed: the vector IO providers download tiktoken's cl100k_base encoding at "
            "start-up (validate_tiktoken_encoding), which this machine cannot reach"
        ),
        "middleware": "ClientVersionMiddleware" in src,
        "disable_env_in_source": "LLAMA_STACK_DISABLE_VERSION_CHECK" in src,
        "server_py": str(server_py.relative_to(site)),
    }


def run_config(layout: dict, fake_port: int, state: Path) -> str:
    url = f"http://127.0.0.1:{fake_port}/v1"
    vllm = f"{layout['vllm_url_key']}: {url}\n        api_token: fake\n        max_tokens: 64"
    models = f"""
  - model_id: {CHAT_MODEL}
    provider_id: vllm
    provider_model_id: {CHAT_MODEL}
    model_type: llm
    metadata: {{}}
  - model_id: {EMBED_MODEL}
    provider_id: vllm
    provider_model_id: {EMBED_MODEL}
    model_type: embedding
    metadata:
      embedding_dimension: {EMBED_DIM}"""
    if not layout["storage"]:
        return f"""version: '2'
image_name: probe
apis: [inference, vector_io]
providers:
  inference:
  - provider_id: vllm
    provider_type: remote::vllm
    config:
        {vllm}
  vector_io:
  - provider_id: faiss
    provider_type: inline::faiss
    config:
      kvstore: {{type: sqlite, db_path: {state}/faiss.db}}
metadata_store: {{type: sqlite, db_path: {state}/registry.db}}
inference_store: {{type: sqlite, db_path: {state}/inference.db}}
models:{models}
shields: []
vector_dbs: []
server:
  port: 8321
"""
    vector_io = (
        ""
        if layout["vector_io"]
        else """  vector_io:
  - provider_id: faiss
    provider_type: inline::faiss
    config:
      persistence: {namespace: vector_io::faiss, backend: kv_default}
"""
    )
    vector_stores = (
        ""
        if layout["vector_io"]
        else f"""vector_stores:
  default_provider_id: faiss
  default_embedding_model: {{provider_id: vllm, model_id: {EMBED_MODEL}}}
"""
    )
    apis = "[inference]" if layout["vector_io"] else "[inference, vector_io]"
    return f"""version: 2
image_name: probe
distro_name: probe
apis: {apis}
providers:
  inference:
  - provider_id: vllm
    provider_type: remote::vllm
    config:
        {vllm}
{vector_io}storage:
  backends:
    kv_default: {{type: kv_sqlite, db_path: {state}/kv.db}}
    sql_default: {{type: sql_sqlite, db_path: {state}/sql.db}}
  stores:
    metadata: {{namespace: registry, backend: kv_default}}
    inference: {{table_name: inference_store, backend: sql_default}}
    conversations: {{table_name: openai_conversations, backend: sql_default}}
registered_resources:
  models:{models}
{vector_stores}server:
  port: 8321
"""


class RunningServer:
    """The real llama-stack server in its venv, on 127.0.0.1, with one env mode."""

    def __init__(
        self, venv: Path, layout: dict, config: Path, env_value: str | None, logfile: Path
    ):
        self.port = free_port()
        env = {
            k: v for k, v in os.environ.items() if not k.startswith(("LLAMA_STACK", "VIRTUAL_ENV"))
        }
        env.update(
            PATH=f"{venv}/bin:{env.get('PATH', '')}",
            HOME=str(config.parent),  # ~/.llama lands in the temporary folder
            LLAMA_STACK_PORT=str(self.port),
            LLAMA_STACK_LOGGING="all=warning",
        )
        if env_value is not None:
            env["LLAMA_STACK_DISABLE_VERSION_CHECK"] = env_value
        if layout["module_main"]:
            config_arg = ["--config", str(config)] if layout["config_flag"] else [str(config)]
            cmd = [
                str(venv / "bin/python"),
                "-m",
                layout["module_main"],
                *config_arg,
                "--port",
                str(self.port),
            ]
        else:
            cmd = [str(venv / "bin/llama"), "stack", "run", str(config), "--port", str(self.port)]
        self.log = open(logfile, "w")
        self.proc = subprocess.Popen(
            cmd,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            cwd=config.parent,
        )
        self.base = f"http://127.0.0.1:{self.port}"

    def wait_ready(self, timeout: float = 180) -> bool:
        end = time.time() + timeout
        while time.time() < end:
            if self.proc.poll() is not None:
                return False
            try:
                with urllib.request.urlopen(self.base + "/v1/health", timeout=2) as r:
                    if r.status == 200:
                        return True
            except Exception:
                time.sleep(0.5)
        return False

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.log.close()


def probe_server(
    spec: ServerSpec,
    tools: Tools,
    workdir: Path,
    program: Path,
    clients: dict[str, Path],
    jobs: int,
    deadline: float,
    modes: list[str],
) -> dict:
    venv = workdir / "venvs" / f"server-{spec.version}"
    t0 = time.time()
    entry: dict = {
        "version": spec.version,
        "stands_for": spec.stands_for,
        "note": spec.note,
        "exclude_newer": spec.exclude_newer,
    }
    reqs = [f"llama-stack=={spec.version}", *spec.extra, *SERVER_PROVIDER_PACKAGES]
    reqs += [f"--exclude-newer={spec.exclude_newer}"] if spec.exclude_newer else []
    marker = venv / "probe-requirements.txt"
    if not marker.exists() or marker.read_text() != "\n".join(reqs):
        shutil.rmtree(venv, ignore_errors=True)
        log_path = workdir / "logs" / f"install-server-{spec.version}.log"
        if tools.venv(
            venv, reqs[:-1] if spec.exclude_newer else reqs, log_path, spec.exclude_newer
        ):
            marker.write_text("\n".join(reqs))
        else:
            entry["error"] = "install failed (see the install log in the work folder)"
            return entry
    entry["packages"] = installed(
        venv,
        [
            "llama-stack",
            "llama-stack-api",
            "llama-stack-client",
            "fastapi",
            "starlette",
            "openai",
            "faiss-cpu",
        ],
    )
    layout = server_layout(venv)
    entry["layout"] = layout
    fake, fake_port = start_fake()
    entry["modes"] = {}
    try:
        for mode, value in MODES.items():
            if mode not in modes:
                continue
            if time.time() > deadline:
                entry["modes"][mode] = {"skipped": "time budget"}
                continue
            state = Path(tempfile.mkdtemp(prefix=f"probe-{spec.version}-"))
            config = state / "run.yaml"
            config.write_text(run_config(layout, fake_port, state))
            logfile = workdir / "logs" / f"server-{spec.version}-{mode}.log"
            server = RunningServer(venv, layout, config, value, logfile)
            try:
                if not server.wait_ready():
                    entry["modes"][mode] = {
                        "error": "server did not start",
                        "log_tail": logfile.read_text()[-1500:],
                    }
                    continue
                results: dict[str, dict] = {}
                with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
                    futures = {
                        pool.submit(run_client, cvenv, program, server.base, "pair"): line
                        for line, cvenv in clients.items()
                    }
                    for fut in concurrent.futures.as_completed(futures):
                        results[futures[fut]] = fut.result()
                entry["modes"][mode] = {
                    "env": None if value is None else f"LLAMA_STACK_DISABLE_VERSION_CHECK={value}",
                    "clients": dict(sorted(results.items())),
                }
                log(
                    f"server {spec.version} {mode}: "
                    + ", ".join(
                        f"{line}={r.get('calls', {}).get('models_list', {}).get('status', r.get('error', '?'))}"
                        for line, r in sorted(results.items())
                    )
                )
            finally:
                server.stop()
                shutil.rmtree(state, ignore_errors=True)
    finally:
        fake.shutdown()
    entry["seconds"] = round(time.time() - t0, 1)
    return entry


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--servers", default=",".join(s.version for s in SERVERS))
    ap.add_argument("--clients", default=",".join(CLIENT_LINES), help="client minor lines")
    ap.add_argument(
        "--budget", type=float, default=3600, help="total seconds; later steps are skipped"
    )
    ap.add_argument(
        "--jobs", type=int, default=2, help="client programs run at once against a server"
    )
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    ap.add_argument("--workdir", type=Path, default=DEFAULT_WORKDIR)
    ap.add_argument("--modes", default=",".join(MODES), help="server env modes to run")
    ap.add_argument("--keep-previous", action="store_true", help="keep --out's other servers")
    ap.add_argument("--skip-headers", action="store_true", help="reuse header results from --out")
    args = ap.parse_args()

    start = time.time()
    deadline = start + args.budget
    workdir = args.workdir
    (workdir / "venvs").mkdir(parents=True, exist_ok=True)
    (workdir / "logs").mkdir(exist_ok=True)
    python = python312()
    tools = Tools(workdir, python)
    program = workdir / "client_program.py"
    program.write_text(CLIENT_PROGRAM)
    lines = [c.strip() for c in args.clients.split(",") if c.strip()]
    wanted = [s for s in SERVERS if s.version in args.servers.split(",")]

    releases = client_releases(python, lines)
    newest = {
        line: [r for r in releases if ".".join(r.split(".")[:2]) == line][-1] for line in lines
    }
    previous = json.loads(args.out.read_text()) if args.out.exists() else {}
    if args.skip_headers and previous.get("headers"):
        headers = previous["headers"]
    else:
        headers = capture_headers(tools, workdir, program, releases, deadline)

    clients: dict[str, Path] = {}
    client_versions: dict[str, dict] = {}
    for line, rel in newest.items():
        venv = workdir / "venvs" / f"client-{rel}"
        if (
            installed(venv, ["llama-stack-client"]).get("llama-stack-client") != rel
            if venv.exists()
            else True
        ):
            tools.venv(
                venv,
                [f"llama-stack-client=={rel}"],
                workdir / "logs" / f"install-client-venv-{rel}.log",
            )
        client_versions[line] = installed(venv, ["llama-stack-client", "httpx", "pydantic"])
        clients[line] = venv

    previous_servers = {s["version"]: s for s in previous.get("servers", [])}
    servers = []
    skipped = []
    for spec in wanted:
        if time.time() > deadline:
            skipped.append(spec.version)
            continue
        log(f"server {spec.version}")
        servers.append(
            probe_server(
                spec, tools, workdir, program, clients, args.jobs, deadline, args.modes.split(",")
            )
        )
    probed = {s["version"] for s in servers}
    kept = [s for v, s in previous_servers.items() if v not in probed and args.keep_previous]
    order = [s.version for s in SERVERS]
    servers = sorted(
        servers + kept, key=lambda s: order.index(s["version"]) if s["version"] in order else 99
    )

    result = {
        "probe": "scripts/probe_client_skew.py",
        "run_date": datetime.date.today().isoformat(),
        "python": subprocess.run(
            [python, "--version"], capture_output=True, text=True
        ).stdout.strip(),
        "uv": subprocess.run(
            [str(tools.uv), "--version"], capture_output=True, text=True
        ).stdout.strip(),
        "seconds": round(time.time() - start, 1),
        "header": HEADER,
        "client_lines": {line: newest[line] for line in lines},
        "client_packages": client_versions,
        "headers": headers,
        "headers_reused": bool(args.skip_headers and previous.get("headers")),
        "servers": servers,
        "skipped_servers": skipped,
        "modes": {
            k: (None if v is None else f"LLAMA_STACK_DISABLE_VERSION_CHECK={v}")
            for k, v in MODES.items()
        },
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1, sort_keys=False) + "\n")
    log(f"wrote {args.out} in {result['seconds']} s")


if __name__ == "__main__":
    main()
