"""The values upgrade assistant for the `adaptive` Helm chart: the web app.

Run with `make run` (or `streamlit run app.py`). Three pages, one task each:
Upgrade (the default), Triage (many files, for the support team) and the
Breaking changes reference, generated from the engine's registry. All the
migration logic is in `migrator`; the pages only render what it reports. Every
analysis runs in a worker process (webui/analysis.py), never in this one.
"""

import streamlit as st

from webui.analysis import housekeeping, pool

st.set_page_config(
    page_title="Adaptive chart upgrade assistant",
    # An emoji favicon is drawn by the browser (a data: URL); a Material icon would be fetched
    # from fonts.gstatic.com, and no request may leave for another origin.
    page_icon="⬆️",
    layout="wide",
    menu_items={"About": "Values upgrade assistant for the `adaptive` Helm chart."},
)

# The page scripts live in app_pages/, NOT pages/: with a pages/ folder beside
# the entry point, Streamlit's first run after a server start uses the legacy
# multipage mode, and a visitor whose first request is /triage gets that page
# without this file's navigation and page config.
pages = [
    st.Page("app_pages/upgrade.py", title="Upgrade", icon=":material/upgrade:", default=True),
    st.Page("app_pages/triage.py", title="Triage", icon=":material/fact_check:"),
    st.Page("app_pages/changes.py", title="Breaking changes", icon=":material/menu_book:"),
]
navigation = st.navigation(pages)
pool()  # once per process (cached): the workers start, and load the engine, with the server
housekeeping()  # once per process: memory of closed sessions goes back to the system
navigation.run()
