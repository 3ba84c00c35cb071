#!/usr/bin/env python3
"""What a real llama-stack release does with an int chunk id (the facts behind SA305).

Run it with the Python of a throwaway venv that has the release installed (never in CI; the tests
read only its recorded output):

    PYENV_VERSION=3.12.1 python3 -m venv /tmp/lls-0.2.22
    /tmp/lls-0.2.22/bin/pip install llama-stack==0.2.22 faiss-cpu "pymilvus>=2.4.10,<2.7" milvus-lite
    /tmp/lls-0.2.22/bin/python scripts/verify_chunk_id.py docs/evidence/chunk_id_llama-stack-0.2.22.json

Each experiment goes through the release's own code, the way the server does:
- `request`: the body of `POST /v1/vector-io/insert` validated into `Chunk`s (pydantic, as FastAPI
  does), once with `metadata.chunk_id` an int and once with `chunk_id` itself an int;
- `faiss`: the inline faiss index with a sqlite kvstore: `add_chunks` (the insert), `query_vector`
  and its JSON response (a query), and the index loaded again from the kvstore (a server restart);
- `milvus_lite`: the same with the Milvus index (Milvus Lite, a local file) when pymilvus is there.
Writes JSON to the file named on the command line (llama-stack logs to stdout): for each step `OK <what it returned>` or `ERROR <exception type>: <first line>`.
"""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
import warnings
from pathlib import Path
from typing import Any

DIMENSION = 4


def outcome(func: Any) -> str:
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            value = func()
        note = f" (warnings: {[str(w.message).splitlines()[0] for w in caught]})" if caught else ""
        return f"OK {value!r}{note}"
    except Exception as exc:  # the experiment records every failure, whatever its type
        first = str(exc).splitlines()
        return f"ERROR {type(exc).__name__}: {' | '.join(line.strip() for line in first[:3])}"


def bodies() -> dict[str, dict]:
    return {
        "metadata.chunk_id int": {
            "content": "alpha",
            "metadata": {"document_id": "doc-1", "chunk_id": 7},
        },
        "chunk_id int": {"content": "alpha", "metadata": {"document_id": "doc-1"}, "chunk_id": 7},
        "metadata.chunk_id int 0": {
            "content": "alpha",
            "metadata": {"document_id": "doc-1", "chunk_id": 0},
        },
    }


def request_experiments(chunk_cls: type) -> dict[str, str]:
    from pydantic import TypeAdapter

    adapter = TypeAdapter(list[chunk_cls])
    out = {}
    for name, body in bodies().items():
        out[f"request {name}: validate"] = outcome(
            lambda b=body: describe(adapter.validate_python([b])[0])
        )
        out[f"request {name}: dump and validate again"] = outcome(
            lambda b=body: describe(
                chunk_cls.model_validate_json(adapter.validate_python([b])[0].model_dump_json())
            )
        )
    return out


def describe(chunk: Any) -> dict:
    return {
        "chunk_id": chunk.chunk_id,
        "type": type(chunk.chunk_id).__name__,
        "metadata": chunk.metadata,
    }


def faiss_experiment(chunk_cls: type, body: dict) -> dict[str, str]:
    import numpy as np
    from llama_stack.providers.inline.vector_io.faiss.faiss import FaissIndex

    out: dict[str, str] = {}
    with tempfile.TemporaryDirectory() as tmp:

        async def run() -> None:
            store = await sqlite_kvstore(str(Path(tmp) / "kv.db"))
            index = await FaissIndex.create(DIMENSION, store, "bank")
            chunk = chunk_cls.model_validate(body)
            vectors = np.array([[0.1, 0.2, 0.3, 0.4]], dtype=np.float32)
            out["faiss add_chunks"] = await async_outcome(index.add_chunks([chunk], vectors))
            out["faiss query_vector"] = await async_outcome(
                index.query_vector(vectors[0], 1, 0.0), summary=summarize_query
            )
            response = await index.query_vector(vectors[0], 1, 0.0)
            out["faiss query response as JSON"] = outcome(lambda: response.model_dump_json())
            out["faiss index loaded again from its kvstore (server restart)"] = await async_outcome(
                FaissIndex.create(DIMENSION, store, "bank"),
                summary=lambda i: {"chunks": [describe(c) for c in i.chunk_by_index.values()]},
            )

        asyncio.run(run())
    return out


