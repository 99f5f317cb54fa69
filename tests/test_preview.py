"""The pool preview: Helm's merge, Sprig's `default`, the generated names and the findings."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from migrator.chart import defaults as chart_defaults
from migrator.chart.preview import helm_merge, is_empty, preview_pools
from migrator.report import Finding

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"


def _load_corpus(version: str) -> dict[str, Any]:
    path = CORPUS / f"adaptive--values-{version}.yaml"
    assert path.exists(), f"corpus file {path} missing: ../shared/corpus must sit beside the repository"
    return YAML(typ="safe", pure=True).load(path.read_text(encoding="utf-8"))


def _codes(findings: list[Finding]) -> list[str]:
    return [f.code for f in findings]


def _pools(*pools: dict[str, Any], **harmony: Any) -> dict[str, Any]:
    return {"harmony": {**harmony, "computePools": list(pools)}}


GUIDE_MULTI_POOL = {
    "harmony": {
        "gpusPerReplica": 8,
        "resources": {
            "limits": {"cpu": 30, "memory": "500Gi"},
            "requests": {"cpu": 30, "memory": "500Gi"},
        },
        "computePools": [
            {"name": "training", "replicas": 2, "capabilities": "TRAINING,EVALUATION"},
            {
                "name": "inference",
                "replicas": 4,
                "gpusPerReplica": 4,
                "capabilities": "INFERENCE",
                "resources": {
                    "limits": {"cpu": 16, "memory": "128Gi"},
                    "requests": {"cpu": 16, "memory": "128Gi"},
                },
            },
        ],
    }
}


# -- Helm / Sprig semantics ----------------------------------------------------


@pytest.mark.parametrize("value", [None, False, 0, 0.0, "", [], {}])
def test_sprig_empty_values(value: Any) -> None:
    assert is_empty(value)


@pytest.mark.parametrize("value", [True, 1, -1, "0", "false", [None], {"a": None}])
def test_sprig_non_empty_values(value: Any) -> None:
    assert not is_empty(value)


def test_helm_merge_deep_merges_maps_replaces_lists_and_null_deletes() -> None:
    defaults = {"a": {"x": 1, "y": 2}, "l": [1, 2], "gone": {"k": 1}, "keep": 3}
    user = {"a": {"y": 20, "z": 30}, "l": [9], "gone": None, "new": None}
    before = copy.deepcopy(user)
    merged = helm_merge(defaults, user)
    assert merged == {"a": {"x": 1, "y": 20, "z": 30}, "l": [9], "keep": 3, "new": None}
    assert user == before  # inputs untouched
    assert defaults["a"] == {"x": 1, "y": 2}


# -- the pools and their names ---------------------------------------------------


def test_no_harmony_section_gives_the_chart_default_pool() -> None:
    pools, findings = preview_pools({})
    assert findings == []
    assert len(pools) == 1
    pool = pools[0]
    assert (pool.name, pool.replicas, pool.gpus_per_replica, pool.gpus_total) == ("default", 1, 8, 8)
    assert pool.statefulset == "adaptive-harmony-default"
    assert pool.capabilities == "TRAINING,INFERENCE,EVALUATION"
    assert set(pool.sources.values()) == {"chart default"}
    assert pool.tolerations == [{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}]


def test_guide_multi_pool_example_for_release_prod() -> None:
    pools, findings = preview_pools(GUIDE_MULTI_POOL, release="prod", namespace="ml")
    assert findings == []
    training, inference = pools
    assert training.statefulset == "prod-adaptive-harmony-training"
    assert training.headless_service == "prod-adaptive-harmony-training-hdls"
    assert training.pods == ["prod-adaptive-harmony-training-0", "prod-adaptive-harmony-training-1"]
    assert training.dns_names[1] == (
        "prod-adaptive-harmony-training-1.prod-adaptive-harmony-training-hdls.ml.svc.cluster.local"
    )
    assert training.master_addr == "prod-adaptive-harmony-training-0.prod-adaptive-harmony-training-hdls"
    assert (training.group, training.partition_key) == ("training", "training")
    assert (training.gpus_per_replica, training.gpus_total) == (8, 16)
    assert (inference.replicas, inference.gpus_per_replica, inference.gpus_total) == (4, 4, 16)
    assert inference.resources["requests"] == {"cpu": 16, "memory": "128Gi"}
    assert training.resources["requests"] == {"cpu": 30, "memory": "500Gi"}


def test_inheritance_sources() -> None:
    pools, _ = preview_pools(GUIDE_MULTI_POOL)
    training, inference = pools
    # gpusPerReplica and resources are in the user's harmony section; tolerations only in the chart's.
    assert training.sources["gpusPerReplica"] == "harmony"
    assert training.sources["resources"] == "harmony"
    assert training.sources["tolerations"] == "chart default"
    assert training.sources["replicas"] == "pool"
    assert training.sources["capabilities"] == "pool"
    assert inference.sources["gpusPerReplica"] == "pool"
    assert inference.sources["resources"] == "pool"
    assert inference.sources["nodeSelector"] == "chart default"


def test_pool_value_replaces_the_default_wholesale() -> None:
    values = _pools(
        {"name": "a", "nodeSelector": {"pool": "gpu"}},
        nodeSelector={"zone": "east", "pool": "cpu"},
    )
    pools, _ = preview_pools(values)
    assert pools[0].node_selector == {"pool": "gpu"}  # no deep merge with the harmony level


def test_group_is_the_name_as_written_and_partition_key_is_normalised() -> None:
    pools, findings = preview_pools(_pools({"name": "GPU Pool"}))
    assert findings == []
    assert (pools[0].group, pools[0].partition_key, pools[0].pool_key) == ("GPU Pool", "gpu-pool", "gpu-pool")
    assert pools[0].statefulset == "adaptive-harmony-gpu-pool"


def test_gpu_count_is_one_when_unset() -> None:
    pools, _ = preview_pools({"harmony": {"gpusPerReplica": None, "computePools": [{"name": "cpu"}]}})
    assert pools[0].gpus_per_replica == 1
    assert pools[0].sources["gpusPerReplica"] == "chart default"


def test_capabilities_default_depends_on_chart_version() -> None:
    values = _pools({"name": "a"})
    assert preview_pools(values, chart_version="0.25.0")[0][0].capabilities == "TRAINING,INFERENCE,EVALUATION"
    assert preview_pools(values, chart_version="0.38.2")[0][0].capabilities == "TRAINING,INFERENCE,EVALUATION"
    assert preview_pools(values, chart_version="0.38.3")[0][0].capabilities == "JOB,INFERENCE"
    assert preview_pools(values, chart_version="0.48.2")[0][0].capabilities == "JOB,INFERENCE"


def test_harmony_disabled_gives_no_pools() -> None:
    pools, findings = preview_pools({"harmony": {"enabled": False, "computePools": [{"name": "a"}]}})
    assert pools == []
    assert [(f.code, f.severity) for f in findings] == [("harmony-disabled", "info")]


def test_harmony_null_deletes_the_section() -> None:
    pools, findings = preview_pools({"harmony": None})
    assert pools == []
    assert _codes(findings) == ["harmony-disabled"]


def test_old_layout_gives_no_pools() -> None:
    values = {"harmony": {"group": "default", "partitionKey": "default-statefulset", "replicaCount": 2}}
    assert preview_pools(values) == ([], [])


# -- findings, each with and without its trigger -----------------------------------


def test_invalid_name_for_a_dot_in_the_pool_name() -> None:
    pools, findings = preview_pools(_pools({"name": "gpu.a100"}))
    # The headless Service and the pods break their rules; the StatefulSet (a subdomain) and label do not.
    assert _codes(findings) == ["invalid-name", "invalid-name"]
    service, pod = findings
    assert {service.severity, pod.severity} == {"critical"}
    assert service.path == pod.path == "harmony.computePools[0].name"
    assert "DNS-1035 label" in service.message
    assert "adaptive-harmony-gpu.a100-hdls" in service.message
    assert "DNS-1123 label" in pod.message and "'adaptive-harmony-gpu.a100-0'" in pod.message
    assert pools[0].problems == ["invalid-name"]


def test_invalid_name_when_pods_exceed_63_characters() -> None:
    pools, findings = preview_pools(_pools({"name": "p" * 46}))
    assert _codes(findings) == ["invalid-name"]
    assert "pod name" in findings[0].message and "DNS-1123 label" in findings[0].message
    assert pools[0].headless_service == pools[0].statefulset


def test_invalid_name_for_a_trailing_dash_after_the_cut() -> None:
    _, findings = preview_pools(_pools({"name": "x" * 44 + "--tail"}))
    messages = " ".join(f.message for f in findings if f.code == "invalid-name")
    assert "DNS-1123 subdomain" in messages and "DNS-1035 label" in messages


def test_invalid_name_for_missing_and_non_text_names() -> None:
    pools, findings = preview_pools(_pools({"replicas": 1}, {"name": 12}))
    assert [(f.code, f.path) for f in findings] == [
        ("invalid-name", "harmony.computePools[0].name"),
        ("invalid-name", "harmony.computePools[1].name"),
    ]
    assert "no name" in findings[0].message
    assert "whole number" in findings[1].message
    assert pools[1].statefulset == "adaptive-harmony-12"


def test_valid_names_give_no_invalid_name() -> None:
    _, findings = preview_pools(_pools({"name": "Training_Pool 2"}), release="my-adaptive-release")
    assert findings == []


def test_invalid_release_and_namespace() -> None:
    _, findings = preview_pools({}, release="Prod_Release", namespace="ML")
    assert [(f.code, f.severity, f.path) for f in findings] == [
        ("invalid-name", "critical", "release"),
        ("invalid-name", "critical", "namespace"),
    ]
    assert "Helm release name" in findings[0].message
    _, findings = preview_pools({}, release="a" * 54)
    assert "at most 53" in findings[0].message


def test_name_collision() -> None:
    pools, findings = preview_pools(_pools({"name": "GPU Pool"}, {"name": "gpu_pool"}))
    assert [(f.code, f.severity, f.path) for f in findings] == [
        ("name-collision", "critical", "harmony.computePools[1].name"),
    ]
    assert "adaptive-harmony-gpu-pool" in findings[0].message
    assert pools[0].problems == ["name-collision"] == pools[1].problems


def test_name_collision_after_the_63_character_cut() -> None:
    _, findings = preview_pools(_pools({"name": "q" * 50 + "a"}, {"name": "q" * 50 + "b"}))
    assert "name-collision" in _codes(findings)


def test_distinct_names_do_not_collide() -> None:
    _, findings = preview_pools(_pools({"name": "gpu-pool"}, {"name": "gpu-pool-2"}))
    assert "name-collision" not in _codes(findings)


def test_replicas_zero_deploys_one() -> None:
    pools, findings = preview_pools(_pools({"name": "a", "replicas": 0}))
    assert [(f.code, f.severity, f.path) for f in findings] == [
        ("replicas-zero", "warning", "harmony.computePools[0].replicas")
    ]
    assert "ONE replica" in findings[0].message
    assert pools[0].replicas == 1 and len(pools[0].pods) == 1
    assert pools[0].problems == ["replicas-zero"]


def test_replicas_set_or_absent_gives_no_warning() -> None:
    pools, findings = preview_pools(_pools({"name": "a", "replicas": 3}, {"name": "b"}))
    assert findings == []
    assert [p.replicas for p in pools] == [3, 1]
    assert pools[1].sources["replicas"] == "chart default"


@pytest.mark.parametrize(
    ("key", "empty"),
    [("gpusPerReplica", 0), ("tolerations", []), ("podAnnotations", {}), ("shmSize", "")],
)
def test_empty_override_is_ignored(key: str, empty: Any) -> None:
    pools, findings = preview_pools(_pools({"name": "a", key: empty}))
    assert [(f.code, f.severity, f.path) for f in findings] == [
        ("empty-override-ignored", "warning", f"harmony.computePools[0].{key}")
    ]
    assert pools[0].problems == ["empty-override-ignored"]


def test_empty_override_uses_the_harmony_value() -> None:
    pools, _ = preview_pools(_pools({"name": "a", "gpusPerReplica": 0, "tolerations": []}, gpusPerReplica=4))
    assert pools[0].gpus_per_replica == 4
    assert pools[0].sources["gpusPerReplica"] == "harmony"
    assert pools[0].tolerations == [{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}]


def test_empty_override_without_a_harmony_value_is_fine() -> None:
    # The chart's harmony.nodeSelector is {}: an empty pool nodeSelector changes nothing.
    _, findings = preview_pools(_pools({"name": "a", "nodeSelector": {}}))
    assert findings == []
    _, findings = preview_pools(_pools({"name": "a", "nodeSelector": {}}, nodeSelector={"gpu": "a100"}))
    assert _codes(findings) == ["empty-override-ignored"]


def test_requests_dropped() -> None:
    values = _pools({"name": "a", "resources": {"limits": {"cpu": 8, "memory": "64Gi"}}})
    pools, findings = preview_pools(values)
    assert [(f.code, f.severity, f.path) for f in findings] == [
        ("requests-dropped", "warning", "harmony.computePools[0].resources")
    ]
    assert "cpu, memory" in findings[0].message
    assert "requests" not in pools[0].resources


def test_requests_kept_or_no_default_requests() -> None:
    with_requests = {"limits": {"cpu": 8}, "requests": {"cpu": 4}}
    _, findings = preview_pools(_pools({"name": "a", "resources": with_requests}))
    assert findings == []
    # The user's null deletes the chart's default requests: nothing is dropped by the pool.
    values = _pools({"name": "a", "resources": {"limits": {"cpu": 8}}}, resources={"requests": None})
    _, findings = preview_pools(values)
    assert findings == []


def test_unknown_capability() -> None:
    _, findings = preview_pools(_pools({"name": "a", "capabilities": "INFERENCE,SERVING"}))
    assert [(f.code, f.severity, f.path) for f in findings] == [
        ("unknown-capability", "warning", "harmony.computePools[0].capabilities")
    ]
    assert "'SERVING'" in findings[0].message


def test_job_capability_is_unknown_before_0_38_3() -> None:
    values = _pools({"name": "a", "capabilities": "JOB,INFERENCE"})
    _, findings = preview_pools(values, chart_version="0.25.0")
    assert _codes(findings) == ["unknown-capability"]
    assert "0.38.3" in findings[0].message
    _, findings = preview_pools(values, chart_version="0.38.3")
    assert findings == []


def test_known_capabilities_give_no_warning_and_deprecated_ones_an_info() -> None:
    values = _pools({"name": "a", "capabilities": "TRAINING, INFERENCE,EVALUATION"})
    assert preview_pools(values, chart_version="0.25.0")[1] == []
    _, findings = preview_pools(values, chart_version="0.48.2")
    assert [(f.code, f.severity) for f in findings] == [("deprecated-capability", "info")]


def test_non_text_capabilities() -> None:
    _, findings = preview_pools(_pools({"name": "a", "capabilities": ["JOB", "INFERENCE"]}))
    assert _codes(findings) == ["unknown-capability"]
    assert "a list" in findings[0].message


def test_empty_or_missing_compute_pools() -> None:
    _, findings = preview_pools({"harmony": {"computePools": []}})
    assert [(f.code, f.severity) for f in findings] == [("no-compute-pools", "critical")]
    # A user null deletes the chart's default pools: the chart then refuses to render.
    _, findings = preview_pools({"harmony": {"computePools": None}})
    assert _codes(findings) == ["no-compute-pools"]


def test_non_mapping_pool_entry() -> None:
    pools, findings = preview_pools(_pools("default", {"name": "b"}))
    assert [(f.code, f.path) for f in findings] == [("invalid-pool", "harmony.computePools[0]")]
    assert [p.name for p in pools] == ["b"]


# -- the chart's defaults -----------------------------------------------------------


@pytest.mark.parametrize(
    ("version", "snapshot"),
    [("0.24.0", chart_defaults.HARMONY_0_24_0), ("0.48.2", chart_defaults.HARMONY_0_48_2)],
)
def test_chart_defaults_match_the_corpus_files(version: str, snapshot: dict[str, Any]) -> None:
    assert _load_corpus(version)["harmony"] == snapshot


def test_chart_defaults_by_version() -> None:
    assert "requireGpu" not in chart_defaults.harmony_defaults("0.25.0")
    assert chart_defaults.harmony_defaults("0.48.2")["requireGpu"] is True
    assert chart_defaults.harmony_defaults("0.23.0") == chart_defaults.HARMONY_0_24_0
    copy_ = chart_defaults.harmony_defaults("0.25.0")
    copy_["computePools"].append({"name": "x"})
    assert len(chart_defaults.HARMONY_0_24_0["computePools"]) == 1  # callers get a copy


def test_real_0_48_2_defaults_give_one_default_pool() -> None:
    harmony = _load_corpus("0.48.2")["harmony"]
    pools, findings = preview_pools({"harmony": harmony}, chart_version="0.48.2")
    assert findings == []
    assert len(pools) == 1
    pool = pools[0]
    assert (pool.name, pool.replicas) == ("default", 1)
    assert pool.gpus_per_replica == harmony["gpusPerReplica"] == 8
    assert pool.gpus_total == 8
    assert pool.capabilities == "JOB,INFERENCE"
    assert pool.sources["gpusPerReplica"] == "harmony"
