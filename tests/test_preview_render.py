"""The rules' pool preview agrees with Helm: every shipped chart from 0.24.0 to 0.48.2, rendered.

`preview_pools` (the hand-written rules of migrator/chart/preview.py) is what the report shows
when the chart cannot be rendered, so each of its fields is checked here against what Helm
really renders from the same values file, for every shipped chart version in the range:
names (StatefulSet, headless Service, pods, DNS names, the pool label), the environment
(GROUP, PARTITION_KEY, GROUP_CAPABILITIES, GPU_COUNT, MASTER_ADDR), replicas, the GPUs
requested, resources, nodeSelector and tolerations. Where Helm renders a manifest that cannot
be installed (not valid YAML, duplicate objects, values that are not text), the rules must
say so with a critical finding about that pool or that release.

What rendering showed the rules had wrong (all fixed in preview.py, each case below keeps it so):
GPU_COUNT was not previewed; `gpusPerReplica` 0 or null requests no GPU at all (the rules said
one); `requireGpu` (0.37+, a pool's own `null` included) turns off the GPU request and the
`nvidia.com/gpu` toleration; resources with limits but no requests (or requests but no limits,
or `{}`) on a pool with GPUs is not YAML; the template writes only `limits` and `requests`; a
nodeSelector of two labels (or a nested one) is not YAML before 0.28.0; `replicas` goes through
Sprig's `int` ("010" is 8, "abc" is 0); pool names such as `on` or `2024` give a label that is
not text at every version (and GROUP / PARTITION_KEY before 0.38.3); release names of 20
characters without "adaptive" (29 with it) give the components one name, so Deployments,
Services, Secrets and (from 0.30) ServiceAccounts are rendered twice.

Each case renders the ~45 chart versions (30-50 ms each) in a few threads; the whole file takes
about 30-60 s on two cores.
"""

from __future__ import annotations

import copy
import io
import os
import tarfile
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import pytest

from migrator.chart import names, packages
from migrator.chart.preview import preview_pools, release_collisions
from migrator.chart.render import KubeObject, Rendered, load, render
from migrator.engine import load_document
from migrator.report.model import Finding, PoolPreview
from migrator.versions import Version

FIRST, LAST = Version("0.24.0"), Version("0.48.2")
VERSIONS = [v for v in packages.shipped_versions() if FIRST <= Version(v) <= LAST]
GPU = "nvidia.com/gpu"
POOL_LABEL = "app.kubernetes.io/pool"
COMPONENT_LABEL = "app.kubernetes.io/component"
# Codes of findings that say the pool's StatefulSet is not a valid manifest (Helm renders
# a document that is not YAML): the pool has no rendered StatefulSet to compare with.
BREAKS_STATEFULSET = {"requests-dropped", "limits-dropped", "node-selector-invalid-yaml"}

# Every value the charts `required` (0.18-0.48), so that each render is one render (no placeholders).
SECRETS = """\
secrets:
  modelRegistryUrl: s3://bucket/models
  sharedDirectoryUrl: s3://bucket/shared
  cookiesSecret: a-cookie-secret
  db: {username: user, password: pass, host: "db:5432", database: adaptive}
  auth:
    internalJwtPrivateKeyV4Base64: a2V5
"""

# Release names: 19 and 20 characters without "adaptive" (the first that collides: its
# fullname is 29 characters), 28 and 29 characters, 40, and two containing "adaptive".
R19 = "customer-prod-east1"
R20 = "customer-prod-east-1"
R28 = "customer-production-eu-west1"
R29 = "customer-production-eu-west-1"
R40 = "customer-production-europe-west-cluster1"
ADAPTIVE_SHORT = "my-adaptive-release"
ADAPTIVE_29 = "my-adaptive-release-eu-west-1"  # 29 characters, contains "adaptive"


@dataclass(frozen=True)
class Case:
    id: str
    values: str | None  # a values file without its secrets (added); None: the package's values.yaml
    release: str = "adaptive"
    namespace: str = "default"


