"""Upgrade page: one values file in, the verdict, the changes, the diff, the pool preview, downloads."""

from pathlib import Path

import streamlit as st

from webui import components as ui
from webui import files

EXAMPLES_DIR = Path(__file__).resolve().parent.parent / "examples"
EXAMPLES = {
    "values-0.17-era.yaml": "A 0.17-era file (database URL, single harmony group)",
    "values-0.24-era.yaml": "A 0.24-era file (database fields, single harmony group)",
    "values-current.yaml": "An already-current file (compute pools)",
}
SOURCES = ["Upload a file", "Paste text", "Use an example"]

st.title("Upgrade your values file")
st.markdown(
    "Bring the values file of your `adaptive` Helm release (or the output of "
    "`helm get values <release>`). The assistant tells you which chart version it was "
    "written for, applies the breaking changes up to the version you choose, explains each one, "
    "and shows what the chart will deploy. Nothing is stored: your file stays in this browser session."
)

source = st.radio("Where is your file?", SOURCES, horizontal=True, key="up_source")
data: bytes | None = None
name = "values.yaml"
if source == SOURCES[0]:
    upload = st.file_uploader(
        "Values file (.yaml, .yml, .json or .txt, at most 5 MB)",
        type=["yaml", "yml", "json", "txt"],
        key="up_file",
        max_upload_size=5,
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

options = ui.options_controls("up")
reveal = ui.secrets_toggle()

if data is None:
    st.info(
        "Upload, paste or pick an example to start. The verdict, the breaking changes, a side-by-side "
        "diff and the pool preview appear here.",
        icon=":material/description:",
    )
    st.stop()

if len(data) > files.MAX_UPLOAD_BYTES:
    st.error(files.too_big_message(len(data)), icon=":material/block:")
    st.stop()

result = ui.analyze_cached(data, name=name, **options)
if isinstance(result, ui.Failure):
    ui.render_failure(result, name)
    st.stop()

ui.render_report(result, name=name, reveal=reveal, key="up")
