"""The pool preview: each compute pool as the chart will render it, and what is wrong with it.

Works on plain Python data (the user's values after migration). It reproduces what Helm
and the chart's templates (templates/harmony-statefulset.yaml) do, including what users
trip over:
- Helm merges the user's values over the chart's defaults (maps deep-merged, lists
  replaced wholesale, a user `null` deletes the key); the defaults are the package's own,
  per chart version (defaults.py);
- each pool key is `pool.X | default harmony.X`, and Sprig's `default` treats 0, "", [],
  {}, false and null as unset (CHART.md "How a pool inherits");
- the template writes `resources.limits` and `resources.requests` and then the GPU request
  under each: a side that is missing renders `null` and the GPU line after it, which is not
  YAML (the StatefulSet cannot be installed);
- from chart 0.37 `requireGpu` (the pool's own key when it has one, even `null`; otherwise
  harmony's) turns the GPU request and the `nvidia.com/gpu` toleration off;
- values written unquoted (the pool label always, GROUP and PARTITION_KEY before 0.38.3)
  are read back as YAML 1.1: a pool named `on` or `2024` gives a boolean or a number.

tests/test_preview_render.py checks every field against Helm's render of every shipped
chart from 0.24.0 to 0.48.2.
"""

from __future__ import annotations

import copy
import decimal
import re
from typing import Any

from migrator.chart import facts
from migrator.chart import names as chart
from migrator.chart.defaults import (
    chart_default,
    default_capabilities,
    harmony_defaults,
    known_capabilities,
)
from migrator.report.model import NAMESPACE, RELEASE, Finding, PoolPreview, type_word
from migrator.versions import Version
from migrator.yaml.parse import resolve_plain
from migrator.yaml.paths import Path

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
GPU_RESOURCE = "nvidia.com/gpu"

SOURCE_POOL = "pool"
SOURCE_HARMONY = "harmony"
SOURCE_CHART = "chart default"

FULLNAME_CUT = 30  # `adaptive.fullname` and every `adaptive.<component>.fullname`


_SOURCE_WORDS = {
    SOURCE_POOL: "set in this pool",
    SOURCE_HARMONY: "from the file's harmony section",
    SOURCE_CHART: "the chart's default",
}


def _from(sources: dict[str, str], key: str) -> str:
    """Where a pool's value comes from, in words."""
    return _SOURCE_WORDS.get(sources.get(key, ""), sources.get(key, ""))