GUIDE = """\
harmony:
  gpusPerReplica: 8
  resources:
    limits: {cpu: 30, memory: 500Gi}
    requests: {cpu: 30, memory: 500Gi}
  computePools:
    - name: training
      replicas: 2
      capabilities: "TRAINING,EVALUATION"
    - name: inference
      replicas: 4
      gpusPerReplica: 4
      capabilities: INFERENCE
      resources:
        limits: {cpu: 16, memory: 128Gi}
        requests: {cpu: 16, memory: 128Gi}
"""
NAMES = """\
harmony:
  computePools:
    - name: GPU Pool
    - name: Train_Set
    - name: UPPER
    - name: a-pool-name-of-forty-characters-exactly
"""
REPLICAS = """\
harmony:
  computePools:
    - name: zero
      replicas: 0
    - name: unset
    - name: three
      replicas: 3
    - name: text
      replicas: "2"
    - name: nothing
      replicas: null
"""
GPUS_POOL = """\
harmony:
  computePools:
    - name: zero
      gpusPerReplica: 0
    - name: two
      gpusPerReplica: 2
    - name: text
      gpusPerReplica: "4"
    - name: inherited
"""
GPUS_HARMONY_ZERO = """\
harmony:
  gpusPerReplica: 0
  computePools:
    - name: inherited
    - name: zero-too
      gpusPerReplica: 0
    - name: two
      gpusPerReplica: 2
"""
GPUS_HARMONY_NULL = """\
harmony:
  gpusPerReplica: null
  computePools:
    - name: inherited
    - name: one
      gpusPerReplica: 1
"""
RESOURCES_GPU = """\
harmony:
  computePools:
    - name: own
      resources:
        limits: {cpu: 8, memory: 64Gi}
        requests: {cpu: 4, memory: 32Gi}
    - name: limits-only
      resources:
        limits: {cpu: 8, memory: 64Gi}
    - name: requests-only
      resources:
        requests: {cpu: 4}
    - name: limits-and-empty-requests
      resources:
        limits: {cpu: 8}
        requests: {}
    - name: extra-keys
      resources:
        limits: {cpu: 8}
        requests: {cpu: 8}
        claims: [{name: x}]
    - name: default
"""
RESOURCES_NO_GPU = """\
harmony:
  gpusPerReplica: 0
  computePools:
    - name: own
      resources:
        limits: {cpu: 8, memory: 64Gi}
        requests: {cpu: 4, memory: 32Gi}
    - name: limits-only
      resources:
        limits: {cpu: 8, memory: 64Gi}
    - name: requests-only
      resources:
        requests: {cpu: 4}
    - name: limits-only-with-gpus
      gpusPerReplica: 2
      resources:
        limits: {cpu: 8}
"""
HARMONY_LIMITS_ONLY = """\
harmony:
  resources:
    limits: {cpu: 8, memory: 64Gi}
    requests: null
  computePools:
    - name: inherits
    - name: own-requests
      resources:
        limits: {cpu: 8}
        requests: {cpu: 2}
"""
NODE_SELECTOR = """\
harmony:
  nodeSelector: {pool: gpu}
  resources:
    limits: {cpu: 8, memory: 64Gi}
  computePools:
    - name: inherits
    - name: own
      nodeSelector: {node.kubernetes.io/instance-type: p4d.24xlarge}
    - name: empty
      nodeSelector: {}
"""
# Two or more labels: not valid YAML before 0.28.0 (the pools that get them have no StatefulSet).
NODE_SELECTOR_TWO = """\
harmony:
  nodeSelector: {zone: east, gpu: a100}
  computePools:
    - name: inherits
    - name: one-key
      nodeSelector: {zone: west}
    - name: two-keys
      nodeSelector: {zone: west, gpu: h100}
    - name: nested
      nodeSelector: {zone: {name: west}}
"""
TOLERATIONS_CAPABILITIES = """\
harmony:
  tolerations:
    - {key: nvidia.com/gpu, operator: Exists, effect: NoSchedule}
    - {key: dedicated, operator: Equal, value: ml, effect: NoSchedule}
  computePools:
    - name: inherits
      capabilities: INFERENCE
    - name: own
      tolerations: [{key: spot, operator: Exists}]
      capabilities: "JOB,INFERENCE"
    - name: empty
      tolerations: []
      capabilities: ""
    - name: unset
"""
REQUIRE_GPU_POOL = """\
harmony:
  tolerations:
    - {key: nvidia.com/gpu, operator: Exists, effect: NoSchedule}
    - {key: dedicated, operator: Equal, value: ml, effect: NoSchedule}
    - {operator: Exists}
  computePools:
    - name: cpu
      requireGpu: false
    - name: gpu
      requireGpu: true
    - name: null-means-no
      requireGpu: null
    - name: unset
    - name: cpu-limits-only
      requireGpu: false
      resources:
        limits: {cpu: 8}
"""
REQUIRE_GPU_HARMONY = """\
harmony:
  requireGpu: false
  computePools:
    - name: inherits
    - name: gpu
      requireGpu: true
    - name: limits-only
      resources:
        limits: {cpu: 8}
    - name: gpu-limits-only
      requireGpu: true
      resources:
        limits: {cpu: 8}
"""
YAML_NAMES = """\
harmony:
  computePools:
    - name: "2024"
    - name: "on"
    - name: "ON"
    - name: fine
    - name: GPU Pool
    - name: gpu_pool
"""
PACKAGE_VALUES = None  # the package's own values.yaml, as a user who copied it would bring it
DEFAULTS = "# nothing but the chart's defaults\n"
HARMONY_DISABLED = """\
harmony:
  enabled: false
"""
MLFLOW_DISABLED = """\
mlflow:
  enabled: false
"""

