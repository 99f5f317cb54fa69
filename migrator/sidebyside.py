"""Side-by-side diff of two YAML texts, and a structural diff of two documents.

Pure functions, no Streamlit: the web app renders what these return.

- `align_rows(old, new)` pairs the lines of two texts into rows (left line
  number and text, right line number and text, kind ``equal`` / ``removed`` /
  ``added`` / ``changed``); a ``changed`` row carries the character ranges that
  differ on each side.
- `fold(rows, context)` hides long unchanged stretches, keeping `context`
  lines around every change.
- `render_html(...)` turns rows into HTML. Every character that came from the
  user (keys, values, comments, titles, file names) goes through
  `html.escape`; the only markup is ours. Folded stretches are `<details>`
  elements, so they expand without any script. Colours are translucent so they
  read on light and dark themes alike.
- `structural_changes(old, new)` lists the moved, added, dropped and changed
  paths between two parsed documents, matching list entries that carry a
  unique ``name`` (compute pools) by name, not by position.
"""

from __future__ import annotations

import difflib
import html
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

from migrator.secrets import MASK
from migrator.yamldoc import LINE_BREAK

RowKind = Literal["equal", "removed", "added", "changed"]
Span = tuple[int, int]  # [start, end) character offsets within one line

# Lines longer than this are not diffed character by character (quadratic).
_INTRALINE_LIMIT = 2000
# Below this similarity a paired line is shown as wholly changed.
_PAIR_RATIO = 0.5
_KEY = re.compile(r"^\s*(?:-\s+)?([^\s:#'\"][^:#]*?|'[^']*'|\"[^\"]*\"):(?:\s|$)")


@dataclass(frozen=True)
class Row:
    kind: RowKind
    left_no: int | None
    left: str | None
    right_no: int | None
    right: str | None
    left_spans: tuple[Span, ...] = ()
    right_spans: tuple[Span, ...] = ()


@dataclass(frozen=True)
class Fold:
    """A stretch of unchanged rows hidden behind an expander."""

    rows: tuple[Row, ...] = field(default_factory=tuple)

    @property
    def count(self) -> int:
        return len(self.rows)


# ---------------------------------------------------------------------------
# lines and rows


def split_lines(text: str) -> list[str]:
    """Split at YAML's line breaks (CRLF, CR, LF, NEL, LS, PS), dropping the breaks.

    A final line break does not start another (empty) line.
    """
    if not text:
        return []
    # At YAML's line breaks, so that line numbers agree with the engine's findings and errors.
    lines = LINE_BREAK.split(text)
    if lines[-1] == "":
        lines.pop()
    return lines


def changed_spans(a: str, b: str) -> tuple[tuple[Span, ...], tuple[Span, ...]]:
    """Character ranges that differ between two versions of one line."""
    if a == b:
        return (), ()
    if len(a) > _INTRALINE_LIMIT or len(b) > _INTRALINE_LIMIT:
        return _whole(a), _whole(b)
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    left: list[Span] = []
    right: list[Span] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        if i2 > i1:
            left.append((i1, i2))
        if j2 > j1:
            right.append((j1, j2))
    return _merge(left), _merge(right)


def _whole(s: str) -> tuple[Span, ...]:
    return ((0, len(s)),) if s else ()


def _merge(spans: list[Span], gap: int = 1) -> tuple[Span, ...]:
    """Join spans separated by at most `gap` characters (less confetti)."""
    out: list[list[int]] = []
    for start, end in sorted(spans):
        if out and start - out[-1][1] <= gap:
            out[-1][1] = max(out[-1][1], end)
        else:
            out.append([start, end])
    return tuple((s, e) for s, e in out)


def _yaml_key(line: str) -> str | None:
    m = _KEY.match(line)
    return m.group(1) if m else None


def _similarity(a: str, b: str) -> float:
    """How alike two lines are; two lines setting the same key pair up whatever their values."""
    if not a and not b:
        return 1.0
    ka = _yaml_key(a)
    if ka is not None and ka == _yaml_key(b):
        return 1.0
    if len(a) > _INTRALINE_LIMIT or len(b) > _INTRALINE_LIMIT:
        return 0.0
    return difflib.SequenceMatcher(None, a, b, autojunk=False).ratio()


