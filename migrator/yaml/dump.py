"""Values the engine holds as data, written as YAML text for showing (never parsed here).

The faces show nested values (a pool's resources, a field of a rendered object) as YAML;
they import this, not a YAML library, so that no face can parse a user's text.
"""

from __future__ import annotations

import json
from typing import Any

import yaml


def _plain(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)


def block_yaml(value: Any) -> str:
    """A value as block YAML (a scalar as itself: text as is, others as JSON)."""
    if value is None:
        return "null"
    if isinstance(value, str | int | float | bool):
        return _plain(value)
    if value in ({}, []):
        return json.dumps(value)
    return yaml.safe_dump(value, default_flow_style=False, sort_keys=False, allow_unicode=True).rstrip("\n")


def flow_yaml(value: Any) -> str:
    """A value on one line, in YAML's flow style (`{limits: {cpu: 1}}`)."""
    if isinstance(value, str | int | float | bool) or value is None:
        return block_yaml(value)
    return yaml.safe_dump(
        value, default_flow_style=True, sort_keys=False, allow_unicode=True, width=10**6
    ).strip()


__all__ = ["block_yaml", "flow_yaml"]
