"""The chart's own defaults, read from the shipped package of the chart version in question.

Helm merges a user's values over the chart's `values.yaml` before rendering, so the pool
preview needs those defaults to know what a pool inherits when the user's file says nothing.
They are read from the package itself (`migrator/chart/data/adaptive-<version>.tgz`, read
once per process by `render.default_values`: Helm's reading of its values.yaml, without loading
the whole chart), so every version gets its own: `harmony.pdb` from 0.29,
`harmony.serviceAccount` from 0.30, `harmony.requireGpu` from 0.37, `harmony.cloudCache`
from 0.40, and whatever the next release adds, without a hand-made copy to fall behind.

A version the assistant does not ship (a chart the caller handed in) gets the defaults of
the newest shipped version before it: the closest the assistant knows. Versions before
0.24.0 get 0.24.0's: the preview only reads values in the compute-pool layout, which 0.24.0
introduced (0.23.0 and earlier have no `harmony.computePools` default).
"""

from __future__ import annotations

import copy
from functools import cache
from typing import Any

from migrator.chart import facts, packages, render
from migrator.versions import Version


@cache
def package_version(chart_version: str) -> str:
    """The shipped package whose defaults stand for `chart_version` (itself when shipped from 0.24.0).

    Raises ValueError for a `chart_version` that is not a version.
    """
    wanted = Version(chart_version)
    first = facts.COMPUTE_POOLS_LAYOUT.since
    shipped = [v for v in packages.shipped_versions() if Version(v) >= first]
    earlier = [v for v in shipped if Version(v) <= wanted]
    return earlier[-1] if earlier else shipped[0]


@cache
def _values(version: str) -> dict[str, Any]:
    """The package's own values (Helm's reading of its values.yaml); never handed out uncopied."""
    return render.default_values(packages.shipped(version))


def chart_values(chart_version: str) -> dict[str, Any]:
    """A fresh copy of every default of the chart at that version."""
    return copy.deepcopy(_values(package_version(chart_version)))


def chart_default(chart_version: str, *path: str) -> Any:
    """A fresh copy of one default (`chart_default(v, "mlflow", "enabled")`); None when absent."""
    value: Any = _values(package_version(chart_version))
    for key in path:
        value = value.get(key) if isinstance(value, dict) else None
    return copy.deepcopy(value)


def harmony_defaults(chart_version: str) -> dict[str, Any]:
    """A fresh copy of the chart's `harmony:` defaults at that chart version."""
    harmony = _values(package_version(chart_version)).get("harmony")
    return copy.deepcopy(harmony) if isinstance(harmony, dict) else {}


def default_capabilities(chart_version: str) -> str:
    """GROUP_CAPABILITIES when a pool sets none (written in the template, not in values.yaml)."""
    return facts.JOB_CAPABILITY.at(chart_version)


def known_capabilities(chart_version: str) -> frozenset[str]:
    """Capability tokens the chart's workers understand at that version."""
    known = set(facts.CAPABILITIES)
    if facts.JOB_CAPABILITY.holds(chart_version):
        known.add(facts.JOB)
    return frozenset(known)
