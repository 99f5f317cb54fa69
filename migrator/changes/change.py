"""What one breaking change of the chart is: data and two functions (see migrator.changes.registry)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from migrator.report.codes import Code
from migrator.versions import Version
from migrator.yaml.paths import has_path

# The chart's upgrade guide; a change's `guide_section` is an anchor in it.
GUIDE_URL = "https://github.com/adaptive-ml/adaptive-helm-chart/blob/main/charts/adaptive/UPGRADE.md"


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
    apply: Callable[[Any], None]  # called with a migrator.changes.context.ChangeContext
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
    # The finding codes only this change emits, with their severities and meaning (the codes every
    # change can emit are in migrator/report/codes.py).
    codes: tuple[Code, ...] = ()

    @property
    def guide_link(self) -> tuple[str, str] | None:
        """(the section's heading, its address) in the chart's upgrade guide; None if it has none."""
        if self.guide_section is None:
            return None
        anchor, words = self.guide_section
        return words, GUIDE_URL + anchor

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
