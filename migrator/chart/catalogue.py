"""Which keys the `adaptive` chart reads, per chart version: questions about a values file.

Helm ignores every key a chart does not read, so a typo (`controlPlane.rootURL`), a key put
at the wrong level or a key a newer chart stopped reading (`prometheus:` after 0.31.1) fails
silently. This module answers from `data/catalogue.json`, which `build_catalogue` derives
from the shipped chart packages (values.yaml and templates, every version). Pure: it reads
its data file once (importlib.resources, on first use: a few ms) and never imports Helm.

Paths are tuples. A user's path holds ints for list indexes, `("harmony", "computePools",
0, "replicas")`; a catalogue path holds `ITEM` (`"[]"`) for "any item of that list",
`("harmony", "computePools", "[]", "replicas")`. Every function takes either, or the dotted
text `"harmony.computePools[].replicas"` (`harmony.computePools[0].replicas` works too).
Versions are exact shipped versions (`versions()`); anything else raises InputError.

Questions about the chart
- `versions() -> tuple[str, ...]`: every catalogued version, oldest first.
- `reads(path, version) -> bool`: the chart reads that key (its values.yaml declares it, a
  template reads it, Helm reads it as a dependency condition, or it lies inside a free-form
  map or a subchart's values, or under `global`). Keys the chart reads only to refuse them
  (`harmony.group` from 0.24.0: the render fails when it is set) count as read; their
  `key_info(...).refused` holds the chart's message.
- `key_info(path, version) -> KeyInfo | None`: type (`string integer number boolean object
  array collection scalar any`), default (`has_default`), description from the chart's
  comments, `free_form` (why anything under it is accepted), `subchart`, `in_values`,
  `in_templates`, `refused`; for a path inside a free-form map, the info of that map with
  `inside` set to it. None when the chart does not read the key.
- `children(path, version) -> list[str]`: the keys the chart knows under a map (`ITEM` for a
  list's items); empty for free-form maps and leaves. `paths(version)`: every catalogue path.
- `versions_reading(path) -> list[str]`, `first_version_reading(path)`,
  `last_version_reading(path, before=None)`.
- `diff_versions(a, b) -> VersionDiff`: keys added, removed, defaults changed.
- `removed_keys(a=None, b=None, migrated_by=None) -> list[RemovedKey]`: every key a version
  reads and the next one does not (the top-most such key), with the last version reading it
  and the change that migrates it, if any (`change_id`: what `migrated_by(path)` answers).

Questions about a user's values (plain data: dicts, lists, scalars)
- `unknown_keys(data, version) -> list[UnknownKey]`: every key the chart at `version` does
  not read, top-most only (nothing under a free-form map is looked at; a key the user's own
  templates read, `{{ .Values.x }}` in an `extraObjects` item, counts as read), each with its path,
  the key the user most likely meant (`suggestion`: same key ignoring case, singular/plural,
  Damerau distance <= 2 (1 for keys of 4-5 letters, 0 for shorter), or the same key at the
  one place it exists elsewhere: `reason` case|plural|spelling|moved), the last older
  version that read it (`last_version`: a removed key), the first newer one
  (`first_version`: a key from a newer chart), and `change_id` when a breaking change migrates
  it: what `migrated_by(catalogue path)` answers, a function the caller passes (the chart knows
  nothing of the changes; `migrator.changes.registry.change_migrating` is the registry's
  answer); `unknown_keys(..., migrated_by=..., skip_changes=True)` leaves those keys out.
- `refused_keys(data, version) -> list[RefusedKey]`: keys set to a non-empty value that the
  chart refuses (the render would fail), with the chart's message.
- `template_reads(data, version) -> set[tuple]`: the `.Values` paths the user's own
  templates (extraObjects items) read.
- `fitting_versions(data) -> list[str]`: the versions with the fewest unknown keys (keys a
  version refuses count as unknown there).
- `looks_adaptive(data) -> AdaptiveVerdict(is_adaptive, evidence)`: whether the file is
  values for this chart at all (a 2-tuple; see the function for the rule).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from functools import cache
from typing import Any, NamedTuple

from migrator.chart import packages
from migrator.errors import InputError

ITEM = "[]"
FORMAT = 1

Path = tuple[Any, ...]

# Keys only this chart has: one of them (with the rest of the file fitting) makes a file adaptive.
DISTINCTIVE_TOP = frozenset(
    {"harmony", "controlPlane", "sandkasten", "installPostgres", "containerRegistry", "adaptiveOperator"}
)
DISTINCTIVE_NESTED = frozenset(
    {
        ("secrets", "dbUrl"),
        ("secrets", "db"),
        ("secrets", "modelRegistryUrl"),
        ("secrets", "sharedDirectoryUrl"),
        ("secrets", "cookiesSecret"),
        ("secrets", "existingControlPlaneSecret"),
        ("secrets", "existingHarmonySecret"),
        ("secrets", "s3Creds"),
        ("mlflow", "imageUri"),
        ("redis", "install"),
    }
)
ADAPTIVE_SHARE = 0.75  # of top-level keys, and of second-level keys, the chart must read
DISTINCTIVE_SHARE = 0.5  # of top-level keys, when the file has a key only this chart has
NEAR_CHECKS = 64  # keys tried for a typo of the chart's keys, per level


# ---------------------------------------------------------------------------
# data


class _Catalogue(NamedTuple):
    versions: tuple[str, ...]
    order: dict[str, int]
    paths: dict[tuple, list[tuple[int, int, dict]]]  # catalogue path -> [(from, to, info)]


def _split(text: str) -> tuple:
    """`harmony.computePools[].name` -> ('harmony', 'computePools', ITEM, 'name')."""
    out: list[str] = []
    for part in text.split("."):
        items = 0
        while part.endswith(ITEM):
            part = part[: -len(ITEM)]
            items += 1
        if part:
            out.append(part)
        out.extend([ITEM] * items)
    return tuple(out)


@cache
def _data() -> _Catalogue:
    raw = json.loads(packages.read_data("catalogue.json").decode("utf-8"))
    if raw.get("format") != FORMAT:
        raise RuntimeError("catalogue.json has another format: run python -m migrator.chart.build_catalogue")
    versions = tuple(raw["versions"])
    order = {v: i for i, v in enumerate(versions)}
    paths = {
        _split(text): [(order[a], order[b], info) for a, b, info in spans]
        for text, spans in raw["paths"].items()
    }
    return _Catalogue(versions, order, paths)


class _Version(NamedTuple):
    infos: dict[tuple, dict]
    children: dict[tuple, tuple[str, ...]]
    free: frozenset  # free-form paths
    by_name: dict[str, tuple[tuple, ...]]  # lower-cased key -> the paths ending in it
    refused: dict[tuple, str]  # path -> the chart's message
    refused_prefixes: frozenset  # every prefix of a refused path
    templated: frozenset  # paths rendered with `tpl`: the user's strings there may read keys
    templated_prefixes: frozenset


@cache
def _version(version: str) -> _Version:
    cat = _data()
    index = _index_of(version)
    infos = {p: spans_info for p, spans in cat.paths.items() if (spans_info := _at(spans, index)) is not None}
    kids: dict[tuple, list[str]] = {}
    by_name: dict[str, list[tuple]] = {}
    for path in infos:
        kids.setdefault(path[:-1], []).append(path[-1])
        if path[-1] != ITEM:
            by_name.setdefault(path[-1].lower(), []).append(path)
    free = frozenset(p for p, info in infos.items() if info.get("free_form"))
    refused = {p: info["refused"] for p, info in infos.items() if info.get("refused")}
    return _Version(
        infos,
        {p: tuple(sorted(v)) for p, v in kids.items()},
        free,
        {k: tuple(v) for k, v in by_name.items()},
        refused,
        frozenset(p[:i] for p in refused for i in range(1, len(p))),
        templated := frozenset(p for p, info in infos.items() if info.get("templated")),
        frozenset(p[:i] for p in templated for i in range(1, len(p))),
    )


def _at(spans: list[tuple[int, int, dict]], index: int) -> dict | None:
    for first, last, info in spans:
        if first <= index <= last:
            return info
    return None


def _index_of(version: str) -> int:
    cat = _data()
    if version not in cat.order:
        raise InputError(
            f"chart version {version} is not in the key catalogue; known: {', '.join(cat.versions)} "
            "(a new package needs `python -m migrator.chart.build_catalogue`)"
        )
    return cat.order[version]


def versions() -> tuple[str, ...]:
    """Every catalogued chart version, oldest first."""
    return _data().versions


# ---------------------------------------------------------------------------
# paths


def catalogue_path(path: Path | str) -> tuple:
    """A user's path (ints for list indexes, or dotted text) as a catalogue path (ITEM)."""
    if isinstance(path, str):
        return _split(re.sub(r"\[\d+\]", ITEM, path))
    return tuple(ITEM if isinstance(p, int) and not isinstance(p, bool) else _key_text(p) for p in path)


