"""The pool preview: Helm's merge, Sprig's `default`, the generated names and the findings."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from migrator.chart import defaults as chart_defaults
from migrator.chart import packages
from migrator.chart.preview import (
    go_print,
    helm_merge,
    is_empty,
    preview_pools,
    release_collisions,
    sprig_int,
)
from migrator.chart.render import load
from migrator.report.model import Finding
from migrator.versions import Version

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


def test_gpus_unset_request_no_gpu_but_gpu_count_is_one() -> None:
    # Helm: with gpusPerReplica empty the chart adds no nvidia.com/gpu at all, while GPU_COUNT is
    # `gpusPerReplica | default 1` = "1" (the rules used to preview one GPU).
    pools, findings = preview_pools({"harmony": {"gpusPerReplica": None, "computePools": [{"name": "cpu"}]}})
    assert (pools[0].gpus_per_replica, pools[0].gpus_total, pools[0].gpu_count_env) == (0, 0, "1")
    assert pools[0].sources["gpusPerReplica"] == "harmony"  # the file's null deleted the chart's 8
    assert [(f.code, f.severity, f.path) for f in findings] == [
        ("no-gpu-requested", "warning", "harmony.gpusPerReplica")
    ]
    assert 'GPU_COUNT="1"' in findings[0].message


def test_gpus_zero_at_the_harmony_level() -> None:
    values = _pools({"name": "a"}, {"name": "b", "gpusPerReplica": 0}, {"name": "c", "gpusPerReplica": 2})
    values["harmony"]["gpusPerReplica"] = 0
    pools, findings = preview_pools(values)
    assert [(p.gpus_per_replica, p.gpu_count_env) for p in pools] == [(0, "1"), (0, "1"), (2, "2")]
    assert [(f.code, f.path) for f in findings] == [
        ("no-gpu-requested", "harmony.gpusPerReplica"),
        ("no-gpu-requested", "harmony.gpusPerReplica"),
    ]


def test_gpu_count_is_printed_as_go_prints_it() -> None:
    pools, _ = preview_pools(
        _pools({"name": "a", "gpusPerReplica": "4"}, {"name": "b", "gpusPerReplica": 2.0})
    )
    assert [(p.gpus_per_replica, p.gpu_count_env) for p in pools] == [(4, "4"), (2, "2")]


def test_require_gpu_false_from_0_37() -> None:
    values = _pools(
        {"name": "cpu", "requireGpu": False},
        {"name": "null-counts", "requireGpu": None},
        {"name": "gpu"},
        tolerations=[
            {"key": "nvidia.com/gpu", "operator": "Exists"},
            {"key": "dedicated", "operator": "Exists"},
        ],
    )
    pools, findings = preview_pools(values, chart_version="0.37.0")
    cpu, null_counts, gpu = pools
    assert (cpu.gpus_per_replica, cpu.gpu_count_env) == (0, "8")
    assert cpu.tolerations == [{"key": "dedicated", "operator": "Exists"}]
    assert cpu.sources["gpusPerReplica"] == "pool"
    assert null_counts.gpus_per_replica == 0  # hasKey: the pool's own null is false, not "unset"
    assert (gpu.gpus_per_replica, len(gpu.tolerations)) == (8, 2)
    assert [(f.code, f.severity) for f in findings] == [("gpu-not-required", "info")] * 2
    assert 'GPU_COUNT="8"' in findings[0].message


def test_require_gpu_false_at_the_harmony_level() -> None:
    values = _pools({"name": "a"}, {"name": "b", "requireGpu": True}, requireGpu=False)
    pools, findings = preview_pools(values, chart_version="0.48.2")
    assert [p.gpus_per_replica for p in pools] == [0, 8]
    assert pools[0].tolerations == []
    assert [(f.code, f.path) for f in findings] == [("gpu-not-required", "harmony.requireGpu")]


def test_require_gpu_is_ignored_before_0_37() -> None:
    pools, findings = preview_pools(_pools({"name": "a", "requireGpu": False}), chart_version="0.36.1")
    assert pools[0].gpus_per_replica == 8
    assert [(f.code, f.severity) for f in findings] == [("require-gpu-ignored", "warning")]
    assert "0.37.0" in findings[0].message


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
    ("written", "replicas"),
    [(3, 3), ("2", 2), ("2.0", 2), ("010", 8), ("0x3", 3), (2.7, 2), (True, 1), (-2, -2)],
)
def test_replicas_as_sprig_int_reads_them(written: Any, replicas: int) -> None:
    pools, findings = preview_pools(_pools({"name": "a", "replicas": written}))
    assert pools[0].replicas == replicas
    assert len(pools[0].pods) == max(replicas, 0)
    assert findings == []


@pytest.mark.parametrize("written", ["abc", "2.5", " 3"])
def test_replicas_that_sprig_int_cannot_read_run_no_pods(written: str) -> None:
    pools, findings = preview_pools(_pools({"name": "a", "replicas": written}))
    assert (pools[0].replicas, pools[0].pods) == (0, [])
    assert [(f.code, f.severity) for f in findings] == [("replicas-zero", "warning")]


def test_sprig_int_and_go_print() -> None:
    assert [sprig_int(v) for v in ("1_0", "+4", "-0o7", "0b11", "3 ", "", None)] == [
        10,
        4,
        -7,
        3,
        None,
        None,
        None,
    ]
    assert [go_print(v) for v in (8, 2.0, 1.5, 1000000, 123456, 0.0001, 0.00001, True, ["A", "B"])] == [
        "8",
        "2",
        "1.5",
        "1e+06",
        "123456",
        "0.0001",
        "1e-05",
        "true",
        "[A B]",
    ]


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


def test_requests_dropped_with_gpus_is_an_invalid_manifest() -> None:
    # Helm renders `requests: null` and then `nvidia.com/gpu: 8` under it: not YAML, the install
    # fails. (The rules used to call it a warning and say Kubernetes copies the limits.)
    values = _pools({"name": "a", "resources": {"limits": {"cpu": 8, "memory": "64Gi"}}})
    pools, findings = preview_pools(values)
    assert [(f.code, f.severity, f.path, f.object) for f in findings] == [
        (
            "requests-dropped",
            "critical",
            "harmony.computePools[0].resources",
            "StatefulSet/adaptive-harmony-a",
        )
    ]
    assert "`requests: null` followed by `nvidia.com/gpu: 8`" in findings[0].message
    assert "not valid YAML" in findings[0].message
    assert pools[0].resources == {"limits": {"cpu": 8, "memory": "64Gi"}, "requests": None}


def test_limits_dropped_with_gpus_is_an_invalid_manifest_too() -> None:
    _, findings = preview_pools(_pools({"name": "a", "resources": {"requests": {"cpu": 1}}}))
    assert [(f.code, f.severity) for f in findings] == [("limits-dropped", "critical")]
    _, findings = preview_pools(_pools({"name": "a", "resources": {"limits": {"cpu": 1}, "requests": {}}}))
    assert [(f.code, f.severity) for f in findings] == [("requests-dropped", "critical")]
    assert "`requests: {}`" in findings[0].message


def test_requests_dropped_without_gpus_is_a_warning() -> None:
    values = _pools({"name": "a", "resources": {"limits": {"cpu": 8, "memory": "64Gi"}}}, gpusPerReplica=0)
    pools, findings = preview_pools(values)
    codes = [(f.code, f.severity, f.path) for f in findings]
    assert ("requests-dropped", "warning", "harmony.computePools[0].resources") in codes
    message = next(f.message for f in findings if f.code == "requests-dropped")
    assert "cpu, memory" in message and "equal to its limit" in message
    assert pools[0].resources["requests"] is None
    # requireGpu false (0.37+) is the other way to request no GPU: a valid manifest too.
    values = _pools({"name": "a", "requireGpu": False, "resources": {"limits": {"cpu": 8}}})
    _, findings = preview_pools(values, chart_version="0.37.0")
    assert [(f.code, f.severity) for f in findings if f.code == "requests-dropped"] == [
        ("requests-dropped", "warning")
    ]


def test_requests_kept_or_no_default_requests() -> None:
    with_requests = {"limits": {"cpu": 8}, "requests": {"cpu": 4}, "claims": [{"name": "x"}]}
    pools, findings = preview_pools(_pools({"name": "a", "resources": with_requests}))
    assert findings == []
    assert pools[0].resources == {"limits": {"cpu": 8}, "requests": {"cpu": 4}}  # the template writes no more
    # The user's null deletes the chart's default requests: nothing is dropped by the pool, and
    # without GPUs the manifest is valid ...
    values = _pools({"name": "a", "resources": {"limits": {"cpu": 8}}}, resources={"requests": None})
    values["harmony"]["gpusPerReplica"] = 0
    _, findings = preview_pools(values)
    assert [f.code for f in findings] == ["no-gpu-requested"]
    # ... but with the default 8 GPUs it is not (Helm: the harmony-level limits-only resources too).
    values = _pools({"name": "a"}, resources={"requests": None})
    _, findings = preview_pools(values)
    assert [(f.code, f.severity, f.path) for f in findings] == [
        ("requests-dropped", "critical", "harmony.resources")
    ]


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
    "version", [v for v in packages.shipped_versions() if Version(v) >= Version("0.24.0")]
)
def test_harmony_defaults_are_the_packages_own(version: str) -> None:
    # No hand-made copy any more: the defaults of each version are read from its package.
    package = load(packages.shipped(version))
    assert chart_defaults.harmony_defaults(version) == package.values["harmony"]
    assert chart_defaults.chart_values(version) == package.values


def test_chart_defaults_by_version() -> None:
    # Keys that the old two-snapshot table got wrong for the versions in between.
    assert "pdb" not in chart_defaults.harmony_defaults("0.28.0")
    assert chart_defaults.harmony_defaults("0.29.0")["pdb"] == {"enabled": False}
    assert "serviceAccount" in chart_defaults.harmony_defaults("0.30.0")
    assert "requireGpu" not in chart_defaults.harmony_defaults("0.36.1")
    assert chart_defaults.harmony_defaults("0.37.0")["requireGpu"] is True
    assert "cloudCache" not in chart_defaults.harmony_defaults("0.37.0")
    assert chart_defaults.harmony_defaults("0.48.2")["cloudCache"] == {"type": "emptyDir"}
    # Versions we do not ship: the newest shipped one before (0.24.0 for older ones).
    assert chart_defaults.package_version("0.32.0") == "0.31.1"
    assert chart_defaults.package_version("0.23.0") == "0.24.0"
    assert chart_defaults.package_version("0.48") == "0.48.2"
    assert chart_defaults.package_version("9.0.0") == "0.48.2"
    copy_ = chart_defaults.harmony_defaults("0.25.0")
    copy_["computePools"].append({"name": "x"})
    assert len(chart_defaults.harmony_defaults("0.25.0")["computePools"]) == 1  # callers get a copy
    with pytest.raises(ValueError):
        chart_defaults.harmony_defaults("latest")


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


# -- what Helm renders that cannot be installed (confirmed by tests/test_preview_render.py) ----------


def test_node_selector_of_two_labels_is_invalid_yaml_before_0_28() -> None:
    values = _pools(
        {"name": "a"}, {"name": "b", "nodeSelector": {"zone": "west"}}, nodeSelector={"a": "x", "b": "z"}
    )
    _, findings = preview_pools(values, chart_version="0.27.2")
    assert [(f.code, f.severity, f.path, f.object) for f in findings] == [
        ("node-selector-invalid-yaml", "critical", "harmony.nodeSelector", "StatefulSet/adaptive-harmony-a")
    ]
    assert preview_pools(values, chart_version="0.28.0")[1] == []
    nested = _pools({"name": "a", "nodeSelector": {"zone": {"name": "west"}}})
    assert [f.code for f in preview_pools(nested, chart_version="0.24.0")[1]] == [
        "node-selector-invalid-yaml"
    ]


@pytest.mark.parametrize("name", ["2024", "on", "ON", "yes", "null", "1e3"])
def test_pool_names_that_yaml_reads_as_no_text(name: str) -> None:
    # The label `app.kubernetes.io/pool` is unquoted at every version.
    for version in ("0.25.0", "0.48.2"):
        _, findings = preview_pools(_pools({"name": name}), chart_version=version)
        assert [(f.code, f.severity) for f in findings] == [("invalid-name", "critical")], version
        assert "label" in findings[0].message
    _, findings = preview_pools(_pools({"name": name}), chart_version="0.38.2")
    assert "GROUP" in findings[0].message and "PARTITION_KEY" in findings[0].message
    _, findings = preview_pools(_pools({"name": name}), chart_version="0.38.3")
    assert "GROUP" not in findings[0].message  # quoted from 0.38.3


def test_long_release_names_collide_across_components() -> None:
    # 20 characters without "adaptive": the fullname is 29, and every `<fullname>-<component>`
    # cut at 30 is the fullname again (CHART.md said 29 characters; the render says 20).
    _, findings = preview_pools({}, release="customer-prod-east-1", chart_version="0.48.2")
    assert [(f.code, f.severity, f.path) for f in findings] == [("name-collision", "critical", "release")]
    message = findings[0].message
    assert "'customer-prod-east-1-adaptive'" in message and "30 characters" in message
    assert "Deployment 'customer-prod-east-1-adaptive' (the control plane and sandkasten)" in message
    assert "ServiceAccount 'customer-prod-east-1-adaptive-sa'" in message
    assert "at most 19 characters" in message
    assert preview_pools({}, release="customer-prod-east1", chart_version="0.48.2")[1] == []
    # With "adaptive" in it, 29 characters: the release itself, cut at 30.
    _, findings = preview_pools({}, release="my-adaptive-release-eu-west-1")
    assert _codes(findings) == ["name-collision"]
    assert preview_pools({}, release="my-adaptive-release-eu-west1")[1] == []


def test_release_collisions_follow_what_the_values_render() -> None:
    release = "customer-production-eu-west-1"
    before_sa = {kind for kind, _, _ in release_collisions({}, release, "0.29.0")}
    assert before_sa == {"Deployment", "Secret", "Service"}
    shared = {(kind, owners) for kind, _, owners in release_collisions({}, release, "0.24.0")}
    assert ("Deployment", ("controlplane", "sandkasten", "mlflow")) in shared  # mlflow: a Deployment then
    no_mlflow = release_collisions({"mlflow": {"enabled": False}}, release, "0.48.2")
    assert {kind for kind, _, _ in no_mlflow} == {"Deployment", "Secret", "ServiceAccount"}
    disabled = release_collisions({"harmony": {"enabled": False}}, release, "0.48.2")
    accounts = next(owners for kind, _, owners in disabled if kind == "ServiceAccount")
    assert accounts == ("controlplane", "sandkasten")
    # Harmony disabled: still reported (the other components collide), with no pools.
    pools, findings = preview_pools({"harmony": {"enabled": False}}, release=release)
    assert pools == [] and _codes(findings) == ["name-collision", "harmony-disabled"]
