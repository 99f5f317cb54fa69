"""Triage page (support team): many files or .zip archives at once, one row per file."""

import hashlib
import time

import streamlit as st

from webui import analysis, controls, files, report_view, text, triage
from webui.text import STATUS_ORDER, table
from webui.triage import STATUS_WORDS, Entry
from webui.verdict import render_name_checks

st.title("Triage customers' values files")
st.markdown(
    "Drop several values files, or `.zip` archives of them. Each gets a row: status, detected range, "
    "the most severe finding, counts, pools and GPUs; sort by any column, filter by status, open a "
    "file for its full analysis. Export the table as CSV, one combined report for the ticket, and the "
    "files the migration changed as one zip. A file that cannot be read shows why in its row; the "
    "others are still analysed."
)

uploads = st.file_uploader(
    f"Values files or .zip archives (each at most {files.UPLOADER_MB} MB; values files at most "
    f"{files.MAX_VALUES_BYTES // files.MIB} MiB; {files.REQUEST_MAX_BYTES // files.MIB} MiB in all, "
    "archives counted unpacked)",
    type=["yaml", "yml", "json", "txt", "zip"],
    accept_multiple_files=True,
    key="tri_files",
    max_upload_size=files.UPLOADER_MB,
)
options, names_slot = controls.options_controls("tri")
reveal = controls.secrets_toggle()
with names_slot:
    render_name_checks(options["release"], options["namespace"], None)

if not uploads:
    st.info("Upload one or more files to start.", icon=":material/folder_open:")
    st.stop()

pairs = [(u.name, u.getvalue()) for u in uploads]
budget = analysis.upload_budget("tri_files", [len(d) for _, d in pairs])
if budget:
    st.error(budget, icon=":material/block:")
    st.stop()
expanded = files.expand_uploads(pairs)
if expanded.refused:
    st.error(expanded.refused, icon=":material/block:")
    st.stop()
inputs = expanded.files

# Release and namespace per file: the page's by default, a file's own where the support
# engineer sets it (the names decide the rendered objects, so they are part of the analysis).
batch = hashlib.sha256("\0".join(i.name for i in inputs).encode("utf-8", "surrogatepass")).hexdigest()[:16]
with st.expander("Release name and namespace per file (when they differ from the fields above)"):
    edited = st.data_editor(
        [{"File": i.name, "Release": options["release"], "Namespace": options["namespace"]} for i in inputs],
        key=f"tri_names_{batch}",
        hide_index=True,
        width="stretch",
        disabled=["File"],
        column_config={
            "Release": st.column_config.TextColumn(required=True),
            "Namespace": st.column_config.TextColumn(required=True),
        },
    )
per_file = [
    (
        (row.get("Release") or "").strip() or options["release"],
        (row.get("Namespace") or "").strip() or options["namespace"],
    )
    for row in edited
]

start = time.perf_counter()
progress = st.progress(0.0, text=f"Analysing {len(inputs)} file(s)…")


def report_progress(done: int, total: int) -> None:
    progress.progress(done / max(total, 1), text=f"Analysed {done} of {total} file(s)…")


todo = [
    (item.name, item.data, {**options, "release": rel, "namespace": ns})
    for item, (rel, ns) in zip(inputs, per_file, strict=True)
    if item.error is None and item.data is not None
]
results, fresh = analysis.analyze_many(todo, progress=report_progress)
done = iter(results)
entries: list[Entry] = []
for item, (rel, ns) in zip(inputs, per_file, strict=True):
    if item.error is not None or item.data is None:
        entries.append(Entry(item, rel, ns, analysis.Failure(item.error or "no data")))
    else:
        entries.append(Entry(item, rel, ns, next(done)))
progress.empty()
elapsed = time.perf_counter() - start

tally = triage.counts(entries)
shown_statuses = [s for s in [*STATUS_ORDER, "failed"] if tally.get(s) or s in STATUS_ORDER]
cols = st.columns(len(shown_statuses) + 1)
cols[0].metric("Files", len(entries))
for col, status in zip(cols[1:], shown_statuses, strict=True):
    col.metric(STATUS_WORDS[status], tally.get(status, 0))
st.caption(
    f"{fresh} file(s) analysed in {elapsed:.1f} s"
    + (f", {len(todo) - fresh} from this session's results" if fresh < len(todo) else "")
    + "."
    if fresh
    else f"{len(entries)} file(s), from this session's results."
)

