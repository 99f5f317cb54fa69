"""Would the API server accept these objects? Schema, names, labels and duplicates, offline.

The schemas are the Kubernetes OpenAPI schemas that PyPI `kubernetes-validate` ships (read
from its data, compiled once per kind and kept); the name and label rules are the API
server's own validation, which the schemas do not express (see `migrator.chart.names`).
Objects of kinds the schemas do not know (custom resources of subcharts) are not
schema-checked; their names and labels still are.
"""

from __future__ import annotations

import importlib.util
import json
import pathlib
import re
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

from migrator.chart import names
from migrator.chart.render import KubeObject

# The oldest Kubernetes the newest chart supports (Chart.yaml kubeVersion ">=1.28.0-0").
KUBE_VERSION = "1.28.0"
# Pods of a StatefulSet carry the label `controller-revision-hash: <name>-<10 characters>`,
# which must be a valid label value (63 at most): longer StatefulSet names get no pods.
STATEFULSET_NAME_MAX = 52
_SERVICE_KINDS = {"Service"}
_LABEL_KEY = re.compile(r"^([a-z0-9]([-a-z0-9.]*[a-z0-9])?/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$")
_lock = threading.Lock()


@dataclass(frozen=True)
class ObjectProblem:
    """One reason the API server would reject a rendered object (the install or upgrade fails)."""

    kind: str
    name: str
    template: str
    field: str  # e.g. `spec.template.spec.containers[0].env[3].value`
    message: str


@cache
def _schema_dir() -> pathlib.Path:
    # The package's data only: importing kubernetes_validate itself would pull in jsonschema (~0.3 s).
    spec = importlib.util.find_spec("kubernetes_validate")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("kubernetes-validate is not installed (see requirements.txt)")
    root = pathlib.Path(next(iter(spec.submodule_search_locations)))
    return root / "kubernetes-json-schema" / f"v{KUBE_VERSION}-local"


@cache
def _definitions() -> dict[str, Any]:
    return json.loads(_schema_dir().joinpath("_definitions.json").read_text())["$defs"]


# A compiled check: (value, path) -> the problems found, as (path, message) pairs.
Check = Callable[[Any, tuple], list[tuple[tuple, str]]]
_compiled: dict[str, Check] = {}
_validators: dict[tuple[str, str], Check | None] = {}
_TYPES: dict[str, Callable[[Any], bool]] = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: (
        (isinstance(v, int) and not isinstance(v, bool)) or (isinstance(v, float) and v.is_integer())
    ),
    "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
}


def _compile(schema: dict[str, Any]) -> Check:
    """A fast check for the subset of JSON Schema the Kubernetes OpenAPI schemas use.

    Keywords: $ref, type, properties, additionalProperties, items, required, enum, oneOf (read as
    anyOf: both of Kubernetes' oneOf schemas, IntOrString and Quantity, also allow null, which a
    strict oneOf would refuse while the API server accepts it). Formats are not checked.
    """
    ref = schema.get("$ref")
    if ref is not None:
        name = ref.rsplit("/", 1)[-1]
        if name not in _compiled:
            cell: list[Check] = []
            _compiled[name] = lambda value, path: cell[0](value, path)  # recursion-safe forward
            cell.append(_compile(_definitions()[name]))
            _compiled[name] = cell[0]
        return _compiled[name]
    checks: list[Check] = []
    types = schema.get("type")
    if types is not None:
        allowed = [types] if isinstance(types, str) else list(types)
        tests = [_TYPES[t] for t in allowed if t in _TYPES]
        words = " or ".join(t for t in allowed if t != "null")

        def check_type(value: Any, path: tuple) -> list[tuple[tuple, str]]:
            if any(test(value) for test in tests):
                return []
            return [(path, f"must be {words}, but the chart rendered {_word(value)}")]

        checks.append(check_type)
    if "enum" in schema:
        options = schema["enum"]
        checks.append(
            lambda v, p: (
                [] if v in options or v is None else [(p, f"must be one of {', '.join(map(str, options))}")]
            )
        )
    if "oneOf" in schema:
        branches = [_compile(b) for b in schema["oneOf"]]
        checks.append(lambda v, p: [] if any(not b(v, p) for b in branches) else branches[0](v, p))
    props = {k: _compile(v) for k, v in (schema.get("properties") or {}).items()}
    required = tuple(schema.get("required") or ())
    extra = schema.get("additionalProperties")
    extra_check = _compile(extra) if isinstance(extra, dict) else None
    if props or required or extra is not None:

        def check_object(value: Any, path: tuple) -> list[tuple[tuple, str]]:
            if not isinstance(value, dict):
                return []
            out: list[tuple[tuple, str]] = []
            for key in required:
                if key not in value:
                    out.append((path, f"is missing the required field `{key}`"))
            for key, item in value.items():
                sub = props.get(key)
                if sub is not None:
                    out += sub(item, (*path, key))
                elif extra_check is not None:
                    out += extra_check(item, (*path, key))
                elif extra is False:
                    out.append(((*path, key), "is not a field of this object"))
            return out

        checks.append(check_object)
    if isinstance(schema.get("items"), dict):
        item_check = _compile(schema["items"])

        def check_items(value: Any, path: tuple) -> list[tuple[tuple, str]]:
            if not isinstance(value, list):
                return []
            out: list[tuple[tuple, str]] = []
            for index, item in enumerate(value):
                out += item_check(item, (*path, index))
            return out

        checks.append(check_items)

    def run(value: Any, path: tuple) -> list[tuple[tuple, str]]:
        out: list[tuple[tuple, str]] = []
        for check in checks:
            found = check(value, path)
            if found:
                out += found
                if check is checks[0] and types is not None:
                    break  # the wrong type: nothing below it is worth checking
        return out

    return run


