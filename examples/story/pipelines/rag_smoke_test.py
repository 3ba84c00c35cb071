"""Ask one question through the shield and the rag-docs vector DB."""

from kfp import dsl

BASE_IMAGE = "registry.access.redhat.com/ubi9/python-311:latest"
LLAMASTACK_URL = "http://rag-demo-service.rag-demo.svc.cluster.local:8321"


@dsl.component(
    base_image=BASE_IMAGE,
    packages_to_install=["llama-stack-client==0.2.22", "requests"],
)
def rag_smoke_test(
    llamastack_url: str,
    vector_db_id: str,
    model_id: str,
    question: str,
    shield_id: str = "hap",
) -> str:
    import requests
    from llama_stack_client import LlamaStackClient

    client = LlamaStackClient(base_url=llamastack_url)
    messages = [{"role": "user", "content": question}]
    verdict = client.safety.run_shield(shield_id=shield_id, messages=messages, params={})
    if verdict.violation:
        raise RuntimeError(f"shield {shield_id} blocked the question: {verdict.violation}")

    result = client.vector_io.query(vector_db_id=vector_db_id, query=question, params={"max_chunks": 5})
    context = "\n\n".join(str(chunk.content) for chunk in result.chunks)
    resp = requests.post(
        f"{llamastack_url}/v1/chat/completions",
        json={
            "model": model_id,
            "messages": [
                {"role": "system", "content": f"Answer from this context:\n{context}"},
                *messages,
            ],
        },
        timeout=120,
    )
    resp.raise_for_status()
    answer = resp.json()["choices"][0]["message"]["content"]
    print(answer)
    return answer


@dsl.pipeline(name="rag-smoke-test", description="One question through shield, retrieval and model.")
def rag_smoke_test_pipeline(
    question: str = "How do I rotate the Milvus token?",
    vector_db_id: str = "rag-docs",
    model_id: str = "granite-3-3-8b-instruct",
    llamastack_url: str = LLAMASTACK_URL,
):
    rag_smoke_test(
        llamastack_url=llamastack_url,
        vector_db_id=vector_db_id,
        model_id=model_id,
        question=question,
    )
