"""The side-by-side diff and the structural diff (migrator/report/diff.py)."""

from __future__ import annotations

import html
import itertools
import json
import random
import re
import time
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path

import pytest

import migrator
from migrator.report import diff as sbs
from migrator.report import diff_html as sbs_html
from migrator.report import structure
from migrator.report.secrets import mask_yaml_text

OLD = """\
# database
secrets:
  dbUrl: postgres://u:p@db:5432/app
harmony:
  enabled: true
  group: gpu
  partitionKey: gpu-part
  replicaCount: 2
  gpusPerReplica: 8
"""

NEW = """\
# database
secrets:
  db:
    username: u
    password: p
    host: db:5432
    database: app
harmony:
  enabled: true
  gpusPerReplica: 8
  computePools:
    - name: gpu
      replicas: 2
"""


def test_split_lines_follows_yaml_line_breaks():
    assert sbs.split_lines("") == []
    assert sbs.split_lines("a\nb\n") == ["a", "b"]
    assert sbs.split_lines("a\r\nb") == ["a", "b"]
    assert sbs.split_lines("a\rb\x85c\u2028d") == ["a", "b", "c", "d"]
    # A form feed is content in YAML, not a line break.
    assert sbs.split_lines("a\x0cb") == ["a\x0cb"]
    assert sbs.split_lines("a\n\n") == ["a", ""]


def test_rows_cover_both_sides_in_order():
    rows = sbs.align_rows(OLD, NEW)
    left = [r.left for r in rows if r.left is not None]
    right = [r.right for r in rows if r.right is not None]
    assert left == sbs.split_lines(OLD)
    assert right == sbs.split_lines(NEW)
    assert [r.left_no for r in rows if r.left_no] == list(range(1, len(left) + 1))
    assert [r.right_no for r in rows if r.right_no] == list(range(1, len(right) + 1))
    kinds = {r.kind for r in rows}
    assert kinds <= {"equal", "removed", "added", "changed"}
    for r in rows:
        if r.kind == "equal":
            assert r.left == r.right
        if r.kind == "removed":
            assert r.right is None and r.right_no is None
        if r.kind == "added":
            assert r.left is None and r.left_no is None
        if r.kind == "changed":
            assert r.left is not None and r.right is not None


def test_identical_texts_are_all_equal():
    rows = sbs.align_rows(OLD, OLD)
    assert {r.kind for r in rows} == {"equal"}
    assert sbs.stats(rows)["equal"] == len(sbs.split_lines(OLD))


def test_changed_line_highlights_only_the_changed_characters():
    rows = sbs.align_rows("a: 1\nreplicas: 2\nb: 3\n", "a: 1\nreplicas: 5\nb: 3\n")
    changed = [r for r in rows if r.kind == "changed"]
    assert len(changed) == 1
    row = changed[0]
    assert row.left_no == 2 and row.right_no == 2
    assert [row.left[s:e] for s, e in row.left_spans] == ["2"]
    assert [row.right[s:e] for s, e in row.right_spans] == ["5"]


def test_same_key_lines_pair_up_even_when_values_differ_a_lot():
    rows = sbs.align_rows("x:\n  tag: a\n", "x:\n  tag: something-entirely-different\n")
    assert [r.kind for r in rows] == ["equal", "changed"]


def test_changed_spans():
    assert sbs.changed_spans("same", "same") == ((), ())
    left, right = sbs.changed_spans("cpu: 30", "cpu: 16")
    assert left and right
    long_a, long_b = "a" * 5000, "b" * 5000
    assert sbs.changed_spans(long_a, long_b) == (((0, 5000),), ((0, 5000),))


def test_fold_keeps_context_around_changes():
    old = "".join(f"k{i}: {i}\n" for i in range(40))
    new = old.replace("k20: 20", "k20: 21")
    items = sbs.fold(sbs.align_rows(old, new), context=3)
    folds = [i for i in items if isinstance(i, sbs.Fold)]
    rows = [i for i in items if isinstance(i, sbs.Row)]
    assert len(folds) == 2
    assert sum(f.count for f in folds) + len(rows) == 40
    assert [r.left_no for r in rows] == list(range(18, 25))
    # Nothing is lost: unfolding gives all rows back in order.
    flat = []
    for i in items:
        flat.extend(i.rows if isinstance(i, sbs.Fold) else [i])
    assert flat == sbs.align_rows(old, new)


