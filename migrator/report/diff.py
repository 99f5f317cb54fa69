"""Side-by-side diff of two texts: which lines stand beside which, and what changed in a line.

Pure functions, no Streamlit, no YAML parsing (lines are text here): `diff_html` renders
the rows as HTML, `structure` compares two parsed documents.

- `align_rows(old, new)` pairs the lines of two texts into rows (left line
  number and text, right line number and text, kind ``equal`` / ``removed`` /
  ``added`` / ``changed``); a ``changed`` row carries the character ranges that
  differ on each side.
- `fold(rows, context)` hides long unchanged stretches, keeping `context`
  lines around every change.
- `mark_changed_secrets(rows, raw_old, raw_new)` shows a line of masked texts
  whose secret changed as changed (the masks marked).

How the lines are aligned, in near-linear time on any input (see `align_rows`):

1. Lines become integers (one dict look-up each); the common prefix and
   suffix are matched at once.
2. A stretch of at most `_MYERS_FIRST` lines gets Myers' O(ND) shortest edit
   script. A bigger one gets patience diff (what ``git diff --patience``
   does): lines that occur exactly once on each side are anchors; the longest
   run of them in the same order (longest increasing subsequence, O(k log k))
   is matched, and the stretches between anchors are diffed again the same
   way. A stretch with no unique line (only repeated lines: ``enabled: true``,
   blank lines, ``}``) gets Myers too.
3. Myers has a step budget per stretch and in all, and is not even tried when
   the lines in common are too few for it to finish within it; the patience
   recursion has a work budget proportional to the input. What does not fit
   stays unmatched: coarse, but correct.
4. A blank line (or lone bracket) matched between two changes is unmatched
   again (`_loosen`), so that the changes around it can pair across it.
5. Each stretch of lines left unmatched on both sides (a "replaced block") is
   paired line by line (`_pair_block`): the same YAML key first, then the
   same value (``group: x`` with ``- name: x``), similar text (common prefix
   and suffix, linear), and a removed ``key: value`` with the added block that
   replaces it at the same indentation (``dbUrl: ...`` with ``db:``). Small
   blocks get the best pairing (dynamic programming over at most `_DP_CELLS`
   pairs, `_DP_TOTAL` in all); larger ones are cut at lines with the same key,
   unique on both sides, and what is still large is paired greedily with a
   look-ahead of `_WINDOW` lines. What pairs with nothing is shown as removed
   or added.
6. A changed row highlights what lies between the common prefix and the
   common suffix of its two lines (linear), widened to whole words, or the
   whole line when they have too little in common to be worth it
   (`changed_spans`).
"""

from __future__ import annotations

import math
import re
from bisect import bisect_left
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

from migrator.report.secrets import MASK
from migrator.yaml.parse import LINE_BREAK

RowKind = Literal["equal", "removed", "added", "changed"]
Span = tuple[int, int]  # [start, end) character offsets within one line

# A YAML (or JSON) mapping key at the start of a line, after its indentation and a list dash.
_KEY = re.compile(r"\s*(?:-\s+)?([^\s:#'\"][^:#]*?|'[^']*'|\"[^\"]*\"):(?:\s|$)")

# Line matching: the patience recursion may look at every line this many times
# over (then what is left is treated as replaced blocks), and Myers' O(ND) diff
# may take this many steps (a diagonal visited, or a line matched along one),
# plus so many per line, per stretch and in all.
_WORK_FACTOR = 8
_MYERS_STEPS = 50_000
_MYERS_PER_LINE = 1
_MYERS_TOTAL = 200_000
# Stretches of at most this many lines (both sides) get Myers' diff first, bigger ones patience first.
_MYERS_FIRST = 400