def _key_text(key: Any) -> str:
    """A mapping key as Helm sees it (YAML keys become JSON strings)."""
    if isinstance(key, bool):
        return "true" if key else "false"
    if key is None:
        return "null"
    return key if isinstance(key, str) else str(key)


def dotted(path: Path) -> str:
    """`('harmony', 'computePools', 0, 'name')` -> `harmony.computePools[0].name` (ITEM -> `[]`)."""
    out = ""
    for part in path:
        if part == ITEM:
            out += ITEM
        elif isinstance(part, int) and not isinstance(part, bool):
            out += f"[{part}]"
        else:
            text = _key_text(part)
            if text and all(ch.isalnum() or ch in "_-" for ch in text):
                out += f".{text}" if out else text
            else:
                out += f'["{text}"]'
    return out


def _free_ancestor(cpath: tuple, ver: _Version) -> tuple | None:
    for i in range(1, len(cpath)):
        if cpath[:i] in ver.free:
            return cpath[:i]
    return None


# ---------------------------------------------------------------------------
# questions about the chart


class KeyInfo(NamedTuple):
    path: tuple  # catalogue path (ITEM for list items)
    version: str
    type: str  # string integer number boolean object array collection scalar any
    has_default: bool
    default: Any  # the chart's default (None when has_default is False)
    description: str
    free_form: str | None  # why anything under it is accepted (None: the chart names its keys)
    subchart: bool  # the values of a subchart
    in_values: bool  # declared in the chart's values.yaml
    in_templates: bool  # read by the chart's templates (or by Helm: a dependency condition)
    refused: str | None  # the chart's `fail` message when it reads the key only to refuse it
    inside: tuple | None = None  # the free-form map this path lies in (the info is that map's)

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": dotted(self.path),
            "version": self.version,
            "type": self.type,
            "default": self.default if self.has_default else None,
            "has_default": self.has_default,
            "description": self.description,
            "free_form": self.free_form,
            "subchart": self.subchart,
            "in_values": self.in_values,
            "in_templates": self.in_templates,
            "refused": self.refused,
            "inside": dotted(self.inside) if self.inside else None,
        }


