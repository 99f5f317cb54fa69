"""The side-by-side diff as HTML: rows (from `diff.align_rows`) with their CSS.

Every character that came from the user (keys, values, comments, titles, file
names) goes through `html.escape`; the only markup is ours. Folded stretches are
`<details>` elements, so they expand without any script. Long lines wrap
everywhere. Colours are translucent so they read on light and dark themes alike.
"""

from __future__ import annotations

import html
from collections.abc import Iterable

from migrator.report.diff import Fold, Row, Span, align_rows, fold

# Class names are prefixed so they cannot collide with the host page. Colours
# are translucent tints over whatever background the theme gives, and text
# inherits the theme's colour, so one stylesheet serves light and dark.
#
# Every line wraps (`pre-wrap`, breaking anywhere), in rows and in folds. A
# fold is one grid row of two cells (left, right), each holding one element per
# line; the line numbers are CSS counters drawn beside each line (`::before`),
# so they stay level with their line however many times it wraps, and the DOM
# stays at two elements per hidden line. The two cells hold the same text at
# the same width, so they wrap alike and stay level with each other.
CSS = """
<style>
.sbs-diff { font-family: "Source Code Pro", ui-monospace, SFMono-Regular, Menlo, Consolas, monospace;
  font-size: 0.8rem; line-height: 1.45; border: 1px solid rgba(128,128,128,0.35); border-radius: 0.4rem;
  overflow: hidden; color: inherit; }
.sbs-head, .sbs-row { display: grid; grid-template-columns: 3.2em minmax(0,1fr) 3.2em minmax(0,1fr); }
.sbs-head { font-weight: 600; background: rgba(128,128,128,0.12);
  border-bottom: 1px solid rgba(128,128,128,0.35); }
.sbs-head > div { padding: 0.25rem 0.5rem; overflow-wrap: anywhere; min-width: 0; }
.sbs-no { text-align: right; padding: 0 0.4rem; opacity: 0.55; user-select: none;
  border-right: 1px solid rgba(128,128,128,0.25); }
.sbs-code { white-space: pre-wrap; overflow-wrap: anywhere; word-break: break-word; padding: 0 0.5rem;
  min-height: 1.45em; min-width: 0; }
.sbs-code.sbs-l { border-right: 1px solid rgba(128,128,128,0.25); }
.sbs-removed .sbs-l, .sbs-changed .sbs-l { background: rgba(248,81,73,0.16); }
.sbs-added .sbs-r, .sbs-changed .sbs-r { background: rgba(46,160,67,0.18); }
.sbs-removed .sbs-r, .sbs-added .sbs-l { background: rgba(128,128,128,0.08); }
.sbs-diff del { background: rgba(248,81,73,0.42); text-decoration: none; border-radius: 2px; }
.sbs-diff ins { background: rgba(46,160,67,0.45); text-decoration: none; border-radius: 2px; }
.sbs-mark { display: inline-block; width: 1em; opacity: 0.7; user-select: none; }
.sbs-row.sbs-block { grid-template-columns: minmax(0,1fr) minmax(0,1fr); }
.sbs-lines { min-width: 0; border-right: 1px solid transparent; }
.sbs-lines.sbs-l { border-right-color: rgba(128,128,128,0.25); }
.sbs-lines > div { counter-increment: sbs-n; position: relative; min-height: 1.45em;
  padding: 0 0.5rem 0 calc(3.2em + 0.5rem); white-space: pre-wrap; overflow-wrap: anywhere;
  word-break: break-word; }
.sbs-lines > div::before { content: counter(sbs-n); position: absolute; left: 0; top: 0; bottom: 0;
  width: 3.2em; box-sizing: border-box; padding: 0 0.4rem; text-align: right; opacity: 0.55;
  user-select: none; border-right: 1px solid rgba(128,128,128,0.25); }
.sbs-fold > summary { cursor: pointer; padding: 0.15rem 0.6rem; background: rgba(56,139,253,0.10);
  color: inherit; opacity: 0.85; font-style: italic; list-style-position: inside; }
.sbs-fold[open] > summary { border-bottom: 1px dashed rgba(128,128,128,0.35); }
.sbs-empty { padding: 0.5rem; opacity: 0.7; }
@media (forced-colors: active) {
  .sbs-diff del, .sbs-diff ins { outline: 1px solid CanvasText; }
}
</style>
"""

_MARKS = {"equal": " ", "removed": "-", "added": "+", "changed": "~"}


