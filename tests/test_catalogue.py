"""The key catalogue (migrator/chart/catalogue.py), proved against real Helm renders.

- What the catalogue calls read changes the render: every key of a sample of versions is set
  to another value of its type, under values that switch the optional components on (and,
  failing that, under an "external services" profile, then with the subcharts on); a few
  keys need another key set first (CONDITIONS) or a value of another type (PROBES); the
  ones no render can show are EXCEPTIONS, each with its reason.
- What it calls not read leaves the render alone: made-up keys in every map the chart
  names, typos, and every removed key at the version after its last reader.
- No false alarms on the chart's own defaults, every version; the corpus of other charts'
  values files is not adaptive, ours is.
- The shipped catalogue.json is what the generator produces from the shipped packages now.
"""

from __future__ import annotations

import ast
import base64
import copy
import functools
import io
import json
import re
import tarfile
import time
from pathlib import Path

import helm_python as helm
import pytest

from migrator.changes.registry import all_changes, change_migrating
from migrator.chart import build_catalogue, catalogue, packages
from migrator.chart.catalogue import ITEM
from migrator.engine import load_document
from migrator.versions import Version

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus"
FIXTURES = ROOT / "tests" / "fixtures" / "changes"
SAMPLE = ("0.17.0", "0.23.0", "0.25.0", "0.30.0", "0.37.2", "0.42.0", "0.48.2")

# ---------------------------------------------------------------------------
# Helm


@functools.cache
def chart(version: str, subcharts: tuple = ()) -> helm.Chart:
    return helm.Chart.load_archive(packages.shipped(version).data)


@functools.cache
def defaults_of(version: str) -> dict:
    """The chart's default values as Helm reads them (do not mutate: shared)."""
    return chart(version).values


@functools.cache
def conditions(version: str) -> tuple[tuple, ...]:
    deps = chart(version).metadata.get("dependencies") or []
    return tuple(tuple(d["condition"].split(".")) for d in deps if d.get("condition"))


def render(version: str, values: dict) -> dict[str, str] | str:
    """The manifests, or the chart's error message when the render fails (memoised: the
    same profile is rendered by several tests; do not mutate the result)."""
    return _render(version, json.dumps(values, sort_keys=True))


@functools.lru_cache(maxsize=512)
def _render(version: str, text: str) -> dict[str, str] | str:
    """A render with a subchart switched off by its condition removes that subchart from the
    loaded chart for good (Helm's dependency processing edits the chart in place), so each
    combination of subchart switches gets a chart of its own."""
    values = json.loads(text)
    defaults = defaults_of(version)
    switches = tuple(
        bool(
            get_path(values, c) if get_path(values, c) is not None else get_path(defaults, c) in (None, True)
        )
        for c in conditions(version)
    )
    try:
        return chart(version, switches).render(values, name="prod", namespace="default")
    except helm.HelmError as exc:
        return f"error: {exc}"