def _written(value: Any) -> str:
    """An empty value as it is written in YAML (empty values hold no secret)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f"{value!r}" if value else '""'
    return go_print(value) if isinstance(value, int | float) else type_word(value)


# -- Helm, Sprig and Go semantics ------------------------------------------------
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


def merged_value(user: Any, default: Any, path: tuple[str, ...]) -> Any:
    """`path` in the user's values merged over `default` (the chart's value at `path[0]`), as
    `helm_merge` would give it, without merging everything: a user `null` deletes, a user value
    replaces a default that is not a mapping, mappings are looked into key by key."""
    missing = object()
    for depth, key in enumerate(path):
        found = user.get(key, missing) if isinstance(user, dict) else missing
        if found is None:
            return None
        if depth:
            default = default.get(key) if isinstance(default, dict) else None
        if found is missing:
            user = missing
            continue
        if not isinstance(found, dict):
            return found if depth == len(path) - 1 else None  # a scalar has no keys to look into
        user = found
    if user is missing:
        return default
    return helm_merge(default, user) if isinstance(default, dict) else user


def _path(prefix: Path, *parts: str | int) -> Path:
    """("harmony", "computePools", 1, "replicas"): a path prefix plus keys and list indexes."""
    return (*prefix, *parts)


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


_GO_INT = re.compile(r"^[+-]?(?:0[xX][0-9a-fA-F_]+|0[oO][0-7_]+|0[bB][01_]+|0[0-7_]*|[1-9][0-9_]*)$")


def sprig_int(value: Any) -> int | None:
    """Sprig's `int` (spf13/cast ToInt); None where cast fails (the template then gets 0).

    Numbers are truncated; text is Go's `ParseInt(s, 0, 0)` after dropping a `.0` tail, so
    "010" is octal 8, "0x3" is 3, "2.0" is 2, while "2.5", " 3" and "abc" fail.
    """
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if value == value and abs(value) != float("inf") else None
    if isinstance(value, str):
        text = re.sub(r"\.0+$", "", value) if re.search(r"\d\.0+$", value) else value
        if not _GO_INT.match(text) or "__" in text or text.endswith("_"):
            return None
        sign = -1 if text.startswith("-") else 1
        body = text.lstrip("+-").replace("_", "")
        if body[:2].lower() in ("0x", "0o", "0b"):
            return sign * int(body[2:], {"x": 16, "o": 8, "b": 2}[body[1].lower()])
        if len(body) > 1 and body.startswith("0"):
            return sign * int(body, 8)
        return sign * int(body)
    return None


def go_print(value: Any) -> str:
    """How Go's template engine prints a value: Helm's numbers are float64 (`1e+06`), maps `map[..]`."""
    if value is None:
        return "<no value>"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return _go_float(float(value))
    if isinstance(value, list):
        return "[" + " ".join(go_print(v) for v in value) + "]"
    if isinstance(value, dict):
        return "map[" + " ".join(f"{k}:{go_print(value[k])}" for k in sorted(value, key=str)) + "]"
    return str(value)


def _go_float(number: float) -> str:
    """Go's `%v` of a float64: the shortest digits, in exponent form from 1e+06 or below 1e-04."""
    if number != number:
        return "NaN"
    if number in (float("inf"), float("-inf")):
        return "+Inf" if number > 0 else "-Inf"
    if number == 0:
        return "0"
    sign, digits, exponent = decimal.Decimal(repr(number)).normalize().as_tuple()
    text = "".join(map(str, digits))
    point = len(text) + int(exponent)  # digits before the decimal point
    exp = point - 1
    minus = "-" if sign else ""
    if exp < -4 or exp >= 6:
        mantissa = text[0] + ("." + text[1:] if len(text) > 1 else "")
        return f"{minus}{mantissa}e{'-' if exp < 0 else '+'}{abs(exp):02d}"
    if point <= 0:
        return f"{minus}0.{'0' * -point}{text}"
    if point >= len(text):
        return minus + text + "0" * (point - len(text))
    return f"{minus}{text[:point]}.{text[point:]}"


def _as_text(value: Any) -> str:
    """A scalar as the template prints it, so names from odd YAML still preview ("" for none)."""
    return "" if value is None else go_print(value)


def _not_text_when_unquoted(text: str) -> Any:
    """What `value: <text>` reads back as, when not text (a YAML 1.1 boolean, number or null)."""
    value = resolve_plain(text)
    return None if isinstance(value, str) else (value if value is not None else "null")


def _one_line_yaml(value: Any) -> bool:
    """Whether `toYaml value` is a single line (a mapping of one plain scalar, or empty)."""
    if not isinstance(value, dict):
        return not isinstance(value, list) or len(value) <= 1
    if len(value) > 1:
        return False
    return all(
        not (isinstance(v, dict | list) and v) and not (isinstance(v, str) and "\n" in v)
        for v in value.values()
    )


# -- checks ----------------------------------------------------------------------
def _check_release(release: str, namespace: str) -> list[Finding]:
    findings: list[Finding] = []
    rules = chart.helm_release_name(release)
    if rules:
        findings.append(
            Finding(
                "invalid-name",
                "critical",
                RELEASE,
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
                NAMESPACE,
                f"Namespace {namespace!r} is not a valid Kubernetes namespace name ({'; '.join(rules)}): "
                "nothing can be installed into it.",
            )
        )
    return findings


_COMPONENT_WORDS = {
    "controlplane": "the control plane",
    "sandkasten": "sandkasten",
    "harmony": "harmony",
    "mlflow": "mlflow",
}