async def sqlite_kvstore(db_path: str) -> Any:
    """A sqlite kvstore the release's own way: a config up to 0.2.x, a registered storage backend
    and a reference to it from 0.3.0rc4."""
    from llama_stack.providers.utils.kvstore import kvstore_impl

    try:
        from llama_stack.core.storage.datatypes import KVStoreReference, SqliteKVStoreConfig
        from llama_stack.providers.utils.kvstore.kvstore import register_kvstore_backends
    except ImportError:
        from llama_stack.providers.utils.kvstore.config import SqliteKVStoreConfig

        return await kvstore_impl(SqliteKVStoreConfig(db_path=db_path))
    register_kvstore_backends({"kv_verify": SqliteKVStoreConfig(db_path=db_path)})
    return await kvstore_impl(KVStoreReference(backend="kv_verify", namespace="verify"))


def milvus_lite_experiment(chunk_cls: type, body: dict) -> dict[str, str]:
    import numpy as np

    try:
        from pymilvus import MilvusClient
    except ImportError as exc:
        return {"milvus_lite": f"SKIPPED {exc}"}
    from llama_stack.providers.remote.vector_io.milvus.milvus import MilvusIndex

    out: dict[str, str] = {}
    with tempfile.TemporaryDirectory() as tmp:

        async def run() -> None:
            try:
                client = MilvusClient(str(Path(tmp) / "milvus.db"))
            except Exception as exc:  # recorded: the experiment needs Milvus Lite
                out["milvus_lite"] = f"SKIPPED {type(exc).__name__}: {exc}"
                return
            index = MilvusIndex(client, "bank")
            chunk = chunk_cls.model_validate(body)
            vectors = np.array([[0.1, 0.2, 0.3, 0.4]], dtype=np.float32)
            out["milvus_lite add_chunks"] = await async_outcome(index.add_chunks([chunk], vectors))
            out["milvus_lite query_vector"] = await async_outcome(
                index.query_vector(vectors[0], 1, 0.0), summary=summarize_query
            )

        asyncio.run(run())
    return out


def summarize_query(response: Any) -> dict:
    return {"chunks": [describe(c) for c in response.chunks]}


async def async_outcome(awaitable: Any, summary: Any = None) -> str:
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            value = await awaitable
        note = f" (warnings: {[str(w.message).splitlines()[0] for w in caught]})" if caught else ""
        return f"OK {summary(value) if summary else value!r}{note}"
    except Exception as exc:  # recorded, whatever its type
        first = str(exc).splitlines()
        return f"ERROR {type(exc).__name__}: {' | '.join(line.strip() for line in first[:3])}"


def main(argv: list[str]) -> int:
    from importlib.metadata import version

    from llama_stack.apis.vector_io import Chunk

    result: dict[str, Any] = {
        "generated_by": "scripts/verify_chunk_id.py",
        "llama_stack": version("llama-stack"),
        "python": sys.version.split()[0],
        "pydantic": version("pydantic"),
    }
    for package in ("faiss-cpu", "pymilvus", "milvus-lite"):
        try:
            result[package] = version(package)
        except Exception:  # not installed: its experiment records why
            result[package] = None
    result.update(request_experiments(Chunk))
    body = bodies()["metadata.chunk_id int"]
    result.update(faiss_experiment(Chunk, body))
    result.update(milvus_lite_experiment(Chunk, body))
    Path(argv[0]).write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