def merge(base: dict, extra: dict) -> dict:
    out = copy.deepcopy(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def set_path(data: dict, path: tuple, value) -> None:
    node = data
    for part in path[:-1]:
        node = node[part] if isinstance(part, int) else node.setdefault(part, {})
    node[path[-1]] = value


def get_path(data, path: tuple):
    for part in path:
        found = (isinstance(data, dict) and part in data) or (
            isinstance(data, list) and isinstance(part, int) and part < len(data)
        )
        if not found:
            return None
        data = data[part]
    return data


# ---------------------------------------------------------------------------
# Profiles: values under which the chart's optional parts are reached. Keys a version does
# not read are ignored by Helm, so one superset serves every version.

SECRETS = {
    "modelRegistryUrl": "s3://bucket/model_registry",
    "sharedDirectoryUrl": "s3://bucket/shared",
    "cookiesSecret": "c" * 64,
    "db": {"username": "dbuser", "password": "dbpass", "host": "db.example:5432", "database": "adaptive"},
    "auth": {
        "internalJwtPrivateKeyV4Base64": "a2V5",
        "oidc": {
            "providers": [
                {
                    "name": "Google",
                    "key": "google",
                    "issuer_url": "https://accounts.example",
                    "client_id": "cid",
                    "client_secret": "csecret",
                    "scopes": ["email"],
                    "pkce": True,
                    "allow_sign_up": True,
                    "require_email_verified": True,
                    "allowed_domains": ["example.com"],
                }
            ]
        },
    },
}
INTERNAL = {
    "secrets": SECRETS,
    "installPostgres": {"password": "pgpass"},  # else randAlphaNum: renders would differ
    "minio": {"auth": {"rootPassword": "miniopass"}},
    "s3proxy": {"azure": {"storageAccountName": "acct", "storageAccountKey": "acctkey"}},
    "ingress": {"tls": [{"hosts": ["chart-example.local"], "secretName": "tls-secret"}]},
    "harmony": {
        "cloudCache": {"type": "hostPath", "hostPath": "/cache"},
        "computePool": [{"name": "infer", "minReplicaCount": 1, "maxReplicaCount": 2}],  # 0.17-0.23
    },
    # pool 0 overrides maps of its own, so that made-up keys can go inside them
    "harmony_pools": [
        {"name": "default", "replicas": 1, "resources": {"limits": {"cpu": 1}, "requests": {"cpu": 1}}}
    ],
}
SUBCHARTS_OFF = {  # big subcharts: only the "full" profile renders them
    "prometheus": {"enabled": False},
    "autoscaling": {"enabled": False},
    "minio": {"enabled": False},
}
EXTERNAL = {
    "secrets": SECRETS,
    "redis": {"install": {"enabled": False}, "external": {"url": "redis://redis.example:6379"}},
    "mlflow": {"external": {"enabled": True, "url": "http://mlflow.example:5000"}},
    "clickhouse": {
        "enabled": True,
        "install": {"enabled": False},
        "external": {"url": "http://ch.example:8123"},
    },
    "prometheus": {"enabled": False},
}


def enabled_switches(version: str) -> list[tuple]:
    return [
        p
        for p in catalogue.paths(version)
        if p[-1] == "enabled" and "external" not in p and catalogue.key_info(p, version).type == "boolean"
    ]


@functools.cache
def profile(version: str, kind: str) -> dict:
    values: dict = {}
    if kind in ("internal", "full"):
        for path in enabled_switches(version):
            set_path(values, path, True)
            if path[-2] == "pdb":  # the chart wants one of minAvailable / maxUnavailable
                set_path(values, (*path[:-1], "minAvailable"), 1)
        values = merge(values, INTERNAL)
        pools = values.pop("harmony_pools")
        if catalogue.reads("harmony.computePools", version):
            values["harmony"]["computePools"] = pools
        if kind == "internal":
            values = merge(values, SUBCHARTS_OFF)
        else:  # the subcharts too (KEDA's autoscaler needs the in-chart Prometheus); from 0.4x
            values["prometheus"] = {"enabled": True}  # MinIO and s3proxy exclude each other
            values["s3proxy"]["enabled"] = False
    else:
        values = merge(values, EXTERNAL)
    info = catalogue.key_info(("secrets", "dbUrl"), version)
    if info is not None and not info.refused:  # before 0.18: one URL, no secrets.db
        values["secrets"] = {k: v for k, v in values["secrets"].items() if k != "db"}
        values["secrets"]["dbUrl"] = "postgres://dbuser:dbpass@db.example:5432/adaptive"
    return values


PROFILES = ("internal", "external", "full")

# Keys read only when another key has a special value: set it first (reviewed by hand).
CONDITIONS: dict[str, tuple[dict, str]] = {
    "redis.auth.username": ({"redis": {"auth": {"password": "redispass"}}}, "used only with a password"),
    "clickhouse.persistence.hostPath": (
        {"clickhouse": {"persistence": {"type": "hostPath"}}},
        "used when clickhouse.persistence.type is hostPath",
    ),
    "clickhouse.persistence.memorySizeLimit": (
        {"clickhouse": {"persistence": {"type": "memory"}}},
        "used when clickhouse.persistence.type is memory",
    ),
    "tensorboard.emptyDir.sizeLimit": (
        {"tensorboard": {"enabled": True, "persistentVolume": {"enabled": False}}},
        "the emptyDir is used only without tensorboard.persistentVolume",
    ),
    **{
        f"{component}.serviceAccount.name": (
            {component: {"serviceAccount": {"create": False}}},
            "0.30.0-0.37.1 ignore the name while serviceAccount.create is true",
        )
        for component in ("controlPlane", "harmony", "sandkasten")
    },
}
# Keys whose effect needs a value of another type than their default's.
PROBES: dict[str, tuple[object, str]] = {
    "auth.session.secure": (
        "false",
        '`| default "true"` turns a boolean false back into true: only the string turns it off',
    ),
    "controlPlane.runDbMigrations": (
        "false",
        "`| default true` turns a boolean false back into true: only the string turns it off",
    ),
}
# Keys the chart reads that no render can show (first version, last version, reason).
EXCEPTIONS: dict[str, tuple[str, str, str]] = {
    "nameOverride": (
        "0.17.0",
        "0.48.2",
        "read by `default .Values.nameOverride .Chart.Name`, whose arguments are swapped: the chart's "
        "own name always wins, so the key never has an effect",
    ),
}


def _exception(dotted: str, version: str) -> str | None:
    entry = EXCEPTIONS.get(dotted)
    if entry and Version(entry[0]) <= Version(version) <= Version(entry[1]):
        return entry[2]
    return None


# ---------------------------------------------------------------------------
# Probing: does changing a key change the render?

_B64 = re.compile(r"[A-Za-z0-9+/]{8,}={0,2}")


def searchable(manifests: dict[str, str]) -> str:
    """The rendered text plus every base64 token decoded (Secrets hold values encoded)."""
    text = "\n".join(manifests.values())
    decoded = []
    for token in _B64.findall(text):
        try:
            decoded.append(base64.b64decode(token + "=" * (-len(token) % 4)).decode("utf-8", "ignore"))
        except ValueError:
            continue
    return text + "\n" + "\n".join(decoded)


def user_path(values: dict, defaults: dict, cpath: tuple) -> tuple | None:
    """The path to set for a catalogue path: an item key goes into item 0 of the list (the
    list copied from the profile or the defaults); a free-form item is probed as its list."""
    out: list = []
    for i, part in enumerate(cpath):
        if part != ITEM:
            out.append(part)
            continue
        if i == len(cpath) - 1:
            return tuple(out)
        current = get_path(values, tuple(out))
        if not isinstance(current, list):
            current = get_path(defaults, tuple(out))
            if not isinstance(current, list) or not current or not isinstance(current[0], dict):
                return None
            set_path(values, tuple(out), copy.deepcopy(current))
        elif not current or not isinstance(current[0], dict):
            return None
        out.append(0)
    return tuple(out)


def mutations(info: catalogue.KeyInfo, n: int, current) -> list[tuple[object, str | None]]:
    """(new value, marker to look for in the output or None) in the order to try."""
    marker = f"pq{n}x"
    if info.free_form:
        if isinstance(current, list) or info.type == "array":
            strings = bool(current) and isinstance(current[0], str)
            return [([*(current or []), marker if strings else {"name": marker, "key": marker}], marker)]
        return [({**(current if isinstance(current, dict) else {}), marker: marker}, marker)]
    if info.type == "integer":
        return [(41000 + n, str(41000 + n)), ((current or 0) + 1, None)]  # Helm prints 1e6 as 1e+06
    if info.type == "number":
        return [((current or 0) + 0.25, None)]
    if info.type == "boolean":
        return [(not current, None)] if current is not None else [(False, None), (True, None)]
    if info.type == "array":
        return [([marker], marker)]
    if info.type == "object":
        return [({marker: marker}, marker)]
    return [(marker, marker)]


def probe_reads(version: str) -> dict[str, str]:
    """{dotted key: how the render showed it is read, or 'NO CHANGE'} for every key to test."""
    defaults = defaults_of(version)
    keys = []
    for n, cpath in enumerate(catalogue.paths(version)):
        info = catalogue.key_info(cpath, version)
        if (
            cpath == ("global",)
            or info.subchart
            or (not info.free_form and catalogue.children(cpath, version))
        ):
            continue
        keys.append((n, cpath, info))
    results: dict[str, str] = {}
    pending = keys
    for kind in PROFILES:
        if not pending:
            break
        base_values = profile(version, kind)
        base = render(version, base_values)
        assert not isinstance(base, str), f"{version} {kind} profile does not render: {base}"
        merged = chart(version).merge_values(base_values)
        batch, single = [], []
        for n, cpath, info in pending:
            dotted = catalogue.dotted(cpath)
            up = user_path(copy.deepcopy(base_values), defaults, cpath)
            if up is None:
                single.append((n, cpath, info, None))
                continue
            tries = mutations(info, n, get_path(merged, up))
            if dotted in PROBES:
                tries = [(PROBES[dotted][0], None)]
            item = (n, cpath, info, tries)
            (batch if tries[0][1] is not None and dotted not in CONDITIONS else single).append(item)

        def marked(items: list, base_values: dict = base_values, kind: str = kind) -> list:
            """Set every item's marker in one render; those whose marker shows are read."""
            values = copy.deepcopy(base_values)
            for _n, cpath, _info, tries in items:
                set_path(values, user_path(values, defaults, cpath), tries[0][0])
            out = render(version, values)
            if isinstance(out, str):
                if len(items) == 1:
                    return items
                # the chart's message usually names the key at fault (its path, its map, or the
                # value we set): set those aside
                named = [
                    i
                    for i in items
                    if catalogue.dotted(i[1]).replace(ITEM, "") in out
                    or f"{catalogue.dotted(i[1][:-1]).replace(ITEM, '')}:" in out
                    or re.search(rf"\b{re.escape(i[3][0][1])}\b", out)
                ]
                if named and len(named) < len(items):
                    return named + marked([i for i in items if i not in named])
                return marked(items[: len(items) // 2]) + marked(items[len(items) // 2 :])
            text = searchable(out)
            left = []
            for item in items:
                if re.search(rf"(?<![\w.]){re.escape(item[3][0][1])}(?![\w.])", text):
                    results[catalogue.dotted(item[1])] = f"{kind}: its value shows in the render"
                else:
                    left.append(item)
            return left

        still = []
        for n, cpath, info, tries in single + (marked(batch) if batch else []):
            dotted = catalogue.dotted(cpath)
            values0 = base_values
            reference = base
            if dotted in CONDITIONS:
                values0 = merge(base_values, CONDITIONS[dotted][0])
                reference = render(version, values0)
            shown = False
            for value, _marker in tries or []:
                values = copy.deepcopy(values0)
                up = user_path(values, defaults, cpath)
                if up is None:
                    break
                set_path(values, up, value)
                out = render(version, values)
                if out != reference:
                    results[dotted] = f"{kind}: the render {'fails' if isinstance(out, str) else 'differs'}"
                    shown = True
                    break
            if not shown:
                still.append((n, cpath, info))
        pending = still
    for _n, cpath, _info in pending:
        results[catalogue.dotted(cpath)] = "NO CHANGE"
    return results


@pytest.mark.parametrize("version", SAMPLE)
def test_changing_a_key_the_catalogue_calls_read_changes_the_render(version):
    results = probe_reads(version)
    silent = sorted(k for k, how in results.items() if how == "NO CHANGE" and not _exception(k, version))
    assert not silent, f"{version}: read according to the catalogue, but no render shows it: {silent}"
    assert len(results) > 100


@pytest.mark.parametrize("version", ["0.23.0", "0.48.2"])
def test_subchart_values_are_read_by_the_subchart(version):
    """A subchart's top-level key is free-form but read: one of its switches changes the render."""
    base_values = profile(version, "full")
    base = render(version, base_values)
    for name in [p[0] for p in catalogue.paths(version) if catalogue.key_info(p, version).subchart]:
        defaults = defaults_of(version).get(name) or {}
        leaves = [(k, v) for k, v in defaults.items() if isinstance(v, bool)]
        leaves += [
            ((k, k2), v2)
            for k, v in defaults.items()
            if isinstance(v, dict)
            for k2, v2 in v.items()
            if isinstance(v2, bool)
        ]
        changed = False
        for key, value in leaves:
            values = copy.deepcopy(base_values)
            set_path(values, (name, *(key if isinstance(key, tuple) else (key,))), not value)
            if render(version, values) != base:
                changed = True
                break
        assert changed, f"{version}: no switch of the `{name}` subchart changes the render"


# ---------------------------------------------------------------------------
# What the catalogue calls not read leaves the render alone


def made_up_keys(version: str, values: dict) -> list[tuple]:
    """A made-up key in every map the chart names (pools and other list items included)."""
    defaults = defaults_of(version)
    merged = chart(version).merge_values(values)
    out = [("zzNotAKey",)]
    for cpath in catalogue.paths(version):
        info = catalogue.key_info(cpath, version)
        kids = catalogue.children(cpath, version)
        if info.free_form or not kids or kids == [ITEM]:
            continue
        up = user_path(values, defaults, (*cpath, "zzNotAKey"))
        # only into maps the values already hold: a key in a map left out would create the map,
        # and with `pool.resources | default harmony.resources` a non-empty map replaces the
        # default wholesale (CHART.md): that is the map being there, not the key being read
        if up is not None and isinstance(parent := get_path(merged, up[:-1]), dict) and parent:
            out.append(up)
    return out


TYPOS = [
    ("controlPlane", "rootURL"),
    ("harmony", "gpusPerReplicas"),
    ("harmony", "computePools", 0, "replica"),
    ("secrets", "db", "hostname"),
    ("installPostgres", "enable"),
]


def test_unread_keys_leave_the_render_alone():
    """Made-up siblings everywhere and typos: the catalogue flags them all, Helm ignores them all
    (every version with the components on, the sample also with external services)."""
    for version in packages.shipped_versions():
        for kind in ("internal", "external") if version in SAMPLE else ("internal",):
            base_values = profile(version, kind)
            base = render(version, base_values)
            values = copy.deepcopy(base_values)
            added = made_up_keys(version, values)
            for path in TYPOS:
                if catalogue.reads(path[:-1], version) and not catalogue.reads(path, version):
                    up = user_path(values, defaults_of(version), catalogue.catalogue_path(path))
                    if up is not None:
                        added.append(up)
            for path in added:
                set_path(values, path, "x")
            flagged = {u.path for u in catalogue.unknown_keys(values, version)}
            assert set(added) <= flagged, f"{version}: not flagged: {sorted(set(added) - flagged, key=str)}"
            assert render(version, values) == base, (
                f"{version} {kind}: a key the catalogue calls unread is read"
            )
            assert len(added) > 20


def test_keys_read_by_the_users_own_templates():
    """`extraObjects` items go through `tpl`: the keys their `{{ .Values.x }}` name are read."""
    version = "0.48.2"
    config = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "mine"}}
    base = {
        "secrets": SECRETS,
        "myApp": {"host": "a.example", "unused": 1},
        "extraObjects": [{**config, "data": {"host": "{{ .Values.myApp.host }}"}}],
    }
    assert [u.path for u in catalogue.unknown_keys(base, version)] == [("myApp", "unused")]
    assert render(version, merge(base, {"myApp": {"host": "b.example"}})) != render(version, base)
    assert render(version, merge(base, {"myApp": {"unused": 2}})) == render(version, base)
    before = {u.path for u in catalogue.unknown_keys(base, "0.44.0")}  # no extraObjects before 0.45.0
    assert {("myApp",), ("extraObjects",)} <= before


REMOVED_NAMED = [("prometheus", "0.33.0"), ("alloy", "0.27.0"), ("keda", "0.24.0"), ("tensorboard", "0.22.0")]


def test_removed_keys_leave_the_render_alone_after_their_last_version():
    """Every key a version stopped reading, with its old default switched on, at the next version."""
    by_version: dict[str, list] = {}
    for removed in catalogue.removed_keys():
        by_version.setdefault(removed.next_version, []).append(removed)
    for path, version in REMOVED_NAMED:
        assert any(r.path == (path,) for r in by_version.get(version, [])), (path, version)
    for version, removed in sorted(by_version.items()):
        base_values = profile(version, "internal")
        values = copy.deepcopy(base_values)
        for r in removed:
            old = copy.deepcopy(get_path(defaults_of(r.last_version), r.path))
            if isinstance(old, dict):
                old["enabled"] = True
            set_path(values, r.path, old if old not in (None, {}, []) else {"enabled": True})
        flagged = {u.path for u in catalogue.unknown_keys(values, version)}
        assert {r.path for r in removed} <= flagged
        assert render(version, values) == render(version, base_values), f"{version}: {removed}"


# ---------------------------------------------------------------------------
# No false alarms


def test_the_defaults_of_every_version_have_no_unknown_key():
    for version in packages.shipped_versions():
        defaults = defaults_of(version)
        assert catalogue.unknown_keys(defaults, version) == [], version
        assert catalogue.refused_keys(defaults, version) == [], version
        assert version in catalogue.fitting_versions(defaults)


def test_the_corpus_defaults_have_no_unknown_key():
    for path in sorted(CORPUS.glob("adaptive--values-*.yaml")):
        version = path.stem.split("values-")[1]
        doc, _ = load_document(path.read_bytes())
        assert catalogue.unknown_keys(doc.data, version) == [], path.name


def test_0_23_defaults_at_0_48_2_report_the_keys_the_chart_stopped_reading():
    defaults = chart("0.23.0").values
    found = {u.path: u for u in catalogue.unknown_keys(defaults, "0.48.2", migrated_by=change_migrating)}
    assert found[("prometheus",)].last_version == "0.31.1"
    assert found[("keda",)].last_version == "0.23.0"
    assert found[("autoscaling",)].last_version == "0.23.0"
    assert found[("alloy",)].last_version == "0.26.0"
    assert found[("serviceAccount",)].change_id == "service-account-split"
    assert all(u.removed for u in found.values())
    unknown = catalogue.unknown_keys(defaults, "0.48.2", migrated_by=change_migrating, skip_changes=True)
    left = {u.path for u in unknown}
    assert left == {
        ("prometheus",),
        ("keda",),
        ("autoscaling",),
        ("alloy",),
        ("harmony", "computePool"),  # 0.23's inference pools: gone in 0.24.0, no change covers them
        ("mlflow", "replicaCount"),  # the Deployment became a StatefulSet in 0.25.0
    }
    old_keys = {key for change in all_changes() for key in change.old_keys}
    assert not any(catalogue.dotted(p).startswith(k) for p in left for k in old_keys)
    tensorboard = {u.path: u for u in catalogue.unknown_keys(chart("0.17.0").values, "0.48.2")}
    assert tensorboard[("tensorboard",)].last_version == "0.21.0"


# ---------------------------------------------------------------------------
# Unit tests: paths, suggestions, questions


def test_paths_are_tuples_with_list_indexes():
    assert catalogue.reads(("harmony", "computePools", 0, "replicas"), "0.48.2")
    assert catalogue.reads("harmony.computePools[3].requireGpu", "0.48.2")
    assert catalogue.reads("harmony.computePools[].image.tag", "0.48.2")
    assert not catalogue.reads(("harmony", "computePools", 0, "requireGpu"), "0.30.0")  # from 0.37
    assert catalogue.catalogue_path("a.b[2].c") == ("a", "b", ITEM, "c")
    assert catalogue.dotted(("harmony", "computePools", 0, "replica")) == "harmony.computePools[0].replica"
    unknown = catalogue.unknown_keys(
        {"harmony": {"computePools": [{"name": "a"}, {"name": "b", "replica": 2}]}}, "0.48.2"
    )
    assert [u.path for u in unknown] == [("harmony", "computePools", 1, "replica")]
    assert unknown[0].suggestion == ("harmony", "computePools", 1, "replicas")
    assert unknown[0].reason == "plural"


def test_free_form_maps_accept_anything_and_are_not_descended():
    data = {
        "harmony": {
            "nodeSelector": {"cloud.google.com/gke-spot": "true", "x": {"y": 1}},
            "extraEnvVars": {"A": 1},
        },
        "secrets": {"s3Creds": {"AWS_ACCESS_KEY_ID": "x"}},
        "controlPlane": {"podAnnotations": {"a/b": "c"}, "tolerations": [{"anything": 1}]},
        "global": {"whatever": {"deep": True}},
        "minio": {"a": {"b": 1}},
    }
    assert catalogue.unknown_keys(data, "0.48.2") == []
    info = catalogue.key_info(("harmony", "nodeSelector", "cloud.google.com/gke-spot"), "0.48.2")
    assert info.inside == ("harmony", "nodeSelector") and info.free_form
    assert catalogue.key_info("minio", "0.48.2").subchart
    assert catalogue.children("harmony.nodeSelector", "0.48.2") == []
    assert catalogue.key_info("harmony.resources", "0.48.2").free_form is None  # limits/requests only
    assert catalogue.unknown_keys({"harmony": {"resources": {"claims": []}}}, "0.48.2")[0].path == (
        "harmony",
        "resources",
        "claims",
    )


def test_suggestions():
    def suggest(data, version="0.48.2"):
        return [
            (catalogue.dotted(u.path), u.suggestion and catalogue.dotted(u.suggestion), u.reason)
            for u in catalogue.unknown_keys(data, version)
        ]

    assert suggest({"controlPlane": {"rootURL": "x"}}) == [
        ("controlPlane.rootURL", "controlPlane.rootUrl", "case")
    ]
    assert suggest({"harmony": {"gpusPerReplicas": 8}}) == [
        ("harmony.gpusPerReplicas", "harmony.gpusPerReplica", "plural")
    ]
    assert suggest({"harmony": {"computePools": [{"name": "a", "replica": 1}]}}) == [
        ("harmony.computePools[0].replica", "harmony.computePools[0].replicas", "plural")
    ]
    assert suggest({"harmony": {"imag": {}}}) == [("harmony.imag", "harmony.image", "spelling")]
    assert suggest({"harmony": {"tolerashuns": []}}) == [("harmony.tolerashuns", None, None)]
    assert suggest({"harmony": {"completelyDifferent": 1}}) == [("harmony.completelyDifferent", None, None)]
    assert suggest({"harmony": {"gpu": 1}}) == [("harmony.gpu", None, None)]  # short keys: no guessing
    assert suggest({"rootUrl": "x"}) == [("rootUrl", "controlPlane.rootUrl", "moved")]
    assert suggest({"secrets": {"db": {"hots": "x"}}}) == [("secrets.db.hots", "secrets.db.host", "spelling")]


def test_unknown_key_versions_and_messages():
    old = catalogue.unknown_keys({"prometheus": {"enabled": True}}, "0.33.0")[0]
    assert old.removed and old.last_version == "0.31.1" and old.first_version is None
    assert "0.31.1" in old.message and old.suggestion is None
    new = catalogue.unknown_keys({"lgtm": {"enabled": True}}, "0.30.0")[0]
    assert new.first_version == "0.38.0" and not new.removed
    assert new.to_dict()["path"] == "lgtm"
    assert change_migrating(("harmony", "group")) == "harmony-compute-pools"
    assert change_migrating("serviceAccount.create") == "service-account-split"
    assert change_migrating("prometheus") is None


def test_refused_keys():
    refused = catalogue.refused_keys(
        {"harmony": {"group": "g", "partitionKey": "", "replicaCount": 2}}, "0.48.2"
    )
    assert [r.path for r in refused] == [("harmony", "group"), ("harmony", "replicaCount")]
    assert "DEPRECATED" in refused[0].message
    assert catalogue.key_info("harmony.group", "0.48.2").refused
    assert catalogue.key_info("harmony.group", "0.23.0").refused is None
    assert catalogue.refused_keys({"secrets": {"dbUrl": "postgres://u:p@h/d"}}, "0.17.0") == []


def test_key_info_types_defaults_descriptions():
    info = catalogue.key_info("controlPlane.rootUrl", "0.48.2")
    assert (info.type, info.default, info.has_default) == ("string", "http://localhost:9000", True)
    assert "web browser" in info.description
    assert catalogue.key_info("auth.session.expiration_seconds", "0.48.2").description == "6 days"
    pool = catalogue.key_info("harmony.computePools[].requireGpu", "0.48.2")
    assert pool.type == "boolean" and not pool.has_default and pool.in_templates
    assert catalogue.key_info("harmony.computePools[].gpusPerReplica", "0.48.2").type == "integer"
    assert catalogue.key_info("harmony.computePools[].extraEnvVars", "0.48.2").free_form
    assert catalogue.key_info("harmony.cloudCache.hostPath", "0.48.2").in_templates  # absent from values
    assert catalogue.key_info("nope", "0.48.2") is None
    assert "computePools" in catalogue.children("harmony", "0.48.2")
    assert catalogue.children("harmony.computePools", "0.48.2") == [ITEM]
    assert "replicas" in catalogue.children(("harmony", "computePools", 0), "0.48.2")


def test_versions_and_diffs():
    assert catalogue.versions() == packages.shipped_versions()
    assert (
        catalogue.versions_reading("prometheus")[-1]
        == catalogue.last_version_reading("prometheus")
        == "0.31.1"
    )
    assert catalogue.first_version_reading("harmony.computePools") == "0.24.0"
    assert catalogue.last_version_reading("tensorboard") == "0.21.0"
    diff = catalogue.diff_versions("0.31.1", "0.33.0")
    assert ("prometheus",) in diff.removed and ("prometheus", "enabled") not in diff.removed
    diff = catalogue.diff_versions("0.41.0", "0.42.0")
    changed = {p: (a, b) for p, a, b in diff.defaults_changed}
    assert changed[("secrets", "db", "username")] == ("username", "")
    assert ("secrets", "s3Creds") in diff.added
    assert diff.to_dict()["added"]
    with pytest.raises(Exception, match="not in the key catalogue"):
        catalogue.reads("harmony", "9.9.9")


def test_fitting_versions():
    assert catalogue.fitting_versions({}) == list(catalogue.versions())
    fit = catalogue.fitting_versions({"harmony": {"group": "a"}, "tensorboard": {"enabled": False}})
    assert fit[-1] == "0.21.0"
    assert "0.48.2" in catalogue.fitting_versions(
        {"secrets": {"auth": {"internalJwtPrivateKeyV4Base64": ""}}}
    )


def values_files(pattern: str) -> list[Path]:
    return sorted(p for p in CORPUS.glob(pattern) if p.suffix in (".yaml", ".yml", ".json"))


def test_other_charts_values_are_not_adaptive():
    others = [p for p in values_files("*") if not p.name.startswith("adaptive--values-")]
    assert len(others) >= 15
    assert any("schema" in p.name for p in others)
    for path in others:
        doc, _ = load_document(path.read_bytes())
        verdict, evidence = catalogue.looks_adaptive(doc.data)
        assert not verdict, f"{path.name}: {evidence}"
        assert "not values for the adaptive chart" in evidence


def test_adaptive_values_and_fixtures_are_adaptive():
    files = values_files("adaptive--values-*") + sorted(FIXTURES.glob("*/*/before.yaml"))
    assert len(files) > 40
    for path in files:
        doc, _ = load_document(path.read_bytes())
        verdict, evidence = catalogue.looks_adaptive(doc.data)
        assert verdict, f"{path}: {evidence}"


def test_looks_adaptive_edge_cases():
    assert catalogue.looks_adaptive({})[0]
    assert catalogue.looks_adaptive({"global": {"a": 1}}).is_adaptive
    assert not catalogue.looks_adaptive(["a"]).is_adaptive
    ok, evidence = catalogue.looks_adaptive({"controlplane": {"rootUrl": "x"}, "harmony": {}})
    assert ok and "typos" in evidence
    generic = {"serviceAccount": {"create": True}, "image": {}, "replicaCount": 1}
    assert not catalogue.looks_adaptive(generic).is_adaptive
    doc, _ = load_document(b"# only comments\n")
    assert catalogue.looks_adaptive(doc.data).is_adaptive


# ---------------------------------------------------------------------------
# The generator and the runtime


def test_shipped_catalogue_is_what_the_generator_produces_now():
    shipped = packages._data_dir().joinpath("catalogue.json").read_text("utf-8")
    assert shipped == build_catalogue.dumps(build_catalogue.build()), (
        "catalogue.json is stale: run `make catalogue`"
    )


def test_a_new_version_is_a_new_package(monkeypatch):
    """Drop a package in, run the generator: the new version is catalogued with no code change."""
    source = packages.shipped("0.48.2").data
    buffer = io.BytesIO()
    with (
        tarfile.open(fileobj=io.BytesIO(source), mode="r:gz") as old,
        tarfile.open(fileobj=buffer, mode="w:gz") as new,
    ):
        for member in old.getmembers():
            data = old.extractfile(member).read() if member.isfile() else None
            if member.name == "adaptive/Chart.yaml":
                data = data.replace(b"version: 0.48.2", b"version: 0.99.0")
            if member.name == "adaptive/values.yaml":
                data += b"\n# A new feature\nnewFeature:\n  enabled: false\n"
            if data is not None:
                member.size = len(data)
                new.addfile(member, io.BytesIO(data))
            else:
                new.addfile(member)
    fake = packages.ChartPackage("0.99.0", buffer.getvalue())
    real = packages.shipped
    monkeypatch.setattr(packages, "shipped", lambda v: fake if v == "0.99.0" else real(v))
    built = build_catalogue.build(["0.48.2", "0.99.0"])
    assert built["versions"] == ["0.48.2", "0.99.0"]
    assert built["paths"]["newFeature"][0][:2] == ["0.99.0", "0.99.0"]
    assert built["paths"]["newFeature"][0][2]["description"] == "A new feature"
    assert built["paths"]["harmony.computePools[].replicas"][0][:2] == ["0.48.2", "0.99.0"]


def test_runtime_is_pure_and_fast():
    tree = ast.parse((ROOT / "migrator" / "chart" / "catalogue.py").read_text())
    imported = {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    imported |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    assert not any("helm" in name for name in imported), imported
    best = 1.0
    for _ in range(3):
        catalogue._data.cache_clear()
        catalogue._version.cache_clear()
        start = time.perf_counter()
        catalogue.reads("harmony.computePools[0].replicas", "0.48.2")
        best = min(best, time.perf_counter() - start)
    assert best < 0.05, f"loading the catalogue took {best * 1000:.0f} ms"
    size = packages._data_dir().joinpath("catalogue.json").read_bytes()
    assert len(size) < 400_000
