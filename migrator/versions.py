"""Chart versions: parsing and ordering."""

from __future__ import annotations

import re
from functools import total_ordering

_VERSION = re.compile(r"^v?(\d+)\.(\d+)(?:\.(\d+|x))?$")


@total_ordering
class Version:
    """A chart version `MAJOR.MINOR.PATCH`; `0.24` and `0.24.x` mean the whole minor line."""

    __slots__ = ("parts", "text")

    def __init__(self, text: str) -> None:
        match = _VERSION.match(text.strip())
        if not match:
            raise ValueError(f"not a chart version: {text!r} (expected e.g. 0.25.0)")
        major, minor, patch = match.groups()
        # "0.24" / "0.24.x" as a target means "the newest 0.24": above every 0.24 patch.
        patch_num = 10**6 if patch in (None, "x") else int(patch)
        self.parts = (int(major), int(minor), patch_num)
        self.text = text.strip().lstrip("v")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Version) and self.parts == other.parts

    def __lt__(self, other: Version) -> bool:
        return self.parts < other.parts

    def __hash__(self) -> int:
        return hash(self.parts)

    def __repr__(self) -> str:
        return f"Version({self.text!r})"

    def __str__(self) -> str:
        return self.text

    def previous_line(self) -> str:
        """The label of the minor line just before this version, e.g. 0.25.0 -> '0.24.x'."""
        major, minor, patch = self.parts
        if patch > 0 and patch < 10**6:
            return f"{major}.{minor}.{patch - 1}"
        return f"{major}.{minor - 1}.x" if minor > 0 else f"{major - 1}.x"


def parse(text: str) -> Version:
    return Version(text)
