"""Shell scripts: kept as text; checks look for URLs in them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class ShellSource:
    """A shell script, kept as text (route rules search it for API paths)."""

    path: str
    text: str