CASES = [
    Case("defaults", DEFAULTS),
    Case("chart-values-yaml-prod", PACKAGE_VALUES, "prod", "ml"),
    Case("guide-prod", GUIDE, "prod", "ml"),
    Case("names-19", NAMES, R19, "team-a"),
    Case("names-20", NAMES, R20),
    Case("replicas-28", REPLICAS, R28),
    Case("gpus-pool-29", GPUS_POOL, R29, "ml"),
    Case("gpus-harmony-zero-40", GPUS_HARMONY_ZERO, R40),
    Case("gpus-harmony-null-adaptive", GPUS_HARMONY_NULL, ADAPTIVE_SHORT, "team-a"),
    Case("resources-gpu-adaptive-29", RESOURCES_GPU, ADAPTIVE_29),
    Case("resources-no-gpu", RESOURCES_NO_GPU, "prod"),
    Case("harmony-limits-only", HARMONY_LIMITS_ONLY),
    Case("node-selector", NODE_SELECTOR, "prod", "ml"),
    Case("node-selector-two", NODE_SELECTOR_TWO),
    Case("tolerations-capabilities", TOLERATIONS_CAPABILITIES, "prod"),
    Case("require-gpu-pool", REQUIRE_GPU_POOL),
    Case("require-gpu-harmony", REQUIRE_GPU_HARMONY, "prod"),
    Case("yaml-names-and-collision", YAML_NAMES),
    Case("harmony-disabled-29", HARMONY_DISABLED, R29),
    Case("mlflow-disabled-29", MLFLOW_DISABLED, R29),
]

_POOL = ThreadPoolExecutor(max_workers=min(4, (os.cpu_count() or 2) * 2))


def _text(case: Case, version: str) -> str:
    if case.values is None:
        return _package_values_yaml(version)
    return case.values + SECRETS


def _package_values_yaml(version: str) -> str:
    with tarfile.open(fileobj=io.BytesIO(packages.shipped(version).data), mode="r:gz") as archive:
        member = archive.extractfile("adaptive/values.yaml")
        assert member is not None
        return member.read().decode("utf-8")


# -- what Helm rendered, read back ---------------------------------------------------------


def _pod_spec(obj: KubeObject) -> dict[str, Any]:
    return ((obj.body.get("spec") or {}).get("template") or {}).get("spec") or {}


def _harmony_container(obj: KubeObject) -> dict[str, Any]:
    containers = _pod_spec(obj).get("containers") or []
    return next(c for c in containers if c.get("name") == "harmony")


