"""The chart's later breaking changes (0.30 to 0.48) on the chart's own default files.

- the 0.17.0 defaults reach 0.48 in one run, and migrating the result again changes nothing;
- the 0.48.2 defaults need nothing but their secrets (needs-input), with only the findings they deserve;
- detection narrows the range with the new fingerprints, without false conflicts;
- any known version can be the target, and the plan lists the changes crossed, in order;
- opt-in rewrites happen only when asked for (API and CLI).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from migrator.changes.registry import all_changes, known_options, known_targets, latest
from migrator.detect import detect
from migrator.engine import analyze
from migrator.errors import InputError
from migrator.versions import Version
from migrator.yaml.document import Document

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO / ".." / "shared" / "corpus"
VERSIONS = ("0.17.0", "0.18.0", "0.23.0", "0.24.0", "0.48.2")
DEFAULTS = {v: CORPUS / f"adaptive--values-{v}.yaml" for v in VERSIONS}

pytestmark = pytest.mark.skipif(
    not all(p.is_file() for p in DEFAULTS.values()), reason="the chart's default files are not available"
)

LATER = ["service-account-split", "monitoring-merged", "capabilities-job", "s3-creds-and-secret-defaults"]
LATER.append("internal-jwt-key")


def _data(text: str) -> dict:
    return Document(text).data


def _codes(report) -> set[str]:
    return {f.code for f in report.findings}


def test_registry_knows_every_chart_stop_in_order() -> None:
    assert known_targets() == ["0.18.0", "0.25.0", "0.30.0", "0.38.0", "0.38.3", "0.42.0", "0.48.0"]
    assert latest() == "0.48.0"
    assert [c.id for c in all_changes()][2:] == LATER
    assert set(known_options()) == {"capabilities-job", "s3-creds-move"}


def test_chart_defaults_0_17_reach_0_48_in_one_run() -> None:
    before = DEFAULTS["0.17.0"].read_bytes()
    report = analyze(before)
    assert report.status == "needs-input"  # migrated; the chart's placeholder secrets must be filled in
    assert report.target == "0.48.2"
    # The plan: every change, in version order, each applied on the result of the previous one.
    assert [c.version for c in report.changes] == known_targets()
    assert {c.id: c.status for c in report.changes} == {
        "db-config-split": "applied",
        "harmony-compute-pools": "applied",
        "service-account-split": "applied",
        "monitoring-merged": "manual",  # certain: the file is from before 0.18; only steps by hand
        "capabilities-job": "not-needed",  # a notice only; the rewrite is opt-in
        "s3-creds-and-secret-defaults": "not-needed",  # findings only, nothing invented
        "internal-jwt-key": "applied",
    }
    data = _data(report.migrated_yaml)
    assert "serviceAccount" not in data
    # From 0.37.2 the named account is kept: the control plane creates it, the others use it.
    assert data["controlPlane"]["serviceAccount"] == {
        "create": True,
        "annotations": {},
        "name": "serviceaccount.adaptive-ml.com",
    }
    for section in ("harmony", "sandkasten"):
        assert data[section]["serviceAccount"] == {"create": False, "name": "serviceaccount.adaptive-ml.com"}
    assert data["secrets"]["db"] == {
        "username": "username",
        "password": "password",
        "host": "db_address:5432",
        "database": "db_name",
    }
    assert "dbUrl" not in data["secrets"]
    assert data["harmony"]["computePools"] == [{"name": "default", "replicas": 1}]
    assert data["secrets"]["auth"]["internalJwtPrivateKeyV4Base64"] == ""  # added empty, never invented
    assert "lgtm" not in data and "s3Creds" not in data["secrets"]
    assert _codes(report) >= {
        "partition-key-changed",
        "service-account-automount-dropped",
        "service-account-kept",
        "service-account-names",
        "monitoring-uninstall",
        "capabilities-default-changed",
        "secret-placeholder",
        "internal-jwt-key-missing",
    }
    placeholders = sorted(f.path for f in report.findings if f.code == "secret-placeholder")
    assert placeholders == sorted(
        [
            "secrets.db.username",
            "secrets.db.password",
            "secrets.db.host",
            "secrets.db.database",
            "secrets.cookiesSecret",
            "secrets.modelRegistryUrl",
            "secrets.sharedDirectoryUrl",
            "secrets.auth.oidc.providers",
        ]
    )
    monitoring = next(c for c in report.changes if c.id == "monitoring-merged")
    assert any("helm uninstall" in step for step in monitoring.manual_steps)
    # The comments inside the removed global block go with it (they described its keys), and the
    # change says so; every other comment stays.
    assert "# Automatically mount a ServiceAccount's API credentials?" not in report.migrated_yaml
    split = next(c for c in report.changes if c.id == "service-account-split")
    assert "comment lines went with it" in split.summary

    again = analyze(report.migrated_yaml.encode("utf-8"))
    assert again.status == "needs-input"
    assert again.migrated_yaml == report.migrated_yaml
    assert again.detected.pending == []
    assert again.detected.low == "0.48.0" and not again.detected.conflict
    # What is left is what a human must fill in, and the keys the chart stopped reading (a human decides).
    assert _codes(again) == {
        "secret-placeholder",
        "internal-jwt-key-missing",
        "removed-key",
    }


@pytest.mark.parametrize("version", ["0.18.0", "0.23.0", "0.24.0"])
def test_other_old_defaults_reach_0_48_idempotently(version: str) -> None:
    report = analyze(DEFAULTS[version].read_bytes())
    assert report.status == "needs-input"  # the chart's placeholder secrets and the JWT key
    again = analyze(report.migrated_yaml.encode("utf-8"))
    assert (again.status, again.migrated_yaml) == ("needs-input", report.migrated_yaml)
    assert not any(c.status == "applied" for c in again.changes)


def test_chart_defaults_0_48_2_need_only_their_secrets() -> None:
    before = DEFAULTS["0.48.2"].read_bytes()
    report = analyze(before)
    assert report.status == "needs-input"
    assert report.migrated_yaml.encode("utf-8") == before
    assert all(c.status == "not-needed" for c in report.changes)
    assert report.detected.pending == []
    assert (report.detected.low, report.detected.high, report.detected.conflict) == ("0.48.0", None, False)
    # The findings it deserves: the required secrets are empty in the chart's defaults.
    assert _codes(report) == {"secret-empty", "internal-jwt-key-missing"}
    empty = {f.path: f.severity for f in report.findings if f.code == "secret-empty"}
    assert empty["secrets.db.password"] == "critical"
    assert empty["secrets.auth.oidc.providers"] == "warning"
    assert len(empty) == 8


@pytest.mark.parametrize(
    ("version", "low", "high"),
    [
        ("0.17.0", None, "0.18.0"),
        # The old harmony keys date a file before 0.24.0: that chart already refuses them (the guide
        # files the change under 0.25.0).
        ("0.18.0", "0.18.0", "0.24.0"),
        ("0.23.0", "0.18.0", "0.24.0"),
        ("0.24.0", "0.24.0", "0.30.0"),  # computePools (chart 0.24.0) and the global serviceAccount
        ("0.48.2", "0.48.0", None),
    ],
)
def test_detection_of_the_chart_defaults_has_no_false_conflict(version: str, low, high) -> None:
    found = detect(_data(DEFAULTS[version].read_text(encoding="utf-8")))
    assert not found.conflict, found.evidence
    assert (found.low, found.high) == (low, high)


@pytest.mark.parametrize(
    ("text", "low", "high", "label"),
    [
        ("serviceAccount:\n  create: true\n", None, "0.30.0", "before 0.30.0 (0.29.x or earlier)"),
        ("harmony:\n  serviceAccount:\n    create: true\n", "0.30.0", None, "0.30.0 or later"),
        ("sandkasten:\n  serviceAccount: {}\n", "0.30.0", None, "0.30.0 or later"),
        ("lgtm:\n  enabled: true\n", "0.38.0", None, "0.38.0 or later"),
        ("secrets:\n  s3Creds: {}\n", "0.42.0", None, "0.42.0 or later"),
        ('secrets:\n  auth:\n    internalJwtPrivateKeyV4Base64: ""\n', "0.48.0", None, "0.48.0 or later"),
        (
            "secrets:\n  db:\n    host: db\nserviceAccount:\n  create: true\n",
            "0.18.0",
            "0.30.0",
            "0.18.0 – 0.29.x",
        ),
    ],
)
def test_new_fingerprints_narrow_the_range(text: str, low, high, label: str) -> None:
    found = detect(_data(text))
    assert (found.low, found.high, found.label, found.conflict) == (low, high, label, False)


def test_global_service_account_with_lgtm_is_a_conflict() -> None:
    found = detect(_data("serviceAccount:\n  create: true\nlgtm:\n  enabled: true\n"))
    assert found.conflict


def test_target_0_30_stops_there() -> None:
    report = analyze(DEFAULTS["0.17.0"].read_bytes(), target="0.30.0")
    assert report.target == "0.30.0"
    assert [c.id for c in report.changes] == [
        "db-config-split",
        "harmony-compute-pools",
        "service-account-split",
    ]
    data = _data(report.migrated_yaml)
    assert "serviceAccount" not in data and "serviceAccount" in data["controlPlane"]
    assert "internalJwtPrivateKeyV4Base64" not in data["secrets"]["auth"]
    assert not _codes(report) & {"monitoring-uninstall", "secret-placeholder", "internal-jwt-key-missing"}
    # Nothing is pending on the way to 0.30.0; the changes after it are, on the way to the newest.
    assert analyze(report.migrated_yaml, target="0.30.0").detected.pending == []
    assert analyze(report.migrated_yaml).detected.pending == ["internal-jwt-key"]


@pytest.mark.parametrize("target", known_targets())
def test_every_known_target_lists_the_stops_crossed_in_order(target: str) -> None:
    report = analyze(DEFAULTS["0.17.0"].read_bytes(), target=target)
    versions = [Version(c.version) for c in report.changes]
    assert versions == sorted(versions)
    crossed = [t for t in known_targets() if Version(t) <= Version(target)]
    assert [c.version for c in report.changes] == crossed
    # From 0.42 the chart's placeholder secrets are gone: the defaults' placeholders must be filled in.
    assert report.status == ("needs-input" if Version(target) >= Version("0.42.0") else "migrated")
    again = analyze(report.migrated_yaml, target=target)
    assert again.migrated_yaml == report.migrated_yaml
    assert again.status in ("up-to-date", "needs-input") and not any(
        c.status == "applied" for c in again.changes
    )


def test_target_between_stops_and_beyond_the_last() -> None:
    minimal = "controlPlane:\n  rootUrl: https://adaptive.example.com\n"
    assert [c.id for c in analyze(minimal, target="0.40.0").changes][-1] == "capabilities-job"
    assert analyze(minimal, target="0.48.2").changes[-1].id == "internal-jwt-key"


POOL = (
    "lgtm:\n  enabled: false\n"
    'harmony:\n  computePools:\n    - name: main\n      capabilities: "TRAINING,INFERENCE"\n'
)


def test_opt_in_rewrite_only_when_asked() -> None:
    offered = analyze(POOL, target="0.38.3")
    assert offered.status == "up-to-date"
    assert "capabilities-job-offered" in _codes(offered)
    rewritten = analyze(POOL, target="0.38.3", options=["capabilities-job"])
    assert rewritten.status == "migrated"
    assert 'capabilities: "JOB,INFERENCE"' in rewritten.migrated_yaml
    assert "capabilities-job-offered" not in _codes(rewritten)


def test_unknown_option_is_refused() -> None:
    with pytest.raises(InputError, match="unknown option"):
        analyze(POOL, options=["capabilities-jobs"])


def test_cli_opt_flag(tmp_path: Path) -> None:
    source = tmp_path / "values.yaml"
    source.write_text(POOL, encoding="utf-8")

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "migrator", *args], capture_output=True, cwd=REPO, check=False, timeout=60
        )

    plain = run("migrate", str(source), "--to", "0.38.3")
    assert plain.returncode == 0 and plain.stdout.decode() == POOL
    opted = run("migrate", str(source), "--to", "0.38.3", "--opt", "capabilities-job")
    assert opted.returncode == 0
    assert 'capabilities: "JOB,INFERENCE"' in opted.stdout.decode()
    listed = run("changes")
    assert "--opt capabilities-job" in listed.stdout.decode()
    assert "--opt s3-creds-move" in listed.stdout.decode()