def test_fold_leaves_short_stretches_alone():
    old = "a: 1\nb: 2\nc: 3\nd: 4\ne: 5\n"
    new = "a: 0\nb: 2\nc: 3\nd: 4\ne: 6\n"
    items = sbs.fold(sbs.align_rows(old, new), context=1)
    assert not any(isinstance(i, sbs.Fold) for i in items)


def test_fold_without_changes_shows_the_first_lines():
    text = "".join(f"k{i}: {i}\n" for i in range(20))
    items = sbs.fold(sbs.align_rows(text, text), context=3)
    assert isinstance(items[-1], sbs.Fold) and items[-1].count == 17


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str | None]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attrs.extend(attrs)

    def handle_data(self, data):
        self.text.append(data)


HOSTILE = [
    "<img src=x onerror=alert(1)>",
    "<script>alert(1)</script>",
    '"><svg onload=alert(1)>',
    "</div></details><iframe src=javascript:alert(1)>",
    "&lt;b&gt; & ' \"",
]


@pytest.mark.parametrize("payload", HOSTILE)
def test_html_escapes_every_user_character(payload):
    old = f"# {payload}\nkey: {payload}\n{payload}: 1\n"
    new = f"# {payload}\nkey: {payload}x\n{payload}: 2\nadded: {payload}\n"
    out = sbs_html.side_by_side_html(old, new, left_title=payload + ".yaml", right_title=payload, context=0)
    parser = _Collector()
    parser.feed(out)
    # Only our own tags, and only our own attributes.
    assert set(parser.tags) <= {"style", "div", "details", "summary", "span", "del", "ins"}
    assert {name for name, _ in parser.attrs} <= {"class", "data-kind", "role", "aria-label", "style"}
    assert "onerror" not in {n for n, _ in parser.attrs}
    # The payload comes back as text, character for character.
    text = "".join(parser.text)
    assert payload in text
    assert "<img" not in out and "<script" not in out and "<svg" not in out and "<iframe" not in out


def test_html_marks_kinds_and_folds_with_details():
    old = "".join(f"k{i}: {i}\n" for i in range(30))
    new = old.replace("k15: 15", "k15: 16")
    out = sbs_html.side_by_side_html(old, new, context=2)
    assert 'data-kind="changed"' in out
    assert "<details" in out and "unchanged lines" in out
    # Whole numbers are marked, not the digits that differ ("15" -> "16", not "5" -> "6").
    assert "<del>15</del>" in out and "<ins>16</ins>" in out
    # Light and dark: translucent colours only, text colour inherited.
    colours = re.findall(r"background: (rgba\([^)]*\))", sbs_html.CSS)
    assert colours and all(c.startswith("rgba(") for c in colours)


def test_html_without_context_folds_nothing():
    old = "".join(f"k{i}: {i}\n" for i in range(30))
    out = sbs_html.side_by_side_html(old, old + "x: 1\n", context=None)
    assert "<details" not in out


def test_highlight_escapes_inside_and_outside_spans():
    assert sbs_html.highlight("<a>&<b>", [(3, 4)], "ins") == "&lt;a&gt;<ins>&amp;</ins>&lt;b&gt;"


# ---------------------------------------------------------------------------
# pairing that reads like a human's: the real example against its migration

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "values-0.17-era.yaml"


@pytest.fixture(scope="module")
def example() -> tuple[str, str]:
    report = migrator.analyze(EXAMPLE.read_bytes(), name=EXAMPLE.name)
    assert report.migrated_yaml is not None
    return report.original_yaml, report.migrated_yaml


def _non_equal(rows: list[sbs.Row]) -> list[tuple[str, str | None, str | None]]:
    def bare(text: str | None) -> str | None:
        return None if text is None else text.strip()

    return [(r.kind, bare(r.left), bare(r.right)) for r in rows if r.kind != "equal"]