# Pairing the lines of a replaced block: exhaustive (dynamic programming) up to
# this many candidate pairs per block and in all; greedy beyond, looking this
# many lines ahead on either side.
_DP_CELLS = 2_500
_DP_TOTAL = 60_000
_WINDOW = 8
# Greedy pairing compares the text of lines (the costly part) only this far ahead.
_SIMILAR_WINDOW = 2
# Blocks are cut at lines with the same unique key, and the pieces again, this many times.
_CUT_DEPTH = 3
# The greedy pairing's cost of leaving one line unpaired to reach a better partner.
_SKIP_COST = 0.6

# Lines that say nothing by themselves; at most this many of them between two
# changes do not keep the changes apart (see `_loosen`).
_TRIVIAL_LINES = frozenset(["", "{", "}", "},", "[", "]", "],"])
_LOOSE_LINES = 2

# Pair scores: the higher the better; nothing below _MIN_SIMILARITY pairs on text alone.
_IDENTICAL = 4.0
_IDENTICAL_TRIVIAL = 0.45
_SAME_KEY = 2.0
_SAME_KEY_ELSEWHERE = 1.5
_SAME_VALUE = 1.2
_MIN_SIMILARITY = 0.5
_REPLACED_BY_BLOCK = 0.4
# Values too common to say that two lines are about the same thing.
_TRIVIAL_VALUES = frozenset(
    ["", "~", "null", "true", "false", "yes", "no", "on", "off", "{}", "[]", "|", ">", "|-", ">-", "''", '""']
)

# Intra-line highlighting: below this share of common characters, or with no
# letter or digit in common (and unless the common part is the whole key), the
# whole line is marked instead.
_MIN_COMMON_SHARE = 0.2
# ...and the marked range is widened to whole words, unless they are longer than this.
_SNAP_LIMIT = 32


@dataclass(frozen=True, slots=True)
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


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" \t"))


def _prefix_len(a: str, b: str) -> int:
    """Length of the common prefix, by bisection over slices (linear, in C)."""
    n = min(len(a), len(b))
    if a[:n] == b[:n]:
        return n
    lo, hi = 0, n  # a[:lo] == b[:lo], a[:hi] != b[:hi]
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if a[lo:mid] == b[lo:mid]:
            lo = mid
        else:
            hi = mid
    return lo


def _suffix_len(a: str, b: str, limit: int) -> int:
    """Length of the common suffix, at most `limit`."""
    n = min(len(a), len(b), limit)
    la, lb = len(a), len(b)
    if n <= 0:
        return 0
    if a[la - n :] == b[lb - n :]:
        return n
    lo, hi = 0, n  # the last lo characters agree, the last hi do not
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if a[la - mid : la - lo] == b[lb - mid : lb - lo]:
            lo = mid
        else:
            hi = mid
    return lo


def _whole(s: str) -> tuple[Span, ...]:
    """The line's text after its indentation (highlighting leading spaces helps nobody)."""
    start = _indent(s)
    if start == len(s):
        start = 0
    return ((start, len(s)),) if s else ()


def _is_word(ch: str) -> bool:
    return ch.isalnum() or ch == "_"


def _snap_to_words(ca: str, cb: str, p: int, s: int) -> tuple[int, int]:
    """Move the ends of a common prefix `p` and suffix `s` out of the words they cut in two."""
    if p > 0 and _is_word(ca[p - 1]) and any(p < len(t) and _is_word(t[p]) for t in (ca, cb)):
        q = p
        while q > 0 and _is_word(ca[q - 1]) and p - q <= _SNAP_LIMIT:
            q -= 1
        if p - q <= _SNAP_LIMIT:
            p = q
    if s:
        ea, eb = len(ca) - s, len(cb) - s
        if _is_word(ca[ea]) and ((ea > 0 and _is_word(ca[ea - 1])) or (eb > 0 and _is_word(cb[eb - 1]))):
            t = s
            while t > 0 and _is_word(ca[len(ca) - t]) and s - t <= _SNAP_LIMIT:
                t -= 1
            if s - t <= _SNAP_LIMIT:
                s = t
    return p, s


