"""stackalign: a version-aware linter for GitOps repositories that deploy an AI stack on OpenShift."""

import time as _time

__version__ = "0.1.0"

#: when stackalign was first imported (the start of STACKALIGN_TIMING's "start-up")
STARTED = _time.perf_counter()
