"""A JSON Schema of the `adaptive` chart's values, per chart version, from the key catalogue.

    values_schema(version) -> dict          # JSON Schema draft 2020-12
    values_schema_json(version) -> str      # the same as text, for a chart's values.schema.json
    validate(data, version) -> list[str]    # messages; needs `jsonschema` (imported on call)
    values_schema(version, allow=("myApp",))  # also accept the user's own top-level keys

What the schema says, from `migrator.chart.catalogue`:
- every map whose keys the chart names is `additionalProperties: false`: an unknown key
  (a typo, a key of another version) fails validation, at any depth and inside list items
  such as `harmony.computePools[]` (whose `name` is required);
- free-form maps (annotations, labels, env maps, resources, tolerations, ...), subcharts'
  values (`minio`, `prometheus`, ...) and `global` are open;
- each value has the type the catalogue gives it (from the chart's default, or from how the
  templates use it), and may always be `null` (in Helm a user's null deletes the default);
- keys the chart reads only to refuse them (`harmony.group` from 0.24.0) accept only empty
  values (null, "", 0, false, [], {}), which is what the chart's `fail` guard lets through;
- descriptions are the chart's own comments; scalar defaults are given as `default`;
- from 0.45.0 `extraObjects` items are templates of the user's, which may read keys of their
  own (`{{ .Values.myApp.host }}`): `validate` accepts the top-level keys the file's own
  templates read, and `values_schema(version, allow=(...))` does the same for a schema
  written into a chart (the chart's own schema cannot know them).

Helm checks a chart's `values.schema.json` against the merged values on install, upgrade,
lint and template. The text `values_schema_json` returns declares `$schema` 2020-12 by
default; `draft="07"` gives the same schema declared as draft-07 (it uses no keyword whose
meaning differs between the two), for a Helm that knows only draft-07
(see tests/test_schema.py for what the bundled Helm accepts).
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from migrator.chart import catalogue
from migrator.chart.catalogue import ITEM
from migrator.yaml.paths import TOP_LEVEL

DRAFTS = {
    "2020-12": "https://json-schema.org/draft/2020-12/schema",
    "07": "http://json-schema.org/draft-07/schema#",
}

# Item keys a list's items must have, where the chart cannot work without them.
# harmony.computePools[].name: every pool's StatefulSet, Service, GROUP and PARTITION_KEY are
# built from it (an item without one renders names ending in "-"); the same for 0.23's
# harmony.computePool[] (its Deployment's name).
REQUIRED_ITEM_KEYS: dict[tuple, tuple[str, ...]] = {
    ("harmony", "computePools"): ("name",),
    ("harmony", "computePool"): ("name",),
}

_TYPES: dict[str, list[str] | None] = {
    "string": ["string"],
    "integer": ["integer"],
    "number": ["number"],
    "boolean": ["boolean"],
    "object": ["object"],
    "array": ["array"],
    "collection": ["object", "array"],
    "scalar": ["string", "number", "boolean"],
    "any": None,
}
EMPTY_VALUES: list[Any] = [None, "", 0, False, [], {}]


def _node(path: tuple, version: str) -> dict[str, Any]:
    info = catalogue.key_info(path, version)
    schema: dict[str, Any] = {}
    if info is None:  # not reached: callers walk the catalogue's own keys
        return schema
    if info.description:
        schema["description"] = info.description
    if info.refused:
        schema["description"] = (schema.get("description", "") + " " if "description" in schema else "") + (
            f"Refused by the chart when set: {info.refused}"
        )
        schema["enum"] = EMPTY_VALUES
        return schema
    types = _TYPES.get(info.type)
    kids = catalogue.children(path, version)
    if kids and info.free_form is None:
        types = ["array"] if kids == [ITEM] else ["object"]
    if types is not None:
        schema["type"] = [*types, "null"]
    if info.has_default and not isinstance(info.default, (dict, list)):
        schema["default"] = info.default
    if info.free_form is not None or not kids:
        return schema  # open: anything the user puts under it is accepted
    if kids == [ITEM]:
        schema["items"] = _item(path, version)
        return schema
    props = {name: _node((*path, name), version) for name in kids if name != ITEM}
    schema["properties"] = props
    schema["additionalProperties"] = False
    return schema


def _item(path: tuple, version: str) -> dict[str, Any]:
    item_path = (*path, ITEM)
    schema = _node(item_path, version)
    schema.pop("description", None)
    required = [k for k in REQUIRED_ITEM_KEYS.get(path, ()) if k in catalogue.children(item_path, version)]
    if required and "properties" in schema:
        schema["required"] = required
    return schema


@cache
def _schema(version: str) -> str:
    top = catalogue.children((), version)
    props = {name: _node((name,), version) for name in top}
    props.setdefault("global", {"type": ["object", "null"]})
    schema = {
        "$schema": DRAFTS["2020-12"],
        "title": f"Values of the adaptive chart {version}",
        "description": (
            "Generated from the chart's values.yaml and templates by the values upgrade assistant "
            "(migrator.chart.schema): keys the chart does not read are refused."
        ),
        "type": "object",
        "properties": props,
        "additionalProperties": False,
    }
    return json.dumps(schema, sort_keys=False)


def values_schema(version: str, *, allow: tuple[str, ...] = ()) -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of the chart's values at `version` (a fresh copy).

    `allow`: top-level keys of the user's own to accept as they are (keys their templates in
    `extraObjects` read: `catalogue.template_reads`).
    """
    schema = json.loads(_schema(version))
    for key in allow:
        schema["properties"].setdefault(key, {"description": "read by the user's own templates"})
    return schema


def values_schema_json(
    version: str, *, draft: str = "2020-12", indent: int | None = 2, allow: tuple[str, ...] = ()
) -> str:
    """The schema as text for a chart's `values.schema.json`, declared as `draft` (2020-12 or 07)."""
    if draft not in DRAFTS:
        raise ValueError(f"draft must be one of {', '.join(DRAFTS)}")
    schema = values_schema(version, allow=allow)
    schema["$schema"] = DRAFTS[draft]
    return json.dumps(schema, indent=indent, ensure_ascii=False) + "\n"


def validate(data: Any, version: str) -> list[str]:
    """Every way `data` breaks the schema of `version`, as `path: message` lines (empty: valid)."""
    from jsonschema import Draft202012Validator  # lazily: only callers that validate pay for it

    allow = tuple(sorted({path[0] for path in catalogue.template_reads(data, version)}))
    validator = Draft202012Validator(values_schema(version, allow=allow))
    out = []
    for error in sorted(validator.iter_errors(data), key=lambda e: [str(p) for p in e.absolute_path]):
        where = catalogue.dotted(tuple(error.absolute_path)) or TOP_LEVEL
        out.append(f"{where}: {error.message}")
    return out
