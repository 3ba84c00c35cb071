"""Shell scripts: kept as text; checks look for URLs in them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class ShellSource:
    path: str
    text: str