def _word(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"a boolean ({str(value).lower()})"
    if isinstance(value, int | float):
        return f"a number ({value})"
    if isinstance(value, str):
        return "text"
    return "a mapping" if isinstance(value, dict) else "a list"


def _validator(kind: str, api_version: str) -> Check | None:
    """The compiled schema for a kind and API version, or None when no schema knows it."""
    group = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", api_version)
    key = (kind, group)
    with _lock:
        if key in _validators:
            return _validators[key]
        try:
            schema = json.loads(_schema_dir().joinpath(f"{kind.lower()}-{group}.json").read_text())
        except (FileNotFoundError, OSError):
            validator = None
        else:
            validator = _compile(schema)
        _validators[key] = validator
        return validator


def _field(path: Any) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(object)"


def check(objects: list[KubeObject]) -> list[ObjectProblem]:
    """Every problem the API server would refuse, in object order."""
    problems: list[ObjectProblem] = []
    seen = Counter((o.kind, o.namespace or "", o.name) for o in objects)
    reported: set[tuple[str, str, str]] = set()
    for obj in objects:
        identity = (obj.kind, obj.namespace or "", obj.name)
        if seen[identity] > 1 and identity not in reported:
            reported.add(identity)
            problems.append(
                ObjectProblem(
                    obj.kind,
                    obj.name,
                    obj.template,
                    "metadata.name",
                    f"{seen[identity]} objects of kind {obj.kind} are named {obj.name!r}: Kubernetes keeps "
                    "one object per name, so the install fails (or one silently replaces the other).",
                )
            )
        problems += _schema_problems(obj)
        problems += _name_problems(obj)
        problems += _label_problems(obj)
    return problems


def _schema_problems(obj: KubeObject) -> list[ObjectProblem]:
    validator = _validator(obj.kind, obj.api_version)
    if validator is None:
        return []
    found = [(path, message) for path, message in validator(obj.body, ()) if not _label_path(path)]
    return [ObjectProblem(obj.kind, obj.name, obj.template, _field(p), m) for p, m in found[:5]]


def _label_path(path: tuple) -> bool:
    """Label maps are checked by `_label_problems`, with the label rules in words."""
    return any(part in ("labels", "matchLabels") for part in path) or path[:2] == ("spec", "selector")


def _name_problems(obj: KubeObject) -> list[ObjectProblem]:
    name = obj.name
    if obj.kind in _SERVICE_KINDS:
        rules = names.dns1035_label(name)
    elif obj.kind in ("Namespace",):
        rules = names.dns1123_label(name)
    else:
        rules = names.dns1123_subdomain(name)
    out = [ObjectProblem(obj.kind, name, obj.template, "metadata.name", rule) for rule in rules]
    if obj.kind == "StatefulSet" and len(name) > STATEFULSET_NAME_MAX:
        out.append(
            ObjectProblem(
                obj.kind,
                name,
                obj.template,
                "metadata.name",
                f"a StatefulSet name must be at most {STATEFULSET_NAME_MAX} characters (this one has "
                f"{len(name)}): its pods' `controller-revision-hash` label adds 11, past the 63 a label "
                "allows, so no pod is ever created",
            )
        )
    if obj.kind == "StatefulSet":
        replicas = (obj.body.get("spec") or {}).get("replicas")
        last = f"{name}-{max((replicas if isinstance(replicas, int) else 1) - 1, 0)}"
        out += [
            ObjectProblem(obj.kind, name, obj.template, "metadata.name", f"pod {last!r}: {rule}")
            for rule in names.dns1123_label(last)
            if "at most" in rule
        ]
    return out


def _label_maps(body: dict[str, Any]) -> list[tuple[str, Any]]:
    maps = [("metadata.labels", (body.get("metadata") or {}).get("labels"))]
    spec = body.get("spec")
    if isinstance(spec, dict):
        selector = spec.get("selector")
        if isinstance(selector, dict) and obj_is_workload(body):
            maps.append(("spec.selector.matchLabels", selector.get("matchLabels")))
        elif isinstance(selector, dict) and body.get("kind") == "Service":
            maps.append(("spec.selector", selector))
        template = spec.get("template")
        if isinstance(template, dict):
            maps.append(("spec.template.metadata.labels", (template.get("metadata") or {}).get("labels")))
    return maps


def obj_is_workload(body: dict[str, Any]) -> bool:
    return body.get("kind") in ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job")


def _label_problems(obj: KubeObject) -> list[ObjectProblem]:
    out = []
    for where, labels in _label_maps(obj.body):
        if not isinstance(labels, dict):
            continue
        for key, value in labels.items():
            if not isinstance(key, str) or not _LABEL_KEY.match(key) or len(key.rsplit("/", 1)[-1]) > 63:
                out.append(
                    ObjectProblem(obj.kind, obj.name, obj.template, where, f"label key {key!r} is invalid")
                )
                continue
            if not isinstance(value, str):
                out.append(
                    ObjectProblem(
                        obj.kind,
                        obj.name,
                        obj.template,
                        f"{where}[{key!r}]",
                        f"the label value renders as {type(value).__name__} ({value!r}), not text: the API "
                        "server rejects it (a value such as `on`, `yes` or `2024` needs quotes)",
                    )
                )
                continue
            out += [
                ObjectProblem(obj.kind, obj.name, obj.template, f"{where}[{key!r}]", rule)
                for rule in names.label_value(value)
            ]
    return out
