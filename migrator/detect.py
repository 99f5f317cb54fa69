"""Which chart versions a file was written for, from the keys it holds."""

from __future__ import annotations

from typing import Any

from migrator.changes.change import BreakingChange
from migrator.changes.registry import all_changes
from migrator.report.model import Detection, Evidence
from migrator.versions import Version
from migrator.yaml.paths import has_path, split_dotted


def detect(data: Any, line_of: Any = None) -> Detection:
    """Date the file by its fingerprints: old keys cap the range, new keys raise its floor.

    `line_of(path_tuple)` gives the line of a key, for evidence the user can find.
    """
    evidence: list[Evidence] = []
    low: Version | None = None
    high: Version | None = None
    conflict = False
    for change in all_changes():
        version = change.needed_from  # the first chart release that has the new layout
        old = [k for k in change.old_keys if has_path(data, k)]
        new = [k for k in change.new_keys if has_path(data, k)]
        for key in old:
            evidence.append(Evidence(key, f"before {version}", _line(line_of, key)))
        for key in new:
            evidence.append(Evidence(key, f"{version} or later", _line(line_of, key)))
        if old:
            high = version if high is None or version < high else high
        if new:
            low = version if low is None or version > low else low
        if old and new:
            conflict = True
    if low is not None and high is not None and not low < high:
        conflict = True
    pending = [c.id for c in all_changes() if _pending(c, data)]
    return Detection(
        label=_label(low, high, conflict),
        pending=pending,
        evidence=evidence,
        low=str(low) if low else None,
        high=str(high) if high else None,
        conflict=conflict,
    )


def _pending(change: BreakingChange, data: Any) -> bool:
    return change.is_needed(data)


def _line(line_of: Any, key: str) -> int | None:
    return line_of(split_dotted(key)) if line_of else None


def _label(low: Version | None, high: Version | None, conflict: bool) -> str:
    if conflict:
        return "mixed: keys of layouts from before and after the same change"
    if low is None and high is None:
        return "any version (no version-specific keys)"
    if low is None:
        assert high is not None
        return f"before {high} ({high.previous_line()} or earlier)"
    if high is None:
        return f"{low} or later"
    return f"{low} – {high.previous_line()}"