def align_rows(old: str | list[str], new: str | list[str]) -> list[Row]:
    """Aligned rows of a side-by-side diff of two texts (or lists of lines)."""
    a = split_lines(old) if isinstance(old, str) else list(old)
    b = split_lines(new) if isinstance(new, str) else list(new)
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    rows: list[Row] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            rows.extend(Row("equal", i1 + k + 1, a[i1 + k], j1 + k + 1, b[j1 + k]) for k in range(i2 - i1))
        elif tag == "delete":
            rows.extend(Row("removed", i + 1, a[i], None, None) for i in range(i1, i2))
        elif tag == "insert":
            rows.extend(Row("added", None, None, j + 1, b[j]) for j in range(j1, j2))
        else:
            rows.extend(_replace_block(a, i1, i2, b, j1, j2))
    return rows


def _replace_block(a: list[str], i1: int, i2: int, b: list[str], j1: int, j2: int) -> Iterator[Row]:
    """Pair the lines of a replaced block in order, each with its most similar partner.

    Walks both sides in order; a left line is paired with the first right line
    (not yet used, looking ahead a little) that is similar enough, lines left
    over on either side become removed/added rows in their place.
    """
    i, j = i1, j1
    while i < i2 or j < j2:
        if i >= i2:
            yield Row("added", None, None, j + 1, b[j])
            j += 1
            continue
        if j >= j2:
            yield Row("removed", i + 1, a[i], None, None)
            i += 1
            continue
        # Look ahead a few lines on the right for a good partner of a[i].
        best_j, best_ratio = None, _PAIR_RATIO
        for k in range(j, min(j2, j + 8)):
            ratio = _similarity(a[i], b[k])
            if ratio > best_ratio:
                best_j, best_ratio = k, ratio
        if best_j is None:
            # Perhaps b[j] pairs with a later left line: then a[i] was removed.
            later = any(_similarity(a[k], b[j]) > _PAIR_RATIO for k in range(i + 1, min(i2, i + 8)))
            if later:
                yield Row("removed", i + 1, a[i], None, None)
                i += 1
            else:
                # Nothing similar anywhere close: show them side by side as changed.
                yield Row("changed", i + 1, a[i], j + 1, b[j], _whole(a[i]), _whole(b[j]))
                i += 1
                j += 1
            continue
        while j < best_j:
            yield Row("added", None, None, j + 1, b[j])
            j += 1
        ls, rs = changed_spans(a[i], b[j])
        yield Row("changed", i + 1, a[i], j + 1, b[j], ls, rs)
        i += 1
        j += 1


def fold(rows: list[Row], context: int = 3, min_fold: int = 4) -> list[Row | Fold]:
    """Replace unchanged stretches by `Fold`s, keeping `context` rows around each change.

    A stretch is folded only if it would hide at least `min_fold` rows (folding
    two lines behind a "show 2 lines" control helps nobody). With no change at
    all, everything but the first `context` rows is folded.
    """
    n = len(rows)
    keep = [False] * n
    for idx, row in enumerate(rows):
        if row.kind != "equal":
            for k in range(max(0, idx - context), min(n, idx + context + 1)):
                keep[k] = True
    if not any(r.kind != "equal" for r in rows):
        for k in range(min(n, context)):
            keep[k] = True
    out: list[Row | Fold] = []
    idx = 0
    while idx < n:
        if keep[idx]:
            out.append(rows[idx])
            idx += 1
            continue
        end = idx
        while end < n and not keep[end]:
            end += 1
        hidden = rows[idx:end]
        if len(hidden) >= min_fold:
            out.append(Fold(tuple(hidden)))
        else:
            out.extend(hidden)
        idx = end
    return out


def stats(rows: Iterable[Row]) -> dict[str, int]:
    counts = {"equal": 0, "removed": 0, "added": 0, "changed": 0}
    for row in rows:
        counts[row.kind] += 1
    return counts


# ---------------------------------------------------------------------------
# HTML

