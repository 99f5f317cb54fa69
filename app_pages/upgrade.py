"""Upgrade page: one values file in; the verdict, what to do, what the cluster sees, the changes,
the diff, the pool preview, downloads."""

import hashlib
from pathlib import Path

import streamlit as st

from webui import analysis, controls, files, report_view, text
from webui.verdict import render_name_checks

EXAMPLES_DIR = Path(__file__).resolve().parent.parent / "examples"
EXAMPLES = {
    "values-0.17-era.yaml": "A 0.17-era file (database URL, single harmony group)",
    "values-0.24-era.yaml": "A 0.24-era file (database fields, single harmony group)",
    "values-current.yaml": "An already-current file (compute pools)",
}
SOURCES = ["Upload a file", "Paste text", "Use an example"]
LIMIT = f"at most {files.MAX_VALUES_BYTES // files.MIB} MiB"

st.title("Upgrade your values file")
st.markdown(
    "Bring the values file of your `adaptive` Helm release (or the output of "
    "`helm get values <release>`). The assistant tells you which chart version it was "
    "written for, applies the breaking changes up to the version you choose, proves the result "
    "with Helm, and says what the upgrade does to your cluster. Nothing is stored: your file stays "
    "in this browser session."
)

source = st.radio("Where is your file?", SOURCES, horizontal=True, key="up_source")
data: bytes | None = None
name = "values.yaml"
if source == SOURCES[0]:
    upload = st.file_uploader(
        f"Values file (.yaml, .yml, .json or .txt, {LIMIT})",
        type=["yaml", "yml", "json", "txt"],
        key="up_file",
        max_upload_size=files.UPLOADER_MB,
    )
    if upload is not None:
        data, name = upload.getvalue(), upload.name
elif source == SOURCES[1]:
    text = st.text_area(
        "Paste your values (press Ctrl+Enter or click outside to analyse)",
        height=260,
        key="up_text",
        placeholder="harmony:\n  group: default\n  replicaCount: 2\n...",
    )
    if text.strip():
        data = text.encode("utf-8")
else:
    example = st.selectbox(
        "Example file (ours, with fake credentials)",
        list(EXAMPLES),
        key="up_example",
        format_func=lambda n: f"{EXAMPLES[n]} — {n}",
    )
    data, name = (EXAMPLES_DIR / example).read_bytes(), example

# A chart package of the user's own (a chart the assistant does not carry): it is the target.
chart_upload = st.session_state.get("up_chart")
with st.expander("Upgrade to a chart package of your own (.tgz)", expanded=chart_upload is not None):
    chart_upload = st.file_uploader(
        "Chart package (`helm package` or `helm pull` output), at most 10 MB",
        type=["tgz"],
        key="up_chart",
        max_upload_size=files.UPLOADER_MB,
        help="For a chart version the assistant does not carry. Its version becomes the target; the "
        "assistant renders it with Helm (bounded in time and memory, like every analysis).",
    )
    chart_data: bytes | None = None
    chart_name = "chart.tgz"
    chart_version: str | None = None
    chart_failure = None
    if chart_upload is not None:
        chart_data, chart_name = chart_upload.getvalue(), chart_upload.name
        found = analysis.chart_version_cached(chart_data, chart_name)
        if isinstance(found, analysis.Failure):
            chart_failure = found
            report_view.render_failure(found, chart_name)
        else:
            chart_version = found
            st.success(
                f"Target: chart {text.md(chart_version)} from {text.md(chart_name)} (your package).",
                icon=":material/inventory_2:",
            )

options, names_slot = controls.options_controls("up", chart_version=chart_version)
reveal = controls.secrets_toggle()

budget = analysis.upload_budget("up_file", [len(data)] if source == SOURCES[0] and data else [])
budget = analysis.upload_budget("up_chart", [len(chart_data)] if chart_data else []) or budget
if data is None:
    with names_slot:
        render_name_checks(options["release"], options["namespace"], None)
    st.info(
        f"Upload, paste or pick an example to start (a values file of {LIMIT}). The verdict, what to do, "
        "what the upgrade does to your cluster, the breaking changes, a side-by-side diff and the pool "
        "preview appear here.",
        icon=":material/description:",
    )
    st.stop()
if len(data) > files.MAX_VALUES_BYTES:
    st.error(files.too_big_message(len(data)), icon=":material/block:")
    st.stop()
if budget:
    st.error(budget, icon=":material/block:")
    st.stop()
if chart_failure is not None:
    st.stop()

# The "version the release runs now" selector belongs to this input (a new file starts from the default).
digest = hashlib.sha256(data).hexdigest()[:16]
from_key = f"up_from_{digest}_{chart_version or options['target']}"
with st.spinner("Analysing: reading the file, migrating it, rendering the charts with Helm…"):
    result = analysis.analyze_cached(
        data,
        name=name,
        from_version=controls.source_for(from_key),
        chart=chart_data if chart_version else None,
        chart_name=chart_name,
        diff_titles=(f"{name} (original)", f"{files.migrated_name(name)} (migrated)"),
        **options,
    )
if isinstance(result, analysis.Failure):
    with names_slot:
        render_name_checks(options["release"], options["namespace"], None)
    report_view.render_failure(result, name)
    st.stop()

report_view.render_report(
    result, name=name, reveal=reveal, key="up", from_key=from_key, names_slot=names_slot
)
