"""0.38.3: pool capabilities TRAINING and EVALUATION are deprecated for JOB; the default changes.

Opt-in rewrite `capabilities-job`: a pool's TRAINING and EVALUATION become one JOB
(`"TRAINING,INFERENCE,EVALUATION"` -> `"JOB,INFERENCE"`), in the value's own quoting.

Finding codes:
- `capabilities-job-offered` (info): a pool names TRAINING or EVALUATION; the JOB form is
  offered (run with the option to rewrite).
- `capabilities-job-widened` (info): after the opt-in rewrite, a pool that named only one of
  TRAINING and EVALUATION now takes both kinds of work (JOB covers both).
- `capabilities-default-changed`: a pool sets no `capabilities` and so gets the chart's default,
  which changes from `TRAINING,INFERENCE,EVALUATION` to `JOB,INFERENCE` (warning when the
  upgrade crosses 0.38.3, info when the file does not tell).
"""

from __future__ import annotations

from migrator.changes.context import BreakingChange, ChangeContext, Code, facts, is_empty

VERSION = "0.38.3"
OPTION = "capabilities-job"
POOLS = ("harmony", "computePools")
DEPRECATED = facts.DEPRECATED_CAPABILITIES
OLD_DEFAULT = facts.JOB_CAPABILITY.before  # GROUP_CAPABILITIES of a pool without capabilities
NEW_DEFAULT = facts.JOB_CAPABILITY.after


def job_form(text: str) -> str:
    """TRAINING and EVALUATION replaced by one JOB where the first of them stood; order kept."""
    tokens = [t.strip() for t in text.split(",") if t.strip()]
    out: list[str] = []
    for token in tokens:
        token = "JOB" if token in DEPRECATED else token
        if token not in out:
            out.append(token)
    return ",".join(out)


def _pool_name(pool: dict, index: int) -> str:
    name = pool.get("name")
    return str(name) if not is_empty(name) else f"#{index}"


def _default_finding(ctx: ChangeContext, path: tuple, who: str, crossing: bool | None) -> None:
    if crossing:
        message = (
            f"{who} sets no `capabilities`, so it takes the chart's default: "
            f"`{OLD_DEFAULT}` before {VERSION}, `{NEW_DEFAULT}` from "
            f"{VERSION}. That is the same work for a harmony image that knows JOB; a pool pinned to an "
            "older harmony image would stop taking training and evaluation jobs."
        )
    else:
        message = (
            f"{who} sets no `capabilities`: from chart {VERSION} its default is "
            f"`{NEW_DEFAULT}` (it was `{OLD_DEFAULT}`); set it explicitly if "
            "the pool runs a harmony image older than JOB."
        )
    ctx.finding("capabilities-default-changed", "warning" if crossing else "info", path, message)


def apply(ctx: ChangeContext) -> None:
    harmony = ctx.get(("harmony",))
    if isinstance(harmony, dict) and harmony.get("enabled") is False:
        return
    pools = ctx.get(POOLS)
    crossing = ctx.crosses(VERSION)
    if pools is None and not ctx.has(POOLS):
        if crossing is not False and (harmony is None or isinstance(harmony, dict)):
            _default_finding(ctx, POOLS, "The chart's default pool `default`", crossing)
        return
    if not isinstance(pools, list):
        return
    rewritten = []
    for index, pool in enumerate(pools):
        if not isinstance(pool, dict):
            continue
        path = (*POOLS, index, "capabilities")
        who = f"Pool `{_pool_name(pool, index)}`"
        value = pool.get("capabilities")
        if is_empty(value):
            if crossing is not False:
                _default_finding(ctx, path if ctx.has(path) else (*POOLS, index), who, crossing)
            continue
        if not isinstance(value, str):
            continue  # the pool preview reports capabilities that are not text
        tokens = {t.strip() for t in value.split(",")}
        named = [t for t in DEPRECATED if t in tokens]
        if not named:
            continue
        new = job_form(value)
        if not ctx.opted(OPTION):
            ctx.finding(
                "capabilities-job-offered",
                "info",
                path,
                f"{who} uses {' and '.join(named)}, deprecated from chart {VERSION} in favour of JOB. "
                f"The JOB form is `{new}`; run with the option `{OPTION}` to rewrite it.",
            )
            continue
        ctx.editor.set_scalar(path, new)
        rewritten.append(f"`{_pool_name(pool, index)}`")
        if len(named) == 1:
            other = DEPRECATED[1] if named[0] == DEPRECATED[0] else DEPRECATED[0]
            ctx.finding(
                "capabilities-job-widened",
                "info",
                path,
                f"{who} took {named[0]} work only; JOB covers both training and evaluation, so it now "
                f"also takes {other} work.",
            )
    if rewritten:
        ctx.did(f"Rewrote the capabilities of pool(s) {', '.join(rewritten)} in the JOB form.")


CHANGE = BreakingChange(
    id="capabilities-job",
    version=VERSION,
    title="Pool capabilities: JOB replaces TRAINING and EVALUATION",
    explanation=(
        "A compute pool's `capabilities` tell its workers which work to take. From 0.38.3 TRAINING and "
        "EVALUATION are deprecated in favour of one capability, JOB, and the default for a pool that "
        f"sets none changes from `{OLD_DEFAULT}` to `{NEW_DEFAULT}`. The old "
        "names still work for now; the new default needs a harmony image that knows JOB."
    ),
    automated=(
        f"Reports pools that rely on the changed default. On request (option `{OPTION}`), rewrites "
        "TRAINING and EVALUATION in each pool's capabilities as one JOB."
    ),
    manual_steps=(
        "Pools pinned to an older harmony image: set `capabilities` explicitly, or update the image.",
    ),
    example_before=(
        'harmony:\n  computePools:\n    - name: training\n      capabilities: "TRAINING,EVALUATION"\n'
    ),
    example_after='harmony:\n  computePools:\n    - name: training\n      capabilities: "JOB"\n',
    apply=apply,
    severity="info",
    options=(OPTION,),
    codes=(
        Code(
            "capabilities-default-changed",
            ("warning", "info"),
            "A pool without `capabilities` takes the chart's default, which changes at 0.38.3 (the JOB "
            "form); a warning when the upgrade crosses 0.38.3, information when the keys cannot tell.",
        ),
        Code(
            "capabilities-job-offered",
            ("info",),
            "A pool names TRAINING or EVALUATION, deprecated in favour of JOB from 0.38.3; the option "
            "`--opt capabilities-job` rewrites it.",
        ),
        Code(
            "capabilities-job-widened",
            ("info",),
            "The rewrite to JOB widened a pool that took only training or only evaluation work: JOB "
            "covers both.",
        ),
    ),
)
