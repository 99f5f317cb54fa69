"""Reading a values file: every bad input gets one precise InputError; the CLI keeps its contract.

The first half calls the library (`analyze`, which reads, decodes and parses);
the second half runs `python -m migrator` as a script would, in a subprocess,
and checks exit codes, output files, the JSON report's keys and masking, and
that no traceback ever reaches stderr.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from migrator import cli
from migrator.engine import analyze
from migrator.errors import InputError
from migrator.report.secrets import MASK
from migrator.source import MAX_BYTES
from migrator.yaml.parse import MAX_DEPTH

REPO = Path(__file__).resolve().parents[1]
TARGET = "0.25.0"

OLD_DB = b"secrets:\n  dbUrl: postgres://adaptive:s3cret@db:5432/adaptive\n"
OLD_DB_MIGRATED = (
    b"secrets:\n  db:\n    username: adaptive\n    password: s3cret\n"
    b"    host: db:5432\n    database: adaptive\n"
)


def _error(data: bytes | str) -> InputError:
    with pytest.raises(InputError) as info:
        analyze(data, target=TARGET)
    return info.value


# ---------------------------------------------------------------------------
# empty, non-mapping, several documents


@pytest.mark.parametrize("data", [b"", b"   \n\n", b"\r\n", "", b"\xef\xbb\xbf", b"USER-SUPPLIED VALUES:\n"])
def test_empty_input(data: bytes | str) -> None:
    err = _error(data)
    assert "empty" in err.message


def test_comments_only_is_an_empty_mapping_not_an_error() -> None:
    report = analyze(b"# nothing set here\n", target=TARGET)
    assert report.status == "up-to-date"
    assert report.migrated_yaml == "# nothing set here\n"


@pytest.mark.parametrize(
    ("data", "kind", "snippet"),
    [
        (b"- a\n- b\n", "a list", "- a"),
        (b"# header\nhello\n", "a single string", "hello"),
        (b"42\n", "a int", "42"),
    ],
)
def test_top_level_must_be_a_mapping(data: bytes, kind: str, snippet: str) -> None:
    err = _error(data)
    assert kind in err.message and "mapping" in err.message
    assert err.line == data.decode().splitlines().index(snippet) + 1
    assert err.column == 1
    assert err.snippet == snippet


def test_several_documents() -> None:
    err = _error(b"a: 1\n---\nb: 2\n")
    assert "more than one YAML document" in err.message
    assert (err.line, err.column, err.snippet) == (2, 1, "---")


def test_a_leading_document_start_is_one_document() -> None:
    assert analyze(b"---\ncontainerRegistry: registry.example.com\n", target=TARGET).status == "up-to-date"


# ---------------------------------------------------------------------------
# tabs, invalid YAML


def test_tab_in_indentation() -> None:
    err = _error(b"harmony:\n\treplicaCount: 2\n")
    assert "tab" in err.message
    assert (err.line, err.column) == (2, 1)
    assert err.snippet == "\treplicaCount: 2"


def test_tabs_inside_comments_and_values_are_fine() -> None:
    text = b'# a\tcomment\nharmony:  #\tinline\n  shmSize: 32Gi\t# after\n  note: "a\\tb"\n'
    report = analyze(text, target=TARGET)
    assert report.status == "up-to-date"
    assert report.migrated_yaml == text.decode()


@pytest.mark.parametrize(
    ("data", "line", "column", "snippet"),
    [
        (b"a: 1\n b: 2\n", 2, 3, " b: 2"),
        # A bracket or quote left open: the line where it opened, not where the reader gave up.
        (b"a: [1, 2\nb: 3\n", 1, 4, "a: [1, 2"),
        (b'a: 1\nb: "open\nc: 2\n', 2, 4, 'b: "open'),
        (b"a: 1\n- b\n", 2, 1, "- b"),
        (b"a: *nowhere\n", 1, 4, "a: *nowhere"),
    ],
)
def test_invalid_yaml_names_line_column_and_snippet(
    data: bytes, line: int, column: int, snippet: str | None
) -> None:
    err = _error(data)
    assert err.line == line
    assert err.column == column
    if snippet is not None:
        assert err.snippet == snippet
    assert str(err).startswith(f"line {line}, column {column}: ")


# ---------------------------------------------------------------------------
# encodings, BOM, CRLF


def test_non_utf8_bytes_name_the_bad_byte() -> None:
    err = _error(b"a: 1\nb: caf\xe9\n")
    assert "not UTF-8" in err.message and "0xE9" in err.message
    assert (err.line, err.column) == (2, 7)


def test_non_utf8_column_counts_characters_not_bytes() -> None:
    err = _error("a: 1\nname: é€".encode() + b"\xff rest\n")
    assert (err.line, err.column) == (2, 9)
    assert err.snippet is not None and err.snippet.startswith("name: é€")


def test_non_utf8_on_the_first_byte() -> None:
    err = _error(b"\x80a: 1\n")
    assert (err.line, err.column) == (1, 1)


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be", "utf-32"])
def test_utf16_and_utf32_with_bom_are_refused_clearly(encoding: str) -> None:
    data = "a: 1\n".encode(encoding)
    if encoding in ("utf-16-le", "utf-16-be"):
        data = "\ufeff".encode(encoding) + data
    err = _error(data)
    assert "UTF-16" in err.message or "UTF-32" in err.message
    assert "UTF-8" in err.message
    assert (err.line, err.column) == (1, 1)


def test_utf8_bom_is_kept_on_output() -> None:
    report = analyze(b"\xef\xbb\xbf" + OLD_DB, target=TARGET)
    assert report.status == "migrated"
    assert report.migrated_yaml is not None
    assert report.migrated_yaml.encode() == b"\xef\xbb\xbf" + OLD_DB_MIGRATED
    assert any("byte-order mark" in note for note in report.notes)


def test_utf8_bom_kept_when_nothing_changes() -> None:
    data = b"\xef\xbb\xbfa: 1\n"
    assert analyze(data, target=TARGET).migrated_yaml.encode() == data


def test_crlf_is_kept() -> None:
    report = analyze(OLD_DB.replace(b"\n", b"\r\n"), target=TARGET)
    assert report.migrated_yaml is not None
    assert report.migrated_yaml.encode() == OLD_DB_MIGRATED.replace(b"\n", b"\r\n")


def test_error_lines_are_right_with_crlf() -> None:
    err = _error(b"a: 1\r\nb: 2\r\na: 3\r\n")
    assert err.line == 3 and err.snippet == "a: 3"


# ---------------------------------------------------------------------------
# duplicate keys, tags


def test_duplicate_keys_name_both_lines() -> None:
    err = _error(b"harmony:\n  replicaCount: 1\n  gpusPerReplica: 8\n  replicaCount: 2\n")
    assert "duplicate key" in err.message
    assert err.line == 4 and err.column == 3
    assert "line 2" in err.message
    assert err.key == "harmony.replicaCount"
    assert err.snippet == "  replicaCount: 2"


def test_duplicate_keys_after_quoting_are_duplicates() -> None:
    err = _error(b'a: 1\n"a": 2\n')
    assert err.line == 2 and "line 1" in err.message


@pytest.mark.parametrize(
    "template",
    [
        "a: !!python/object/apply:os.system ['touch {marker}']\n",
        "a: !!python/object/new:os.system ['touch {marker}']\n",
        "a: !!python/object/apply:subprocess.check_call [['touch', '{marker}']]\n",
        "a: !!python/name:os.system\nb: '{marker}'\n",
        "a: !custom touch {marker}\n",
        "a: !custom\n  b: '{marker}'\n",
        "a: !!set\n  ? '{marker}'\n",
        "a:\n  - !Ref '{marker}'\n",
    ],
)
def test_unknown_tags_are_refused_and_never_executed(
    template: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    marker = tmp_path / "executed"

    def tripwire(*args: object, **kwargs: object) -> None:
        raise AssertionError("a tag was executed")

    monkeypatch.setattr(os, "system", tripwire)
    monkeypatch.setattr(subprocess, "check_call", tripwire)
    err = _error(template.format(marker=marker).encode())
    assert "tag" in err.message and "never run" in err.message
    assert err.line is not None and err.column is not None
    assert err.key is not None and err.key.startswith("a")
    assert not marker.exists()


def test_standard_tags_are_plain_data() -> None:
    text = b"harmony:\n  a: !!str 1\n  b: !!int '2'\n  c: !!float 3\n  d: !!bool 'true'\n  e: !!null ''\n"
    report = analyze(text, target=TARGET, prove_with_helm=False)
    assert report.status == "up-to-date"


@pytest.mark.parametrize(
    ("data", "line", "column", "code"),
    [
        ("a: 1\nb: é\x00\n", 2, 5, "U+0000"),
        ("a: \x01\n", 1, 4, "U+0001"),
        ("x:\r\n  a: \x7f\n", 2, 6, "U+007F"),
    ],
)
def test_control_characters_are_input_errors(data: str, line: int, column: int, code: str) -> None:
    for form in (data, data.encode()):
        err = _error(form)
        assert (err.line, err.column) == (line, column)
        assert code in err.message


def test_lone_surrogate_in_text_is_an_input_error() -> None:
    err = _error("a: 1\nb: \ud800\n")
    assert (err.line, err.column) == (2, 4)


def test_a_standard_tag_on_a_wrong_value() -> None:
    err = _error(b"a: !!int twelve\n")
    assert (err.line, err.column, err.key) == (1, 4, "a")


# ---------------------------------------------------------------------------
# size, depth, aliases


def test_more_than_5_mb_is_refused() -> None:
    data = b"a: " + b"x" * MAX_BYTES + b"\n"
    err = _error(data)
    assert "5 MB" in err.message
    err = _error(data.decode())
    assert "5 MB" in err.message


def test_just_under_5_mb_is_read() -> None:
    padding = MAX_BYTES - 100
    report = analyze(b"containerRegistry: " + b"x" * padding + b"\n", target=TARGET)
    assert report.status == "up-to-date"


def test_nesting_bound_flow() -> None:
    ok = "containerRegistry: " + "[" * (MAX_DEPTH - 1) + "]" * (MAX_DEPTH - 1) + "\n"
    assert analyze(ok, target=TARGET, prove_with_helm=False).status == "up-to-date"
    err = _error("a: " + "[" * MAX_DEPTH + "]" * MAX_DEPTH + "\n")
    assert f"deeper than {MAX_DEPTH}" in err.message
    assert err.line == 1 and err.column == 3 + MAX_DEPTH


def test_nesting_bound_block() -> None:
    depth = MAX_DEPTH + 1
    text = "".join("  " * i + f"k{i}:\n" for i in range(depth)) + "  " * depth + "v: 1\n"
    err = _error(text)
    assert f"deeper than {MAX_DEPTH}" in err.message
    assert err.line == MAX_DEPTH + 1
    assert err.snippet is not None and len(err.snippet) <= 170


def test_billion_laughs_is_refused() -> None:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, 10):
        name, previous = chr(97 + i), chr(96 + i)
        lines.append(f"{name}: &{name} [" + ",".join([f"*{previous}"] * 9) + "]")
    err = _error("\n".join(lines) + "\n")
    assert "alias" in err.message
    assert err.line is not None


def test_alias_to_itself_is_refused() -> None:
    with pytest.raises(InputError):
        analyze(b"a: &a\n  b: *a\n", target=TARGET)


def test_a_few_aliases_are_fine() -> None:
    text = b"base: &base\n  cpu: 1\nharmony:\n  resources:\n    limits: *base\n    requests:\n"
    text += b"      <<: *base\n"
    report = analyze(text, target=TARGET)
    assert report.status == "up-to-date"
    assert report.migrated_yaml == text.decode()


# ---------------------------------------------------------------------------
# `helm get values` output


@pytest.mark.parametrize("header", ["USER-SUPPLIED VALUES:", "COMPUTED VALUES:"])
@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_helm_get_values_header_is_stripped_with_a_note(header: str, newline: str) -> None:
    body = OLD_DB.decode().replace("\n", newline)
    report = analyze(header + newline + body, target=TARGET)
    assert report.status == "migrated"
    assert any(header in note for note in report.notes)
    assert report.migrated_yaml == OLD_DB_MIGRATED.decode().replace("\n", newline)
    # The original is shown as given (the diff shows the header going); lines are the input's own.
    assert report.original_yaml.startswith(header + newline)
    assert [(e.path, e.line) for e in report.detected.evidence if e.line is not None] == [
        ("secrets.dbUrl", 3)
    ]


def test_a_key_named_like_the_header_is_not_stripped() -> None:
    report = analyze(b"USER-SUPPLIED VALUES: 1\n", target=TARGET)
    assert report.notes == []
    assert report.migrated_yaml == "USER-SUPPLIED VALUES: 1\n"


def test_input_error_renders_without_a_traceback() -> None:
    err = InputError("bad", line=3, column=4, key="a.b", snippet="  b: x")
    assert str(err) == "line 3, column 4: bad (key `a.b`)"
    assert err.to_dict() == {"message": "bad", "line": 3, "column": 4, "key": "a.b", "snippet": "  b: x"}


# ---------------------------------------------------------------------------
# the CLI contract

REPORT_KEYS = {
    "source",
    "detected",
    "target",
    "status",
    "changes",
    "findings",
    "moved",
    "dropped",
    "pools",
    "migrated_yaml",
}
POOL_KEYS = {
    "name",
    "pool_key",
    "statefulset",
    "headless_service",
    "pods",
    "group",
    "partition_key",
    "capabilities",
    "replicas",
    "gpus_per_replica",
}


def run_cli(*args: str | Path, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    result = subprocess.run(
        [sys.executable, "-m", "migrator", *map(str, args)],
        cwd=REPO,
        input=stdin,
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert b"Traceback" not in result.stderr, result.stderr.decode(errors="replace")
    return result


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    contents = {
        "current": b"secrets:\n  db:\n    username: adaptive\n    password: s3cret\n"
        b"    host: db:5432\n    database: adaptive\n",
        "old": OLD_DB,
        "old-crlf-bom": b"\xef\xbb\xbf" + OLD_DB.replace(b"\n", b"\r\n"),
        "blocked": b"harmony:\n  group: gpu\n  computePools:\n    - name: other\n",
        "unreadable": b"a: 1\na: 2\n",
        "pools": b"harmony:\n  group: gpu\n  replicaCount: 2\n",
    }
    paths = {}
    for name, data in contents.items():
        path = tmp_path / f"{name}.yaml"
        path.write_bytes(data)
        paths[name] = path
    return paths


@pytest.mark.parametrize(
    ("command", "name", "code"),
    [
        ("check", "current", 0),
        ("check", "old", 1),
        ("check", "unreadable", 2),
        ("check", "blocked", 3),
        ("migrate", "current", 0),
        ("migrate", "old", 0),
        ("migrate", "unreadable", 2),
        ("migrate", "blocked", 3),
        ("preview", "pools", 0),
        ("preview", "unreadable", 2),
    ],
)
def test_exit_codes(files: dict[str, Path], command: str, name: str, code: int) -> None:
    result = run_cli(command, files[name], "--to", TARGET)
    assert result.returncode == code, result.stderr.decode()


def test_check_several_files_the_worst_outcome_decides(files: dict[str, Path]) -> None:
    assert run_cli("check", files["current"], files["old"], "--to", TARGET).returncode == 1
    assert run_cli("check", files["old"], files["blocked"], files["current"], "--to", TARGET).returncode == 3
    assert run_cli("check", files["blocked"], files["unreadable"], "--to", TARGET).returncode == 2


def test_unreadable_inputs_exit_2_with_a_message(files: dict[str, Path], tmp_path: Path) -> None:
    missing = run_cli("check", tmp_path / "missing.yaml")
    assert missing.returncode == 2 and b"missing.yaml" in missing.stderr
    directory = run_cli("check", tmp_path)
    assert directory.returncode == 2
    bad = run_cli("check", files["unreadable"])
    assert b"line 2, column 1" in bad.stderr and b"duplicate key" in bad.stderr
    assert run_cli("migrate", files["old"], "--to", "banana").returncode == 2


def test_changes_catalogue() -> None:
    plain = run_cli("changes")
    assert plain.returncode == 0 and b"db-config-split" in plain.stdout
    catalogue = json.loads(run_cli("changes", "--json").stdout)
    ids = [c["id"] for c in catalogue]
    assert ids[:2] == ["db-config-split", "harmony-compute-pools"]
    for change in catalogue:
        assert {"id", "version", "title", "explanation", "manual_steps"} <= change.keys()


def test_migrate_to_stdout_is_byte_exact(files: dict[str, Path]) -> None:
    result = run_cli("migrate", files["old-crlf-bom"], "--to", TARGET)
    assert result.returncode == 0
    assert result.stdout == b"\xef\xbb\xbf" + OLD_DB_MIGRATED.replace(b"\n", b"\r\n")


def test_migrate_reads_stdin(files: dict[str, Path]) -> None:
    result = run_cli("migrate", "-", "--to", TARGET, stdin=OLD_DB)
    assert (result.returncode, result.stdout) == (0, OLD_DB_MIGRATED)


def test_migrate_output_file(files: dict[str, Path], tmp_path: Path) -> None:
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    out = out_dir / "values.yaml"
    result = run_cli("migrate", files["old"], "-o", out, "--to", TARGET)
    assert result.returncode == 0
    assert out.read_bytes() == OLD_DB_MIGRATED
    assert result.stdout == b""
    assert sorted(p.name for p in out_dir.iterdir()) == ["values.yaml"]  # no temporary left behind


def test_migrate_blocked_writes_nothing(files: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "new.yaml"
    result = run_cli("migrate", files["blocked"], "-o", out, "--to", TARGET)
    assert result.returncode == 3
    assert not out.exists()
    assert b"no file written" in result.stderr
    existing = tmp_path / "existing.yaml"
    existing.write_bytes(b"keep: me\n")
    assert run_cli("migrate", files["blocked"], "-o", existing, "--to", TARGET).returncode == 3
    assert existing.read_bytes() == b"keep: me\n"
    before = sorted(p.name for p in tmp_path.iterdir())
    assert run_cli("migrate", files["unreadable"], "-o", tmp_path / "x.yaml").returncode == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_migrate_output_that_cannot_be_written(files: dict[str, Path], tmp_path: Path) -> None:
    result = run_cli("migrate", files["old"], "-o", tmp_path / "no" / "such" / "dir.yaml")
    assert result.returncode == 2
    assert b"cannot write" in result.stderr
    result = run_cli("migrate", files["old"], "-o", tmp_path)  # a directory
    assert result.returncode == 2
    assert not any(p.name.startswith(".") for p in tmp_path.parent.iterdir() if p.name.endswith(".tmp"))


def test_a_failed_write_never_leaves_a_partial_file(
    files: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    out = tmp_path / "values.yaml"
    out.write_bytes(b"previous: content\n")

    def crash(*args: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", crash)
    code = cli.main(["migrate", str(files["old"]), "-o", str(out), "--to", TARGET])
    assert code == 2
    assert out.read_bytes() == b"previous: content\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [*(p.name for p in files.values()), "values.yaml"]
    )
    assert "Traceback" not in capsys.readouterr().err


def _check_report_shape(report: dict) -> None:
    assert report.keys() >= REPORT_KEYS
    assert {"label", "pending", "evidence"} <= report["detected"].keys()
    assert isinstance(report["detected"]["pending"], list)
    assert report["status"] in ("up-to-date", "migrated", "blocked")
    for change in report["changes"]:
        assert {"id", "version", "title", "status", "manual_steps"} <= change.keys()
        assert change["status"] in ("applied", "manual", "not-needed", "blocked")
    for finding in report["findings"]:
        assert {"code", "severity", "path", "message"} <= finding.keys()
        assert finding["severity"] in ("critical", "warning", "info")
    for move in report["moved"]:
        assert set(move) >= {"from", "to"}
    for drop in report["dropped"]:
        assert set(drop) >= {"path", "reason"}
    for pool in report["pools"]:
        assert pool.keys() >= POOL_KEYS


def test_json_report_keys(files: dict[str, Path]) -> None:
    report = json.loads(run_cli("migrate", files["pools"], "--json", "--to", TARGET).stdout)
    _check_report_shape(report)
    assert report["status"] == "migrated"
    # Detection lists every pending change of the catalogue; the first is the one migrated here.
    assert report["detected"]["pending"][0] == "harmony-compute-pools"
    assert [c["id"] for c in report["changes"] if c["status"] == "applied"] == ["harmony-compute-pools"]
    assert report["target"] == TARGET
    assert {"from": "harmony.group", "to": "harmony.computePools[0].name"} in report["moved"]
    assert [p["name"] for p in report["pools"]] == ["gpu"]
    pool = report["pools"][0]
    assert pool["statefulset"] == "adaptive-harmony-gpu"
    assert pool["headless_service"] == "adaptive-harmony-gpu-hdls"
    assert pool["pods"] == ["adaptive-harmony-gpu-0", "adaptive-harmony-gpu-1"]
    assert (pool["group"], pool["partition_key"], pool["replicas"]) == ("gpu", "gpu", 2)
    assert "computePools:" in report["migrated_yaml"]


def test_json_report_when_blocked(files: dict[str, Path]) -> None:
    result = run_cli("migrate", files["blocked"], "--json", "--to", TARGET)
    assert result.returncode == 3
    report = json.loads(result.stdout)
    _check_report_shape(report)
    assert report["status"] == "blocked"
    assert report["migrated_yaml"] is None
    assert "conflict" in [f["code"] for f in report["findings"]]


def test_check_json_of_several_files_is_a_list(files: dict[str, Path]) -> None:
    reports = json.loads(run_cli("check", files["current"], files["old"], "--json", "--to", TARGET).stdout)
    assert [r["status"] for r in reports] == ["up-to-date", "migrated"]
    for report in reports:
        _check_report_shape(report)


def test_json_error_for_unreadable_input(files: dict[str, Path]) -> None:
    result = run_cli("check", files["unreadable"], "--json")
    assert result.returncode == 2
    error = json.loads(result.stdout)["error"]  # one JSON document, nothing after it
    assert (error["line"], error["column"], error["snippet"]) == (2, 1, "a: 2")
    result = run_cli("check", files["current"], files["unreadable"], "--json", "--to", TARGET)
    both = json.loads(result.stdout)
    assert both[0]["status"] == "up-to-date"
    assert both[1]["source"].endswith("unreadable.yaml") and both[1]["error"]["line"] == 2


def test_secrets_are_masked_in_json_unless_asked(files: dict[str, Path]) -> None:
    for command in ("check", "migrate"):
        masked = run_cli(command, files["old"], "--json", "--to", TARGET)
        assert b"s3cret" not in masked.stdout
        report = json.loads(masked.stdout)
        assert MASK in report["migrated_yaml"]
        shown = run_cli(command, files["old"], "--json", "--show-secrets", "--to", TARGET)
        assert "password: s3cret" in json.loads(shown.stdout)["migrated_yaml"]
    # The migrated file itself is the user's own file: never masked.
    assert b"s3cret" in run_cli("migrate", files["old"], "--to", TARGET).stdout


@pytest.mark.parametrize(
    "args",
    [
        ["bogus"],
        ["check"],
        ["migrate", "a", "b"],
        ["check", "--to"],
        ["preview", "/dev/null"],
        ["check", "/"],
    ],
)
def test_no_traceback_on_bad_arguments(args: list[str]) -> None:
    result = run_cli(*args)
    assert result.returncode == 2


def test_no_traceback_on_hostile_inputs(tmp_path: Path) -> None:
    hostile = {
        "tag": b"a: !!python/object/apply:os.system ['true']\n",
        "bomb": b"a: &a [1,1,1,1,1,1,1,1,1,1]\n"
        + b"".join(
            f"{chr(98 + i)}: &{chr(98 + i)} [{','.join([f'*{chr(97 + i)}'] * 10)}]\n".encode()
            for i in range(7)
        ),
        "deep": b"a: " + b"[" * 500 + b"]" * 500 + b"\n",
        "binary": bytes(range(256)),
        "nul": b"a: \x00\n",
        "utf16": "a: 1\n".encode("utf-16"),
    }
    paths = []
    for name, data in hostile.items():
        path = tmp_path / f"{name}.yaml"
        path.write_bytes(data)
        paths.append(path)
    result = run_cli("check", *paths)
    assert result.returncode == 2
    assert result.stderr.count(b": error: ") == len(paths)


@pytest.mark.parametrize(
    ("text", "value"),
    [("0_", 0), ("-0_", 0), ("0x_", "0x_"), ("0b_", "0b_"), ("0o_", "0o_"), ("0_7", 7), (".0_", ".0_")],
)
def test_odd_plain_numbers_are_read_like_helm_reads_them(text: str, value: object) -> None:
    report = analyze(f"harmony:\n  note: {text}\n".encode(), target=TARGET)
    assert report.status == "up-to-date"
    from migrator.yaml.parse import parse

    assert parse(report.migrated_yaml).data == {"harmony": {"note": value}}


def test_an_error_on_a_secret_line_does_not_show_the_secret() -> None:
    with pytest.raises(InputError) as caught:
        analyze(b"secrets:\n  password: hunter2 # note\n  dbUrl: postgres://u:pw9@h/d\n   bad: [\n")
    shown = f"{caught.value} {caught.value.snippet}"
    assert "hunter2" not in shown and "pw9" not in shown
    with pytest.raises(InputError) as caught:
        analyze(b"secrets:\n  password: 'hunter2\n")
    assert "hunter2" not in f"{caught.value} {caught.value.snippet}"


def test_findings_on_keys_with_dots_and_brackets_get_their_lines() -> None:
    # Found by fuzzing: a key holding `[` broke the mapping of a finding's path to its line.
    text = b'harmony:\n  nodeSelector:\n    "pool[gpu]": 1\n    ok.example.com/x: 2\n'
    report = analyze(text, target=TARGET)
    lines = {f.path: f.line for f in report.findings if f.code == "invalid-value"}
    assert lines == {'harmony.nodeSelector["pool[gpu]"]': 3, 'harmony.nodeSelector["ok.example.com/x"]': 4}
