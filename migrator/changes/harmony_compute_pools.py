"""0.25.0: harmony's single StatefulSet becomes a list of compute pools."""

from __future__ import annotations

from migrator.changes.context import BreakingChange, ChangeContext, Code, Keep, facts, pool_key

VERSION = "0.25.0"  # the upgrade guide's label; chart 0.24.0 already has the layout (CHART.md)
HARMONY = ("harmony",)
GROUP = ("harmony", "group")
REPLICAS = ("harmony", "replicaCount")
PARTITION = ("harmony", "partitionKey")
POOLS = ("harmony", "computePools")
LEGACY_POOL = ("harmony", "computePool")
AUTOSCALING = ("autoscaling",)
OLD_DEFAULT_PARTITION = facts.COMPUTE_POOLS_LAYOUT.before  # `harmony.partitionKey`'s old default


def _empty(value: object) -> bool:
    return value is None or value == ""


def _legacy_pool_findings(ctx: ChangeContext) -> None:
    """The singular `computePool` list and `autoscaling` are silently ignored from 0.25."""
    legacy = ctx.get(LEGACY_POOL)
    if isinstance(legacy, list) and legacy:
        names = ", ".join(
            f"`{entry.get('name', '?')}`" if isinstance(entry, dict) else "?" for entry in legacy
        )
        ctx.finding(
            "legacy-compute-pool",
            "warning",
            LEGACY_POOL,
            f"`harmony.computePool` lists {len(legacy)} extra inference pool(s) ({names}). The chart "
            f"from {VERSION} ignores this key: those Deployments (and their KEDA autoscaling) are not "
            "created any more.",
        )
        ctx.manual(
            "Re-create the pools of `harmony.computePool` you still need as `harmony.computePools` "
            "entries (fixed `replicas`; the KEDA autoscaling of the old pools is gone), then delete "
            "`harmony.computePool`."
        )
    elif ctx.has(LEGACY_POOL):
        ctx.finding(
            "legacy-compute-pool",
            "info",
            LEGACY_POOL,
            f"`harmony.computePool` is empty and ignored from {VERSION}; it can be deleted.",
        )
    autoscaling = ctx.get(AUTOSCALING)
    if isinstance(autoscaling, dict):
        enabled = autoscaling.get("enabled") is True
        ctx.finding(
            "legacy-compute-pool",
            "warning" if enabled else "info",
            AUTOSCALING,
            f"Top-level `autoscaling` drove the old inference pools and is ignored from {VERSION}"
            + ("; autoscaling is enabled here and will stop." if enabled else "; it can be deleted."),
        )


def _partition_changes(ctx: ChangeContext, old_key: object, new_key: str, name: str) -> None:
    ctx.finding(
        "partition-key-changed",
        "warning",
        PARTITION if ctx.has(PARTITION) else HARMONY,
        f"The workers' partition key changes from `{old_key}` to `{new_key}` (the chart now derives it "
        f"from the pool name `{name}`). Workers register under the new partition after the upgrade.",
    )
    ctx.manual(
        f"Expect harmony workers to register under partition `{new_key}` instead of `{old_key}`; "
        "update anything that refers to the old partition name."
    )


