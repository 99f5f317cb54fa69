"""Triage page (support team): many files or a .zip at once, one row per file."""

import hashlib

import streamlit as st

from webui import components as ui
from webui import files

st.title("Triage customers' values files")
st.markdown(
    "Drop several values files, or a `.zip` of them. Each gets a row: detected range, status, "
    "findings, pools and GPUs. Open a row for the full analysis; download every migrated file as "
    "one zip and one combined Markdown report for the ticket. A file that cannot be read shows "
    "its error in its row; the others are still analysed."
)

uploads = st.file_uploader(
    "Values files or .zip archives (at most 5 MB each)",
    type=["yaml", "yml", "json", "txt", "zip"],
    accept_multiple_files=True,
    key="tri_files",
    max_upload_size=5,
)
options = ui.options_controls("tri")
reveal = ui.secrets_toggle()

if not uploads:
    st.info("Upload one or more files to start.", icon=":material/folder_open:")
    st.stop()

inputs = files.expand_uploads([(u.name, u.getvalue()) for u in uploads])
results: list[tuple[files.InputFile, object]] = []
for item in inputs:
    if item.error is not None:
        results.append((item, ui.Failure(item.error)))
    else:
        assert item.data is not None
        results.append((item, ui.analyze_cached(item.data, name=item.name, **options)))

STATUS = {"up-to-date": "up to date", "migrated": "migration ready", "blocked": "needs a decision"}
table = []
for item, res in results:
    if isinstance(res, ui.Failure):
        table.append(
            {
                "File": item.name,
                "Detected": "",
                "Status": "cannot read",
                "Critical": None,
                "Warnings": None,
                "Pools": None,
                "GPUs": None,
                "Problem": res.one_line(),
            }
        )
    else:
        table.append(
            {
                "File": item.name,
                "Detected": res.detected.label,
                "Status": STATUS.get(res.status, res.status),
                "Critical": res.count("critical"),
                "Warnings": res.count("warning"),
                "Pools": len(res.pools),
                "GPUs": res.total_gpus,
                "Problem": "",
            }
        )

ok = [(i, r) for i, r in results if not isinstance(r, ui.Failure)]
c1, c2, c3, c4 = st.columns(4)
c1.metric("Files", len(results))
c2.metric("Migration ready", sum(1 for _, r in ok if r.status == "migrated"))
c3.metric("Need a decision", sum(1 for _, r in ok if r.status == "blocked"))
c4.metric("Unreadable", len(results) - len(ok))
st.dataframe(table, hide_index=True, width="stretch")

# Downloads for the whole batch (built once per batch in this session).
zipped, migrated_count, combined_report = ui.batch_downloads(
    [(item.name, res) for item, res in results], options["target"]
)
d1, d2 = st.columns(2)
d1.download_button(
    f"All migrated files (.zip, {migrated_count})",
    data=zipped,
    file_name="migrated-values.zip",
    mime="application/zip",
    key="tri_dl_zip",
    on_click="ignore",
    icon=":material/folder_zip:",
    disabled=not migrated_count,
    width="stretch",
)
d2.download_button(
    "Combined report (Markdown, secrets masked)",
    data=combined_report,
    file_name="triage-report.md",
    mime="text/markdown",
    key="tri_dl_md",
    on_click="ignore",
    icon=":material/description:",
    width="stretch",
)

st.subheader("Per file")
for item, res in results:
    digest = hashlib.sha256(item.name.encode("utf-8", "surrogatepass")).hexdigest()[:16]
    label = f"{ui.md(item.name)} — {'cannot read' if isinstance(res, ui.Failure) else res.status}"
    # Lazy: the analysis is rendered only while the row is open.
    exp = st.expander(label, key=f"tri_open_{digest}", on_change="rerun")
    if exp.open:
        with exp:
            if isinstance(res, ui.Failure):
                ui.render_failure(res, item.name)
            else:
                ui.render_report(res, name=item.name, reveal=reveal, key=f"tri_{digest}")
