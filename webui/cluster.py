""" "What the upgrade does to your cluster": Helm's render of the target chart with the migrated
values, of the source chart with the original ones, and the ledger of objects between them."""

from __future__ import annotations

import hashlib
from typing import Any

import streamlit as st

from migrator.chart.packages import shipped_versions
from migrator.report.model import LedgerEntry, RenderProof, Report
from migrator.versions import Version
from webui.text import as_yaml_inline, code_text, html_table, md, md_rich, table
from webui.verdict import render_findings_list

PROOF_TEXT = {
    "ok": ("green", "renders"),
    "needs-input": ("orange", "renders once the values below are filled in"),
    "fails": ("red", "refuses to render"),
    "not-run": ("gray", "not rendered"),
}
LEDGER_WIDTHS = {"Severity": "9%", "Change": "12%", "Object": "22%", "Becomes": "19%", "Consequence": "38%"}
CHANGE_TEXT = {
    "created": "created",
    "deleted": "deleted",
    "renamed": "renamed (deleted and created)",
    "kind-changed": "replaced by another kind",
    "changed": "changed in place",
}


def source_choices(report: Report) -> list[str]:
    """The chart versions the release may run now: every shipped one up to the target."""
    target = Version(report.target)
    return [v for v in shipped_versions() if Version(v) <= target]


def chosen_source(from_key: str) -> str | None:
    """The version the user chose in the selector, or None for the engine's own default.

    Choosing the version the engine assumed anyway is the default too: no second analysis.
    """
    chosen = st.session_state.get(from_key)
    if chosen is None or chosen == st.session_state.get(f"{from_key}__default"):
        return None
    return chosen


def _proof_line(proof: RenderProof | None, what: str) -> str:
    if proof is None:
        return f"{what}: not rendered."
    colour, words = PROOF_TEXT.get(proof.status, ("gray", proof.status))
    version = f"chart {md(proof.chart_version)}" if proof.chart_version else "no chart version"
    counts = ""
    if proof.objects:
        total = sum(proof.objects.values())
        kinds = ", ".join(f"{n} {md(k)}" for k, n in sorted(proof.objects.items(), key=lambda kv: -kv[1]))
        counts = f" — {total} objects: {kinds}"
    return f"{what}, {version}: :{colour}-badge[{md(words)}]{counts}"


def render_proof(proof: RenderProof | None, what: str, key: str) -> None:
    st.markdown(_proof_line(proof, what))
    if proof is None:
        return
    for message in proof.messages:
        where = f" in `{code_text(message.template)}`" if message.template else ""
        keys = " · keys: " + ", ".join(f"`{code_text(k)}`" for k in message.keys) if message.keys else ""
        st.error(f"**Helm's message**{where}: {md_rich(message.message)}{keys}", icon=":material/error:")
    if proof.placeholders:
        st.markdown(
            "**Values only you can supply** (Helm rendered them with a placeholder to prove the rest):"
        )
        table(
            [
                {
                    "Value": p.path,
                    "Line in the migrated file": p.line if p.line else "(add it)",
                    "The chart's message": p.message,
                }
                for p in proof.placeholders
            ],
            prose=("The chart's message",),
        )
    if proof.note:
        st.caption(md_rich(proof.note))


def ledger_rows(ledger: list[LedgerEntry]) -> list[dict[str, Any]]:
    """One row per object, most severe first (the engine's order), consequence last and widest."""
    rows = []
    for entry in ledger:
        becomes = ""
        if entry.new_kind or entry.new_name:
            becomes = f"{entry.new_kind or entry.kind}/{entry.new_name or entry.name}"
        rows.append(
            {
                "Severity": entry.severity,
                "Change": CHANGE_TEXT.get(entry.change, entry.change),
                "Object": f"{entry.kind}/{entry.name}",
                "Becomes": becomes,
                "Consequence": entry.consequence,
            }
        )
    return rows


