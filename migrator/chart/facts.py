"""What the chart does at which version: every version fact the assistant relies on, in one place.

Each fact was read from the chart's packages (see `../shared/CHART.md`) and is
checked against real renders in the tests. Code asks `facts.X` instead of
writing a version literal, so that a new chart release is one edit here.
"""

from __future__ import annotations