def _info(cpath: tuple, version: str, info: dict, inside: tuple | None = None) -> KeyInfo:
    return KeyInfo(
        path=cpath,
        version=version,
        type=info.get("type", "any"),
        has_default="default" in info,
        default=info.get("default"),
        description=info.get("description", ""),
        free_form=info.get("free_form"),
        subchart=bool(info.get("subchart")),
        in_values=bool(info.get("in_values")),
        in_templates=bool(info.get("in_templates")),
        refused=info.get("refused"),
        inside=inside,
    )


def reads(path: Path | str, version: str) -> bool:
    """Whether the chart at `version` reads the key at `path` (see the module docstring)."""
    cpath = catalogue_path(path)
    ver = _version(version)
    return bool(cpath) and (cpath in ver.infos or _free_ancestor(cpath, ver) is not None)


def key_info(path: Path | str, version: str) -> KeyInfo | None:
    cpath = catalogue_path(path)
    ver = _version(version)
    if cpath in ver.infos:
        return _info(cpath, version, ver.infos[cpath])
    ancestor = _free_ancestor(cpath, ver)
    if ancestor is None:
        return None
    return _info(ancestor, version, ver.infos[ancestor], inside=ancestor)


def children(path: Path | str, version: str) -> list[str]:
    """The keys the chart names under the map at `path` (ITEM for a list's items)."""
    cpath = catalogue_path(path) if path not in ((), "") else ()
    ver = _version(version)
    if cpath in ver.free or _free_ancestor(cpath, ver) is not None:
        return []
    return list(ver.children.get(cpath, ()))


