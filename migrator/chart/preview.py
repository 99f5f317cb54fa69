"""The pool preview: each compute pool as the chart will render it, and what is wrong with it.

Works on plain Python data (the user's values after migration). It reproduces
two things Helm and the chart do that users trip over:
- Helm merges the user's values over the chart's defaults (maps deep-merged,
  lists replaced wholesale, a user `null` deletes the key);
- each pool key is `pool.X | default harmony.X`, and Sprig's `default` treats
  0, "", [], {}, false and null as unset (CHART.md "How a pool inherits").
"""

from __future__ import annotations

import copy
from typing import Any

from migrator.chart import names as chart
from migrator.chart.defaults import (
    DEPRECATED_CAPABILITIES,
    JOB_CAPABILITY_SINCE,
    default_capabilities,
    harmony_defaults,
    known_capabilities,
)
from migrator.report import Finding, PoolPreview, type_word
from migrator.yamldoc import format_path

# Keys a pool inherits from the harmony level with `pool.X | default harmony.X`.
INHERITED_KEYS = (
    "resources",
    "gpusPerReplica",
    "nodeSelector",
    "tolerations",
    "podAnnotations",
    "podLabels",
    "extraEnvVars",
    "shmSize",
)
LEGACY_KEYS = ("replicaCount", "group", "partitionKey")

SOURCE_POOL = "pool"
SOURCE_HARMONY = "harmony"
SOURCE_CHART = "chart default"


# -- Helm and Sprig semantics --------------------------------------------------
def is_empty(value: Any) -> bool:
    """Sprig's `empty`: what `default` treats as unset (null, false, 0, "", [], {})."""
    if value is None or value is False:
        return True
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value == 0
    if isinstance(value, str | list | dict | tuple):
        return len(value) == 0
    return False


def helm_merge(defaults: dict[str, Any], user: dict[str, Any]) -> dict[str, Any]:
    """Helm's coalescing of user values over chart defaults (a new dict; inputs untouched).

    Maps merge key by key; lists and scalars from the user replace the default
    wholesale; a user `null` on a key the defaults have deletes it. When one
    side is a map and the other is not, the user's value wins (Helm warns).
    """
    merged: dict[str, Any] = copy.deepcopy(user)
    for key, default in defaults.items():
        if key not in merged:
            merged[key] = copy.deepcopy(default)
        elif merged[key] is None:
            del merged[key]
        elif isinstance(default, dict) and isinstance(merged[key], dict):
            merged[key] = helm_merge(default, merged[key])
    return merged


def _path(prefix: str, *parts: str | int) -> str:
    """`harmony.computePools[1].replicas`: a path prefix plus keys and list indexes."""
    return format_path(parts, prefix)


def _as_int(value: Any, fallback: int) -> int:
    """A count as Helm renders it: ints, whole floats and digit strings; otherwise the fallback."""
    if isinstance(value, bool):
        return fallback
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return fallback


