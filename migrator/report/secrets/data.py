"""Masking plain data (a value found at a path), by the key names along the path and by content."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from migrator.report.secrets.content import _apply, secret_spans
from migrator.report.secrets.names import (
    IDENT,
    MASK,
    NORMAL_CTX,
    PLAIN,
    REF_CTX,
    SECRET,
    SECRET_CTX,
    WEAK,
    _child_ctx,
    _is_secret_flag,
    _kind_of,
    _masks_whole,
    key_kind,
)
from migrator.yaml.paths import parse_field_path


def _state_of(path: Iterable[Any]) -> tuple[str, str]:
    """(context, kind) at the end of a key path."""
    ctx, kind = NORMAL_CTX, PLAIN
    selector: str | None = None
    for part in path:
        if isinstance(part, tuple):  # [name=X]: a list entry picked by its name
            selector = str(part[1]) if part[0] in ("name", "key") else None
            continue
        if isinstance(part, str):
            kind = key_kind(selector) if part == "value" and selector is not None else key_kind(part)
            ctx = _child_ctx(ctx, kind)
        selector = None
    return ctx, kind


def is_secret_path(path: str | tuple) -> bool:
    """Whether a text value at this key path is masked whole, from the path alone.

    A path cannot tell what the value is: URL credentials, tokens and keys found
    by content, booleans and numbers under `secrets:` are decided by `mask_data`
    and `mask_yaml_text`, which see the values.
    """
    parts = parse_field_path(path) if isinstance(path, str) else list(path)
    ctx, kind = _state_of(parts)
    if ctx == REF_CTX:
        return False
    return kind in (SECRET, WEAK) or (ctx == SECRET_CTX and kind == PLAIN)


def _env_name(mapping: dict) -> str | None:
    if "value" not in mapping:
        return None
    for carrier in ("name", "key"):
        name = mapping.get(carrier)
        if isinstance(name, str) and name:
            return name
    return None


def mask_data(value: Any, path: tuple | str = ()) -> Any:
    """A copy of `value` (found at `path`) with its secrets masked, by the rules of the module docstring."""
    parts = parse_field_path(path) if isinstance(path, str) else list(path)
    ctx, kind = _state_of(parts)
    found: set[str] = set()
    shown: list[tuple[Any, Any, str]] = []  # (container, key, original) of texts not masked whole
    holder = [value]
    stack: list[tuple[Any, Any, Any, str, str]] = [(value, holder, 0, ctx, kind)]
    while stack:
        item, container, slot, ctx, kind = stack.pop()
        if isinstance(item, dict):
            copy: dict = {}
            container[slot] = copy
            env = _env_name(item)
            for key, sub in item.items():
                sub_kind = key_kind(env) if key == "value" and env is not None else _kind_of(key)
                copy[key] = None
                stack.append((sub, copy, key, _child_ctx(ctx, sub_kind), sub_kind))
        elif isinstance(item, list):
            copy_list: list = [None] * len(item)
            container[slot] = copy_list
            after_flag = False
            for i, sub in enumerate(item):
                sub_kind = SECRET if after_flag else kind
                sub_ctx = _child_ctx(ctx, SECRET) if after_flag else ctx
                stack.append((sub, copy_list, i, sub_ctx, sub_kind))
                after_flag = _is_secret_flag(sub)
        elif _masks_whole(kind, ctx, item):
            container[slot] = MASK
            if isinstance(item, str) and kind in (SECRET, WEAK):
                found.add(item)
        elif isinstance(item, str):
            spans = secret_spans(item, entropy=kind != IDENT)
            container[slot] = _apply(item, spans) if spans else item
            found.update(item[a:b] for a, b in spans)
            shown.append((container, slot, item))
        else:
            container[slot] = item
    _mask_equal(shown, found)
    return holder[0]


def _mask_equal(shown: list[tuple[Any, Any, str]], found: set[str]) -> None:
    """Mask texts equal to a secret found elsewhere (a username that is the password, an anchor's alias).

    `found` holds what a key name or the content said was secret, not what was masked only for
    being in doubt under a secret section.
    """
    found = {s for s in found if len(s) >= 4}
    if not found:
        return
    for container, slot, original in shown:
        if original in found:
            container[slot] = MASK
