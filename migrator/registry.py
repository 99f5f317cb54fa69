"""The registry of the chart's breaking changes.

Each change is one module in `migrator/changes/` that defines `CHANGE`, a
`BreakingChange`. The registry finds them by listing that package, so adding
the next chart version's change is one new module (and its fixtures) and
nothing else: the engine, the CLI, the web app and the reference page all read
from here.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING, Any

from migrator.versions import Version

if TYPE_CHECKING:
    from migrator.context import ChangeContext


@dataclass(frozen=True)
class BreakingChange:
    id: str  # stable, kebab-case; tests, scripts and fixtures key on it
    version: str  # the chart version that introduced the change
    title: str
    explanation: str  # plain words: what changed and why it matters
    automated: str  # what the assistant does about it
    manual_steps: tuple[str, ...]  # what no values edit can do (generic; the report adds specifics)
    example_before: str
    example_after: str
    apply: Callable[[ChangeContext], None]
    # Fingerprints: dotted paths whose presence dates a file.
    old_keys: tuple[str, ...] = ()  # present -> the file is for a chart before `version`
    new_keys: tuple[str, ...] = ()  # present -> the file is for `version` or later
    severity: str = "warning"  # how much it matters when it applies: critical | warning | info
    # Whether the file still needs this change; by default: it has an old key.
    needs: Callable[[Any], bool] | None = field(default=None, compare=False)
    # Opt-in rewrites this change offers (names for `analyze(options=...)` / `--opt NAME`).
    # Without the option the change only reports the offer.
    options: tuple[str, ...] = ()
    # The first chart release that needs the change, where it differs from `version` (the upgrade
    # guide's label): the compute pools are "0.25.0" in the guide but chart 0.24.0 already
    # requires them. A migration to a target applies every change this version reaches.
    chart_version: str | None = None
    # The section of the chart's upgrade guide (UPGRADE.md) on this change: its heading's anchor
    # and the heading's words; None for a change the guide does not describe.
    guide_section: tuple[str, str] | None = None

    @property
    def parsed_version(self) -> Version:
        return Version(self.version)

    @property
    def needed_from(self) -> Version:
        """The first chart version whose values must have this change made."""
        return Version(self.chart_version or self.version)

    def is_needed(self, data: Any) -> bool:
        if self.needs is not None:
            return self.needs(data)
        return any(has_path(data, key) for key in self.old_keys)


def split_path(dotted: str) -> tuple[str, ...]:
    return tuple(dotted.split("."))


def has_path(data: Any, dotted: str | tuple) -> bool:
    """Whether the key at a dotted path is present (whatever its value)."""
    parts = split_path(dotted) if isinstance(dotted, str) else dotted
    for part in parts:
        if not isinstance(data, dict) or part not in data:
            return False
        data = data[part]
    return True


@cache
def all_changes() -> tuple[BreakingChange, ...]:
    """Every registered change, in chart-version order."""
    from migrator import changes as package

    found = []
    for info in pkgutil.iter_modules(package.__path__):
        module = importlib.import_module(f"{package.__name__}.{info.name}")
        change = getattr(module, "CHANGE", None)
        if isinstance(change, BreakingChange):
            found.append(change)
    ids = [c.id for c in found]
    if len(ids) != len(set(ids)):
        raise RuntimeError(f"two registered changes share an id: {sorted(ids)}")
    return tuple(sorted(found, key=lambda c: (c.parsed_version, c.id)))


def known_options() -> tuple[str, ...]:
    """Every opt-in rewrite name offered by a registered change, in version order."""
    return tuple(name for change in all_changes() for name in change.options)


def change_for_key(path: tuple) -> str | None:
    """The registered change whose fingerprints (old or new keys) cover the key at `path`, if any."""
    parts = tuple(str(p) for p in path if p != "[]")
    for change in all_changes():
        for key in (*change.old_keys, *change.new_keys):
            fingerprint = split_path(key)
            if parts[: len(fingerprint)] == fingerprint or fingerprint[: len(parts)] == parts:
                return change.id
    return None


def get_change(change_id: str) -> BreakingChange:
    for change in all_changes():
        if change.id == change_id:
            return change
    raise KeyError(change_id)