def release_collisions(
    values: dict[str, Any], release: str, chart_version: str
) -> list[tuple[str, str, tuple[str, ...]]]:
    """Objects of one kind and name that two components of the chart both render.

    Each `(kind, name, components)`. They exist only for release names whose fullname is cut
    to 29 or 30 characters: then `<fullname>-<component>`, cut at 30 again, is the fullname
    itself for every component (templates/_helpers.tpl). The objects are those the templates
    name after a component's fullname, when the values render them.
    """
    components = ("controlplane", "sandkasten", "harmony", "mlflow")
    fullnames = {c: chart.component_fullname(release, c) for c in components}
    if len(set(fullnames.values())) == len(components):
        return []
    version = Version(chart_version).parts
    user = values if isinstance(values, dict) else {}

    def value(*path: Path) -> Any:
        return merged_value(user, chart_default(chart_version, path[0]), path)

    mlflow_on = not is_empty(value("mlflow", "enabled")) and is_empty(value("mlflow", "external", "enabled"))
    harmony_on = not is_empty(value("harmony", "enabled"))
    objects: list[tuple[str, str, str]] = [
        ("Deployment", fullnames["controlplane"], "controlplane"),
        ("Service", fullnames["controlplane"], "controlplane"),
        ("Deployment", fullnames["sandkasten"], "sandkasten"),
        ("Service", _cut63(fullnames["sandkasten"] + "-svc"), "sandkasten"),
    ]
    if mlflow_on:
        kind = "StatefulSet" if facts.MLFLOW_STATEFULSET.holds(version) else "Deployment"
        objects += [
            (kind, fullnames["mlflow"], "mlflow"),
            ("Service", _cut63(fullnames["mlflow"] + "-svc"), "mlflow"),
        ]
    if is_empty(value("secrets", "existingControlPlaneSecret")):
        objects.append(("Secret", _cut63(fullnames["controlplane"] + "-secret"), "controlplane"))
    if is_empty(value("secrets", "existingHarmonySecret")):  # rendered even with harmony disabled
        objects.append(("Secret", _cut63(fullnames["harmony"] + "-secret"), "harmony"))
    if facts.SERVICE_ACCOUNTS.holds(version):
        for key, component, enabled in (
            ("controlPlane", "controlplane", True),
            ("harmony", "harmony", harmony_on),
            ("sandkasten", "sandkasten", True),
        ):
            if enabled and not is_empty(value(key, "serviceAccount", "create")):
                name = value(key, "serviceAccount", "name")
                objects.append(
                    (
                        "ServiceAccount",
                        chart.service_account_name(
                            release,
                            component,
                            chart_version=version,
                            name=name if isinstance(name, str) else None,
                        ),
                        component,
                    )
                )
    by_key: dict[tuple[str, str], list[str]] = {}
    for kind, name, component in objects:
        by_key.setdefault((kind, name), []).append(component)
    return [(kind, name, tuple(owners)) for (kind, name), owners in by_key.items() if len(owners) > 1]


def _and(words: Any) -> str:
    words = list(words)
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def _cut63(text: str) -> str:
    """`trunc 63 | trimSuffix "-"`, as the templates cut the names made from a fullname."""
    return text[:63].removesuffix("-")


def _release_collision_findings(values: dict[str, Any], release: str, chart_version: str) -> list[Finding]:
    shared = release_collisions(values, release, chart_version)
    if not shared:
        return []
    full = chart.fullname(release)
    contains = chart.CHART_NAME in release
    how = (
        f"it contains {chart.CHART_NAME!r}, so the chart's fullname is the release name cut to "
        f"{FULLNAME_CUT} characters"
        if contains
        else f"without {chart.CHART_NAME!r} in it, the chart's fullname is `<release>-{chart.CHART_NAME}` "
        f"cut to {FULLNAME_CUT} characters"
    )
    objects = "; ".join(
        f"{kind} {name!r} ({_and(_COMPONENT_WORDS[c] for c in owners)})" for kind, name, owners in shared
    )
    longest = FULLNAME_CUT - 2  # a fullname of 28 keeps "-" and one letter of each component
    advice = (
        f"Choose a release name of at most {longest} characters."
        if contains
        else f"Choose a release name of at most {longest - len(chart.CHART_NAME) - 1} characters, or one "
        f"with {chart.CHART_NAME!r} in it (used as it is) of at most {longest}."
    )
    return [
        Finding(
            "name-collision",
            "critical",
            RELEASE,
            f"Release name {release!r} ({len(release)} characters): {how}, which gives {full!r} "
            f"({len(full)} characters). Each component is named `<fullname>-<component>` cut to "
            f"{FULLNAME_CUT} characters again, which leaves nothing of the component, so the control "
            f"plane, sandkasten, harmony and mlflow are all named {full!r}, and the chart renders two "
            f"objects of the same kind and name: {objects}. The API server keeps one object per name, so "
            f"the install fails. {advice}",
        )
    ]


