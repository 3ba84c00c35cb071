from __future__ import annotations

import os
import shutil
import signal
import tempfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"


# The rule-pack and configuration caches of the whole run (and of the processes it starts) live in a
# temporary folder, never in the user's home; tests/test_startup.py tests the cache itself.
_CACHE = tempfile.mkdtemp(prefix="stackalign-test-cache-")
os.environ["STACKALIGN_CACHE_DIR"] = _CACHE


def pytest_unconfigure(config: pytest.Config) -> None:
    shutil.rmtree(_CACHE, ignore_errors=True)


def corpus_wide(missing: Path) -> str:
    """Why a corpus-wide test (one that needs a whole corpus or recording of ../shared, which a
    clean clone lacks) skips: `pytest.skip(corpus_wide(path))`. Every other test runs on the subset
    vendored under tests/data/shared (tests/shared_subset.py)."""
    return f"corpus-wide test: {missing} is not present (../shared beside the checkout)"


@pytest.fixture
def shared() -> Path:
    """../shared, for corpus-wide tests."""
    if not SHARED.is_dir():
        pytest.skip(corpus_wide(SHARED))
    return SHARED


try:  # property tests: reproducible in CI (a fixed seed), exploratory on developers' machines
    from hypothesis import settings

    settings.register_profile("ci", derandomize=True, print_blob=True)
    if os.environ.get("CI"):
        settings.load_profile("ci")
except ImportError:  # hypothesis is a test extra
    pass


@pytest.fixture
def hang_guard():
    """Fail a test that takes longer than 60 s instead of hanging the suite (hostile inputs:
    FIFOs, alias bombs, deep nesting must all return promptly). POSIX SIGALRM."""

    def expired(signum, frame):
        raise TimeoutError("took longer than 60 s")

    old = signal.signal(signal.SIGALRM, expired)
    signal.alarm(60)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, old)
