"""Ingest markdown documents into the rag-docs vector DB on LlamaStack."""

from kfp import dsl

BASE_IMAGE = "registry.access.redhat.com/ubi9/python-311:latest"
LLAMASTACK_URL = "http://rag-demo-service.rag-demo.svc.cluster.local:8321"


@dsl.component(base_image=BASE_IMAGE)
def fetch_documents(source_urls: list, output_dir: dsl.OutputPath()):
    import os
    import urllib.request

    os.makedirs(output_dir, exist_ok=True)
    for url in source_urls:
        name = url.rstrip("/").rsplit("/", 1)[-1]
        urllib.request.urlretrieve(url, os.path.join(output_dir, name))
        print(f"fetched {url}")


@dsl.component(
    base_image=BASE_IMAGE,
    packages_to_install=["llama-stack-client==0.2.22"],
)
def register_vector_db(
    llamastack_url: str,
    vector_db_id: str,
    embedding_model: str,
    embedding_dimension: int = 768,
):
    from llama_stack_client import LlamaStackClient

    client = LlamaStackClient(base_url=llamastack_url)
    client.vector_dbs.register(
        vector_db_id=vector_db_id,
        embedding_model=embedding_model,
        embedding_dimension=embedding_dimension,
        provider_id="milvus-remote",
    )
    print(f"registered vector db {vector_db_id}")


@dsl.component(
    base_image=BASE_IMAGE,
    packages_to_install=["llama-stack-client==0.2.22"],
)
def chunk_and_insert(
    input_dir: dsl.InputPath(),
    llamastack_url: str,
    vector_db_id: str,
    chunk_size: int = 800,
) -> int:
    import pathlib

    from llama_stack_client import LlamaStackClient

    client = LlamaStackClient(base_url=llamastack_url)
    total = 0
    for path in sorted(pathlib.Path(input_dir).glob("*.md")):
        text = path.read_text(encoding="utf-8")
        document_id = path.stem
        pieces = [text[i:i + chunk_size] for i in range(0, len(text), chunk_size)]
        chunks = []
        for i, piece in enumerate(pieces):
            chunks.append(
                {
                    "content": piece,
                    "stored_chunk_id": f"{document_id}-{i}",
                    "metadata": {"document_id": document_id, "chunk_id": i},
                }
            )
        client.vector_io.insert(vector_db_id=vector_db_id, chunks=chunks)
        total += len(chunks)
    print(f"inserted {total} chunks into {vector_db_id}")
    return total


@dsl.pipeline(name="rag-ingest", description="Fetch, chunk and insert documents into LlamaStack.")
def ingest_pipeline(
    source_urls: list,
    vector_db_id: str = "rag-docs",
    embedding_model: str = "all-MiniLM-L6-v2",
    llamastack_url: str = LLAMASTACK_URL,
):
    fetch = fetch_documents(source_urls=source_urls)
    register = register_vector_db(
        llamastack_url=llamastack_url,
        vector_db_id=vector_db_id,
        embedding_model=embedding_model,
    )
    insert = chunk_and_insert(
        input_dir=fetch.outputs["output_dir"],
        llamastack_url=llamastack_url,
        vector_db_id=vector_db_id,
    )
    insert.after(register)