def paths(version: str) -> list[tuple]:
    """Every catalogue path of `version` (free-form maps are listed, not their contents), sorted."""
    return sorted(_version(version).infos, key=_sort_key)


@cache
def _reading(cpath: tuple) -> frozenset[int]:
    """Indexes of the versions reading a catalogue path: its own spans, and those of any
    ancestor while that ancestor is free-form."""
    cat = _data()
    found: set[int] = set()
    for first, last, _info in cat.paths.get(cpath, ()):
        found.update(range(first, last + 1))
    for i in range(1, len(cpath)):
        for first, last, info in cat.paths.get(cpath[:i], ()):
            if info.get("free_form"):
                found.update(range(first, last + 1))
    return frozenset(found)


def versions_reading(path: Path | str) -> list[str]:
    vs = versions()
    return [vs[i] for i in sorted(_reading(catalogue_path(path)))]


def first_version_reading(path: Path | str, after: str | None = None) -> str | None:
    """The oldest version reading the key (newer than `after` when given)."""
    low = _index_of(after) if after is not None else -1
    found = [i for i in _reading(catalogue_path(path)) if i > low]
    return versions()[min(found)] if found else None


def last_version_reading(path: Path | str, before: str | None = None) -> str | None:
    """The newest version reading the key (older than `before` when given)."""
    high = _index_of(before) if before is not None else len(versions())
    found = [i for i in _reading(catalogue_path(path)) if i < high]
    return versions()[max(found)] if found else None


class VersionDiff(NamedTuple):
    old: str
    new: str
    added: list[tuple]  # catalogue paths the new version reads and the old one does not
    removed: list[tuple]  # ... the old one reads and the new one does not
    defaults_changed: list[tuple[tuple, Any, Any]]  # (path, old default, new default)

    def to_dict(self) -> dict[str, Any]:
        return {
            "old": self.old,
            "new": self.new,
            "added": [dotted(p) for p in self.added],
            "removed": [dotted(p) for p in self.removed],
            "defaults_changed": [
                {"path": dotted(p), "old": a, "new": b} for p, a, b in self.defaults_changed
            ],
        }


def diff_versions(old: str, new: str) -> VersionDiff:
    """What changed in the chart's keys from `old` to `new` (top-most added/removed keys)."""
    a, b = _version(old), _version(new)

    def topmost(paths: list[tuple]) -> list[tuple]:
        chosen: set[tuple] = set()
        for p in sorted(paths, key=len):
            if not any(p[:i] in chosen for i in range(1, len(p))):
                chosen.add(p)
        return sorted(chosen, key=_sort_key)

    added = topmost([p for p in b.infos if not reads(p, old)])
    removed = topmost([p for p in a.infos if not reads(p, new)])
    changed = []
    for p in sorted(set(a.infos) & set(b.infos), key=_sort_key):
        x, y = a.infos[p], b.infos[p]
        if "default" in x and "default" in y and x["default"] != y["default"]:
            changed.append((p, x["default"], y["default"]))
    return VersionDiff(old, new, added, removed, changed)


