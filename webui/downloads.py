"""What a report offers to download: the migrated values (complete, secrets included), the
redacted copy and the reports (masked). The bytes are made on click and never kept."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

import streamlit as st

from migrator.report.markdown import report_markdown
from migrator.report.model import Report
from webui import files

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Download:
    """One download: its label and file name, and how to make its bytes (on click)."""

    label: str
    file_name: str
    make: Callable[[], bytes]
    mime: str


def downloads(report: Report, name: str) -> list[Download]:
    """The downloads of one report. Only the migrated values are unmasked; another chart's file
    gets the reports only.

    The bytes are made when the user clicks (Streamlit's deferred downloads), never kept: a
    session with a 4 MiB file would otherwise hold four more copies of it, twice over (here and
    in Streamlit's media store) for as long as it lives.
    """
    out = []
    if report.migrated_yaml is not None and report.status != "not-adaptive":
        out.append(
            Download(
                "Migrated values",
                files.migrated_name(name),
                lambda: (report.migrated_yaml or "").encode("utf-8"),
                "application/yaml",
            )
        )
        out.append(
            Download(
                "Redacted copy (for sharing)",
                files.redacted_name(name),
                lambda: (report.migrated_yaml_shown() or "").encode("utf-8"),
                "application/yaml",
            )
        )
    out.append(
        Download(
            "Report (Markdown)",
            files.report_name(name, "md"),
            lambda: report_markdown(report, reveal_secrets=False).encode(),
            "text/markdown",
        )
    )
    out.append(
        Download(
            "Report (JSON)",
            files.report_name(name, "json"),
            lambda: report.to_json(reveal_secrets=False).encode(),
            "application/json",
        )
    )
    return out


def render_downloads(report: Report, name: str, key: str) -> None:
    st.subheader("Downloads")
    offered = downloads(report, name)
    cols = st.columns(len(offered))
    for col, d in zip(cols, offered, strict=True):
        col.download_button(
            d.label,
            data=d.make,
            file_name=d.file_name,
            mime=d.mime,
            key=f"{key}_dl_{d.file_name}",
            on_click="ignore",
            icon=":material/download:",
            width="stretch",
        )
    if report.status == "not-adaptive":
        st.caption("Another chart's values: only the report (secrets masked).")
    elif report.migrated_yaml is None:
        st.caption("Blocked: no migrated file until the critical findings are resolved.")
    else:
        extra = (
            " It still has the values to fill in (empty), at the lines listed above."
            if report.status == "needs-input"
            else ""
        )
        st.caption(
            "The migrated values are complete (secrets included): keep them safe. "
            "The redacted copy and the reports mask every secret." + extra
        )
