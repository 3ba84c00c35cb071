"""Calls the server the Job's LLAMA_STACK_URL names (the rh-dev one, 0.2.22)."""

import os

from llama_stack_client import LlamaStackClient

client = LlamaStackClient(base_url=os.environ["LLAMA_STACK_URL"])
chunks = [
    {"content": p, "metadata": {"document_id": "d", "chunk_id": i}} for i, p in enumerate(["a"])
]
client.vector_io.insert(vector_db_id="docs", chunks=chunks)  # stackalign: ignore[SA301] not used
client.vector_dbs.register(vector_db_id="docs", embedding_model="m", embedding_dimension=384)