@pytest.mark.parametrize("masked", [False, True], ids=["revealed", "masked"])
def test_example_moved_keys_pair_with_their_new_place(example, masked):
    old, new = example
    if masked:  # what the web app diffs by default
        old, new = mask_yaml_text(old), mask_yaml_text(new)
    rows = sbs.align_rows(old, new)
    by_left = {r.left.strip(): r for r in rows if r.left is not None}
    # The database URL pairs with the `db:` block that replaces it, not with `database:`.
    db_url = next(r for key, r in by_left.items() if key.startswith("dbUrl:"))
    assert db_url.kind == "changed" and db_url.right.strip() == "db:"
    for key in ("username", "password", "host", "database"):
        row = next(r for r in rows if r.right is not None and r.right.strip().startswith(f"{key}:"))
        assert row.kind == "added", row
    # The group's name pairs with the pool's name, the replica count with the replicas.
    group = next(r for key, r in by_left.items() if key.startswith("group:"))
    assert group.kind == "changed" and group.right.strip().startswith("- name: gpu-workers")
    replicas = by_left["replicaCount: 2"]
    assert replicas.kind == "changed" and replicas.right.strip() == "replicas: 2"
    # The rest is removed or added, in place.
    assert by_left["partitionKey: gpu-partition"].kind == "removed"
    assert ("added", None, "computePools:") in _non_equal(rows)
    assert ("added", None, "auth:") in _non_equal(rows)
    # Nothing else changed: every other line is an equal row.
    assert sbs.stats(rows)["changed"] == 3


def test_example_highlights_what_changed_in_each_paired_line(example):
    rows = sbs.align_rows(*example)
    group = next(r for r in rows if r.left is not None and r.left.strip().startswith("group:"))
    # The shared value and comment are not marked; the key and the dash are.
    assert [group.left[s:e] for s, e in group.left_spans] == ["group"]
    assert [group.right[s:e] for s, e in group.right_spans] == ["- name"]
    db_url = next(r for r in rows if r.left is not None and r.left.strip().startswith("dbUrl:"))
    # Too little in common: both lines are marked whole (after their indentation).
    assert [db_url.left[s:e] for s, e in db_url.left_spans] == [db_url.left.strip()]
    assert [db_url.right[s:e] for s, e in db_url.right_spans] == ["db:"]


def test_lines_with_the_same_key_pair_first():
    old = "a:\n  x: 1\n  tag: old\n  y: 2\n"
    new = "a:\n  z: 9\n  tag: new\n  w: 8\n"
    rows = sbs.align_rows(old, new)
    tag = next(r for r in rows if r.left is not None and "tag" in r.left)
    assert tag.kind == "changed" and tag.right == "  tag: new"


def test_same_key_pairs_even_when_it_moved_deeper():
    old = "harmony:\n  group: g\n  replicaCount: 3\n"
    new = "harmony:\n  computePools:\n    - name: g\n      replicaCount: 3\n"
    rows = sbs.align_rows(old, new)
    assert _non_equal(rows) == [
        ("added", None, "computePools:"),
        ("changed", "group: g", "- name: g"),
        ("changed", "replicaCount: 3", "replicaCount: 3"),
    ]


def test_a_blank_line_between_changes_does_not_keep_a_moved_key_from_its_place():
    old = "h:\n  group: default\n  partitionKey: p\n\n  replicaCount: 1\n  gpus: 8\n"
    new = "h:\n  computePools:\n    - name: default\n      replicas: 1\n\n  gpus: 8\n"
    rows = sbs.align_rows(old, new)
    kinds = {(r.left or "").strip(): (r.kind, r.right) for r in rows if r.left is not None}
    assert kinds["replicaCount: 1"] == ("changed", "      replicas: 1")
    assert kinds["group: default"] == ("changed", "    - name: default")
    # Every line of both sides is still there, once, in order.
    assert [r.left for r in rows if r.left is not None] == sbs.split_lines(old)
    assert [r.right for r in rows if r.right is not None] == sbs.split_lines(new)


def test_unrelated_lines_are_removed_and_added_not_changed():
    rows = sbs.align_rows("a: 1\n# a comment about something\nb: 2\n", "a: 1\nzzz: 99999\nb: 2\n")
    assert _non_equal(rows) == [
        ("removed", "# a comment about something", None),
        ("added", None, "zzz: 99999"),
    ]


# ---------------------------------------------------------------------------
# intra-line highlighting


def _marked(a: str, b: str) -> tuple[list[str], list[str]]:
    left, right = sbs.changed_spans(a, b)
    return [a[s:e] for s, e in left], [b[s:e] for s, e in right]


