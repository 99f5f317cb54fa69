"""What the chart does at which version: every version fact the assistant relies on, in one place.

Each fact was read from the chart's packages (see `../shared/CHART.md`) and is
checked against real renders in the tests. Code asks `facts.X` instead of
writing a version literal, so that a new chart release is one edit here.

`FACTS` is the table: one `Fact(name, since, what)` per thing that changed in the chart's
templates at a version (`before`/`after`: the value before and from `since`, for a fact
that is a value, such as a default written in a template). The module-level names below
are the same records, for convenient use: `facts.REQUIRE_GPU.holds(version)`,
`facts.JOB_CAPABILITY.at(version)`, `f"from chart {facts.REQUIRE_GPU.since}"`.

Not here: what the packages say themselves (their `values.yaml` defaults, read by
`defaults.py`; the keys each version reads, `catalogue.py`) and each breaking change's own
version (`version=` of its `CHANGE` record: the registry's data).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from migrator.versions import Version


@dataclass(frozen=True)
class Fact:
    """From chart `since` on, `what` holds (and the value is `after`; before it, `before`)."""

    name: str
    since: Version
    what: str
    before: Any = None
    after: Any = None

    def holds(self, version: Version | str | tuple[int, ...]) -> bool:
        """Whether chart `version` has this fact (it is `since` or later)."""
        if isinstance(version, str):
            version = Version(version)
        parts = version.parts if isinstance(version, Version) else tuple(version)
        return parts >= self.since.parts

    def at(self, version: Version | str | tuple[int, ...]) -> Any:
        """The value at chart `version`: `after` from `since`, `before` until then."""
        return self.after if self.holds(version) else self.before


FACTS: tuple[Fact, ...] = (
    Fact(
        "compute-pools-layout",
        Version("0.24.0"),
        "harmony runs one StatefulSet per `harmony.computePools` entry (committed with the bump to "
        "0.24.0, commit ffa3667; 0.23.0 is the last chart with the old layout); the pool preview's "
        "defaults start at this package. Before, `harmony.partitionKey` defaulted to `before`; "
        "from here the partition key is the pool key.",
        before="default-statefulset",
    ),
    Fact(
        "compute-pools-guide",
        Version("0.25.0"),
        "the upgrade guide's label of the compute-pool change: the pool preview (and its default "
        "chart version) starts here",
    ),
    Fact("mlflow-statefulset", Version("0.25.0"), "mlflow runs as a StatefulSet (before: a Deployment)"),
    Fact(
        "node-selector-toyaml",
        Version("0.28.0"),
        "the pool template writes `nodeSelector` with toYaml (before: only a one-line nodeSelector "
        "renders as YAML)",
    ),
    Fact(
        "service-accounts", Version("0.30.0"), "one ServiceAccount per component (`<component fullname>-sa`)"
    ),
    Fact(
        "require-gpu", Version("0.37.0"), "`harmony.requireGpu` / `pool.requireGpu` turn the GPU request off"
    ),
    Fact(
        "service-account-name-honoured",
        Version("0.37.2"),
        "a set `<component>.serviceAccount.name` is used (0.30.0 to 0.37.1 ignore it and use the "
        "generated name)",
    ),
    Fact(
        "job-capability",
        Version("0.38.3"),
        "the JOB capability exists (TRAINING and EVALUATION deprecated for it) and a pool without "
        "`capabilities` gets `after` (before: `before`); the default is written in the template "
        '(`$pool.capabilities | default "..."`), not in values.yaml',
        before="TRAINING,INFERENCE,EVALUATION",
        after="JOB,INFERENCE",
    ),
    Fact("quoted-group", Version("0.38.3"), "the pool template quotes GROUP and PARTITION_KEY"),
    Fact(
        "secret-defaults-empty",
        Version("0.42.0"),
        "secret values have no placeholder defaults (0.18.0 to 0.41.x ship placeholder "
        "`secrets.db.*` defaults and refuse them beside an existing Secret)",
    ),
)

_BY_NAME = {fact.name: fact for fact in FACTS}
if len(_BY_NAME) != len(FACTS):
    raise RuntimeError("two chart facts share a name")

COMPUTE_POOLS_LAYOUT = _BY_NAME["compute-pools-layout"]
COMPUTE_POOLS_GUIDE = _BY_NAME["compute-pools-guide"]
MLFLOW_STATEFULSET = _BY_NAME["mlflow-statefulset"]
NODE_SELECTOR_TOYAML = _BY_NAME["node-selector-toyaml"]
SERVICE_ACCOUNTS = _BY_NAME["service-accounts"]
REQUIRE_GPU = _BY_NAME["require-gpu"]
SERVICE_ACCOUNT_NAME_HONOURED = _BY_NAME["service-account-name-honoured"]
JOB_CAPABILITY = _BY_NAME["job-capability"]
QUOTED_GROUP = _BY_NAME["quoted-group"]
SECRET_DEFAULTS_EMPTY = _BY_NAME["secret-defaults-empty"]

# Facts of every version.
CHART_REPOSITORY = "oci://ghcr.io/adaptive-ml/adaptive"  # where `helm upgrade` finds the chart
CAPABILITIES = ("TRAINING", "INFERENCE", "EVALUATION")  # the tokens every chart's workers know
JOB = "JOB"  # the token JOB_CAPABILITY adds
DEPRECATED_CAPABILITIES = ("TRAINING", "EVALUATION")  # from JOB_CAPABILITY, in favour of JOB
