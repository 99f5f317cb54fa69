"""The side-by-side diff and the structural diff (migrator/sidebyside.py)."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from migrator import sidebyside as sbs

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
    out = sbs.side_by_side_html(old, new, left_title=payload + ".yaml", right_title=payload, context=0)
    parser = _Collector()
    parser.feed(out)
    # Only our own tags, and only our own attributes.
    assert set(parser.tags) <= {"style", "div", "details", "summary", "span", "del", "ins"}
    assert {name for name, _ in parser.attrs} <= {"class", "data-kind", "role", "aria-label"}
    assert "onerror" not in {n for n, _ in parser.attrs}
    # The payload comes back as text, character for character.
    text = "".join(parser.text)
    assert payload in text
    assert "<img" not in out and "<script" not in out and "<svg" not in out and "<iframe" not in out


def test_html_marks_kinds_and_folds_with_details():
    old = "".join(f"k{i}: {i}\n" for i in range(30))
    new = old.replace("k15: 15", "k15: 16")
    out = sbs.side_by_side_html(old, new, context=2)
    assert 'data-kind="changed"' in out
    assert "<details" in out and "unchanged lines" in out
    assert "<del>5</del>" in out and "<ins>6</ins>" in out
    # Light and dark: translucent colours only, text colour inherited.
    colours = re.findall(r"background: (rgba\([^)]*\))", sbs.CSS)
    assert colours and all(c.startswith("rgba(") for c in colours)


def test_html_without_context_folds_nothing():
    old = "".join(f"k{i}: {i}\n" for i in range(30))
    out = sbs.side_by_side_html(old, old + "x: 1\n", context=None)
    assert "<details" not in out


def test_highlight_escapes_inside_and_outside_spans():
    assert sbs.highlight("<a>&<b>", [(3, 4)], "ins") == "&lt;a&gt;<ins>&amp;</ins>&lt;b&gt;"


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
    out = sbs.structural_changes(old, new)
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
    assert sbs.structural_changes(old, new) == []
    new2 = {"harmony": {"computePools": [{"name": "b", "replicas": 3}, {"name": "a", "replicas": 1}]}}
    assert sbs.structural_changes(old, new2) == [
        {"kind": "changed", "path": "harmony.computePools[name=b].replicas", "old": 2, "new": 3}
    ]


def test_pool_added_and_dropped_by_name():
    old = {"harmony": {"computePools": [{"name": "a", "replicas": 1}]}}
    new = {"harmony": {"computePools": [{"name": "c", "replicas": 4, "capabilities": "INFERENCE"}]}}
    out = sbs.structural_changes(old, new)
    paths = {(e["kind"], e["path"]) for e in out}
    assert ("dropped", "harmony.computePools[name=a].name") in paths
    assert ("added", "harmony.computePools[name=c].capabilities") in paths


def test_unnamed_lists_compare_by_index():
    old = {"tolerations": [{"key": "a"}, {"key": "b"}]}
    new = {"tolerations": [{"key": "a"}, {"key": "c"}]}
    assert sbs.structural_changes(old, new) == [
        {"kind": "changed", "path": "tolerations[1].key", "old": "b", "new": "c"}
    ]


def test_whole_mapping_move_is_reported_once():
    old = {"x": {"y": {"p": 1, "q": "s"}}, "keep": 1}
    new = {"z": {"w": {"p": 1, "q": "s"}}, "keep": 1}
    assert sbs.structural_changes(old, new) == [{"kind": "moved", "from": "x.y", "path": "z.w"}]


def test_bool_and_int_are_different_values():
    assert sbs.structural_changes({"a": 1}, {"a": True}) == [
        {"kind": "changed", "path": "a", "old": 1, "new": True}
    ]


def test_secret_values_are_masked_on_request():
    old = {"secrets": {"dbUrl": "postgres://u:hunter2@db/app"}}
    new = {"secrets": {"db": {"password": "hunter2"}}}
    out = sbs.structural_changes(old, new, is_secret=lambda p: p.startswith("secrets"), mask="***")
    assert "hunter2" not in repr(out)
    assert all(e.get("old", "***") == "***" and e.get("new", "***") == "***" for e in out)


def test_odd_keys_get_readable_paths():
    out = sbs.structural_changes({"a b": {"c.d": 1}}, {"a b": {"c.d": 2}})
    assert out == [{"kind": "changed", "path": "['a b']['c.d']", "old": 1, "new": 2}]


def test_leaf_bound():
    wide = {f"k{i}": i for i in range(sbs.MAX_LEAVES + 1)}
    with pytest.raises(sbs.TooLarge):
        sbs.structural_changes(wide, {})