def apply(ctx: ChangeContext) -> None:
    present = [p for p in (GROUP, REPLICAS, PARTITION) if ctx.has(p)]
    if not present:
        return
    _legacy_pool_findings(ctx)

    group, replicas = ctx.get(GROUP), ctx.get(REPLICAS)
    if not _empty(replicas) and (not isinstance(replicas, int) or isinstance(replicas, bool)):
        ctx.type_error(REPLICAS, "a whole number of replicas")
        return
    if not _empty(group) and not isinstance(group, str):
        ctx.type_error(GROUP, 'a pool name (a string such as "default")')
        return
    name = group if not _empty(group) else "default"
    count = replicas if not _empty(replicas) else 1
    new_key = pool_key(name)
    old_key = ctx.get(PARTITION)
    old_key = old_key if not _empty(old_key) else OLD_DEFAULT_PARTITION

    existing = ctx.get(POOLS)
    if ctx.has(POOLS):
        same = (
            isinstance(existing, list)
            and len(existing) == 1
            and isinstance(existing[0], dict)
            and existing[0].get("name") == name
            and existing[0].get("replicas", 1) == count
        )
        if not same:
            ctx.block(
                "The file has both the old keys ("
                + ", ".join(f"`harmony.{p[-1]}`" for p in present)
                + ") and `harmony.computePools`, and they describe different pools. Decide which is "
                "right, delete the other, and run the assistant again.",
                present[0],
            )
            return
        if ctx.has(PARTITION) and str(old_key) != new_key:
            _partition_changes(ctx, old_key, new_key, name)  # the pool does not keep the old key
        for path in present:
            ctx.editor.remove_key(path)
            ctx.drop(path, "it repeated what `harmony.computePools` already says")
        ctx.did("Removed the old harmony keys, which repeated `harmony.computePools`.")
        return

    if str(old_key) != new_key:
        _partition_changes(ctx, old_key, new_key, name)

    pool: dict = {}
    comments: dict = {(): ""}
    pool["name"] = Keep(GROUP) if not _empty(group) else "default"
    comments[(0, "name")] = ctx.doc.inline_comment(GROUP) if ctx.has(GROUP) else ""
    pool["replicas"] = Keep(REPLICAS) if not _empty(replicas) else 1
    comments[(0, "replicas")] = ctx.doc.inline_comment(REPLICAS) if ctx.has(REPLICAS) else ""

    # The pool goes where the first old key stood, so nearby comments stay nearby.
    anchors = [p for p in (GROUP, REPLICAS) if ctx.has(p)] or [PARTITION]
    first = min(anchors, key=lambda p: ctx.line(p) or 0)
    ctx.editor.replace_key(first, "computePools", [pool], comments=comments)
    for path in present:
        if path != first:
            ctx.editor.remove_key(path)
    if ctx.has(GROUP):
        ctx.move(GROUP, (*POOLS, 0, "name"))
    if ctx.has(REPLICAS):
        ctx.move(REPLICAS, (*POOLS, 0, "replicas"))
    if ctx.has(PARTITION):
        ctx.drop(
            PARTITION, f"the chart derives the partition key from the pool name from {VERSION} (`{new_key}`)"
        )
    ctx.did(
        f"Replaced {', '.join(f'`harmony.{p[-1]}`' for p in present)} by one compute pool `{name}` with "
        f"{count} replica(s); harmony-level settings stay as defaults for every pool."
    )


CHANGE = BreakingChange(
    id="harmony-compute-pools",
    guide_section=("#024x-to-0250", "0.24.x to 0.25.0: Harmony Compute Pools Configuration"),
    version=VERSION,
    chart_version="0.24.0",  # the layout was committed with the bump to 0.24.0 (CHART.md)
    title="Harmony compute pools replace the single StatefulSet",
    explanation=(
        "Harmony used to run as one StatefulSet sized by `harmony.replicaCount`, named by "
        "`harmony.group`, with its own `harmony.partitionKey`. Now it runs one StatefulSet and "
        "headless Service per entry of `harmony.computePools`; each pool's name is also its GROUP, and "
        "its partition key is derived from the name, so the workers' partition changes (even for the "
        "chart's own defaults: `default-statefulset` becomes `default`). The new chart refuses to "
        "render while the old keys are set. Settings at the harmony level stay as defaults every pool "
        "inherits. The upgrade guide files this under 0.25.0, but chart 0.24.0 already has the new "
        "layout and refuses the old keys, so an upgrade to 0.24.0 needs the change too; which layout "
        "your file uses is read from its keys, never from a version number."
    ),
    automated=(
        "Replaces `harmony.group`, `harmony.replicaCount` and `harmony.partitionKey` by one "
        "`harmony.computePools` entry (name from `group` or `default`, replicas from `replicaCount` "
        "or 1), keeping every other harmony setting where it is."
    ),
    manual_steps=(
        "Expect the workers to register under a new partition (derived from the pool name).",
        "Re-create any `harmony.computePool` (singular) inference pools as `computePools` entries; "
        "the old ones and their autoscaling are no longer deployed.",
    ),
    example_before=(
        "harmony:\n  group: my-gpu-pool\n  partitionKey: my-partition\n  replicaCount: 2\n"
        "  gpusPerReplica: 4\n"
    ),
    example_after=(
        "harmony:\n  gpusPerReplica: 4\n  computePools:\n    - name: my-gpu-pool\n      replicas: 2\n"
    ),
    apply=apply,
    old_keys=("harmony.replicaCount", "harmony.group", "harmony.partitionKey"),
    new_keys=("harmony.computePools",),
    severity="warning",
    codes=(
        Code(
            "partition-key-changed",
            ("warning",),
            "The harmony workers' partition key changes with the move to compute pools (it is derived "
            "from the pool name), so the workers register under a new partition after the upgrade.",
        ),
        Code(
            "legacy-compute-pool",
            ("warning", "info"),
            "The old `harmony.computePool` list or top-level `autoscaling` is ignored from 0.25.0: a "
            "warning when it still deploys something (extra pools, enabled autoscaling) that stops, "
            "information when it can simply be deleted.",
        ),
    ),
)
