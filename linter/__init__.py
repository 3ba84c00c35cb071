"""stackalign: a version-aware linter for GitOps repositories that deploy an AI stack on OpenShift."""

__version__ = "0.1.0"