def _name_findings(path: Path, name: str, sts: str, svc: str, key: str, replicas: int) -> list[Finding]:
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
                    object=f"StatefulSet/{sts}",
                )
            )
    return findings


def _unquoted_name_findings(
    path: Path, name: str, key: str, sts: str, version: tuple[int, ...]
) -> list[Finding]:
    """The pool label (always) and GROUP / PARTITION_KEY (before 0.38.3) are written unquoted."""
    places: list[str] = []
    label = _not_text_when_unquoted(key)
    if label is not None:
        places.append(f"the label `app.kubernetes.io/pool: {key}` (every chart version)")
    if not facts.QUOTED_GROUP.holds(version):
        if _not_text_when_unquoted(name) is not None:
            places.append(f"GROUP (`value: {name}`, unquoted before chart {facts.QUOTED_GROUP.since})")
        if _not_text_when_unquoted(key) is not None:
            places.append(f"PARTITION_KEY (`value: {key}`, unquoted before chart {facts.QUOTED_GROUP.since})")
    if not places:
        return []
    read_as = _not_text_when_unquoted(key) if label is not None else _not_text_when_unquoted(name)
    return [
        Finding(
            "invalid-name",
            "critical",
            _path(path, "name"),
            f"Pool {name!r}: the chart writes {' and '.join(places)} without quotes, so YAML reads "
            f"{type_word(read_as)} instead of text. Labels and environment values must be text: the API "
            "server rejects the objects and the install fails. Choose a pool name that is not a YAML "
            "boolean, number or null (such as `on`, `yes`, `2024`).",
            object=f"StatefulSet/{sts}",
        )
    ]


def _capability_findings(path: Path, name: str, raw: Any, chart_version: str) -> tuple[str, list[Finding]]:
    """The effective GROUP_CAPABILITIES string and what is wrong with the pool's own value."""
    findings: list[Finding] = []
    if is_empty(raw):
        return default_capabilities(chart_version), findings
    if isinstance(raw, str):
        text = raw
    else:
        # Go prints a list as "[A B]": the workers would get one garbled token.
        text = go_print(raw)
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
                f"JOB only exists from chart {facts.JOB_CAPABILITY.since}; "
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
    deprecated = sorted(t for t in tokens if t in facts.DEPRECATED_CAPABILITIES and facts.JOB in known)
    if deprecated:
        findings.append(
            Finding(
                "deprecated-capability",
                "info",
                _path(path, "capabilities"),
                f"Pool {name!r} uses {', '.join(deprecated)}, deprecated from chart "
                f"{facts.JOB_CAPABILITY.since} in favour of JOB.",
            )
        )
    return text, findings


