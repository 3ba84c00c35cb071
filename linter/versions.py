"""Version strings as the LlamaStack and RHOAI worlds write them, with a total order.

Accepted forms: `0.2.22`, `v0.2.8`, `0.3.0rc3+rhai0`, `0.7.1+rhaiv.1`, `0.2.22.1+rhai0`, `2.25`.
Ordering follows PEP 440 closely enough for these: pre-releases (`rc`, `a`, `b`, `dev`) sort before
the final release, and a local label (`+rhai0`) sorts after the same public version.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache, total_ordering

_VERSION_RE = re.compile(
    r"^v?(?P<release>\d+(?:\.\d+){0,3})"
    r"(?:[-.]?(?P<pre>rc|a|b|alpha|beta|dev)\.?(?P<pre_n>\d+)?)?"
    r"(?:\+(?P<local>[A-Za-z0-9.]+))?$"
)
_PRE_ORDER = {"dev": 0, "a": 1, "alpha": 1, "b": 2, "beta": 2, "rc": 3}


@total_ordering
@dataclass(frozen=True)
class Version:
    """A version (`0.3.0rc3+rhai0`) parsed for ordering: release, pre-release, local part."""

    text: str
    release: tuple[int, ...]
    pre: tuple[int, int] | None
    local: str | None

    @classmethod
    def parse(cls, text: str) -> Version:
        v = try_parse(text)
        if v is None:
            raise ValueError(f"not a version: {text!r}")
        return v

    def _key(self) -> tuple[tuple[int, ...], tuple[int, int], int, str]:
        release = self.release + (0,) * (4 - len(self.release))
        pre = self.pre if self.pre is not None else (9, 0)
        return (release, pre, 1 if self.local else 0, self.local or "")

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Version):
            return NotImplemented
        return self._key() < other._key()

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Version):
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    @property
    def minor_line(self) -> tuple[int, int]:
        """The (major, minor) line, e.g. (0, 2) for 0.2.22."""
        release = self.release + (0,)
        return release[0], release[1]

    @property
    def public(self) -> Version:
        """0.2.22.1+rhai0 -> 0.2.22.1: a local build label does not make a release newer."""
        return Version(text=self.text, release=self.release, pre=self.pre, local=None)

    @property
    def line_label(self) -> str:
        return "{}.{}".format(*self.minor_line)

    def __str__(self) -> str:
        return self.text


def try_parse(text: object) -> Version | None:
    return None if text is None else _parse(str(text).strip())


@lru_cache(maxsize=4096)
def _parse(s: str) -> Version | None:
    """Parsed once per distinct string: facts compare their bounds on every question."""
    m = _VERSION_RE.match(s)
    if not m:
        return None
    release = tuple(int(p) for p in m.group("release").split("."))
    pre = None
    if m.group("pre"):
        pre = (_PRE_ORDER[m.group("pre")], int(m.group("pre_n") or 0))
    return Version(text=s.lstrip("v"), release=release, pre=pre, local=m.group("local"))


def in_range(version: Version, since: str | None, until: str | None) -> bool:
    """True when since <= version < until (either bound may be absent)."""
    if since is not None and version < Version.parse(since):
        return False
    if until is not None and not version < Version.parse(until):
        return False
    return True


def closest(wanted: str, known: list[str]) -> str | None:
    """The known version nearest to `wanted` (same line preferred), for 'did you mean' messages."""
    if not known:
        return None
    w = try_parse(wanted)
    if w is None:
        return known[-1]

    def distance(k: str) -> tuple[int, ...]:
        kv = Version.parse(k)
        a = w.release + (0,) * (4 - len(w.release))
        b = kv.release + (0,) * (4 - len(kv.release))
        return tuple(abs(x - y) for x, y in zip(a, b, strict=True))

    return min(known, key=distance)
