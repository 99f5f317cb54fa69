"""The analysis of one file on a page: verdict, checklist, cluster, changes, diff, pools.

Rendering only: every decision about a values file is the engine's (`migrator`); this module
shows the `Report` it returns.

- Text from the user never reaches Streamlit as HTML (see webui/text.py).
- Secrets are masked on screen unless the session's "Show secrets" toggle is on; the masking
  is the engine's (the report's views for texts, made in the worker from the documents the
  engine parsed; `mask_data` for values). Nothing here parses YAML.
- Every job that reads the user's file runs in a worker process (webui/analysis.py); results
  stay in the session that asked for them.
"""

from __future__ import annotations

import logging
from typing import Any

import streamlit as st

from migrator.report.model import Report
from migrator.report.secrets import mask_data
from webui import analysis, files
from webui.analysis import Failure
from webui.cluster import render_cluster
from webui.controls import catalogue_by_id
from webui.downloads import render_downloads
from webui.text import (
    SEVERITY_ICON,
    SEVERITY_RANK,
    as_yaml,
    code_text,
    md,
    md_rich,
    plain,
    table,
)
from webui.verdict import (
    group_findings,
    render_checklist,
    render_findings_list,
    render_name_checks,
    render_verdict,
)

log = logging.getLogger(__name__)


STATUS_TEXT = {"applied": "applied", "not-needed": "not needed", "blocked": "blocked"}


SOURCE_TEXT = {
    "pool": "overridden in this pool",
    "harmony": "inherited from harmony",
    "chart default": "chart default",
}


def mask_value(value: Any, reveal: bool, path: tuple = ()) -> Any:
    return value if reveal else mask_data(value, path)


def render_failure(failure: Failure, name: str | None = None) -> None:
    """One clear message: where, what, and the offending line. Never a traceback."""
    title = {
        "input": "Cannot read this file",
        "chart": "Cannot use this chart package",
        "limit": "The analysis was stopped",
        "busy": "The server is busy",
    }.get(failure.kind, "Something went wrong")
    where = f" {md(name)}" if name else ""
    st.error(f"**{title}{where}**: {md_rich(failure.one_line())}", icon=":material/block:")
    if failure.snippet is not None:
        # The engine's snippet is the line where its reader stopped (`InputError.line`); for a
        # bracket or quote left open, the message names the line where it was opened.
        where = f"Line {failure.line} of the file" if failure.line is not None else "The line"
        st.caption(f"{where}, where the reader stopped:")
        pointer = ""
        if failure.column is not None and failure.column >= 1 and len(failure.snippet) < 400:
            pointer = "\n" + " " * (failure.column - 1) + "^"
        st.code(failure.snippet + pointer, language=None)


def _change_severity(change: Any, catalogue: dict[str, Any], findings: list[Any]) -> str:
    sev = getattr(catalogue.get(change.id), "severity", "info") or "info"
    for f in findings:
        if SEVERITY_RANK.get(f.severity, 2) < SEVERITY_RANK.get(sev, 2):
            sev = f.severity
    return sev


def applying_changes(report: Report) -> list[Any]:
    return [c for c in report.changes if c.status != "not-needed"]


def render_change_cards(report: Report, by_change: dict[str, list[Any]]) -> None:
    catalogue = catalogue_by_id()
    applying = applying_changes(report)
    st.subheader("Breaking changes that apply")
    if not applying:
        st.caption("None: every breaking change up to the target is already reflected in this file.")
    for change in applying:
        findings = by_change.get(change.id, [])
        sev = _change_severity(change, catalogue, findings)
        with st.container(border=True):
            st.markdown(
                f"#### {SEVERITY_ICON.get(sev, '')} {md(change.version)} · {md_rich(change.title)}\n"
                f"Severity: **{sev}** · Status: **{STATUS_TEXT.get(change.status, change.status)}** · "
                f"Change `{code_text(change.id)}`"
            )
            why, what = st.columns([3, 2], gap="large")
            explanation = change.explanation or getattr(catalogue.get(change.id), "explanation", "")
            why.markdown("**What changed and why it matters**\n\n" + md_rich(explanation))
            if change.status == "blocked":
                did = f"Nothing: blocked. {md_rich(change.blocked_reason or '')}"
            else:
                did = md_rich(change.summary or getattr(catalogue.get(change.id), "automated", ""))
            steps = "\n".join(f"- {md_rich(step)}" for step in change.manual_steps) or "Nothing."
            what.markdown(
                f"**What the assistant did**\n\n{did}\n\n**What you must still do by hand**\n\n{steps}"
            )
            render_findings_list(findings, title="**Findings**")
    not_needed = [c for c in report.changes if c.status == "not-needed"]
    if not_needed:
        st.caption(
            "Already in the new layout: "
            + ", ".join(f"{md(c.version)} {md_rich(c.title)}" for c in not_needed)
        )


