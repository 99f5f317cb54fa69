"""The chart's keys per version, for the Breaking-changes page: the engine's catalogue
(`migrator.chart.catalogue.diff_versions`) and its values schema (`migrator.chart.schema`).

No user data is involved (the chart's own packages only), so the results are shared by every
session (`st.cache_data`), and computed in the server: a few milliseconds from a data file.
"""

from __future__ import annotations

import logging
from typing import Any

import streamlit as st

from migrator.changes.registry import change_migrating
from migrator.chart import catalogue, schema
from webui.text import as_yaml_inline

log = logging.getLogger(__name__)


def change_anchor(change_id: str) -> str:
    """The anchor of a change's card on the Breaking-changes page."""
    return f"change-{change_id}"


@st.cache_data(show_spinner=False, max_entries=64)
def diff_cached(old: str, new: str) -> dict[str, Any] | str:
    """Keys added and removed (each removed one with the change that migrates it, if any) and
    defaults changed from `old` to `new`; or why not, as text."""
    try:
        diff = catalogue.diff_versions(old, new)
        return {
            "added": [catalogue.dotted(p) for p in diff.added],
            "removed": [(catalogue.dotted(p), change_migrating(p)) for p in diff.removed],
            "defaults": [(catalogue.dotted(p), _shown(a), _shown(b)) for p, a, b in diff.defaults_changed],
        }
    except Exception as exc:  # an engine error must not break the page
        log.exception("diff_versions(%s, %s) failed", old, new)
        return f"the catalogue cannot compare these versions ({exc})"


def _shown(value: Any) -> str:
    return as_yaml_inline(value)


@st.cache_data(show_spinner=False, max_entries=64)
def schema_cached(version: str) -> str:
    """The text of `values.schema.json` for `version`, or why there is none."""
    try:
        return schema.values_schema_json(version)
    except Exception as exc:
        log.exception("values_schema_json(%s) failed", version)
        return f"the schema of {version} cannot be built ({exc})"