# Class names are prefixed so they cannot collide with the host page. Colours
# are translucent tints over whatever background the theme gives, and text
# inherits the theme's colour, so one stylesheet serves light and dark.
CSS = """
<style>
.sbs-diff { font-family: "Source Code Pro", ui-monospace, SFMono-Regular, Menlo, Consolas, monospace;
  font-size: 0.8rem; line-height: 1.45; border: 1px solid rgba(128,128,128,0.35); border-radius: 0.4rem;
  overflow: hidden; color: inherit; }
.sbs-head, .sbs-row { display: grid; grid-template-columns: 3.2em minmax(0,1fr) 3.2em minmax(0,1fr); }
.sbs-head { font-weight: 600; background: rgba(128,128,128,0.12);
  border-bottom: 1px solid rgba(128,128,128,0.35); }
.sbs-head > div { padding: 0.25rem 0.5rem; overflow-wrap: anywhere; }
.sbs-no { text-align: right; padding: 0 0.4rem; opacity: 0.55; user-select: none;
  border-right: 1px solid rgba(128,128,128,0.25); }
.sbs-code { white-space: pre-wrap; overflow-wrap: anywhere; padding: 0 0.5rem; min-height: 1.45em; }
.sbs-code.sbs-l { border-right: 1px solid rgba(128,128,128,0.25); }
.sbs-removed .sbs-l, .sbs-changed .sbs-l { background: rgba(248,81,73,0.16); }
.sbs-added .sbs-r, .sbs-changed .sbs-r { background: rgba(46,160,67,0.18); }
.sbs-removed .sbs-r, .sbs-added .sbs-l { background: rgba(128,128,128,0.08); }
.sbs-diff del { background: rgba(248,81,73,0.42); text-decoration: none; border-radius: 2px; }
.sbs-diff ins { background: rgba(46,160,67,0.45); text-decoration: none; border-radius: 2px; }
.sbs-mark { display: inline-block; width: 1em; opacity: 0.7; user-select: none; }
.sbs-block > .sbs-no, .sbs-block > .sbs-code { white-space: pre; }
.sbs-block > .sbs-code { overflow-x: auto; overflow-wrap: normal; }
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
    """Unchanged rows as ONE grid row of four newline-joined cells.

    A fold can hide hundreds of lines; one element per cell instead of five per
    line keeps the page fast in the browser (the DOM is what costs). Lines do
    not wrap here (they scroll sideways), so numbers and text stay aligned.
    """
    ln = "\n".join("" if r.left_no is None else str(r.left_no) for r in rows)
    rn = "\n".join("" if r.right_no is None else str(r.right_no) for r in rows)
    left = _esc("\n".join(r.left or "" for r in rows))
    right = _esc("\n".join(r.right or "" for r in rows))
    return (
        '<div class="sbs-row sbs-equal sbs-block" data-kind="equal">'
        f'<div class="sbs-no">{ln}</div><div class="sbs-code sbs-l">{left}</div>'
        f'<div class="sbs-no">{rn}</div><div class="sbs-code sbs-r">{right}</div></div>'
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


# ---------------------------------------------------------------------------
# structural diff

# A guard for aliases that expand a small text into a huge tree.
MAX_LEAVES = 200_000


class TooLarge(ValueError):
    """The documents have more leaves than a structural diff is worth computing for."""


def _is_named_list(value: Any) -> bool:
    """A list whose entries are all mappings with distinct string `name`s."""
    if not isinstance(value, list) or not value:
        return False
    names = []
    for item in value:
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            return False
        names.append(item["name"])
    return len(set(names)) == len(names)


def _child(path: str, key: Any) -> str:
    key = str(key)
    simple = key.replace("_", "").replace("-", "").isalnum()
    return (f"{path}.{key}" if path else key) if simple else f"{path}[{key!r}]"


def _leaves(value: Any, path: str, out: dict[str, Any]) -> None:
    """Flatten to {path: leaf}; empty containers are leaves; named lists keyed by name."""
    if isinstance(value, dict) and value:
        for key, sub in value.items():
            _leaves(sub, _child(path, key), out)
    elif _is_named_list(value):
        for item in value:
            _leaves(item, f"{path}[name={item['name']}]", out)
    elif isinstance(value, list) and value:
        for i, item in enumerate(value):
            _leaves(item, f"{path}[{i}]", out)
    else:
        if len(out) >= MAX_LEAVES:
            raise TooLarge(f"more than {MAX_LEAVES} values: no structural diff")
        out[path] = value


def _same(a: Any, b: Any) -> bool:
    # 1 == True in Python; YAML distinguishes them.
    return type(a) is type(b) and a == b


def _hashable(value: Any) -> Any:
    if isinstance(value, dict | list):
        return (type(value).__name__, repr(value))
    return (type(value).__name__, value)


def structural_changes(
    old: Any,
    new: Any,
    *,
    is_secret: Callable[[str], bool] | None = None,
    mask: str = MASK,
) -> list[dict[str, Any]]:
    """Moved, added, dropped and changed paths between two parsed documents.

    Each entry is ``{"kind": ..., "path": ...}`` plus ``"from"`` (for moves),
    ``"old"`` and/or ``"new"`` values. Lists of mappings with unique names (the
    compute pools) are compared by name: ``harmony.computePools[name=gpu].replicas``.
    A value that disappears at one path and appears, equal and unambiguous, at
    another is a move; a move of every leaf under one mapping to the same
    relative places under another is reported once for the mapping.

    `is_secret(path)` (e.g. `migrator.secrets.is_secret_path`) replaces the
    values at matching paths with `mask`. Raises `TooLarge` beyond `MAX_LEAVES`.
    """
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    _leaves(old, "", before)
    _leaves(new, "", after)

    dropped = {p: v for p, v in before.items() if p not in after}
    added = {p: v for p, v in after.items() if p not in before}
    changed = [p for p in before if p in after and not _same(before[p], after[p])]

    # Moves: a dropped leaf whose value appears at exactly one added leaf, and
    # nowhere else among the dropped ones.
    by_value_dropped: dict[Any, list[str]] = {}
    by_value_added: dict[Any, list[str]] = {}
    for p, v in dropped.items():
        by_value_dropped.setdefault(_hashable(v), []).append(p)
    for p, v in added.items():
        by_value_added.setdefault(_hashable(v), []).append(p)
    leaf_moves: list[tuple[str, str]] = []
    for key, sources in by_value_dropped.items():
        targets = by_value_added.get(key, [])
        if len(sources) == 1 and len(targets) == 1:
            leaf_moves.append((sources[0], targets[0]))
    moved_src = {s for s, _ in leaf_moves}
    moved_dst = {t for _, t in leaf_moves}

    moves = _collapse_moves(leaf_moves, before, after)

    def shown(path: str, value: Any) -> Any:
        return mask if is_secret is not None and is_secret(path) else value

    result: list[dict[str, Any]] = []
    for src, dst in moves:
        result.append({"kind": "moved", "from": src, "path": dst})
    for p, v in dropped.items():
        if p not in moved_src:
            result.append({"kind": "dropped", "path": p, "old": shown(p, v)})
    for p, v in added.items():
        if p not in moved_dst:
            result.append({"kind": "added", "path": p, "new": shown(p, v)})
    for p in changed:
        result.append({"kind": "changed", "path": p, "old": shown(p, before[p]), "new": shown(p, after[p])})
    order = {"moved": 0, "dropped": 1, "added": 2, "changed": 3}
    result.sort(key=lambda e: (order[e["kind"]], e["path"]))
    return result


def _split_path(path: str) -> tuple[str, str]:
    """Parent and last component of a flattened path."""
    depth = 0
    for idx in range(len(path) - 1, -1, -1):
        ch = path[idx]
        if ch == "]":
            depth += 1
        elif ch == "[":
            depth -= 1
            if depth == 0:
                return path[:idx], path[idx:]
        elif ch == "." and depth == 0:
            return path[:idx], path[idx:]
    return "", path


def _under(path: str, prefix: str) -> bool:
    return path == prefix or path.startswith(prefix + ".") or path.startswith(prefix + "[")


def _collapse_moves(
    leaf_moves: list[tuple[str, str]], before: dict[str, Any], after: dict[str, Any]
) -> list[tuple[str, str]]:
    """Report `a.b.* -> c.d.*` once as `a.b -> c.d` when every leaf moved that way."""
    moves = sorted(leaf_moves)
    changed = True
    while changed:
        changed = False
        for src, dst in moves:
            sp, sl = _split_path(src)
            dp, dl = _split_path(dst)
            if not sp or not dp or sl != dl:
                continue
            group = [(s, d) for s, d in moves if _under(s, sp)]
            ok = all(d.startswith(dp) and s[len(sp) :] == d[len(dp) :] for s, d in group)
            # Every leaf under the source must have moved, and nothing else may
            # live under the target (else it is not the same mapping).
            ok = ok and all(not _under(p, sp) for p in after)
            ok = ok and {s for s, _ in group} == {p for p in before if _under(p, sp)}
            ok = ok and {d for _, d in group} == {p for p in after if _under(p, dp)}
            if ok:
                moves = sorted([m for m in moves if m not in group] + [(sp, dp)])
                changed = True
                break
    return moves