def _env(container: dict[str, Any]) -> dict[str, Any]:
    return {e["name"]: e.get("value") for e in container.get("env") or [] if "valueFrom" not in e}


def _without_gpu(resources: dict[str, Any]) -> dict[str, Any]:
    return {
        side: ({k: v for k, v in value.items() if k != GPU} if isinstance(value, dict) else value)
        for side, value in resources.items()
    }


def _gpus(resources: dict[str, Any]) -> tuple[int, int]:
    """(GPUs in limits, GPUs in requests); 0 where the chart requests none."""
    limits = resources.get("limits") or {}
    requests = resources.get("requests") or {}
    return int(limits.get(GPU, 0)), int(requests.get(GPU, 0))


def _critical_for(findings: list[Finding], pool: PoolPreview, codes: set[str] | None = None) -> list[Finding]:
    return [
        f
        for f in findings
        if f.severity == "critical"
        and (codes is None or f.code in codes)
        and f.object == f"StatefulSet/{pool.statefulset}"
    ]


def _compare_pool(
    pool: PoolPreview, sts: KubeObject, rendered: Rendered, findings: list[Finding], namespace: str
) -> list[str]:
    """Field by field: the rules' preview of one pool against its rendered StatefulSet."""
    out: list[str] = []

    def same(field: str, rules: Any, helm: Any) -> None:
        if rules != helm:
            out.append(f"pool {pool.name!r} {field}: rules {rules!r}, Helm {helm!r}")

    spec = sts.body.get("spec") or {}
    container = _harmony_container(sts)
    env = _env(container)
    resources = container.get("resources") or {}
    service = spec.get("serviceName")
    replicas = spec.get("replicas")
    pods = [f"{sts.name}-{i}" for i in range(max(replicas, 0))]

    same("StatefulSet", pool.statefulset, sts.name)
    same("headless Service", pool.headless_service, service)
    if rendered.find("Service", str(service)) is None:
        out.append(f"pool {pool.name!r}: no Service named {service!r} is rendered")
    same("replicas", pool.replicas, replicas)
    same("pods", pool.pods, pods)
    same("DNS names", pool.dns_names, [names.dns_name(p, str(service), namespace) for p in pods])
    same("MASTER_ADDR", pool.master_addr, env.get("MASTER_ADDR"))
    same("GROUP_CAPABILITIES", pool.capabilities, env.get("GROUP_CAPABILITIES"))
    same("GPU_COUNT", pool.gpu_count_env, env.get("GPU_COUNT"))
    limits_gpu, requests_gpu = _gpus(resources)
    same("GPUs per replica", pool.gpus_per_replica, limits_gpu)
    same("GPUs requested per replica", pool.gpus_per_replica, requests_gpu)
    same("GPUs in total", pool.gpus_total, limits_gpu * max(replicas, 0))
    same("resources", pool.resources, _without_gpu(resources))
    same("nodeSelector", pool.node_selector or {}, _pod_spec(sts).get("nodeSelector") or {})
    same("tolerations", pool.tolerations or [], _pod_spec(sts).get("tolerations") or [])
    # Values that Helm renders as something other than text are refused by the API server:
    # the rules must say so (critical), and show the text as written.
    for field, rules, helm in (
        ("GROUP", pool.group, env.get("GROUP")),
        ("PARTITION_KEY", pool.partition_key, env.get("PARTITION_KEY")),
        ("pool label", pool.pool_key, sts.labels.get(POOL_LABEL)),
    ):
        if isinstance(helm, str):
            same(field, rules, helm)
        elif not _critical_for(findings, pool, {"invalid-name"}):
            out.append(
                f"pool {pool.name!r} {field}: Helm renders {helm!r} (not text, the API server refuses it) "
                "and the rules give no critical invalid-name"
            )
    return out