def _sort_key(path: tuple) -> list[str]:
    return [str(p) for p in path]


class RemovedKey(NamedTuple):
    path: tuple  # catalogue path
    last_version: str  # the last version reading it
    next_version: str  # the first version after it that does not
    change_id: str | None  # the breaking change that migrates it, if any (`migrated_by`)


# Which breaking change migrates a key (a catalogue path), if any: the caller's answer.
MigratedBy = Callable[[tuple], "str | None"]


def _nothing_migrates(path: tuple) -> str | None:
    return None


def removed_keys(
    old: str | None = None, new: str | None = None, *, migrated_by: MigratedBy = _nothing_migrates
) -> list[RemovedKey]:
    """Keys a version reads and the next one does not, between `old` and `new` (default: all)."""
    vs = versions()
    low = _index_of(old) if old else 0
    high = _index_of(new) if new else len(vs) - 1
    out = []
    for i in range(low, high):
        for path in diff_versions(vs[i], vs[i + 1]).removed:
            out.append(RemovedKey(path, vs[i], vs[i + 1], migrated_by(path)))
    return out


# ---------------------------------------------------------------------------
# questions about a user's values


class UnknownKey(NamedTuple):
    path: tuple  # the user's path (ints for list indexes)
    suggestion: tuple | None = None  # the user's path with the key they most likely meant
    reason: str | None = None  # case | plural | spelling | moved
    last_version: str | None = None  # newest older version reading it: a removed key
    first_version: str | None = None  # oldest newer version reading it: a key of a newer chart
    change_id: str | None = None  # the breaking change that migrates it (`migrated_by`)
    version: str = ""  # the version asked about

    @property
    def key(self) -> Any:
        return self.path[-1]

    @property
    def removed(self) -> bool:
        return self.last_version is not None

    @property
    def message(self) -> str:
        where = dotted(self.path)
        if self.last_version is not None:
            text = (
                f"`{where}` is ignored by chart {self.version}: "
                f"the last version reading it is {self.last_version}"
            )
        elif self.first_version is not None:
            text = f"`{where}` is not read by chart {self.version}; it is read from {self.first_version} on"
        else:
            text = f"`{where}` is not a key chart {self.version} reads: Helm ignores it"
        if self.suggestion is not None:
            text += f"; did you mean `{dotted(self.suggestion)}`?"
        if self.change_id is not None:
            text += f" (the `{self.change_id}` change migrates it)"
        return text

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": dotted(self.path),
            "keys": list(self.path),
            "suggestion": dotted(self.suggestion) if self.suggestion else None,
            "reason": self.reason,
            "last_version": self.last_version,
            "first_version": self.first_version,
            "change_id": self.change_id,
            "version": self.version,
            "message": self.message,
        }


_VALUES_REF = re.compile(r"\.Values((?:\.[A-Za-z_][A-Za-z0-9_]*)+)")


def _template_reads(data: Any, ver: _Version) -> set[tuple]:
    """The `.Values.x.y` paths the user's own templates read (strings of values the chart
    renders with `tpl`, such as `extraObjects` items)."""
    refs: set[tuple] = set()

    def strings(node: Any):
        if isinstance(node, str):
            yield node
        elif isinstance(node, dict):
            for key, value in node.items():
                if isinstance(key, str):
                    yield key
                yield from strings(value)
        elif isinstance(node, list):
            for value in node:
                yield from strings(value)

    def walk(node: Any, cpath: tuple) -> None:
        if cpath in ver.templated:
            for text in strings(node):
                if ".Values" in text:
                    refs.update(tuple(m.group(1)[1:].split(".")) for m in _VALUES_REF.finditer(text))
        elif isinstance(node, dict):
            for key, value in node.items():
                child = (*cpath, _key_text(key))
                if child in ver.templated or child in ver.templated_prefixes:
                    walk(value, child)
        elif isinstance(node, list) and (*cpath, ITEM) in ver.templated | ver.templated_prefixes:
            for value in node:
                walk(value, (*cpath, ITEM))

    if ver.templated and isinstance(data, dict):
        walk(data, ())
    return refs