def render_diff(report: Report, name: str, reveal: bool, key: str) -> None:
    st.subheader("Differences")
    if report.migrated_yaml is None:
        st.caption("Blocked: no migrated file, so no diff. Resolve the critical findings above first.")
        return
    result = analysis.diff_cached(
        report,
        name,
        f"{name} (original)",
        f"{files.migrated_name(name)} (migrated)",
        reveal,
    )
    if isinstance(result, Failure):
        render_failure(result)
        return
    html, counts = result
    if not report.changed:
        st.caption("The migrated file is identical to yours.")
    else:
        st.caption(
            f"{counts['changed']} changed, {counts['removed']} removed, {counts['added']} added lines; "
            "unchanged stretches are folded (click to expand). "
            + ("Secrets are shown." if reveal else "Secrets are masked.")
        )
    st.html(html)
    # The structural view is rendered only while open: two more tables on every
    # page cost about 0.2 s of the browser's time for the first full page.
    structure = st.expander(
        "Structure: the moved, added, dropped and changed paths", key=f"{key}_structure", on_change="rerun"
    )
    if structure.open:
        with structure:
            render_structure(report, reveal)


def render_structure(report: Report, reveal: bool) -> None:
    entries = analysis.structure_cached(report, reveal)
    if isinstance(entries, Failure):
        render_failure(entries)
        return
    if isinstance(entries, str):
        st.caption(f"No structural view: {md(entries)}")
        return
    if not entries:
        st.caption("No value moved, appeared or disappeared.")
    else:
        rows = [
            {
                "Change": e["kind"],
                "Path": e["path"],
                "From": e.get("from", ""),
                "Old value": plain(e["old"]) if "old" in e else "",
                "New value": plain(e["new"]) if "new" in e else "",
            }
            for e in entries
        ]
        st.caption("Compute pools are matched by name, not by position.")
        table(rows)
    if report.moved or report.dropped:
        st.markdown("**What the assistant moved and dropped, and why**")
        rows = [{"What": "moved", "Path": m.source, "To / why": m.target} for m in report.moved]
        rows += [{"What": "dropped", "Path": d.path, "To / why": d.reason} for d in report.dropped]
        table(rows)


_POOL_FIELDS = [
    ("StatefulSet", "statefulset", None, "derived: release and pool name"),
    ("Headless Service", "headless_service", None, "derived: StatefulSet + -hdls"),
    ("GROUP", "group", None, "the pool's name as written"),
    ("PARTITION_KEY", "partition_key", None, "derived: the pool's name, normalised"),
    ("Capabilities", "capabilities", "capabilities", ""),
    ("MASTER_ADDR", "master_addr", None, "derived: first pod . headless Service"),
    ("Replicas", "replicas", "replicas", ""),
    ("GPUs per replica", "gpus_per_replica", "gpusPerReplica", ""),
    ("GPU_COUNT", "gpu_count_env", None, "as rendered (1 when no GPU is requested)"),
    ("GPUs in total", "gpus_total", None, "derived: replicas × GPUs per replica"),
    ("Service account", "service_account", None, "as rendered"),
]


_POOL_BLOCKS = [
    ("Resources", "resources", "resources"),
    ("Node selector", "node_selector", "nodeSelector"),
    ("Tolerations", "tolerations", "tolerations"),
]


