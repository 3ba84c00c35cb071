"""Calls the 0.2.8 server through its operator Service."""

import requests

BASE = "http://old-service.rag.svc.cluster.local:8321"


def ingest(client, pieces):
    chunks = [
        {"content": p, "stored_chunk_id": f"d-{i}", "metadata": {"document_id": "d", "chunk_id": i}}
        for i, p in enumerate(pieces)
    ]
    client.vector_io.insert(vector_db_id="docs", chunks=chunks)


def search(store_id, q):
    return requests.post(f"{BASE}/v1/openai/v1/vector_stores/{store_id}/search", json={"query": q})