def changed_spans(a: str, b: str) -> tuple[tuple[Span, ...], tuple[Span, ...]]:
    """Character ranges that differ between two versions of one line (linear time).

    What lies between the common prefix and the common suffix of the two lines
    (after their indentation) is marked: one range a side, never confetti. When
    the common part is too little to mean anything (a few spaces and colons),
    the whole text of both lines is marked instead, except when it is the
    line's whole key (``tag: a`` against ``tag: b`` marks the values only).

    The marked range does not start or end inside a word or number (``15`` ->
    ``16`` marks both numbers, not ``5`` and ``6``; ``true`` -> ``false`` does not
    leave the ``e`` unmarked), unless the word is too long for that to help.
    A masked secret (`MASK`) is never shown as unchanged: the masked text is
    the same whatever the secret, so the marked range always covers it.
    """
    if a == b:
        return (), ()
    ia, ib = _indent(a), _indent(b)
    ca, cb = a[ia:], b[ib:]
    if ca == cb:  # only the indentation changed: mark it
        return ((0, ia),) if ia else (), ((0, ib),) if ib else ()
    p = _prefix_len(ca, cb)
    s = _suffix_len(ca, cb, min(len(ca), len(cb)) - p)
    p, s = _snap_to_words(ca, cb, p, s)
    for text in (ca, cb):
        first = text.find(MASK)
        if first != -1:
            p = min(p, first)
            s = min(s, len(text) - text.rfind(MASK) - len(MASK))
    longest = max(len(ca), len(cb))
    key = _KEY.match(ca)
    key_kept = key is not None and p >= key.end()
    common = ca[:p] + ca[len(ca) - s :]
    if not key_kept and (p + s < _MIN_COMMON_SHARE * longest or not any(map(_is_word, common))):
        return _whole(a), _whole(b)
    left = ((ia + p, ia + len(ca) - s),) if len(ca) - s > p else ()
    right = ((ib + p, ib + len(cb) - s),) if len(cb) - s > p else ()
    return left, right


# ---------------------------------------------------------------------------
# matching equal lines: prefix/suffix, patience, bounded Myers


class _Budget:
    """What is left of the work the line matching may do (see the module's docstring)."""

    def __init__(self, size: int) -> None:
        self.work = _WORK_FACTOR * size + 10_000
        self.myers = _MYERS_TOTAL + _MYERS_PER_LINE * size
        self.dp = _DP_TOTAL


def _match_lines(a: list[str], b: list[str], budget: _Budget) -> list[tuple[int, int]]:
    """Pairs (i, j) of equal lines a[i] == b[j], increasing in both, in near-linear time."""
    ids: dict[str, int] = {}
    A = [ids.setdefault(x, len(ids)) for x in a]
    B = [ids.setdefault(x, len(ids)) for x in b]
    matches: list[tuple[int, int]] = []
    stack = [(0, len(A), 0, len(B))]
    while stack:
        alo, ahi, blo, bhi = stack.pop()
        while alo < ahi and blo < bhi and A[alo] == B[blo]:
            matches.append((alo, blo))
            alo += 1
            blo += 1
        while alo < ahi and blo < bhi and A[ahi - 1] == B[bhi - 1]:
            ahi -= 1
            bhi -= 1
            matches.append((ahi, bhi))
        if alo == ahi or blo == bhi:
            continue
        budget.work -= (ahi - alo) + (bhi - blo)
        if budget.work < 0:
            continue  # out of budget: this stretch stays a replaced block
        sa, sb = A[alo:ahi], B[blo:bhi]
        if len(sa) + len(sb) <= _MYERS_FIRST and _could_myers(sa, sb, budget):
            # Small enough for the shortest edit script: patience could anchor on a
            # lone unique line (a moved `}`) and miss the many lines around it.
            found = _myers(sa, sb, budget)
            if found is not None:
                matches.extend((alo + i, blo + j) for i, j in found)
                continue
        anchors = _unique_anchors(sa, sb)
        if anchors:
            pi, pj = alo, blo
            for i, j in anchors:
                matches.append((alo + i, blo + j))
                stack.append((pi, alo + i, pj, blo + j))
                pi, pj = alo + i + 1, blo + j + 1
            stack.append((pi, ahi, pj, bhi))
        elif _could_myers(sa, sb, budget):
            found = _myers(sa, sb, budget)
            if found is not None:
                matches.extend((alo + i, blo + j) for i, j in found)
    matches.sort()
    return matches