def _as_text(value: Any) -> str:
    """How Go's template engine prints a scalar, so names from odd YAML still preview."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


# -- checks ----------------------------------------------------------------------
def _check_release(release: str, namespace: str) -> list[Finding]:
    findings: list[Finding] = []
    rules = chart.helm_release_name(release)
    if rules:
        findings.append(
            Finding(
                "invalid-name",
                "critical",
                "release",
                f"Release name {release!r} is not a valid Helm release name ({'; '.join(rules)}): "
                "helm install and helm upgrade refuse it. Every generated name starts with it, so "
                "pool names are only checked once the release name is valid.",
            )
        )
    rules = chart.dns1123_label(namespace)
    if rules:
        findings.append(
            Finding(
                "invalid-name",
                "critical",
                "namespace",
                f"Namespace {namespace!r} is not a valid Kubernetes namespace name ({'; '.join(rules)}): "
                "nothing can be installed into it.",
            )
        )
    return findings


def _name_findings(path: str, name: str, sts: str, svc: str, key: str, replicas: int) -> list[Finding]:
    """One finding per generated name that breaks a Kubernetes rule."""
    last_pod = f"{sts}-{max(replicas - 1, 0)}"  # the longest pod name
    checks = [
        ("StatefulSet", sts, chart.dns1123_subdomain(sts)),
        ("headless Service", svc, chart.dns1035_label(svc)),
        ("pod", last_pod, chart.dns1123_label(last_pod)),
        ("`app.kubernetes.io/pool` label value", key, chart.label_value(key)),
    ]
    findings = []
    for kind, generated, rules in checks:
        if rules:
            findings.append(
                Finding(
                    "invalid-name",
                    "critical",
                    _path(path, "name"),
                    f"Pool {name!r} gives the {kind} name {generated!r}, which breaks the "
                    f"{'; '.join(rules)}. Kubernetes rejects it, so the install or upgrade fails; "
                    "choose a shorter pool name of lowercase letters, digits and '-'.",
                )
            )
    return findings


def _capability_findings(path: str, name: str, raw: Any, chart_version: str) -> tuple[str, list[Finding]]:
    """The effective GROUP_CAPABILITIES string and what is wrong with the pool's own value."""
    findings: list[Finding] = []
    if is_empty(raw):
        return default_capabilities(chart_version), findings
    if isinstance(raw, str):
        text = raw
    else:
        # Go prints a list as "[A B]": the workers would get one garbled token.
        text = "[" + " ".join(_as_text(v) for v in raw) + "]" if isinstance(raw, list) else _as_text(raw)
        findings.append(
            Finding(
                "unknown-capability",
                "warning",
                _path(path, "capabilities"),
                f'Pool {name!r}: capabilities must be comma-separated text such as "JOB,INFERENCE"; '
                f"found {type_word(raw)}, which the chart passes on unreadable to the workers.",
            )
        )
        return text, findings
    known = known_capabilities(chart_version)
    tokens = [token.strip() for token in text.split(",") if token.strip()]
    for token in tokens:
        if token in known:
            continue
        if token == "JOB":
            why = (
                f"JOB only exists from chart {'.'.join(map(str, JOB_CAPABILITY_SINCE))}; "
                f"at chart {chart_version} the workers do not know it"
            )
        else:
            why = f"it is not one of {', '.join(sorted(known))} (chart {chart_version})"
        findings.append(
            Finding(
                "unknown-capability",
                "warning",
                _path(path, "capabilities"),
                f"Pool {name!r} asks for capability {token!r}: {why}, so the pool will not take that work.",
            )
        )
    deprecated = sorted(t for t in tokens if t in DEPRECATED_CAPABILITIES and "JOB" in known)
    if deprecated:
        findings.append(
            Finding(
                "deprecated-capability",
                "info",
                _path(path, "capabilities"),
                f"Pool {name!r} uses {', '.join(deprecated)}, deprecated from chart 0.38.3 in favour of JOB.",
            )
        )
    return text, findings


