"""The chart's own defaults, read from the shipped package of the chart version in question.

Helm merges a user's values over the chart's `values.yaml` before rendering, so the pool
preview needs those defaults to know what a pool inherits when the user's file says nothing.
They are read from the package itself (`migrator/chart/data/adaptive-<version>.tgz`, loaded
once per process by `render.load`), so every version gets its own: `harmony.pdb` from 0.29,
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

from migrator.chart import packages, render
from migrator.versions import Version

# The first chart with `harmony.computePools` (CHART.md "Version labels").
FIRST_POOLS_VERSION = "0.24.0"

# From 0.38.3 the template's default capabilities changed and JOB was introduced
# (TRAINING and EVALUATION deprecated in its favour); see CHART.md. The default is written in
# the template (`$pool.capabilities | default "..."`), not in values.yaml.
JOB_CAPABILITY_SINCE = (0, 38, 3)
CAPABILITIES_BEFORE_0_38_3 = "TRAINING,INFERENCE,EVALUATION"
CAPABILITIES_FROM_0_38_3 = "JOB,INFERENCE"
DEPRECATED_CAPABILITIES = frozenset({"TRAINING", "EVALUATION"})


@cache
def package_version(chart_version: str) -> str:
    """The shipped package whose defaults stand for `chart_version` (itself when shipped from 0.24.0).

    Raises ValueError for a `chart_version` that is not a version.
    """
    wanted = Version(chart_version)
    first = Version(FIRST_POOLS_VERSION)
    shipped = [v for v in packages.shipped_versions() if Version(v) >= first]
    earlier = [v for v in shipped if Version(v) <= wanted]
    return earlier[-1] if earlier else shipped[0]


@cache
def _values(version: str) -> dict[str, Any]:
    """The package's own values (Helm's reading of its values.yaml); never handed out uncopied."""
    values = render.load(packages.shipped(version)).values
    return values if isinstance(values, dict) else {}


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
    """GROUP_CAPABILITIES when a pool sets none."""
    if Version(chart_version).parts >= JOB_CAPABILITY_SINCE:
        return CAPABILITIES_FROM_0_38_3
    return CAPABILITIES_BEFORE_0_38_3


def known_capabilities(chart_version: str) -> frozenset[str]:
    """Capability tokens the chart's workers understand at that version."""
    known = {"TRAINING", "INFERENCE", "EVALUATION"}
    if Version(chart_version).parts >= JOB_CAPABILITY_SINCE:
        known.add("JOB")
    return frozenset(known)