# -- the preview -------------------------------------------------------------------
def preview_pools(
    values: dict[str, Any],
    *,
    release: str = "adaptive",
    namespace: str = "default",
    chart_version: str = str(facts.COMPUTE_POOLS_GUIDE.since),
) -> tuple[list[PoolPreview], list[Finding]]:
    """Render each compute pool of migrated values as chart `chart_version` would.

    Returns the pools in file order and the findings about them (plus the
    release and namespace name checks, and the names the chart's components share
    for long release names). Values still in the old layout
    (replicaCount/group/partitionKey without computePools) give no pools.
    Raises ValueError for a `chart_version` that is not a version.
    """
    findings = _check_release(release, namespace)
    version = Version(chart_version).parts
    if not isinstance(values, dict):
        return [], findings
    if not chart.helm_release_name(release):
        findings += _release_collision_findings(values, release, chart_version)
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
                ("harmony", "enabled"),
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
                ("harmony", "computePools"),
                f"harmony.computePools is {found}: with harmony enabled the chart refuses to render "
                "without a list of at least one pool, so the install or upgrade fails.",
            )
        )
        return [], findings

    previews: list[PoolPreview] = []
    pool_findings: list[list[Finding]] = []
    for index, pool in enumerate(pools_raw):
        path = ("harmony", "computePools", index)
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
            pool, path, harmony, user_h, pools_from_user, release, namespace, chart_version, version
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
    path: Path,
    harmony: dict[str, Any],
    user_h: dict[str, Any],
    pools_from_user: bool,
    release: str,
    namespace: str,
    chart_version: str,
    version: tuple[int, int, int],
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

    replicas = _replicas(pool, path, name, pool_source, sources, findings)

    # An invalid release name breaks every generated name; it is reported once, as `release`.
    if isinstance(raw_name, str) and raw_name and not chart.helm_release_name(release):
        findings.extend(_name_findings(path, name, sts, svc, key, replicas))
        findings.extend(_unquoted_name_findings(path, name, key, sts, version))

    effective: dict[str, Any] = {}
    for field_name in INHERITED_KEYS:
        own_value = pool.get(field_name)
        inherited = harmony.get(field_name)
        if not is_empty(own_value):
            effective[field_name] = own_value
            sources[field_name] = pool_source
            continue
        effective[field_name] = inherited
        # A user `null` at the harmony level deletes the chart's default: that is the file's doing.
        sources[field_name] = SOURCE_HARMONY if field_name in user_h else SOURCE_CHART
        if field_name in pool and not is_empty(inherited):
            findings.append(
                Finding(
                    "empty-override-ignored",
                    "warning",
                    _path(path, field_name),
                    f"Pool {name!r} sets {field_name} to an empty value ({type_word(own_value)}), "
                    f"probably to clear it, but the chart treats empty as unset and uses the harmony-level "
                    f"{field_name} instead ({_from(sources, field_name)}). "
                    "Set it at the harmony level, "
                    "or give the pool a non-empty value.",
                )
            )

    require_gpu, gpu_findings = _require_gpu(
        pool, path, name, harmony, user_h, pool_source, chart_version, version, sources
    )
    findings.extend(gpu_findings)
    gpus_value = effective["gpusPerReplica"]
    gpu_count_env = "1" if is_empty(gpus_value) else go_print(gpus_value)  # `gpusPerReplica | default 1`
    gpus = _as_int(gpus_value, 1) if require_gpu and not is_empty(gpus_value) else 0
    gpu_path = _source_path(path, "gpusPerReplica", sources)
    if not require_gpu:
        sources["gpusPerReplica"] = sources["requireGpu"]
        findings.append(
            Finding(
                "gpu-not-required",
                "info",
                _source_path(path, "requireGpu", sources),
                f"Pool {name!r} has requireGpu false ({_from(sources, 'requireGpu')}): chart {chart_version} "
                f"requests no {GPU_RESOURCE} and leaves out the {GPU_RESOURCE} toleration, but still "
                f'tells the workers GPU_COUNT="{gpu_count_env}" (`gpusPerReplica | default 1`).',
            )
        )
    elif is_empty(gpus_value):
        findings.append(
            Finding(
                "no-gpu-requested",
                "warning",
                gpu_path,
                f"Pool {name!r} requests no GPU: its gpusPerReplica is {_written(gpus_value)} "
                f"({_from(sources, 'gpusPerReplica')}), and the chart adds `{GPU_RESOURCE}` to the pods' "
                'resources only for a value that is not empty. Yet it still tells the workers GPU_COUNT="1" '
                "(`gpusPerReplica | default 1`), so they expect a GPU the pod does not get. Set "
                "gpusPerReplica to the GPUs each replica needs"
                + (
                    ", or requireGpu: false for a pool without GPUs."
                    if facts.REQUIRE_GPU.holds(version)
                    else "."
                ),
            )
        )

    resources = _rendered_resources(effective["resources"])
    findings.extend(_resource_findings(path, name, sts, pool, harmony, resources, gpus, sources, version))

    node_selector = effective["nodeSelector"]
    if (
        not facts.NODE_SELECTOR_TOYAML.holds(version)
        and not is_empty(node_selector)
        and not _one_line_yaml(node_selector)
    ):
        findings.append(
            Finding(
                "node-selector-invalid-yaml",
                "critical",
                _source_path(path, "nodeSelector", sources),
                f"Pool {name!r} gets a nodeSelector ({_from(sources, 'nodeSelector')}) that takes more than "
                f"one line of YAML. Before chart {facts.NODE_SELECTOR_TOYAML.since} the template indents "
                "only the first line of it, so a nodeSelector of more than one label (or a nested one) is "
                f"not valid YAML: the StatefulSet {sts!r} cannot be read and the install fails. Keep one "
                f"label at chart {chart_version}, or upgrade to {facts.NODE_SELECTOR_TOYAML.since} "
                "or later.",
                object=f"StatefulSet/{sts}",
            )
        )

    tolerations = effective["tolerations"]
    if not require_gpu and isinstance(tolerations, list):
        # `range $tolerations` keeping those whose `.key` is not the GPU resource.
        tolerations = [t for t in tolerations if not (isinstance(t, dict) and t.get("key") == GPU_RESOURCE)]

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
        resources=resources,
        node_selector=node_selector,
        tolerations=tolerations,
        sources=sources,
        gpu_count_env=gpu_count_env,
    )
    return preview, findings