def _compare(case: Case, version: str) -> list[str]:
    """Every disagreement between the rules and Helm for one case at one chart version."""
    text = _text(case, version)
    rendered = render(packages.shipped(version), text, release=case.release, namespace=case.namespace)
    data = load_document(text.encode())[0].data
    pools, findings = preview_pools(
        copy.deepcopy(data), release=case.release, namespace=case.namespace, chart_version=version
    )
    out: list[str] = []
    if not rendered.ok or (rendered.placeholders and case.values is not None):
        return [f"the render is not clean: {rendered.status} {rendered.refusal}"]

    # Pools whose StatefulSet the rules say is not a valid manifest.
    statefulsets = [
        o
        for o in rendered.of_kind("StatefulSet")
        if o.labels.get(COMPONENT_LABEL) == "harmony" and POOL_LABEL in o.labels
    ]
    broken = [b for b in rendered.broken if b.template.endswith("/harmony-statefulset.yaml")]
    other_broken = [b for b in rendered.broken if b not in broken]
    if other_broken:
        out.append(f"documents Helm cannot read outside the StatefulSets: {other_broken}")
    predicted = [p for p in pools if _critical_for(findings, p, BREAKS_STATEFULSET)]
    if len(predicted) != len(broken):
        out.append(
            f"{len(broken)} pool StatefulSet document(s) are not valid YAML "
            f"({'; '.join(b.message for b in broken)}), the rules flag "
            f"{[p.name for p in predicted]}"
        )
    expected = [p for p in pools if p not in predicted]
    if len(expected) != len(statefulsets):
        out.append(
            f"rules preview {[p.statefulset for p in expected]}, Helm renders "
            f"{[o.name for o in statefulsets]}"
        )
    for pool, sts in zip(expected, statefulsets, strict=False):
        out += _compare_pool(pool, sts, rendered, findings, case.namespace)

    # Two rendered objects of one kind and name: the rules must have said so.
    counts = Counter((o.kind, o.name) for o in rendered.objects)
    duplicates = sorted(key for key, n in counts.items() if n > 1)
    pool_names = {p.statefulset for p in pools} | {p.headless_service for p in pools}
    across_components = [d for d in duplicates if d[1] not in pool_names]
    shared = {
        (kind, name): len(owners) for kind, name, owners in release_collisions(data, case.release, version)
    }
    findings_about_release = [f for f in findings if f.code == "name-collision" and f.path == "release"]
    rendered_shared = {key: counts[key] for key in across_components}
    if rendered_shared != shared:
        out.append(f"Helm renders duplicate objects {rendered_shared}; the rules predict {shared}")
    if bool(shared) != bool(findings_about_release) or (
        findings_about_release and findings_about_release[0].severity != "critical"
    ):
        out.append(f"the rules' release name-collision findings: {findings_about_release}")
    pool_duplicates = [d for d in duplicates if d[1] in pool_names]
    pool_collisions = [f for f in findings if f.code == "name-collision" and f.path != "release"]
    if bool(pool_duplicates) != bool(pool_collisions):
        out.append(f"pool duplicates {pool_duplicates}, rules' pool collisions {pool_collisions}")
    return out


@pytest.fixture(scope="module", autouse=True)
def _charts_loaded() -> None:
    list(_POOL.map(lambda v: load(packages.shipped(v)), VERSIONS))


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_rules_agree_with_helm(case: Case) -> None:
    results = list(_POOL.map(lambda v: (v, _compare(case, v)), VERSIONS))
    by_line: dict[str, list[str]] = {}
    for version, lines in results:
        for line in lines:
            by_line.setdefault(line, []).append(version)
    assert not by_line, "\n".join(f"{_ranges(versions)}: {line}" for line, versions in by_line.items())


def _ranges(versions: list[str]) -> str:
    """`0.24.0-0.36.1, 0.38.0`: runs of consecutive shipped versions."""
    runs: list[list[str]] = []
    for version in versions:
        if runs and VERSIONS.index(version) == VERSIONS.index(runs[-1][-1]) + 1:
            runs[-1].append(version)
        else:
            runs.append([version])
    return ", ".join(r[0] if len(r) == 1 else f"{r[0]}-{r[-1]}" for r in runs)


def test_the_range_is_every_shipped_version() -> None:
    assert VERSIONS[0] == "0.24.0" and VERSIONS[-1] == "0.48.2"
    assert len(VERSIONS) == len(set(VERSIONS)) > 40