def render_ledger(report: Report, key: str) -> None:
    ledger = list(report.ledger)
    if not ledger:
        if report.source_render is not None and report.source_render.status != "not-run":
            st.caption("No object changes between the two renders.")
        return
    consequential = [e for e in ledger if e.severity != "info"]
    quiet = [e for e in ledger if e.severity == "info"]
    st.markdown(
        f"**Objects the upgrade touches**: {len(ledger)}; {len(consequential)} with a consequence to read "
        "(most severe first)."
    )
    if consequential:
        # A static table whose consequence column has the room: the consequences are read whole.
        st.html(html_table(ledger_rows(consequential), LEDGER_WIDTHS, prose=("Consequence",)))
    if quiet:
        # Lazy: rendered only while open.
        exp = st.expander(
            f"{len(quiet)} more object(s) created, deleted or changed without consequence",
            key=f"{key}_ledger_quiet",
            on_change="rerun",
        )
        if exp.open:
            with exp:
                table(ledger_rows(quiet), prose=("Consequence",))
    with_diff = [e for e in ledger if e.diff]
    if with_diff:
        st.caption("Field changes of each object (secrets masked by the engine); open one to see them.")
    for entry in with_diff:
        digest = hashlib.sha256(f"{entry.kind}/{entry.name}".encode("utf-8", "surrogatepass")).hexdigest()[
            :12
        ]
        label = f"{md(entry.kind)}/{md(entry.name)}: {len(entry.diff) + entry.diff_truncated} field change(s)"
        # Lazy: the diff is rendered only while open (a page can have dozens of objects).
        exp = st.expander(label, key=f"{key}_obj_{digest}", on_change="rerun")
        if exp.open:
            with exp:
                table(
                    [
                        {
                            "Field": d.path,
                            "Change": d.kind,
                            "Before": "" if d.kind == "added" else as_yaml_inline(d.old),
                            "After": "" if d.kind == "removed" else as_yaml_inline(d.new),
                        }
                        for d in entry.diff
                    ]
                )
                if entry.diff_truncated:
                    st.caption(f"… and {entry.diff_truncated} more field change(s), left out by the engine.")


def render_cluster(report: Report, *, key: str, from_key: str | None, findings: list[Any]) -> None:
    """The cluster section; with `from_key`, the selector of the version the release runs now
    (its choice re-analyses the file: the page reads it with `chosen_source`)."""
    st.subheader("What the upgrade does to your cluster")
    if from_key is not None:
        source_selector(report, from_key)
    elif report.source_version:
        st.markdown(f"Chart version the release runs now (assumed): **{md(report.source_version)}**")
    render_proof(report.render, "Target: the migrated values", key)
    render_proof(report.source_render, "Now: your original values", key)
    render_ledger(report, key)
    if report.service_accounts:
        accounts = st.expander(
            "Service accounts the pods run as (for IAM bindings)", key=f"{key}_accounts", on_change="rerun"
        )
        if accounts.open:  # lazy: rendered only while open
            with accounts:
                table([{"Component": c, "Service account": a} for c, a in report.service_accounts.items()])
    # The ledger's rows already say what the findings about its objects say.
    in_ledger = {f"{e.kind}/{e.name}" for e in report.ledger}
    rest = [f for f in findings if f.object not in in_ledger]
    render_findings_list(rest, title="**Findings about rendered objects**")


def source_selector(report: Report, from_key: str) -> None:
    choices = source_choices(report)
    if report.source_version and st.session_state.get(from_key) is None:
        st.session_state[f"{from_key}__default"] = report.source_version
    index = choices.index(report.source_version) if report.source_version in choices else None
    st.selectbox(
        "Chart version the release runs now",
        choices,
        index=index,
        key=from_key,
        placeholder="Choose the version your release runs (helm list shows it)",
        help="The ledger compares Helm's render of this version with your original file against the "
        "target's render with the migrated file. By default, the newest version your file's keys fit; "
        "`helm list` shows the real one (CHART column).",
    )
