"""Type checks of the 0.25+ values layout (migrator.chart.value_types)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from migrator.chart.value_types import validate_values

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"


def _paths(values: Any) -> list[tuple[str, str, str]]:
    return [(f.code, f.severity, f.path) for f in validate_values(values)]


def test_guide_example_is_valid() -> None:
    values = {
        "secrets": {"db": {"username": "u", "password": "p", "host": "db:5432", "database": "d"}},
        "harmony": {
            "enabled": True,
            "gpusPerReplica": 8,
            "resources": {"limits": {"cpu": 30, "memory": "500Gi"}},
            "nodeSelector": {},
            "tolerations": [{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}],
            "computePools": [
                {"name": "training", "replicas": 2, "capabilities": "TRAINING,EVALUATION"},
                {"name": "inference", "replicas": 0, "gpusPerReplica": 4, "shmSize": "16Gi"},
            ],
        },
    }
    assert validate_values(values) == []


def test_extra_keys_and_nulls_are_allowed() -> None:
    values = {
        "anything": {"deep": [1, 2]},
        "secrets": {"db": None, "cookiesSecret": "x"},
        "harmony": {"gpusPerReplica": None, "image": {"tag": "t"}, "computePools": [{"name": "a", "foo": 1}]},
    }
    assert validate_values(values) == []


@pytest.mark.parametrize("version", ["0.24.0", "0.48.2"])
def test_real_default_files_are_valid(version: str) -> None:
    path = CORPUS / f"adaptive--values-{version}.yaml"
    assert path.exists(), f"corpus file {path} missing: ../shared/corpus must sit beside the repository"
    values = YAML(typ="safe", pure=True).load(path.read_text(encoding="utf-8"))
    assert validate_values(values) == []


def test_booleans_are_not_counts() -> None:
    values = {"harmony": {"gpusPerReplica": True, "computePools": [{"name": "a", "replicas": False}]}}
    findings = validate_values(values)
    assert [(f.code, f.severity, f.path) for f in findings] == [
        ("invalid-value", "critical", "harmony.gpusPerReplica"),
        ("invalid-value", "critical", "harmony.computePools[0].replicas"),
    ]
    assert "must be a whole number; found a boolean" in findings[0].message


def test_quoted_and_negative_counts() -> None:
    findings = validate_values(
        {"harmony": {"computePools": [{"name": "a", "replicas": "2", "gpusPerReplica": -1}]}}
    )
    by_path = {f.path: f.message for f in findings}
    assert "found text" in by_path["harmony.computePools[0].replicas"]
    assert "0 or more" in by_path["harmony.computePools[0].gpusPerReplica"]


def test_enabled_must_be_a_boolean() -> None:
    findings = validate_values({"harmony": {"enabled": "yes"}})
    assert _paths({"harmony": {"enabled": "yes"}}) == [("invalid-value", "critical", "harmony.enabled")]
    assert "true or false" in findings[0].message and "found text" in findings[0].message


def test_pool_name_is_required_and_text() -> None:
    findings = validate_values({"harmony": {"computePools": [{"replicas": 1}, {"name": 7}]}})
    assert [f.path for f in findings] == ["harmony.computePools[0].name", "harmony.computePools[1].name"]
    assert "missing" in findings[0].message
    assert "found a whole number" in findings[1].message


def test_wrong_containers() -> None:
    values = {
        "harmony": {
            "resources": ["cpu"],
            "tolerations": {"key": "x"},
            "computePools": [{"name": "a", "tolerations": ["nvidia.com/gpu"]}],
        }
    }
    findings = validate_values(values)
    by_path = {f.path: f.message for f in findings}
    assert "a mapping; found a list" in by_path["harmony.resources"]
    assert "a list; found a mapping" in by_path["harmony.tolerations"]
    assert "a mapping; found text" in by_path["harmony.computePools[0].tolerations[0]"]


def test_compute_pools_must_be_a_list_and_harmony_a_mapping() -> None:
    assert _paths({"harmony": {"computePools": {"name": "a"}}}) == [
        ("invalid-value", "critical", "harmony.computePools")
    ]
    assert _paths({"harmony": "on"}) == [("invalid-value", "critical", "harmony")]
    assert _paths("not a mapping") == [("invalid-value", "critical", "(top level)")]


def test_node_selector_values_must_be_text() -> None:
    findings = validate_values({"harmony": {"nodeSelector": {"cloud.google.com/gke-spot": True}}})
    assert [f.path for f in findings] == ['harmony.nodeSelector["cloud.google.com/gke-spot"]']
    assert "found a boolean" in findings[0].message


def test_secret_values_never_appear_in_messages() -> None:
    values = {"secrets": {"db": {"username": "admin", "password": 98765432, "host": ["db"], "database": "d"}}}
    findings = validate_values(values)
    assert [f.path for f in findings] == ["secrets.db.password", "secrets.db.host"]
    for finding in findings:
        assert "98765432" not in finding.message
        assert "'db'" not in finding.message
    assert "text (quote it in YAML); found a whole number" in findings[0].message
    assert "found a list" in findings[1].message
