"""Breaking-changes page: generated from the engine (its registry of changes, and the catalogue of
the keys each chart version reads), never written twice."""

import streamlit as st

from migrator.chart.packages import shipped_versions
from migrator.report.diff_html import side_by_side_html
from webui import controls, keys, text

st.title("Breaking changes the assistant knows")
changes = controls.catalogue_cached()
st.markdown(
    f"{len(changes)} breaking change(s) of the `adaptive` chart, oldest first. This page is generated "
    "from the assistant's own registry: what you read here is exactly what the Upgrade page applies. "
    "Below them: what changed in the chart's keys between any two versions, and the values schema of "
    "each version."
)

for change in changes:
    sev = getattr(change, "severity", "info")
    with st.container(border=True):
        st.header(
            f"{text.SEVERITY_ICON.get(sev, '')} {text.md(change.version)} · {text.md_rich(change.title)}",
            anchor=keys.change_anchor(change.id),
            divider=False,
        )
        st.caption(f"Change `{text.code_text(change.id)}` · severity {text.md(sev)}")
        st.markdown(text.md_rich(change.explanation))
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
        st.markdown(text.md_rich(change.automated))
        st.markdown("**What you must do by hand**")
        steps = list(change.manual_steps)
        st.markdown("\n".join(f"- {text.md_rich(s)}" for s in steps) if steps else "Nothing.")

st.header("What changed between two versions", anchor="between-versions")
versions = list(shipped_versions())
c1, c2 = st.columns(2)
old = c1.selectbox("From chart version", versions, index=versions.index("0.23.0"), key="ch_from")
new = c2.selectbox("To chart version", versions, index=len(versions) - 1, key="ch_to")
diff = keys.diff_cached(old, new)
if isinstance(diff, str):
    st.error(text.md(diff), icon=":material/block:")
else:
    st.caption(
        f"From {text.md(old)} to {text.md(new)}: {len(diff['added'])} key(s) added, "
        f"{len(diff['removed'])} removed, "
        f"{len(diff['defaults'])} default(s) changed. Only the top-most key of a new or removed section "
        "is listed. A removed key that a breaking change migrates links to it; the others are "
        "**not automated**: the new chart ignores them without a word."
    )
    st.markdown(f"**Keys removed** ({len(diff['removed'])})")
    if diff["removed"]:
        st.markdown(
            "\n".join(
                f"- `{text.code_text(path)}`: "
                + (
                    f"migrated by [{text.md(change_id)}](#{keys.change_anchor(change_id)})"
                    if change_id
                    else ":orange-badge[not automated]"
                )
                for path, change_id in diff["removed"]
            )
        )
    else:
        st.caption("None.")
    st.markdown(f"**Keys added** ({len(diff['added'])})")
    if diff["added"]:
        # Three columns: a new version can add dozens of keys.
        cols = st.columns(3)
        third = -(-len(diff["added"]) // 3)
        for i, col in enumerate(cols):
            chunk = diff["added"][i * third : (i + 1) * third]
            if chunk:
                col.markdown("\n".join(f"- `{text.code_text(path)}`" for path in chunk))
    else:
        st.caption("None.")
    st.markdown(f"**Defaults changed** ({len(diff['defaults'])})")
    if diff["defaults"]:
        text.table(
            [{"Key": p, f"Default in {old}": a, f"Default in {new}": b} for p, a, b in diff["defaults"]]
        )
    else:
        st.caption("None.")

st.header("The values schema of a version", anchor="values-schema")
st.markdown(
    "A JSON Schema of the chart's values, from the same catalogue: unknown keys fail validation at any "
    "depth (free-form maps such as annotations, resources and subcharts' values stay open). Save it as "
    "`values.schema.json` beside a chart, or check a values file with any JSON Schema validator."
)
version = st.selectbox("Chart version", versions, index=len(versions) - 1, key="ch_schema")
schema = keys.schema_cached(version)
if isinstance(schema, str) and schema.startswith("{"):
    st.download_button(
        f"values.schema.json for chart {version}",
        data=schema.encode("utf-8"),
        file_name="values.schema.json",
        mime="application/schema+json",
        key="ch_dl_schema",
        on_click="ignore",
        icon=":material/download:",
    )
else:
    st.caption(f"No schema: {text.md(schema)}")
