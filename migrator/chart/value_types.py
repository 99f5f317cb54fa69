"""The types of the NEW values layout (chart 0.25+), checked by a small validator of our own.

Only the parts this assistant knows are described; every other key is allowed, because the
chart has many more keys than we describe. Every known key may be null: in Helm a user
`null` just deletes the default. Numbers are strict so that `true` or `"2"` is not silently
taken as a count, and map values Kubernetes reads as strings (nodeSelector, pod labels and
annotations) must be text: an unquoted `true` or `50053` there is rejected by the API server.

The layout is data (`VALUES`, a table of `Model`, `MapOf`, `ListOf` and the scalar types),
walked once per file. The errors are gathered the way the pydantic models this replaces
reported them (a model's known keys in order, inherited keys first, then its other keys;
per map entry the key before the value), so the findings stay the same: one `invalid-value`
finding per bad key, in that order.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from migrator.report.model import Finding, type_word
from migrator.yaml.paths import describe_path

# The scalar types: strict (no coercion), each also accepting null where it is optional.
TEXT = "text"  # a string, not a number or boolean
BOOLEAN = "boolean"
COUNT = "count"  # a whole number of 0 or more, not a boolean
ANY = "any"


class MapOf(NamedTuple):
    """A mapping whose keys are text; `values`: the type of every value (ANY: anything)."""

    values: Any = ANY


class ListOf(NamedTuple):
    items: Any


class Field(NamedTuple):
    name: str
    type: Any
    required: bool = False  # absent is an error (present but null is a type error)


class Model(NamedTuple):
    """A mapping with known keys (`fields`, each optional and nullable unless required);
    any other text key is allowed."""

    name: str
    fields: tuple[Field, ...]


_POOL_SETTINGS = (  # what a pool inherits from the harmony level (`pool.X | default harmony.X`)
    Field("gpusPerReplica", COUNT),
    Field("resources", MapOf()),
    Field("nodeSelector", MapOf(TEXT)),
    Field("tolerations", ListOf(MapOf())),
    Field("podAnnotations", MapOf(TEXT)),
    Field("podLabels", MapOf(TEXT)),
    Field("extraEnvVars", MapOf()),
    Field("shmSize", TEXT),
)

# `secrets.db` (from 0.18): four strings, passed on as four environment variables.
DB_SECRETS = Model("DbSecrets", tuple(Field(k, TEXT) for k in ("username", "password", "host", "database")))
SECRETS = Model("Secrets", (Field("db", DB_SECRETS),))
# One entry of `harmony.computePools`; unset keys inherit the harmony level.
COMPUTE_POOL = Model(
    "ComputePool",
    (
        *_POOL_SETTINGS,
        Field("name", TEXT, required=True),
        Field("replicas", COUNT),
        Field("capabilities", TEXT),
    ),
)
# `harmony`: defaults every pool inherits, and the pools.
HARMONY = Model(
    "Harmony", (*_POOL_SETTINGS, Field("enabled", BOOLEAN), Field("computePools", ListOf(COMPUTE_POOL)))
)
# The top of a values file; only the sections we check are typed.
VALUES = Model("Values", (Field("secrets", SECRETS), Field("harmony", HARMONY)))

# One error: (kind, location, message); a location is the keys and indexes down to the value,
# a key that is not text or a whole number given as its text, and "[key]" last when the
# error is about a mapping's key rather than its value.
_Error = tuple[str, tuple[Any, ...], str]


def _loc_item(key: Any) -> Any:
    if isinstance(key, int):
        return int(key)  # a boolean key counts as 0 or 1
    return key if isinstance(key, str) else str(key)


def _check(value: Any, kind: Any, loc: tuple[Any, ...], errors: list[_Error]) -> None:
    """Append every error of `value` (not null) against `kind`."""
    if kind is ANY:
        return
    if kind is TEXT:
        if not isinstance(value, str):
            errors.append(("string_type", loc, "Input should be a valid string"))
    elif kind is BOOLEAN:
        if not isinstance(value, bool):
            errors.append(("bool_type", loc, "Input should be a valid boolean"))
    elif kind is COUNT:
        if not isinstance(value, int) or isinstance(value, bool):
            errors.append(("int_type", loc, "Input should be a valid integer"))
        elif value < 0:
            errors.append(("greater_than_equal", loc, "Input should be greater than or equal to 0"))
    elif isinstance(kind, Model):
        _check_model(value, kind, loc, errors)
    elif isinstance(kind, MapOf):
        if not isinstance(value, dict):
            errors.append(("dict_type", loc, "Input should be a valid dictionary"))
            return
        for key, item in value.items():
            where = (*loc, _loc_item(key))
            if not isinstance(key, str):
                errors.append(("string_type", (*where, "[key]"), "Input should be a valid string"))
            if kind.values is not ANY:
                _check(item, kind.values, where, errors)
    elif isinstance(kind, ListOf):
        if not isinstance(value, list):
            errors.append(("list_type", loc, "Input should be a valid list"))
            return
        for index, item in enumerate(value):
            _check(item, kind.items, (*loc, index), errors)
    else:  # pragma: no cover - a type the table does not know
        raise TypeError(f"unknown value type {kind!r}")


def _check_model(value: Any, model: Model, loc: tuple[Any, ...], errors: list[_Error]) -> None:
    if not isinstance(value, dict):
        errors.append(("model_type", loc, f"Input should be a valid dictionary or instance of {model.name}"))
        return
    for field in model.fields:
        if field.name not in value:
            if field.required:
                errors.append(("missing", (*loc, field.name), "Field required"))
            continue
        item = value[field.name]
        if item is None and not field.required:
            continue
        _check(item, field.type, (*loc, field.name), errors)
    for key in value:
        if not isinstance(key, str):
            errors.append(("invalid_key", (*loc, _loc_item(key)), "Keys should be strings"))


def type_errors(values: Any) -> list[_Error]:
    """Every way `values` breaks the 0.25+ layout, as (kind, location, message), in order."""
    errors: list[_Error] = []
    _check_model(values, VALUES, (), errors)
    return errors


# What each kind of error expects, in words for the user.
_EXPECTED = {
    "string_type": "text (quote it in YAML)",
    "int_type": "a whole number",
    "bool_type": "true or false",
    "dict_type": "a mapping",
    "model_type": "a mapping",
    "list_type": "a list",
    "greater_than_equal": "a whole number of 0 or more",
}


def _locate(values: Any, loc: tuple[Any, ...], missing: bool) -> tuple[list[str | int], Any]:
    """Follow an error location through the data, dropping the steps that are not keys.

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
        # otherwise a key that is not text, given as its text: not found in the data
    if missing and loc:
        path.append(loc[-1])
        current = None
    return path, current


def validate_values(values: dict[str, Any]) -> list[Finding]:
    """Type-check values against the 0.25+ layout; one `invalid-value` finding per bad key."""
    errors = type_errors(values)
    if not errors:
        return []
    # A key and its value can both be wrong: gather the errors per path.
    problems: dict[tuple, dict[str, Any]] = {}
    for kind, loc, text in errors:
        missing = kind == "missing"
        parts, found_value = _locate(values, loc, missing)
        entry = problems.setdefault(
            tuple(parts), {"expected": [], "found": found_value, "missing": missing, "key": "[key]" in loc}
        )
        expected = "present" if missing else _EXPECTED.get(kind, text.lower())
        if expected not in entry["expected"]:
            entry["expected"].append(expected)
    findings: list[Finding] = []
    for key, entry in problems.items():
        path = describe_path(key)
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
        findings.append(Finding("invalid-value", "critical", key, message))
    return findings