def template_reads(data: Any, version: str) -> set[tuple]:
    """The paths `{{ .Values.x.y }}` in the user's own templates read (`extraObjects` items,
    which the chart renders with `tpl`): keys the chart does not name but that are read."""
    return _template_reads(data, _version(version))


def _walk_unknown(data: Any, ver: _Version) -> list[tuple[tuple, tuple]]:
    """(user path, catalogue path) of every top-most key the chart does not read."""
    out: list[tuple[tuple, tuple]] = []
    refs = _template_reads(data, ver)

    def walk(node: dict, upath: tuple, cpath: tuple) -> None:
        for key, value in node.items():
            up, cp = (*upath, key), (*cpath, _key_text(key))
            if cp not in ver.infos:
                if refs and any(cp[: len(r)] == r for r in refs):
                    continue  # read by the user's own template
                if refs and isinstance(value, dict) and any(r[: len(cp)] == cp for r in refs):
                    walk(value, up, cp)  # some keys under it are read by the user's template
                    continue
                out.append((up, cp))
            elif cp in ver.free:
                continue
            elif isinstance(value, dict):
                if cp in ver.children:
                    walk(value, up, cp)
            elif isinstance(value, list):
                item = (*cp, ITEM)
                if item in ver.infos and item not in ver.free and item in ver.children:
                    for i, element in enumerate(value):
                        if isinstance(element, dict):
                            walk(element, (*up, i), item)

    if isinstance(data, dict):
        walk(data, (), ())
    return out


def unknown_keys(
    data: Any, version: str, *, migrated_by: MigratedBy = _nothing_migrates, skip_changes: bool = False
) -> list[UnknownKey]:
    """Every key of `data` that the chart at `version` does not read (see the module docstring)."""
    ver = _version(version)
    out = []
    for upath, cpath in _walk_unknown(data, ver):
        change_id = migrated_by(cpath)
        if skip_changes and change_id is not None:
            continue
        last = last_version_reading(cpath, before=version)
        first = first_version_reading(cpath, after=version)
        suggestion, reason = _suggest(upath, cpath, ver)
        if reason == "moved" and (last or first):  # a key of another version, not a slip
            suggestion = reason = None
        out.append(UnknownKey(upath, suggestion, reason, last, first, change_id, version))
    return out


class RefusedKey(NamedTuple):
    path: tuple  # the user's path
    message: str  # the chart's `fail` message


def refused_keys(data: Any, version: str) -> list[RefusedKey]:
    """Keys set to a non-empty value that the chart at `version` refuses (its render fails)."""
    ver = _version(version)
    refused = ver.refused
    out: list[RefusedKey] = []

    def walk(node: Any, upath: tuple, cpath: tuple) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                up, cp = (*upath, key), (*cpath, _key_text(key))
                if cp in refused and value not in (None, "", 0, False, [], {}):
                    out.append(RefusedKey(up, refused[cp]))
                elif cp in ver.refused_prefixes:
                    walk(value, up, cp)
        elif isinstance(node, list):
            for i, element in enumerate(node):
                walk(element, (*upath, i), (*cpath, ITEM))

    if refused:
        walk(data, (), ())
    return out


def fitting_versions(data: Any, among: list[str] | tuple[str, ...] | None = None) -> list[str]:
    """The versions (of `among`; all by default) that fit `data`: no unknown or refused key, or fewest."""
    chosen = versions() if among is None else [v for v in versions() if v in set(among)]
    if not chosen:
        return []
    counts = [(len(_walk_unknown(data, _version(v))) + len(refused_keys(data, v)), v) for v in chosen]
    best = min(c for c, _ in counts)
    return [v for c, v in counts if c == best]


