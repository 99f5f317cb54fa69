"""The chart's own `harmony:` defaults, as Python data, per chart version range.

Helm merges a user's values over these before rendering, so the pool preview
needs them to know what a pool inherits when the user's file says nothing.
Transcribed by hand (comments dropped, values unchanged) from the real default
values files in the shared corpus; tests/test_preview.py checks the
transcription against those files.

Version ranges: we hold two snapshots only. 0.24.0 (the first chart with
computePools) stands for 0.24.0 up to 0.37.0; 0.48.2 stands for 0.37.0 and
later, because 0.37 added `requireGpu`, the one harmony key with a different
inheritance rule. Keys added in between (pdb in 0.29, serviceAccount in 0.30)
are therefore missing for 0.29–0.36; none of them changes a pool's preview.
The keys a pool inherits (gpusPerReplica, resources, nodeSelector, tolerations,
podAnnotations, podLabels, extraEnvVars, shmSize) are identical in both files.
"""

from __future__ import annotations

import copy
from typing import Any

from migrator.versions import Version

# corpus/adaptive--values-0.24.0.yaml, `harmony:` section (chart 0.24.0, commit ffa3667).
HARMONY_0_24_0: dict[str, Any] = {
    "enabled": True,
    "image": {
        "repository": "adaptive-repository",
        "tag": "harmony:latest",
        "pullPolicy": "Always",
    },
    "gpusPerReplica": 8,
    "nodeSelector": {},
    "resources": {
        "limits": {"cpu": 30, "memory": "500Gi"},
        "requests": {"cpu": 30, "memory": "500Gi"},
    },
    "shmSize": "32Gi",
    "podAnnotations": {
        "ingest-adaptive-logs": "true",
        "prometheus.io/scrape": "adaptive",
        "prometheus.io/path": "/metrics",
        "prometheus.io/port": "50053",
    },
    "podLabels": {},
    "extraEnvVars": {},
    "tolerations": [
        {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"},
    ],
    "computePools": [
        {"name": "default", "replicas": 1},
    ],
}

# corpus/adaptive--values-0.48.2.yaml, `harmony:` section (chart 0.48.2).
HARMONY_0_48_2: dict[str, Any] = {
    "enabled": True,
    "serviceAccount": {"create": True, "annotations": {}, "name": ""},
    "image": {
        "repository": "adaptive-repository",
        "tag": "harmony:latest",
        "pullPolicy": "Always",
    },
    "requireGpu": True,
    "gpusPerReplica": 8,
    "nodeSelector": {},
    "resources": {
        "limits": {"cpu": 30, "memory": "500Gi"},
        "requests": {"cpu": 30, "memory": "500Gi"},
    },
    "cloudCache": {"type": "emptyDir"},
    "shmSize": "32Gi",
    "podAnnotations": {
        "ingest-adaptive-logs": "true",
        "prometheus.io/scrape": "adaptive",
        "prometheus.io/path": "/metrics",
        "prometheus.io/port": "50053",
    },
    "podLabels": {},
    "extraEnvVars": {},
    "tolerations": [
        {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"},
    ],
    "podSecurityContext": {},
    "securityContext": {},
    "pdb": {"enabled": False},
    "computePools": [
        {"name": "default", "replicas": 1},
    ],
}

# (first version the snapshot applies to, snapshot), oldest first.
_HARMONY_RANGES: list[tuple[tuple[int, int, int], dict[str, Any]]] = [
    ((0, 24, 0), HARMONY_0_24_0),
    ((0, 37, 0), HARMONY_0_48_2),
]

# From 0.38.3 the template's default capabilities changed and JOB was introduced
# (TRAINING and EVALUATION deprecated in its favour); see CHART.md.
JOB_CAPABILITY_SINCE = (0, 38, 3)
CAPABILITIES_BEFORE_0_38_3 = "TRAINING,INFERENCE,EVALUATION"
CAPABILITIES_FROM_0_38_3 = "JOB,INFERENCE"
DEPRECATED_CAPABILITIES = frozenset({"TRAINING", "EVALUATION"})


def harmony_defaults(chart_version: str) -> dict[str, Any]:
    """A fresh copy of the chart's `harmony:` defaults for that chart version.

    Versions before 0.24.0 get the 0.24.0 snapshot: the preview only looks at
    values already in the compute-pool layout, which 0.24.0 introduced.
    """
    wanted = Version(chart_version).parts
    chosen = _HARMONY_RANGES[0][1]
    for since, snapshot in _HARMONY_RANGES:
        if wanted >= since:
            chosen = snapshot
    return copy.deepcopy(chosen)


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