def test_changed_spans_mark_whole_words():
    assert _marked("enabled: true", "enabled: false") == (["true"], ["false"])
    assert _marked('  tag: "0.17.0"', '  tag: "0.48.0"') == (["17"], ["48"])
    assert _marked("replicaCount: 2", "replicas: 2") == (["replicaCount"], ["replicas"])
    assert _marked("a: 1", "a: 10") == (["1"], ["10"])


def test_changed_spans_mark_the_whole_line_when_little_is_left_in_common():
    assert _marked("  dbUrl: postgres://u@h/db", "  db:") == (["dbUrl: postgres://u@h/db"], ["db:"])
    assert _marked("# one comment", "# another remark") == (["# one comment"], ["# another remark"])
    # ...but a kept key is worth keeping unmarked, however long the new value.
    assert _marked("tag: a", "tag: something-else-entirely") == (["a"], ["something-else-entirely"])


def test_changed_spans_on_indentation_only():
    assert sbs.changed_spans("  x: 1", "    x: 1") == (((0, 2),), ((0, 4),))


def test_changed_spans_never_show_a_masked_secret_as_unchanged():
    mask = sbs.MASK
    # Same masked text, but the secrets behind it may differ: the mask is marked.
    left, right = _marked(f"password: {mask}  # old", f"password: {mask}  # new")
    assert any(mask in m for m in left) and any(mask in m for m in right)
    left, right = _marked(f"  url: postgres://app:{mask}@db/a", f"  url: postgres://app:{mask}@db/b")
    assert any(mask in m for m in left) and any(mask in m for m in right)
    # Never a cut through the mask's characters either.
    for a, b in [(f"k: {mask}x", f"k: {mask}"), (f"k: x{mask}", f"k: {mask}"), (f"{mask}: 1", f"{mask}: 2")]:
        for text, spans in zip((a, b), sbs.changed_spans(a, b), strict=True):
            for start, end in spans:
                for at in [m.start() for m in re.finditer(re.escape(mask), text)]:
                    assert end <= at or start >= at + len(mask) or (start <= at and end >= at + len(mask))


def test_masked_keys_do_not_pair_by_their_mask():
    mask = sbs.MASK
    rows = sbs.align_rows(f"s:\n  dbUrl: {mask}\nx: 1\n", f"s:\n  db:\n    database: {mask}\nx: 1\n")
    assert _non_equal(rows) == [("changed", f"dbUrl: {mask}", "db:"), ("added", None, f"database: {mask}")]


def test_changed_spans_are_linear_on_huge_lines():
    a = "k: " + "x" * 500_000 + "a" + "y" * 500_000
    b = "k: " + "x" * 500_000 + "b" + "y" * 500_000
    start = time.perf_counter()
    left, right = sbs.changed_spans(a, b)
    assert time.perf_counter() - start < 2
    # One long word: not widened to it (that would mark a megabyte for one character).
    assert left == ((500_003, 500_004),) and right == ((500_003, 500_004),)


# ---------------------------------------------------------------------------
# HTML: escaping in every kind of row, wrapping, folds


def _parse(out: str) -> _Collector:
    parser = _Collector()
    parser.feed(out)
    return parser


def _assert_only_our_markup(out: str) -> None:
    parser = _Collector()
    parser.feed(out)
    assert set(parser.tags) <= {"style", "div", "details", "summary", "span", "del", "ins"}
    assert {name for name, _ in parser.attrs} <= {"class", "data-kind", "role", "aria-label", "style"}
    # The only inline style is ours: where the fold's line numbers start.
    styles = {value for name, value in parser.attrs if name == "style"}
    assert all(re.fullmatch(r"counter-reset: sbs-n \d+", v or "") for v in styles)
    for bad in ("<img", "<script", "<svg", "<iframe"):
        assert bad not in out


