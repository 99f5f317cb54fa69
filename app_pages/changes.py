"""Breaking-changes page: generated from the engine registry (`migrator.catalogue()`), never twice."""

import streamlit as st

from migrator.sidebyside import side_by_side_html
from webui import components as ui

st.title("Breaking changes the assistant knows")
changes = ui.catalogue_cached()
st.markdown(
    f"{len(changes)} breaking change(s) of the `adaptive` chart, oldest first. This page is generated "
    "from the assistant's own registry: what you read here is exactly what the Upgrade page applies."
)

for change in changes:
    sev = getattr(change, "severity", "info")
    with st.container(border=True):
        st.markdown(
            f"### {ui.SEVERITY_ICON.get(sev, '')} {ui.md(change.version)} · {ui.md_rich(change.title)}"
        )
        st.caption(f"Change `{ui.code_text(change.id)}` · severity {ui.md(sev)}")
        st.markdown(ui.md_rich(change.explanation))
        if change.example_before or change.example_after:
            st.markdown("**Before and after**")
            st.html(
                side_by_side_html(
                    change.example_before or "",
                    change.example_after or "",
                    left_title=f"before {change.version}",
                    right_title=f"{change.version} and later",
                    context=None,
                )
            )
            with st.expander("The examples as text (to copy)"):
                c1, c2 = st.columns(2)
                c1.code(change.example_before or "", language="yaml")
                c2.code(change.example_after or "", language="yaml")
        st.markdown("**What the assistant does**")
        st.markdown(ui.md_rich(change.automated))
        st.markdown("**What you must do by hand**")
        steps = list(change.manual_steps)
        st.markdown("\n".join(f"- {ui.md_rich(s)}" for s in steps) if steps else "Nothing.")
