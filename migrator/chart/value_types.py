"""Pydantic v2 models of the NEW values layout (chart 0.25+), for type checks only.

Only the parts this assistant knows are modelled; every other key is allowed
(`extra="allow"`), because the chart has many more keys than we describe.
Every known key may be null: in Helm a user `null` just deletes the default.
Numbers are strict so that `true` or `"2"` is not silently taken as a count,
and map values Kubernetes reads as strings (nodeSelector, pod labels and
annotations) must be text: an unquoted `true` or `50053` there is rejected by
the API server.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StrictStr, ValidationError

from migrator.report.model import Finding, type_word
from migrator.yaml.paths import format_path

Count = Annotated[StrictInt, Field(ge=0)]
StringMap = dict[StrictStr, StrictStr]


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class DbSecrets(_Open):
    """`secrets.db` (from 0.18): four strings, passed on as four environment variables."""

    username: StrictStr | None = None
    password: StrictStr | None = None
    host: StrictStr | None = None
    database: StrictStr | None = None


class Secrets(_Open):
    db: DbSecrets | None = None


class _PoolSettings(_Open):
    """The settings a pool inherits from the harmony level (`pool.X | default harmony.X`)."""

    gpusPerReplica: Count | None = None
    resources: dict[str, Any] | None = None
    nodeSelector: StringMap | None = None
    tolerations: list[dict[str, Any]] | None = None
    podAnnotations: StringMap | None = None
    podLabels: StringMap | None = None
    extraEnvVars: dict[str, Any] | None = None
    shmSize: StrictStr | None = None


class ComputePool(_PoolSettings):
    """One entry of `harmony.computePools`; unset keys inherit the harmony level."""

    name: StrictStr
    replicas: Count | None = None
    capabilities: StrictStr | None = None


class Harmony(_PoolSettings):
    """`harmony`: defaults every pool inherits, and the pools."""

    enabled: StrictBool | None = None
    computePools: list[ComputePool] | None = None


class Values(_Open):
    """The top of a values file; only the sections we check are typed."""

    secrets: Secrets | None = None
    harmony: Harmony | None = None


# What each pydantic error type expects, in words for the user.
_EXPECTED = {
    "string_type": "text (quote it in YAML)",
    "int_type": "a whole number",
    "bool_type": "true or false",
    "dict_type": "a mapping",
    "model_type": "a mapping",
    "model_attributes_type": "a mapping",
    "list_type": "a list",
    "greater_than_equal": "a whole number of 0 or more",
}


def _format_path(parts: list[str | int]) -> str:
    return format_path(tuple(parts)) or "(top level)"


def _locate(values: Any, loc: tuple[Any, ...], missing: bool) -> tuple[list[str | int], Any]:
    """Follow an error location through the data, dropping pydantic's tags that are not keys.

    Returns the real path and the value found there. For a missing key the
    last step of the location is the key itself.
    """
    steps = loc[:-1] if missing and loc else loc
    current = values
    path: list[str | int] = []
    for step in steps:
        if (isinstance(current, dict) and step in current) or (
            isinstance(current, list) and isinstance(step, int) and 0 <= step < len(current)
        ):
            current = current[step]
            path.append(step)
        elif step == "[key]" and path:
            current = path[-1]  # the error is about the mapping key itself, not its value
        # otherwise a union branch name or similar tag: not part of the data
    if missing and loc:
        path.append(loc[-1])
        current = None
    return path, current


def validate_values(values: dict[str, Any]) -> list[Finding]:
    """Type-check values against the 0.25+ layout; one `invalid-value` finding per bad key."""
    try:
        Values.model_validate(values)
    except ValidationError as error:
        errors = error.errors(include_input=False, include_url=False)
    else:
        return []
    # A union can report several errors for one key: gather them per path.
    problems: dict[str, dict[str, Any]] = {}
    for err in errors:
        loc = tuple(err["loc"])
        missing = err["type"] == "missing"
        parts, found_value = _locate(values, loc, missing)
        path = _format_path(parts)
        entry = problems.setdefault(
            path, {"expected": [], "found": found_value, "missing": missing, "key": "[key]" in loc}
        )
        expected = "present" if missing else _EXPECTED.get(err["type"], err["msg"].lower())
        if expected not in entry["expected"]:
            entry["expected"].append(expected)
    findings: list[Finding] = []
    for path, entry in problems.items():
        if entry["missing"]:
            message = f"{path} is missing but required."
            if path.endswith(".name"):
                message = (
                    f"{path} is missing: every compute pool needs a name (it becomes GROUP and the "
                    "StatefulSet name), and the chart cannot render a pool without one."
                )
        else:
            what = f"The key {path}" if entry["key"] else path
            message = (
                f"{what} must be {' or '.join(entry['expected'])}; found {type_word(entry['found'])}. "
                "The chart or Kubernetes rejects it, or reads it differently than you meant."
            )
        findings.append(Finding("invalid-value", "critical", path, message))
    return findings
