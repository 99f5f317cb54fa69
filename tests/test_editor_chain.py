"""The shared editor of a chain of changes: checkpoints, flushes, deferred verification.

The engine applies every change on one editor and re-parses only when a change
needs positions an earlier change rewrote, and once at the end (parsing only the
top-level sections that changed). These tests pin that machinery down with
small synthetic changes, so that a fast path can never hand back a wrong file.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import migrator.engine as engine
from migrator.changes.context import ChangeContext
from migrator.report.model import ChartFit
from migrator.yaml.document import Document
from migrator.yaml.editor import EditError, Editor, NeedsFlush
from migrator.yaml.paths import parse_path
from migrator.yaml.render import Keep
from tests.samples import synthetic_change

TEXT = "a:\n  x: 1  # the x\n  k: 2\nb:\n  z: 3\nc: 4\n"


def _synthetic_fit(data: object) -> ChartFit:
    return ChartFit(True, "a synthetic chain of changes on a tiny file")


def test_rewritten_path_needs_a_flush_and_rollback_restores_everything() -> None:
    editor = Editor(Document(TEXT))
    mark = editor.begin()
    editor.replace_key(("a", "x"), "w", {"v": Keep(("a", "x"))})
    assert editor.get(("a", "w")) == {"v": 1}
    with pytest.raises(NeedsFlush):
        editor.check_clean(("a", "w", "v"))
    with pytest.raises(NeedsFlush):
        editor.add_key(("a", "w"), "u", 5)  # created by an edit: its position is not known yet
    editor.check_clean(("a", "k"))  # a sibling keeps its position
    editor.rollback(mark)
    assert editor.expected == Document(TEXT).data
    assert editor.text() == TEXT
    assert not editor.has_edits()


def test_the_documents_own_data_is_never_changed_in_place() -> None:
    doc = Document(TEXT)
    before = doc.data
    snapshot = {"a": {"x": 1, "k": 2}, "b": {"z": 3}, "c": 4}
    editor = Editor(doc)
    editor.remove_key(("a", "k"))
    editor.add_key(("b",), "q", [1, 2])
    assert doc.data is before and doc.data == snapshot
    assert editor.expected["b"] == {"z": 3, "q": [1, 2]}
    assert editor.expected["c"] is doc.data["c"]


def test_finish_at_the_end_parses_only_the_changed_sections() -> None:
    editor = Editor(Document(TEXT))
    editor.replace_key(("b", "z"), "zz", 30)
    result = editor.finish(positions=False)
    assert result.text == "a:\n  x: 1  # the x\n  k: 2\nb:\n  zz: 30\nc: 4\n"
    assert result._parsed is None  # verified by sections; positions parsed only on demand
    assert result.data == {"a": {"x": 1, "k": 2}, "b": {"zz": 30}, "c": 4}
    assert result.line_of(("b", "zz")) == 5


def test_section_check_falls_back_to_a_full_parse_when_aliases_are_used() -> None:
    text = "a: &base\n  x: 1\nb: *base\nc:\n  d: 1\n"
    editor = Editor(Document(text))
    editor.replace_key(("c", "d"), "e", 2)
    result = editor.finish(positions=False)
    assert result._parsed is not None  # parsed whole: sections are not independent here
    assert result.data == {"a": {"x": 1}, "b": {"x": 1}, "c": {"e": 2}}


def test_section_check_refuses_text_that_does_not_hold_the_intended_data() -> None:
    editor = Editor(Document(TEXT))
    editor.replace_key(("b", "z"), "zz", 30)
    editor._edits[0].new = ["  zz: 31"]  # an editor bug: the text says something else
    with pytest.raises(EditError, match="intended values"):
        editor.finish(positions=False)


def test_a_change_that_needs_rewritten_positions_runs_again_after_a_flush(monkeypatch) -> None:
    calls: list[str] = []

    def create_w(ctx: ChangeContext) -> None:
        ctx.editor.replace_key(("a", "x"), "w", {"v": Keep(("a", "x"))})

    def extend_w(ctx: ChangeContext) -> None:
        calls.append("extend")
        ctx.editor.add_key(("a", "w"), "u", 5)

    changes = (
        synthetic_change("create-w", "0.17.0", create_w),
        synthetic_change("extend-w", "0.18.0", extend_w),
    )
    monkeypatch.setattr(engine, "all_changes", lambda: changes)
    monkeypatch.setattr(engine, "fit", _synthetic_fit)  # the tiny file is no chart's values
    report = engine.analyze(TEXT, target="0.18.0", prove_with_helm=False)
    assert calls == ["extend", "extend"]  # stopped once by NeedsFlush, then run on the new text
    assert [c.status for c in report.changes] == ["applied", "applied"]
    assert report.migrated_yaml == "a:\n  w:  # the x\n    v: 1\n    u: 5\n  k: 2\nb:\n  z: 3\nc: 4\n"


def test_a_blocked_change_leaves_no_edit_behind(monkeypatch) -> None:
    def edit_then_block(ctx: ChangeContext) -> None:
        ctx.editor.remove_key(("c",))
        ctx.block("a human must decide")

    def harmless(ctx: ChangeContext) -> None:
        ctx.editor.remove_key(("a", "k"))

    changes = (
        synthetic_change("blocks", "0.17.0", edit_then_block),
        synthetic_change("edits", "0.18.0", harmless),
    )
    monkeypatch.setattr(engine, "all_changes", lambda: changes)
    monkeypatch.setattr(engine, "fit", _synthetic_fit)  # the tiny file is no chart's values
    report = engine.analyze(TEXT, target="0.18.0", prove_with_helm=False)
    assert report.status == "blocked" and report.migrated_yaml is None
    assert [c.status for c in report.changes] == ["blocked", "applied"]


def test_a_wrong_edit_found_at_the_end_is_pinned_on_its_change(monkeypatch) -> None:
    def fine(ctx: ChangeContext) -> None:
        ctx.editor.replace_key(("b", "z"), "zz", 3)

    def wrong(ctx: ChangeContext) -> None:
        ctx.editor.remove_key(("c",))
        ctx.editor._update((), lambda m: m.__setitem__("c", 99))  # data and text now disagree

    changes = (synthetic_change("fine", "0.17.0", fine), synthetic_change("wrong", "0.18.0", wrong))
    monkeypatch.setattr(engine, "all_changes", lambda: changes)
    monkeypatch.setattr(engine, "fit", _synthetic_fit)  # the tiny file is no chart's values
    report = engine.analyze(TEXT, target="0.18.0", prove_with_helm=False)
    assert [c.status for c in report.changes] == ["applied", "blocked"]
    assert report.status == "blocked" and report.migrated_yaml is None
    assert any(f.code == "edit-refused" and f.change_id == "wrong" for f in report.findings)


def test_a_key_added_after_an_explicit_key_at_the_end_of_the_file() -> None:
    # Found by fuzzing: the empty value of a last `? key` is marked past the last line.
    editor = Editor(Document("a: 1\n? b\n"))
    editor.add_key((), "c", 2)
    assert editor.finish().data == {"a": 1, "b": None, "c": 2}


def test_migrate_text_is_string_in_string_out() -> None:
    from migrator import migrate_text

    assert migrate_text("harmony:\n  replicaCount: 2\n", target="0.25.0") == (
        "harmony:\n  computePools:\n    - name: default\n      replicas: 2\n"
    )
    blocked = "harmony:\n  replicaCount: 2\n  computePools:\n    - name: x\n      replicas: 3\n"
    assert migrate_text(blocked, target="0.25.0") is None


def test_lines_in_the_edited_text_are_found_without_a_parse_where_untouched() -> None:
    editor = Editor(Document(TEXT))
    editor.replace_key(("a", "x"), "w", {"v": 1, "u": 2})  # two lines more above `b`
    result = editor.finish(positions=False)
    assert result.line_of(("b", "z")) == 7 and result.line_of(("c",)) == 8
    assert result._parsed is None  # found through the untouched lines
    assert result.line_of(("a", "w", "u")) == 4  # a new key: found by parsing
    assert result._parsed is not None
    assert [result.line_of(p) for p in (("b", "z"), ("c",))] == [7, 8]


FIXTURES = sorted((Path(__file__).parent / "fixtures" / "changes").glob("*/*/before.yaml"))
# Up-to-date files the report says nothing about: no finding, step or placeholder has a line.
NOTHING_WITH_A_LINE = {"internal-jwt-key/key-set", "internal-jwt-key/existing-secret-already-0-48"}


def _case(before: Path) -> str:
    return f"{before.parent.parent.name}/{before.parent.name}"


@pytest.mark.parametrize("before", FIXTURES, ids=_case)
def test_lines_of_findings_on_the_migrated_file_match_a_full_parse(before: Path) -> None:
    """Every line the report gives is the line a full parse finds: of the migrated file for the
    preview's, the validation's and the chart's findings, the fill steps and the placeholders
    (found without a parse where the text is untouched), of the file as given for a change's."""
    report = engine.analyze(before.read_bytes())
    checked = 0
    given = Document(before.read_bytes().decode("utf-8-sig"))
    for finding in report.findings:
        path = parse_path(finding.path) if finding.path not in ("", "release", "namespace") else ()
        if finding.change_id is not None and path and given.has(path):
            assert finding.line == given.line_of(path), finding
            checked += 1
    if report.migrated_yaml is not None:
        parsed = Document(report.migrated_yaml.lstrip("\ufeff"))
        for finding in report.findings:
            if finding.change_id is None and finding.line is not None:  # preview and validation findings
                assert finding.line == parsed.line_of(parse_path(finding.path)), finding
                checked += 1
        for step in report.next_steps:
            if step.kind == "fill" and step.line is not None:
                assert step.line == parsed.line_of(parse_path(step.path or "")), step
                checked += 1
        for placeholder in report.render.placeholders if report.render else []:
            if placeholder.line is not None:
                assert placeholder.line == parsed.line_of(parse_path(placeholder.path)), placeholder
                checked += 1
    if _case(before) in NOTHING_WITH_A_LINE:
        assert checked == 0 and not any(f.line for f in report.findings) and not report.next_steps[:-1]
    else:
        assert checked, "this case gives no line to check: list it in NOTHING_WITH_A_LINE, or give it one"