def _source_path(path: Path, key: str, sources: dict[str, str]) -> str:
    """Where a pool's effective `key` is written: the pool's own key, or the harmony level's."""
    return _path(path, key) if sources.get(key) == SOURCE_POOL else ("harmony", key)


def _replicas(
    pool: dict[str, Any],
    path: Path,
    name: str,
    pool_source: str,
    sources: dict[str, str],
    findings: list[Finding],
) -> int:
    """`replicas: {{ $pool.replicas | default 1 | int }}`."""
    raw = pool.get("replicas")
    if is_empty(raw):
        sources["replicas"] = SOURCE_CHART
        if "replicas" in pool:
            written = "null" if raw is None else "false" if raw is False else '""' if raw == "" else "0"
            findings.append(
                Finding(
                    "replicas-zero",
                    "warning",
                    _path(path, "replicas"),
                    f"Pool {name!r} sets replicas: {written}, but the chart treats that as unset "
                    "(`replicas | default 1`) and deploys ONE replica. To run no pods at all, set "
                    "`harmony.enabled: false` (the chart refuses an empty list of pools).",
                )
            )
        return 1
    sources["replicas"] = pool_source
    replicas = sprig_int(raw)
    if replicas is None:
        findings.append(
            Finding(
                "replicas-zero",
                "warning",
                _path(path, "replicas"),
                f"Pool {name!r} sets replicas to {type_word(raw)} that is not a whole number; the chart's "
                "`int` turns it into 0, so the StatefulSet runs no pods. Write the number of replicas.",
            )
        )
        return 0
    return replicas


def _require_gpu(
    pool: dict[str, Any],
    path: Path,
    name: str,
    harmony: dict[str, Any],
    user_h: dict[str, Any],
    pool_source: str,
    chart_version: str,
    version: tuple[int, int, int],
    sources: dict[str, str],
) -> tuple[bool, list[Finding]]:
    """`ternary $pool.requireGpu harmony.requireGpu (hasKey $pool "requireGpu")`, from 0.37.0.

    The one pool key without `default`: a pool's own `false` (or even `null`) counts.
    """
    if "requireGpu" in pool:
        raw = pool["requireGpu"]
        sources["requireGpu"] = pool_source
    else:
        raw = harmony.get("requireGpu")
        sources["requireGpu"] = SOURCE_HARMONY if "requireGpu" in user_h else SOURCE_CHART
    if facts.REQUIRE_GPU.holds(version):
        return not is_empty(raw), []
    if is_empty(raw) and ("requireGpu" in pool or "requireGpu" in user_h):
        return True, [
            Finding(
                "require-gpu-ignored",
                "warning",
                _source_path(path, "requireGpu", sources),
                f"Pool {name!r} has requireGpu false ({_from(sources, 'requireGpu')}), but the chart reads "
                f"requireGpu only from {facts.REQUIRE_GPU.since}: chart {chart_version} still requests "
                f"the GPUs and keeps the {GPU_RESOURCE} toleration, so the pods wait for GPU nodes.",
            )
        ]
    return True, []