def _limit(key: str) -> int:
    return 0 if len(key) <= 3 else 1 if len(key) <= 5 else 2


def _suggest(upath: tuple, cpath: tuple, ver: _Version) -> tuple[tuple | None, str | None]:
    key = cpath[-1]
    low = key.lower()
    best: tuple[float, str, str] | None = None
    for name in ver.children.get(cpath[:-1], ()):
        if name in (ITEM, key):
            continue
        other = name.lower()
        if other == low:
            score, reason = 0.0, "case"
        elif _plural_pair(low, other):
            score, reason = 1.0, "plural"
        else:
            distance = _osa(low, other, _limit(key))
            if distance > _limit(key):
                continue
            score, reason = 1.0 + distance, "spelling"
        if best is None or (score, name) < (best[0], best[1]):
            best = (score, name, reason)
    if best is not None:
        return (*upath[:-1], best[1]), best[2]
    # the same key at the one other place the chart reads it (`rootUrl` at the top level)
    elsewhere = [p for p in ver.by_name.get(low, ()) if p[:-1] != cpath[:-1] and ITEM not in p]
    if len(elsewhere) == 1 and not (set(cpath) & {ITEM}):
        return elsewhere[0], "moved"
    return None, None


def _plural_pair(a: str, b: str) -> bool:
    for x, y in ((a, b), (b, a)):
        if x == y + "s" or x == y + "es" or (y.endswith("y") and x == y[:-1] + "ies"):
            return True
    return False