@pytest.mark.parametrize("payload", HOSTILE)
def test_html_escapes_in_changed_added_removed_and_folded_rows(payload):
    unchanged = [f"same{i}: {payload}" for i in range(20)]
    old = "\n".join([*unchanged, f"changed: {payload}", f"removed_{payload}: {payload} gone", *unchanged])
    new = "\n".join([*unchanged, f"changed: {payload}!", *unchanged, f"added: {payload}"])
    rows = sbs.align_rows(old, new)
    assert {"changed", "removed", "added", "equal"} <= {r.kind for r in rows}
    out = sbs_html.render_html(rows, context=1)
    assert "<details" in out
    _assert_only_our_markup(out)
    text = "".join(_parse(out).text)
    # Every line comes back as text, character for character: the folded ones too.
    for line in [
        *unchanged,
        f"changed: {payload}!",
        f"added: {payload}",
        f"removed_{payload}: {payload} gone",
    ]:
        assert line in text
    folded = out[out.index("<details") : out.rindex("</details>")]
    assert _esc_count(folded, payload) >= 10


def _esc_count(fragment: str, payload: str) -> int:
    return fragment.count(html.escape(payload, quote=True))


def test_folded_lines_are_escaped_one_element_per_line():
    lines = [f"k{i}: <b>{i}</b> & 'x'" for i in range(50)]
    old = "\n".join(lines) + "\nend: 1\n"
    new = "\n".join(lines) + "\nend: 2\n"
    out = sbs_html.side_by_side_html(old, new, context=2)
    _assert_only_our_markup(out)
    assert "<b>" not in out
    assert out.count("k0: &lt;b&gt;0&lt;/b&gt; &amp; &#x27;x&#x27;") == 2  # left and right


def test_folds_wrap_and_number_each_line_as_its_own_element():
    lines = [f"k{i}: " + "long " * (i % 3) * 100 for i in range(3000)]
    old = "\n".join([*lines, "x: 1"]) + "\n"
    new = "\n".join(["added: 1", *lines, "x: 2"]) + "\n"
    rows = sbs.align_rows(old, new)
    items = sbs.fold(rows, context=3)
    fold = next(i for i in items if isinstance(i, sbs.Fold))
    out = sbs_html.render_html(rows, context=3)
    block = out[out.index("<details") : out.index("</details>")]
    # Numbers start where the fold starts, on each side, and count up line by line (CSS counters).
    first = fold.rows[0]
    assert f'style="counter-reset: sbs-n {first.left_no - 1}"' in block
    assert f'style="counter-reset: sbs-n {first.right_no - 1}"' in block
    assert first.left_no != first.right_no
    # One element per line and side: the DOM stays small however long the fold.
    assert block.count("<div>") == 2 * fold.count
    assert block.count("<div") <= 2 * fold.count + 4
    # Lines wrap everywhere; nothing scrolls sideways or is cut off.
    css = sbs_html.CSS
    assert not re.search(r"white-space:\s*pre\s*[;}]", css)
    assert "overflow-x" not in css
    for selector in (".sbs-code {", ".sbs-lines > div {"):
        rule = css[css.index(selector) : css.index("}", css.index(selector))]
        assert "white-space: pre-wrap" in rule and "overflow-wrap: anywhere" in rule
    assert "counter-increment: sbs-n" in css and "content: counter(sbs-n)" in css


def test_hand_made_fold_of_other_rows_still_renders_every_line():
    equal = [sbs.Row("equal", i, f"l{i}", i + 5, f"l{i}") for i in range(2, 6)]
    rows = (sbs.Row("removed", 1, "<a>", None, None), *equal)
    out = sbs_html._block_html(rows)
    _assert_only_our_markup(out)
    assert "&lt;a&gt;" in out and 'data-kind="removed"' in out


# ---------------------------------------------------------------------------
# linear time: crafted worst cases of about 1 MB. A quadratic diff takes
# minutes on most of them (the old difflib one: over two minutes on the
# identical and alternating lines, 15 s on the random ones, 5 s on the
# realistic migration); the bound is generous so a busy machine does not flake.

TIME_BOUND = 10.0


def _realistic() -> tuple[str, str]:
    """The example and its migration, padded to about 1 MB with sections; every 50th one renames a key."""
    report = migrator.analyze(EXAMPLE.read_bytes(), name=EXAMPLE.name)
    old_parts, new_parts = [report.original_yaml], [report.migrated_yaml or ""]
    for i in range(2_200):
        body = (
            f"\n## @section service{i}\nservice{i}:\n  enabled: true\n  replicaCount: {i % 5}\n"
            f'  image:\n    repository: registry.example.com/service{i}\n    tag: "v{i % 7}.{i % 11}"\n'
            f"  resources:\n    limits:\n      cpu: {i % 16}\n      memory: {i % 64}Gi\n"
            f"  env:\n    - name: LOG_LEVEL_{i}\n      value: info\n  config: |\n    workers = {i % 9}\n"
            f"  # {'lorem ipsum dolor sit amet ' * 3}\n  nodeSelector: {{}}\n  tolerations: []\n"
        )
        old_parts.append(body)
        renamed = body.replace(f"  replicaCount: {i % 5}\n", f"  replicas: {i % 5}\n")
        new_parts.append(body if i % 50 else renamed)
    return "".join(old_parts), "".join(new_parts)


