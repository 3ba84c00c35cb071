"""stackalign: a version-aware linter for GitOps repositories that deploy an AI stack on OpenShift."""

import time as _time

__version__ = "0.1.0"

#: The project's repository, as pyproject.toml declares it ([project.urls] Repository; a test
#: keeps the two equal). Links users read (SARIF helpUri, `init`) are derived from it.
REPOSITORY_URL = "https://github.com/stackalign/stackalign"
#: Documentation links point at this ref of REPOSITORY_URL.
DOCS_REF = "main"


def docs_url(path: str) -> str:
    """The URL of a file of this repository (`docs/pre-commit.md`) as users can open it."""
    return f"{REPOSITORY_URL}/blob/{DOCS_REF}/{path}"


#: "off": never render a Helm chart; "sdk" / "binary": only that engine (render/helm.py)
HELM_ENGINE_ENV = "STACKALIGN_HELM"
#: the temporary folders of `helm template` runs (render/helm.py; not part of any result's state)
HELM_TEMP_PREFIX = "stackalign-helm-"

#: when stackalign was first imported (the start of STACKALIGN_TIMING's "start-up")
STARTED = _time.perf_counter()
