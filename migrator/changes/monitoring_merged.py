"""0.38.0: the separate `monitoring` chart is removed; this chart deploys it as `lgtm`.

No values key moves: the old monitoring stack was a separate Helm release with its own
values file. What the upgrade needs is done by hand, so this change only reports.

Finding codes:
- `monitoring-uninstall`: the upgrade crosses 0.38.0 (warning, with manual steps), or the
  file does not tell whether it does (info: the same advice, conditional).
"""

from __future__ import annotations

from migrator.changes.context import RELEASE, BreakingChange, ChangeContext, Code

VERSION = "0.38.0"
LGTM = ("lgtm",)
STEPS = (
    "If the separate monitoring chart is installed, uninstall its release (e.g. "
    "`helm uninstall adaptive-monitoring`); it is no longer published.",
    "Enable the merged stack in this file with `lgtm.enabled: true` if you want it, carrying over "
    "your old monitoring settings (persistence, env) under `lgtm`.",
    "The old monitoring release's PVC data is not carried over: the `lgtm` deployment creates its own "
    "PVC. Copy the data by hand if you need it.",
)


def apply(ctx: ChangeContext) -> None:
    if ctx.has(LGTM):
        return  # the file already configures the merged stack
    crossing = ctx.crosses(VERSION)
    if crossing is False:
        return
    if crossing:
        ctx.finding(
            "monitoring-uninstall",
            "warning",
            RELEASE,
            f"The upgrade crosses chart {VERSION}: the separate `monitoring` chart is removed and its "
            "stack is now part of this chart as `lgtm` (off by default). An old monitoring release "
            "keeps running, unmanaged, until you uninstall it; its PVC data is not migrated.",
        )
        for step in STEPS:
            ctx.manual(step)
        ctx.applies_by_hand("Nothing to edit in the values; the monitoring release needs the manual steps.")
        return
    ctx.finding(
        "monitoring-uninstall",
        "info",
        RELEASE,
        f"If this release runs a chart older than {VERSION} with the separate `monitoring` chart beside "
        "it: uninstall the monitoring release, and enable `lgtm.enabled: true` here if you want the "
        "merged stack (its PVC data is not carried over).",
    )


CHANGE = BreakingChange(
    id="monitoring-merged",
    guide_section=("#037x-to-0380", "0.37.x to 0.38.0: Monitoring Chart Merged into Adaptive Chart"),
    version=VERSION,
    title="Monitoring chart merged into this chart as `lgtm`",
    explanation=(
        "Up to 0.37 the LGTM observability stack (Grafana, Loki, Tempo, Mimir, Pyroscope) came from a "
        "separate `monitoring` chart, installed as its own Helm release. From 0.38.0 that chart is no "
        "longer published; the stack is an optional part of this chart under `lgtm` (`lgtm.enabled: "
        "false` by default). There is no values key to move: the old release must be uninstalled by hand, "
        "and its persistent data is not migrated to the new PVC."
    ),
    automated="Nothing to rewrite; reports the manual steps when the upgrade crosses 0.38.0.",
    manual_steps=STEPS,
    example_before="# a separate release: helm install adaptive-monitoring …/monitoring\n",
    example_after="lgtm:\n  enabled: true\n",
    apply=apply,
    new_keys=("lgtm",),
    severity="warning",
    codes=(
        Code(
            "monitoring-uninstall",
            ("warning", "info"),
            "The separate `monitoring` chart is merged into this one as `lgtm` from 0.38.0: uninstall the "
            "old monitoring release (its volume data is not carried over); a warning when the file's keys "
            "prove the upgrade crosses 0.38.0, information when they cannot tell.",
        ),
    ),
)