def _case(name: str) -> tuple[str, str]:
    rng = random.Random(name)
    if name == "realistic 1 MB migration":
        return _realistic()
    if name == "one 1 MB line, one character changed":
        s = rng.randbytes(500_000).hex().translate(str.maketrans("0123456789", "        gh"))
        return "key: " + s + "\n", "key: " + s[:500_000] + "X" + s[500_001:] + "\n"
    if name == "one 1 MB line, all different":
        ab = str.maketrans("0123456789abcdef", "ab" * 8)
        return rng.randbytes(500_000).hex().translate(ab), rng.randbytes(500_000).hex().translate(ab)
    if name == "40,000 identical lines":
        a = ["enabled: true"] * 40_000
        b = list(a)
        for k in range(0, 40_000, 97):
            b[k] = "enabled: false"
        del b[20_000:20_050]
        return "\n".join(a) + "\n", "\n".join(b) + "\n"
    if name == "every line changed (JSON re-indented)":
        data = {
            f"service{i:05d}": {"enabled": i % 2 == 0, "replicas": i % 9, "image": {"tag": f"v{i % 99}"}}
            for i in range(6_000)
        }
        return json.dumps(data, indent=2) + "\n", json.dumps(data, indent=4) + "\n"
    if name == "alternating lines":
        pair = "  enabled: true\n  image: registry.example.com/app\n"
        return pair * 20_000, pair[pair.index("\n") + 1 :] + pair * 19_999 + pair[: pair.index("\n") + 1]
    if name == "reversed lines":
        lines = [f"k{i}: {i}" for i in range(40_000)]
        return "\n".join(lines) + "\n", "\n".join(reversed(lines)) + "\n"
    if name == "random lines, none in common":
        a = [f"key{rng.randrange(10**9)}: {rng.randrange(10**9)}" for _ in range(40_000)]
        b = [f"key{rng.randrange(10**9)}: {rng.randrange(10**9)}" for _ in range(40_000)]
        return "\n".join(a) + "\n", "\n".join(b) + "\n"
    raise AssertionError(name)


def _mostly(kind: str, share: float) -> Callable[[dict[str, int], int], bool]:
    return lambda counts, lines: counts[kind] >= share * lines


# Each case, and what its rows must look like besides being complete and in order.
WORST_CASES: dict[str, Callable[[dict[str, int], int], bool]] = {
    # The example's three changed lines, and one renamed key in every fiftieth section.
    "realistic 1 MB migration": lambda counts, lines: (
        counts["changed"] == 3 + 44 and counts["equal"] > 0.99 * lines
    ),
    "one 1 MB line, one character changed": lambda counts, lines: counts["changed"] == 1,
    "one 1 MB line, all different": lambda counts, lines: counts["equal"] == 0,
    "40,000 identical lines": _mostly("equal", 0.97),
    "every line changed (JSON re-indented)": _mostly("changed", 0.99),
    "alternating lines": lambda counts, lines: counts["equal"] == lines - 1,
    "reversed lines": lambda counts, lines: counts["equal"] >= 1,
    "random lines, none in common": lambda counts, lines: counts["equal"] == 0,
}


@pytest.mark.timeout(120)
@pytest.mark.parametrize("name", list(WORST_CASES))
def test_worst_cases_take_linear_time(name):
    old, new = _case(name)
    assert len(old) > 500_000
    start = time.perf_counter()
    rows = sbs.align_rows(old, new)
    out = sbs_html.render_html(rows)
    elapsed = time.perf_counter() - start
    assert elapsed < TIME_BOUND, f"{name}: {elapsed:.1f} s"
    lines = sbs.split_lines(old)
    assert [r.left for r in rows if r.left is not None] == lines
    assert [r.right for r in rows if r.right is not None] == sbs.split_lines(new)
    assert all(r.left == r.right for r in rows if r.kind == "equal")
    assert WORST_CASES[name](sbs.stats(rows), len(lines)), sbs.stats(rows)
    assert out.endswith("</div>")


