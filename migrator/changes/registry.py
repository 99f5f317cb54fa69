"""The registry of the chart's breaking changes.

Each change is one module in `migrator/changes/` that defines `CHANGE`, a
`BreakingChange`, and imports nothing but `migrator.changes.context`. The
registry finds the modules by listing this package, so adding the next chart
version's change is one new module (and its fixtures) and nothing else: the
engine, the CLI, the web app, the README's tables and the reference page all
read from here.
"""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import replace
from functools import cache

from migrator.changes.change import BreakingChange
from migrator.chart.catalogue import ITEM, catalogue_path
from migrator.report.codes import CODES, Code
from migrator.yaml.paths import split_dotted

# The modules of this package that are not changes.
_NOT_CHANGES = frozenset({"change", "context", "registry"})


@cache
def all_changes() -> tuple[BreakingChange, ...]:
    """Every registered change, in chart-version order."""
    package = __name__.rpartition(".")[0]
    found = []
    for info in pkgutil.iter_modules(importlib.import_module(package).__path__):
        if info.name in _NOT_CHANGES:
            continue
        change = getattr(importlib.import_module(f"{package}.{info.name}"), "CHANGE", None)
        if not isinstance(change, BreakingChange):
            raise RuntimeError(f"{package}.{info.name} defines no CHANGE")
        found.append(change)
    ids = [c.id for c in found]
    if len(ids) != len(set(ids)):
        raise RuntimeError(f"two registered changes share an id: {sorted(ids)}")
    return tuple(sorted(found, key=lambda c: (c.parsed_version, c.id)))


@cache
def all_codes() -> tuple[Code, ...]:
    """Every finding code: the pipeline's (migrator/report/codes.py), then each change's own."""
    own = tuple(replace(code, sources=(change.id,)) for change in all_changes() for code in change.codes)
    found = CODES + own
    names = [c.code for c in found]
    if len(names) != len(set(names)):
        raise RuntimeError(
            f"a finding code is declared twice: {sorted(n for n in names if names.count(n) > 1)}"
        )
    return found


def known_targets() -> list[str]:
    """Every version a migration can stop at, oldest first: one per registered change."""
    return [c.version for c in all_changes()]


def latest() -> str:
    """The newest registered change's version."""
    targets = known_targets()
    return targets[-1] if targets else "0.0.0"


def known_options() -> tuple[str, ...]:
    """Every opt-in rewrite name offered by a registered change, in version order."""
    return tuple(name for change in all_changes() for name in change.options)


def change_for_key(path: tuple) -> str | None:
    """The registered change whose fingerprints (old or new keys) cover the key at `path`, if any."""
    parts = tuple(str(p) for p in path if p != "[]")
    for change in all_changes():
        for key in (*change.old_keys, *change.new_keys):
            fingerprint = split_dotted(key)
            if parts[: len(fingerprint)] == fingerprint or fingerprint[: len(parts)] == parts:
                return change.id
    return None


@cache
def _old_keys() -> tuple[tuple[tuple[str, ...], str], ...]:
    return tuple((split_dotted(key), change.id) for change in all_changes() for key in change.old_keys)


def change_migrating(path: tuple | str) -> str | None:
    """The registered change that migrates the key at `path` (one of its old keys covers it), if any.

    `path`: a user's path (ints for list indexes), a catalogue path (`[]` for any item) or dotted
    text; the catalogue's questions about removed and unknown keys take this as `migrated_by`.
    """
    cpath = tuple(p for p in catalogue_path(path) if p != ITEM)
    for key, change_id in _old_keys():
        if cpath[: len(key)] == key:
            return change_id
    return None


def get_change(change_id: str) -> BreakingChange:
    for change in all_changes():
        if change.id == change_id:
            return change
    raise KeyError(change_id)
