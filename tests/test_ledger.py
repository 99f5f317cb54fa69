"""What the upgrade does to the cluster: the source render against the target render, with the
real chart packages; every difference is in the ledger or in the reviewed list of those that do
not matter (ledger.IGNORED_LABELS)."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from migrator.chart import ledger, packages
from migrator.chart.render import KubeObject, render
from migrator.engine import analyze
from migrator.report.secrets import MASK

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
IRSA_0_17 = b"""\
secrets:
  dbUrl: postgres://adaptive:pw@db:5432/adaptive
serviceAccount:
  create: true
  name: adaptive-prod-sa
  annotations:
    eks.amazonaws.com/role-arn: arn:aws:iam::123456789012:role/adaptive
"""


def _objects(version: str, text: str, release: str = "prod") -> list[KubeObject]:
    result = render(packages.shipped(version), text, release=release, namespace="team")
    assert result.ok, result.refusal
    return result.objects


def _entry(entries, kind: str, name: str):
    found = [e for e in entries if e.kind == kind and e.name == name]
    assert found, [(e.change, e.kind, e.name) for e in entries]
    return found[0]


def test_0_23_defaults_to_0_48_2() -> None:
    text = (CORPUS / "adaptive--values-0.23.0.yaml").read_bytes()
    report = analyze(text, release="prod", namespace="team")
    assert report.source_version == "0.23.0"  # the newest version whose keys fit the file
    report = analyze(text, release="prod", namespace="team", from_version="0.23.0")
    entries = report.ledger
    mlflow = _entry(entries, "Deployment", "prod-adaptive-mlflow")
    assert (mlflow.change, mlflow.new_kind) == ("kind-changed", "StatefulSet")
    harmony = _entry(entries, "StatefulSet", "prod-adaptive-harmony")
    assert (harmony.change, harmony.new_name) == ("renamed", "prod-adaptive-harmony-default")
    assert (
        _entry(entries, "StatefulSet", "adaptive-prometheus").change == "deleted"
    )  # the prometheus subchart
    assert _entry(entries, "Service", "prod-adaptive-harmony").change == "deleted"
    assert all(e.change != "changed" or e.diff for e in entries)
    # Consequences become findings with their severity.
    codes = {f.code for f in report.findings}
    assert {"object-kind-changed", "object-renamed", "object-deleted"} <= codes


def test_irsa_binding_names_the_accounts_the_pods_really_run_as() -> None:
    report = analyze(IRSA_0_17, target="0.30.0", release="prod", namespace="team")
    assert report.source_version == "0.17.0"
    accounts = {"prod-adaptive-controlplane-sa", "prod-adaptive-harmony-sa", "prod-adaptive-sandkasten-sa"}
    created = {e.name for e in report.ledger if e.kind == "ServiceAccount" and e.change == "created"}
    assert created == accounts
    assert all(e.severity == "critical" for e in report.ledger if e.kind == "ServiceAccount")
    iam = [f for f in report.findings if f.code == "iam-binding-update"]
    assert iam and all(name in iam[0].message for name in accounts)
    assert "adaptive-prod-sa`" not in iam[0].message.split("run as")[-1]  # not the name nobody uses
    assert set(report.service_accounts.values()) >= accounts


def test_from_0_37_2_the_components_keep_the_named_account() -> None:
    report = analyze(IRSA_0_17, target="0.48.2", release="prod", namespace="team")
    account = _entry(report.ledger, "ServiceAccount", "adaptive-prod-sa")
    assert account.change == "changed" and account.severity == "info"
    assert not [f for f in report.findings if f.code in ("iam-binding-update", "iam-binding-lost")]
    assert {report.service_accounts[c] for c in ("control-plane", "harmony", "sandkasten")} == {
        "adaptive-prod-sa"
    }


def _sts(name: str, **spec) -> KubeObject:
    body = {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": {"name": name, "labels": {"app.kubernetes.io/component": "harmony"}},
        "spec": {
            "serviceName": f"{name}-hdls",
            "replicas": 1,
            "selector": {"matchLabels": {"a": "b"}},
            **spec,
        },
    }
    return KubeObject("StatefulSet", "apps/v1", name, "team", "t.yaml", body)


def test_immutable_fields_make_the_upgrade_fail_until_the_object_is_deleted() -> None:
    old = _sts("x")
    new = _sts("x", serviceName="other")
    (entry,) = ledger.compare([old], [new], namespace="team")
    assert entry.change == "changed" and entry.severity == "critical"
    assert "spec.serviceName" in entry.consequence
    assert "kubectl delete statefulset x -n team --cascade=orphan" in entry.consequence
    (scale,) = ledger.compare([old], [_sts("x", replicas=3)], namespace="team")
    assert scale.severity == "info" and [c.path for c in scale.diff] == ["spec.replicas"]


def test_a_statefulset_with_claims_leaves_its_data_behind() -> None:
    claims = [{"metadata": {"name": "data"}, "spec": {"resources": {"requests": {"storage": "1Gi"}}}}]
    (entry,) = ledger.compare([_sts("db", volumeClaimTemplates=claims)], [], namespace="team")
    assert entry.change == "deleted" and entry.severity == "critical"
    assert "`data-db-N`" in entry.consequence


def test_secret_values_stay_masked_in_the_ledger() -> None:
    old = _objects("0.48.2", "secrets:\n  db: {username: u, password: hunter2-old, host: h, database: d}\n")
    new = _objects("0.48.2", "secrets:\n  db: {username: u, password: hunter2-new, host: h, database: d}\n")
    entries = ledger.compare(old, new, namespace="team")
    text = repr([e.to_dict() for e in entries])
    assert "hunter2" not in text
    secret = _entry(entries, "Secret", "prod-adaptive-controlplane-secret")
    assert [c.old for c in secret.diff] == [MASK]


def _normal_keys(objects: list[KubeObject]) -> dict:
    return {o.key: ledger._normal(o.body) for o in objects}


@pytest.mark.parametrize(
    ("name", "source", "target"),
    [
        ("adaptive--values-0.17.0.yaml", "0.17.0", "0.30.0"),
        ("adaptive--values-0.18.0.yaml", "0.18.0", "0.48.2"),
        ("adaptive--values-0.23.0.yaml", "0.23.0", "0.25.0"),
        ("adaptive--values-0.24.0.yaml", "0.24.0", "0.48.2"),
    ],
)
def test_every_difference_is_in_the_ledger(name: str, source: str, target: str) -> None:
    text = (CORPUS / name).read_bytes()
    report = analyze(text, target=target, from_version=source, release="prod", namespace="team")
    assert report.migrated_yaml is not None or report.status == "blocked"
    before = _normal_keys(_objects(source, text.decode()))
    migrated = report.migrated_yaml or text.decode()
    after_render = render(packages.shipped(target), migrated, release="prod", namespace="team")
    after = _normal_keys(after_render.objects)
    listed = {(e.kind, e.name) for e in report.ledger} | {
        (e.new_kind or e.kind, e.new_name) for e in report.ledger if e.new_name
    }
    for key in before.keys() | after.keys():
        if before.get(key) != after.get(key):
            assert key in listed, key
    for entry in report.ledger:
        if entry.change == "changed":
            assert entry.diff, entry  # a changed object says what changed


def test_the_chart_version_labels_alone_are_no_difference() -> None:
    old = _objects("0.48.1", "secrets:\n  db: {username: u, password: p, host: h, database: d}\n")
    new = copy.deepcopy(old)
    for obj in new:
        obj.body.setdefault("metadata", {}).setdefault("labels", {})["helm.sh/chart"] = "adaptive-9.9.9"
    assert ledger.compare(old, new, namespace="team") == []
