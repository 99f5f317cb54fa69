"""Text for the page: escaping, values shown as YAML, and the vocabulary every page shares.

Text that came from the user (values, keys, comments, file names) and text that quotes
it (finding messages) is never given to Streamlit as HTML. It goes through `md()` (every
Markdown metacharacter backslash-escaped, so no link, image, colour directive or LaTeX can
be smuggled in), into `st.code`/`st.text`/dataframes (plain text), or through
`migrator.report.diff_html`, which HTML-escapes every character.
"""

from __future__ import annotations

import html
import json
import re
from typing import Any

import streamlit as st

from migrator.report.model import SEVERITY_ORDER
from migrator.report.model import STATUS_LABEL as REPORT_STATUS_LABEL
from migrator.yaml import dump

# One set of words for the statuses, on every page, in tables, rows, banners and exports.
# (the report's own, and a file of a batch that does not read at all)
STATUS_LABEL = {**REPORT_STATUS_LABEL, "unreadable": "Cannot read"}
STATUS_ORDER = ["blocked", "needs-input", "unreadable", "migrated", "not-adaptive", "up-to-date"]
SEVERITY_ICON = {
    "critical": ":red[:material/dangerous:]",
    "warning": ":orange[:material/warning:]",
    "info": ":blue[:material/info:]",
}
SEVERITY_RANK = SEVERITY_ORDER

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>:~$&=\"'^%@])")


def md(text: Any) -> str:
    """Text for st.markdown, shown literally: every Markdown metacharacter escaped.

    Escapes (by backslash, which CommonMark allows before any ASCII punctuation)
    emphasis, links, images, HTML, Streamlit's `:color[...]` and
    `:material/...:` directives and `$...$` LaTeX. Newlines become spaces so a
    value cannot start a heading or a list.
    """
    s = str(text).replace("\r", " ").replace("\n", " ")
    return _MD_SPECIAL.sub(r"\\\1", s)


def md_rich(text: Any) -> str:
    """Engine prose for st.markdown: like `md`, but `code spans` stay code spans.

    Only used for text the engine wrote (explanations, manual steps, messages); values
    quoted inside them are inside backticks, where Markdown is literal anyway.
    """
    s = str(text)
    parts = s.split("`")
    if len(parts) % 2 == 0:  # unbalanced backticks: no code spans at all
        return md(s)
    out = []
    for i, part in enumerate(parts):
        if i % 2:
            out.append("`" + part.replace("\n", " ") + "`" if part else "``")
        else:
            out.append(md(part))
    return "".join(out)


def code_text(text: Any) -> str:
    """Text for inside a `code span`: no backtick or newline can end it early."""
    return str(text).replace("`", "'").replace("\n", " ").replace("\r", " ")


def plain(value: Any) -> str:
    """A value for a table cell: text as is, anything else as JSON on one line."""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, default=str)


def as_yaml(value: Any) -> str:
    """A nested value (resources, tolerations, a field of a rendered object) as block YAML.

    Only for showing values the engine already holds as data; nothing is parsed here.
    """
    return dump.block_yaml(value)


def as_yaml_inline(value: Any) -> str:
    """A value on one line, in YAML's flow style (`{limits: {cpu: 1}}`), for a table cell."""
    return dump.flow_yaml(value)


def table(rows: list[dict[str, Any]], *, prose: tuple[str, ...] = ()) -> None:
    """A static table. st.table renders cells as Markdown, so every cell is escaped with `md`;
    the `prose` columns hold the engine's sentences, whose `code spans` stay (`md_rich`)."""
    st.table(
        [
            {k: "" if v is None else (md_rich(v) if k in prose else md(v)) for k, v in row.items()}
            for row in rows
        ],
        hide_index=True,
    )


_CODE_SPAN = re.compile(r"`([^`\n]+)`")
TABLE_CSS = """<style>
.ui-table { width: 100%; border-collapse: collapse; font-size: 0.9rem; table-layout: fixed; }
.ui-table th, .ui-table td { border: 1px solid rgba(128,128,128,0.25); padding: 0.3rem 0.5rem;
  text-align: left; vertical-align: top; overflow-wrap: anywhere; }
.ui-table th { font-weight: 600; opacity: 0.8; }
.ui-table code { font-size: 0.85em; padding: 0.05em 0.25em; border-radius: 0.25rem;
  background: rgba(128,128,128,0.15); }
</style>"""


def html_cell(value: Any, prose: bool = False) -> str:
    """One cell's HTML: every character escaped; in `prose`, the engine's `code spans` become <code>."""
    text = html.escape("" if value is None else str(value))
    return _CODE_SPAN.sub(r"<code>\1</code>", text) if prose else text


def html_table(rows: list[dict[str, Any]], widths: dict[str, str], *, prose: tuple[str, ...] = ()) -> str:
    """A static table with column widths (st.table sizes columns by their content), as HTML in
    which every cell is escaped (`html_cell`): the only markup is ours."""
    columns = list(rows[0]) if rows else list(widths)
    head = "".join(f'<th style="width:{widths.get(c, "auto")}">{html.escape(c)}</th>' for c in columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{html_cell(row.get(c), c in prose)}</td>" for c in columns) + "</tr>"
        for row in rows
    )
    return f'{TABLE_CSS}<table class="ui-table"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def status_label(status: str) -> str:
    return STATUS_LABEL.get(status, status)