def _osa(a: str, b: str, limit: int) -> int:
    """Damerau-Levenshtein distance (optimal string alignment), cut off above `limit`."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        current = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                current[j] = min(current[j], previous2[j - 2] + 1)
        if min(current) > limit:
            return limit + 1
        previous2, previous = previous, current
    return previous[-1]


# ---------------------------------------------------------------------------
# is this the adaptive chart's values at all?


class AdaptiveVerdict(NamedTuple):
    """`(is_adaptive, evidence)`."""

    is_adaptive: bool
    evidence: str


class _Union(NamedTuple):
    paths: frozenset  # every catalogue path some version reads
    free: frozenset  # paths free-form at some version
    children: dict[tuple, frozenset]


@cache
def _union() -> _Union:
    cat = _data()
    paths = set(cat.paths)
    free = {p for p, spans in cat.paths.items() if any(info.get("free_form") for _a, _b, info in spans)}
    kids: dict[tuple, set[str]] = {}
    for p in paths:
        kids.setdefault(p[:-1], set()).add(p[-1])
    return _Union(frozenset(paths), frozenset(free), {k: frozenset(v) for k, v in kids.items()})


def _names(keys: list[str], limit: int = 8) -> str:
    shown = ", ".join(keys[:limit])
    return shown + (f" and {len(keys) - limit} more" if len(keys) > limit else "")


def looks_adaptive(data: Any) -> AdaptiveVerdict:
    """Whether `data` is a values file for the `adaptive` chart, and the evidence in words.

    The rule: the file's keys must fit the chart. Its top-level keys are compared with every
    top-level key the chart reads at some version (`global` aside: Helm allows it anywhere);
    a key one typo away from one of them counts half. Then the second-level keys under the
    top-level keys it shares with the chart (`secrets`, `serviceAccount`, `ingress`, ...,
    leaving out free-form maps and subcharts) are compared the same way. A file is adaptive
    when it has a key only this chart has (`harmony`, `controlPlane`, `sandkasten`,
    `installPostgres`, `containerRegistry`, `adaptiveOperator`, `secrets.db`, `secrets.dbUrl`,
    `secrets.modelRegistryUrl`, ...) and at least half its top-level keys fit, or when at least
    75% of its top-level keys and 75% of its second-level keys fit. Nothing to compare (an
    empty or comments-only file, or only `global`) is not evidence against: adaptive, said so.
    """
    if data is None or data == {}:
        return AdaptiveVerdict(True, "the file sets no keys: nothing tells it apart from this chart's values")
    if not isinstance(data, dict):
        return AdaptiveVerdict(False, f"the file is {type(data).__name__}, not a mapping of keys")
    union = _union()
    known_top = union.children.get((), frozenset())
    top = [_key_text(k) for k in data if _key_text(k) != "global"]
    if not top:
        return AdaptiveVerdict(
            True, "the file sets only `global`: nothing tells it apart from this chart's values"
        )
    fit = [k for k in top if k in known_top]
    # Typo-matching costs a string distance per key pair: it is tried on a bounded number of keys
    # (the chart has a few dozen top-level keys; a file with hundreds of others is not its
    # values whatever they are near), so a file of 300,000 keys costs no more than one of 60.
    unknown = [k for k in top if k not in known_top]
    near = [k for k in unknown[:NEAR_CHECKS] if _near(k, known_top)]
    foreign = [k for k in top if k not in known_top and k not in near]
    share = (len(fit) + 0.5 * len(near)) / len(top)

    second_total = 0
    second_fit = 0.0
    foreign_second: list[str] = []
    for key, value in data.items():
        name = _key_text(key)
        if name not in fit or (name,) in union.free or not isinstance(value, dict):
            continue
        known = union.children.get((name,), frozenset())
        for sub in value:
            sub_name = _key_text(sub)
            second_total += 1
            if sub_name in known:
                second_fit += 1
            elif len(foreign_second) < NEAR_CHECKS and _near(sub_name, known):
                second_fit += 0.5
            else:
                foreign_second.append(f"{name}.{sub_name}")
    share2 = second_fit / second_total if second_total else 1.0
    distinctive = [k for k in fit if k in DISTINCTIVE_TOP] + [
        f"{a}.{b}"
        for a, b in sorted(DISTINCTIVE_NESTED)
        if isinstance(data.get(a), dict) and b in {_key_text(k) for k in data[a]}
    ]
    # A key only this chart has carries a file with up to half its top-level keys unknown (a small
    # file with one typo); without one, most of both levels must fit.
    adaptive = (bool(distinctive) and share >= DISTINCTIVE_SHARE) or (
        share >= ADAPTIVE_SHARE and share2 >= ADAPTIVE_SHARE
    )

    words = [f"{len(fit)} of its {len(top)} top-level keys are keys of the chart"]
    if fit:
        words[-1] += f" ({_names(fit)})"
    if near:
        words.append(f"{len(near)} look like typos of the chart's keys ({_names(near)})")
    if foreign:
        words.append(f"{len(foreign)} are not the chart's ({_names(foreign)})")
    if second_total:
        words.append(
            f"{second_fit:g} of {second_total} keys under the shared ones fit"
            + (f" (not the chart's: {_names(foreign_second)})" if foreign_second else "")
        )
    words.append(
        f"keys only this chart has: {_names(distinctive)}"
        if distinctive
        else "no key that only this chart has"
    )
    verdict = "values for the adaptive chart" if adaptive else "not values for the adaptive chart"
    return AdaptiveVerdict(adaptive, f"{verdict}: " + "; ".join(words))


def _near(key: str, known: frozenset) -> bool:
    low = key.lower()
    limit = _limit(key)
    return any(
        k.lower() == low or _plural_pair(low, k.lower()) or _osa(low, k.lower(), limit) <= limit
        for k in known
        if k != ITEM
    )


__all__ = [
    "ITEM",
    "AdaptiveVerdict",
    "KeyInfo",
    "MigratedBy",
    "RefusedKey",
    "RemovedKey",
    "UnknownKey",
    "VersionDiff",
    "catalogue_path",
    "children",
    "diff_versions",
    "dotted",
    "first_version_reading",
    "fitting_versions",
    "key_info",
    "last_version_reading",
    "looks_adaptive",
    "paths",
    "reads",
    "refused_keys",
    "removed_keys",
    "template_reads",
    "unknown_keys",
    "versions",
    "versions_reading",
]