# ---------------------------------------------------------------------------
# the line matching itself


def _lcs(a: list[int], b: list[int]) -> int:
    best = [[0] * (len(b) + 1) for _ in range(len(a) + 1)]
    for i in range(len(a) - 1, -1, -1):
        for j in range(len(b) - 1, -1, -1):
            best[i][j] = best[i + 1][j + 1] + 1 if a[i] == b[j] else max(best[i + 1][j], best[i][j + 1])
    return best[0][0]


def test_myers_finds_a_longest_common_subsequence():
    rng = random.Random(7)
    for _ in range(400):
        a = [rng.randint(0, 4) for _ in range(rng.randint(0, 25))]
        b = [rng.randint(0, 4) for _ in range(rng.randint(0, 25))]
        pairs = sbs._myers(a, b, sbs._Budget(len(a) + len(b)))
        assert pairs is not None
        pairs.sort()
        assert all(a[i] == b[j] for i, j in pairs)
        assert all(p[0] < q[0] and p[1] < q[1] for p, q in itertools.pairwise(pairs))
        assert len(pairs) == _lcs(a, b)


@pytest.mark.parametrize("starved", [False, True], ids=["budgets", "no-budget"])
def test_rows_stay_complete_and_in_order_whatever_the_budgets(monkeypatch, starved):
    if starved:  # every fallback at once: no Myers, no patience recursion, no exhaustive pairing
        for name, value in [
            ("_WORK_FACTOR", 0),
            ("_MYERS_STEPS", 0),
            ("_MYERS_PER_LINE", 0),
            ("_MYERS_TOTAL", 0),
            ("_DP_TOTAL", 0),
            ("_MYERS_FIRST", 0),
        ]:
            monkeypatch.setattr(sbs, name, value)
    rng = random.Random(11)
    words = [
        "a: 1",
        "b: 2",
        "",
        "  c: 3",
        "- name: x",
        "group: x",
        "# c",
        "}",
        "  db:",
        "  dbUrl: y",
        "enabled: true",
    ]
    for _ in range(60):
        a = [
            rng.choice(words) if rng.random() < 0.5 else f"k{rng.randint(0, 200)}: 1"
            for _ in range(rng.randint(0, 600))
        ]
        b = list(a)
        for _ in range(rng.randint(0, 30)):
            k = rng.randint(0, len(b))
            if rng.random() < 0.5:
                b.insert(k, rng.choice(words))
            elif b:
                del b[min(k, len(b) - 1)]
        rows = sbs.align_rows(a, b)
        assert [r.left for r in rows if r.left is not None] == a
        assert [r.right for r in rows if r.right is not None] == b
        assert [r.left_no for r in rows if r.left_no] == list(range(1, len(a) + 1))
        assert [r.right_no for r in rows if r.right_no] == list(range(1, len(b) + 1))
        for r in rows:
            assert r.kind != "equal" or r.left == r.right
            assert r.kind != "changed" or r.left != r.right


# ---------------------------------------------------------------------------
# structural changes


def test_structural_moves_drops_and_additions():
    old = {
        "secrets": {"dbUrl": "postgres://u:p@db/app"},
        "harmony": {"enabled": True, "group": "gpu", "partitionKey": "gpu-part", "replicaCount": 2},
    }
    new = {
        "secrets": {"db": {"username": "u", "password": "p", "host": "db", "database": "app"}},
        "harmony": {"enabled": True, "computePools": [{"name": "gpu", "replicas": 2}]},
    }
    out = structure.structural_changes(old, new)
    moved = {(e["from"], e["path"]) for e in out if e["kind"] == "moved"}
    assert moved == {
        ("harmony.group", "harmony.computePools[name=gpu].name"),
        ("harmony.replicaCount", "harmony.computePools[name=gpu].replicas"),
    }
    dropped = {e["path"] for e in out if e["kind"] == "dropped"}
    assert dropped == {"harmony.partitionKey", "secrets.dbUrl"}
    added = {e["path"] for e in out if e["kind"] == "added"}
    assert added == {"secrets.db.username", "secrets.db.password", "secrets.db.host", "secrets.db.database"}


