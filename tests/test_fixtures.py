"""Golden before/after fixtures, one directory per case, for every registered change.

Layout: tests/fixtures/changes/<change-id>/<case>/ holds
- before.yaml: the input, read as bytes (BOM, CRLF and a missing final newline included);
- after.yaml: the exact migrated text, written by hand; absent when the change is blocked,
  and optional when nothing changes (then the output must be the input, byte for byte);
- expected.json: {"status": "up-to-date" | "migrated" | "needs-input" | "blocked" | "not-adaptive",
                  "findings": [codes],           # the SET of finding codes, exactly
                  "target": "0.25.0",            # optional: the target chart version
                  "options": {...},              # optional: more keyword arguments of analyze()
                  "release": "...",              # optional: the release name for the preview
                  "moved": [[from, to], ...],    # optional: exactly these moves (any order)
                  "dropped": [path, ...]}        # optional: exactly these dropped paths (any order)

Adding a change means adding its module and a fixture directory; this runner needs no edit.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from migrator.engine import analyze
from migrator.registry import all_changes

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "changes"
STATUSES = {"up-to-date", "migrated", "needs-input", "blocked", "not-adaptive"}
WRITTEN = {"up-to-date", "migrated", "needs-input"}  # statuses that hand back a migrated file
KNOWN_KEYS = {"status", "findings", "target", "options", "release", "namespace", "moved", "dropped"}


def _cases() -> list[Path]:
    if not FIXTURES.is_dir():
        return []
    return sorted(p.parent for p in FIXTURES.glob("*/*/before.yaml"))


def _case_id(case: Path) -> str:
    return f"{case.parent.name}/{case.name}"


def _expected(case: Path) -> dict[str, Any]:
    expected = json.loads((case / "expected.json").read_text(encoding="utf-8"))
    unknown = set(expected) - KNOWN_KEYS
    assert not unknown, f"{_case_id(case)}: unknown keys in expected.json: {sorted(unknown)}"
    assert expected["status"] in STATUSES, f"{_case_id(case)}: bad status {expected['status']!r}"
    return expected


def _options(expected: dict[str, Any]) -> dict[str, Any]:
    options = dict(expected.get("options", {}))
    for key in ("target", "release", "namespace"):
        if key in expected:
            options[key] = expected[key]
    return options


def _move_pairs(entries: list[Any]) -> set[tuple[str, str]]:
    pairs = set()
    for entry in entries:
        if isinstance(entry, dict):
            pairs.add((entry["from"], entry["to"]))
        else:
            source, target = entry
            pairs.add((source, target))
    return pairs


def _drop_paths(entries: list[Any]) -> set[str]:
    return {entry["path"] if isinstance(entry, dict) else entry for entry in entries}


CASES = _cases()


@pytest.mark.parametrize("case", CASES, ids=[_case_id(c) for c in CASES])
def test_fixture(case: Path) -> None:
    expected = _expected(case)
    options = _options(expected)
    before = (case / "before.yaml").read_bytes()
    after_path = case / "after.yaml"

    report = analyze(before, name=str(case / "before.yaml"), **options)

    codes = {f.code for f in report.findings}
    shown = [(f.code, f.path, f.message) for f in report.findings]
    assert report.status == expected["status"], shown
    assert codes == set(expected["findings"]), shown

    if expected["status"] not in WRITTEN:
        assert not after_path.exists(), f"a {expected['status']} case has no after.yaml"
        if expected["status"] == "blocked":
            assert report.migrated_yaml is None
        else:
            assert report.migrated_yaml == before.decode("utf-8-sig")  # not ours: left exactly as it is
        return

    assert report.migrated_yaml is not None
    produced = report.migrated_yaml.encode("utf-8")
    if after_path.exists():
        wanted = after_path.read_bytes()
    else:
        assert not any(c.status == "applied" for c in report.changes), "a migrated case needs an after.yaml"
        wanted = before
    assert produced == wanted, "\n" + report.migrated_yaml
    if expected["status"] == "up-to-date":
        assert produced == before

    if "moved" in expected:
        assert {(m.source, m.target) for m in report.moved} == _move_pairs(expected["moved"])
    if "dropped" in expected:
        assert {d.path for d in report.dropped} == _drop_paths(expected["dropped"])

    # Idempotent: the migrated file needs nothing more (values to fill in stay to fill in).
    again = analyze(produced, **options)
    assert again.status in ("up-to-date", "needs-input"), [(f.code, f.message) for f in again.findings]
    assert not any(c.status == "applied" for c in again.changes)
    assert again.migrated_yaml is not None
    assert again.migrated_yaml.encode("utf-8") == produced
    assert again.detected.pending == []  # pending counts only the changes up to the target


def test_every_change_has_fixtures() -> None:
    with_fixtures = {case.parent.name for case in CASES}
    missing = [c.id for c in all_changes() if c.id not in with_fixtures]
    assert not missing, f"registered changes without a fixture directory: {missing}"


def test_fixture_directories_are_complete() -> None:
    """Every case directory holds before.yaml and expected.json; nothing is silently skipped."""
    if not FIXTURES.is_dir():
        pytest.fail(f"{FIXTURES} is missing")
    ids = {c.id for c in all_changes()}
    for change_dir in sorted(p for p in FIXTURES.iterdir() if p.is_dir()):
        assert change_dir.name in ids, f"{change_dir.name}: no registered change has this id"
        for case in sorted(p for p in change_dir.iterdir() if p.is_dir()):
            assert (case / "before.yaml").is_file(), f"{_case_id(case)}: no before.yaml"
            assert (case / "expected.json").is_file(), f"{_case_id(case)}: no expected.json"
