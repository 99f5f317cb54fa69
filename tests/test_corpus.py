"""Real values files from ../shared/corpus (read in place, never copied into the repository).

- Every other chart's file is not-adaptive and comes back byte for byte, with nothing rendered.
- Every file that needs no migration comes back byte for byte.
- The chart's own defaults of 0.17.0, 0.18.0 and 0.23.0 migrate to 0.25.0 touching only the
  lines of the changed keys; every full-line comment survives; the data changes exactly as the
  two changes say and in no other way.
"""

from __future__ import annotations

import copy
import difflib
import re
from pathlib import Path
from typing import Any

import pytest

from migrator.engine import analyze
from migrator.yaml.parse import parse

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"
TARGET = "0.25.0"
OLD_LAYOUT = {"adaptive--values-0.17.0.yaml", "adaptive--values-0.18.0.yaml", "adaptive--values-0.23.0.yaml"}

FILES = sorted(CORPUS.glob("*.yaml")) if CORPUS.is_dir() else []

pytestmark = pytest.mark.skipif(not FILES, reason=f"corpus not available at {CORPUS}")


def _id(path: Path) -> str:
    return path.name


OTHER_CHARTS = [p for p in FILES if not p.name.startswith("adaptive--")]
ADAPTIVE = [p for p in FILES if p.name.startswith("adaptive--")]


@pytest.mark.parametrize("path", OTHER_CHARTS, ids=_id)
def test_other_charts_files_are_not_adaptive_and_left_alone(path: Path) -> None:
    data = path.read_bytes()
    report = analyze(data, name=path.name)
    assert report.status == "not-adaptive", report.fit
    assert report.fit is not None and not report.fit.adaptive
    assert "not values for the adaptive chart" in report.fit.evidence
    assert report.migrated_yaml is not None and report.migrated_yaml.encode("utf-8") == data
    assert not report.changed and report.changes == [] and report.render is None
    assert [f.code for f in report.findings] == ["not-adaptive"]


@pytest.mark.parametrize("path", ADAPTIVE, ids=_id)
def test_every_adaptive_file_is_recognised(path: Path) -> None:
    report = analyze(path.read_bytes(), name=path.name)
    assert report.status != "not-adaptive" and report.fit is not None and report.fit.adaptive


def test_a_file_that_needs_nothing_comes_back_byte_identical() -> None:
    path = CORPUS / "adaptive--values-0.24.0.yaml"
    data = path.read_bytes()
    report = analyze(data, name=path.name, target=TARGET)
    assert report.status == "up-to-date", [(f.code, f.message) for f in report.findings]
    assert report.detected.pending == []
    assert report.migrated_yaml is not None
    assert report.migrated_yaml.encode("utf-8") == data
    assert not report.changed


@pytest.mark.parametrize("path", FILES, ids=_id)
def test_nothing_to_do_at_the_newest_target_means_byte_identical(path: Path) -> None:
    data = path.read_bytes()
    report = analyze(data, name=path.name)
    applied = any(c.status == "applied" for c in report.changes)
    if report.migrated_yaml is not None and not applied:
        assert report.migrated_yaml.encode("utf-8") == data
    elif applied:
        # Whatever the newer changes do, they keep the file parseable and idempotent.
        again = analyze(report.migrated_yaml.encode("utf-8"), name=path.name)
        assert again.status in ("up-to-date", "needs-input")
        assert not any(c.status == "applied" for c in again.changes)
        assert again.migrated_yaml == report.migrated_yaml


def test_the_newest_chart_defaults_need_nothing_but_their_secrets() -> None:
    path = CORPUS / "adaptive--values-0.48.2.yaml"
    report = analyze(path.read_bytes())
    # The chart's own 0.48.2 defaults leave every required secret empty: the chart refuses them.
    assert report.status == "needs-input"
    assert not any(c.status == "applied" for c in report.changes)
    assert report.migrated_yaml.encode("utf-8") == path.read_bytes()
    filled = {s.path for s in report.next_steps if s.kind == "fill"}
    assert {
        "secrets.db.password",
        "secrets.cookiesSecret",
        "secrets.auth.internalJwtPrivateKeyV4Base64",
    } <= filled


# ---------------------------------------------------------------------------
# the chart's own old defaults

CHANGED_KEY = re.compile(r"^\s*(dbUrl|group|partitionKey|replicaCount):")
REPLACEMENT = re.compile(
    r"^\s*(db:|username:|password:|host:|database:|computePools:|- name:|replicas:)(\s|$)"
)
FULL_LINE_COMMENT = re.compile(r"^\s*#")


