"""Helm proves every upgrade: the chart's own defaults of each corpus version, and every fixture,
migrated to every target, render with the target chart (with placeholders only for values the
user must supply) or the report says exactly why not.

Real packages, real renders; the corpus files at every later target, the fixtures at every
target where a change stops, and the newest.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from migrator.changes.registry import all_changes
from migrator.chart import packages
from migrator.chart.render import is_user_supplied
from migrator.engine import analyze
from migrator.report.model import Report
from migrator.versions import Version
from migrator.yaml.paths import parse_path

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "changes"
# What a blocked report must carry: the critical finding that says why.
EXPLAINS_A_BLOCK = {
    "chart-refuses",
    "invalid-object",
    "invalid-manifest",
    "conflict",
    "edit-refused",
    "invalid-value",
    "invalid-name",
    "name-collision",
    "db-url-unparseable",
    "invalid-pool",
    "no-compute-pools",
    "requests-dropped",
}


def _check(report: Report) -> None:
    proof = report.render
    assert proof is not None
    if report.status == "blocked":
        why = [f for f in report.findings if f.severity == "critical" and f.code in EXPLAINS_A_BLOCK]
        assert why, [(f.code, f.message) for f in report.findings]
        assert all(f.message for f in why)
        return
    assert report.status in ("up-to-date", "migrated", "needs-input"), report.status
    assert proof.status in ("ok", "needs-input"), proof
    for placeholder in proof.placeholders:
        assert is_user_supplied(parse_path(placeholder.path)), placeholder
    if proof.placeholders:
        assert report.status == "needs-input"
    # The preview is Helm's: every pool of the migrated file was found in the render.
    assert all(pool.proven for pool in report.pools), [p.name for p in report.pools if not p.proven]


def _corpus_cases() -> list[tuple[Path, str]]:
    cases = []
    for path in sorted(CORPUS.glob("adaptive--values-*.yaml")):
        written_for = path.name.removeprefix("adaptive--values-").removesuffix(".yaml")
        cases += [(path, t) for t in packages.shipped_versions() if Version(t) >= Version(written_for)]
    return cases


def _fixture_targets() -> list[str]:
    stops = {str(c.needed_from) for c in all_changes()} | {c.version for c in all_changes()}
    return sorted({*stops, packages.newest_version()} & set(packages.shipped_versions()), key=Version)


def _run(cases: list[tuple[bytes, dict]]) -> list[Report]:
    # Helm renders outside the GIL: two threads keep both cores busy.
    with ThreadPoolExecutor(2) as pool:
        return list(pool.map(lambda case: analyze(case[0], **case[1]), cases))


@pytest.mark.timeout(900)
def test_the_chart_defaults_of_every_corpus_version_at_every_later_target() -> None:
    cases = _corpus_cases()
    assert len(cases) > 150
    reports = _run(
        [(path.read_bytes(), {"name": path.name, "target": t, "release": "prod"}) for path, t in cases]
    )
    failures = []
    for (path, target), report in zip(cases, reports, strict=True):
        try:
            _check(report)
        except AssertionError as exc:
            failures.append(f"{path.name} -> {target}: {exc}")
    assert not failures, "\n".join(failures[:20])


@pytest.mark.timeout(900)
def test_every_fixture_at_every_stop() -> None:
    befores = sorted(FIXTURES.glob("*/*/before.yaml"))
    cases = [(b, t) for b in befores for t in _fixture_targets()]
    reports = _run([(b.read_bytes(), {"name": str(b), "target": t}) for b, t in cases])
    failures = []
    for (before, target), report in zip(cases, reports, strict=True):
        try:
            _check(report)
        except AssertionError as exc:
            failures.append(f"{before.parent.parent.name}/{before.parent.name} -> {target}: {exc}")
    assert not failures, "\n".join(failures[:30])