def test_pools_are_matched_by_name_not_index():
    old = {"harmony": {"computePools": [{"name": "a", "replicas": 1}, {"name": "b", "replicas": 2}]}}
    new = {"harmony": {"computePools": [{"name": "b", "replicas": 2}, {"name": "a", "replicas": 1}]}}
    assert structure.structural_changes(old, new) == []
    new2 = {"harmony": {"computePools": [{"name": "b", "replicas": 3}, {"name": "a", "replicas": 1}]}}
    assert structure.structural_changes(old, new2) == [
        {"kind": "changed", "path": "harmony.computePools[name=b].replicas", "old": 2, "new": 3}
    ]


def test_pool_added_and_dropped_by_name():
    old = {"harmony": {"computePools": [{"name": "a", "replicas": 1}]}}
    new = {"harmony": {"computePools": [{"name": "c", "replicas": 4, "capabilities": "INFERENCE"}]}}
    out = structure.structural_changes(old, new)
    paths = {(e["kind"], e["path"]) for e in out}
    assert ("dropped", "harmony.computePools[name=a].name") in paths
    assert ("added", "harmony.computePools[name=c].capabilities") in paths


def test_unnamed_lists_compare_by_index():
    old = {"tolerations": [{"key": "a"}, {"key": "b"}]}
    new = {"tolerations": [{"key": "a"}, {"key": "c"}]}
    assert structure.structural_changes(old, new) == [
        {"kind": "changed", "path": "tolerations[1].key", "old": "b", "new": "c"}
    ]


def test_whole_mapping_move_is_reported_once():
    old = {"x": {"y": {"p": 1, "q": "s"}}, "keep": 1}
    new = {"z": {"w": {"p": 1, "q": "s"}}, "keep": 1}
    assert structure.structural_changes(old, new) == [{"kind": "moved", "from": "x.y", "path": "z.w"}]


def test_bool_and_int_are_different_values():
    assert structure.structural_changes({"a": 1}, {"a": True}) == [
        {"kind": "changed", "path": "a", "old": 1, "new": True}
    ]


def test_secret_values_are_masked_on_request():
    old = {"secrets": {"dbUrl": "postgres://u:hunter2@db/app"}}
    new = {"secrets": {"db": {"password": "hunter2"}}}
    out = structure.structural_changes(old, new, is_secret=lambda p: p.startswith("secrets"), mask="***")
    assert "hunter2" not in repr(out)
    assert all(e.get("old", "***") == "***" and e.get("new", "***") == "***" for e in out)


def test_odd_keys_get_readable_paths():
    out = structure.structural_changes({"a b": {"c.d": 1}}, {"a b": {"c.d": 2}})
    assert out == [{"kind": "changed", "path": "['a b']['c.d']", "old": 1, "new": 2}]


def test_leaf_bound():
    wide = {f"k{i}": i for i in range(structure.MAX_LEAVES + 1)}
    with pytest.raises(structure.TooLarge):
        structure.structural_changes(wide, {})


def test_a_changed_secret_shows_as_changed_without_showing_it() -> None:
    from migrator.report.diff import align_rows, mark_changed_secrets
    from migrator.report.diff_html import render_html
    from migrator.report.secrets import MASK, mask_yaml_text

    old = "secrets:\n  cookiesSecret: old-secret-value\nother: 1\n"
    new = "secrets:\n  cookiesSecret: new-secret-value\nother: 1\n"
    masked_old, masked_new = mask_yaml_text(old), mask_yaml_text(new)
    rows = align_rows(masked_old, masked_new)
    assert all(r.kind == "equal" for r in rows)  # masked, the two texts are the same
    marked = mark_changed_secrets(rows, old, new)
    changed = [r for r in marked if r.kind == "changed"]
    assert [(r.left_no, r.right_no) for r in changed] == [(2, 2)]
    start = changed[0].left.index(MASK)
    assert changed[0].left_spans == ((start, start + len(MASK)),) == changed[0].right_spans
    html = render_html(marked, context=None)
    assert "old-secret-value" not in html and "new-secret-value" not in html
    assert f"<del>{MASK}</del>" in html and f"<ins>{MASK}</ins>" in html