# -- the preview -------------------------------------------------------------------
def preview_pools(
    values: dict[str, Any],
    *,
    release: str = "adaptive",
    namespace: str = "default",
    chart_version: str = "0.25.0",
) -> tuple[list[PoolPreview], list[Finding]]:
    """Render each compute pool of migrated values as chart `chart_version` would.

    Returns the pools in file order and the findings about them (plus the
    release and namespace name checks). Values still in the old layout
    (replicaCount/group/partitionKey without computePools) give no pools.
    Raises ValueError for a `chart_version` that is not a version.
    """
    findings = _check_release(release, namespace)
    if not isinstance(values, dict):
        return [], findings
    defaults = harmony_defaults(chart_version)
    if "harmony" not in values:
        user_h: dict[str, Any] = {}
        harmony = defaults
    elif values["harmony"] is None:
        user_h, harmony = {}, {}  # a user null deletes the whole section: nothing renders
    elif isinstance(values["harmony"], dict):
        user_h = values["harmony"]
        harmony = helm_merge(defaults, user_h)
    else:
        return [], findings  # not a mapping: the chart cannot render; models.validate_values says why

    if is_empty(harmony.get("enabled")):
        findings.append(
            Finding(
                "harmony-disabled",
                "info",
                "harmony.enabled",
                "Harmony is disabled: the chart creates no compute pools (no StatefulSets, no GPU workers).",
            )
        )
        return [], findings
    if "computePools" not in user_h and any(user_h.get(k) is not None for k in LEGACY_KEYS):
        return [], findings  # old layout: only migrated values are previewed

    pools_raw = harmony.get("computePools")
    pools_from_user = "computePools" in user_h
    if not isinstance(pools_raw, list) or not pools_raw:
        found = "missing" if pools_raw is None else ("empty" if pools_raw == [] else type_word(pools_raw))
        code = "no-compute-pools" if pools_raw is None or pools_raw == [] else "invalid-pool"
        findings.append(
            Finding(
                code,
                "critical",
                "harmony.computePools",
                f"harmony.computePools is {found}: with harmony enabled the chart refuses to render "
                "without a list of at least one pool, so the install or upgrade fails.",
            )
        )
        return [], findings

    previews: list[PoolPreview] = []
    pool_findings: list[list[Finding]] = []
    for index, pool in enumerate(pools_raw):
        path = _path("harmony", "computePools", index)
        if not isinstance(pool, dict):
            findings.append(
                Finding(
                    "invalid-pool",
                    "critical",
                    path,
                    f"This compute pool entry is {type_word(pool)}, not a mapping with a name: "
                    "the chart cannot render it.",
                )
            )
            continue
        preview, own = _preview_one(
            pool, path, harmony, user_h, pools_from_user, release, namespace, chart_version
        )
        previews.append(preview)
        pool_findings.append(own)

    _collisions(previews, pools_raw, pool_findings)
    for preview, own in zip(previews, pool_findings, strict=True):
        for finding in own:
            if finding.code not in preview.problems:
                preview.problems.append(finding.code)
        findings.extend(own)
    return previews, findings