def _source(pool: Any, attr: str, chart_key: str | None, derived: str) -> str:
    sources = pool.sources or {}
    for k in (chart_key, attr):
        if k and k in sources:
            return SOURCE_TEXT.get(sources[k], sources[k])
    return derived


def pool_rows(pool: Any, reveal: bool) -> list[dict[str, str]]:
    rows = []
    for label, attr, chart_key, derived in _POOL_FIELDS:
        value = getattr(pool, attr, None)
        if value is None and attr in ("gpu_count_env", "service_account"):
            continue
        rows.append(
            {
                "Field": label,
                "Value": plain(value),
                "Where it comes from": _source(pool, attr, chart_key, derived),
            }
        )
    return rows


def pool_yaml(pool: Any, reveal: bool) -> str:
    """The pool's nested values (resources, node selector, tolerations) as one YAML text, where
    each comes from as a comment; masked unless revealed."""
    parts = []
    for _label, attr, chart_key in _POOL_BLOCKS:
        value = mask_value(getattr(pool, attr, None), reveal, ("harmony", chart_key))
        where = _source(pool, attr, chart_key, "")
        text = as_yaml({chart_key: value})
        head, _, rest = text.partition("\n")
        parts.append(f"{head}  # {where}" + (f"\n{rest}" if rest else "") if where else text)
    return "\n".join(parts)


def render_pools(report: Report, reveal: bool, by_pool: dict[int, list[Any]], key: str) -> None:
    st.subheader("Pool preview")
    if not report.pools:
        st.caption("No compute pool will be deployed (harmony disabled, or no pools defined).")
        return
    proven = all(p.proven for p in report.pools)
    st.caption(
        f"As the chart will render them for release {md(report.release)} in namespace {md(report.namespace)}"
        + (": the values are read from Helm's render." if proven else ", by the chart's rules.")
    )
    c1, c2, c3 = st.columns(3)
    c1.metric("Pools", len(report.pools))
    c2.metric("Pods", report.total_pods)
    c3.metric("GPUs", report.total_gpus)
    for idx, pool in enumerate(report.pools):
        with st.container(border=True):
            findings = by_pool.get(idx, [])
            flag = ""
            if findings:
                flag = " " + SEVERITY_ICON[min((f.severity for f in findings), key=SEVERITY_RANK.get)]
            st.markdown(f"##### Pool {md(pool.name)}{flag}")
            table(pool_rows(pool, reveal))
            st.code(pool_yaml(pool, reveal), language="yaml")
            render_findings_list(findings)
            # Lazy: the pods are rendered only while open.
            pods = st.expander(
                f"{len(pool.pods)} pod(s) and their DNS names", key=f"{key}_pods_{idx}", on_change="rerun"
            )
            if pods.open:
                with pods:
                    table(
                        [{"Pod": p, "DNS name": d} for p, d in zip(pool.pods, pool.dns_names, strict=False)]
                    )


def render_report(
    report: Report,
    *,
    name: str,
    reveal: bool,
    key: str,
    from_key: str | None = None,
    names_slot: Any = None,
) -> None:
    """The whole analysis of one file: verdict and checklist first, then the evidence.

    `names_slot` is the container under the release and namespace fields (their checks go
    there); `from_key` the session key of the "version the release runs now" selector.
    """
    shown = {c.id for c in applying_changes(report)}
    groups = group_findings(report, shown)
    if names_slot is not None:
        with names_slot:
            render_name_checks(report.release, report.namespace, report)
    elif groups.at_field:
        render_findings_list(groups.at_field, title="**The release name and namespace**")
    render_verdict(report)
    if report.status != "not-adaptive":
        render_checklist(report, name, key)
    render_downloads(report, name, key)
    if report.status != "not-adaptive":
        render_cluster(report, key=key, from_key=from_key, findings=groups.cluster)
        render_change_cards(report, groups.by_change)
        render_findings_list(groups.other, title="**Other findings**")
        render_diff(report, name, reveal, key)
        render_pools(report, reveal, groups.by_pool, key)
    # The last element of an analysis: tests (and screen readers) know the page is complete.
    with st.container(key=f"{key}_done"):
        st.caption(f"End of the analysis of {md(name)}.")
