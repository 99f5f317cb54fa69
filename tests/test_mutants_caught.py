"""Behaviours a mutation run (tools/mutation.py, `make mutation`) found no other test would notice
when broken, each pinned here: the masking of secrets, the escaping of the diff, the command
line's exit codes, and the web app's escaping, session memo and summaries.

The tests are small and fast on purpose (most without Helm's renders): every mutant of
tools/mutation.py runs some of them.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace

import pytest

from migrator import cli
from migrator.engine import analyze
from migrator.errors import InputError
from migrator.report.model import Detection, Finding, NextStep, Report
from webui import analysis, files, text, triage, verdict

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "changes"


# ---------------------------------------------------------------------------
# the error snippet: the offending line, masked


@pytest.mark.parametrize(
    ("content", "line", "snippet"),
    [
        # a duplicate key: the line parses on its own, and is masked by its key
        ("secrets:\n  password: pl-dup-pw-1\n  password: pl-dup-pw-2\n", 3, "  password: ••••••••"),
        # a tab: the line does not parse on its own either, and is masked line by line
        ("secrets:\n\tpassword: pl-tab-pw-3\n", 2, "\tpassword: ••••••••"),
    ],
)
def test_an_error_snippet_shows_its_line_with_its_secret_masked(
    content: str, line: int, snippet: str
) -> None:
    with pytest.raises(InputError) as info:
        analyze(content)
    assert (info.value.line, info.value.snippet) == (line, snippet)
    assert "pl-" not in json.dumps(info.value.to_dict())


# ---------------------------------------------------------------------------
# the command line's exit codes


def _exit(tmp_path: Path, command: str, content: bytes, *args: str) -> int:
    path = tmp_path / "values.yaml"
    path.write_bytes(content)
    return cli.main([command, str(path), *args])


def test_needs_input_exits_4_for_check_and_migrate(tmp_path: Path, capsys) -> None:
    # The URL has no password: the migrated file has it empty, to fill in.
    content = (FIXTURES / "db-config-split" / "password-missing" / "before.yaml").read_bytes()
    assert _exit(tmp_path, "check", content, "--to", "0.25.0") == cli.EXIT_NEEDS_INPUT == 4
    out = tmp_path / "out.yaml"
    assert _exit(tmp_path, "migrate", content, "--to", "0.25.0", "-o", str(out)) == 4
    assert out.read_text() == (FIXTURES / "db-config-split" / "password-missing" / "after.yaml").read_text()
    capsys.readouterr()


def test_another_charts_file_exits_2_and_is_not_written(tmp_path: Path, capsys) -> None:
    other = b"postgresql:\n  auth:\n    postgresPassword: x\nredis:\n  architecture: standalone\n"
    assert _exit(tmp_path, "check", other, "--json") == cli.EXIT_UNREADABLE == 2
    assert json.loads(capsys.readouterr().out)["status"] == "not-adaptive"
    out = tmp_path / "out.yaml"
    assert _exit(tmp_path, "migrate", other, "-o", str(out)) == 2
    assert not out.exists()
    capsys.readouterr()


# ---------------------------------------------------------------------------
# the web app: escaping


def test_code_text_cannot_end_a_code_span() -> None:
    assert text.code_text("a`b\nc") == "a'b c"


def test_md_rich_with_an_odd_backtick_makes_no_code_span() -> None:
    assert text.md_rich("a `b` c ` [x](y)") == text.md("a `b` c ` [x](y)")
    assert text.md_rich("use `[x](y)` here") == "use `[x](y)` here"


def test_md_escapes_links_and_line_breaks() -> None:
    out = text.md("[x](javascript:alert(1))\n# heading")
    assert "\n" not in out and "[x]" not in out and "](" not in out
    assert out.startswith("\\[x\\]\\(javascript\\:alert\\(1\\)\\) \\# heading")


def test_table_cells_are_escaped(monkeypatch) -> None:
    shown: list = []
    monkeypatch.setattr(text.st, "table", lambda rows, **_: shown.append(rows))
    text.table([{"Key": "<img src=x onerror=alert(1)>", "Line": None}])
    assert shown == [[{"Key": "\\<img src\\=x onerror\\=alert\\(1\\)\\>", "Line": ""}]]


def test_finding_messages_are_markdown_only_inside_code_spans() -> None:
    finding = Finding(
        "x", "warning", ("a", "b"), "Pool `<b>x</b>` says <img src=x onerror=alert(1)> [x](y)", 3
    )
    out = verdict.findings_markdown([finding])
    assert "`<b>x</b>`" in out  # a code span: shown literally by Markdown
    assert "<img" not in out.replace("\\<", "") and "\\[x\\]\\(y\\)" in out
    assert "(line 3)" in out.replace("\\", "")


def test_download_names_are_safe() -> None:
    assert files.safe_stem('a"b;\r\nContent-Type: x.yaml') == "a_b_Content-Type_x"


# ---------------------------------------------------------------------------
# the web app: each session's memo


@pytest.fixture
def session(monkeypatch) -> dict:
    state: dict = {}
    monkeypatch.setattr(analysis, "st", SimpleNamespace(session_state=state))
    return state


def test_memo_keeps_failures_that_would_fail_again_only(session: dict) -> None:
    calls: list[str] = []

    def busy() -> analysis.Failure:
        calls.append("busy")
        return analysis.Failure("the server is busy", kind="busy")

    analysis.session_memo("_s", "k", busy)
    analysis.session_memo("_s", "k", busy)
    assert calls == ["busy", "busy"]  # a busy server is asked again on the next rerun
    bad = analysis.Failure("line 3: duplicate key", kind="input")
    assert analysis.session_memo("_s", "bad", lambda: bad) is bad
    assert analysis.session_memo("_s", "bad", lambda: pytest.fail("computed twice")) is bad


def test_memo_is_least_recently_used(session: dict) -> None:
    for key in ("a", "b"):
        analysis.session_memo("_s", key, lambda key=key: key, entries=2)
    analysis.session_memo("_s", "a", lambda: pytest.fail("a is kept"), entries=2)  # a is used again
    analysis.session_memo("_s", "c", lambda: "c", entries=2)
    assert list(session["_s"]) == ["a", "c"]  # b, the least recently used, went


def test_memo_over_its_bytes_keeps_the_newest_entry(session: dict, monkeypatch) -> None:
    monkeypatch.setattr(analysis, "SESSION_CACHE_BYTES", 100)
    session["_other"] = OrderedDict(old=("x" * 60, 60))
    analysis.session_memo("_s", "big", lambda: "y" * 150)
    assert "big" in session["_s"] and not session["_other"]  # the other store gave way first
    analysis.session_memo("_s", "bigger", lambda: "z" * 160)
    assert list(session["_s"]) == ["bigger"]


def test_memo_keys_tell_the_options_and_the_release_apart() -> None:
    base = {"name": "v.yaml", "target": "0.48.2", "release": "adaptive", "namespace": "default"}
    assert analysis.input_key(b"x", **base) == analysis.input_key(b"x", **dict(base))
    for key, other in (("target", "0.25.0"), ("release", "prod"), ("namespace", "team")):
        assert analysis.input_key(b"x", **base) != analysis.input_key(b"x", **{**base, key: other})
    report = _report()
    for field, other in (("release", "prod"), ("namespace", "team"), ("target", "0.25.0")):
        assert analysis.report_key(report) != analysis.report_key(replace(report, **{field: other}))


# ---------------------------------------------------------------------------
# the web app: summaries


def _report(**kwargs) -> Report:
    detection = Detection(label="x", pending=[], evidence=[])
    return Report(source="x", detected=detection, target="0.48.2", status="migrated", **kwargs)


def test_triage_names_the_most_severe_finding_not_the_last() -> None:
    report = _report(
        findings=[
            Finding("a", "info", ("x",), "just so you know"),
            Finding("b", "critical", ("y",), "this breaks the install"),
            Finding("c", "warning", ("z",), "worth a look"),
        ]
    )
    assert triage.most_severe(report) == "critical: this breaks the install"


def test_the_changed_files_zip_holds_only_files_the_migration_changed() -> None:
    same = "secrets:\n  cookiesSecret: ''\n"  # needs input, yet nothing was rewritten
    unchanged = _report(original_yaml=same, migrated_yaml=same)
    unchanged.status = "needs-input"
    changed = _report(original_yaml="a: 1\n", migrated_yaml="b: 1\n")
    entries = [
        triage.Entry(files.InputFile(name, b""), "adaptive", "default", report)
        for name, report in (("same.yaml", unchanged), ("changed.yaml", changed))
    ]
    assert [e.changed for e in entries] == [False, True]
    assert [name for name, _ in triage.changed_files(entries, redacted=False)] == ["changed.migrated.yaml"]


def test_the_json_report_says_whether_secrets_are_masked() -> None:
    report = _report(original_yaml="a: 1\n", migrated_yaml="a: 1\n")
    assert report.to_dict()["secrets_masked"] is True
    assert report.to_dict(reveal_secrets=True)["secrets_masked"] is False


def test_a_fill_step_says_its_line_of_the_migrated_file() -> None:
    step = NextStep("fill", "Fill in `secrets.db.password`.", "secrets.db.password", 4)
    assert "line 4 of the migrated file" in verdict.step_markdown(1, step)
    unplaced = NextStep("fill", "Fill in `x`.", "x", None)
    assert "add it to the migrated file" in verdict.step_markdown(1, unplaced)
