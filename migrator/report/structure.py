"""The structural diff of two parsed documents: the moved, added, dropped and changed paths.

`structural_changes(old, new)` matches list entries that carry a unique ``name``
(compute pools) by name, not by position. It compares data the engine already
parsed; `views` calls it once per analysis.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right, insort
from collections.abc import Callable
from typing import Any

from migrator.report.secrets import MASK

# A guard for aliases that expand a small text into a huge tree.
MAX_LEAVES = 200_000


class TooLarge(ValueError):
    """The documents have more leaves than a structural diff is worth computing for."""


def _is_named_list(value: Any) -> bool:
    """A list whose entries are all mappings with distinct string `name`s."""
    if not isinstance(value, list) or not value:
        return False
    names = []
    for item in value:
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            return False
        names.append(item["name"])
    return len(set(names)) == len(names)


def _child(path: str, key: Any) -> str:
    key = str(key)
    simple = key.replace("_", "").replace("-", "").isalnum()
    return (f"{path}.{key}" if path else key) if simple else f"{path}[{key!r}]"


def _leaves(value: Any, path: str, out: dict[str, Any]) -> None:
    """Flatten to {path: leaf}; empty containers are leaves; named lists keyed by name."""
    if isinstance(value, dict) and value:
        for key, sub in value.items():
            _leaves(sub, _child(path, key), out)
    elif _is_named_list(value):
        for item in value:
            _leaves(item, f"{path}[name={item['name']}]", out)
    elif isinstance(value, list) and value:
        for i, item in enumerate(value):
            _leaves(item, f"{path}[{i}]", out)
    else:
        if len(out) >= MAX_LEAVES:
            raise TooLarge(f"more than {MAX_LEAVES} values: no structural diff")
        out[path] = value


def _same(a: Any, b: Any) -> bool:
    # 1 == True in Python; YAML distinguishes them.
    return type(a) is type(b) and a == b


def _hashable(value: Any) -> Any:
    if isinstance(value, dict | list):
        return (type(value).__name__, repr(value))
    return (type(value).__name__, value)


def structural_changes(
    old: Any,
    new: Any,
    *,
    is_secret: Callable[[str], bool] | None = None,
    mask: str = MASK,
) -> list[dict[str, Any]]:
    """Moved, added, dropped and changed paths between two parsed documents.

    Each entry is ``{"kind": ..., "path": ...}`` plus ``"from"`` (for moves),
    ``"old"`` and/or ``"new"`` values. Lists of mappings with unique names (the
    compute pools) are compared by name: ``harmony.computePools[name=gpu].replicas``.
    A value that disappears at one path and appears, equal and unambiguous, at
    another is a move; a move of every leaf under one mapping to the same
    relative places under another is reported once for the mapping.

    `is_secret(path)` (e.g. `migrator.report.secrets.is_secret_path`) replaces the
    values at matching paths with `mask`. Raises `TooLarge` beyond `MAX_LEAVES`.
    """
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    _leaves(old, "", before)
    _leaves(new, "", after)

    dropped = {p: v for p, v in before.items() if p not in after}
    added = {p: v for p, v in after.items() if p not in before}
    changed = [p for p in before if p in after and not _same(before[p], after[p])]

    # Moves: a dropped leaf whose value appears at exactly one added leaf, and
    # nowhere else among the dropped ones.
    by_value_dropped: dict[Any, list[str]] = {}
    by_value_added: dict[Any, list[str]] = {}
    for p, v in dropped.items():
        by_value_dropped.setdefault(_hashable(v), []).append(p)
    for p, v in added.items():
        by_value_added.setdefault(_hashable(v), []).append(p)
    leaf_moves: list[tuple[str, str]] = []
    for key, sources in by_value_dropped.items():
        targets = by_value_added.get(key, [])
        if len(sources) == 1 and len(targets) == 1:
            leaf_moves.append((sources[0], targets[0]))
    moved_src = {s for s, _ in leaf_moves}
    moved_dst = {t for _, t in leaf_moves}

    moves = _collapse_moves(leaf_moves, before, after)

    def shown(path: str, value: Any) -> Any:
        return mask if is_secret is not None and is_secret(path) else value

    result: list[dict[str, Any]] = []
    for src, dst in moves:
        result.append({"kind": "moved", "from": src, "path": dst})
    for p, v in dropped.items():
        if p not in moved_src:
            result.append({"kind": "dropped", "path": p, "old": shown(p, v)})
    for p, v in added.items():
        if p not in moved_dst:
            result.append({"kind": "added", "path": p, "new": shown(p, v)})
    for p in changed:
        result.append({"kind": "changed", "path": p, "old": shown(p, before[p]), "new": shown(p, after[p])})
    order = {"moved": 0, "dropped": 1, "added": 2, "changed": 3}
    result.sort(key=lambda e: (order[e["kind"]], e["path"]))
    return result


def _split_path(path: str) -> tuple[str, str]:
    """Parent and last component of a flattened path."""
    depth = 0
    for idx in range(len(path) - 1, -1, -1):
        ch = path[idx]
        if ch == "]":
            depth += 1
        elif ch == "[":
            depth -= 1
            if depth == 0:
                return path[:idx], path[idx:]
        elif ch == "." and depth == 0:
            return path[:idx], path[idx:]
    return "", path


def _under(path: str, prefix: str) -> bool:
    return path == prefix or path.startswith(prefix + ".") or path.startswith(prefix + "[")


def _under_count(paths: list[str], prefix: str) -> int:
    """How many of the sorted `paths` are `prefix` or under it (`_under`), by bisection: the
    paths under it are the two runs starting with `prefix.` and `prefix[`."""
    n = bisect_right(paths, prefix) - bisect_left(paths, prefix)
    for sep, after_sep in ((".", "/"), ("[", "\\")):
        n += bisect_left(paths, prefix + after_sep) - bisect_left(paths, prefix + sep)
    return n


def _under_slices(moves: list[tuple[str, str]], prefix: str) -> list[slice]:
    """The runs of the moves (sorted by source) whose source is `prefix` or under it."""
    sources = [m[0] for m in moves]
    out = [slice(bisect_left(sources, prefix), bisect_right(sources, prefix))]
    for sep, after_sep in ((".", "/"), ("[", "\\")):
        out.append(slice(bisect_left(sources, prefix + sep), bisect_left(sources, prefix + after_sep)))
    return [s for s in out if s.start < s.stop]


def _collapse_moves(
    leaf_moves: list[tuple[str, str]], before: dict[str, Any], after: dict[str, Any]
) -> list[tuple[str, str]]:
    """Report `a.b.* -> c.d.*` once as `a.b -> c.d` when every leaf moved that way.

    The candidates are tried in order; the paths under a prefix are found by bisection in
    sorted lists, and a (parent, target) pair that failed is not tried again (a collapse
    elsewhere cannot make it succeed), so the work stays near-linear in the number of moves.
    """
    moves = sorted(leaf_moves)
    before_paths, after_paths = sorted(before), sorted(after)
    collapsed: list[str] = []  # the sources of the moves made by collapsing, sorted
    failed: set[tuple[str, str]] = set()
    i = 0
    while i < len(moves):
        src, dst = moves[i]
        i += 1
        sp, sl = _split_path(src)
        dp, dl = _split_path(dst)
        if not sp or not dp or sl != dl or (sp, dp) in failed:
            continue
        slices = _under_slices(moves, sp)
        group = [m for run in slices for m in moves[run]]
        # A collapsed move under `sp` is no leaf of `before`: the group cannot be all of its leaves.
        ok = _under_count(collapsed, sp) == 0
        ok = ok and all(d.startswith(dp) and s[len(sp) :] == d[len(dp) :] for s, d in group)
        # Every leaf under the source must have moved, and nothing else may
        # live under the target (else it is not the same mapping).
        ok = ok and _under_count(after_paths, sp) == 0
        ok = ok and len(group) == _under_count(before_paths, sp)
        ok = ok and len(group) == _under_count(after_paths, dp)
        if not ok:
            failed.add((sp, dp))
            continue
        for run in reversed(slices):
            del moves[run]
        at = bisect_left(moves, (sp, dp))
        moves.insert(at, (sp, dp))
        insort(collapsed, sp)
        i = at  # the entries before it failed and still fail; go on from the new one
    return moves
