"""Calls the plain Deployment through its Route (0.2.22), and the local compose server."""

import requests

ROUTE = "https://stack.apps.example.com"
LOCAL = "http://localhost:8321"


def chat(model, text):
    return requests.post(f"{ROUTE}/v1/chat/completions", json={"model": model, "messages": [text]})


def local_chat(model, text):
    return requests.post(
        f"{LOCAL}/v1/openai/v1/chat/completions", json={"model": model, "messages": [text]}
    )