def _esc(text: str) -> str:
    return html.escape(text, quote=True)


def highlight(text: str, spans: Iterable[Span], tag: str) -> str:
    """Escape `text`, wrapping the given character ranges in `<tag>` (ours, fixed)."""
    assert tag in ("del", "ins")
    out: list[str] = []
    pos = 0
    for start, end in spans:
        start, end = max(start, pos), min(end, len(text))
        if start >= end:
            continue
        out.append(_esc(text[pos:start]))
        out.append(f"<{tag}>{_esc(text[start:end])}</{tag}>")
        pos = end
    out.append(_esc(text[pos:]))
    return "".join(out)


def _row_html(row: Row) -> str:
    left = "" if row.left is None else highlight(row.left, row.left_spans, "del")
    right = "" if row.right is None else highlight(row.right, row.right_spans, "ins")
    ln = "" if row.left_no is None else str(row.left_no)
    rn = "" if row.right_no is None else str(row.right_no)
    mark_l = _MARKS[row.kind] if row.left is not None and row.kind != "equal" else ""
    mark_r = _MARKS[row.kind] if row.right is not None and row.kind != "equal" else ""
    ml = f'<span class="sbs-mark">{mark_l}</span>' if mark_l else ""
    mr = f'<span class="sbs-mark">{mark_r}</span>' if mark_r else ""
    return (
        f'<div class="sbs-row sbs-{row.kind}" data-kind="{row.kind}">'
        f'<div class="sbs-no">{ln}</div><div class="sbs-code sbs-l">{ml}{left}</div>'
        f'<div class="sbs-no">{rn}</div><div class="sbs-code sbs-r">{mr}{right}</div></div>'
    )


def _block_html(rows: tuple[Row, ...]) -> str:
    """Unchanged rows as ONE grid row of two cells, one element per line in each.

    A fold can hide thousands of lines: two elements per line (numbers are CSS
    counters, not elements) keep the page light in the browser. Rows that are
    not unchanged lines numbered one after the other (a `Fold` built by hand)
    are rendered as ordinary rows.
    """
    first = rows[0]
    consecutive = all(
        r.kind == "equal"
        and r.left == r.right
        and r.left_no == (first.left_no or 0) + k
        and r.right_no == (first.right_no or 0) + k
        for k, r in enumerate(rows)
    )
    if not consecutive or first.left_no is None or first.right_no is None:
        return "".join(_row_html(r) for r in rows)
    lines = "".join(f"<div>{_esc(r.left or '')}</div>" for r in rows)
    return (
        '<div class="sbs-row sbs-equal sbs-block" data-kind="equal">'
        f'<div class="sbs-lines sbs-l" style="counter-reset: sbs-n {first.left_no - 1}">{lines}</div>'
        f'<div class="sbs-lines sbs-r" style="counter-reset: sbs-n {first.right_no - 1}">{lines}</div></div>'
    )


def render_html(
    rows: list[Row],
    *,
    left_title: str = "original",
    right_title: str = "migrated",
    context: int | None = 3,
    include_css: bool = True,
) -> str:
    """The side-by-side diff as one HTML fragment (escaped; no script)."""
    parts: list[str] = [CSS] if include_css else []
    parts.append('<div class="sbs-diff" role="table" aria-label="side-by-side diff">')
    parts.append(
        f'<div class="sbs-head"><div></div><div>{_esc(left_title)}</div>'
        f"<div></div><div>{_esc(right_title)}</div></div>"
    )
    if not rows:
        parts.append('<div class="sbs-empty">(both sides are empty)</div>')
    items: list[Row | Fold] = list(rows) if context is None else fold(rows, context)
    for item in items:
        if isinstance(item, Fold):
            first, last = item.rows[0], item.rows[-1]
            label = (
                f"{item.count} unchanged lines ({first.left_no}–{last.left_no} → "
                f"{first.right_no}–{last.right_no}); click to show"
            )
            parts.append(f'<details class="sbs-fold"><summary>{_esc(label)}</summary>')
            parts.append(_block_html(item.rows))
            parts.append("</details>")
        else:
            parts.append(_row_html(item))
    parts.append("</div>")
    return "".join(parts)


def side_by_side_html(
    old: str,
    new: str,
    *,
    left_title: str = "original",
    right_title: str = "migrated",
    context: int | None = 3,
) -> str:
    return render_html(align_rows(old, new), left_title=left_title, right_title=right_title, context=context)
