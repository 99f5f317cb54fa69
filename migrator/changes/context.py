"""The one API a change module imports: the context it works in and the parts it may use.

A change reads the document, edits through the editor, and records what it found
and did on its `ChangeContext`. Everything else a change needs (its
`BreakingChange` record, `Keep`, paths, versions, the chart's names and version
facts) is re-exported here, so that the modules behind it can move without
touching any change.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from migrator.changes.change import BreakingChange
from migrator.chart import facts
from migrator.chart.names import pool_key, service_account_name
from migrator.chart.preview import is_empty
from migrator.report.codes import Code
from migrator.report.model import (
    RELEASE,
    Detection,
    Drop,
    Finding,
    Move,
    Severity,
    type_word,
)
from migrator.versions import Version
from migrator.yaml.editor import DocumentView, Editor
from migrator.yaml.paths import Path, format_path, get_in, has_path
from migrator.yaml.render import Keep

__all__ = [
    "RELEASE",
    "BreakingChange",
    "ChangeContext",
    "Code",
    "Keep",
    "Path",
    "Version",
    "facts",
    "format_path",
    "get_in",
    "is_empty",
    "pool_key",
    "service_account_name",
]


@dataclass
class ChangeRecord:
    """What one change found and did; the engine turns it into the report's entries."""

    findings: list[Finding] = field(default_factory=list)
    moved: list[Move] = field(default_factory=list)
    dropped: list[Drop] = field(default_factory=list)
    manual_steps: list[str] = field(default_factory=list)
    summary: str = ""  # what the change did, in a sentence or two
    blocked_reason: str | None = None
    by_hand: bool = False  # it applies, with nothing to edit in the values (status "manual")


@dataclass
class ChangeContext:
    """One change applied to one document: what it is given, and its record.

    A change reads `doc` (the current data, and positions), edits through
    `editor`, and records what it found and did through the methods below (into
    `record`). It never raises for a user's mistake: it calls `block()` with the
    reason, and the engine refuses to write a file. The editor is shared along
    the chain of changes.
    """

    editor: Editor
    change_id: str
    target: Version
    detection: Detection
    release: str = "adaptive"
    namespace: str = "default"
    options: frozenset[str] = frozenset()  # opt-in rewrites the user asked for (see BreakingChange)
    record: ChangeRecord = field(default_factory=ChangeRecord)

    def did(self, summary: str) -> None:
        """Say what the change did (shown on its card); a second call adds to it."""
        self.record.summary = f"{self.record.summary} {summary}" if self.record.summary else summary

    def applies_by_hand(self, summary: str) -> None:
        """The change applies to this upgrade with nothing to edit: only its manual steps."""
        self.record.by_hand = True
        self.did(summary)

    @property
    def doc(self) -> DocumentView:
        return DocumentView(self.editor)

    @property
    def data(self) -> Any:
        """The values as this change found them (its own edits do not show here)."""
        return self.editor.base

    def get(self, path: Path, default: Any = None) -> Any:
        return get_in(self.editor.base, path, default)

    def has(self, path: Path) -> bool:
        return has_path(self.editor.base, path)

    def opted(self, option: str) -> bool:
        """Whether the user asked for the opt-in rewrite `option`."""
        return option in self.options

    def crosses(self, version: str) -> bool | None:
        """Whether upgrading this file passes chart `version`, from the detected range.

        True: the file is for a chart before `version`; False: for `version` or
        later; None: its keys do not tell.
        """
        wanted = Version(version)
        high, low = self.detection.high, self.detection.low
        if high is not None and Version(high) <= wanted:
            return True
        if low is not None and Version(low) >= wanted:
            return False
        return None

    def finding(self, code: str, severity: Severity, path: Path | None, message: str) -> None:
        """Record a finding about the key at `path` (None: about no key); the engine gives it its
        line, in the input or, for a key the change creates, in the migrated file."""
        self.record.findings.append(Finding(code, severity, path, message, None, self.change_id))

    def block(self, reason: str, path: Path | None = None, code: str = "conflict") -> None:
        """Stop this change: a human must decide. Recorded as a critical finding too."""
        self.record.blocked_reason = reason
        self.finding(code, "critical", path, reason)

    def move(self, source: Path, target: Path) -> None:
        self.record.moved.append(Move(source, target))

    def drop(self, path: Path | str, reason: str) -> None:
        shown = format_path(path) if isinstance(path, tuple) else path
        self.record.dropped.append(Drop(shown, reason))

    def manual(self, step: str) -> None:
        if step not in self.record.manual_steps:
            self.record.manual_steps.append(step)

    def line(self, path: Path) -> int | None:
        return self.doc.line_of(path)

    def expect_mapping(self, path: Path, expected: str = "a mapping") -> bool:
        """True when `path` is absent, null or a mapping; otherwise block with a type error."""
        value = self.get(path)
        if value is None or isinstance(value, dict):
            return True
        self.type_error(path, expected)
        return False

    def type_error(self, path: Path, expected: str) -> None:
        """Block on a value of the wrong type, naming the line, the key and the type found."""
        found = type_word(self.get(path))
        where = self.line(path)
        self.block(
            f"`{format_path(path)}`{f' (line {where})' if where else ''} is {found}; expected {expected}",
            path,
            code="invalid-value",
        )
