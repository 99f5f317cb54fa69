"""Know the chart's keys, through the whole pipeline: typos get `unknown-key` with the key most
likely meant, keys the chart stopped reading get `removed-key` with the last version that read
them, another chart's file is `not-adaptive`; no false alarm on any version's own defaults.

Cases: tests/fixtures/keys/<case>/before.yaml and expected.json:
{"target": ..., "findings": [{"code", "path", "line", "suggestion"?, "last_version"?, "mentions"?}]}
(lines are those of the migrated file, where the key stays)
— exactly the unknown-key and removed-key findings of the report.
"""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path

import pytest

from migrator.chart import packages
from migrator.engine import analyze

CASES = sorted((Path(__file__).parent / "fixtures" / "keys").glob("*/before.yaml"))
KEY_CODES = {"unknown-key", "removed-key"}


@pytest.mark.parametrize("before", CASES, ids=lambda p: p.parent.name)
def test_key_findings(before: Path) -> None:
    expected = json.loads((before.parent / "expected.json").read_text())
    report = analyze(before.read_bytes(), target=expected["target"])
    found = [f for f in report.findings if f.code in KEY_CODES]
    assert [(f.code, f.path, f.line) for f in found] == [
        (e["code"], e["path"], e["line"]) for e in expected["findings"]
    ], [(f.code, f.path, f.line, f.message) for f in found]
    for finding, wanted in zip(found, expected["findings"], strict=True):
        assert finding.severity == "warning"
        if "suggestion" in wanted:
            assert f"Did you mean `{wanted['suggestion']}`?" in finding.message
        else:
            assert "Did you mean" not in finding.message
        if "last_version" in wanted:
            assert f"the last version that read it is {wanted['last_version']}" in finding.message
        for mention in wanted.get("mentions", []):
            assert mention in finding.message
    # The key stays in the file: the user decides.
    assert report.migrated_yaml is not None
    for finding in found:
        assert finding.path.split(".")[0].split("[")[0] in report.migrated_yaml


def _own_defaults(version: str) -> bytes:
    with tarfile.open(fileobj=io.BytesIO(packages.shipped(version).data)) as archive:
        member = archive.extractfile("adaptive/values.yaml")
        assert member is not None
        return member.read()


@pytest.mark.parametrize("version", packages.shipped_versions())
def test_no_false_alarm_on_a_versions_own_defaults(version: str) -> None:
    report = analyze(_own_defaults(version), target=version, prove_with_helm=False)
    assert report.status != "not-adaptive"
    assert [(f.code, f.path) for f in report.findings if f.code in KEY_CODES] == []


def test_a_far_off_key_gets_no_suggestion() -> None:
    report = analyze(b"controlPlane:\n  qqqqqqqqqq: 1\n", prove_with_helm=False)
    (finding,) = [f for f in report.findings if f.code == "unknown-key"]
    assert finding.path == "controlPlane.qqqqqqqqqq" and "Did you mean" not in finding.message


def test_an_empty_or_comments_only_file_is_not_another_charts() -> None:
    for text in (b"# nothing here yet\n", b"{}\n"):
        report = analyze(text, prove_with_helm=False)
        assert report.status != "not-adaptive"