def _rendered_resources(resources: Any) -> dict[str, Any]:
    """The container's resources as the template writes them (without the GPU request).

    The template renders `limits:` and `requests:` from `resources.limits` and
    `resources.requests` (`toYaml`, so a missing side is `null`) and nothing else of the map.
    """
    if not isinstance(resources, dict):
        return {"limits": None, "requests": None}
    return {"limits": resources.get("limits"), "requests": resources.get("requests")}


def _resource_findings(
    path: Path,
    name: str,
    sts: str,
    pool: dict[str, Any],
    harmony: dict[str, Any],
    resources: dict[str, Any],
    gpus: int,
    sources: dict[str, str],
    version: tuple[int, int, int],
) -> list[Finding]:
    """A side of the resources that is missing: an invalid manifest with GPUs, a dropped default without."""
    where = _source_path(path, "resources", sources)
    missing = [
        side for side in ("requests", "limits") if not (isinstance(resources[side], dict) and resources[side])
    ]
    if not missing:
        return []
    source = _from(sources, "resources")
    if gpus:
        sides = " and ".join(f"`{side}`" for side in missing)
        rendered = "; ".join(
            f"`{side}: {'{}' if isinstance(resources[side], dict) else 'null'}` followed by "
            f"`{GPU_RESOURCE}: {gpus}`"
            for side in missing
        )
        code = "requests-dropped" if "requests" in missing else "limits-dropped"
        hint = (
            " (or requireGpu: false, from chart 0.37, if it needs no GPU)"
            if facts.REQUIRE_GPU.holds(version)
            else ""
        )
        return [
            Finding(
                code,
                "critical",
                where,
                f"Pool {name!r} requests {gpus} GPU(s) per replica, but its resources ({source}) have no "
                f"{sides}. The chart writes each of `limits` and `requests` with the GPU request under it, "
                f"so it renders {rendered}: not valid YAML. The StatefulSet {sts!r} cannot be read and the "
                "install or upgrade fails. A pool's resources replace the harmony-level resources "
                f"wholesale (no merge with the defaults), so give them both limits and requests{hint}.",
                object=f"StatefulSet/{sts}",
            )
        ]
    # No GPU: the manifest is valid. Say what a pool override dropped from the defaults.
    own = pool.get("resources")
    defaults = harmony.get("resources")
    if sources["resources"] != SOURCE_POOL or not isinstance(own, dict) or not isinstance(defaults, dict):
        return []
    findings = []
    for side in missing:
        dropped = defaults.get(side)
        if is_empty(dropped):
            continue
        listed = ", ".join(str(k) for k in dropped) if isinstance(dropped, dict) else "all"
        effect = (
            "Kubernetes then sets each request equal to its limit"
            if side == "requests"
            else "the pods run without limits"
        )
        findings.append(
            Finding(
                f"{side}-dropped",
                "warning",
                where,
                f"Pool {name!r} sets resources without {side}. A pool's resources replace the harmony-level "
                f"resources wholesale, so the default {side} ({listed}) are dropped and the chart renders "
                f"`{side}: null`: {effect}. Add {side} to the pool if you meant to keep them.",
                object=f"StatefulSet/{sts}",
            )
        )
    return findings


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
                    ("harmony", "computePools", indexes[position], "name"),
                    message,
                )
            )
            if "name-collision" not in previews[first].problems:
                previews[first].problems.append("name-collision")
