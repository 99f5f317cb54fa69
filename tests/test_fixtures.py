"""Golden before/after fixtures, one directory per case, for every registered change.

Layout: tests/fixtures/changes/<change-id>/<case>/ holds
- before.yaml: the input, read as bytes (BOM, CRLF and a missing final newline included);
- after.yaml: the exact migrated text, written by hand; absent when the change is blocked,
  and optional when nothing changes (then the output must be the input, byte for byte);
- expected.json, what the user is shown:
    {"status": "up-to-date" | "migrated" | "needs-input" | "blocked" | "not-adaptive",
     "findings": [                                  # exactly these, in the report's order
         {"code": ..., "severity": ..., "path": ..., "line": ...},   # about a values path
         {"code": ..., "severity": ..., "object": "Kind/name"},      # about a rendered object
     ],
     "manual_steps": {change_id: [step, ...]},      # the changes that have any (absent: none)
     "render": "ok" | "needs-input" | "fails" | "not-run",   # Helm's render of the target
     "placeholders": [path, ...],                   # values the render needed a placeholder for
     "target": "0.25.0",                            # optional: the target chart version
     "options": {...},                              # optional: more keyword arguments of analyze()
     "release": "...", "namespace": "...",          # optional: for the preview and the renders
     "moved": [[from, to], ...],                    # optional: exactly these moves (any order)
     "dropped": [path, ...],                        # optional: exactly these dropped paths (any order)
     "disputed": [{"finding": i, "field": "line", "now": 1, "why": "..."}]}  # see below

The report sorts findings critical first and keeps their order within a severity; that
order is what the user reads, so it is compared as it is. A finding about a values path
has its line (of the file as the user gave it for a change's findings, of the migrated
file for the preview's, the validation's and the chart's); the ledger's findings
(`object-*`, `immutable-field`, `iam-binding-lost`) and others about a rendered object
have no values path and are told apart by their object instead.

Golden files are reviewed by reading them against before.yaml and after.yaml, never
regenerated to make a test pass. Where the reviewer finds today's behaviour wrong, the
finding in expected.json says what it should be, and a `disputed` entry records what the
engine reports now and why that is wrong: the test pins the current value (so a
refactoring cannot change it unnoticed) and warns; once the engine is fixed, the
entry fails the test until it is removed.

Adding a change means adding its module and a fixture directory; this runner needs no edit.
"""

from __future__ import annotations

import copy
import json
import warnings
from pathlib import Path
from typing import Any

import pytest

from migrator.changes.registry import all_changes
from migrator.engine import analyze
from migrator.report.model import Finding, Report

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "changes"
STATUSES = {"up-to-date", "migrated", "needs-input", "blocked", "not-adaptive"}
RENDERS = {"ok", "needs-input", "fails", "not-run"}
WRITTEN = {"up-to-date", "migrated", "needs-input"}  # statuses that hand back a migrated file
REQUIRED_KEYS = {"status", "findings", "render", "placeholders"}
KNOWN_KEYS = REQUIRED_KEYS | {
    "target",
    "options",
    "release",
    "namespace",
    "moved",
    "dropped",
    "manual_steps",
    "disputed",
}
LEDGER_CODES = {
    "object-deleted",
    "object-renamed",
    "object-kind-changed",
    "object-created",
    "object-changed",
    "immutable-field",
    "iam-binding-lost",
}
PATH_FIELDS = ("code", "severity", "path", "line")
OBJECT_FIELDS = ("code", "severity", "object")


class DisputedExpectation(UserWarning):
    """A golden value the reviewer refused to bless: the engine reports something else today."""


def _cases() -> list[Path]:
    if not FIXTURES.is_dir():
        return []
    return sorted(p.parent for p in FIXTURES.glob("*/*/before.yaml"))


def _case_id(case: Path) -> str:
    return f"{case.parent.name}/{case.name}"


