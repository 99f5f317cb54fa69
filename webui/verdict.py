"""The top of an analysis: the names checked where they are typed, the verdict banner, the
ordered checklist (from `report.next_steps`), the upgrade guide's sections, and where each
finding is shown (grouped by the change, the pool or the object it belongs to)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import streamlit as st

from migrator.changes.registry import get_change
from migrator.chart import names
from migrator.chart.proof import upgrade_command
from migrator.report.model import KEYS_OUTSIDE_THE_FILE, Finding, Report, pool_index
from webui import files
from webui.text import SEVERITY_ICON, SEVERITY_RANK, code_text, md, md_rich, status_label, table

NAME_CODES = frozenset({"invalid-name", "name-collision"})
NAME_PATHS = frozenset(KEYS_OUTSIDE_THE_FILE)
MAX_STEPS_SHOWN = 10


# ---------------------------------------------------------------------------
# where each finding goes


@dataclass
class Groups:
    """Each finding once, under what it belongs to, most severe first."""

    at_field: list[Finding] = field(default_factory=list)  # the release name and namespace
    by_change: dict[str, list[Finding]] = field(default_factory=dict)
    by_pool: dict[int, list[Finding]] = field(default_factory=dict)
    cluster: list[Finding] = field(default_factory=list)  # about a rendered object
    other: list[Finding] = field(default_factory=list)


def by_severity(findings: list[Finding]) -> list[Finding]:
    return sorted(findings, key=lambda f: SEVERITY_RANK.get(f.severity, 3))


def group_findings(report: Report, shown_changes: set[str]) -> Groups:
    """By the name fields (release, namespace), then the change (`change_id`, when its card
    is shown), the pool (path prefix), the rendered object (`object`), else "other"."""
    groups = Groups()
    for f in by_severity(list(report.findings)):
        index = pool_index(f.key)
        if f.key in NAME_PATHS and f.code in NAME_CODES:
            groups.at_field.append(f)
        elif f.change_id and f.change_id in shown_changes:
            groups.by_change.setdefault(f.change_id, []).append(f)
        elif index is not None and index < len(report.pools):
            groups.by_pool.setdefault(index, []).append(f)
        elif f.object:
            groups.cluster.append(f)
        else:
            groups.other.append(f)
    return groups


def findings_markdown(findings: list[Finding], title: str = "") -> str:
    lines = [title, ""] if title else []
    for f in by_severity(findings):
        where = f" (line {f.line})" if f.line else ""
        at = f" at `{code_text(f.path)}`" if f.path else ""
        obj = f" · `{code_text(f.object)}`" if f.object and not f.path else ""
        lines.append(
            f"- {SEVERITY_ICON.get(f.severity, '')} **{md(f.severity)}** `{code_text(f.code)}`{at}{obj}"
            f"{md(where)}: {md_rich(f.message)}"
        )
    return "\n".join(lines)


def render_findings_list(findings: list[Finding], title: str = "") -> None:
    """Findings as one Markdown list (one element, however many findings)."""
    if findings:
        st.markdown(findings_markdown(findings, title))


# ---------------------------------------------------------------------------
# the names, where they are typed


def name_rule_problems(release: str, namespace: str) -> list[str]:
    """Before any file is read: the rules the typed names break (the engine's own checks)."""
    out = []
    broken = names.helm_release_name(release)
    if broken:
        out.append(f"Release name `{code_text(release)}` is not valid: " + "; ".join(broken) + ".")
    broken = names.dns1123_label(namespace)
    if broken:
        out.append(f"Namespace `{code_text(namespace)}` is not valid: " + "; ".join(broken) + ".")
    return out


def chart_names(release: str, report: Report | None) -> list[dict[str, str]]:
    """The names the chart gives each component (and pool) for this release, by its own rules."""
    rows = [
        ("control plane", names.component_fullname(release, names.COMPONENT_NAMES["controlPlane"])),
        ("harmony", names.harmony_name(release)),
        ("sandkasten", names.component_fullname(release, names.COMPONENT_NAMES["sandkasten"])),
        ("mlflow", names.component_fullname(release, "mlflow")),
    ]
    if report is not None:
        rows += [(f"pool {p.name} (StatefulSet)", p.statefulset) for p in report.pools]
    out = []
    for i, (what, name) in enumerate(rows):
        same = [w for j, (w, n) in enumerate(rows) if n == name and j != i]
        out.append(
            {
                "Component": what,
                "Name": name,
                "Length": str(len(name)),
                "Same name as": ", ".join(same),
            }
        )
    return out


def render_name_checks(release: str, namespace: str, report: Report | None) -> None:
    """Right under the release and namespace fields: what is wrong with them, before anything else."""
    problems = [f for f in (report.findings if report is not None else []) if f.key in NAME_PATHS]
    problems = [f for f in problems if f.code in NAME_CODES]
    if report is None:
        for text in name_rule_problems(release, namespace):
            st.error(md_rich(text), icon=":material/badge:")
    for f in problems:
        st.error(f"**`{code_text(f.code)}`**: {md_rich(f.message)}", icon=":material/badge:")
    collision = any(f.code == "name-collision" for f in problems)
    # Lazy (rendered only while open), and open by itself when the names collide.
    names_open = st.expander(
        f"Names the chart makes for release {md(release)}" + (" — they collide" if collision else ""),
        expanded=collision,
        key=f"names_{'collide' if collision else 'ok'}_{release}",
        on_change="rerun",
    )
    if not names_open.open:
        return
    with names_open:
        st.caption(
            "Each component is named `<release>-adaptive-<component>` (just `<release>-<component>` "
            "when the release name contains `adaptive`), cut to 30 characters; a pool's StatefulSet "
            "adds the pool name, cut to 63. Two components with the same name collide."
        )
        table(chart_names(release, report))


# ---------------------------------------------------------------------------
# the verdict


def _banner(report: Report) -> tuple[str, str, str]:
    """(streamlit kind, icon, text) for the report's status; never calm beside a critical finding."""
    crit = report.count("critical")
    target = md(report.target)
    applied = sum(1 for c in report.changes if c.status == "applied")
    fills = sum(1 for s in report.next_steps if s.kind == "fill")
    status = report.status
    if status == "blocked":
        return (
            "error",
            ":material/front_hand:",
            f"**{status_label(status)}**: chart {target} cannot be installed with this file as it is, "
            "and the assistant will not guess. A human must decide: read the steps below.",
        )
    if status == "not-adaptive":
        return (
            "warning",
            ":material/help:",
            f"**{status_label(status)}**: these look like another chart's values; nothing was changed.",
        )
    if status == "needs-input":
        return (
            "warning",
            ":material/edit_note:",
            f"**{status_label(status)}**: the migrated file is ready, but chart {target} renders it only "
            f"once you fill in {fills or 'the listed'} value{'s' if fills != 1 else ''} only you know "
            "(listed below, with their lines).",
        )
    if status == "up-to-date":
        kind, icon = "success", ":material/check_circle:"
        text = f"**{status_label(status)}** for chart {target}: nothing to migrate, and Helm renders it."
    else:
        kind, icon = "info", ":material/build:"
        text = (
            f"**{status_label(status)}** to chart {target}: {applied} change{'s' if applied != 1 else ''} "
            "applied, and Helm renders the migrated file."
        )
    if crit:
        first = by_severity(list(report.findings))[0]
        kind, icon = "warning", ":material/warning:"
        text += (
            f" **But read {crit} critical finding{'s' if crit != 1 else ''} first**: {md_rich(first.message)}"
        )
    return kind, icon, text


def render_verdict(report: Report) -> None:
    crit, warn = report.count("critical"), report.count("warning")
    st.subheader("Verdict")
    kind, icon, text = _banner(report)
    getattr(st, kind)(text, icon=icon)
    path = (
        f" · from chart {md(report.source_version)} to {md(report.target)}"
        if report.source_version
        else f" · to chart {md(report.target)}"
    )
    if report.status == "not-adaptive":  # no chart range to speak of: the evidence instead
        st.markdown(f"{crit} critical, {warn} warning{'s' if warn != 1 else ''}")
        render_fit(report)
        return
    st.markdown(
        f"{crit} critical, {warn} warning{'s' if warn != 1 else ''} · detected chart range: "
        f"**{md(report.detected.label)}**"
        + (" (the file mixes old and new layouts: conflict)" if report.detected.conflict else "")
        + path
    )
    if report.detected.evidence:
        why = st.expander(
            f"Why this range: {len(report.detected.evidence)} key(s) in the file",
            key=f"evidence_{report.source}",
            on_change="rerun",
        )
        if why.open:  # lazy: rendered only while open
            with why:
                table([{"Key": e.path, "Says": e.says, "Line": e.line} for e in report.detected.evidence])
    else:
        st.caption("No key in the file tells the chart version apart (an empty or minimal file).")
    for note in report.notes:
        st.caption(md_rich(note))


def render_fit(report: Report) -> None:
    """The evidence that a file is another chart's values (from `report.fit`)."""
    fit = report.fit
    if fit is None:
        st.caption("The engine gave no evidence with this verdict.")
        return
    st.markdown(md_rich(fit.evidence))
    rows = []
    if fit.unknown:
        rows.append({"Keys": "top-level keys no version of the chart reads", "Which": ", ".join(fit.unknown)})
    if fit.known:
        rows.append({"Keys": "top-level keys the chart reads", "Which": ", ".join(fit.known)})
    if fit.versions:
        rows.append({"Keys": "chart versions that fit best", "Which": ", ".join(fit.versions)})
    if rows:
        table(rows)
    st.caption(
        "Nothing is offered for download but the report: the assistant upgrades `adaptive` values only. "
        "If this is an `adaptive` file after all, the report says which keys did not fit."
    )


# ---------------------------------------------------------------------------
# what to do now


def guide_links(report: Report) -> list[tuple[str, str]]:
    """(label, url) of the guide's section on each change that applies (from the registry)."""
    out = []
    for change in report.changes:
        link = get_change(change.id).guide_link
        if link and change.status != "not-needed":
            out.append(link)
    return out


def step_markdown(number: int, step: Any) -> str:
    if step.kind == "fill":
        where = f" — line {step.line} of the migrated file" if step.line else " — add it to the migrated file"
        path = code_text(step.path or "")
        # The engine's advice, without its opening "Fill in `path`." that the badge already says.
        advice = step.text.removeprefix(f"Fill in `{step.path}`").lstrip(".").strip()
        return f"{number}. :orange-badge[fill in] **`{path}`**{md(where)}" + (
            f": {md_rich(advice)}" if advice else ""
        )
    badge = {"manual": ":blue-badge[by hand]", "cluster": ":red-badge[in the cluster first]"}.get(
        step.kind, ":gray-badge[then]"
    )
    line = f" (line {step.line})" if step.line else ""
    return f"{number}. {badge} {md_rich(step.text)}{md(line)}"


def render_checklist(report: Report, name: str, key: str) -> None:
    """The ordered to-do list: values to fill, manual steps, the cluster, then the command."""
    steps = list(report.next_steps)
    links = guide_links(report)
    if not steps and not links:
        return
    st.subheader("What to do now")
    if not steps:
        st.caption("Nothing: the release already runs this chart with these values.")
    before = [s for s in steps if s.kind != "command"]
    commands = [s for s in steps if s.kind == "command"]
    if before:
        shown = before[:MAX_STEPS_SHOWN]
        st.markdown("\n".join(step_markdown(i + 1, s) for i, s in enumerate(shown)))
        if len(before) > len(shown):
            with st.expander(f"{len(before) - len(shown)} more step(s)"):
                st.markdown(
                    "\n".join(step_markdown(i + 1, s) for i, s in enumerate(before) if i >= MAX_STEPS_SHOWN)
                )
    for offset, step in enumerate(commands, start=len(before) + 1):
        st.markdown(f"{offset}. {md_rich(step.text)}")
        command = step.command or ""
        if report.migrated_yaml is not None:
            command = upgrade_command(report, files.migrated_name(name))
        with st.container(key=f"{key}_command_{offset}"):
            st.code(command, language="bash", wrap_lines=True)
    if links:
        st.markdown(
            "**The chart's upgrade guide** on these changes: "
            + " · ".join(f"[{md_rich(label)}]({url})" for label, url in links)
        )
