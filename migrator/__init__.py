"""The values upgrade assistant for the `adaptive` Helm chart, as a library.

    from migrator import analyze
    report = analyze(open("values.yaml", "rb").read(), name="values.yaml")
    report.status, report.findings, report.migrated_yaml

Pure: no I/O beyond what the caller hands in, no Streamlit.
"""

from __future__ import annotations

from migrator.changes.change import BreakingChange
from migrator.changes.registry import all_changes
from migrator.engine import analyze, load_document, migrate_text
from migrator.errors import InputError
from migrator.report.model import Finding, PoolPreview, Report


def catalogue() -> list[BreakingChange]:
    """Every breaking change the assistant knows, oldest first."""
    return list(all_changes())


__all__ = [
    "BreakingChange",
    "Finding",
    "InputError",
    "PoolPreview",
    "Report",
    "analyze",
    "catalogue",
    "load_document",
    "migrate_text",
]