def _expected_data(before: Any, name: str) -> Any:
    """The data the two changes should produce from the chart's old defaults, built independently."""
    data = copy.deepcopy(before)
    secrets = data["secrets"]
    if "dbUrl" in secrets:
        url = secrets["dbUrl"]
        assert url == "postgres://username:password@db_address:5432/db_name", name
        secrets_items = list(secrets.items())
        secrets.clear()
        for key, value in secrets_items:
            if key == "dbUrl":
                secrets["db"] = {
                    "username": "username",
                    "password": "password",
                    "host": "db_address:5432",
                    "database": "db_name",
                }
            else:
                secrets[key] = value
    harmony = data["harmony"]
    name_value = harmony.pop("group")
    replicas = harmony.pop("replicaCount")
    assert harmony.pop("partitionKey") == "default-statefulset"
    harmony["computePools"] = [{"name": name_value, "replicas": replicas}]
    return data


@pytest.mark.parametrize("name", sorted(OLD_LAYOUT))
def test_chart_defaults_migrate_touching_only_the_changed_keys(name: str) -> None:
    path = CORPUS / name
    before_text = path.read_bytes().decode("utf-8")
    report = analyze(path.read_bytes(), name=name, target=TARGET)
    assert report.status == "migrated"
    after_text = report.migrated_yaml
    assert after_text is not None

    before_lines = before_text.splitlines(keepends=True)
    after_lines = after_text.splitlines(keepends=True)
    matcher = difflib.SequenceMatcher(a=before_lines, b=after_lines, autojunk=False)
    removed: list[str] = []
    added: list[str] = []
    for op, a0, a1, b0, b1 in matcher.get_opcodes():
        if op != "equal":
            removed += before_lines[a0:a1]
            added += after_lines[b0:b1]
    assert removed and added
    for line in removed:
        assert CHANGED_KEY.match(line) or not line.strip(), f"touched a line outside the keys: {line!r}"
    for line in added:
        assert REPLACEMENT.match(line), f"added a line that is not a replacement: {line!r}"
    # Blank lines: at most the one that separated two removed keys goes.
    assert sum(1 for line in removed if not line.strip()) <= 1

    comments_before = [line for line in before_lines if FULL_LINE_COMMENT.match(line)]
    comments_after = [line for line in after_lines if FULL_LINE_COMMENT.match(line)]
    assert comments_after == comments_before, "a full-line comment was dropped, changed or reordered"
    # The comment on `group:` travels to the pool's name.
    group_line = next(line for line in before_lines if line.lstrip().startswith("group:"))
    comment = group_line[group_line.index("#") :]
    assert any(line.lstrip().startswith("- name: default") and line.endswith(comment) for line in after_lines)
    assert after_text.endswith(before_lines[-1])  # the end-of-file comment is still the end

    before_data = parse(before_text).data
    after_data = parse(after_text).data
    assert after_data == _expected_data(before_data, name)

    # Idempotent, and current.
    again = analyze(after_text.encode("utf-8"), name=name, target=TARGET)
    assert again.status == "up-to-date", [(f.code, f.message) for f in again.findings]
    assert again.migrated_yaml == after_text
    assert not {"db-config-split", "harmony-compute-pools"} & set(again.detected.pending)


@pytest.mark.parametrize("name", ["adaptive--values-0.17.0.yaml", "adaptive--values-0.23.0.yaml"])
def test_chart_defaults_with_crlf_and_bom_migrate_the_same(name: str) -> None:
    text = (CORPUS / name).read_bytes().decode("utf-8")
    plain = analyze(text, target=TARGET).migrated_yaml
    assert plain is not None
    windows = "\ufeff" + text.replace("\n", "\r\n")
    migrated = analyze(windows.encode("utf-8"), target=TARGET).migrated_yaml
    assert migrated == "\ufeff" + plain.replace("\n", "\r\n")


@pytest.mark.parametrize("name", ["adaptive--values-0.17.0.yaml", "adaptive--values-0.23.0.yaml"])
def test_chart_defaults_findings(name: str) -> None:
    report = analyze((CORPUS / name).read_bytes(), target=TARGET)
    codes = {f.code for f in report.findings}
    # The chart's own defaults change the partition (default-statefulset -> default) and carry the
    # legacy computePool list and autoscaling block the new chart ignores; keda and tensorboard
    # stopped being read without a word in the guide. The upgrade deletes the old harmony Service,
    # replaces the single StatefulSet by the pool's, and mlflow's Deployment by a StatefulSet.
    expected = {"partition-key-changed", "legacy-compute-pool", "removed-key"}
    expected |= {"object-deleted", "object-renamed", "object-kind-changed"}
    assert codes == expected
    removed = {f.path for f in report.findings if f.code == "removed-key"}
    assert "keda" in removed and ("tensorboard" in removed) == name.endswith("0.17.0.yaml")
    assert [p.name for p in report.pools] == ["default"]
    assert report.pools[0].statefulset == "adaptive-harmony-default"
    applied = [c.id for c in report.changes if c.status == "applied"]
    with_db = name.endswith("0.17.0.yaml")
    assert applied == (["db-config-split"] if with_db else []) + ["harmony-compute-pools"]