if expanded.skipped:
    with st.expander(
        f"Skipped: {len(expanded.skipped)} item(s) in the archives, not analysed", expanded=True
    ):
        table([{"Item": s.name, "Why": s.reason} for s in expanded.skipped])

present = [s for s in [*STATUS_ORDER, "failed"] if tally.get(s)]
chosen = st.pills(
    "Show",
    present,
    selection_mode="multi",
    default=present,
    key=f"tri_filter_{batch}",
    format_func=lambda s: f"{STATUS_WORDS[s]} ({tally[s]})",
)
visible = [e for e in entries if e.status in (chosen or [])]
# Release and namespace are columns only when some file has its own (the fields say them otherwise):
# the room goes to the most severe finding.
own_names = any((e.release, e.namespace) != (options["release"], options["namespace"]) for e in entries)
columns = [c for c in triage.COLUMNS if own_names or c not in ("Release", "Namespace")]
st.dataframe(
    [triage.row(e) for e in visible],
    hide_index=True,
    width="stretch",
    key="tri_table",
    column_order=columns,
    column_config={
        "File": st.column_config.TextColumn(width=190, pinned=True),
        "Status": st.column_config.TextColumn(width=125),
        "Detected": st.column_config.TextColumn(width=105),
        "Most severe finding": st.column_config.TextColumn(width=430),
        "Critical": st.column_config.NumberColumn(format="%d", width=60),
        "Warnings": st.column_config.NumberColumn(format="%d", width=70),
        "Pools": st.column_config.NumberColumn(format="%d", width=50),
        "GPUs": st.column_config.NumberColumn(format="%d", width=50),
        "Release": st.column_config.TextColumn(width=120),
        "Namespace": st.column_config.TextColumn(width=100),
    },
)
st.caption(
    "Click a column's header to sort; hover a cell to read it whole (the CSV and the combined report hold "
    "every finding in full)."
)

# Exports: made when clicked (deferred downloads), so a session never holds them.
target = options["target"] or "newest"
d1, d2 = st.columns(2)
d1.download_button(
    f"Table (CSV, {len(entries)} files)",
    data=lambda: triage.csv_text(entries).encode("utf-8"),
    file_name="triage.csv",
    mime="text/csv",
    key="tri_dl_csv",
    on_click="ignore",
    icon=":material/table:",
    width="stretch",
)
d2.download_button(
    "Combined report (Markdown, secrets masked)",
    data=lambda: triage.combined_report(entries, expanded.skipped, target).encode("utf-8"),
    file_name="triage-report.md",
    mime="text/markdown",
    key="tri_dl_md",
    on_click="ignore",
    icon=":material/description:",
    width="stretch",
)

changed = [e for e in entries if e.changed]
st.markdown(
    f"**The files the migration changed**: {len(changed)} of {len(entries)} "
    "(files already up to date, blocked, unreadable or another chart's are left out)."
)
kind = st.radio(
    "Zip of the changed files",
    ["Redacted copies (secrets masked): to share", "Complete files (contain secrets): to deploy"],
    key="tri_zip_kind",
    horizontal=True,
)
redacted = kind.startswith("Redacted")
if not redacted:
    st.warning(
        "The complete files contain the customers' secrets (passwords, keys, tokens) in clear. "
        "Keep the zip out of tickets and chats; send each customer only their own file.",
        icon=":material/key:",
    )
st.download_button(
    f"{'Redacted' if redacted else 'Complete'} changed files (.zip, {len(changed)})",
    data=lambda: files.zip_bytes(triage.changed_files(entries, redacted=redacted)),
    file_name="migrated-values-redacted.zip" if redacted else "migrated-values-COMPLETE-with-secrets.zip",
    mime="application/zip",
    key="tri_dl_zip",
    on_click="ignore",
    icon=":material/folder_zip:",
    disabled=not changed,
)

st.subheader("Per file")
for e in visible:
    digest = hashlib.sha256(e.item.name.encode("utf-8", "surrogatepass")).hexdigest()[:16]
    label = f"{text.md(e.item.name)} — {STATUS_WORDS.get(e.status, e.status)}"
    # Lazy: the analysis is rendered only while the row is open.
    exp = st.expander(label, key=f"tri_open_{digest}", on_change="rerun")
    if exp.open:
        with exp:
            if isinstance(e.result, analysis.Failure):
                report_view.render_failure(e.result, e.item.name)
            else:
                report_view.render_report(e.result, name=e.item.name, reveal=reveal, key=f"tri_{digest}")