def _unique_anchors(sa: list[int], sb: list[int]) -> list[tuple[int, int]]:
    """Patience: the longest in-order run of lines that occur once on each side."""
    ca, cb = Counter(sa), Counter(sb)
    common = {x for x, n in ca.items() if n == 1 and cb.get(x) == 1}
    if not common:
        return []
    where = {x: j for j, x in enumerate(sb) if x in common}
    seq = [(i, where[x]) for i, x in enumerate(sa) if x in common]
    return _longest_increasing(seq)


def _longest_increasing(seq: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The longest subsequence of `seq` (increasing in its first items) increasing in its second."""
    tails: list[int] = []  # the smallest last second item of an increasing run of each length
    tail_at: list[int] = []  # the index in seq of that last item
    back = [-1] * len(seq)
    for idx, (_, j) in enumerate(seq):
        k = bisect_left(tails, j)
        if k == len(tails):
            tails.append(j)
            tail_at.append(idx)
        else:
            tails[k] = j
            tail_at[k] = idx
        back[idx] = tail_at[k - 1] if k else -1
    out = []
    idx = tail_at[-1] if tail_at else -1
    while idx != -1:
        out.append(seq[idx])
        idx = back[idx]
    out.reverse()
    return out


def _myers_rounds(n: int, m: int, budget: _Budget) -> tuple[int, int]:
    """The steps Myers may take on a stretch of n and m lines, and the rounds (edits) that fit in them."""
    allowed = min(_MYERS_STEPS + _MYERS_PER_LINE * (n + m), budget.myers)
    # Round d visits d + 1 diagonals.
    return allowed, min(n + m, math.isqrt(2 * max(allowed, 0)) + 2)


def _could_myers(sa: list[int], sb: list[int], budget: _Budget) -> bool:
    """Whether Myers can finish within budget: at least n + m - 2 * (lines in common) edits are needed."""
    _, dmax = _myers_rounds(len(sa), len(sb), budget)
    cb = Counter(sb)
    common = sum(min(c, cb[x]) for x, c in Counter(sa).items() if x in cb)
    return common > 0 and len(sa) + len(sb) - 2 * common <= dmax


def _myers(sa: list[int], sb: list[int], budget: _Budget) -> list[tuple[int, int]] | None:
    """Myers' O(ND) shortest edit script, as the matched pairs; None past the step budget."""
    n, m = len(sa), len(sb)
    allowed, dmax = _myers_rounds(n, m, budget)
    off = dmax + 1
    v = [-1] * (2 * dmax + 3)
    trace: list[list[int]] = []
    steps = 0
    for d in range(dmax + 1):
        for k in range(-d, d + 1, 2):
            down = v[off + k + 1] if k < d else -1  # from diagonal k+1: one line of b inserted
            right = v[off + k - 1] + 1 if k > -d and v[off + k - 1] >= 0 else -1  # one line of a removed
            x = 0 if d == 0 else max(down, right)
            y = x - k
            if x < 0 or x > n or y < 0 or y > m:
                v[off + k] = -1
                continue
            start = x
            while x < n and y < m and sa[x] == sb[y]:
                x += 1
                y += 1
            steps += 1 + x - start
            v[off + k] = x
            if x == n and y == m:
                trace.append(v.copy())
                budget.myers -= steps
                return _myers_path(trace, off, n, m, sa, sb)
        trace.append(v.copy())
        if steps > allowed:
            break
    budget.myers -= steps
    return None


def _myers_path(
    trace: list[list[int]], off: int, n: int, m: int, sa: list[int], sb: list[int]
) -> list[tuple[int, int]]:
    """Walk Myers' rounds back from (n, m), collecting the diagonal (matching) moves."""
    pairs: list[tuple[int, int]] = []
    x, y = n, m
    for d in range(len(trace) - 1, 0, -1):
        prev = trace[d - 1]
        k = x - y
        down = prev[off + k + 1] if k < d else -1
        right = prev[off + k - 1] + 1 if k > -d and prev[off + k - 1] >= 0 else -1
        if down >= right:
            px, pk = down, k + 1
            sx = px  # after moving down, x is unchanged
        else:
            px, pk = right - 1, k - 1
            sx = right
        while x > sx:
            x -= 1
            y -= 1
            pairs.append((x, y))
        x, y = px, px - pk
    while x > 0 and y > 0:
        x -= 1
        y -= 1
        pairs.append((x, y))
    return pairs


def _loosen(matches: list[tuple[int, int]], a: list[str], b: list[str]) -> list[tuple[int, int]]:
    """Unmatch a blank line (or lone bracket) or two standing between two changes.

    Matched, such a line splits the changes into two blocks that cannot pair
    across it: a key moved just past a blank line would show as removed here
    and added there. Unmatched, the pairing sees one block, and puts the blank
    line back where it fits (identical lines still pair, just weakly).
    """
    out: list[tuple[int, int]] = []
    k, n = 0, len(matches)
    prev_end = (0, 0)  # the line after the last run of matches, on each side
    while k < n:
        end = k + 1
        while end < n and matches[end] == (matches[end - 1][0] + 1, matches[end - 1][1] + 1):
            end += 1
        (i0, j0), (i1, j1) = matches[k], matches[end - 1]
        after = matches[end] if end < n else (len(a), len(b))
        before_gap = (i0 - prev_end[0], j0 - prev_end[1])
        after_gap = (after[0] - i1 - 1, after[1] - j1 - 1)
        merged = (after[0] - prev_end[0]) * (after[1] - prev_end[1])
        if not (
            end - k <= _LOOSE_LINES
            and any(before_gap)
            and any(after_gap)
            and merged <= _DP_CELLS
            and all(_trivial(a[i]) for i in range(i0, i1 + 1))
        ):
            out.extend(matches[k:end])
            prev_end = (i1 + 1, j1 + 1)
        k = end
    return out


def _trivial(line: str) -> bool:
    return line.strip() in _TRIVIAL_LINES


# ---------------------------------------------------------------------------
# pairing the lines of a replaced block


# Indentation, a list dash, and a mapping key (as `_KEY`) at the start of a line.
_LINE = re.compile(r"([ \t]*)(-(?:[ \t]+|$))?(?:([^\s:#'\"][^:#]*?|'[^']*'|\"[^\"]*\"):(?:[ \t]+|$))?")


class _Line:
    """What the pairing looks at in one line."""

    __slots__ = ("block", "dash", "indent", "key", "similar", "text", "trivial", "value")

    def __init__(self, text: str) -> None:
        self.text = text
        self.trivial = text.strip() in _TRIVIAL_LINES
        match = _LINE.match(text)
        self.indent = match.end(1)
        self.dash = dash = match.start(2) != -1
        key = match.group(3)
        if key is None:
            self.key: str | None = None
            self.value = ""  # the value, unquoted, without its comment; "" when masked
            self.block = False  # a key with nothing after it (or a JSON `{` / `[`): a block starts
        else:
            self.key = key.strip("'\"")
            value = text[match.end() :]
            if value[:1] == "#":
                value = ""
            elif value:
                cut = value.find(" #")
                value = (value if cut == -1 else value[:cut]).rstrip().rstrip(",")
            self.block = value in ("", "{", "[")
            self.value = "" if MASK in value else value.strip("'\"")
        # The text compared for similarity: no indentation or dash, and a masked value counts for nothing.
        body = text[match.end(2) if dash else self.indent :]
        self.similar = body.replace(MASK, "") if MASK in body else body


def _similarity(a: str, b: str) -> float:
    """Share of the longer text in a common prefix or suffix (linear; 0 when too different in length)."""
    la, lb = len(a), len(b)
    longest = max(la, lb)
    if not longest:
        return 1.0
    need = _MIN_SIMILARITY * longest  # prefix + suffix must reach this, so one of them half of it
    half = max(1, math.ceil(need / 2))
    if min(la, lb) < need or (a[:half] != b[:half] and a[-half:] != b[-half:]):
        return 0.0
    p = _prefix_len(a, b)
    s = _suffix_len(a, b, min(la, lb) - p)
    return (p + s) / longest


def _telling(value: str) -> bool:
    """Whether two lines with this same value are likely about the same thing (not `true`, not `2`)."""
    return value.lower() not in _TRIVIAL_VALUES and not (len(value) < 3 and value.lstrip("-+").isdigit())


def _score(x: _Line, y: _Line, similar: bool = True) -> float:
    """How well two lines of a replaced block pair up (0: not at all); `similar`: compare their text too."""
    if x.text == y.text:
        return _IDENTICAL_TRIVIAL if x.trivial else _IDENTICAL
    if x.key is not None and x.key == y.key:
        return _SAME_KEY if x.indent == y.indent and x.dash == y.dash else _SAME_KEY_ELSEWHERE
    score = 0.0
    if x.value and x.value == y.value and _telling(x.value):
        score = _SAME_VALUE
    if similar:
        similarity = _similarity(x.similar, y.similar)
        if similarity >= _MIN_SIMILARITY:
            score = max(score, similarity)
    if not score and x.key is not None and y.key is not None and x.indent == y.indent and x.block != y.block:
        # A `key: value` replaced by a block that starts at the same place (`dbUrl: ...` -> `db:`).
        score = _REPLACED_BY_BLOCK
    return score


def _pair_block(la: list[_Line], lb: list[_Line], budget: _Budget, depth: int = 0) -> list[tuple[int, int]]:
    """Pairs (i, j), increasing in both, of lines of a replaced block that belong side by side."""
    n, m = len(la), len(lb)
    if not n or not m:
        return []
    if n * m <= _DP_CELLS and budget.dp >= n * m:
        budget.dp -= n * m
        return _pair_best(la, lb)
    anchors = _key_anchors(la, lb) if depth < _CUT_DEPTH else []
    if not anchors:
        return _pair_greedy(la, lb)
    pairs: list[tuple[int, int]] = []
    pi, pj = 0, 0
    for i, j in [*anchors, (n, m)]:
        pairs.extend((pi + x, pj + y) for x, y in _pair_block(la[pi:i], lb[pj:j], budget, depth + 1))
        if i < n:
            pairs.append((i, j))
        pi, pj = i + 1, j + 1
    return pairs


def _key_anchors(la: list[_Line], lb: list[_Line]) -> list[tuple[int, int]]:
    """Lines with the same key, unique on each side of the block, in order (patience on keys)."""
    ca = Counter(x.key for x in la if x.key is not None)
    cb = Counter(y.key for y in lb if y.key is not None)
    common = {k for k, c in ca.items() if c == 1 and cb.get(k) == 1}
    if not common:
        return []
    where = {y.key: j for j, y in enumerate(lb) if y.key in common}
    return _longest_increasing([(i, where[x.key]) for i, x in enumerate(la) if x.key in common])


def _pair_best(la: list[_Line], lb: list[_Line]) -> list[tuple[int, int]]:
    """The in-order pairing with the highest total score (dynamic programming, n*m)."""
    n, m = len(la), len(lb)
    score = [[_score(x, y) for y in lb] for x in la]
    best = [[0.0] * (m + 1) for _ in range(n + 1)]
    for i in range(n - 1, -1, -1):
        row, below, scores = best[i], best[i + 1], score[i]
        for j in range(m - 1, -1, -1):
            value = max(below[j], row[j + 1])
            if scores[j] > 0:
                value = max(value, scores[j] + below[j + 1])
            row[j] = value
    pairs = []
    i = j = 0
    while i < n and j < m:
        if score[i][j] > 0 and best[i][j] == score[i][j] + best[i + 1][j + 1]:
            pairs.append((i, j))
            i += 1
            j += 1
        elif best[i][j] == best[i + 1][j]:
            i += 1
        else:
            j += 1
    return pairs


_Where = tuple[dict[str, list[int]], dict[str, list[int]], dict[str, list[int]]]


def _index(lines: list[_Line]) -> _Where:
    """Where each text, key and value occurs (positions in order), to find partners by look-up."""
    texts: dict[str, list[int]] = {}
    keys: dict[str, list[int]] = {}
    values: dict[str, list[int]] = {}
    for pos, line in enumerate(lines):
        texts.setdefault(line.text, []).append(pos)
        if line.key is not None:
            keys.setdefault(line.key, []).append(pos)
            if line.value:
                values.setdefault(line.value, []).append(pos)
    return texts, keys, values


def _nearest(where: _Where, line: _Line, start: int, out: set[int]) -> None:
    """Add to `out` the first position from `start` on, within _WINDOW, of a line like `line`."""
    for table, sign in zip(where, (line.text, line.key, line.value), strict=True):
        positions = table.get(sign) if sign else None  # type: ignore[arg-type]
        if positions:
            k = bisect_left(positions, start)
            if k < len(positions) and positions[k] < start + _WINDOW:
                out.add(positions[k])


def _pair_greedy(la: list[_Line], lb: list[_Line]) -> list[tuple[int, int]]:
    """In order, each line with its best partner a few lines ahead (linear).

    Candidates for a[i] are the next b lines (up to `_WINDOW` ahead) with the
    same text, key or telling value, found by look-up, and b[j], b[j+1] for
    similar text; the same the other way round. Leaving lines unpaired to reach
    a partner costs `_SKIP_COST` a line.
    """
    n, m = len(la), len(lb)
    where_a, where_b = _index(la), _index(lb)
    pairs = []
    i = j = 0
    while i < n and j < m:
        x, y = la[i], lb[j]
        if x.text == y.text:  # nothing pairs better
            pairs.append((i, j))
            i += 1
            j += 1
            continue
        right = set(range(j, min(j + _SIMILAR_WINDOW, m)))
        _nearest(where_b, x, j, right)
        left = set(range(i + 1, min(i + _SIMILAR_WINDOW, n)))
        _nearest(where_a, y, i + 1, left)
        best, bi, bj = 0.0, -1, -1
        for k in sorted(right):
            value = _score(x, lb[k], k - j < _SIMILAR_WINDOW) - _SKIP_COST * (k - j)
            if value > best:
                best, bi, bj = value, i, k
        for k in sorted(left):
            value = _score(la[k], y, k - i < _SIMILAR_WINDOW) - _SKIP_COST * (k - i)
            if value > best:
                best, bi, bj = value, k, j
        if bi < 0:
            i += 1  # neither line has a partner close by
            j += 1
            continue
        pairs.append((bi, bj))
        i, j = bi + 1, bj + 1
    return pairs


def _block_rows(a: list[str], i1: int, i2: int, b: list[str], j1: int, j2: int, budget: _Budget) -> list[Row]:
    """The rows of the lines a[i1:i2] and b[j1:j2] that no equal line matched."""
    if i1 == i2:
        return [Row("added", None, None, j + 1, b[j]) for j in range(j1, j2)]
    if j1 == j2:
        return [Row("removed", i + 1, a[i], None, None) for i in range(i1, i2)]
    pairs = _pair_block([_Line(x) for x in a[i1:i2]], [_Line(y) for y in b[j1:j2]], budget)
    pairs.append((i2 - i1, j2 - j1))
    rows: list[Row] = []
    i, j = i1, j1
    for x, y in pairs:
        pi, pj = i1 + x, j1 + y
        if i < pi:
            rows.extend([Row("removed", k + 1, a[k], None, None) for k in range(i, pi)])
        if j < pj:
            rows.extend([Row("added", None, None, k + 1, b[k]) for k in range(j, pj)])
        if pi < i2:
            left, right = a[pi], b[pj]
            if left == right:
                rows.append(Row("equal", pi + 1, left, pj + 1, right))
            else:
                ls, rs = changed_spans(left, right)
                rows.append(Row("changed", pi + 1, left, pj + 1, right, ls, rs))
        i, j = pi + 1, pj + 1
    return rows


def align_rows(old: str | list[str], new: str | list[str]) -> list[Row]:
    """Aligned rows of a side-by-side diff of two texts (or lists of lines), in near-linear time.

    Every line of each side appears once, in order. See the module's docstring
    for how lines are matched and paired.
    """
    a = split_lines(old) if isinstance(old, str) else list(old)
    b = split_lines(new) if isinstance(new, str) else list(new)
    budget = _Budget(len(a) + len(b))
    matches = _loosen(_match_lines(a, b, budget), a, b)
    rows: list[Row] = []
    pi, pj = 0, 0
    for i, j in [*matches, (len(a), len(b))]:
        if i > pi or j > pj:
            rows.extend(_block_rows(a, pi, i, b, pj, j, budget))
        if i < len(a):
            rows.append(Row("equal", i + 1, a[i], j + 1, b[j]))
        pi, pj = i + 1, j + 1
    return rows


def mark_changed_secrets(
    rows: list[Row], raw_old: str | list[str], raw_new: str | list[str], mask: str = MASK
) -> list[Row]:
    """Rows of a diff of masked texts, where a line that only LOOKS equal (its secret changed) is
    shown as changed, the masks marked.

    Masking keeps each text's line structure, so row line numbers index the raw texts too. The
    secret itself is never shown: only the masked line, marked where the mask stands.
    """
    a = split_lines(raw_old) if isinstance(raw_old, str) else list(raw_old)
    b = split_lines(raw_new) if isinstance(raw_new, str) else list(raw_new)
    out = []
    for row in rows:
        if (
            row.kind == "equal"
            and row.left_no is not None
            and row.right_no is not None
            and row.left is not None
            and mask in row.left
            and row.left_no <= len(a)
            and row.right_no <= len(b)
            and a[row.left_no - 1] != b[row.right_no - 1]
        ):
            spans = _mask_spans(row.left, mask)
            out.append(Row("changed", row.left_no, row.left, row.right_no, row.right, spans, spans))
        else:
            out.append(row)
    return out


def _mask_spans(line: str, mask: str) -> tuple[Span, ...]:
    spans = []
    start = line.find(mask)
    while start != -1:
        spans.append((start, start + len(mask)))
        start = line.find(mask, start + len(mask))
    return tuple(spans)


def fold(rows: list[Row], context: int = 3, min_fold: int = 4) -> list[Row | Fold]:
    """Replace unchanged stretches by `Fold`s, keeping `context` rows around each change.

    A stretch is folded only if it would hide at least `min_fold` rows (folding
    two lines behind a "show 2 lines" control helps nobody). With no change at
    all, everything but the first `context` rows is folded.
    """
    n = len(rows)
    keep = [False] * n
    changes = [idx for idx, row in enumerate(rows) if row.kind != "equal"]
    for idx in changes:
        for k in range(max(0, idx - context), min(n, idx + context + 1)):
            keep[k] = True
    if not changes:
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