def _preview_one(
    pool: dict[str, Any],
    path: str,
    harmony: dict[str, Any],
    user_h: dict[str, Any],
    pools_from_user: bool,
    release: str,
    namespace: str,
    chart_version: str,
) -> tuple[PoolPreview, list[Finding]]:
    findings: list[Finding] = []
    pool_source = SOURCE_POOL if pools_from_user else SOURCE_CHART
    sources: dict[str, str] = {}

    raw_name = pool.get("name")
    name = _as_text(raw_name)
    if not isinstance(raw_name, str) or not raw_name:
        if raw_name is None or raw_name == "":
            what = "has no name"
        else:
            what = f"has a name that is {type_word(raw_name)}, not text (quote it)"
        findings.append(
            Finding(
                "invalid-name",
                "critical",
                _path(path, "name"),
                f"This compute pool {what}: the name becomes GROUP, PARTITION_KEY and the StatefulSet "
                "name, and the chart cannot render a pool without a text name.",
            )
        )
    key = chart.pool_key(name)
    sts = chart.statefulset_name(release, name)
    svc = chart.headless_service_name(release, name)

    raw_replicas = pool.get("replicas")
    if is_empty(raw_replicas):
        replicas = 1
        sources["replicas"] = SOURCE_CHART
        if "replicas" in pool:
            if raw_replicas is None or raw_replicas is False:
                written = _as_text(raw_replicas) or "null"
            else:
                written = '""' if raw_replicas == "" else "0"
            findings.append(
                Finding(
                    "replicas-zero",
                    "warning",
                    _path(path, "replicas"),
                    f"Pool {name!r} sets replicas: {written}, but the chart treats that as unset "
                    "(`replicas | default 1`) and deploys ONE replica. To run no pods, remove the pool.",
                )
            )
    else:
        replicas = _as_int(raw_replicas, 1)
        sources["replicas"] = pool_source

    # An invalid release name breaks every generated name; it is reported once, as `release`.
    if isinstance(raw_name, str) and raw_name and not chart.helm_release_name(release):
        findings.extend(_name_findings(path, name, sts, svc, key, replicas))

    effective: dict[str, Any] = {}
    for field_name in INHERITED_KEYS:
        own_value = pool.get(field_name)
        inherited = harmony.get(field_name)
        if not is_empty(own_value):
            effective[field_name] = own_value
            sources[field_name] = pool_source
            continue
        effective[field_name] = inherited
        from_file = user_h.get(field_name) is not None
        sources[field_name] = SOURCE_HARMONY if from_file else SOURCE_CHART
        if field_name in pool and not is_empty(inherited):
            findings.append(
                Finding(
                    "empty-override-ignored",
                    "warning",
                    _path(path, field_name),
                    f"Pool {name!r} sets {field_name} to an empty value ({type_word(own_value)}), "
                    f"probably to clear it, but the chart treats empty as unset and uses the harmony-level "
                    f"{field_name} instead ({sources[field_name]}). Set it at the harmony level, "
                    "or give the pool a non-empty value.",
                )
            )

    own_resources = pool.get("resources")
    default_resources = harmony.get("resources")
    if (
        isinstance(own_resources, dict)
        and not is_empty(own_resources.get("limits"))
        and is_empty(own_resources.get("requests"))
        and isinstance(default_resources, dict)
        and not is_empty(default_resources.get("requests"))
    ):
        dropped = default_resources["requests"]
        names = ", ".join(str(k) for k in dropped) if isinstance(dropped, dict) else "all"
        findings.append(
            Finding(
                "requests-dropped",
                "warning",
                _path(path, "resources"),
                f"Pool {name!r} sets resources with limits but no requests. A pool's resources replace "
                f"the harmony-level resources wholesale, so the default requests ({names}) are dropped "
                "entirely and Kubernetes sets each request equal to its limit. Add requests to the pool "
                "if you meant to keep them.",
            )
        )

    gpus_value = effective["gpusPerReplica"]
    gpus = _as_int(gpus_value, 1) if not is_empty(gpus_value) else 1
    if is_empty(gpus_value):
        sources["gpusPerReplica"] = SOURCE_CHART  # the template's own `| default 1`

    capabilities, cap_findings = _capability_findings(path, name, pool.get("capabilities"), chart_version)
    findings.extend(cap_findings)
    sources["capabilities"] = pool_source if not is_empty(pool.get("capabilities")) else SOURCE_CHART

    pods = chart.pod_names(sts, replicas)
    preview = PoolPreview(
        name=name,
        pool_key=key,
        statefulset=sts,
        headless_service=svc,
        pods=pods,
        dns_names=[chart.dns_name(pod, svc, namespace) for pod in pods],
        group=name,
        partition_key=key,
        capabilities=capabilities,
        replicas=replicas,
        gpus_per_replica=gpus,
        gpus_total=max(replicas, 0) * gpus,
        master_addr=chart.master_addr(sts, svc),
        resources=effective["resources"],
        node_selector=effective["nodeSelector"],
        tolerations=effective["tolerations"],
        sources=sources,
    )
    return preview, findings


def _collisions(
    previews: list[PoolPreview], pools_raw: list[Any], pool_findings: list[list[Finding]]
) -> None:
    """Pools whose generated StatefulSet or headless Service names coincide (one overwrites the other)."""
    indexes = [i for i, pool in enumerate(pools_raw) if isinstance(pool, dict)]
    for kind, attr in (("StatefulSet", "statefulset"), ("headless Service", "headless_service")):
        first_with: dict[str, int] = {}
        for position, preview in enumerate(previews):
            generated = getattr(preview, attr)
            if generated not in first_with:
                first_with[generated] = position
                continue
            first = first_with[generated]
            if any(f.code == "name-collision" for f in pool_findings[position]):
                continue  # already reported for the StatefulSet name
            message = (
                f"Pools {previews[first].name!r} and {preview.name!r} both produce the {kind} "
                f"{generated!r}: Kubernetes keeps one resource per name, so one pool silently replaces the "
                "other or the install fails (pool names are lowercased, spaces and '_' become '-', and "
                "names are cut to 63 characters). Rename one of them."
            )
            pool_findings[position].append(
                Finding(
                    "name-collision",
                    "critical",
                    _path("harmony", "computePools", indexes[position], "name"),
                    message,
                )
            )
            if "name-collision" not in previews[first].problems:
                previews[first].problems.append("name-collision")