def _expected(case: Path) -> dict[str, Any]:
    expected = json.loads((case / "expected.json").read_text(encoding="utf-8"))
    name = _case_id(case)
    unknown = set(expected) - KNOWN_KEYS
    assert not unknown, f"{name}: unknown keys in expected.json: {sorted(unknown)}"
    missing = REQUIRED_KEYS - set(expected)
    assert not missing, f"{name}: expected.json lacks {sorted(missing)}"
    assert expected["status"] in STATUSES, f"{name}: bad status {expected['status']!r}"
    assert expected["render"] in RENDERS, f"{name}: bad render {expected['render']!r}"
    for finding in expected["findings"]:
        assert isinstance(finding, dict), f"{name}: a finding is {{code, severity, path, line}}: {finding!r}"
        fields = OBJECT_FIELDS if "object" in finding else PATH_FIELDS
        assert tuple(finding) == fields, f"{name}: a finding has exactly the keys {fields}: {finding}"
        if finding["code"] in LEDGER_CODES:
            assert "object" in finding, f"{name}: a ledger finding is told by its object: {finding}"
    for steps in expected.get("manual_steps", {}).values():
        assert steps, f"{name}: manual_steps lists only the changes that have steps"
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


def shown_finding(f: Finding) -> dict[str, Any]:
    """A finding as expected.json states it: by its values path and line, or by its object."""
    if not f.path and f.object:
        return {"code": f.code, "severity": f.severity, "object": f.object}
    return {"code": f.code, "severity": f.severity, "path": f.path, "line": f.line}


def shown(report: Report) -> dict[str, Any]:
    """What expected.json compares, from a report."""
    return {
        "status": report.status,
        "findings": [shown_finding(f) for f in report.findings],
        "manual_steps": {c.id: list(c.manual_steps) for c in report.changes if c.manual_steps},
        "render": report.render.status if report.render else "not-run",
        "placeholders": [p.path for p in report.render.placeholders] if report.render else [],
    }


def _with_disputes(name: str, expected: dict[str, Any]) -> list[dict[str, Any]]:
    """The findings as the engine reports them today: the disputed values put back, each warned."""
    findings = copy.deepcopy(expected["findings"])
    for dispute in expected.get("disputed", []):
        index, field = dispute["finding"], dispute["field"]
        assert set(dispute) == {"finding", "field", "now", "why"}, f"{name}: bad dispute {dispute}"
        wanted = findings[index][field]
        assert wanted != dispute["now"], f"{name}: a dispute that agrees with the expectation: {dispute}"
        findings[index][field] = dispute["now"]
        warnings.warn(
            DisputedExpectation(
                f"{name}: finding {index} ({findings[index]['code']}) {field} is {dispute['now']!r}, "
                f"should be {wanted!r} (why: `disputed` in its expected.json)"
            ),
            stacklevel=2,
        )
    return findings


CASES = _cases()


@pytest.mark.parametrize("case", CASES, ids=[_case_id(c) for c in CASES])
def test_fixture(case: Path) -> None:
    name = _case_id(case)
    expected = _expected(case)
    options = _options(expected)
    before = (case / "before.yaml").read_bytes()
    after_path = case / "after.yaml"

    report = analyze(before, name=str(case / "before.yaml"), **options)
    got = shown(report)
    messages = [(f.code, f.path, f.message) for f in report.findings]

    assert got["status"] == expected["status"], messages
    wanted = _with_disputes(name, expected)
    assert got["findings"] == wanted, messages
    assert got["manual_steps"] == expected.get("manual_steps", {})
    assert got["render"] == expected["render"], report.render
    assert got["placeholders"] == expected["placeholders"]

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
        wanted_bytes = after_path.read_bytes()
    else:
        assert not any(c.status == "applied" for c in report.changes), "a migrated case needs an after.yaml"
        wanted_bytes = before
    assert produced == wanted_bytes, "\n" + report.migrated_yaml
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
